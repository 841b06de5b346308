"""A lost, emptied, replaced or restored store never sends an invoice Xero already has.

The home's settings remember, per organisation, which store last sent it invoices and how many that
store had linked there (``store_memory``). Before a run sends anything, the store is checked:

- the settings name **another store** for this organisation (the file was deleted, emptied — SQLite
  makes a 0-byte file into a new database without a word — or swapped), or
- the settings say this store had **more invoices linked** than it knows now (restored from an older
  backup), or
- the flow is the classic one (Xero numbers the invoices, so nothing in Xero stops a second copy)
  and Xero holds invoices this app created (``createdByMyApp``), changed since this store last
  asked (``If-Modified-Since``, by Xero's own clock), that the store has no link to: a new computer,
  settings and database both restored from the same old backup, or another computer sending to the
  same organisation. One call a run (one more per further 1,000 changed invoices). The number flows
  need not ask: Xero refuses a second invoice with a number it has, and that refusal is resolved by
  a checked lookup (:mod:`.matching`).

Then every invoice the run could send is first looked up in Xero, 40 per call (``InvoiceNumbers``
for the number flows, ``Reference`` conditions joined with OR for the classic flow): found and the
same invoice → linked; found and different → conflict (:mod:`.matching`); not found → sent as
usual. Only when that lookup finished is the store recorded as the one that knows the organisation.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..errors import SettingsError
from ..flows import Flow
from ..settings import Settings, SettingsStore
from ..states import RunOutcome
from ..store import Outcome, Store, StoreError, identity
from ..xero.client import XeroClient
from .reconcile import Reconciler
from .xerodata import items, ms_date

log = logging.getLogger(__name__)

CHUNK = 500
PAGE_SIZE = 1000


def _seen_key(tenant_id: str) -> str:
    return f"xero_seen:{tenant_id.lower()}"


def _xero_now(body: Any) -> str:
    """The answer's ``DateTimeUTC`` (Xero's clock) as an HTTP date, or "" when absent."""
    moment = ms_date(body.get("DateTimeUTC")) if isinstance(body, dict) else None
    return moment.strftime("%a, %d %b %Y %H:%M:%S GMT") if moment else ""


@dataclass(frozen=True)
class Remembered:
    tenant_id: str
    store_id: str
    pushed: int
    updated_at: float


class HomeMemory:
    """The ``store_memory`` setting: one entry per organisation."""

    def __init__(self, settings: SettingsStore | None) -> None:
        self._settings = settings

    def get(self, tenant_id: str) -> Remembered | None:
        if self._settings is None:
            return None
        for entry in _entries(self._settings.load()):
            if entry.tenant_id.lower() == tenant_id.lower():
                return entry
        return None

    def remember(self, tenant_id: str, store_id: str, pushed: int) -> None:
        if self._settings is None:
            return

        def change(s: Settings) -> None:
            kept = [
                e
                for e in s.store_memory
                if isinstance(e, dict) and str(e.get("tenant_id", "")).lower() != tenant_id.lower()
            ]
            kept.append(
                {
                    "tenant_id": tenant_id,
                    "store_id": store_id,
                    "pushed": pushed,
                    "updated_at": round(time.time(), 3),
                }
            )
            s.store_memory = kept

        self._settings.update(change)


def _entries(settings: Settings) -> list[Remembered]:
    found = []
    saved: list[Any] = settings.store_memory  # hand-edited files may hold anything
    for entry in saved:
        if not isinstance(entry, dict):
            continue
        try:
            found.append(
                Remembered(
                    str(entry["tenant_id"]),
                    str(entry["store_id"]),
                    int(entry.get("pushed", 0)),
                    float(entry.get("updated_at", 0.0)),
                )
            )
        except (KeyError, TypeError, ValueError):
            continue
    return found


class StoreGuard:
    """Checks the store against the home's memory before a run sends, and looks up first."""

    def __init__(
        self,
        client: XeroClient,
        store: Store,
        tenant_id: str,
        tenant_name: str,
        flow: Flow,
        home: HomeMemory,
    ) -> None:
        self._client = client
        self._store = store
        self._tenant = tenant_id
        self._name = tenant_name
        self._flow = flow
        self._home = home
        #: set once the store is known to be safe to send from (checked, or looked up)
        self.cleared = False
        #: for a preview: why a real run would look invoices up first ("" when it would not)
        self.preview_notice = ""
        #: Xero's time of the last question about its invoices (HTTP date), kept once cleared
        self._seen = ""

    def reason(self) -> str | None:
        """Why this store must look invoices up before sending; None when it need not."""
        store_id = identity.store_id(self._store.db)
        known = identity.linked_count(self._store.db, self._tenant)
        entry = self._home.get(self._tenant)
        if entry is not None and entry.store_id != store_id:
            return (
                f"This invoice database is not the one that sent invoices to {self._name} before "
                f"({entry.pushed} linked there): it was replaced, emptied or deleted"
            )
        if entry is not None and entry.pushed > known:
            return (
                f"This invoice database knows {known} invoices in {self._name}, but "
                f"{entry.pushed} were linked there before: it was restored from an older backup"
            )
        # Only the classic flow asks Xero: for the number flows Xero itself refuses a second
        # invoice with the same number, and that refusal is resolved by a checked lookup.
        if self._flow.matches_by == "reference":
            unknown = self._xero_unknown()
            if unknown:
                return (
                    f"{self._name} holds {unknown}{'+' if unknown >= PAGE_SIZE else ''} invoice"
                    f"{'' if unknown == 1 else 's'} sent by this program that this invoice "
                    "database does not know (a new or restored database, or another computer "
                    "sent them)"
                )
        return None

    def preview(self) -> None:
        why = self.reason()
        if why:
            self.preview_notice = (
                f"{why}: a real run looks its invoices up in Xero before sending anything, so "
                "this preview may list invoices Xero already has."
            )

    def _xero_unknown(self) -> int:
        """How many invoices this app created in the organisation, changed since this store last
        asked (by Xero's clock), this store has no link to: one call, plus one per further 1,000
        changed. Stops at the first page with any."""
        since = identity.meta(self._store.db, _seen_key(self._tenant))
        headers = {"If-Modified-Since": since} if since else None
        known = self._store.synced_xero_ids(self._tenant)
        known_lower = {xero_id.lower() for xero_id in known}
        page = 1
        while True:
            body = self._client.accounting(
                "GET",
                "Invoices",
                self._tenant,
                params={
                    "createdByMyApp": "true",
                    "summaryOnly": "true",
                    "page": page,
                    "pageSize": PAGE_SIZE,
                },
                headers=headers,
            )
            if page == 1:
                self._seen = _xero_now(body)
            found = items(body, "Invoices")
            unknown = [e for e in found if str(e.get("InvoiceID") or "").lower() not in known_lower]
            if unknown or len(found) < PAGE_SIZE:
                return len(unknown)
            page += 1

    def check(
        self,
        run_id: int,
        eligible: tuple[str, ...],
        say: Callable[[int, int, str], None],
    ) -> tuple[list[Outcome], str]:
        """Look up what Xero already holds when the store has no (or too little) memory of the
        organisation. Returns the outcomes (linked, conflict, failed) and a sentence for the run."""
        why = self.reason()
        if why is None:
            self._clear()
            return [], ""
        log.warning("%s; looking its invoices up in Xero before sending anything.", why)
        outcomes: list[Outcome] = []
        reconciler = Reconciler(self._client, self._store, self._tenant, self._flow)
        ids = self._store.invoice_ids()
        looked = 0
        for start in range(0, len(ids), CHUNK):
            say(start, len(ids), "Looking up in Xero what this database does not remember")
            stored = [
                s
                for s in self._store.load_invoices(self._tenant, ids[start : start + CHUNK])
                if s.state in eligible and self._flow.selects(s.invoice)
            ]
            if not stored:
                continue
            looked += len(stored)
            looked_up = reconciler.lookup(stored, if_missing="pending")
            found = [o for o in looked_up if o.outcome != RunOutcome.PENDING]
            self._store.record_outcomes(
                self._tenant, run_id, found, {s.id: s.fingerprint for s in stored}
            )
            outcomes += found
        identity.mark_recovered(self._store.db, self._tenant)
        self._clear()
        linked = sum(1 for o in outcomes if o.outcome == RunOutcome.LINKED)
        conflicts = sum(1 for o in outcomes if o.outcome == RunOutcome.CONFLICT)
        sentence = (
            f"{why}. {looked} invoice{' was' if looked == 1 else 's were'} looked up in Xero "
            f"before sending: {linked} already there (linked), {conflicts} in conflict; only the "
            "others are sent."
        )
        log.warning("%s", sentence)
        return outcomes, sentence

    def _clear(self) -> None:
        """This store now speaks for the organisation (recorded before anything is sent)."""
        self.cleared = True
        if self._seen:
            identity.set_meta(self._store.db, _seen_key(self._tenant), self._seen)
        self.remember()

    def remember(self) -> None:
        """Record in the settings that this store speaks for the organisation, with how many
        invoices it has linked there (only when that changed). A settings file that cannot be
        written does not stop the run: it is logged, and the next run tries again."""
        if not self.cleared:
            return
        store_id = identity.store_id(self._store.db)
        pushed = identity.linked_count(self._store.db, self._tenant)
        entry = self._home.get(self._tenant)
        if entry is not None and (entry.store_id, entry.pushed) == (store_id, pushed):
            return
        try:
            self._home.remember(self._tenant, store_id, pushed)
        except SettingsError as exc:
            log.warning("The store's memory was not recorded: %s", exc.sentence)


