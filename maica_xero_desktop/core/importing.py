"""Reading a Maica invoice export (CSV, one row per invoice line) into :class:`Invoice` records.

The import is all or nothing: :func:`parse_export` either returns every invoice of the file and
no error, or every problem it found (each with the physical line number of the row, header = 1)
and no invoice. It never raises for bad input; :class:`ImportRejected` turns a rejected result into
the one sentence a user reads.

The file is streamed (:mod:`.textfile`: regular files only, at most 200 MB, decoded chunk by
chunk) through :mod:`csv` row by row, so the cost grows linearly with its size and the memory
with the invoices it holds, never with the bytes. The checks of each
row's values are :mod:`.import_checks`; the columns, limits and results are :mod:`.import_format`
(re-exported here).
"""

from __future__ import annotations

import csv
import io
import unicodedata
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from .import_checks import RowChecker, _fold, _shown
from .import_format import (
    EXPORT_COLUMNS,
    HEADER_FIELDS,
    MAX_ERRORS,
    MAX_LINES_PER_INVOICE,
    OPTIONAL_COLUMNS,
    REQUIRED_COLUMNS,
    TEXT_COLUMNS,
    ImportRejected,
    ParsedExport,
    RowError,
)
from .models import Invoice, Line
from .textfile import FileProblem, open_regular, physical_lines
from .textsafe import has_unsafe

if TYPE_CHECKING:
    from .store.db import Database

__all__ = [
    "EXPORT_COLUMNS",
    "HEADER_FIELDS",
    "MAX_ERRORS",
    "OPTIONAL_COLUMNS",
    "REQUIRED_COLUMNS",
    "TEXT_COLUMNS",
    "ImportRejected",
    "ParsedExport",
    "RowError",
    "parse_export",
    "parse_export_file",
    "stored_numbers",
]

# ----------------------------------------------------------------------------- entry points


def parse_export_file(
    path: Path, *, max_errors: int = MAX_ERRORS, stored: Mapping[str, tuple[str, ...]] | None = None
) -> ParsedExport:
    """:func:`parse_export` of a file, streamed; a file that cannot be read is a file problem.

    ``stored`` (from :func:`stored_numbers`) lets the import refuse a number that differs only in
    letter case from another invoice already in the store.
    """
    try:
        stream = open_regular(Path(path))
    except FileProblem as problem:
        return _file_problem(problem.message, problem.line)
    with stream:
        return _Parser(max(1, max_errors), stored).parse(physical_lines(stream, name=str(path)))


def parse_export(
    data: bytes,
    *,
    max_errors: int = MAX_ERRORS,
    stored: Mapping[str, tuple[str, ...]] | None = None,
) -> ParsedExport:
    """Read a Maica invoice export: every invoice, or every problem (up to ``max_errors``)."""
    return _Parser(max(1, max_errors), stored).parse(physical_lines(io.BytesIO(data)))


def stored_numbers(db: Database) -> dict[str, tuple[str, ...]]:
    """The store's invoice numbers, grouped by how they compare (a read-only query).

    Numbers imported before identifiers were normalised may hold full-width letters or invisible
    characters: they are compared as what they look like (NFKC, invisible characters left out).
    """
    groups: dict[str, tuple[str, ...]] = {}
    with db.read() as conn:
        for (number,) in conn.execute("SELECT invoice_number FROM invoices"):
            key = _looks(number)
            groups[key] = (*groups.get(key, ()), number)
    return groups


def _looks(number: str) -> str:
    """What ``number`` looks like, as Xero compares it."""
    if number.isascii() and number.isprintable():
        return _fold(number)
    visible = (c for c in unicodedata.normalize("NFKC", number) if not has_unsafe(c))
    return _fold("".join(visible).strip())


def _file_problem(message: str, line: int = 0) -> ParsedExport:
    return ParsedExport(
        invoices=(), rows=0, errors=(RowError(line, "", message),), warnings=(), bad_rows=0
    )


# ----------------------------------------------------------------------------- parsing


@dataclass
class _Draft:
    """An invoice being assembled: its header values (with the line each was first seen on)."""

    line: int
    header: dict[str, str]
    #: header fields whose first value was itself wrong: not compared (already reported)
    unsure: frozenset[str]
    lines: list[Line] = field(default_factory=list)
    seen: dict[tuple[object, ...], int] = field(default_factory=dict)
    #: how many rows of the file are lines of this invoice
    rows: int = 0


