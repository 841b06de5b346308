"""Outside text is shown with its control, bidi and zero-width characters escaped."""

from __future__ import annotations

from maica_xero_desktop.core.textsafe import has_unsafe, printable


def test_plain_text_is_unchanged() -> None:
    assert printable("INV-0001 Ünïcode 中文 'quotes'") == "INV-0001 Ünïcode 中文 'quotes'"


def test_controls_bidi_and_zero_width_are_escaped() -> None:
    assert printable("a\nb\rc\td") == "a\\nb\\rc\\td"
    assert printable("\x1b[31mred") == "\\x1b[31mred"
    assert printable("INV\u200b1\u202e") == "INV\\u200b1\\u202e"
    assert printable("x\x7fy\x85") == "x\\x7fy\\x85"


def test_keep_newlines_and_non_strings() -> None:
    assert printable("one\ntwo\x00", keep_newlines=True) == "one\ntwo\\x00"
    assert printable(12) == "12"


def test_has_unsafe() -> None:
    assert has_unsafe("a\u2066b")
    assert not has_unsafe("plain text, 10.00")
