"""Run Now: push every eligible Maica invoice into the active Xero organisation exactly once.

The order of a run (see docs/architecture.md):

1. guards — one run per organisation across processes (a file lock); runs a dead process left
   "running" are closed; batches it left open are **reconciled** against Xero before anything else;
2. selection by the flow; 3. **pre-flight** against the organisation's settings (blocked invoices
   get a reason and are not sent); 4. **contacts** found or created; 5. **invoices** in batches of
   at most 50 and 3.5 MB: each batch is journalled, then sent with a deterministic
   ``Idempotency-Key`` and ``summarizeErrors=false``, and every element's outcome is recorded in one
   transaction. An answer that never came leaves the batch open; the next step (or the next run)
   looks its invoices up in Xero, links what Xero has and only then re-sends the rest.

Why this module is longer than ~400 lines: :class:`SyncEngine` is one run's steps in their order,
sharing the run's state (the result, the outcomes counted so far, the cancel flag); split, a reader
would follow one run across files. What needs none of that state lives beside it: the result and
the batches (:mod:`.result`), reconciliation, recovery, pre-flight and contacts.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from filelock import FileLock, Timeout

from ..errors import MaicaXeroError, RateLimited, XeroRequestError, XeroUnavailable
from ..flows import Flow, MappingContext
from ..settings import Settings, SettingsStore
from ..states import LinkState, RunOutcome, RunState
from ..store import Outcome, Store, StoredInvoice
from ..textsafe import printable
from ..totals import EXCLUSIVE, Totals, difference_note, line_amount_type, payload_totals
from ..xero.client import XeroClient
from .contacts import ContactResolver, ContactResult, Participant
from .eligibility import Eligibility, SourceRule, not_eligible_sentence
from .payments import payment_state, start_mark
from .preflight import OrgSettings, approval_refusal, check
from .reconcile import Reconciler, recheck_conflicts, reconcile_open_batches, waiting_sentence
from .recovery import HomeMemory, StoreGuard
from .result import (
    CHUNK,
    COUNTED,
    Progress,
    SyncBusy,
    SyncResult,
    batch_key,
    batches,
    chunks,
    conflict_sentence,
    pending_sentence,
)
from .reused import flag_reused_numbers
from .xerodata import ZERO_ID, amount, items, messages

log = logging.getLogger(__name__)

ELIGIBLE_STATES = (
    LinkState.PENDING,
    LinkState.FAILED,
    LinkState.BLOCKED,
    LinkState.NOT_ELIGIBLE,
)


class SyncEngine:
    """One run (or preview) for one organisation, start to finish: the lock, open batches looked
    up, a lost store recovered, selection and eligibility, pre-flight, contacts, then batches
    journalled before they are sent and their outcomes recorded in one transaction each.

    Owns the run's state (counts, predicted totals) for one :meth:`run` only; the store and the
    Xero client are the caller's. Never sends a second copy of an invoice whose first answer was
    lost (it looks first), never sends while another run holds the organisation's lock. Runs on
    the caller's thread (a worker in the window); progress and cancel are thread-safe.
    """

    def __init__(
        self,
        store: Store,
        client: XeroClient,
        settings: Settings,
        flow: Flow,
        tenant_id: str,
        tenant_name: str,
        lock_dir: Path,
        progress: Callable[[Progress], None] | None = None,
        cancel: threading.Event | None = None,
        home: SettingsStore | None = None,
    ) -> None:
        self.store = store
        self.client = client
        self.settings = settings
        self.flow = flow
        self.tenant_id = tenant_id
        self.tenant_name = tenant_name
        self._lock = FileLock(str(lock_dir / f"sync-{tenant_id}.lock"), timeout=0, mode=0o600)
        self._progress = progress or (lambda p: None)
        self._cancel = cancel or threading.Event()
        #: Xero's totals as predicted from each payload sent (invoice id -> totals)
        self._predicted: dict[int, Totals] = {}
        self._approval_checked = False
        #: invoice id -> its place in the run's outcomes: each invoice is counted once a run
        self._counted: dict[int, int] = {}
        self._selection_done = False
        self._guard = StoreGuard(client, store, tenant_id, tenant_name, flow, HomeMemory(home))

    # -- the run ---------------------------------------------------------------------------

    def run(self, trigger: str = "manual", dry_run: bool = False) -> SyncResult:
        try:
            self._lock.acquire()
        except Timeout:
            raise SyncBusy(
                f"A sync for {self.tenant_name} is already running (in another window, a "
                "schedule or a terminal). Wait for it to finish, then try again."
            ) from None
        try:
            return self._run_locked(trigger, dry_run)
        finally:
            self._lock.release()

    def _run_locked(self, trigger: str, dry_run: bool) -> SyncResult:
        started = time.monotonic()
        self._counted = {}
        self._selection_done = False
        calls_before = self.client.calls
        self.store.close_abandoned_runs(self.tenant_id)
        run_id = self.store.start_run(
            self.tenant_id, self.tenant_name, self.flow.name, trigger, dry_run
        )
        result = SyncResult(run_id, self.flow.name, self.tenant_id, self.tenant_name, dry_run)
        log.info(
            "%s %d started: flow %s, organisation %s, trigger %s.",
            "Preview" if dry_run else "Run",
            run_id,
            self.flow.name,
            printable(self.tenant_name),
            trigger,
        )
        try:
            self._steps(result)
            if self._cancel.is_set():
                result.state = RunState.CANCELLED
                result.message = result.message or "The run was cancelled; nothing is half-sent."
        except (MaicaXeroError, XeroUnavailable) as exc:
            result.state = RunState.FAILED
            result.message = " ".join(m for m in (exc.sentence, result.message) if m)
            log.warning("Sync stopped: %s", exc.sentence)
            self._count_selection(result)
        except BaseException:
            result.state = RunState.FAILED
            result.message = "The run stopped unexpectedly; the next run checks its batches."
            raise
        finally:
            result.api_calls = self.client.calls - calls_before
            result.duration_s = round(time.monotonic() - started, 3)
            first = (
                not_eligible_sentence(result.not_eligible_statuses) if result.not_eligible else ""
            )
            if not dry_run:
                settled = sum(getattr(result, name) for name in COUNTED)
                result.pending = max(0, result.selected - settled)
            late = [conflict_sentence(result.conflict) if result.conflict else ""]
            if result.pending:
                late.append(pending_sentence(result.pending, result.selected))
            if dry_run:
                late.append(self._guard.preview_notice)
            result.message = " ".join(m for m in (first, result.message, *late) if m)
            self.store.finish_run(run_id, result.state, result.counts(), result.message)
            log.info("%s", result.summary())
            if result.message:
                log.info("Run %d: %s", run_id, printable(result.message))
            if not dry_run:
                self._guard.remember()  # how many this store has linked there now
        return result

    def _steps(self, result: SyncResult) -> None:
        """Select, pre-flight, contacts, send: invoices are read in chunks, never all at once
        (memory stays flat, and the garbage collector never has 100,000 invoices to walk)."""
        reconciler = Reconciler(self.client, self.store, self.tenant_id, self.flow)
        flag_reused_numbers(self.store, self.tenant_id)  # a changed invoice's advice, store only
        waiting = 0
        if not result.dry_run:
            self._say(0, 0, "Checking batches an earlier run left unanswered")
            outcomes, waiting = reconcile_open_batches(
                self.client, self.store, self.tenant_id, self.flow, result.run_id
            )
            for outcome in outcomes:
                self._count(result, outcome)
            if waiting:
                result.message = waiting_sentence(waiting)
            self._say(0, 0, "Checking that this invoice database knows what was sent before")
            found, notice = self._guard.check(result.run_id, ELIGIBLE_STATES, self._say)
            for outcome in found:
                self._count(result, outcome)
            # conflicts the lookup above has just judged are not looked up (or counted) again
            for outcome in recheck_conflicts(
                self.client,
                self.store,
                self.tenant_id,
                self.flow,
                result.run_id,
                set(self._counted),
            ):
                self._count(result, outcome)
            result.message = " ".join(m for m in (result.message, notice) if m)
        else:
            self._guard.preview()
        context = MappingContext(
            contact_id=ZERO_ID,  # set once the contact is known
            support_items=self.store.support_items(),
            default_account_code=self.settings.default_account_code,
            default_tax_type=self.settings.default_tax_type,
            payment_terms_days=self.settings.payment_terms_days,
            line_amount_type=line_amount_type(self.settings.line_amount_type) or EXCLUSIVE,
            source=self.settings.source,
        )
        chosen = self._select(result)
        if not chosen:
            if not (result.failed or result.blocked or result.conflict or waiting):
                done = "Every invoice this flow selects is " + (
                    "in Xero now." if result.linked else "already in Xero."
                )
                result.message = " ".join(m for m in (result.message, done) if m)
            return
        self._say(0, 0, "Reading the organisation's accounts, tax rates and tracking")
        org = OrgSettings.fetch(self.client, self.tenant_id)
        self.store.remember_rates(self.tenant_id, org.rates)
        passed: list[tuple[int, str, str]] = []  # (invoice id, number, participant id)
        participants: dict[str, Participant] = {}
        blocked: list[Outcome] = []
        for chunk in chunks(chosen, CHUNK):
            for stored in self.store.load_invoices(self.tenant_id, chunk):
                invoice = stored.invoice
                if stored.state not in ELIGIBLE_STATES:
                    continue  # changed hands meanwhile (a re-import)
                reasons = check(invoice, self.flow.to_xero(invoice, context), org, context)
                if reasons:
                    blocked.append(_outcome(stored, RunOutcome.BLOCKED, " ".join(reasons)))
                    continue
                passed.append((stored.id, invoice.invoice_number, invoice.participant_id))
                participants.setdefault(
                    invoice.participant_id,
                    Participant(
                        invoice.participant_id,
                        invoice.participant_name,
                        invoice.ndis_number,
                        invoice.bill_to_email,
                    ),
                )
        finding = "Finding" if result.dry_run else "Finding or creating"
        self._say(0, len(passed), f"{finding} the participants' contacts")
        resolver = ContactResolver(self.client, self.store, self.tenant_id)
        contacts = resolver.resolve(list(participants.values()), dry_run=result.dry_run)
        failed = [
            Outcome(i, number, RunOutcome.FAILED, contacts.failed[pid])
            for i, number, pid in passed
            if pid in contacts.failed
        ] + [
            # e.g. an archived contact
            Outcome(i, number, RunOutcome.BLOCKED, contacts.blocked[pid])
            for i, number, pid in passed
            if pid in contacts.blocked
        ]
        held = contacts.failed.keys() | contacts.blocked.keys()
        sendable = [i for i, _, pid in passed if pid not in held]
        if result.dry_run:
            self._preview(result, sendable, contacts, context, org, blocked + failed)
            return
        self._record(result, blocked + failed, batch_id=None, sent=[])
        self._send(result, sendable, contacts, context, org, reconciler)

    def _select(self, result: SyncResult) -> list[int]:
        """The invoices this run sends, chosen before any of them is looked at in Xero; sets
        ``selected`` (those plus every invoice the run has already settled by a lookup),
        ``skipped`` (already in Xero) and the not-eligible counts."""
        settled = set(self._counted)
        # the source first: read from the Maica org with the source `file`, or dated before
        # maica-since with the Maica org as the source, an invoice is not eligible
        eligibility = Eligibility(
            self.flow.name, SourceRule.of(self.settings.source, self.settings.maica_since)
        )
        chosen: list[int] = []
        skipped = 0
        for chunk in chunks(self.store.invoice_ids(), CHUNK):
            for stored in self.store.load_invoices(self.tenant_id, chunk):
                if not eligibility.consider(self.flow, stored) or stored.id in settled:
                    continue
                if stored.state not in ELIGIBLE_STATES:
                    skipped += 1
                    continue
                chosen.append(stored.id)
        result.skipped = skipped
        result.selected = len(chosen) + len(settled)
        self._eligibility(result, eligibility)
        self._selection_done = True
        return chosen

    def _count_selection(self, result: SyncResult) -> None:
        """A run stopped before it chose its invoices still reports how many it would have sent
        (and how many the flow leaves alone): they are left for the next run."""
        if self._selection_done:
            return
        try:
            self._select(result)
        except MaicaXeroError as exc:  # the store itself failing: the counts stay unknown
            log.warning("The stopped run's invoices could not be counted: %s", exc.sentence)

    def _mapped(
        self,
        ids: list[int],
        contacts: ContactResult,
        context: MappingContext,
        org: OrgSettings,
        blocked: list[Outcome],
    ) -> Iterator[tuple[StoredInvoice, dict[str, Any]]]:
        """The invoices as they are *now*, mapped with their contact and checked again."""
        for chunk in chunks(ids, CHUNK):
            for stored in self.store.load_invoices(self.tenant_id, chunk):
                if stored.state not in ELIGIBLE_STATES:
                    continue  # changed hands meanwhile (another run, a re-import)
                contact = contacts.found.get(stored.invoice.participant_id, ZERO_ID)
                payload = self.flow.to_xero(
                    stored.invoice, dataclasses.replace(context, contact_id=contact)
                )
                reasons = check(stored.invoice, payload, org, context)
                if reasons:
                    blocked.append(_outcome(stored, RunOutcome.BLOCKED, " ".join(reasons)))
                    continue
                self._predicted[stored.id] = payload_totals(payload, org.rates)
                yield stored, payload

    def _preview(
        self,
        result: SyncResult,
        sendable: list[int],
        contacts: ContactResult,
        context: MappingContext,
        org: OrgSettings,
        refused: list[Outcome],
    ) -> None:
        late: list[Outcome] = []
        would_send: list[Outcome] = []
        for stored, payload in self._mapped(sendable, contacts, context, org, late):
            totals = self._predicted[stored.id]
            result.preview.append(
                {
                    "invoice_number": stored.invoice.invoice_number,
                    "action": "send",
                    "payload": payload,
                    "totals": totals.to_json(),
                }
            )
            would_send.append(
                _outcome(
                    stored,
                    "would send",
                    f"Would be sent as {payload.get('Status', '')}: Xero's total will be "
                    f"{totals.total} ({totals.subtotal} + tax {totals.tax}).",
                )
            )
        refused = refused + late
        result.preview += [
            {"invoice_number": o.invoice_number, "action": "blocked", "reason": o.message}
            for o in refused
        ]
        result.blocked = sum(1 for o in refused if o.outcome == RunOutcome.BLOCKED)
        result.failed = sum(1 for o in refused if o.outcome == RunOutcome.FAILED)
        result.outcomes = refused
        self.store.record_outcomes(
            self.tenant_id, result.run_id, refused + would_send, {}, results_only=True
        )
        if contacts.would_create:
            count = len(contacts.would_create)
            result.message = f"{count} contact{'' if count == 1 else 's'} would be created."

    # -- sending ---------------------------------------------------------------------------

    def _send(
        self,
        result: SyncResult,
        sendable: list[int],
        contacts: ContactResult,
        context: MappingContext,
        org: OrgSettings,
        reconciler: Reconciler,
    ) -> None:
        late: list[Outcome] = []
        mapped = self._mapped(sendable, contacts, context, org, late)
        total = len(sendable)
        done = 0
        for batch in batches(mapped):
            if late:
                self._record(result, late, batch_id=None, sent=[])
                late.clear()
            if self._cancel.is_set():
                return
            self._say(done, total, f"Sending invoices {done + 1}-{done + len(batch)} of {total}")
            stored = [s for s, _ in batch]
            self._check_approval(batch)
            key = batch_key(self.tenant_id, self.flow.name, [p for _, p in batch], result.run_id)
            self.store.begin_batch(
                key,
                result.run_id,
                self.tenant_id,
                {s.id: s.fingerprint for s in stored},
                self.flow.name,
            )
            try:
                body = self.client.accounting(
                    "PUT",
                    "Invoices",
                    self.tenant_id,
                    params={"summarizeErrors": "false", "unitdp": "4"},
                    json={"Invoices": [p for _, p in batch]},
                    idempotency_key=key,
                )
            except RateLimited:
                # 429: Xero did not act on the request; the invoices wait for the next run.
                self.store.requeue(self.tenant_id, [s.id for s in stored])
                self.store.close_batch(key)
                raise
            except XeroUnavailable:
                # No answer: Xero may or may not have the invoices. Look before anything else.
                self._unanswered(result, reconciler, key, stored)
                raise
            except XeroRequestError as exc:
                if exc.status in (401, 403):
                    # Refused as a whole (sign-in, organisation, permission): nothing was done.
                    self.store.requeue(self.tenant_id, [s.id for s in stored])
                    self.store.close_batch(key)
                    raise
                outcomes = [_outcome(s, RunOutcome.FAILED, exc.sentence) for s in stored]
                self._record(result, outcomes, batch_id=key, sent=stored)
                done += len(batch)
                continue
            elements = items(body, "Invoices")
            outcomes = self._outcomes(stored, elements, reconciler)
            self._record(result, outcomes, batch_id=key, sent=stored)
            self._record_totals(stored, elements)
            created = [e for e in elements if not e.get("HasErrors") and e.get("InvoiceID")]
            self.store.record_payment_states(
                self.tenant_id, [payment_state(e) for e in created], {}
            )
            if created:
                start_mark(self.store, self.tenant_id, body)  # the payment pull starts here
            done += len(batch)
            self._say(done, total, f"Sent {done} of {total}")
        if late:  # blocked on the second look, after the last batch
            self._record(result, late, batch_id=None, sent=[])

    def _check_approval(self, batch: list[tuple[StoredInvoice, dict[str, Any]]]) -> None:
        """Once per run, before the first approved invoice: may this app create them at all?"""
        if self._approval_checked or all(p.get("Status") != "AUTHORISED" for _, p in batch):
            return
        self._approval_checked = True
        refusal = approval_refusal(self.client, self.tenant_id)
        if refusal is not None:
            raise refusal

    def _unanswered(
        self,
        result: SyncResult,
        reconciler: Reconciler,
        key: str,
        stored: list[StoredInvoice],
    ) -> None:
        fingerprints = {s.id: s.fingerprint for s in stored}
        before = reconciler.waiting
        for outcome in reconciler.reconcile_batch(
            result.run_id, key, stored, fingerprints, attempted_at=time.time()
        ):
            self._count(result, outcome)
        if reconciler.waiting > before:
            result.message = waiting_sentence(reconciler.waiting)

    def _outcomes(
        self,
        stored: list[StoredInvoice],
        elements: list[dict[str, Any]],
        reconciler: Reconciler,
    ) -> list[Outcome]:
        if len(elements) != len(stored):
            # Cannot pair answers with invoices: treat as unanswered and look them up.
            return reconciler.lookup(stored, if_missing="pending")
        outcomes: list[Outcome] = []
        duplicates: list[StoredInvoice] = []
        for item, element in zip(stored, elements, strict=True):
            problems = messages(element)
            xero_id = str(element.get("InvoiceID") or "")
            if problems or not xero_id or xero_id == ZERO_ID:
                if any("must be unique" in m for m in problems):
                    duplicates.append(item)
                    continue
                outcomes.append(
                    _outcome(
                        item,
                        RunOutcome.FAILED,
                        "Xero refused it: " + "; ".join(problems or ["?"]),
                    )
                )
                continue
            note = _total_note(self._predicted.get(item.id), element)
            warnings = messages(element, "Warnings")
            outcomes.append(
                Outcome(
                    item.id,
                    item.invoice.invoice_number,
                    RunOutcome.CREATED,
                    " ".join([*warnings, note]).strip(),
                    xero_id,
                    str(element.get("InvoiceNumber") or "") or None,
                )
            )
        if duplicates:
            outcomes.extend(reconciler.lookup(duplicates, if_missing="failed"))
        return outcomes

    def _eligibility(self, result: SyncResult, eligibility: Eligibility) -> None:
        """Count the invoices the flow leaves alone; with the chosen flow, mark them too."""
        result.not_eligible = eligibility.count
        result.not_eligible_statuses = dict(eligibility.statuses)
        if self.flow.name == self.settings.flow:
            eligibility.save(self.store, self.tenant_id)

    def _record_totals(self, stored: list[StoredInvoice], elements: list[dict[str, Any]]) -> None:
        """Xero's total beside the predicted one, on each created invoice's link."""
        if len(elements) != len(stored):
            return
        figures: dict[int, tuple[Totals, str]] = {}
        for item, element in zip(stored, elements, strict=True):
            xero_total = amount(element.get("Total"))
            predicted = self._predicted.get(item.id)
            if xero_total is None or predicted is None or element.get("HasErrors"):
                continue
            figures[item.id] = (predicted, str(xero_total))
        if figures:
            self.store.record_xero_totals(self.tenant_id, figures)

    def _record(
        self,
        result: SyncResult,
        outcomes: list[Outcome],
        batch_id: str | None,
        sent: list[StoredInvoice],
    ) -> None:
        fingerprints = {s.id: s.fingerprint for s in sent}
        self.store.record_outcomes(self.tenant_id, result.run_id, outcomes, fingerprints, batch_id)
        for outcome in outcomes:
            self._count(result, outcome)

    def _count(self, result: SyncResult, outcome: Outcome) -> None:
        """One outcome per invoice and run: a later one (a second look) replaces the earlier."""
        if outcome.outcome == RunOutcome.PENDING:
            return
        place = self._counted.get(outcome.invoice_id)
        if place is None:
            self._counted[outcome.invoice_id] = len(result.outcomes)
            result.outcomes.append(outcome)
        else:
            earlier = result.outcomes[place].outcome
            if earlier in COUNTED:
                setattr(result, earlier, getattr(result, earlier) - 1)
            result.outcomes[place] = outcome
        if outcome.outcome in COUNTED:
            setattr(result, outcome.outcome, getattr(result, outcome.outcome) + 1)

    def _say(self, done: int, total: int, step: str) -> None:
        self._progress(Progress(done, total, step))


def _outcome(stored: StoredInvoice, outcome: str, message: str) -> Outcome:
    return Outcome(stored.id, stored.invoice.invoice_number, outcome, message)


def _total_note(predicted: Totals | None, element: dict[str, Any]) -> str:
    """Xero computes the totals itself: say so, with both figures, when its total is not the one
    predicted from what was sent."""
    xero_total = amount(element.get("Total"))
    if xero_total is None or predicted is None:
        return ""
    return difference_note(xero_total, predicted.total)
