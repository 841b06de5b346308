"""Validating and computing one invoice of a PUT/POST /Invoices batch, the way Xero does.

:func:`build_invoice` returns the invoice to store (or None) and every validation message for the
element. Nothing is stored here; a contact named for the first time comes back as ``new_contact``.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from .ledger import Contact, Invoice, Ledger, Line
from .timefmt import today

ZERO_ID = "00000000-0000-0000-0000-000000000000"
CREATE_STATUSES = ("DRAFT", "SUBMITTED", "AUTHORISED")
LINE_AMOUNT_TYPES = {"exclusive": "Exclusive", "inclusive": "Inclusive", "notax": "NoTax"}
MAX_TEXT = 255
CENT = Decimal("0.01")

MSG_CONTACT = "A Contact must be specified for this type of transaction"
MSG_UNIQUE = "Invoice # must be unique."
MSG_CREATE_STATUS = "Invoice not of valid status for creation"
MSG_MODIFY_STATUS = "Invoice not of valid status for modification"
MSG_DATE = "The document date is required."
MSG_DUE = "Due Date is required."
MSG_TRACKING = "Tracking category/option not found"


@dataclass
class Built:
    invoice: Invoice | None
    errors: list[str] = field(default_factory=list)
    new_contact: Contact | None = None


def number(value: Any) -> Decimal | None:
    """A JSON number (or numeric string) as Decimal; None when it is not one."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        found = Decimal(str(value).strip())
    except InvalidOperation:
        return None
    return found if found.is_finite() else None


def money(value: Decimal, places: int = 2) -> Decimal:
    return value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def parse_day(value: Any) -> str | None:
    """``YYYY-MM-DD``, ``YYYY-MM-DDThh:mm:ss`` or ``/Date(ms+0000)/`` -> ``YYYY-MM-DD``."""
    if not isinstance(value, str):
        return None
    text = value.strip()
    if text.startswith("/Date(") and text.endswith(")/"):
        digits = text[6:-2].split("+")[0]
        try:
            return today(int(digits) / 1000)
        except ValueError:
            return None
    try:
        return date.fromisoformat(text[:10]).isoformat()
    except ValueError:
        return None


def text_of(element: dict[str, Any], key: str) -> str | None:
    value = element.get(key)
    return value.strip() if isinstance(value, str) and value.strip() else None


def line_input(line: Line) -> dict[str, Any]:
    """A stored line as the client would send it (used when an update keeps the lines)."""
    data: dict[str, Any] = {
        "LineItemID": line.line_item_id,
        "Description": line.description,
        "Quantity": line.quantity,
        "UnitAmount": line.unit_amount,
        "AccountCode": line.account_code,
        "TaxType": line.tax_type,
        "ItemCode": line.item_code,
        "DiscountRate": line.discount_rate,
        "Tracking": [{"Name": t["Name"], "Option": t["Option"]} for t in line.tracking],
    }
    return {k: v for k, v in data.items() if v is not None}


#: Xero refuses an archived contact on a new document; its exact wording is not documented
MSG_ARCHIVED_CONTACT = (
    "The contact '{name}' is archived. Archived contacts cannot be used on new transactions; "
    "restore the contact first."
)


def _active(found: Contact | None, errors: list[str]) -> Contact | None:
    if found is not None and found.status == "ARCHIVED":
        errors.append(MSG_ARCHIVED_CONTACT.format(name=found.name))
        return None
    return found


def resolve_contact(
    ledger: Ledger, given: Any, typ: str, now: float, errors: list[str]
) -> tuple[Contact | None, Contact | None]:
    """(contact, contact to create). Appends a message when it cannot be resolved."""
    if not isinstance(given, dict):
        errors.append(MSG_CONTACT)
        return None, None
    cid, cnum, name = (text_of(given, k) for k in ("ContactID", "ContactNumber", "Name"))
    if cid:
        found = ledger.contacts.get(cid.lower())
        if found is None:
            errors.append(f"The Contact with ContactID '{cid}' could not be found.")
        return _active(found, errors), None
    if cnum:
        found = ledger.contact_by_key(cnum) if cnum.lower() not in ledger.contacts else None
        if found is None:
            errors.append(f"The Contact with ContactNumber '{cnum}' could not be found.")
        return _active(found, errors), None
    if not name:
        errors.append(MSG_CONTACT)
        return None, None
    found = ledger.named(name)
    if found is not None:
        return found, None
    if len(name) > MAX_TEXT:
        errors.append("The Contact Name must be 255 characters or less.")
        return None, None
    new = Contact(
        contact_id=str(uuid.uuid4()),
        name=name,
        contact_number=None,
        email=None,
        first_name=None,
        last_name=None,
        account_number=None,
        status="ACTIVE",
        created=now,
        updated=now,
        is_customer=typ == "ACCREC",
    )
    return new, new


