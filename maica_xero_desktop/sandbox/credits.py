"""Credits against sales invoices: ``PUT /CreditNotes`` (ACCRECCREDIT), ``GET /CreditNotes/{id}``,
``PUT /CreditNotes/{id}/Allocations``; and :func:`make_credit` / :func:`allocate` for the admin
shortcut that also makes prepayments and overpayments (the API's own routes for those — bank
transactions of type RECEIVE-PREPAYMENT / RECEIVE-OVERPAYMENT — are not modelled).

An allocation lowers the invoice's ``AmountDue`` and raises ``AmountCredited`` (``AmountPaid``
is unchanged); an invoice with nothing left due becomes PAID, as in Xero.
"""

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
    idempotent,
    refused,
    unitdp,
    write_batch,
    xero_error,
)
from .invoice_rules import build_line, number, parse_day, resolve_contact, text_of
from .ledger import Credit, Invoice, Ledger, LedgerEvent, Line
from .routes import Router
from .timefmt import day_ms_date, ms_date_tz, today
from .views import contact_json, line_json
from .web import Request, Response, json_response, problem

if TYPE_CHECKING:
    from .app import SandboxApp

READ = (
    "accounting.invoices",
    "accounting.invoices.read",
    "accounting.transactions",
    "accounting.transactions.read",
)
WRITE = ("accounting.invoices", "accounting.transactions")
KINDS = ("CREDITNOTE", "PREPAYMENT", "OVERPAYMENT")


class CreditError(ValueError):
    pass


def make_credit(
    ledger: Ledger,
    kind: str,
    contact_id: str,
    lines: list[Line],
    day: str,
    now: float,
    *,
    status: str = "AUTHORISED",
    reference: str = "",
) -> Credit:
    """A new credit (hold the state lock); totals from its lines (Exclusive)."""
    amounts = sum((Decimal(str(line.line_amount)) for line in lines), Decimal(0))
    tax = sum((Decimal(str(line.tax_amount)) for line in lines), Decimal(0))
    total = float(amounts + tax)
    number = ""
    if kind == "CREDITNOTE":
        number = f"CN-{ledger.next_credit_number:04d}"
        ledger.next_credit_number += 1
    credit = Credit(
        credit_id=str(uuid.uuid4()),
        kind=kind,
        number=number,
        contact_id=contact_id,
        date=day,
        status=status,
        line_amount_types="Exclusive",
        lines=lines,
        sub_total=float(amounts),
        total_tax=float(tax),
        total=total,
        remaining=total if status == "AUTHORISED" else 0.0,
        created=now,
        updated=now,
        reference=reference,
    )
    ledger.credits[credit.credit_id] = credit
    return credit


def allocate(
    credit: Credit, invoice: Invoice, amount: Decimal, day: str | None, now: float
) -> None:
    """Apply ``amount`` of a credit to an invoice (hold the state lock)."""
    if credit.status != "AUTHORISED":
        raise CreditError("Only authorised credit notes can be allocated.")
    if invoice.status != "AUTHORISED":
        raise CreditError("Credit can only be allocated to Authorised invoices.")
    if amount <= 0:
        raise CreditError("The allocation amount must be greater than zero.")
    if amount > Decimal(str(credit.remaining)):
        raise CreditError("The amount being allocated exceeds the remaining credit.")
    if amount > Decimal(str(invoice.amount_due)):
        raise CreditError("The amount being allocated exceeds the amount due on the invoice.")
    when = day or today(now)
    invoice.credits.append([credit.kind, credit.credit_id, credit.number, float(amount), when])
    credit.remaining = float(Decimal(str(credit.remaining)) - amount)
    if credit.remaining <= 0:
        credit.status = "PAID"
    credit.updated = now
    invoice.updated = now
    if invoice.amount_due <= 0:
        invoice.status = "PAID"
        invoice.fully_paid_on = when


def credit_json(ledger: Ledger, credit: Credit) -> dict[str, Any]:
    contact = ledger.contacts[credit.contact_id]
    allocations = [
        {
            "Invoice": {"InvoiceID": inv.invoice_id, "InvoiceNumber": inv.number},
            "Amount": c[3],
            "Date": day_ms_date(c[4]),
        }
        for inv in ledger.invoices.values()
        for c in inv.credits
        if c[1] == credit.credit_id
    ]
    return {
        "Type": "ACCRECCREDIT",
        "CreditNoteID": credit.credit_id,
        "CreditNoteNumber": credit.number,
        "Reference": credit.reference,
        "Contact": contact_json(contact, brief=True),
        "Date": day_ms_date(credit.date),
        "Status": credit.status,
        "LineAmountTypes": credit.line_amount_types,
        "LineItems": [line_json(line, 2) for line in credit.lines],
        "SubTotal": credit.sub_total,
        "TotalTax": credit.total_tax,
        "Total": credit.total,
        "RemainingCredit": credit.remaining,
        "Allocations": allocations,
        "CurrencyCode": "AUD",
        "CurrencyRate": 1.0,
        "UpdatedDateUTC": ms_date_tz(credit.updated),
        "HasAttachments": False,
        "HasErrors": False,
    }


