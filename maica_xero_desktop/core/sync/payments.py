"""Payments back from Xero: what settled each invoice, Xero's payment state, and Maica's status.

**What settles an invoice.** Xero's state comes from ``Status``, ``AmountDue`` and ``Total`` — not
``AmountPaid`` alone: credit notes, prepayments and overpayments reduce ``AmountDue`` through
``AmountCredited`` without being payments. So an invoice half settled by a credit note is
Partially Paid, one settled by credit is Paid. The store keeps the invoice's whole settlement set:
each payment and each applied credit (``CreditNotes`` / ``Prepayments`` / ``Overpayments``, each
with its id, date and applied amount). The set is replaced by what Xero lists, so a payment
deleted (reversed) in Xero leaves it, and the last payment date follows.

**Maica's status is never lowered from Xero's figures.** Maica may already know an invoice is
Fully Paid (paid outside Xero) while the invoice sits in Xero unpaid; a pull only ever *raises*
the Maica status (Not Paid → Partially Paid → Fully Paid). Xero's own state is kept beside it
(``xero_payment_state`` on the link) so both are visible; a re-import of the Maica export sets
Maica's figure again.

**How a pull asks (a Starter organisation has 1,000 calls a day).** The pull mark starts at the
first successful push, from the answer's ``DateTimeUTC`` (Xero's clock, not this computer's):
nothing older can be ours. A pull asks for sales invoices modified since the mark
(``If-Modified-Since`` in Xero's documented ``yyyy-mm-ddThh:mm:ss`` UTC form), 1,000 a page
(``pageSize``); the page reached is saved after each page, so an interrupted pull (the day limit)
resumes there. The new mark is the first page's ``DateTimeUTC``. Invoices *linked* to ones Xero
already had (not created by a push) are read by id once first: their payments may be older than
the mark. Without a mark (a store from
before this rule, or links adopted after a lost store) the pull asks for this product's invoices
by ``IDs``, 40 a call, when there are few of them, else pages through every sales invoice.
A webhook asks for the invoices it names, 40 ids a call. Only invoices this product pushed are
touched. ``bench/payments_bench.py`` measures both ways.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import Decimal
from email.utils import parsedate_to_datetime
from typing import Any

from ..store import PaymentState, Store
from ..xero.client import XeroClient
from .xerodata import amount, items, ms_date

log = logging.getLogger(__name__)

MARK = "payments_modified_since"
#: the page a pull in progress reached, with the mark it pulls from: "<mark>|<page>"
PAGE_MARK = "payments_page"
#: ids per ``IDs=`` call (Xero's URL length keeps it to about 40-50 GUIDs)
IDS_PER_CALL = 40
#: invoices per page (``pageSize``; Xero's maximum is 1,000)
PAGE_SIZE = 1000
#: without a mark, up to this many invoices of ours are asked for by IDs (at most 10 calls)
IDS_PULL_LIMIT = 10 * IDS_PER_CALL
#: Maica's statuses in the order a pull may raise them
RANK = {"Not Paid": 0, "Partially Paid": 1, "Fully Paid": 2}
#: the credit arrays of an invoice and the id field of each
CREDIT_KINDS = (
    ("CreditNotes", "CreditNoteID", "credit_note"),
    ("Prepayments", "PrepaymentID", "prepayment"),
    ("Overpayments", "OverpaymentID", "overpayment"),
)


def xero_payment_state(element: dict[str, Any]) -> str | None:
    """Not Paid / Partially Paid / Fully Paid as Xero sees it; None for VOIDED and DELETED."""
    status = str(element.get("Status", ""))
    if status in ("VOIDED", "DELETED"):
        return None
    if status == "PAID":
        return "Fully Paid"
    total = amount(element.get("Total"))
    due = amount(element.get("AmountDue"))
    settled = (amount(element.get("AmountPaid")) or Decimal(0)) + (
        amount(element.get("AmountCredited")) or Decimal(0)
    )
    if due is not None and due <= 0 and (settled > 0 or (total is not None and total > 0)):
        return "Fully Paid"
    if total is not None and due is not None and due < total:
        return "Partially Paid"
    return "Partially Paid" if settled > 0 else "Not Paid"


def maica_status(element: dict[str, Any]) -> str | None:
    """The Maica status Xero's figures imply (None: leave Maica's alone). The store applies it
    only when it is higher than the status Maica already has."""
    return xero_payment_state(element)


def _day(value: Any) -> datetime | None:
    return ms_date(value)


def payment_state(element: dict[str, Any]) -> PaymentState:
    payments: list[tuple[str, str, str]] = []
    credits: list[tuple[str, str, str, str]] = []
    last: datetime | None = None
    for payment in items(element, "Payments"):
        if str(payment.get("Status", "AUTHORISED")).upper() == "DELETED":
            continue
        day = _day(payment.get("Date"))
        if day is not None and (last is None or day > last):
            last = day
        pid = str(payment.get("PaymentID", ""))
        if pid:
            payments.append(
                (
                    pid,
                    str(amount(payment.get("Amount")) or 0),
                    day.date().isoformat() if day else "",
                )
            )
    for key, id_field, kind in CREDIT_KINDS:
        for credit in items(element, key):
            cid = str(credit.get(id_field) or credit.get("ID") or "")
            applied = amount(credit.get("AppliedAmount"))
            if not cid or applied is None:
                continue
            day = _day(credit.get("Date"))
            if day is not None and (last is None or day > last):
                last = day
            credits.append((cid, str(applied), day.date().isoformat() if day else "", kind))
    return PaymentState(
        xero_invoice_id=str(element.get("InvoiceID")),
        xero_status=str(element.get("Status", "")),
        amount_paid=str(amount(element.get("AmountPaid")) or Decimal(0)),
        amount_due=str(amount(element.get("AmountDue")) or Decimal(0)),
        last_payment_date=last.date().isoformat() if last else None,
        payments=tuple(payments),
        amount_credited=str(amount(element.get("AmountCredited")) or Decimal(0)),
        credits=tuple(credits),
        xero_payment_state=xero_payment_state(element),
        xero_total=None if (t := amount(element.get("Total"))) is None else str(t),
        complete="Payments" in element,
    )


def xero_timestamp(moment: datetime) -> str:
    """Xero's documented ``If-Modified-Since`` form: ``yyyy-mm-ddThh:mm:ss`` in UTC."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")


