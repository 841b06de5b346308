"""Text from outside (a CSV cell, Xero's message, an OAuth ``error_description``) made safe to show.

Such text reaches a terminal, a log line or a window label. Control characters (a newline that
forges a log line, an escape sequence that rewrites the terminal), bidi overrides and zero-width
characters are replaced by visible escapes (``\\n``, ``\\x1b``, ``\\u202e``), so what is printed is
what was received, and nothing received can pose as the product's own output.
"""

from __future__ import annotations

import unicodedata

# Characters with no glyph that change how the text around them reads or renders.
_INVISIBLE = frozenset(
    "\u200b\u200c\u200d\u200e\u200f"  # zero-width space/joiners, LRM, RLM
    "\u202a\u202b\u202c\u202d\u202e"  # bidi embeddings and overrides
    "\u2060\u2061\u2062\u2063\u2064"  # word joiner, invisible operators
    "\u2066\u2067\u2068\u2069"  # bidi isolates
    "\ufeff"  # zero-width no-break space (BOM)
)
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def is_unsafe_char(char: str) -> bool:
    """True for a control, format (Cc/Cf), bidi or zero-width character, or a lone surrogate."""
    if char in _INVISIBLE:
        return True
    return unicodedata.category(char) in ("Cc", "Cf", "Cs", "Zl", "Zp")


def _escape(char: str) -> str:
    if char in _NAMED:
        return _NAMED[char]
    code = ord(char)
    if code <= 0xFF:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}"


def printable(text: object, *, keep_newlines: bool = False) -> str:
    """``text`` with every unsafe character replaced by a visible escape.

    ``keep_newlines`` leaves ``\\n`` as it is, for multi-line text the product itself composed.
    """
    value = text if isinstance(text, str) else str(text)
    if not any(is_unsafe_char(c) for c in value):
        return value
    out = []
    for char in value:
        if keep_newlines and char == "\n":
            out.append(char)
        elif is_unsafe_char(char):
            out.append(_escape(char))
        else:
            out.append(char)
    return "".join(out)


def has_unsafe(text: str) -> bool:
    """True when ``text`` holds any character :func:`printable` would escape."""
    return any(is_unsafe_char(c) for c in text)
