"""Reading a Maica invoice export (CSV, one row per invoice line) into :class:`Invoice` records.

The import is all or nothing: :func:`parse_export` either returns every invoice of the file and
no error, or every problem it found (each with the physical line number of the row, header = 1)
and no invoice. It never raises for bad input; :class:`ImportRejected` turns a rejected result into
the one sentence a user reads.

The file is streamed (:mod:`.textfile`: regular files only, at most 200 MB, decoded chunk by
chunk) through :mod:`csv` row by row, so the cost grows linearly with its size and the memory
with the invoices it holds, never with the bytes. Identifiers (invoice numbers, participant ids,
support item numbers) are normalised (Unicode NFKC, trimmed) and refused when they hold control,
zero-width or bidi characters; two invoice numbers that differ only in letter case are one number
to Xero, so they are an error. Values from the file appear in messages escaped
(:func:`.textsafe.printable`).
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import MaicaXeroError
from .models import MAICA_STATUSES, Invoice, Line
from .textfile import FileProblem, open_regular, physical_lines
from .textsafe import has_unsafe, printable

if TYPE_CHECKING:
    from .store.db import Database

__all__ = [
    "EXPORT_COLUMNS",
    "HEADER_FIELDS",
    "OPTIONAL_COLUMNS",
    "REQUIRED_COLUMNS",
    "ImportRejected",
    "ParsedExport",
    "RowError",
    "parse_export",
    "parse_export_file",
    "stored_numbers",
]

REQUIRED_COLUMNS = (
    "invoice_number",
    "invoice_date",
    "due_date",
    "status",
    "funding_type",
    "participant_id",
    "participant_name",
    "support_item_number",
    "quantity",
    "unit_price",
)
OPTIONAL_COLUMNS = (
    "ndis_number",
    "bill_to_name",
    "bill_to_email",
    "line_description",
    "support_item_name",
    "service_date",
    "account_code",
    "tax_type",
    "tracking_1",
    "tracking_2",
    "currency",
)
#: Every column, in the order a Maica export (and the shipped sample) has them.
EXPORT_COLUMNS = (
    *REQUIRED_COLUMNS[:7],
    "ndis_number",
    "bill_to_name",
    "bill_to_email",
    "support_item_number",
    "support_item_name",
    "line_description",
    "service_date",
    "quantity",
    "unit_price",
    "account_code",
    "tax_type",
    "tracking_1",
    "tracking_2",
    "currency",
)
#: Columns whose value belongs to the invoice, so every row of one invoice must agree on them.
HEADER_FIELDS = (
    "invoice_date",
    "due_date",
    "status",
    "funding_type",
    "participant_id",
    "participant_name",
    "ndis_number",
    "bill_to_name",
    "bill_to_email",
    "currency",
)
#: Required columns whose value may be empty.
_MAY_BE_EMPTY = frozenset({"due_date"})

#: Xero's limits (Accounting API): InvoiceNumber 255, ContactNumber 50, account Code 10,
#: tracking category and option names 100; unit amounts and quantities with unitdp=4.
MAX_INVOICE_NUMBER = 255
MAX_PARTICIPANT_ID = 50
MAX_ACCOUNT_CODE = 10
MAX_TRACKING_NAME = 100
MAX_DECIMALS = 4
#: Maica quotes at most 50 lines per invoice; more is imported but the sync holds it back.
MAX_LINES_PER_INVOICE = 50
#: Problems listed one by one; past this many, only their count is given.
MAX_ERRORS = 1000
#: Columns that identify something: normalised, and refused with invisible characters.
IDENTIFIERS = ("invoice_number", "participant_id", "support_item_number")
#: Text that reaches Xero as it is (a contact's name, a line's description, a code): a tab in it
#: becomes one space, and so does a line break — except in a line description, where Xero shows it
#: as a new line; any other control, bidi or zero-width character is refused, except a zero-width
#: joiner or non-joiner between two letters of a script that needs it (Persian, the Indic ones).
TEXT_COLUMNS = (
    "participant_name",
    "bill_to_name",
    "bill_to_email",
    "funding_type",
    "support_item_name",
    "line_description",
    "account_code",
    "tax_type",
    "tracking_1",
    "tracking_2",
)
_BREAKS = re.compile(r"[ ]*[\t\n\r\v\f\x85\u2028\u2029][\t\n\r\v\f\x85\u2028\u2029 ]*")
_TABS = re.compile(r"[ ]*[\t\v\f][\t\v\f ]*")
_JOINERS = frozenset("\u200c\u200d")
#: what a multi-line text column may hold: line breaks, nothing else invisible
_MULTI_LINE = frozenset({"line_description"})

_STATUS_BY_KEY = {status.lower(): status for status in MAICA_STATUSES}
_STATUS_LIST = ", ".join(MAICA_STATUSES)
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_NUMBER = re.compile(r"-?(?:\d+(?:\.\d*)?|\.\d+)")
_NDIS = re.compile(r"\d{9}")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_CURRENCY = re.compile(r"[A-Z]{3}")
_SPACES = re.compile(r"\s+")

_SHARED_TEXTS = 100_000


@dataclass(frozen=True)
class RowError:
    """One problem, at one physical line of the file (0 when about the whole file)."""

    line: int
    column: str
    message: str

    def __str__(self) -> str:
        where = [f"line {self.line}"] if self.line else []
        if self.column and not self.message.startswith(self.column):
            where.append(self.column)
        return f"{', '.join(where)}: {self.message}" if where else self.message


@dataclass(frozen=True)
class ParsedExport:
    """What a Maica export holds: invoices when valid, or the problems (never both)."""

    invoices: tuple[Invoice, ...]
    rows: int
    errors: tuple[RowError, ...]
    warnings: tuple[str, ...]
    #: how many rows have at least one problem (including those past ``max_errors``)
    bad_rows: int = 0

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def lines(self) -> int:
        return sum(len(invoice.lines) for invoice in self.invoices)

    def check(self) -> tuple[Invoice, ...]:
        """The invoices, or :class:`ImportRejected` when the file has any problem."""
        if self.errors:
            raise ImportRejected(self.errors, bad_rows=self.bad_rows)
        return self.invoices


class ImportRejected(MaicaXeroError):
    """A Maica export with problems: nothing of it was imported."""

    def __init__(self, errors: Sequence[RowError], *, bad_rows: int | None = None) -> None:
        self.errors = tuple(errors)
        #: how many rows have a problem (None: count the rows the errors name)
        self.bad_rows = bad_rows
        super().__init__(
            _rejection_sentence(self.errors, bad_rows),
            detail="\n".join(str(error) for error in self.errors),
        )


def _rejection_sentence(errors: tuple[RowError, ...], bad_rows: int | None) -> str:
    if not errors:
        return "The file was not imported. Nothing was changed."
    first = errors[0]
    if bad_rows is None:
        bad_rows = len({error.line for error in errors if error.line})
    if bad_rows == 0 or (first.line == 0 and len(errors) == 1):
        return f"The file was not imported: {str(first).rstrip('.')}. Nothing was changed."
    rows = "1 row has problems" if bad_rows == 1 else f"{bad_rows} rows have problems"
    return (
        f"The file was not imported: {rows} (first: {str(first).rstrip('.')}). Nothing was changed."
    )


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


def _joins(text: str, index: int) -> bool:
    """True for a zero-width (non-)joiner between two letters of a script that uses them (Arabic,
    Persian, the Indic scripts): there it changes how the letters join, so it is part of the name.
    """
    if text[index] not in _JOINERS or not 0 < index < len(text) - 1:
        return False
    return all(
        not c.isascii() and unicodedata.category(c)[0] in "LM"
        for c in (text[index - 1], text[index + 1])
    )


def _fold(number: str) -> str:
    """How Xero compares invoice numbers: without regard to letter case."""
    return number.casefold()


def _shown(value: str, limit: int = 60) -> str:
    """A value from the file as it may appear in a message: escaped, and cut when long."""
    text = printable(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


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


class _Parser:
    def __init__(
        self, max_errors: int, stored: Mapping[str, tuple[str, ...]] | None = None
    ) -> None:
        self.max_errors = max_errors
        self.stored = stored or {}
        self.errors: list[RowError] = []
        self.more = 0
        #: rows with a problem (rows come in order, so a count and the last one are enough)
        self.bad_rows = 0
        self.last_bad_line = 0
        self.warnings: list[str] = []
        self.rows = 0
        #: the columns of the current row that have a problem
        self.bad_columns: set[str] = set()
        self.drafts: dict[str, _Draft] = {}
        #: physical lines with a carriage return inside them
        self.stray_cr: set[int] = set()
        #: each invoice number's case-folded form: its first spelling and line
        self.folded: dict[str, tuple[str, int]] = {}
        # Values that repeat across rows (support items, codes, dates, prices) are parsed once
        # and shared, which keeps a 100,000-line file's memory small.
        self.dates: dict[str, date] = {}
        self.decimals: dict[str, Decimal] = {}
        self.texts: dict[str, str] = {}

    def shared(self, value: str) -> str:
        found = self.texts.get(value)
        if found is not None:
            return found
        if len(self.texts) < _SHARED_TEXTS:
            self.texts[value] = value
        return value

    # -- reporting

    def error(self, line: int, column: str, message: str) -> None:
        if line:
            if line != self.last_bad_line:
                self.bad_rows += 1
                self.last_bad_line = line
            self.bad_columns.add(column)
        if len(self.errors) < self.max_errors:
            self.errors.append(RowError(line, column, message))
        else:
            self.more += 1

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
        count = len(row)
        if count > width and any(cell.strip() for cell in row[width:]):
            self.error(
                line,
                "",
                f"the row has {count} values but the header has {width} columns: put values "
                "that contain a comma in double quotes.",
            )
            return
        values = {
            name: (row[index].strip() if index < count else "") for name, index in columns.items()
        }
        self.bad_columns.clear()

        for name in IDENTIFIERS:
            values[name] = self._identifier(values[name], name, line)
        for name in TEXT_COLUMNS:
            if name in values:
                values[name] = self._text(values[name], name, line)
        for name in REQUIRED_COLUMNS:
            if name not in _MAY_BE_EMPTY and not values[name]:
                self.error(line, name, f"{name} is empty: every row needs one.")

        number = values["invoice_number"]
        if len(number) > MAX_INVOICE_NUMBER:
            self.error(
                line,
                "invoice_number",
                f"invoice_number is {len(number)} characters long: Xero accepts at most "
                f"{MAX_INVOICE_NUMBER}.",
            )
        elif number:
            self._check_case(number, line)
        participant_id = values["participant_id"]
        if len(participant_id) > MAX_PARTICIPANT_ID:
            self.error(
                line,
                "participant_id",
                f"participant_id is {len(participant_id)} characters long: Xero's contact number "
                f"accepts at most {MAX_PARTICIPANT_ID}.",
            )

        invoice_date = self._date(values, "invoice_date", line)
        due_date = self._date(values, "due_date", line)
        if invoice_date and due_date and due_date < invoice_date:
            self.error(
                line,
                "due_date",
                f"due_date {due_date} is before invoice_date {invoice_date}: correct one of them.",
            )

        raw_status = values["status"]
        status = _STATUS_BY_KEY.get(_SPACES.sub(" ", raw_status).lower(), "")
        if raw_status and not status:
            self.error(
                line,
                "status",
                f"status '{_shown(raw_status)}' is not a Maica status: use one of {_STATUS_LIST}.",
            )
        values["status"] = status or raw_status

        quantity = self._decimal(values, "quantity", line)
        if quantity is not None and quantity <= 0:
            self.error(
                line,
                "quantity",
                f"quantity '{_shown(values['quantity'])}' must be more than 0: an invoice line "
                "cannot be zero or negative (record credits in Maica instead).",
            )
        unit_price = self._decimal(values, "unit_price", line)
        if unit_price is not None and unit_price < 0:
            self.error(
                line,
                "unit_price",
                f"unit_price '{_shown(values['unit_price'])}' is negative: an invoice line cannot "
                "have a negative price (record credits in Maica instead).",
            )

        ndis = values.get("ndis_number", "")
        if ndis and not _NDIS.fullmatch(ndis):
            self.error(
                line,
                "ndis_number",
                f"ndis_number '{_shown(ndis)}' is not 9 digits: write the participant's NDIS "
                "number as 9 digits without spaces, e.g. 431234567 (format the column as text in "
                "Excel).",
            )
        email = values.get("bill_to_email", "")
        if email and not _EMAIL.fullmatch(email):
            self.error(
                line,
                "bill_to_email",
                f"bill_to_email '{_shown(email)}' is not an email address: write one address, "
                "e.g. accounts@planmanager.com.au.",
            )
        currency = values.get("currency", "")
        if currency and not _CURRENCY.fullmatch(currency):
            self.error(
                line,
                "currency",
                f"currency '{_shown(currency)}' is not a currency code: use 3 capital letters, "
                "e.g. AUD.",
            )
        values["currency"] = currency or "AUD"  # empty means AUD, also when rows are compared
        account_code = values.get("account_code", "")
        if len(account_code) > MAX_ACCOUNT_CODE:
            self.error(
                line,
                "account_code",
                f"account_code '{_shown(account_code)}' is longer than {MAX_ACCOUNT_CODE} "
                "characters: use the account's code in Xero (e.g. 200), not its name.",
            )
        service_date = (
            self._date(values, "service_date", line) if "service_date" in values else None
        )
        tracking = self._tracking(values, line)

        if number:
            self._add(
                number,
                line,
                values,
                Line(
                    support_item_number=self.shared(values["support_item_number"]),
                    quantity=quantity if quantity is not None else Decimal(0),
                    unit_price=unit_price if unit_price is not None else Decimal(0),
                    support_item_name=self.shared(values.get("support_item_name", "")),
                    description=values.get("line_description", ""),
                    service_date=service_date,
                    account_code=self.shared(account_code),
                    tax_type=self.shared(values.get("tax_type", "")),
                    tracking=tracking,
                ),
                quantity is not None and unit_price is not None,
            )

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

    # -- identifiers

    def _identifier(self, raw: str, name: str, line: int) -> str:
        """``raw`` normalised (NFKC, trimmed); an error when it holds an invisible character."""
        if raw.isascii() and raw.isprintable():  # the usual case, and a fast one
            return raw
        if has_unsafe(raw):
            hidden = sorted({f"U+{ord(c):04X}" for c in raw if has_unsafe(c)})
            self.error(
                line,
                name,
                f"{name} '{_shown(raw)}' contains a control, zero-width or bidi character "
                f"({', '.join(hidden[:3])}) that cannot be seen: retype the value in Maica "
                "and export again.",
            )
            return raw
        return self.shared(unicodedata.normalize("NFKC", raw).strip())

    def _text(self, raw: str, name: str, line: int) -> str:
        """``raw`` with its line breaks and tabs made one space; an error when it holds another
        character that cannot be seen (which Xero would keep, and show or send on)."""
        if raw.isascii() and raw.isprintable():  # the usual case, and a fast one
            return raw
        multi_line = name in _MULTI_LINE
        text = (_TABS if multi_line else _BREAKS).sub(" ", raw).strip()
        hidden = sorted(
            {
                f"U+{ord(c):04X}"
                for i, c in enumerate(text)
                if has_unsafe(c) and not _joins(text, i) and not (multi_line and c in "\r\n")
            }
        )
        if hidden:
            self.error(
                line,
                name,
                f"{name} '{_shown(raw)}' contains a control, zero-width or bidi character "
                f"({', '.join(hidden[:3])}) that cannot be seen: retype the value in Maica "
                "and export again.",
            )
            return raw
        return text

    def _check_case(self, number: str, line: int) -> None:
        folded = _fold(number)
        first = self.folded.get(folded)
        if first is None:
            self.folded[folded] = (number, line)
            return
        spelling, first_line = first
        if spelling != number:
            self.error(
                line,
                "invoice_number",
                f"invoice_number '{_shown(number)}' differs only in letter case from "
                f"'{_shown(spelling)}' on line {first_line}: Xero treats them as the same "
                "invoice number, so give them one spelling (or different numbers).",
            )

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

    # -- values

    def _date(self, values: dict[str, str], name: str, line: int) -> date | None:
        raw = values[name]
        if not raw:
            return None
        known = self.dates.get(raw)
        if known is not None:
            return known
        if _DATE.fullmatch(raw):
            try:
                value = self.dates[raw] = date(int(raw[:4]), int(raw[5:7]), int(raw[8:]))
                return value
            except ValueError:
                self.error(
                    line, name, f"{name} '{_shown(raw)}' is not a real date: use YYYY-MM-DD."
                )
                return None
        self.error(line, name, f"{name} '{_shown(raw)}' is not a date: use YYYY-MM-DD.")
        return None

    def _decimal(self, values: dict[str, str], name: str, line: int) -> Decimal | None:
        raw = values[name]
        if not raw:
            return None
        known = self.decimals.get(raw)
        if known is not None:
            return known
        if not _NUMBER.fullmatch(raw):
            if any(symbol in raw for symbol in "$€£¥"):
                how = "remove the currency symbol, e.g. 67.56"
            elif "," in raw:
                how = "use '.' as the decimal separator and no thousands separators, e.g. 1234.5"
            else:
                how = "write a plain number, e.g. 1.5"
            self.error(line, name, f"{name} '{_shown(raw)}' is not a number: {how}.")
            return None
        try:
            value = Decimal(raw)
        except InvalidOperation:  # pragma: no cover - the pattern admits only valid numbers
            self.error(line, name, f"{name} '{_shown(raw)}' is not a number: write a plain number.")
            return None
        exponent = value.normalize().as_tuple().exponent
        if isinstance(exponent, int) and exponent < -MAX_DECIMALS:
            self.error(
                line,
                name,
                f"{name} '{_shown(raw)}' has {-exponent} decimal places: Xero accepts at most "
                f"{MAX_DECIMALS}.",
            )
            return None
        if not value:
            value = Decimal(0)  # not -0
        if len(self.decimals) < _SHARED_TEXTS:
            self.decimals[raw] = value
        return value

    def _tracking(self, values: dict[str, str], line: int) -> tuple[tuple[str, str], ...]:
        pairs: list[tuple[str, str]] = []
        for name in ("tracking_1", "tracking_2"):
            raw = values.get(name, "")
            if not raw:
                continue
            category, colon, option = raw.partition(":")
            category, option = category.strip(), option.strip()
            if not (colon and category and option):
                self.error(
                    line,
                    name,
                    f"{name} '{_shown(raw)}' is not a tracking value: write Category:Option, "
                    "e.g. Region:North.",
                )
                continue
            if len(category) > MAX_TRACKING_NAME or len(option) > MAX_TRACKING_NAME:
                self.error(
                    line,
                    name,
                    f"{name} is too long: Xero accepts at most {MAX_TRACKING_NAME} characters for "
                    "a tracking category and for an option.",
                )
                continue
            if any(category.lower() == seen.lower() for seen, _ in pairs):
                self.error(
                    line,
                    name,
                    f"{name} uses the tracking category '{_shown(category)}' again: a line can "
                    "have only one option of each category.",
                )
                continue
            pairs.append((self.shared(category), self.shared(option)))
        return tuple(pairs)

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
