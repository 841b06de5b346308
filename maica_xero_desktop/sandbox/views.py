"""Records -> Accounting API JSON (field names exactly as in xero_accounting.yaml), plus the
echo of a rejected batch element."""

from __future__ import annotations

from typing import Any

from .ledger import Contact, Invoice, Ledger, Line, Payment
from .timefmt import day_ms_date, day_string, ms_date_tz, utc_string

_INVOICE_INPUT_KEYS = (
    "Type",
    "InvoiceNumber",
    "Reference",
    "Date",
    "DueDate",
    "Status",
    "LineAmountTypes",
    "CurrencyCode",
)
_LINE_INPUT_KEYS = (
    "Description",
    "Quantity",
    "UnitAmount",
    "ItemCode",
    "AccountCode",
    "TaxType",
    "LineAmount",
    "DiscountRate",
)
_CONTACT_INPUT_KEYS = (
    "ContactID",
    "ContactNumber",
    "Name",
    "FirstName",
    "LastName",
    "EmailAddress",
    "AccountNumber",
)


def contact_json(contact: Contact, *, brief: bool = False) -> dict[str, Any]:
    data: dict[str, Any] = {
        "ContactID": contact.contact_id,
        "ContactStatus": contact.status,
        "Name": contact.name,
    }
    for key, value in (
        ("ContactNumber", contact.contact_number),
        ("FirstName", contact.first_name),
        ("LastName", contact.last_name),
        ("EmailAddress", contact.email),
        ("AccountNumber", contact.account_number),
    ):
        if value:
            data[key] = value
    if brief:
        data["HasValidationErrors"] = False
        return data
    data.update(
        Addresses=[],
        Phones=[],
        UpdatedDateUTC=ms_date_tz(contact.updated),
        ContactGroups=[],
        IsSupplier=False,
        IsCustomer=contact.is_customer,
        SalesTrackingCategories=[],
        PurchasesTrackingCategories=[],
        ContactPersons=[],
        HasAttachments=False,
        HasValidationErrors=False,
        StatusAttributeString="OK",
    )
    return data


def line_json(line: Line, unitdp: int) -> dict[str, Any]:
    data: dict[str, Any] = {"LineItemID": line.line_item_id}
    if line.description is not None:
        data["Description"] = line.description
    if line.quantity is not None:
        data["Quantity"] = line.quantity
    if line.unit_amount is not None:
        data["UnitAmount"] = round(line.unit_amount, unitdp)
    if line.item_code:
        data["ItemCode"] = line.item_code
    if line.account_code:
        data["AccountCode"] = line.account_code
    if line.tax_type:
        data["TaxType"] = line.tax_type
    if line.discount_rate is not None:
        data["DiscountRate"] = line.discount_rate
    data.update(TaxAmount=line.tax_amount, LineAmount=line.line_amount, Tracking=line.tracking)
    return data


def payment_brief(payment: Payment) -> dict[str, Any]:
    return {
        "PaymentID": payment.payment_id,
        "Date": day_ms_date(payment.date),
        "Amount": payment.amount,
        "Reference": payment.reference,
        "CurrencyRate": 1.0,
        "HasAccount": True,
        "HasValidationErrors": False,
    }


#: how each kind of credit names its id on an invoice (xero_accounting.yaml)
CREDIT_ID = {
    "CREDITNOTE": "CreditNoteID",
    "PREPAYMENT": "PrepaymentID",
    "OVERPAYMENT": "OverpaymentID",
}


def applied(invoice: Invoice, kind: str) -> list[dict[str, Any]]:
    """The credits of one kind applied to an invoice, as the invoice lists them: the credit's
    id, date and the amount applied to this invoice (``AppliedAmount``)."""
    found: list[dict[str, Any]] = []
    for k, credit_id, number, amount, day in invoice.credits:
        if k != kind:
            continue
        data: dict[str, Any] = {CREDIT_ID[kind]: credit_id, "Date": day_ms_date(day)}
        if kind == "CREDITNOTE":
            data["CreditNoteNumber"] = number
        data["AppliedAmount"] = amount
        found.append(data)
    return found


