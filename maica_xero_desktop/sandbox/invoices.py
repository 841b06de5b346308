"""``/Invoices``: list (InvoiceNumbers, IDs, ContactIDs, Statuses, createdByMyApp, where,
If-Modified-Since, page/pageSize, summaryOnly, order, unitdp), one by InvoiceID or InvoiceNumber,
PUT (create only) and POST (create, or update by InvoiceID / InvoiceNumber), batches with
summarizeErrors and Idempotency-Key. Line items come only with ``page`` or a single invoice, as
in Xero."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .accounting import envelope
from .api import ApiContext
from .batch import (
    BatchWrite,
    query_error,
    register_writable,
    unitdp,
    write_batch,
)
from .invoice_build import build_invoice
from .invoice_rules import ZERO_ID, text_of
from .ledger import Invoice, Ledger
from .listing import listing
from .query import Fields, QueryError, flag, id_list
from .routes import Router
from .views import invoice_json, rejected_invoice
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


def fields_for(ledger: Ledger) -> Fields:
    def contact(attr: str) -> Any:
        return lambda i: getattr(ledger.contacts[i.contact_id], attr)

    return {
        "invoiceid": lambda i: i.invoice_id,
        "invoicenumber": lambda i: i.number,
        "reference": lambda i: i.reference,
        "type": lambda i: i.type,
        "status": lambda i: i.status,
        "date": lambda i: i.date,
        "duedate": lambda i: i.due_date,
        "currencycode": lambda i: i.currency_code,
        "lineamounttypes": lambda i: i.line_amount_types,
        "subtotal": lambda i: i.sub_total,
        "totaltax": lambda i: i.total_tax,
        "total": lambda i: i.total,
        "amountdue": lambda i: i.amount_due,
        "amountpaid": lambda i: i.amount_paid,
        "updateddateutc": lambda i: i.updated,
        "contact.contactid": contact("contact_id"),
        "contact.name": contact("name"),
        "contact.contactnumber": contact("contact_number"),
    }


def get_invoices(
    app: SandboxApp, request: Request, params: dict[str, str], ctx: ApiContext
) -> Response:
    with app.state.lock:
        ledger = app.state.ledger(ctx.org.tenant_id)
        invoices = ledger.invoices
        indexes = {
            "invoicenumber": lambda v: [i] if (i := ledger.invoice_by_number(str(v))) else [],
            "invoiceid": lambda v: [i] if (i := invoices.get(str(v).lower())) else [],
            "reference": lambda v: [invoices[x] for x in ledger.by_reference.get(str(v), ())],
        }
        seed: list[Invoice] | None = None
        filters = []
        ids = {x.lower() for x in id_list(request.query.get("IDs"))}
        numbers = id_list(request.query.get("InvoiceNumbers"))
        if ids:
            seed = [invoices[x] for x in ids if x in invoices]
        if numbers:
            by_number = [i for n in numbers if (i := ledger.invoice_by_number(n))]
            seed = by_number if seed is None else [i for i in by_number if i.invoice_id in ids]
        if contact_ids := {x.lower() for x in id_list(request.query.get("ContactIDs"))}:
            filters.append(lambda i: i.contact_id in contact_ids)
        if statuses := {x.upper() for x in id_list(request.query.get("Statuses"))}:
            filters.append(lambda i: i.status in statuses)
        if flag(request.arg("createdByMyApp")):
            app_id = ctx.access.client_id
            filters.append(lambda i: i.created_by == app_id)
        try:
            found, page = listing(
                request,
                invoices,
                fields_for(ledger),
                "Invoice",
                indexes,
                filters,
                seed,
                lambda i: ledger.seq[i.invoice_id],
            )
        except QueryError as exc:
            return query_error(exc)
        lines = request.arg("page") is not None
        summary = flag(request.arg("summaryOnly"))
        dp = unitdp(request)
        items = [invoice_json(ledger, i, lines=lines, unitdp=dp, summary=summary) for i in found]
    return json_response(200, page(app, "Invoices", items))


def get_invoice(
    app: SandboxApp, request: Request, params: dict[str, str], ctx: ApiContext
) -> Response:
    with app.state.lock:
        ledger = app.state.ledger(ctx.org.tenant_id)
        key = params["key"]
        found = ledger.invoices.get(key.lower()) or ledger.invoice_by_number(key)
        if found is None:
            return problem(404, "NotFound", "The resource you're looking for cannot be found")
        data = invoice_json(ledger, found, lines=True, unitdp=unitdp(request))
    return json_response(200, envelope(app, "Invoices", [data]))


def _existing(
    ledger: Ledger, given: dict[str, Any], update: bool, path_id: str | None, errors: list[str]
) -> Invoice | None:
    if not update:
        return None
    key = path_id or text_of(given, "InvoiceID")
    if key:
        found = ledger.invoices.get(key.lower())
        if found is None:
            errors.append(f"The Invoice with InvoiceID '{key}' could not be found.")
        return found
    number = text_of(given, "InvoiceNumber")
    return ledger.invoice_by_number(number) if number else None


def write_invoices(
    app: SandboxApp, request: Request, ctx: ApiContext, *, update: bool, path_id: str | None
) -> Response:
    dp = unitdp(request)

    def one(batch: BatchWrite, given: Any) -> tuple[dict[str, Any], bool]:
        ledger = batch.ledger
        errors: list[str] = []
        if not isinstance(given, dict):
            return rejected_invoice(given, ZERO_ID, ["Invalid invoice"]), True
        existing = _existing(ledger, given, update, path_id, errors)
        built = None if errors else build_invoice(ledger, given, batch.now, dp, existing)
        if built is None or built.invoice is None:
            own = existing.invoice_id if existing else ZERO_ID
            errors = errors or (built.errors if built else [])
            return rejected_invoice(given, own, errors), True
        if built.new_contact is not None:
            ledger.put_contact(built.new_contact)
            batch.event("CONTACT", "CREATE", built.new_contact.contact_id)
        built.invoice.created_by = existing.created_by if existing else ctx.access.client_id
        previous = (existing.number, existing.reference) if existing else None
        ledger.put_invoice(built.invoice, previous)
        batch.event("INVOICE", "UPDATE" if existing else "CREATE", built.invoice.invoice_id)
        return invoice_json(ledger, built.invoice, lines=True, unitdp=dp), False

    return write_batch(app, request, ctx, "Invoices", one)


def register(router: Router) -> None:
    register_writable(router, "Invoices", (get_invoices, get_invoice, write_invoices), READ, WRITE)