class _Parser(RowChecker):
    def __init__(
        self, max_errors: int, stored: Mapping[str, tuple[str, ...]] | None = None
    ) -> None:
        super().__init__(max_errors)
        self.stored = stored or {}
        self.drafts: dict[str, _Draft] = {}
        #: physical lines with a carriage return inside them
        self.stray_cr: set[int] = set()

    def result(self) -> ParsedExport:
        errors = list(self.errors)
        if self.more:
            noun = "problem" if self.more == 1 else "problems"
            errors.append(
                RowError(
                    0,
                    "",
                    f"…and {self.more} more {noun} not listed: fix the ones above and import "
                    "the file again to see the rest.",
                )
            )
        if errors:
            return ParsedExport(
                invoices=(),
                rows=self.rows,
                errors=tuple(errors),
                warnings=tuple(self.warnings),
                bad_rows=self.bad_rows,
            )
        invoices = tuple(self._build(number, draft) for number, draft in self.drafts.items())
        return ParsedExport(
            invoices=invoices, rows=self.rows, errors=(), warnings=tuple(self.warnings)
        )

    # -- the file

    def parse(self, lines: Iterable[str]) -> ParsedExport:
        try:
            return self._parse(lines)
        except FileProblem as problem:
            # The file itself is wrong (not text, too large, a runaway line): that is the one
            # thing to fix, whatever the rows before it said.
            return _file_problem(problem.message, problem.line)

    def _unbroken(self, lines: Iterable[str]) -> Iterator[str]:
        """Lines with a stray carriage return inside them noted (and made a space, so the row
        stays one row for the CSV reader); each such row is reported once."""
        for number, text in enumerate(lines, start=1):
            body = text.rstrip("\r\n")
            if "\r" in body:
                self.stray_cr.add(number)
                yield body.replace("\r", " ") + text[len(body) :]
                continue
            yield text

    def _parse(self, lines: Iterable[str]) -> ParsedExport:
        reader = csv.reader(self._unbroken(lines), strict=True)
        header: list[str] | None = None
        header_line = 0
        columns: dict[str, int] = {}
        width = 0
        previous = 0
        try:
            for row in reader:
                line = previous + 1
                previous = reader.line_num
                if not any(cell.strip() for cell in row):
                    continue
                if header is None:
                    header, header_line = row, line
                    columns = self._columns(header, line)
                    if self.errors:
                        return self.result()
                    width = len(header)
                    continue
                self.rows += 1
                if self.stray_cr and not self.stray_cr.isdisjoint(range(line, previous + 1)):
                    self.error(
                        line,
                        "",
                        "the row has a stray carriage return (CR) character inside a value: "
                        "remove it in Maica (or in Excel) and export again.",
                    )
                    continue
                self._row(row, line, columns, width)
        except csv.Error as exc:
            self.error(
                previous + 1,
                "",
                f"the quoting is broken from this line on ({exc}): a value with a comma, quote or "
                "line break must be in double quotes, with any quote inside it doubled.",
            )
            return self.result()
        if header is None:
            self.error(0, "", "The file is empty: export the invoices from Maica again.")
        elif self.rows == 0:
            self.error(
                0,
                "",
                f"The file has a header row (line {header_line}) but no invoice lines: export "
                "the invoices from Maica again, with their lines.",
            )
        self._check_sizes()
        self._check_stored()
        return self.result()

    def _columns(self, header: list[str], line: int) -> dict[str, int]:
        columns: dict[str, int] = {}
        known = set(REQUIRED_COLUMNS) | set(OPTIONAL_COLUMNS)
        if len(header) == 1 and (";" in header[0] or "\t" in header[0]):
            self.error(
                0,
                "",
                f"The file has ';' or tabs between values (line {line}) instead of commas: "
                "export it as comma-separated CSV (in Excel: 'CSV UTF-8 (Comma delimited)').",
            )
            return columns
        for index, raw in enumerate(header):
            name = raw.strip().lower()
            if not name:
                continue
            if name in columns:
                self.error(
                    line,
                    name,
                    f"the column {_shown(name)} appears twice in the header: keep only one of "
                    "them.",
                )
                continue
            columns[name] = index
            if name not in known:
                self.warnings.append(
                    f"The column '{_shown(raw.strip())}' is not used by this version and was "
                    "ignored."
                )
        missing = [name for name in REQUIRED_COLUMNS if name not in columns]
        if missing:
            names = ", ".join(missing)
            hint = ""
            if not columns.keys() & known:
                hint = " The first row must be the header row with the column names."
            plural = "columns are" if len(missing) > 1 else "column is"
            self.error(
                0,
                "",
                f"The required {plural} missing from the header (line {line}): {names}. "
                f"Add {'them' if len(missing) > 1 else 'it'} to the export.{hint}",
            )
        return columns

    # -- one row

    def _row(self, row: list[str], line: int, columns: dict[str, int], width: int) -> None:
        checked = self._checked(row, line, columns, width)
        if checked is None:
            return
        values, item, comparable = checked
        number = values["invoice_number"]
        if number:
            self._add(number, line, values, item, comparable)

    def _add(
        self,
        number: str,
        line: int,
        values: dict[str, str],
        item: Line,
        comparable: bool,
    ) -> None:
        draft = self.drafts.get(number)
        if draft is None:
            header = {name: values.get(name, "") for name in HEADER_FIELDS}
            unsure = frozenset(self.bad_columns.intersection(HEADER_FIELDS))
            draft = self.drafts[number] = _Draft(line, header, unsure)
        else:
            for name in HEADER_FIELDS:
                value, first = values.get(name, ""), draft.header[name]
                if value != first and name not in draft.unsure and name not in self.bad_columns:
                    shown = f"'{_shown(value)}'" if value else "empty"
                    was = f"'{_shown(first)}'" if first else "empty"
                    self.error(
                        line,
                        name,
                        f"{name} is {shown} but {was} on line {draft.line} of the same invoice "
                        f"{_shown(number)}: every row of an invoice must have the same {name}.",
                    )
        draft.rows += 1
        if comparable:
            key = (
                item.support_item_number,
                item.service_date,
                item.quantity,
                item.unit_price,
                item.description,
            )
            earlier = draft.seen.get(key)
            if earlier is not None:
                self.error(
                    line,
                    "",
                    f"this line repeats line {earlier} of invoice {_shown(number)} (same support "
                    "item, service date, quantity, unit price and description): remove the "
                    "duplicate.",
                )
            else:
                draft.seen[key] = line
        if not self.errors:  # once anything is wrong, nothing is imported: stop collecting
            draft.lines.append(item)

    def _check_stored(self) -> None:
        """A number that is another stored invoice's number in other letter case is refused."""
        if not self.stored:
            return
        for number, draft in self.drafts.items():
            spellings = self.stored.get(_fold(number), ())
            if spellings and number not in spellings:
                stored = spellings[0]
                rows = f" (on its {draft.rows} rows)" if draft.rows > 1 else ""
                self.error(
                    draft.line,
                    "invoice_number",
                    f"invoice_number '{_shown(number)}'{rows} is the number of the already "
                    f"imported invoice '{_shown(stored)}' written differently (letter case, "
                    "character width or an invisible character): Xero treats them as one invoice "
                    "number, so use the imported spelling (or another number) in Maica and import "
                    "again.",
                )
                # every row of the invoice has the problem, not only the first one named
                self.bad_rows = min(self.rows, self.bad_rows + draft.rows - 1)

    # -- the invoices

    def _check_sizes(self) -> None:
        for number, draft in self.drafts.items():
            if len(draft.lines) > MAX_LINES_PER_INVOICE:
                self.warnings.append(
                    f"Invoice {_shown(number)} has {len(draft.lines)} lines: Xero accepts at most "
                    f"{MAX_LINES_PER_INVOICE}, so the sync will hold it back until it is split."
                )

    @staticmethod
    def _build(number: str, draft: _Draft) -> Invoice:
        header = draft.header
        invoice_date = header["invoice_date"]
        due_date = header["due_date"]
        return Invoice(
            invoice_number=number,
            invoice_date=date.fromisoformat(invoice_date),
            status=header["status"],
            funding_type=header["funding_type"],
            participant_id=header["participant_id"],
            participant_name=header["participant_name"],
            lines=tuple(draft.lines),
            due_date=date.fromisoformat(due_date) if due_date else None,
            ndis_number=header["ndis_number"],
            bill_to_name=header["bill_to_name"],
            bill_to_email=header["bill_to_email"],
            currency=header["currency"],
        )
