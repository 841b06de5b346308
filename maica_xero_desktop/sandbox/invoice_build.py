"""One element of a PUT/POST /Invoices batch -> a validated, computed invoice (not stored)."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from .invoice_rules import (
    CREATE_STATUSES,
    LINE_AMOUNT_TYPES,
    MAX_TEXT,
    MSG_CREATE_STATUS,
    MSG_DATE,
    MSG_DUE,
    MSG_MODIFY_STATUS,
    MSG_UNIQUE,
    Built,
    build_line,
    line_input,
    parse_day,
    resolve_contact,
    text_of,
)
from .ledger import Invoice, Ledger, Line
from .timefmt import today

#: allowed status changes of an existing invoice (Xero's invoice status rules)
_TRANSITIONS = {
    "DRAFT": {"DRAFT", "SUBMITTED", "AUTHORISED", "DELETED"},
    "SUBMITTED": {"DRAFT", "SUBMITTED", "AUTHORISED", "DELETED"},
    "AUTHORISED": {"AUTHORISED", "VOIDED"},
}


def _status(element: dict[str, Any], existing: Invoice | None, errors: list[str]) -> str:
    given = text_of(element, "Status")
    status = given.upper() if given else (existing.status if existing else "DRAFT")
    if existing is None:
        if status not in CREATE_STATUSES:
            errors.append(MSG_CREATE_STATUS)
    elif status not in _TRANSITIONS.get(existing.status, set()) or (
        existing.amount_paid > 0 or existing.amount_credited > 0
    ):
        errors.append(MSG_MODIFY_STATUS)
    return status


def _dates(
    element: dict[str, Any], existing: Invoice | None, now: float, errors: list[str]
) -> tuple[str, str | None]:
    if "Date" in element:
        day = parse_day(element["Date"])
        if day is None:
            errors.append(MSG_DATE)
    else:
        day = existing.date if existing else today(now)
    due: str | None = existing.due_date if existing else None
    if "DueDate" in element:
        due = parse_day(element["DueDate"]) if element["DueDate"] not in (None, "") else None
        if element["DueDate"] not in (None, "") and due is None:
            errors.append(f"'{element['DueDate']}' is not a valid DueDate.")
    return day or "", due


def build_invoice(
    ledger: Ledger,
    element: dict[str, Any],
    now: float,
    unitdp: int,
    existing: Invoice | None = None,
) -> Built:
    errors: list[str] = []
    typ = (text_of(element, "Type") or (existing.type if existing else "")).upper()
    if typ not in ("ACCREC", "ACCPAY"):
        errors.append("Invoice Type must be ACCREC or ACCPAY.")
    contact_given = element.get("Contact")
    if contact_given is None and existing is not None:
        contact_given = {"ContactID": existing.contact_id}
    contact, new_contact = resolve_contact(ledger, contact_given, typ, now, errors)
    day, due = _dates(element, existing, now, errors)
    status = _status(element, existing, errors)
    errors.extend(ledger.controls.refusals(status, day))
    lat_given = text_of(element, "LineAmountTypes")
    lat = existing.line_amount_types if existing and not lat_given else "Exclusive"
    if lat_given:
        lat = LINE_AMOUNT_TYPES.get(lat_given.lower(), "")
        if not lat:
            errors.append(f"'{lat_given}' is not a valid LineAmountTypes value.")
    currency = text_of(element, "CurrencyCode") or (existing.currency_code if existing else "AUD")
    currency = currency.upper()
    if currency not in {c["Code"] for c in ledger.chart.currencies}:
        errors.append(f"Organisation is not subscribed to currency {currency}")
    inv_number = text_of(element, "InvoiceNumber")
    if inv_number is not None:
        other = ledger.invoice_by_number(inv_number)
        if len(inv_number) > MAX_TEXT:
            errors.append("InvoiceNumber must be 255 characters or less.")
        elif (
            typ == "ACCREC"
            and other is not None
            and (existing is None or other.invoice_id != existing.invoice_id)
        ):
            errors.append(MSG_UNIQUE)
    reference = element.get("Reference", existing.reference if existing else "")
    if reference is None:
        reference = ""
    if not isinstance(reference, str) or len(reference) > MAX_TEXT:
        errors.append("Reference must be text of 255 characters or less.")
        reference = ""
    strict = status in ("SUBMITTED", "AUTHORISED")
    if strict and due is None:
        errors.append(MSG_DUE)
    raw_lines: Any = element.get("LineItems")
    if raw_lines is None:
        raw_lines = [line_input(line) for line in existing.lines] if existing else []
    if not isinstance(raw_lines, list):
        errors.append("LineItems must be a list.")
        raw_lines = []
    if strict and not raw_lines:
        errors.append("An invoice must have at least one line item to be approved.")
    lines: list[Line] = []
    for given in raw_lines:
        line = build_line(ledger, given, typ, lat or "Exclusive", unitdp, strict, errors)
        if line is not None:
            lines.append(line)
    if errors or contact is None:
        return Built(None, errors)
    amounts = sum((Decimal(str(line.line_amount)) for line in lines), Decimal(0))
    tax = sum((Decimal(str(line.tax_amount)) for line in lines), Decimal(0))
    sub_total = amounts - tax if lat == "Inclusive" else amounts
    if inv_number is None:
        inv_number = existing.number if existing else ""
        if not inv_number and typ == "ACCREC":
            inv_number = ledger.take_number()
    invoice = Invoice(
        invoice_id=existing.invoice_id if existing else str(uuid.uuid4()),
        type=typ,
        contact_id=contact.contact_id,
        number=inv_number,
        reference=reference,
        date=day,
        due_date=due,
        line_amount_types=lat,
        status=status,
        currency_code=currency,
        lines=lines,
        sub_total=float(sub_total),
        total_tax=float(tax),
        total=float(sub_total + tax),
        created=existing.created if existing else now,
        updated=now,
        amount_paid=existing.amount_paid if existing else 0.0,
        payment_ids=list(existing.payment_ids) if existing else [],
        fully_paid_on=existing.fully_paid_on if existing else None,
        credits=[list(c) for c in existing.credits] if existing else [],
    )
    return Built(invoice, [], new_contact)
