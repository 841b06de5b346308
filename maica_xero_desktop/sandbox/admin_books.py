"""Test controls for the accounting data (``/_sandbox/...``, JSON in and out):

- ``GET /_sandbox/invoices?tenant_id=T`` -> ``{"tenant_id", "invoices": [...]}``
- ``GET /_sandbox/contacts?tenant_id=T`` -> ``{"tenant_id", "contacts": [...]}``
- ``POST /_sandbox/payments {"tenant_id", "invoice_id" | "invoice_number", "amount"}``
- ``POST /_sandbox/void {"tenant_id", "invoice_id" | "invoice_number"}``
- ``POST /_sandbox/credit {"tenant_id", "invoice_id" | "invoice_number", "amount", "kind",
  "date"}``: a credit of ``kind`` CREDITNOTE | PREPAYMENT | OVERPAYMENT (default CREDITNOTE) for
  the invoice's contact, of exactly ``amount`` (no tax), allocated to the invoice in full
- ``POST /_sandbox/reverse {"tenant_id", "payment_id"}``: delete (reverse) a payment
- ``POST /_sandbox/archive {"tenant_id", "contact_id" | "contact_number", "archived"}``:
  archive (default) or restore a contact
- ``POST /_sandbox/organisation {"tenant_id", "period_lock_date", "end_of_year_lock_date",
  "denied_actions"}`` -> the organisation's controls (lock dates ``YYYY-MM-DD`` or null; actions
  from orgcontrols.ACTIONS)

``tenant_id`` defaults to the first organisation of the configuration.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Callable
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from .admin import _wrap
from .credits import KINDS, CreditError, allocate, make_credit
from .invoice_rules import number
from .ledger import Invoice, Ledger, LedgerEvent, Line
from .payments import PaymentError, find_invoice, pay, reverse, void
from .routes import Handler, Router
from .timefmt import today
from .web import Request, Response, json_response

if TYPE_CHECKING:
    from .app import SandboxApp


def _tenant(app: SandboxApp, given: Any) -> str:
    if isinstance(given, str) and given:
        if given not in app.state.orgs:
            raise ValueError(f"unknown tenant_id {given}")
        return given
    return app.config.organisations[0].tenant_id


def invoice_summary(app: SandboxApp, tenant_id: str, invoice: Invoice) -> dict[str, Any]:
    contact = app.state.ledger(tenant_id).contacts[invoice.contact_id]
    return {
        "InvoiceID": invoice.invoice_id,
        "InvoiceNumber": invoice.number,
        "Reference": invoice.reference,
        "Type": invoice.type,
        "Status": invoice.status,
        "Date": invoice.date,
        "DueDate": invoice.due_date,
        "Total": invoice.total,
        "AmountPaid": invoice.amount_paid,
        "AmountCredited": invoice.amount_credited,
        "PaymentIDs": list(invoice.payment_ids),
        "AmountDue": invoice.amount_due,
        "LineCount": len(invoice.lines),
        "ContactID": contact.contact_id,
        "ContactName": contact.name,
        "ContactNumber": contact.contact_number,
        "Updated": invoice.updated,
    }


def list_invoices(app: SandboxApp, tenant_id: str | None = None) -> list[dict[str, Any]]:
    tenant = _tenant(app, tenant_id)
    with app.state.lock:
        ledger = app.state.ledger(tenant)
        return [invoice_summary(app, tenant, i) for i in ledger.invoices.values()]


def list_contacts(app: SandboxApp, tenant_id: str | None = None) -> list[dict[str, Any]]:
    tenant = _tenant(app, tenant_id)
    with app.state.lock:
        return [
            {
                "ContactID": c.contact_id,
                "Name": c.name,
                "ContactNumber": c.contact_number,
                "EmailAddress": c.email,
                "ContactStatus": c.status,
            }
            for c in app.state.ledger(tenant).contacts.values()
        ]


def _update_invoice(
    app: SandboxApp,
    body: dict[str, Any],
    change: Callable[[Ledger, float], tuple[Invoice, dict[str, Any]]],
) -> dict[str, Any]:
    """Apply ``change`` (ledger, now -> the invoice it changed, extra answer fields) to the
    body's organisation under the state's lock; a refusal from the books becomes a ValueError
    (400), and a change is saved and announced as Xero would (an INVOICE UPDATE event)."""
    tenant = _tenant(app, body.get("tenant_id"))
    state = app.state
    with state.lock:
        ledger = state.ledger(tenant)
        now = state.now()
        try:
            invoice, extra = change(ledger, now)
        except (PaymentError, CreditError) as exc:
            raise ValueError(str(exc)) from exc
        state.mark_dirty()
        summary = invoice_summary(app, tenant, invoice)
    state.notify([LedgerEvent(tenant, "INVOICE", "UPDATE", invoice.invoice_id, now)])
    return {"tenant_id": tenant, **extra, "invoice": summary}


def change_invoice(app: SandboxApp, body: dict[str, Any], action: str) -> dict[str, Any]:
    """``action`` "pay" (``amount``, optional ``date``, ``account_code``) or "void"."""

    def change(ledger: Ledger, now: float) -> tuple[Invoice, dict[str, Any]]:
        invoice = find_invoice(ledger, body.get("invoice_id"), body.get("invoice_number"))
        if action == "pay":
            amount = number(body.get("amount"))
            if amount is None:
                raise ValueError("amount is required")
            pay(
                ledger,
                invoice,
                Decimal(amount),
                now,
                day=body.get("date"),
                account_code=str(body.get("account_code", "090")),
            )
        else:
            void(invoice, now)
        return invoice, {}

    return _update_invoice(app, body, change)


def credit_invoice(app: SandboxApp, body: dict[str, Any]) -> dict[str, Any]:
    def change(ledger: Ledger, now: float) -> tuple[Invoice, dict[str, Any]]:
        kind = str(body.get("kind", "CREDITNOTE")).upper()
        if kind not in KINDS:
            raise ValueError(f"kind must be one of {', '.join(KINDS)}")
        amount = number(body.get("amount"))
        if amount is None or amount <= 0:
            raise ValueError("amount must be a positive number")
        invoice = find_invoice(ledger, body.get("invoice_id"), body.get("invoice_number"))
        line = Line(
            str(uuid.uuid4()),
            "Credit",
            1.0,
            float(amount),
            "200",
            "BASEXCLUDED",
            0.0,
            float(amount),
        )
        day = body.get("date") if isinstance(body.get("date"), str) else None
        credit = make_credit(ledger, kind, invoice.contact_id, [line], day or today(now), now)
        allocate(credit, invoice, amount, day, now)
        return invoice, {"credit_id": credit.credit_id}

    return _update_invoice(app, body, change)


def reverse_payment(app: SandboxApp, body: dict[str, Any]) -> dict[str, Any]:
    def change(ledger: Ledger, now: float) -> tuple[Invoice, dict[str, Any]]:
        payment = ledger.payments.get(str(body.get("payment_id", "")).lower())
        if payment is None:
            raise ValueError("unknown payment_id")
        return reverse(ledger, payment, now), {}

    return _update_invoice(app, body, change)


def archive_contact(app: SandboxApp, body: dict[str, Any]) -> dict[str, Any]:
    tenant = _tenant(app, body.get("tenant_id"))
    archived = body.get("archived", True)
    if not isinstance(archived, bool):
        raise ValueError("archived must be true or false")
    state = app.state
    with state.lock:
        ledger = state.ledger(tenant)
        key = body.get("contact_id") or body.get("contact_number")
        found = ledger.contact_by_key(str(key)) if isinstance(key, str) and key else None
        if found is None:
            raise ValueError("unknown contact")
        now = state.now()
        changed = dataclasses.replace(
            found, status="ARCHIVED" if archived else "ACTIVE", updated=now
        )
        ledger.put_contact(changed, found)
        state.mark_dirty()
    state.notify([LedgerEvent(tenant, "CONTACT", "UPDATE", found.contact_id, now)])
    return {"tenant_id": tenant, "contact_id": found.contact_id, "status": changed.status}


def set_controls(app: SandboxApp, body: dict[str, Any]) -> dict[str, Any]:
    tenant = _tenant(app, body.get("tenant_id"))
    with app.state.lock:
        controls = app.state.ledger(tenant).controls
        controls.update(body)
        app.state.mark_dirty()
        return {"tenant_id": tenant, **controls.to_json()}


def _body(request: Request) -> dict[str, Any]:
    data = request.json()
    if not isinstance(data, dict):
        raise ValueError("expected a JSON object")
    return data


def _invoices(app: SandboxApp, request: Request, params: dict[str, str]) -> Response:
    tenant = _tenant(app, request.arg("tenant_id"))
    return json_response(200, {"tenant_id": tenant, "invoices": list_invoices(app, tenant)})


def _contacts(app: SandboxApp, request: Request, params: dict[str, str]) -> Response:
    tenant = _tenant(app, request.arg("tenant_id"))
    return json_response(200, {"tenant_id": tenant, "contacts": list_contacts(app, tenant)})


def _pay(app: SandboxApp, request: Request, params: dict[str, str]) -> Response:
    return json_response(200, change_invoice(app, _body(request), "pay"))


def _void(app: SandboxApp, request: Request, params: dict[str, str]) -> Response:
    return json_response(200, change_invoice(app, _body(request), "void"))


def _credit(app: SandboxApp, request: Request, params: dict[str, str]) -> Response:
    return json_response(200, credit_invoice(app, _body(request)))


def _reverse(app: SandboxApp, request: Request, params: dict[str, str]) -> Response:
    return json_response(200, reverse_payment(app, _body(request)))


def _archive(app: SandboxApp, request: Request, params: dict[str, str]) -> Response:
    return json_response(200, archive_contact(app, _body(request)))


def _organisation(app: SandboxApp, request: Request, params: dict[str, str]) -> Response:
    return json_response(200, set_controls(app, _body(request)))


def register(router: Router) -> None:
    routes: list[tuple[str, str, Handler]] = [
        ("GET", "invoices", _invoices),
        ("GET", "contacts", _contacts),
        ("POST", "payments", _pay),
        ("POST", "void", _void),
        ("POST", "credit", _credit),
        ("POST", "reverse", _reverse),
        ("POST", "archive", _archive),
        ("POST", "organisation", _organisation),
    ]
    for method, name, handler in routes:
        router.add(method, f"/_sandbox/{name}", _wrap(handler), f"admin.{name}")
