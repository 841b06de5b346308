"""The import is bounded and streaming; identifiers are what they look like (issue 11: 3, 6)."""

from __future__ import annotations

import dataclasses
import os
import threading
import time
import tracemalloc
from pathlib import Path

import pytest

from maica_xero_desktop.core import textfile
from maica_xero_desktop.core.importing import (
    MAX_ERRORS,
    parse_export,
    parse_export_file,
    stored_numbers,
)
from maica_xero_desktop.core.store import Store
from tests.unit.test_importing import errors_of, export, one_error, other, row

# ----------------------------------------------------------------------------- what is read


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes are POSIX")
def test_a_named_pipe_is_refused_at_once(tmp_path: Path) -> None:
    fifo = tmp_path / "export.csv"
    os.mkfifo(fifo)
    outcome: dict[str, object] = {}
    thread = threading.Thread(target=lambda: outcome.update(r=parse_export_file(fifo)))
    started = time.monotonic()
    thread.start()
    thread.join(5)
    if thread.is_alive():  # unblock the reader before failing, so the test run ends
        with open(fifo, "wb"):
            pass
        thread.join(5)
        pytest.fail("opening a named pipe waited for a writer")
    assert time.monotonic() - started < 2
    result = outcome["r"]
    assert result.errors[0].message == (  # type: ignore[attr-defined]
        f"{fifo} is a named pipe, not a regular file: save the Maica export as a file and "
        "import that file."
    )


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="no /dev/zero")
def test_a_device_is_refused_at_once() -> None:
    started = time.monotonic()
    result = parse_export_file(Path("/dev/zero"))
    assert time.monotonic() - started < 1
    assert "/dev/zero is a device, not a regular file" in result.errors[0].message


