"""Finding invoices again in Xero: for unanswered batches, "Invoice # must be unique" and
invoices in conflict.

Nothing is re-sent until Xero has been asked whether it already has it, 40 numbers (or classic
references) per call. An invoice Xero holds that *is* this one (same contact, date, currency, total
within rounding and line count: :mod:`.matching`) is *linked* (recorded as synced, not created
again); one that is not is a *conflict* (both sides kept, never linked, never sent, never counted
as synced); one Xero does not have goes back to the queue.
"""

from __future__ import annotations

import logging
import time
from typing import Any, Literal

from ..errors import ConfigurationError
from ..flows import Flow, get_flow
from ..states import LinkState, RunOutcome
from ..store import Outcome, Store, StoredInvoice
from ..textsafe import printable
from ..xero.client import XeroClient
from .matching import (
    Facts,
    conflict_sentence,
    detail,
    differences,
    gone_detail,
    is_gone,
    number_key,
)
from .xerodata import items

log = logging.getLogger(__name__)

LOOKUP_BATCH = 40  # invoice numbers (or references) per GET: keeps the URL short
PAGE = 100  # invoices per page when ``page`` is given


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
            if s.state == LinkState.SENDING
        ]
        log.info("Reconciling an unanswered batch of %d invoices.", len(unanswered))
        reconciler = Reconciler(client, store, tenant_id, flow)
        fingerprints = batch.fingerprints or {s.id: s.fingerprint for s in unanswered}
        outcomes += reconciler.reconcile_batch(
            run_id,
            batch.id,
            unanswered,
            fingerprints,
            attempted_at=batch.attempted_at,
            sent=batch.facts,
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
    """Settles batches whose answer never came: their invoices are looked up in Xero (numbers or
    references, 40 to a call) and linked when the Xero invoice is this one (``matching``), made a
    conflict when it is another, or queued again when Xero has none (after the classic flow's
    settling time). Owns nothing between calls; never sends an invoice itself. One run's thread.
    """

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
        sent: dict[int, dict[str, Any]] | None = None,
    ) -> list[Outcome]:
        """Look a batch's invoices up and record what Xero has. The rest go back to the queue
        and the batch is closed — unless the flow has no unique numbers and the batch was sent
        less than SETTLE_S ago: then the batch stays open and is looked at again later."""
        outcomes = self.lookup(stored, if_missing="pending", sent=sent)
        found = [o for o in outcomes if o.outcome != RunOutcome.PENDING]
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
        self,
        stored: list[StoredInvoice],
        if_missing: Literal["pending", "failed"],
        sent: dict[int, dict[str, Any]] | None = None,
    ) -> list[Outcome]:
        """What Xero holds for each invoice: linked when it is this invoice (see
        :mod:`.matching`), a conflict when it is not, ``if_missing`` when Xero has nothing.
        ``sent`` holds what each invoice looked like when it was sent, when that is known (an
        invoice re-imported since is compared as it was sent, then flagged changed)."""
        contacts = self._store.contacts(self._tenant)
        found = self._find([s.invoice.invoice_number for s in stored])
        outcomes = []
        for item in stored:
            facts = Facts.from_json(sent[item.id]) if sent and item.id in sent else None
            mapped = contacts.get(item.invoice.participant_id)
            outcomes.append(
                self._judge(
                    item,
                    facts or Facts.of(item.invoice),
                    found.get(number_key(item.invoice.invoice_number), []),
                    mapped[0] if mapped else None,
                    if_missing,
                )
            )
        return outcomes

    def _judge(
        self,
        item: StoredInvoice,
        facts: Facts,
        candidates: list[dict[str, Any]],
        contact_id: str | None,
        if_missing: Literal["pending", "failed"],
    ) -> Outcome:
        number = item.invoice.invoice_number
        if not candidates:
            if if_missing == "failed":
                return Outcome(
                    item.id,
                    number,
                    RunOutcome.FAILED,
                    "Xero reported the invoice number as taken but no invoice with it can be "
                    "found (it may be a credit note or another type). Check Xero.",
                )
            return Outcome(item.id, number, RunOutcome.PENDING)
        judged = [(c, differences(facts, c, contact_id)) for c in candidates]
        same = [c for c, found in judged if not found]
        live = [c for c in same if not is_gone(c)]
        if live:
            element = live[0]
            note = "Already in Xero: linked, not created again."
            if len(live) > 1:
                note += f" Xero holds {len(live)} copies of it: void the extra ones there."
            return Outcome(
                item.id,
                number,
                RunOutcome.LINKED,
                note,
                str(element.get("InvoiceID")),
                str(element.get("InvoiceNumber") or "") or None,
            )
        if same:
            status = str(same[0].get("Status", "")).lower()
            return Outcome(
                item.id,
                number,
                RunOutcome.FAILED,
                f"Xero already has {number} for this participant, {status} there, so nothing "
                f"was sent: Xero keeps the number of a {status} invoice, so 'retry' cannot send "
                "it. If it should be in Xero, give the invoice a new number in Maica and import "
                "it again; if not, cancel it there.",
                detail=gone_detail(same[0]),
            )
        element, found = next(((c, f) for c, f in judged if not is_gone(c)), judged[0])
        log.warning("Invoice %s conflicts with a different invoice in Xero.", printable(number))
        return Outcome(
            item.id,
            number,
            RunOutcome.CONFLICT,
            conflict_sentence(facts, element, found, self._flow.matches_by),
            detail=detail(facts, element, found),
        )

    def _find(self, numbers: list[str]) -> dict[str, list[dict[str, Any]]]:
        """Maica invoice number (as Xero compares it) → the sales invoices Xero has under it
        (its number, or for the classic flow its reference), LOOKUP_BATCH numbers per call
        (plus a call per further page). ``page`` is always given: only then does Xero include
        the line items the comparison needs."""
        found: dict[str, list[dict[str, Any]]] = {}
        wanted = list(dict.fromkeys(numbers))
        by_number = self._flow.matches_by == "number"
        listed = [n for n in wanted if by_number and "," not in n]  # a comma splits the list
        others = [n for n in wanted if not by_number or "," in n]
        field = "InvoiceNumber" if by_number else "Reference"
        queries: list[dict[str, Any]] = [
            {"InvoiceNumbers": ",".join(chunk)} for chunk in _chunks(listed, LOOKUP_BATCH)
        ]
        queries += [
            {"where": " OR ".join(f'{field}=="{_quoted(n)}"' for n in chunk)}
            for chunk in _chunks(others, LOOKUP_BATCH)
        ]
        for query in queries:
            page = 1
            while True:
                body = self._client.accounting(
                    "GET", "Invoices", self._tenant, params={**query, "page": page}
                )
                elements = items(body, "Invoices")
                for element in elements:
                    if element.get("Type", "ACCREC") != "ACCREC":
                        continue
                    key = str(element.get(field) or "")
                    found.setdefault(number_key(key), []).append(element)
                if len(elements) < PAGE:
                    break
                page += 1
        return found


