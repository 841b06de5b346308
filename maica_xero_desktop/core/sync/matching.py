"""Is the invoice Xero holds under this number (or reference) really this Maica invoice?

Every path that links a Maica invoice to an invoice found in Xero — "Invoice # must be unique",
an unanswered batch looked up, the classic flow's reference lookup, a store that lost its memory —
links only when the two agree on all of these:

- **contact**: Xero's contact has the participant id as its ``ContactNumber``, or is the contact
  this store mapped the participant to;
- **date** and **currency**: equal;
- **total**: the sum of Maica's lines (each quantity times price rounded to the cent, as sent) is
  Xero's ``SubTotal`` (before tax) — or Xero's ``Total`` when the invoice's line amounts are
  ``Inclusive`` of tax, or when no subtotal is given — within one cent per line (Xero rounds each
  line itself). Tax is left out on purpose: it depends on the organisation's rates, not on which
  invoice this is;
- **line count**: equal (lookups ask with ``page`` so that Xero includes the lines).

Numbers are compared as Xero compares them, ignoring letter case: ``inv-7`` and ``INV-7`` are the
same Xero number, and the content decides. Anything else is a **conflict**: nothing is linked,
nothing is sent, and both sides are kept for the administrator.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from ..models import Invoice
from ..textsafe import printable
from .xerodata import amount, ms_date

#: the rounding allowed between Maica's total and Xero's, per line
CENT_PER_LINE = Decimal("0.01")
GONE = ("VOIDED", "DELETED")


def number_key(number: str) -> str:
    """Xero's comparison of invoice numbers (and the index of what a lookup found)."""
    return number.strip().casefold()


@dataclass(frozen=True)
class Facts:
    """What the comparison needs of a Maica invoice (as it was sent, or as it is now)."""

    number: str
    participant_id: str
    date: str
    currency: str
    total: Decimal
    lines: int

    @classmethod
    def of(cls, invoice: Invoice) -> Facts:
        return cls(
            number=invoice.invoice_number,
            participant_id=invoice.participant_id,
            date=invoice.invoice_date.isoformat(),
            currency=invoice.currency,
            total=lines_sum(invoice),
            lines=len(invoice.lines),
        )

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Facts | None:
        try:
            return cls(
                number=str(data["number"]),
                participant_id=str(data["participant_id"]),
                date=str(data["date"]),
                currency=str(data["currency"]),
                total=Decimal(str(data["total"])),
                lines=int(data["lines"]),
            )
        except (KeyError, TypeError, ValueError, InvalidOperation):
            return None

    def to_json(self) -> dict[str, Any]:
        return {
            "number": self.number,
            "participant_id": self.participant_id,
            "date": self.date,
            "currency": self.currency,
            "total": format(self.total, "f"),
            "lines": self.lines,
        }


def is_gone(element: dict[str, Any]) -> bool:
    return str(element.get("Status", "")).upper() in GONE


def same_contact(element: dict[str, Any], participant_id: str, contact_id: str | None) -> bool:
    contact = element.get("Contact")
    if not isinstance(contact, dict):
        return False
    number = str(contact.get("ContactNumber") or "")
    if number and number.strip().casefold() == participant_id.strip().casefold():
        return True
    xero_id = str(contact.get("ContactID") or "")
    return bool(contact_id) and xero_id.lower() == str(contact_id).lower()


def xero_date(element: dict[str, Any]) -> str:
    text = element.get("DateString")
    if isinstance(text, str) and len(text) >= 10:
        return text[:10]
    moment = ms_date(element.get("Date"))
    return moment.date().isoformat() if moment else ""


def lines_sum(invoice: Invoice) -> Decimal:
    """The sum of the invoice's line amounts as sent (quantity times price, each to the cent)."""
    cent = Decimal("0.01")
    return sum(
        ((line.quantity * line.unit_price).quantize(cent, ROUND_HALF_UP) for line in invoice.lines),
        Decimal(0),
    )


def xero_total(element: dict[str, Any]) -> Decimal | None:
    """Xero's figure comparable with :func:`lines_sum`: the subtotal, or the total when the line
    amounts include tax (or no subtotal is given)."""
    if str(element.get("LineAmountTypes") or "").casefold() == "inclusive":
        return amount(element.get("Total"))
    found = amount(element.get("SubTotal"))
    return found if found is not None else amount(element.get("Total"))


def xero_lines(element: dict[str, Any]) -> int | None:
    lines = element.get("LineItems")
    return len(lines) if isinstance(lines, list) else None


