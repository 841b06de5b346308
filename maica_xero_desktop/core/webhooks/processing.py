"""What happens to stored webhook events, after the receiver has answered Xero.

A round takes every event that is due, decides per event, and records the outcome:

- INVOICE events of the active organisation for invoices this product pushed: their ids are
  fetched from Xero in one :meth:`PaymentSync.fetch` call (40 ids per request), which records
  AmountPaid / AmountDue / payments / Xero status and moves the Maica status to Not Paid,
  Partially Paid or Fully Paid; the event becomes *processed* with the invoice's new standing.
- Another organisation's events, other categories (CONTACT ...) and invoices never pushed from
  here become *ignored*, with the reason: kept and shown, not errors.
- While the integration is off, events stay *new* and untouched (marked as waiting), and the
  worker looks again every :data:`WHILE_OFF_S` seconds: once it is turned on they are processed.
- When Xero cannot be reached (or the sign-in needs attention) the
  events stay *new* and are tried again later, with a growing delay; after
  :data:`MAX_ATTEMPTS` tries, or on an error a retry cannot fix, they become *failed*.

:class:`WebhookProcessor` also runs the rounds on a worker thread: woken by the receiver after each
stored delivery (waiting :attr:`batch_delay` to gather a burst into one fetch), and at the next
retry time. A catch-up pull (If-Modified-Since) covers anything missed while nothing listened.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from ..errors import (
    IntegrationDisabled,
    KeyringUnavailable,
    MaicaXeroError,
    NeedsReconnect,
    NotConnected,
    RateLimited,
    TenantUnavailable,
    XeroUnavailable,
)
from ..states import EventState
from ..store import Store
from ..store.db import StoreError
from ..store.events import EventUpdate, LinkView, StoredEvent
from ..sync import PaymentSync
from ..xero.client import XeroClient

log = logging.getLogger(__name__)

RETRY_DELAYS_S = (5.0, 30.0, 120.0, 600.0, 1800.0)
WAITING_WHILE_OFF = "Waiting: the integration is turned off."
#: while the integration is off, the worker looks this often whether it was turned on
WHILE_OFF_S = 5.0
MAX_ATTEMPTS = 8
#: errors that another try may cure: the event stays "new"
TRANSIENT = (
    XeroUnavailable,
    RateLimited,
    NotConnected,
    NeedsReconnect,
    IntegrationDisabled,
    TenantUnavailable,
    KeyringUnavailable,
    StoreError,
)


@dataclass(frozen=True)
class Sources:
    """What processing reads and writes, handed over by the facade (never the whole ``Service``):
    the store (opened on first use), the active organisation's id, the Xero client, the
    integration toggle and the catch-up pull of the active organisation's payment changes."""

    store: Callable[[], Store]
    active_tenant_id: Callable[[], str]
    xero: Callable[[], XeroClient]
    is_enabled: Callable[[], bool]
    pull_payments: Callable[[], int]


@dataclass(frozen=True)
class ProcessReport:
    processed: int = 0
    ignored: int = 0
    deferred: int = 0
    failed: int = 0
    changed: int = 0
    message: str = ""

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def _standing(view: LinkView) -> str:
    xero = f"Xero {view.xero_invoice_number}" if view.xero_invoice_number else "in Xero"
    if view.xero_status in ("VOIDED", "DELETED"):
        return f"{view.invoice_number}: {view.xero_status.lower()} in Xero ({xero})."
    state = view.maica_status
    if view.xero_payment_state and view.xero_payment_state != view.maica_status:
        state += f" (Xero: {view.xero_payment_state})"  # Maica's status is never lowered
    credited = "" if _zero(view.amount_credited) else f", credited {_money(view.amount_credited)}"
    return (
        f"{view.invoice_number}: {state} — paid {_money(view.amount_paid)}{credited}, due "
        f"{_money(view.amount_due)} ({xero}, {view.xero_status or 'status unknown'})."
    )


def _zero(text: str) -> bool:
    try:
        return Decimal(text) == 0
    except InvalidOperation:
        return True


