"""What a sync flow is, and the mapping of a Maica invoice to a Xero invoice that flows share."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any, Literal, Protocol, runtime_checkable

from ..models import Invoice, Line
from ..store import SupportItem


@dataclass(frozen=True)
class MappingContext:
    """What a flow needs besides the invoice: the Xero contact and the mapping defaults."""

    contact_id: str
    support_items: dict[str, SupportItem]
    default_account_code: str
    default_tax_type: str
    payment_terms_days: int
    #: Exclusive (Maica's unit prices are before GST), Inclusive or NoTax: sent on every invoice
    line_amount_type: str = "Exclusive"
    #: where the invoices come from ("file" or "maica"): the advice names the export's columns or
    #: the Maica org's records
    source: str = "file"


@runtime_checkable
class Flow(Protocol):
    """A sync flow: which invoices it pushes and what each becomes in Xero.

    ``matches_by`` says how an invoice is found again in Xero: ``"number"`` when the Maica number is
    Xero's ``InvoiceNumber`` (unique in the organisation), ``"reference"`` when Xero numbers the
    invoice and the Maica number is in ``Reference``.
    """

    @property
    def name(self) -> str: ...

    @property
    def description(self) -> str: ...

    @property
    def matches_by(self) -> Literal["number", "reference"]: ...

    def selects(self, invoice: Invoice) -> bool: ...

    def to_xero(self, invoice: Invoice, context: MappingContext) -> dict[str, Any]: ...


def _amount(value: Decimal) -> str | float:
    return float(value)


def line_account(line: Line, items: dict[str, SupportItem], default: str) -> str:
    item = items.get(line.support_item_number)
    return line.account_code or (item.account_code if item else "") or default


def line_tax_type(line: Line, items: dict[str, SupportItem], default: str) -> str:
    item = items.get(line.support_item_number)
    return line.tax_type or (item.tax_type if item else "") or default


def line_description(line: Line, items: dict[str, SupportItem]) -> str:
    item = items.get(line.support_item_number)
    text = (
        line.description
        or (item.xero_description if item else "")
        or line.support_item_name
        or (item.name if item else "")
    )
    parts = [line.support_item_number]
    if text:
        parts.append(text)
    if line.service_date:
        parts.append(f"({line.service_date.isoformat()})")
    return " ".join(parts)


def map_lines(invoice: Invoice, context: MappingContext) -> list[dict[str, Any]]:
    items = context.support_items
    mapped = []
    for line in invoice.lines:
        entry: dict[str, Any] = {
            "Description": line_description(line, items),
            "Quantity": _amount(line.quantity),
            "UnitAmount": _amount(line.unit_price),
            "AccountCode": line_account(line, items, context.default_account_code),
            "TaxType": line_tax_type(line, items, context.default_tax_type),
        }
        if line.tracking:
            entry["Tracking"] = [{"Name": c, "Option": o} for c, o in line.tracking]
        mapped.append(entry)
    return mapped


def due_date(invoice: Invoice, context: MappingContext) -> str:
    due = invoice.due_date or invoice.invoice_date + timedelta(days=context.payment_terms_days)
    return due.isoformat()


def participant_reference(invoice: Invoice) -> str:
    """What plan managers look for: the participant and their NDIS number."""
    text = invoice.participant_name
    if invoice.ndis_number:
        text += f" NDIS {invoice.ndis_number}"
    return text[:255]


def not_eligible_reason(flow_name: str, invoice: Invoice) -> str:
    """Why a flow leaves an invoice alone (its Maica status is not one the flow sends)."""
    if invoice.status == "Cancelled":
        return "Cancelled in Maica: never sent."
    return f"Not sent by the {flow_name} flow: status {invoice.status}."


#: how the reason of an invoice read from the Maica org, left alone with the source ``file``,
#: begins (the source, not the flow, decides it)
FROM_MAICA_ORG = "Read from the Maica org: choose the Maica org as the source to send it"
#: how the reason of an invoice read from the Maica org dated before ``maica-since`` begins
BEFORE_MAICA_SINCE = "Dated before the earliest invoice date to read, maica-since"
#: how the reason of an invoice no longer in the Maica org begins
GONE_FROM_MAICA = "No longer in the Maica org"
#: the reasons the source decides (kept as they are by a look that does not know the source)
SOURCE_REASONS = (FROM_MAICA_ORG, BEFORE_MAICA_SINCE, GONE_FROM_MAICA)


def source_reason(
    source: str, since: date | None, invoice: Invoice, from_maica_org: bool, gone: bool = False
) -> str:
    """Why the source leaves an unsent invoice alone ("" when it does not).

    With the source ``file`` an invoice read from the Maica org is never sent: the org's
    changes since the pull would not be read and no write-back would follow. With the Maica org
    as the source, one dated before ``maica-since`` is not sent (the setting filters what a
    pull reads; this keeps out those the store already holds). A file-imported invoice is
    never held back here, whatever the source.
    """
    if not from_maica_org:
        return ""
    if gone:  # deleted in Maica after it was read (or hidden from the API user): never sent
        return (
            f"{GONE_FROM_MAICA} (deleted there, or hidden from the API user): not sent. If it "
            "was deleted by mistake, restore it in Maica; the next pull reads it again."
        )
    if source == "file":
        return f"{FROM_MAICA_ORG}."
    if source == "maica" and since is not None and invoice.invoice_date < since:
        return (
            f"{BEFORE_MAICA_SINCE} {since.isoformat()}: not sent. Set maica-since to "
            f"{invoice.invoice_date.isoformat()} or earlier (or off) to send it."
        )
    return ""


@dataclass(frozen=True)
class StandardFlow:
    name: str
    description: str
    matches_by: Literal["number", "reference"]
    xero_status: Literal["DRAFT", "SUBMITTED", "AUTHORISED"]
    statuses: frozenset[str]

    def selects(self, invoice: Invoice) -> bool:
        return invoice.status in self.statuses

    def to_xero(self, invoice: Invoice, context: MappingContext) -> dict[str, Any]:
        payload: dict[str, Any] = {
            "Type": "ACCREC",
            "Contact": {"ContactID": context.contact_id},
            "Date": invoice.invoice_date.isoformat(),
            "DueDate": due_date(invoice, context),
            "LineAmountTypes": context.line_amount_type,
            "Status": self.xero_status,
            "CurrencyCode": invoice.currency,
            "LineItems": map_lines(invoice, context),
        }
        if self.matches_by == "number":
            payload["InvoiceNumber"] = invoice.invoice_number
            payload["Reference"] = participant_reference(invoice)
        else:
            payload["Reference"] = invoice.invoice_number
        return payload