def recheck_conflicts(
    client: XeroClient,
    store: Store,
    tenant_id: str,
    flow: Flow,
    run_id: int,
    skip: frozenset[int] | set[int] = frozenset(),
) -> list[Outcome]:
    """Every invoice in conflict that the flow selects, looked up again (never sent): linked
    once both sides agree, queued once Xero no longer holds the other invoice under its number,
    otherwise still a conflict — counted in this run, so the run does not end complete.
    ``skip``: invoices this run has already looked up (a lost store's lookup): not again."""
    ids = [i for i in store.invoice_ids_in_state(tenant_id, LinkState.CONFLICT) if i not in skip]
    if not ids:
        return []
    reconciler = Reconciler(client, store, tenant_id, flow)
    outcomes: list[Outcome] = []
    for chunk in _chunks(ids, 500):
        stored = [
            s
            for s in store.load_invoices(tenant_id, chunk)
            if s.state == LinkState.CONFLICT and flow.selects(s.invoice)
        ]
        if not stored:
            continue
        found = reconciler.lookup(stored, if_missing="pending")
        store.record_outcomes(tenant_id, run_id, found, {s.id: s.fingerprint for s in stored})
        outcomes += [o for o in found if o.outcome != RunOutcome.PENDING]
    return outcomes


def _chunks(values: list[Any], size: int) -> list[list[Any]]:
    return [values[start : start + size] for start in range(0, len(values), size)]


def _quoted(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')
