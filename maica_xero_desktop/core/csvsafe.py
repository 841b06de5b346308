"""CSV the product writes is safe to open in a spreadsheet.

A cell that starts with ``=``, ``+``, ``-`` or ``@`` (or a tab or carriage return before one) is
read as a formula by Excel, LibreOffice and Google Sheets: ``=HYPERLINK(...)`` in a participant's
name would become a live link, ``=cmd|...`` a DDE command. Every CSV file meant for people
(reports, ``export-updates``' files matched by Name) goes through :func:`writer` or
:func:`neutralise`, which put a single quote in front of such a text value, so it is shown as the
text it is. Plain numbers (``-12.50``) stay numbers. Values sent to Xero are never changed: Xero
stores text as text. One exception, on purpose: ``export-updates``' files keyed by Salesforce Id are
for Salesforce's Data Loader, which never evaluates formulas and would store the quote as part of
the value (core/maica/exports.py says so in each file's name and docstring).
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from decimal import Decimal
from typing import Any, Protocol

__all__ = ["TRIGGERS", "CsvSafeWriter", "neutralise", "writer"]

#: First characters a spreadsheet reads as the start of a formula.
TRIGGERS = frozenset("=+-@\t\r")
_PLAIN_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")


class _Writable(Protocol):
    def write(self, text: str, /) -> Any: ...


def neutralise(value: object) -> object:
    """``value`` as it is safe to write to a CSV cell.

    Text whose first character (after any spaces) would start a formula gets a leading ``'``;
    numbers, and text that is only a plain number, are unchanged; ``None`` becomes ``""``.
    """
    if value is None:
        return ""
    if isinstance(value, bool | int | float | Decimal):
        return value
    text = value if isinstance(value, str) else str(value)
    first = text.lstrip(" ")[:1]
    if first and first in TRIGGERS and not _PLAIN_NUMBER.fullmatch(text.strip()):
        return "'" + text
    return text


class CsvSafeWriter:
    """A :func:`csv.writer` whose every cell passes through :func:`neutralise`."""

    def __init__(self, stream: _Writable, **options: Any) -> None:
        self._writer = csv.writer(stream, **options)

    def writerow(self, row: Iterable[object]) -> None:
        self._writer.writerow([neutralise(value) for value in row])

    def writerows(self, rows: Iterable[Iterable[object]]) -> None:
        for row in rows:
            self.writerow(row)


def writer(stream: _Writable, **options: Any) -> CsvSafeWriter:
    """A CSV writer for files people open in a spreadsheet (open the file with ``newline=""``)."""
    return CsvSafeWriter(stream, **options)