def differences(facts: Facts, element: dict[str, Any], contact_id: str | None) -> list[str]:
    """What differs between the Maica invoice and the Xero one, as short phrases; [] = the same."""
    found: list[str] = []
    if not same_contact(element, facts.participant_id, contact_id):
        found.append(f"it is for another contact ({printable(_contact_name(element))})")
    day = xero_date(element)
    if day != facts.date:
        found.append(f"it is dated {printable(day) or 'unknown'}, not {facts.date}")
    currency = str(element.get("CurrencyCode") or "")
    if currency.upper() != facts.currency.upper():
        shown = printable(currency) or "an unknown currency"
        found.append(f"it is in {shown}, not {facts.currency}")
    total = xero_total(element)
    allowed = CENT_PER_LINE * max(facts.lines, 1)
    if total is None or abs(total - facts.total) > allowed:
        shown = "unknown" if total is None else f"{total:.2f}"
        found.append(f"its total before tax is {shown}, not {facts.total:.2f}")
    lines = xero_lines(element)
    if lines != facts.lines:
        found.append(
            f"it has {'an unknown number of' if lines is None else lines} line"
            f"{'' if lines == 1 else 's'}, not {facts.lines}"
        )
    return found


def detail(facts: Facts, element: dict[str, Any], found: list[str]) -> dict[str, Any]:
    """Both sides of a conflict, for the link's ``detail`` (JSON)."""
    contact = element.get("Contact") if isinstance(element.get("Contact"), dict) else {}
    assert isinstance(contact, dict)
    total = xero_total(element)
    return {
        "maica": facts.to_json(),
        "xero": {
            "invoice_id": str(element.get("InvoiceID") or ""),
            "number": str(element.get("InvoiceNumber") or ""),
            "reference": str(element.get("Reference") or ""),
            "status": str(element.get("Status") or ""),
            "contact_id": str(contact.get("ContactID") or ""),
            "contact_number": str(contact.get("ContactNumber") or ""),
            "contact_name": str(contact.get("Name") or ""),
            "date": xero_date(element),
            "currency": str(element.get("CurrencyCode") or ""),
            "total": None if total is None else format(total, "f"),
            "lines": xero_lines(element),
        },
        "differences": found,
    }


def conflict_sentence(facts: Facts, element: dict[str, Any], found: list[str], by: str) -> str:
    xero_number = printable(str(element.get("InvoiceNumber") or "")) or "(no number)"
    where = (
        f"Xero already has an invoice numbered {xero_number}"
        if by == "number"
        else f"Xero already has invoice {xero_number} with the reference {facts.number}"
    )
    if is_gone(element):
        # Xero keeps a voided (or deleted) invoice's number and never lets it be edited again:
        # only a new number on the Maica side gets this invoice into Xero.
        status = "voided" if str(element.get("Status", "")).upper() == "VOIDED" else "deleted"
        return (
            f"{where}, {status} there, that is not this one ({'; '.join(found)}), so nothing "
            f"was linked or sent. Xero keeps the number of a {status} invoice and it cannot be "
            "changed there: give this invoice a new number in Maica and import it again (it is "
            "then sent as a new invoice). 'retry' does not send it."
        )
    return (
        f"{where} that is not this one ({'; '.join(found)}), so nothing was linked or sent. "
        "If they are different invoices, renumber the one in Xero; if they are the same, "
        "correct the wrong side (in Xero, or in Maica and import again). Every sync checks "
        "again; 'retry' does not send it."
    )


#: on a link's detail: why 'retry' cannot send the invoice again (Retry failed leaves it alone)
NO_RETRY = "retry"


def gone_detail(element: dict[str, Any]) -> dict[str, Any]:
    """The detail of a failure 'retry' cannot mend: this very invoice is voided or deleted in
    Xero, which keeps its number."""
    status = str(element.get("Status") or "").lower()
    return {
        NO_RETRY: f"not possible: Xero keeps the number of a {status} invoice",
        "xero": {
            "invoice_id": str(element.get("InvoiceID") or ""),
            "number": str(element.get("InvoiceNumber") or ""),
            "status": str(element.get("Status") or ""),
        },
    }


def _contact_name(element: dict[str, Any]) -> str:
    contact = element.get("Contact")
    if not isinstance(contact, dict):
        return "unknown"
    return str(contact.get("Name") or contact.get("ContactNumber") or contact.get("ContactID"))