def _build(ledger: Ledger, given: Any, now: float, dp: int) -> Credit:
    if not isinstance(given, dict):
        raise CreditError("Invalid credit note")
    if (text_of(given, "Type") or "").upper() != "ACCRECCREDIT":
        raise CreditError("Only ACCRECCREDIT credit notes are modelled by the sandbox.")
    errors: list[str] = []
    contact, _new = resolve_contact(ledger, given.get("Contact"), "ACCREC", now, errors)
    if _new is not None:
        errors.append("The contact of a credit note must exist.")
    status = (text_of(given, "Status") or "DRAFT").upper()
    if status not in ("DRAFT", "SUBMITTED", "AUTHORISED"):
        errors.append("Credit notes can be created DRAFT, SUBMITTED or AUTHORISED.")
    day = parse_day(given["Date"]) if "Date" in given else today(now)
    if day is None:
        errors.append("The credit note date is not valid.")
    lines: list[Line] = []
    raw = given.get("LineItems")
    for item in raw if isinstance(raw, list) else []:
        line = build_line(ledger, item, "ACCREC", "Exclusive", dp, True, errors)
        if line is not None:
            lines.append(line)
    if not lines and not errors:
        errors.append("A credit note must have at least one line item.")
    if errors or contact is None or day is None:
        raise CreditError(" ".join(errors) or "Invalid credit note")
    reference = str(given["Reference"]) if isinstance(given.get("Reference"), str) else ""
    cid = contact.contact_id
    return make_credit(
        ledger, "CREDITNOTE", cid, lines, day, now, status=status, reference=reference
    )


def put_credit_notes(
    app: SandboxApp, request: Request, params: dict[str, str], ctx: ApiContext
) -> Response:
    dp = unitdp(request)

    def one(batch: BatchWrite, given: Any) -> tuple[dict[str, Any], bool]:
        batch.changed = True  # saved whatever came of it, as before the writer was shared
        try:
            credit = _build(batch.ledger, given, batch.now, dp)
        except CreditError as exc:
            return refused("CreditNoteID", str(exc), flag="HasErrors")
        return credit_json(batch.ledger, credit), False

    return write_batch(app, request, ctx, "CreditNotes", one)


def _credit_note(ledger: Ledger, key: str) -> Credit | None:
    found = ledger.credits.get(key.lower())
    if found is None:
        found = next((c for c in ledger.credits.values() if c.number == key), None)
    return found if found is not None and found.kind == "CREDITNOTE" else None


def get_credit_note(
    app: SandboxApp, request: Request, params: dict[str, str], ctx: ApiContext
) -> Response:
    with app.state.lock:
        ledger = app.state.ledger(ctx.org.tenant_id)
        found = _credit_note(ledger, params["key"])
        if found is None:
            return problem(404, "NotFound", "The resource you're looking for cannot be found")
        data = credit_json(ledger, found)
    return json_response(200, envelope(app, "CreditNotes", [data]))


def put_allocations(
    app: SandboxApp, request: Request, params: dict[str, str], ctx: ApiContext
) -> Response:
    def act() -> Response:
        try:
            items = elements(request, "Allocations")
        except PostDataError as exc:
            return xero_error(14, "PostDataInvalidException", str(exc))
        state, tenant = app.state, ctx.org.tenant_id
        events: list[LedgerEvent] = []
        answers: list[dict[str, Any]] = []
        with state.lock:
            ledger = state.ledger(tenant)
            now = state.now()
            credit = _credit_note(ledger, params["key"])
            if credit is None:
                return problem(404, "NotFound", "The resource you're looking for cannot be found")
            for given in items:
                try:
                    wanted = given.get("Invoice") if isinstance(given, dict) else None
                    inv_id = text_of(wanted, "InvoiceID") if isinstance(wanted, dict) else None
                    invoice = ledger.invoices.get((inv_id or "").lower())
                    if invoice is None:
                        raise CreditError("Invoice could not be found.")
                    amount = number(given.get("Amount"))
                    if amount is None:
                        raise CreditError("The allocation amount must be specified.")
                    day = parse_day(given["Date"]) if "Date" in given else None
                    allocate(credit, invoice, amount, day, now)
                except CreditError as exc:
                    return xero_error(
                        10,
                        "ValidationException",
                        "A validation exception occurred",
                        [{"ValidationErrors": [{"Message": str(exc)}]}],
                    )
                events.append(LedgerEvent(tenant, "INVOICE", "UPDATE", invoice.invoice_id, now))
                answers.append(
                    {
                        "AllocationID": str(uuid.uuid4()),
                        "Invoice": {"InvoiceID": invoice.invoice_id},
                        "CreditNote": {"CreditNoteID": credit.credit_id},
                        "Amount": float(amount),
                        "Date": day_ms_date(invoice.credits[-1][4]),
                    }
                )
            state.mark_dirty()
        state.notify(events)
        return json_response(200, envelope(app, "Allocations", answers))

    return idempotent(app, request, ctx, act)


def register(router: Router) -> None:
    add_api_route(router, "PUT", r"CreditNotes/?", put_credit_notes, scopes=WRITE)
    add_api_route(router, "GET", r"CreditNotes/(?P<key>[^/]+)/?", get_credit_note, scopes=READ)
    add_api_route(
        router, "PUT", r"CreditNotes/(?P<key>[^/]+)/Allocations/?", put_allocations, scopes=WRITE
    )
