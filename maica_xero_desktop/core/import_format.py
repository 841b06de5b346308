"""The Maica export's format, and what an import reports.

The columns (required, optional, the header fields every row of an invoice repeats), the limits
Xero sets, and the results: :class:`RowError` (one problem at one line), :class:`ParsedExport`
(every invoice, or every problem) and :class:`ImportRejected` (the one sentence a user reads).
:mod:`.import_checks` checks the values; :mod:`.importing` reads the file.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from .errors import MaicaXeroError
from .models import MAICA_STATUSES, Invoice

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
#: The columns that say what one line is (its support item, service, price and coding), in the
#: export's order; a Maica pull names the line's own record when one of them is wrong.
LINE_COLUMNS = (
    "support_item_number",
    "support_item_name",
    "line_description",
    "service_date",
    "quantity",
    "unit_price",
    "account_code",
    "tax_type",
)
#: Every column, in the order a Maica export (and the shipped sample) has them.
EXPORT_COLUMNS = (
    *REQUIRED_COLUMNS[:7],
    "ndis_number",
    "bill_to_name",
    "bill_to_email",
    *LINE_COLUMNS,
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
