"""Finding invoices again in Xero: for unanswered batches and "Invoice # must be unique".

Nothing is re-sent until Xero has been asked whether it already has it. An invoice Xero has for the
same participant is *linked* (recorded as synced, not created again); one it has under the same
number for a different contact is a real clash and fails with that reason; one it does not have
goes back to the queue.
"""

from __future__ import annotations

import logging
import time
from typing import Any, Literal

from ..errors import ConfigurationError
from ..flows import Flow, get_flow
from ..store import Outcome, Store, StoredInvoice
from ..xero.client import XeroClient
from .xerodata import items

log = logging.getLogger(__name__)

LOOKUP_BATCH = 40  # invoice numbers per GET: keeps the URL short


#: How long an unanswered batch of a flow *without* unique invoice numbers (classic) waits before
#: "not found in Xero" is believed: Xero may still be working on a request the client gave up on,
#: and only the Idempotency-Key (minutes) or the number's uniqueness would stop a second copy.
SETTLE_S = 15 * 60.0


def waiting_sentence(count: int) -> str:
    return (
        f"{count} invoice{'s' if count != 1 else ''} sent without an answer from Xero may still "
        "be on the way there: they are not sent again until Xero has had time to finish (about "
        f"{SETTLE_S / 60:.0f} minutes). The next sync after that looks them up."
    )


def reconcile_open_batches(
    client: XeroClient, store: Store, tenant_id: str, current: Flow, run_id: int
) -> tuple[list[Outcome], int]:
    """Every batch an earlier run left unanswered, looked up the way the flow that sent it
    would find its invoices (not the flow chosen now). Returns the outcomes and how many
    invoices still wait for Xero to settle."""
    outcomes: list[Outcome] = []
    waiting = 0
    for batch in store.open_batches(tenant_id):
        flow = _flow_named(batch.flow, current)
        unanswered = [
            s
            for s in store.load_invoices(tenant_id, list(batch.invoice_ids))
            if s.state == "sending"
        ]
        log.info("Reconciling an unanswered batch of %d invoices.", len(unanswered))
        reconciler = Reconciler(client, store, tenant_id, flow)
        fingerprints = batch.fingerprints or {s.id: s.fingerprint for s in unanswered}
        outcomes += reconciler.reconcile_batch(
            run_id, batch.id, unanswered, fingerprints, attempted_at=batch.attempted_at
        )
        waiting += reconciler.waiting
    return outcomes, waiting


def _flow_named(name: str, current: Flow) -> Flow:
    if not name:
        return current
    try:
        return get_flow(name)
    except ConfigurationError:
        return current


class Reconciler:
    def __init__(self, client: XeroClient, store: Store, tenant_id: str, flow: Flow) -> None:
        self._client = client
        self._store = store
        self._tenant = tenant_id
        self._flow = flow
        #: invoices of unanswered batches left waiting for Xero to settle
        self.waiting = 0

    def reconcile_batch(
        self,
        run_id: int,
        batch_id: str,
        stored: list[StoredInvoice],
        fingerprints: dict[int, str],
        attempted_at: float,
    ) -> list[Outcome]:
        """Look a batch's invoices up and record what Xero has. The rest go back to the queue
        and the batch is closed — unless the flow has no unique numbers and the batch was sent
        less than SETTLE_S ago: then the batch stays open and is looked at again later."""
        outcomes = self.lookup(stored, if_missing="pending")
        found = [o for o in outcomes if o.outcome != "pending"]
        settled = time.time() - attempted_at >= SETTLE_S
        if self._flow.matches_by == "number" or settled or len(found) == len(outcomes):
            self._store.record_outcomes(self._tenant, run_id, outcomes, fingerprints)
            self._store.close_batch(batch_id)
        else:
            # Record what Xero already has; the others stay "sending" in the open batch.
            self._store.record_outcomes(self._tenant, run_id, found, fingerprints)
            self._store.mark_batch_unknown(batch_id)
            self.waiting += len(outcomes) - len(found)
        return found

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
            live = [c for c in mine if str(c.get("Status", "")) not in ("VOIDED", "DELETED")]
            if mine and not live:
                status = str(mine[0].get("Status", "")).lower()
                outcomes.append(
                    Outcome(
                        item.id,
                        invoice.invoice_number,
                        "failed",
                        f"Xero already has {invoice.invoice_number} for this participant, {status}"
                        " there, so nothing was sent. Give the invoice a new number in Maica, or "
                        "cancel it there.",
                    )
                )
            elif live:
                element = live[0]
                note = "Already in Xero: linked, not created again."
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
