"""One organisation's accounting data: invoices, contacts, payments, with dict indexes (by id,
number, reference, contact number, name) so a batch of 50 never scans the whole ledger.

Records are flat slotted dataclasses; money is kept as floats already rounded the way Xero
rounds (2 dp, unit amounts up to 4 dp). Times are POSIX seconds on the sandbox clock.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .chart import Chart, build_chart
from .orgcontrols import OrgControls


def _plain(record: Any) -> dict[str, Any]:
    return {name: getattr(record, name) for name in record.__slots__}


@dataclass(slots=True)
class Line:
    line_item_id: str
    description: str | None
    quantity: float | None
    unit_amount: float | None
    account_code: str | None
    tax_type: str | None
    tax_amount: float
    line_amount: float
    item_code: str | None = None
    discount_rate: float | None = None
    tracking: list[dict[str, str]] = field(default_factory=list)


@dataclass(slots=True)
class Invoice:
    invoice_id: str
    type: str
    contact_id: str
    number: str
    reference: str
    date: str
    due_date: str | None
    line_amount_types: str
    status: str
    currency_code: str
    lines: list[Line]
    sub_total: float
    total_tax: float
    total: float
    created: float
    updated: float
    amount_paid: float = 0.0
    payment_ids: list[str] = field(default_factory=list)
    fully_paid_on: str | None = None
    #: credit notes, prepayments and overpayments applied: [kind, id, number, amount, date]
    #: (kind CREDITNOTE | PREPAYMENT | OVERPAYMENT)
    credits: list[list[Any]] = field(default_factory=list)
    #: the client id of the app that created it (``createdByMyApp``)
    created_by: str = ""

    @property
    def amount_due(self) -> float:
        if self.status == "VOIDED":
            return 0.0
        return round(self.total - self.amount_paid - self.amount_credited, 2)

    @property
    def amount_credited(self) -> float:
        return round(sum(float(c[3]) for c in self.credits), 2)

    def to_json(self) -> dict[str, Any]:
        data = _plain(self)
        data["lines"] = [_plain(line) for line in self.lines]
        data["payment_ids"] = list(self.payment_ids)
        data["credits"] = [list(c) for c in self.credits]
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Invoice:
        values = dict(data)
        values["lines"] = [Line(**line) for line in data.get("lines", [])]
        return cls(**values)


@dataclass(slots=True)
class Contact:
    contact_id: str
    name: str
    contact_number: str | None
    email: str | None
    first_name: str | None
    last_name: str | None
    account_number: str | None
    status: str
    created: float
    updated: float
    is_customer: bool = False


@dataclass(slots=True)
class Payment:
    payment_id: str
    invoice_id: str
    account_code: str
    date: str
    amount: float
    reference: str
    status: str
    created: float
    updated: float


@dataclass(slots=True)
class Credit:
    """A credit note (ACCRECCREDIT), prepayment or overpayment (RECEIVE-...): ``kind``
    CREDITNOTE | PREPAYMENT | OVERPAYMENT; ``remaining`` is what is left to allocate."""

    credit_id: str
    kind: str
    number: str
    contact_id: str
    date: str
    status: str
    line_amount_types: str
    lines: list[Line]
    sub_total: float
    total_tax: float
    total: float
    remaining: float
    created: float
    updated: float
    reference: str = ""

    def to_json(self) -> dict[str, Any]:
        data = _plain(self)
        data["lines"] = [_plain(line) for line in self.lines]
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Credit:
        values = dict(data)
        values["lines"] = [Line(**line) for line in data.get("lines", [])]
        return cls(**values)


@dataclass(frozen=True)
class LedgerEvent:
    """What a webhook would report: ``category`` INVOICE | CONTACT, ``event_type`` CREATE |
    UPDATE. Listeners are called after the change, outside the state lock."""

    tenant_id: str
    category: str
    event_type: str
    resource_id: str
    at: float


Listener = Callable[[LedgerEvent], None]


def norm(text: str) -> str:
    """Key for case-insensitive unique values (invoice numbers, contact names and numbers)."""
    return text.strip().casefold()


class Ledger:
    def __init__(self, tenant_id: str, is_demo: bool) -> None:
        self.tenant_id = tenant_id
        self.chart: Chart = build_chart(tenant_id, is_demo)
        self.invoices: dict[str, Invoice] = {}
        self.by_number: dict[str, str] = {}
        self.by_reference: dict[str, set[str]] = {}
        self.contacts: dict[str, Contact] = {}
        self.contact_by_number: dict[str, str] = {}
        self.contact_by_name: dict[str, str] = {}
        self.payments: dict[str, Payment] = {}
        self.credits: dict[str, Credit] = {}
        self.next_credit_number = 1
        #: record id -> creation ordinal, to list index hits in creation order
        self.seq: dict[str, int] = {}
        self.next_number = 1
        #: "client id|key" -> (expiry on the sandbox clock, request fingerprint, status, body,
        #: content type): keys are per app and per organisation
        self.replays: dict[str, tuple[float, str, int, bytes, str | None]] = {}
        #: lock dates and denied actions an admin control set (see orgcontrols.py)
        self.controls = OrgControls()

    # -- invoices ---------------------------------------------------------------------------

    def invoice_by_number(self, number: str) -> Invoice | None:
        found = self.by_number.get(norm(number))
        return None if found is None else self.invoices[found]

    def put_invoice(self, invoice: Invoice, previous: tuple[str, str] | None = None) -> None:
        """Store a new or changed invoice; ``previous`` is its old (number, reference)."""
        if previous is not None:
            old_number, old_reference = previous
            if old_number and self.by_number.get(norm(old_number)) == invoice.invoice_id:
                del self.by_number[norm(old_number)]
            refs = self.by_reference.get(old_reference)
            if refs is not None:
                refs.discard(invoice.invoice_id)
        self.invoices[invoice.invoice_id] = invoice
        self.seq.setdefault(invoice.invoice_id, len(self.seq))
        if invoice.number:
            self.by_number[norm(invoice.number)] = invoice.invoice_id
        self.by_reference.setdefault(invoice.reference, set()).add(invoice.invoice_id)

    def take_number(self) -> str:
        """The next free ``INV-0001`` style number."""
        while True:
            number = f"INV-{self.next_number:04d}"
            self.next_number += 1
            if norm(number) not in self.by_number:
                return number

    # -- contacts ---------------------------------------------------------------------------

    def contact_by_key(self, key: str) -> Contact | None:
        """By ContactID (any case) or, failing that, by ContactNumber."""
        found = self.contacts.get(key.lower())
        if found is None:
            cid = self.contact_by_number.get(norm(key))
            found = None if cid is None else self.contacts[cid]
        return found

    def named(self, name: str) -> Contact | None:
        found = self.contact_by_name.get(norm(name))
        return None if found is None else self.contacts[found]

    def put_contact(self, contact: Contact, previous: Contact | None = None) -> None:
        if previous is not None:
            if self.contact_by_name.get(norm(previous.name)) == contact.contact_id:
                del self.contact_by_name[norm(previous.name)]
            if previous.contact_number:
                self.contact_by_number.pop(norm(previous.contact_number), None)
        self.contacts[contact.contact_id] = contact
        self.seq.setdefault(contact.contact_id, len(self.seq))
        if contact.status == "ACTIVE":
            self.contact_by_name[norm(contact.name)] = contact.contact_id
        if contact.contact_number:
            self.contact_by_number[norm(contact.contact_number)] = contact.contact_id

    # -- idempotency ------------------------------------------------------------------------

    def replay(self, key: str, now: float) -> tuple[str, int, bytes, str | None] | None:
        """(fingerprint, status, body, content type) of a live key's first answer."""
        found = self.replays.get(key)
        if found is None or found[0] <= now:
            return None
        return found[1], found[2], found[3], found[4]

    def remember(
        self,
        key: str,
        expires: float,
        fingerprint: str,
        status: int,
        body: bytes,
        ctype: str | None,
    ) -> None:
        if len(self.replays) > 2000:
            self.replays = {k: v for k, v in self.replays.items() if v[0] > expires - 86400}
        self.replays[key] = (expires, fingerprint, status, body, ctype)

    # -- persistence ------------------------------------------------------------------------

    def to_json(self) -> dict[str, Any]:
        return {
            "next_number": self.next_number,
            "invoices": [i.to_json() for i in self.invoices.values()],
            "contacts": [_plain(c) for c in self.contacts.values()],
            "payments": [_plain(p) for p in self.payments.values()],
            "credits": [c.to_json() for c in self.credits.values()],
            "next_credit_number": self.next_credit_number,
            "controls": self.controls.to_json(),
        }

    def load_json(self, data: dict[str, Any]) -> None:
        for item in data.get("contacts", []):
            self.put_contact(Contact(**item))
        for item in data.get("invoices", []):
            self.put_invoice(Invoice.from_json(item))
        for item in data.get("payments", []):
            payment = Payment(**item)
            self.payments[payment.payment_id] = payment
        for item in data.get("credits", []):
            credit = Credit.from_json(item)
            self.credits[credit.credit_id] = credit
        self.next_number = int(data.get("next_number", 1))
        self.next_credit_number = int(data.get("next_credit_number", 1))
        self.controls = OrgControls.from_json(data.get("controls"))