def describe(store: Store, settings: Settings, tenant_id: str) -> str:
    """A sentence for status when the store is not the one the home remembers, and one when
    invoices sent to the organisation were voided or deleted there since ("" when neither)."""
    try:  # only reads: status must work on a database it may not write
        gone = store.count_gone(tenant_id) if tenant_id else 0
    except StoreError:
        gone = 0
    note = (
        f"{gone} invoice{' was' if gone == 1 else 's were'} voided or deleted in Xero after "
        "being sent: not sent again, since Xero keeps their numbers (see each one's message)."
        if gone
        else ""
    )
    return " ".join(m for m in (_store_note(store, settings, tenant_id), note) if m)


def _store_note(store: Store, settings: Settings, tenant_id: str) -> str:
    entries = {e.tenant_id.lower(): e for e in _entries(settings)}
    entry = entries.get(tenant_id.lower())
    if entry is None:
        return ""
    try:  # only reads: status must work on a database it may not write
        mine = identity.meta(store.db, identity.STORE_ID)
        known = identity.linked_count(store.db, tenant_id)
    except StoreError:
        return ""
    if entry.store_id != mine:
        return (
            "The invoice database is not the one that sent invoices to the active organisation "
            "before (replaced, emptied or deleted): the next sync looks them up in Xero before "
            "sending anything. To restore a backup instead, see docs/restore.md."
        )
    if entry.pushed > known:
        return (
            f"The invoice database knows {known} invoices in the active organisation but "
            f"{entry.pushed} were linked there before (an older backup?): the next sync looks "
            "them up in Xero before sending anything."
        )
    return ""
