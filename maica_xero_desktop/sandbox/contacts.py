"""``/Contacts``: list (paging, IDs, where, includeArchived, If-Modified-Since, searchTerm), one
by ContactID or ContactNumber, PUT (create) and POST (create or update) in batches."""

from __future__ import annotations

import re
import uuid
from typing import TYPE_CHECKING, Any

from .accounting import envelope
from .api import ApiContext
from .batch import (
    BatchWrite,
    query_error,
    register_writable,
    write_batch,
)
from .ledger import Contact, Ledger, norm
from .listing import listing
from .query import Fields, QueryError, id_list
from .routes import Router
from .views import contact_json, rejected_contact
from .web import Request, Response, json_response, problem

if TYPE_CHECKING:
    from .app import SandboxApp

READ = ("accounting.contacts", "accounting.contacts.read")
WRITE = ("accounting.contacts",)
ZERO_ID = "00000000-0000-0000-0000-000000000000"
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")

FIELDS: Fields = {
    "contactid": lambda c: c.contact_id,
    "contactnumber": lambda c: c.contact_number,
    "name": lambda c: c.name,
    "firstname": lambda c: c.first_name,
    "lastname": lambda c: c.last_name,
    "emailaddress": lambda c: c.email,
    "accountnumber": lambda c: c.account_number,
    "contactstatus": lambda c: c.status,
    "iscustomer": lambda c: c.is_customer,
    "issupplier": lambda c: False,
}


def name_taken(name: str) -> str:
    return (
        f"The contact name {name} is already assigned to another contact. "
        "The contact name must be unique across all active contacts."
    )


def _text(element: dict[str, Any], key: str) -> str | None:
    value = element.get(key)
    return value.strip() if isinstance(value, str) and value.strip() else None


def build_contact(
    ledger: Ledger, element: dict[str, Any], now: float, existing: Contact | None
) -> tuple[Contact | None, list[str]]:
    errors: list[str] = []
    name = _text(element, "Name") or (existing.name if existing else None)
    own_id = existing.contact_id if existing else None
    if not name:
        errors.append("The contact name must be specified.")
    elif len(name) > 255:
        errors.append("The contact name must be 255 characters or less.")
    else:
        other = ledger.named(name)
        if other is not None and other.contact_id != own_id:
            errors.append(name_taken(name))
    number = _text(element, "ContactNumber") or (existing.contact_number if existing else None)
    if number is not None:
        other_id = ledger.contact_by_number.get(norm(number))
        if len(number) > 50:
            errors.append("The ContactNumber must be 50 characters or less.")
        elif other_id is not None and other_id != own_id:
            errors.append(f"The contact number {number} is already assigned to another contact.")
    email = element.get("EmailAddress", existing.email if existing else None)
    if email not in (None, "") and (not isinstance(email, str) or not _EMAIL.fullmatch(email)):
        errors.append("Email address must be valid.")
    status = (
        _text(element, "ContactStatus") or (existing.status if existing else "ACTIVE")
    ).upper()
    if status not in ("ACTIVE", "ARCHIVED"):
        errors.append(f"'{status}' is not a valid ContactStatus.")
    if errors or not name:
        return None, errors
    first = element.get("FirstName", existing.first_name if existing else None)
    last = element.get("LastName", existing.last_name if existing else None)
    account = element.get("AccountNumber", existing.account_number if existing else None)
    return (
        Contact(
            contact_id=own_id or str(uuid.uuid4()),
            name=name,
            contact_number=number,
            email=email or None,
            first_name=first if isinstance(first, str) else None,
            last_name=last if isinstance(last, str) else None,
            account_number=account if isinstance(account, str) else None,
            status=status,
            created=existing.created if existing else now,
            updated=now,
            is_customer=existing.is_customer if existing else False,
        ),
        [],
    )


def _search(term: str) -> Any:
    low = term.lower()

    def test(c: Contact) -> bool:
        values = (c.name, c.first_name, c.last_name, c.contact_number, c.email)
        return any(v and low in v.lower() for v in values)

    return test


def get_contacts(
    app: SandboxApp, request: Request, params: dict[str, str], ctx: ApiContext
) -> Response:
    with app.state.lock:
        ledger = app.state.ledger(ctx.org.tenant_id)
        indexes = {
            "contactnumber": lambda v: [c] if (c := ledger.contact_by_key(str(v))) else [],
            "name": lambda v: [c] if (c := ledger.named(str(v))) else [],
            "contactid": lambda v: [c] if (c := ledger.contacts.get(str(v).lower())) else [],
        }
        ids = {x.lower() for x in id_list(request.query.get("IDs"))}
        seed = [ledger.contacts[x] for x in ids if x in ledger.contacts] if ids else None
        extra = []
        if request.arg("includeArchived") not in ("true", "True", "1"):
            extra.append(lambda c: c.status == "ACTIVE")
        if term := request.arg("searchTerm"):
            extra.append(_search(term))
        try:
            found, page = listing(
                request,
                ledger.contacts,
                FIELDS,
                "Contact",
                indexes,
                extra,
                seed,
                position=lambda c: ledger.seq[c.contact_id],
            )
        except QueryError as exc:
            return query_error(exc)
        summary = request.arg("summaryOnly") in ("true", "True", "1")
        items = [contact_json(c, brief=summary) for c in found]
    return json_response(200, page(app, "Contacts", items))


def get_contact(
    app: SandboxApp, request: Request, params: dict[str, str], ctx: ApiContext
) -> Response:
    with app.state.lock:
        ledger = app.state.ledger(ctx.org.tenant_id)
        found = ledger.contact_by_key(params["key"])
        if found is None:
            return problem(404, "NotFound", "The resource you're looking for cannot be found")
        data = contact_json(found)
    return json_response(200, envelope(app, "Contacts", [data]))


def write_contacts(
    app: SandboxApp, request: Request, ctx: ApiContext, *, update: bool, path_id: str | None
) -> Response:
    def one(batch: BatchWrite, given: Any) -> tuple[dict[str, Any], bool]:
        ledger = batch.ledger
        existing: Contact | None = None
        errors: list[str] = []
        if not isinstance(given, dict):
            return rejected_contact(given, ZERO_ID, ["Invalid contact"]), True
        key = path_id or (_text(given, "ContactID") if update else None)
        if key:
            existing = ledger.contacts.get(key.lower())
            if existing is None:
                errors.append(f"The Contact with ContactID '{key}' could not be found.")
        elif update and (number := _text(given, "ContactNumber")):
            existing = ledger.contact_by_key(number)
        contact = None
        if not errors:
            contact, errors = build_contact(ledger, given, batch.now, existing)
        if contact is None:
            own = existing.contact_id if existing else ZERO_ID
            return rejected_contact(given, own, errors), True
        ledger.put_contact(contact, existing)
        batch.event("CONTACT", "UPDATE" if existing else "CREATE", contact.contact_id)
        return contact_json(contact), False

    return write_batch(app, request, ctx, "Contacts", one)


def register(router: Router) -> None:
    register_writable(router, "Contacts", (get_contacts, get_contact, write_contacts), READ, WRITE)
