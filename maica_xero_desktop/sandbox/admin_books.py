"""Test controls for the accounting data (``/_sandbox/...``, JSON in and out):

- ``GET /_sandbox/invoices?tenant_id=T`` -> ``{"tenant_id", "invoices": [...]}``
- ``GET /_sandbox/contacts?tenant_id=T`` -> ``{"tenant_id", "contacts": [...]}``
- ``POST /_sandbox/payments {"tenant_id", "invoice_id" | "invoice_number", "amount"}``
- ``POST /_sandbox/void {"tenant_id", "invoice_id" | "invoice_number"}``
- ``POST /_sandbox/organisation {"tenant_id", "period_lock_date", "end_of_year_lock_date",
  "denied_actions"}`` -> the organisation's controls (lock dates ``YYYY-MM-DD`` or null; actions
  from orgcontrols.ACTIONS)

``tenant_id`` defaults to the first organisation of the configuration.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from .admin import _wrap
from .invoice_rules import number
from .ledger import Invoice, LedgerEvent
from .payments import PaymentError, find_invoice, pay, void
from .routes import Handler, Router
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


def change_invoice(app: SandboxApp, body: dict[str, Any], action: str) -> dict[str, Any]:
    """``action`` "pay" (``amount``, optional ``date``, ``account_code``) or "void"."""
    tenant = _tenant(app, body.get("tenant_id"))
    state = app.state
    with state.lock:
        ledger = state.ledger(tenant)
        now = state.now()
        try:
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
        except PaymentError as exc:
            raise ValueError(str(exc)) from exc
        state.mark_dirty()
        summary = invoice_summary(app, tenant, invoice)
    state.notify([LedgerEvent(tenant, "INVOICE", "UPDATE", invoice.invoice_id, now)])
    return {"tenant_id": tenant, "invoice": summary}


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


def _organisation(app: SandboxApp, request: Request, params: dict[str, str]) -> Response:
    return json_response(200, set_controls(app, _body(request)))


def register(router: Router) -> None:
    routes: list[tuple[str, str, Handler]] = [
        ("GET", "invoices", _invoices),
        ("GET", "contacts", _contacts),
        ("POST", "payments", _pay),
        ("POST", "void", _void),
        ("POST", "organisation", _organisation),
    ]
    for method, name, handler in routes:
        router.add(method, f"/_sandbox/{name}", _wrap(handler), f"admin.{name}")