def parse_mark(text: str | None) -> datetime | None:
    """A stored mark: the documented form, or the HTTP date earlier versions stored."""
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        try:
            moment = parsedate_to_datetime(text)
        except (TypeError, ValueError):
            return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def start_mark(store: Store, tenant_id: str, body: Any) -> None:
    """After a successful push: the pull mark starts at the answer's ``DateTimeUTC`` (Xero's
    clock), unless a mark exists already."""
    if store.mark(tenant_id, MARK) is not None or not isinstance(body, dict):
        return
    moment = ms_date(body.get("DateTimeUTC"))
    if moment is not None:
        store.set_mark(tenant_id, MARK, xero_timestamp(moment))


class PaymentSync:
    """Payments back from Xero for one organisation (see the module docstring): a pull of what
    changed, or a fetch of given invoice ids (the webhook worker's). Owns only its call count;
    writes through the store. Never lowers Maica's status and never writes to Xero. One object
    per pull, used on one thread (the run's, a window task's or the webhook worker's)."""

    def __init__(self, client: XeroClient, store: Store, tenant_id: str) -> None:
        self._client = client
        self._store = store
        self._tenant = tenant_id
        #: calls made by the last pull or fetch (for the benchmark and the log)
        self.calls = 0

    def pull(self) -> int:
        """Everything changed since the last pull; returns how many invoices changed here."""
        self.calls = 0
        ours = self._store.synced_xero_ids(self._tenant)
        if not ours:
            return 0
        since = parse_mark(self._store.mark(self._tenant, MARK))
        if since is None and len(ours) <= IDS_PULL_LIMIT:
            return self.by_ids()
        # invoices linked rather than created (Xero had them, perhaps long before the mark):
        # their payments may predate the mark, so they are read by id once
        linked = self.fetch(self._store.unrefreshed_xero_ids(self._tenant))
        before = self.calls
        return linked + self.pages(since, calls=before)

    def pages(self, since: datetime | None, calls: int = 0) -> int:
        """Sales invoices modified since ``since`` (all without it), 1,000 a page."""
        self.calls = calls
        ours = self._store.synced_xero_ids(self._tenant)
        header = xero_timestamp(since) if since else ""
        page, started = self._resume(header)
        headers = {"If-Modified-Since": header} if header else None
        changed = 0
        while True:
            body = self._client.accounting(
                "GET",
                "Invoices",
                self._tenant,
                params={"page": page, "pageSize": PAGE_SIZE, "where": 'Type=="ACCREC"'},
                headers=headers,
            )
            self.calls += 1
            if started is None and isinstance(body, dict):
                started = ms_date(body.get("DateTimeUTC"))
            elements = items(body, "Invoices")
            changed += self._apply([e for e in elements if str(e.get("InvoiceID")) in ours])
            if _last_page(body, page, len(elements)):
                break
            page += 1
            when = xero_timestamp(started) if started else ""
            self._store.set_mark(self._tenant, PAGE_MARK, f"{header}|{page}|{when}")
        if started is not None:
            self._store.set_mark(self._tenant, MARK, xero_timestamp(started))
        self._store.set_mark(self._tenant, PAGE_MARK, "")
        log.info("Payment pull: %d call(s), %d invoice(s) changed", self.calls, changed)
        return changed

    def _resume(self, header: str) -> tuple[int, datetime | None]:
        """(page to start at, start time) of an interrupted pull from the same mark."""
        saved = (self._store.mark(self._tenant, PAGE_MARK) or "").split("|")
        if len(saved) == 3 and saved[0] == header and saved[1].isdigit():
            return int(saved[1]), parse_mark(saved[2])
        return 1, None

    def by_ids(self) -> int:
        """This product's invoices by ``IDs``, 40 a call."""
        self.calls = 0
        wanted = list(self._store.synced_xero_ids(self._tenant))
        changed = 0
        started: datetime | None = None
        for start in range(0, len(wanted), IDS_PER_CALL):
            chunk = wanted[start : start + IDS_PER_CALL]
            body = self._client.accounting(
                "GET", "Invoices", self._tenant, params={"IDs": ",".join(chunk), "page": 1}
            )
            self.calls += 1
            if started is None and isinstance(body, dict):
                started = ms_date(body.get("DateTimeUTC"))
            changed += self._apply(items(body, "Invoices"))
        if started is not None and self._store.mark(self._tenant, MARK) is None:
            self._store.set_mark(self._tenant, MARK, xero_timestamp(started))
        return changed

    def fetch(self, xero_invoice_ids: Sequence[str]) -> int:
        """The named invoices (webhook events); unknown ids are ignored."""
        self.calls = 0
        ours = self._store.synced_xero_ids(self._tenant)
        wanted = [i for i in dict.fromkeys(xero_invoice_ids) if i in ours]
        changed = 0
        for start in range(0, len(wanted), IDS_PER_CALL):
            chunk = wanted[start : start + IDS_PER_CALL]
            body = self._client.accounting(
                "GET", "Invoices", self._tenant, params={"IDs": ",".join(chunk), "page": 1}
            )
            self.calls += 1
            changed += self._apply(items(body, "Invoices"))
        return changed

    def _apply(self, elements: list[dict[str, Any]]) -> int:
        if not elements:
            return 0
        states = [payment_state(e) for e in elements]
        statuses = {
            str(e.get("InvoiceID")): status
            for e in elements
            if (status := maica_status(e)) is not None
        }
        return self._store.record_payment_states(self._tenant, states, statuses)


def _last_page(body: Any, page: int, count: int) -> bool:
    """Stop on ``pagination.pageCount`` when the answer has it, else on a short page."""
    pagination = body.get("pagination") if isinstance(body, dict) else None
    if isinstance(pagination, dict) and isinstance(pagination.get("pageCount"), int):
        return page >= int(pagination["pageCount"])
    return count < PAGE_SIZE