def test_a_file_over_the_limit_is_refused_before_reading(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "big.csv"
    path.write_bytes(export(row()) + b"x" * 2000)
    monkeypatch.setattr(textfile, "MAX_FILE_BYTES", 1000)
    result = parse_export_file(path)
    assert len(result.errors) == 1
    message = result.errors[0].message
    assert message.startswith(f"The file {path} is larger than the import accepts, 0 MB")
    assert message.endswith(
        "export the invoices from Maica in smaller date ranges and import each file."
    )


def test_the_limit_is_stated_in_megabytes_and_lines() -> None:
    assert textfile.size_limit_text() == "200 MB (about 860,000 invoice lines)"


def test_a_file_that_grows_past_the_limit_while_read_is_stopped(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    data = export(*[row(quantity=str(n + 1)) for n in range(200)])
    monkeypatch.setattr(textfile, "MAX_FILE_BYTES", len(data) - 1)
    assert "is larger than the import accepts" in one_error(data).message


def test_an_endless_line_is_bounded_in_time_and_memory(tmp_path: Path) -> None:
    path = tmp_path / "one-line.csv"
    with path.open("wb") as out:
        for _ in range(40):
            out.write(b"a" * 500_000)  # 20 MB and no newline
    tracemalloc.start()
    try:
        result = parse_export_file(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(result.errors) == 1
    assert result.errors[0].line == 1
    assert result.errors[0].message.startswith("the line is longer than 100,000 characters")
    assert peak < 3_000_000, peak


def test_a_file_of_zero_bytes_stops_at_the_first_chunk(tmp_path: Path) -> None:
    path = tmp_path / "zeros.csv"
    path.write_bytes(bytes(30_000_000))
    tracemalloc.start()
    try:
        result = parse_export_file(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert "contains NUL bytes" in result.errors[0].message
    assert peak < 3_000_000, peak


def test_memory_is_flat_in_the_size_of_a_bad_file(tmp_path: Path) -> None:
    """Reading never holds the file: a file of 40,000 bad rows costs about what 4,000 cost."""

    def peak_for(rows: int) -> int:
        path = tmp_path / f"bad-{rows}.csv"
        path.write_bytes(export(*[row(quantity="x")] * rows))
        tracemalloc.start()
        try:
            result = parse_export_file(path)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        assert result.bad_rows == rows
        assert len(result.errors) == MAX_ERRORS + 1  # the first 1,000 and a count
        assert result.errors[-1].message.startswith(f"…and {rows - MAX_ERRORS} more problems")
        return peak

    small, large = peak_for(4_000), peak_for(40_000)
    assert large < small * 1.5 + 500_000, (small, large)


def test_crlf_split_between_chunks_is_one_line_ending(monkeypatch: pytest.MonkeyPatch) -> None:
    data = export(row(), row(quantity="3"), other())
    for size in (1, 2, 3, 7, 64):
        monkeypatch.setattr(textfile, "CHUNK_BYTES", size)
        result = parse_export(data)
        assert result.ok, (size, result.errors)
        assert result.lines == 3


def test_a_bad_byte_late_in_a_big_file_names_its_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(textfile, "CHUNK_BYTES", 100)
    data = export(*[row(quantity=str(n + 1)) for n in range(30)])
    lines = data.split(b"\r\n")
    lines[25] = lines[25].replace(b"Adam", b"Ad\xe9m")
    error = one_error(b"\r\n".join(lines))
    assert error.line == 26
    assert "byte 0xE9 is not UTF-8" in error.message


# ----------------------------------------------------------------------------- identifiers


@pytest.mark.parametrize(
    ("column", "value", "code"),
    [
        ("invoice_number", "INV-\u200b000001", "U+200B"),
        ("invoice_number", "INV-000001\u202e", "U+202E"),
        ("participant_id", "P-\x1b[2J000101", "U+001B"),
        ("support_item_number", "01_011\u2066_0107_1_1", "U+2066"),
        ("invoice_number", "INV\u00ad000001", "U+00AD"),
    ],
)
def test_invisible_characters_in_identifiers_are_refused(
    column: str, value: str, code: str
) -> None:
    error = one_error(export(row(**{column: value})))
    assert (error.line, error.column) == (2, column)
    assert code in error.message
    assert "contains a control, zero-width or bidi character" in error.message
    assert all(char.isprintable() for char in error.message)


def test_three_identical_looking_numbers_are_no_longer_three_invoices() -> None:
    data = export(
        row(),
        row(invoice_number="INV-000001\u200b", quantity="3"),
        row(invoice_number="INV-\u200c000001", quantity="4"),
    )
    assert [(line, column) for line, column, _ in errors_of(data)] == [
        (3, "invoice_number"),
        (4, "invoice_number"),
    ]


def test_identifiers_are_normalised_nfkc() -> None:
    data = export(
        row(),
        row(
            # full-width letters and digits: the same identifiers
            invoice_number="\uff29\uff2e\uff36\uff0d000001",
            participant_id="\uff30-000101",
            support_item_number="\uff10\uff11_011_0107_1_1",
            quantity="5",
        ),
    )
    result = parse_export(data)
    assert result.ok, result.errors
    (invoice,) = result.invoices
    assert invoice.invoice_number == "INV-000001"
    assert [line.support_item_number for line in invoice.lines] == ["01_011_0107_1_1"] * 2


def test_numbers_differing_only_in_case_are_an_import_error() -> None:
    data = export(row(), other(invoice_number="inv-000001"), other(invoice_number="INV-000001"))
    problems = errors_of(data)
    assert problems[0][:2] == (3, "invoice_number")
    assert problems[0][2] == (
        "invoice_number 'inv-000001' differs only in letter case from 'INV-000001' on line 2: "
        "Xero treats them as the same invoice number, so give them one spelling (or different "
        "numbers)."
    )


def _store_with(tmp_path: Path, number: str) -> Store:
    store = Store(tmp_path / "maica.db")
    (invoice,) = parse_export(export(row())).check()
    store.apply_import([dataclasses.replace(invoice, invoice_number=number)])
    return store


def test_a_number_equal_to_another_stored_invoice_but_for_case_is_refused(
    tmp_path: Path,
) -> None:
    store = _store_with(tmp_path, "INV-000001")
    try:
        path = tmp_path / "again.csv"
        path.write_bytes(export(row(invoice_number="inv-000001"), other()))
        result = parse_export_file(path, stored=stored_numbers(store.db))
        assert [(e.line, e.column) for e in result.errors] == [(2, "invoice_number")]
        assert "the number of the already imported invoice 'INV-000001'" in result.errors[0].message
        # the same spelling is a re-import, not a clash
        path.write_bytes(export(row(invoice_number="INV-000001"), other()))
        assert parse_export_file(path, stored=stored_numbers(store.db)).ok
    finally:
        store.close()


def test_values_in_messages_are_escaped() -> None:
    error = one_error(export(row(status="Paid\x1b]0;pwned\x07\n2026 INFO forged")))
    assert "\x1b" not in error.message
    assert "\\x1b]0;pwned\\x07\\n2026" in error.message
    long = one_error(export(row(currency="X" * 500)))
    assert len(long.message) < 200


def test_a_hidden_character_in_a_stored_number_is_seen_through(tmp_path: Path) -> None:
    """An invoice imported before normalisation, with a zero-width space, is not duplicated."""
    store = _store_with(tmp_path, "INV-\u200b000001")
    try:
        result = parse_export(export(row()), stored=stored_numbers(store.db))
        assert [(e.line, e.column) for e in result.errors] == [(2, "invoice_number")]
        assert "'INV-\\u200b000001' written differently" in result.errors[0].message
    finally:
        store.close()


def test_a_number_stored_exactly_is_a_re_import_even_beside_look_alikes(tmp_path: Path) -> None:
    store = _store_with(tmp_path, "INV-\u200b000001")
    try:
        (invoice,) = parse_export(export(row())).check()
        store.apply_import([invoice])  # an older store may hold both
        assert parse_export(export(row()), stored=stored_numbers(store.db)).ok
    finally:
        store.close()


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be", "utf-8-sig"])
def test_encodings_survive_any_chunk_boundary(
    encoding: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = export(row(participant_name="Zoë Ánderson 中文"), other()).decode("utf-8")
    data = text.encode(encoding)
    if encoding in ("utf-16-le", "utf-16-be"):
        data = ("\ufeff" + text).encode(encoding)
    for size in (1, 3, 5, 4096):
        monkeypatch.setattr(textfile, "CHUNK_BYTES", size)
        result = parse_export(data)
        assert result.ok, (size, result.errors)
        assert result.invoices[0].participant_name == "Zoë Ánderson 中文"