def _tracking(ledger: Ledger, given: Any, errors: list[str]) -> list[dict[str, str]]:
    if given is None:
        return []
    if not isinstance(given, list) or len(given) > 2:
        errors.append("A line item can have at most 2 tracking categories.")
        return []
    out: list[dict[str, str]] = []
    for item in given:
        name = text_of(item, "Name") if isinstance(item, dict) else None
        option = text_of(item, "Option") if isinstance(item, dict) else None
        found = ledger.chart.find_tracking(name or "", option or "")
        if found is None:
            errors.append(f"{MSG_TRACKING}: '{name or ''}' / '{option or ''}'")
            continue
        category, opt = found
        out.append(
            {
                "TrackingCategoryID": category["TrackingCategoryID"],
                "TrackingOptionID": opt["TrackingOptionID"],
                "Name": category["Name"],
                "Option": opt["Name"],
            }
        )
    return out


def build_line(
    ledger: Ledger, given: Any, typ: str, lat: str, unitdp: int, strict: bool, errors: list[str]
) -> Line | None:
    if not isinstance(given, dict):
        errors.append("Line items must be objects.")
        return None
    before = len(errors)
    qty_raw, unit_raw = given.get("Quantity"), given.get("UnitAmount")
    qty = number(qty_raw) if qty_raw is not None else None
    unit = number(unit_raw) if unit_raw is not None else None
    if qty_raw is not None and qty is None:
        errors.append("Line items: 'Quantity' must be a number.")
    if unit_raw is not None and unit is None:
        errors.append("Line items: 'UnitAmount' must be a number.")
    if qty_raw is None and unit_raw is not None:
        errors.append("Line items: 'Quantity' is required when a UnitAmount is given.")
    disc_raw = given.get("DiscountRate")
    disc = number(disc_raw) if disc_raw is not None else None
    if disc_raw is not None and (disc is None or not 0 <= disc <= 100):
        errors.append("Line items: 'DiscountRate' must be between 0 and 100.")
    chart = ledger.chart
    code = text_of(given, "AccountCode")
    account = chart.accounts.get(code) if code else None
    if code and (account is None or account["Type"] == "BANK" or account.get("SystemAccount")):
        errors.append(f"Account code '{code}' is not a valid code for this document.")
        account = None
    elif account is not None and account["Status"] != "ACTIVE":
        errors.append(f"Account code '{code}' has been archived, or is invalid.")
        account = None
    elif code is None and strict and unit is not None:
        errors.append("Line items: an AccountCode is required to approve an invoice.")
    tax_type = text_of(given, "TaxType")
    usable = "REVENUE" if typ == "ACCREC" else "EXPENSE"
    if tax_type:
        rate = chart.tax_rates.get(tax_type)
        bad = (
            f"The TaxType code '{tax_type}' does not exist or cannot be used with this type "
            "of transaction."
        )
        if rate is None or rate["Status"] != "ACTIVE":
            errors.append(bad)
        elif account is not None and not chart.tax_applies(tax_type, account["Class"]):
            errors.append(
                f"The TaxType code '{tax_type}' cannot be used with account code '{code}'."
            )
        elif account is None and not chart.tax_applies(tax_type, usable):
            errors.append(bad)
    elif account is not None:
        tax_type = str(account["TaxType"])
    tracking = _tracking(ledger, given.get("Tracking"), errors)
    if len(errors) > before:
        return None
    amount = Decimal(0)
    if qty is not None:
        unit_r = money(unit or Decimal(0), unitdp)
        amount = money(qty * unit_r * (1 - (disc or Decimal(0)) / 100))
        unit = unit_r
    claimed = number(given.get("LineAmount")) if given.get("LineAmount") is not None else None
    if claimed is not None and money(claimed) != amount:
        errors.append(
            f"The line total {money(claimed)} does not match the expected line total {amount}"
        )
        return None
    rate_value = chart.rates.get(tax_type or "", Decimal(0))
    if lat == "Exclusive":
        tax = money(amount * rate_value)
    elif lat == "Inclusive":
        tax = money(amount * rate_value / (1 + rate_value))
    else:
        tax = Decimal(0)
    return Line(
        line_item_id=text_of(given, "LineItemID") or str(uuid.uuid4()),
        description=given.get("Description") if isinstance(given.get("Description"), str) else None,
        quantity=None if qty is None else float(qty),
        unit_amount=None if unit is None else float(unit),
        account_code=code if account is not None else None,
        tax_type=tax_type,
        tax_amount=float(tax),
        line_amount=float(amount),
        item_code=text_of(given, "ItemCode"),
        discount_rate=None if disc is None else float(disc),
        tracking=tracking,
    )
