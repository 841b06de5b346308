"""Checking one row of a Maica export: every value normalised, or a problem reported.

Identifiers (invoice numbers, participant ids, support item numbers) are normalised (Unicode NFKC,
trimmed) and refused when they hold control, zero-width or bidi characters; two invoice numbers that
differ only in letter case are one number to Xero, so they are an error. Values from the file
appear in messages escaped (:func:`.textsafe.printable`). :class:`RowChecker` holds the problems
found so far; :mod:`.importing`'s parser builds on it.
"""

from __future__ import annotations

import unicodedata
from datetime import date
from decimal import Decimal, InvalidOperation

from .import_format import (
    _BREAKS,
    _CURRENCY,
    _DATE,
    _EMAIL,
    _JOINERS,
    _MAY_BE_EMPTY,
    _MULTI_LINE,
    _NDIS,
    _NUMBER,
    _SHARED_TEXTS,
    _SPACES,
    _STATUS_BY_KEY,
    _STATUS_LIST,
    _TABS,
    IDENTIFIERS,
    MAX_ACCOUNT_CODE,
    MAX_DECIMALS,
    MAX_INVOICE_NUMBER,
    MAX_PARTICIPANT_ID,
    MAX_TRACKING_NAME,
    REQUIRED_COLUMNS,
    TEXT_COLUMNS,
    RowError,
)
from .models import Line
from .textsafe import has_unsafe, printable


class RowChecker:
    """The problems of one import so far, and the checks of one row's values (one thread)."""

    def __init__(self, max_errors: int) -> None:
        self.max_errors = max_errors
        self.errors: list[RowError] = []
        self.more = 0
        #: rows with a problem (rows come in order, so a count and the last one are enough)
        self.bad_rows = 0
        self.last_bad_line = 0
        self.warnings: list[str] = []
        self.rows = 0
        #: the columns of the current row that have a problem
        self.bad_columns: set[str] = set()
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

    # -- one row

    def _checked(
        self, row: list[str], line: int, columns: dict[str, int], width: int
    ) -> tuple[dict[str, str], Line, bool] | None:
        """One row's values checked and normalised, and the invoice line they make (with
        whether it can be compared with the invoice's other lines); None when the row cannot
        be read at all. Problems are reported with :meth:`error`."""
        count = len(row)
        if count > width and any(cell.strip() for cell in row[width:]):
            self.error(
                line,
                "",
                f"the row has {count} values but the header has {width} columns: put values "
                "that contain a comma in double quotes.",
            )
            return None
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

        return (
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