class WebhookProcessor:
    """Processes stored webhook events (see the module docstring) and runs the rounds on its
    worker thread. Owns that thread and the round lock; writes outcomes through the store and
    reads invoices through :class:`PaymentSync`. Never answers Xero's delivery (the receiver
    did, before) and never processes while the integration is off.

    Threads: :meth:`process_due` may be called from any thread (a window task, the CLI); rounds
    never overlap. :meth:`wake` is safe from the receiver's threads."""

    def __init__(
        self,
        sources: Sources,
        *,
        clock: Callable[[], float] = time.time,
        batch_delay: float = 0.1,
        on_catch_up: Callable[[dict[str, Any]], None] | None = None,
    ) -> None:
        self._sources = sources
        self._clock = clock
        self.batch_delay = batch_delay
        self._on_catch_up = on_catch_up
        self._round = threading.Lock()
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    # -- one round -------------------------------------------------------------------------

    def process_due(self) -> ProcessReport:
        """Process every due event now (one round; rounds never overlap)."""
        with self._round:
            return self._process(self._sources.store().due_webhook_events(self._clock()))

    def _process(self, due: list[StoredEvent]) -> ProcessReport:
        if not due:
            return ProcessReport()
        sources, store, now = self._sources, self._sources.store(), self._clock()
        # The one "enabled" check of a round (the transport refuses any request while off too).
        if not sources.is_enabled():  # they wait, due as they are, for it to be turned on
            waiting = WAITING_WHILE_OFF
            store.update_webhook_events(
                EventUpdate(e.id, "new", waiting, e.next_attempt)
                for e in due
                if e.message != waiting
            )
            return ProcessReport(deferred=len(due), message=waiting)
        tenant = sources.active_tenant_id()
        ours = {xero_id.lower(): xero_id for xero_id in store.synced_xero_ids(tenant)}
        updates: list[EventUpdate] = []
        wanted: list[StoredEvent] = []
        for event in due:
            reason = self._ignore_reason(event, tenant, ours)
            if reason:
                updates.append(EventUpdate(event.id, EventState.IGNORED, reason))
            else:
                wanted.append(event)
        report = ProcessReport(ignored=len(updates))
        if wanted:
            ids = list(dict.fromkeys(ours[e.resource_id.lower()] for e in wanted))
            try:
                changed = PaymentSync(sources.xero(), store, tenant).fetch(ids)
            except MaicaXeroError as exc:
                updates.extend(self._retry_or_fail(wanted, exc.sentence, exc, now))
            except Exception:
                log.exception("webhooks: processing failed")
                sentence = "An unexpected error stopped the processing; details are in the log."
                updates.extend(
                    EventUpdate(e.id, EventState.FAILED, sentence, attempted=True) for e in wanted
                )
            else:
                views = store.link_views(tenant, ids)
                for event in wanted:
                    view = views.get(event.resource_id.lower())
                    text = _standing(view) if view else "Refreshed from Xero."
                    updates.append(
                        EventUpdate(event.id, EventState.PROCESSED, text, attempted=True)
                    )
                report = ProcessReport(ignored=report.ignored, changed=changed)
        store.update_webhook_events(updates)
        counts = {
            s: sum(1 for u in updates if u.status == s)
            for s in (EventState.PROCESSED, EventState.FAILED)
        }
        deferred = sum(1 for u in updates if u.status == EventState.NEW)
        log.info(
            "webhooks: %d processed, %d ignored, %d to retry, %d failed.",
            counts[EventState.PROCESSED],
            report.ignored,
            deferred,
            counts[EventState.FAILED],
        )
        return ProcessReport(
            processed=counts[EventState.PROCESSED],
            ignored=report.ignored,
            deferred=deferred,
            failed=counts[EventState.FAILED],
            changed=report.changed,
        )

    @staticmethod
    def _ignore_reason(event: StoredEvent, tenant: str, ours: dict[str, str]) -> str:
        if event.category != "INVOICE":
            return f"A {event.category} event: only invoice events are used."
        if not tenant:
            return "No organisation is selected, so the event cannot be matched."
        if event.tenant_id.lower() != tenant.lower():
            return f"For organisation {event.tenant_id}, not the active one."
        if event.resource_id.lower() not in ours:
            return "Not an invoice this product sent to Xero; nothing to update."
        return ""

    def _retry_or_fail(
        self, events: list[StoredEvent], sentence: str, exc: Exception, now: float
    ) -> list[EventUpdate]:
        out = []
        for event in events:
            tries = event.attempts + 1
            if isinstance(exc, TRANSIENT) and tries < MAX_ATTEMPTS:
                delay = RETRY_DELAYS_S[min(tries, len(RETRY_DELAYS_S)) - 1]
                message = f"Will try again: {sentence}"
                out.append(EventUpdate(event.id, "new", message, now + delay, attempted=True))
            else:
                out.append(EventUpdate(event.id, EventState.FAILED, sentence, attempted=True))
        return out

    # -- catch-up ----------------------------------------------------------------------------

    def catch_up(self) -> int:
        """Pull every payment change since the last pull (If-Modified-Since); raises errors."""
        try:
            changed = self._sources.pull_payments()
        except MaicaXeroError as exc:
            self._report_catch_up(ok=False, changed=0, message=exc.sentence)
            raise
        self._report_catch_up(ok=True, changed=changed, message="")
        return changed

    def _report_catch_up(self, *, ok: bool, changed: int, message: str) -> None:
        if self._on_catch_up is not None:
            info = {"at": self._clock(), "ok": ok, "changed": changed, "message": message}
            self._on_catch_up(info)

    # -- the worker --------------------------------------------------------------------------

    def start(self, catch_up: bool = True) -> None:
        if self._thread is not None:
            return
        self._stopping.clear()
        self._thread = threading.Thread(
            target=self._run, args=(catch_up,), name="webhook-processor", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        thread, self._thread = self._thread, None
        self._stopping.set()
        self._wake.set()
        if thread is not None:
            thread.join(timeout=30)

    def wake(self) -> None:
        self._wake.set()

    def _run(self, catch_up: bool) -> None:
        if catch_up:
            try:
                self.catch_up()
            except MaicaXeroError as exc:
                log.info("webhooks: catch-up pull not done: %s", exc.sentence)
            except Exception:
                log.exception("webhooks: catch-up pull failed")
        while not self._stopping.is_set():
            waiting = False
            try:
                waiting = self.process_due().message == WAITING_WHILE_OFF
                upcoming = self._sources.store().next_webhook_attempt()
            except Exception:
                log.exception("webhooks: processing round failed")
                upcoming = None
            timeout = 60.0 if upcoming is None else upcoming - self._clock()
            if upcoming is not None and waiting:
                timeout = WHILE_OFF_S  # due events wait for the integration: no busy loop
            if self._wake.wait(min(max(timeout, 0.05), 60.0)):
                self._wake.clear()
                self._stopping.wait(self.batch_delay)  # let a burst arrive: one fetch for all


def _money(value: object) -> str:
    """An amount as people read it: two decimals, thousands separated ("1,234.50")."""
    try:
        return f"{Decimal(str(value if value is not None else 0)):,.2f}"
    except (InvalidOperation, ValueError):
        return str(value)