def invoice_json(
    ledger: Ledger, invoice: Invoice, *, lines: bool, unitdp: int = 2, summary: bool = False
) -> dict[str, Any]:
    contact = ledger.contacts[invoice.contact_id]
    data: dict[str, Any] = {
        "Type": invoice.type,
        "InvoiceID": invoice.invoice_id,
        "InvoiceNumber": invoice.number,
        "Reference": invoice.reference,
        "AmountDue": invoice.amount_due,
        "AmountPaid": invoice.amount_paid,
        "AmountCredited": invoice.amount_credited,
        "CurrencyRate": 1.0,
        "IsDiscounted": any(line.discount_rate for line in invoice.lines),
        "HasAttachments": False,
        "HasErrors": False,
        "Contact": contact_json(contact, brief=True),
        "DateString": day_string(invoice.date),
        "Date": day_ms_date(invoice.date),
    }
    if invoice.due_date:
        data["DueDateString"] = day_string(invoice.due_date)
        data["DueDate"] = day_ms_date(invoice.due_date)
    data.update(
        Status=invoice.status,
        LineAmountTypes=invoice.line_amount_types,
        SubTotal=invoice.sub_total,
        TotalTax=invoice.total_tax,
        Total=invoice.total,
        UpdatedDateUTC=ms_date_tz(invoice.updated),
        CurrencyCode=invoice.currency_code,
    )
    if invoice.fully_paid_on:
        data["FullyPaidOnDate"] = day_ms_date(invoice.fully_paid_on)
    if summary:
        return data
    data.update(
        Payments=[payment_brief(ledger.payments[p]) for p in invoice.payment_ids],
        CreditNotes=applied(invoice, "CREDITNOTE"),
        Prepayments=applied(invoice, "PREPAYMENT"),
        Overpayments=applied(invoice, "OVERPAYMENT"),
        SentToContact=False,
        StatusAttributeString="OK",
    )
    if lines:
        data["LineItems"] = [line_json(line, unitdp) for line in invoice.lines]
    return data


def _pick(given: dict[str, Any], keys: tuple[str, ...]) -> dict[str, Any]:
    return {k: given[k] for k in keys if k in given and given[k] is not None}


def rejected_invoice(given: Any, invoice_id: str, errors: list[str]) -> dict[str, Any]:
    """A failed element as Xero echoes it: what was sent, ``HasErrors`` and the messages."""
    data: dict[str, Any] = {"InvoiceID": invoice_id}
    if isinstance(given, dict):
        data.update(_pick(given, _INVOICE_INPUT_KEYS))
        if isinstance(given.get("Contact"), dict):
            data["Contact"] = _pick(given["Contact"], _CONTACT_INPUT_KEYS)
        if isinstance(given.get("LineItems"), list):
            data["LineItems"] = [
                _pick(line, _LINE_INPUT_KEYS)
                for line in given["LineItems"]
                if isinstance(line, dict)
            ]
    data.update(
        HasErrors=True,
        StatusAttributeString="ERROR",
        ValidationErrors=[{"Message": m} for m in errors],
    )
    return data


def rejected_contact(given: Any, contact_id: str, errors: list[str]) -> dict[str, Any]:
    data: dict[str, Any] = {"ContactID": contact_id}
    if isinstance(given, dict):
        data.update(_pick(given, _CONTACT_INPUT_KEYS))
        data["ContactID"] = contact_id
    data.update(
        HasValidationErrors=True,
        StatusAttributeString="ERROR",
        ValidationErrors=[{"Message": m} for m in errors],
    )
    return data


def payment_json(ledger: Ledger, payment: Payment) -> dict[str, Any]:
    invoice = ledger.invoices[payment.invoice_id]
    contact = ledger.contacts[invoice.contact_id]
    account = ledger.chart.accounts[payment.account_code]
    return {
        "PaymentID": payment.payment_id,
        "Date": day_ms_date(payment.date),
        "BankAmount": payment.amount,
        "Amount": payment.amount,
        "Reference": payment.reference,
        "CurrencyRate": 1.0,
        "PaymentType": "ACCRECPAYMENT" if invoice.type == "ACCREC" else "ACCPAYPAYMENT",
        "Status": payment.status,
        "UpdatedDateUTC": ms_date_tz(payment.updated),
        "UpdatedDateUTCString": utc_string(payment.updated),
        "HasAccount": True,
        "IsReconciled": False,
        "Account": {"AccountID": account["AccountID"], "Code": account["Code"]},
        "Invoice": {
            "Type": invoice.type,
            "InvoiceID": invoice.invoice_id,
            "InvoiceNumber": invoice.number,
            "Contact": contact_json(contact, brief=True),
            "CurrencyCode": invoice.currency_code,
        },
        "HasValidationErrors": False,
    }
