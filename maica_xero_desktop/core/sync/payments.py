"""Payments back from Xero: amounts paid and due, payments, and the Maica status they imply.

A pull asks for the organisation's sales invoices changed since the last pull
(``If-Modified-Since``), page by page; a webhook asks for the invoices it names (by id, 50 at a
time). Either way only invoices this product pushed are touched: AmountPaid / AmountDue, the Xero
status (a voided invoice is shown, not hidden), the payments, and the Maica status — Not Paid,
Partially Paid or Fully Paid.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from ..store import PaymentState, Store
from ..xero.client import XeroClient
from .xerodata import amount, items, ms_date

log = logging.getLogger(__name__)

MARK = "payments_modified_since"
IDS_PER_CALL = 50
PAGE = 100


def maica_status(element: dict[str, Any]) -> str | None:
    status = str(element.get("Status", ""))
    paid = amount(element.get("AmountPaid")) or Decimal(0)
    due = amount(element.get("AmountDue"))
    if status in ("VOIDED", "DELETED"):
        return None  # shown through the Xero status; Maica's own status is left alone
    if status == "PAID" or (due is not None and due <= 0 and paid > 0):
        return "Fully Paid"
    if paid > 0:
        return "Partially Paid"
    return "Not Paid"


def payment_state(element: dict[str, Any]) -> PaymentState:
    payments = []
    last: datetime | None = None
    for payment in items(element, "Payments"):
        day = ms_date(payment.get("Date"))
        if day is not None and (last is None or day > last):
            last = day
        payments.append(
            (
                str(payment.get("PaymentID", "")),
                str(amount(payment.get("Amount")) or 0),
                day.date().isoformat() if day else "",
            )
        )
    return PaymentState(
        xero_invoice_id=str(element.get("InvoiceID")),
        xero_status=str(element.get("Status", "")),
        amount_paid=str(amount(element.get("AmountPaid")) or Decimal(0)),
        amount_due=str(amount(element.get("AmountDue")) or Decimal(0)),
        last_payment_date=last.date().isoformat() if last else None,
        payments=tuple(p for p in payments if p[0]),
    )


class PaymentSync:
    def __init__(self, client: XeroClient, store: Store, tenant_id: str) -> None:
        self._client = client
        self._store = store
        self._tenant = tenant_id

    def pull(self) -> int:
        """Everything changed since the last pull; returns how many invoices changed here."""
        ours = self._store.synced_xero_ids(self._tenant)
        if not ours:
            return 0
        since = self._store.mark(self._tenant, MARK)
        headers = {"If-Modified-Since": since} if since else None
        newest: datetime | None = None
        changed = 0
        page = 1
        while True:
            body = self._client.accounting(
                "GET",
                "Invoices",
                self._tenant,
                params={"page": page, "where": 'Type=="ACCREC"'},
                headers=headers,
            )
            elements = items(body, "Invoices")
            mine = [e for e in elements if str(e.get("InvoiceID")) in ours]
            changed += self._apply(mine)
            for element in elements:
                updated = ms_date(element.get("UpdatedDateUTC"))
                if updated is not None and (newest is None or updated > newest):
                    newest = updated
            if len(elements) < PAGE:
                break
            page += 1
        if newest is not None:
            self._store.set_mark(self._tenant, MARK, _http_date(newest))
        return changed

    def fetch(self, xero_invoice_ids: Sequence[str]) -> int:
        """The named invoices (webhook events); unknown ids are ignored."""
        ours = self._store.synced_xero_ids(self._tenant)
        wanted = [i for i in dict.fromkeys(xero_invoice_ids) if i in ours]
        changed = 0
        for start in range(0, len(wanted), IDS_PER_CALL):
            chunk = wanted[start : start + IDS_PER_CALL]
            body = self._client.accounting(
                "GET", "Invoices", self._tenant, params={"IDs": ",".join(chunk), "page": 1}
            )
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


def _http_date(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%a, %d %b %Y %H:%M:%S GMT")
