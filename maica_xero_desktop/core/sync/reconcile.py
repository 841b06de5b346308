"""Finding invoices again in Xero: for unanswered batches and "Invoice # must be unique".

Nothing is re-sent until Xero has been asked whether it already has it. An invoice Xero has for the
same participant is *linked* (recorded as synced, not created again); one it has under the same
number for a different contact is a real clash and fails with that reason; one it does not have
goes back to the queue.
"""

from __future__ import annotations

import logging
from typing import Any, Literal

from ..flows import Flow
from ..store import Outcome, Store, StoredInvoice
from ..xero.client import XeroClient
from .xerodata import items

log = logging.getLogger(__name__)

LOOKUP_BATCH = 40  # invoice numbers per GET: keeps the URL short


class Reconciler:
    def __init__(self, client: XeroClient, store: Store, tenant_id: str, flow: Flow) -> None:
        self._client = client
        self._store = store
        self._tenant = tenant_id
        self._flow = flow

    def reconcile_open_batches(self, run_id: int) -> list[Outcome]:
        outcomes: list[Outcome] = []
        for batch in self._store.open_batches(self._tenant):
            waiting = [
                s
                for s in self._store.load_invoices(self._tenant, list(batch.invoice_ids))
                if s.state == "sending"
            ]
            log.info("Reconciling an unanswered batch of %d invoices.", len(waiting))
            outcomes += self.reconcile_batch(run_id, batch.id, waiting)
        return outcomes

    def reconcile_batch(
        self, run_id: int, batch_id: str, stored: list[StoredInvoice]
    ) -> list[Outcome]:
        """Look a batch's invoices up; record what Xero has, re-queue the rest, close the batch."""
        outcomes = self.lookup(stored, if_missing="pending")
        fingerprints = {s.id: s.fingerprint for s in stored}
        self._store.record_outcomes(self._tenant, run_id, outcomes, fingerprints)
        self._store.close_batch(batch_id)
        return [o for o in outcomes if o.outcome != "pending"]

    def lookup(
        self, stored: list[StoredInvoice], if_missing: Literal["pending", "failed"]
    ) -> list[Outcome]:
        contacts = self._store.contacts(self._tenant)
        outcomes = []
        found = self._find(stored)
        for item in stored:
            invoice = item.invoice
            candidates = found.get(invoice.invoice_number.lower(), [])
            mine = [
                c for c in candidates if self._same_participant(c, invoice.participant_id, contacts)
            ]
            if mine:
                element = mine[0]
                status = str(element.get("Status", ""))
                note = "Already in Xero: linked, not created again."
                if status in ("VOIDED", "DELETED"):
                    note = f"Already in Xero but {status.lower()} there: linked, not re-sent."
                outcomes.append(
                    Outcome(
                        item.id,
                        invoice.invoice_number,
                        "linked",
                        note,
                        str(element.get("InvoiceID")),
                        str(element.get("InvoiceNumber") or "") or None,
                    )
                )
            elif candidates:
                outcomes.append(
                    Outcome(
                        item.id,
                        invoice.invoice_number,
                        "failed",
                        f"Xero already has an invoice {invoice.invoice_number} for a different "
                        "contact. Rename one of them; nothing was sent.",
                    )
                )
            elif if_missing == "failed":
                outcomes.append(
                    Outcome(
                        item.id,
                        invoice.invoice_number,
                        "failed",
                        "Xero reported the invoice number as taken but no invoice with it can be "
                        "found (it may be a credit note or another type). Check Xero.",
                    )
                )
            else:
                outcomes.append(Outcome(item.id, invoice.invoice_number, "pending"))
        return outcomes

    @staticmethod
    def _same_participant(
        element: dict[str, Any], participant_id: str, contacts: dict[str, tuple[str, str]]
    ) -> bool:
        contact = element.get("Contact")
        if not isinstance(contact, dict):
            return False
        number = str(contact.get("ContactNumber") or "")
        if number:
            return number.lower() == participant_id.lower()
        known = contacts.get(participant_id)
        return known is not None and str(contact.get("ContactID")) == known[0]

    def _find(self, stored: list[StoredInvoice]) -> dict[str, list[dict[str, Any]]]:
        """Maica invoice number (lower case) → the ACCREC invoices Xero has for it."""
        found: dict[str, list[dict[str, Any]]] = {}
        numbers = [s.invoice.invoice_number for s in stored]
        if self._flow.matches_by == "number":
            for start in range(0, len(numbers), LOOKUP_BATCH):
                chunk = numbers[start : start + LOOKUP_BATCH]
                body = self._client.accounting(
                    "GET", "Invoices", self._tenant, params={"InvoiceNumbers": ",".join(chunk)}
                )
                for element in items(body, "Invoices"):
                    if element.get("Type", "ACCREC") == "ACCREC":
                        key = str(element.get("InvoiceNumber", "")).lower()
                        found.setdefault(key, []).append(element)
            return found
        for number in numbers:
            escaped = number.replace('"', '\\"')
            body = self._client.accounting(
                "GET",
                "Invoices",
                self._tenant,
                params={"where": f'Type=="ACCREC" AND Reference=="{escaped}"'},
            )
            for element in items(body, "Invoices"):
                found.setdefault(number.lower(), []).append(element)
        return found
