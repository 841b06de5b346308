"""``PUT /Payments`` (against AUTHORISED invoices: AmountPaid/AmountDue, PAID when settled) and
``GET /Payments``; plus :func:`pay` and :func:`void` for the admin shortcuts."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from .accounting import envelope
from .api import ApiContext, add_api_route
from .batch import (
    BatchWrite,
    PostDataError,
    elements,
    query_error,
    refused,
    write_batch,
    xero_error,
)
from .invoice_rules import number, parse_day, text_of
from .ledger import Invoice, Ledger, LedgerEvent, Payment
from .listing import listing
from .query import Fields, QueryError
from .routes import Router
from .timefmt import today
from .views import payment_json
from .web import Request, Response, json_response, problem

if TYPE_CHECKING:
    from .app import SandboxApp

READ = (
    "accounting.payments",
    "accounting.payments.read",
    "accounting.transactions",
    "accounting.transactions.read",
)
WRITE = ("accounting.payments", "accounting.transactions")
DEFAULT_BANK = "090"

FIELDS: Fields = {
    "paymentid": lambda p: p.payment_id,
    "status": lambda p: p.status,
    "amount": lambda p: p.amount,
    "date": lambda p: p.date,
    "reference": lambda p: p.reference,
    "invoice.invoiceid": lambda p: p.invoice_id,
}


class PaymentError(ValueError):
    pass


def find_invoice(ledger: Ledger, invoice_id: str | None, invoice_number: str | None) -> Invoice:
    found = None
    if invoice_id:
        found = ledger.invoices.get(invoice_id.lower())
    elif invoice_number:
        found = ledger.invoice_by_number(invoice_number)
    if found is None:
        raise PaymentError("Invoice could not be found.")
    return found


def pay(
    ledger: Ledger,
    invoice: Invoice,
    amount: Decimal,
    now: float,
    *,
    day: str | None = None,
    account_code: str = DEFAULT_BANK,
    reference: str = "",
) -> Payment:
    """Apply a payment (hold the state lock). Raises PaymentError with Xero-like messages."""
    account = ledger.chart.accounts.get(account_code)
    if account is None or account["Status"] != "ACTIVE":
        raise PaymentError(f"Account code '{account_code}' is not a valid code for this document.")
    if account["Type"] != "BANK" and not account.get("EnablePaymentsToAccount"):
        raise PaymentError("Payments can only be made to a bank account or one enabled for them.")
    if invoice.status != "AUTHORISED":
        raise PaymentError("Payments can only be made against Authorised documents.")
    due = Decimal(str(invoice.amount_due))
    if amount <= 0:
        raise PaymentError("The payment amount must be greater than zero.")
    if amount > due:
        raise PaymentError("The payment amount exceeds the amount outstanding on this document.")
    payment = Payment(
        payment_id=str(uuid.uuid4()),
        invoice_id=invoice.invoice_id,
        account_code=account_code,
        date=day or today(now),
        amount=float(amount),
        reference=reference,
        status="AUTHORISED",
        created=now,
        updated=now,
    )
    ledger.payments[payment.payment_id] = payment
    invoice.payment_ids.append(payment.payment_id)
    invoice.amount_paid = float(Decimal(str(invoice.amount_paid)) + amount)
    invoice.updated = now
    if invoice.amount_due <= 0:
        invoice.status = "PAID"
        invoice.fully_paid_on = payment.date
    return payment


def void(invoice: Invoice, now: float) -> None:
    settled = invoice.amount_paid > 0 or invoice.amount_credited > 0
    if invoice.status not in ("AUTHORISED", "SUBMITTED", "DRAFT") or settled:
        raise PaymentError("Invoice not of valid status for modification")
    invoice.status = "VOIDED" if invoice.status == "AUTHORISED" else "DELETED"
    invoice.updated = now


def reverse(ledger: Ledger, payment: Payment, now: float) -> Invoice:
    """Delete a payment (Xero's reversal, ``POST /Payments/{id}`` with Status DELETED): it
    leaves the invoice's Payments, AmountPaid drops, a PAID invoice is AUTHORISED again."""
    if payment.status == "DELETED":
        raise PaymentError("This payment has already been deleted.")
    invoice = ledger.invoices[payment.invoice_id]
    payment.status = "DELETED"
    payment.updated = now
    if payment.payment_id in invoice.payment_ids:
        invoice.payment_ids.remove(payment.payment_id)
    invoice.amount_paid = float(Decimal(str(invoice.amount_paid)) - Decimal(str(payment.amount)))
    if invoice.status == "PAID" and invoice.amount_due > 0:
        invoice.status = "AUTHORISED"
        invoice.fully_paid_on = None
    invoice.updated = now
    return invoice


def _one(ledger: Ledger, given: Any, now: float) -> Payment:
    if not isinstance(given, dict):
        raise PaymentError("Invalid payment")
    inv: dict[str, Any] = given["Invoice"] if isinstance(given.get("Invoice"), dict) else {}
    invoice = find_invoice(ledger, text_of(inv, "InvoiceID"), text_of(inv, "InvoiceNumber"))
    acc: dict[str, Any] = given["Account"] if isinstance(given.get("Account"), dict) else {}
    code = text_of(acc, "Code")
    if code is None and (acc_id := text_of(acc, "AccountID")):
        code = next(
            (a["Code"] for a in ledger.chart.accounts.values() if a["AccountID"] == acc_id), ""
        )
    if not code:
        raise PaymentError("An Account must be specified for the payment.")
    amount = number(given.get("Amount"))
    if amount is None:
        raise PaymentError("The payment amount must be specified.")
    day = parse_day(given["Date"]) if "Date" in given else None
    if "Date" in given and day is None:
        raise PaymentError("The payment date is required.")
    reference = str(given["Reference"]) if isinstance(given.get("Reference"), str) else ""
    return pay(ledger, invoice, amount, now, day=day, account_code=code, reference=reference)


def put_payments(
    app: SandboxApp, request: Request, params: dict[str, str], ctx: ApiContext
) -> Response:
    def one(batch: BatchWrite, given: Any) -> tuple[dict[str, Any], bool]:
        try:
            payment = _one(batch.ledger, given, batch.now)
        except PaymentError as exc:
            return refused("PaymentID", str(exc))
        batch.event("INVOICE", "UPDATE", payment.invoice_id)
        return payment_json(batch.ledger, payment), False

    return write_batch(app, request, ctx, "Payments", one)


def post_payment(
    app: SandboxApp, request: Request, params: dict[str, str], ctx: ApiContext
) -> Response:
    """Only ``{"Status": "DELETED"}`` changes a payment (xero_accounting.yaml PaymentDelete)."""
    try:
        given = elements(request, "Payments")
    except PostDataError as exc:
        return xero_error(14, "PostDataInvalidException", str(exc))
    first = given[0] if given and isinstance(given[0], dict) else {}
    if str(first.get("Status", "")).upper() != "DELETED":
        return xero_error(
            10,
            "ValidationException",
            "A validation exception occurred",
            [{"ValidationErrors": [{"Message": "Payments can only be deleted (Status DELETED)."}]}],
        )
    state, tenant = app.state, ctx.org.tenant_id
    with state.lock:
        ledger = state.ledger(tenant)
        now = state.now()
        payment = ledger.payments.get(params["key"].lower())
        if payment is None:
            return problem(404, "NotFound", "The resource you're looking for cannot be found")
        try:
            invoice = reverse(ledger, payment, now)
        except PaymentError as exc:
            return xero_error(
                10,
                "ValidationException",
                "A validation exception occurred",
                [{"ValidationErrors": [{"Message": str(exc)}]}],
            )
        state.mark_dirty()
        answer = payment_json(ledger, payment)
    state.notify([LedgerEvent(tenant, "INVOICE", "UPDATE", invoice.invoice_id, now)])
    return json_response(200, envelope(app, "Payments", [answer]))


def get_payments(
    app: SandboxApp, request: Request, params: dict[str, str], ctx: ApiContext
) -> Response:
    with app.state.lock:
        ledger = app.state.ledger(ctx.org.tenant_id)
        try:
            found, page = listing(request, ledger.payments, FIELDS, "Payment", {}, [])
        except QueryError as exc:
            return query_error(exc)
        items = [payment_json(ledger, p) for p in found]
    return json_response(200, page(app, "Payments", items))


def register(router: Router) -> None:
    add_api_route(router, "GET", r"Payments/?", get_payments, scopes=READ)
    add_api_route(router, "PUT", r"Payments/?", put_payments, scopes=WRITE)
    add_api_route(router, "POST", r"Payments/(?P<key>[^/]+)/?", post_payment, scopes=WRITE)
