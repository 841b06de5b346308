"""The Synchronisation section behind the facade (``service.sync``): import, flows, Run Now,
history, retry and payments. It owns nothing: it reads the facade's store, settings and client and
builds a :class:`~maica_xero_desktop.core.sync.engine.SyncEngine` per run."""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from filelock import FileLock, Timeout

from .errors import (
    ConfigurationError,
    MaicaXeroError,
    UnknownOrganisation,
)
from .flows import all_flows, get_flow
from .importing import parse_export_file, stored_numbers
from .maica.views import WriteBackError
from .mapping import save_mapping
from .states import RunState
from .store import InvoiceRow, Outcome, RunRecord, Store, SupportItem
from .store.maica import TAKEN
from .sync import PaymentSync, Progress, SyncBusy, SyncEngine, SyncResult
from .sync.reused import flag_reused_numbers
from .views import FlowChoice, ImportResult

if TYPE_CHECKING:
    from .service import Service

log = logging.getLogger(__name__)


class SyncService:
    """Import, flows, Run Now, history and payments: the Synchronisation section
    (``service.sync``). Owns nothing of its own: it reads the facade's store, settings and client
    and builds a :class:`SyncEngine` per run. Never sends while the integration is off or
    without an organisation and a sign-in (checked before the engine starts). Same thread rules
    as :class:`Service`."""

    def __init__(self, service: Service) -> None:
        self._service = service  # the facade's private parts are read here, in its own module

    @property
    def _store(self) -> Store:
        return self._service._store

    def _tenant(self) -> str:
        return self._service.settings().active_tenant_id

    # -- import ----------------------------------------------------------------------------

    def import_file(self, path: str | os.PathLike[str]) -> ImportResult:
        """Parse and store a Maica export: all of it, or nothing (ImportRejected)."""
        parsed = parse_export_file(Path(path), stored=stored_numbers(self._store.db))
        invoices = parsed.check()
        summary = self._store.apply_import(invoices)
        flag_reused_numbers(self._store, self._tenant())  # a number reused for another participant
        log.info("Imported %d invoices (%d new).", summary.total, summary.new)
        self._service.refresh_eligibility()
        return ImportResult(parsed, summary)

    def invoices(
        self, state: str | None = None, limit: int = -1, offset: int = 0
    ) -> list[InvoiceRow]:
        return self._store.list_invoices(
            self._tenant(), state, limit, offset, pricing=self._service.pricing()
        )

    def count_invoices(self, state: str | None = None) -> int:
        return self._store.count_invoices(self._tenant(), state)

    # -- flows -----------------------------------------------------------------------------

    def flows(self) -> list[FlowChoice]:
        current = self._service.settings().flow
        return [FlowChoice(flow, flow.name == current) for flow in all_flows()]

    # -- runs ------------------------------------------------------------------------------

    def run(
        self,
        *,
        flow: str | None = None,
        dry_run: bool = False,
        trigger: str = "manual",
        progress: Callable[[Progress], None] | None = None,
        cancel: threading.Event | None = None,
    ) -> SyncResult:
        """Run Now. Guards first: enabled, an organisation, a sign-in; then the engine."""
        service = self._service
        service._http.ensure_enabled()
        tenant = service.active_tenant()
        if not tenant.can_receive_invoices:
            raise UnknownOrganisation(
                f"{tenant.tenant_name} is not an organisation that can receive invoices."
            )
        service._tokens.current()  # NotConnected before any work
        settings = service.settings()
        if settings.source == "maica":
            return self._run_maica(flow, dry_run, trigger, progress, cancel)
        return self._engine(flow, trigger, dry_run, progress, cancel)

    def _engine(
        self,
        flow: str | None,
        trigger: str,
        dry_run: bool,
        progress: Callable[[Progress], None] | None,
        cancel: threading.Event | None,
    ) -> SyncResult:
        service = self._service
        tenant = service.active_tenant()
        settings = service.settings()
        engine = SyncEngine(
            self._store,
            service._xero,
            settings,
            get_flow(flow or settings.flow),
            tenant.tenant_id,
            tenant.tenant_name,
            service.paths.data_dir,
            progress=progress,
            cancel=cancel,
            home=service._settings_store,
        )
        return engine.run(trigger=trigger, dry_run=dry_run)

    def _run_maica(
        self,
        flow: str | None,
        dry_run: bool,
        trigger: str,
        progress: Callable[[Progress], None] | None,
        cancel: threading.Event | None,
    ) -> SyncResult:
        """The Maica org as the source: first the write-back a killed or stopped run left
        pending, then the pull, the engine, and the write-back of what it sent (a preview pulls
        but writes nothing to the org). A mapping with a missing required field refuses before
        anything, and so do names found by label that are not confirmed yet; a pull with a bad
        record stores nothing and sends nothing; the org's limit stops the run with its sentence
        (what was confirmed stays journalled)."""
        tenant = self._service.active_tenant()
        # the Maica steps around the engine are one run too: a second one waits its turn
        lock = FileLock(
            str(self._service.paths.data_dir / f"maica-sync-{tenant.tenant_id}.lock"),
            timeout=0,
            mode=0o600,
        )
        try:
            lock.acquire()
        except Timeout:
            raise SyncBusy(
                f"A sync for {tenant.tenant_name} is already running (in another window, a "
                "schedule or a terminal). Wait for it to finish, then try again."
            ) from None
        try:
            return self._run_maica_locked(flow, dry_run, trigger, progress, cancel)
        finally:
            lock.release()

    def _run_maica_locked(
        self,
        flow: str | None,
        dry_run: bool,
        trigger: str,
        progress: Callable[[Progress], None] | None,
        cancel: threading.Event | None,
    ) -> SyncResult:
        maica = self._service.maica
        calls_before = maica.calls()
        # the org as it is now (a field made read-only or hidden since the last check refuses
        # the run here, before anything is sent to Xero)
        maica.require_mapping(refresh=True)
        written = 0
        refused: list[WriteBackError] = []
        if not dry_run:
            before = maica.write_back()
            written += before.invoices
            refused += before.failed
        pulled = maica.pull_or_refuse()
        result = self._engine(flow, trigger, dry_run, progress, cancel)
        if not dry_run and not (cancel is not None and cancel.is_set()):
            try:
                after = maica.write_back()
            except MaicaXeroError as exc:
                # the invoices are in Xero and linked: their write-back waits for the next run
                log.warning("The write-back to the Maica org stopped: %s", exc.fact)
                result.state = RunState.FAILED
                result.message = " ".join(p for p in (result.message, exc.sentence) if p)
            else:
                written += after.invoices
                # what the first write-back refused was tried again just now: its answer stands
                # (an invoice that changed hands is not tried again: it stays reported)
                refused = [f for f in refused if f.reason.startswith(TAKEN)] + list(after.failed)
        if refused:
            said = refused_sentence(refused)
            log.warning("%s", said)
            result.state = RunState.FAILED
            result.message = " ".join(p for p in (result.message, said) if p)
        result.pulled = pulled.pulled
        result.written_back = written
        result.maica_calls = maica.calls() - calls_before
        self._store.record_maica_run(
            result.run_id,
            maica_calls=result.maica_calls,
            pulled=result.pulled,
            written_back=written,
            state=result.state,
            message=result.message,
        )
        return result

    def history(self, limit: int = 20) -> list[RunRecord]:
        return self._store.runs(limit=limit)

    def run_results(self, run_id: int, outcome: str | None = None) -> list[Outcome]:
        return self._store.run_results(run_id, outcome)

    def support_items(self) -> list[SupportItem]:
        return sorted(self._store.support_items().values(), key=lambda item: item.item_number)

    def set_support_item(
        self,
        item_number: str,
        *,
        account_code: str | None = None,
        tax_type: str | None = None,
        description: str | None = None,
    ) -> SupportItem:
        """Change a support item's Xero mapping; blocked invoices using it are re-checked."""
        current = self._store.support_items().get(item_number)
        if current is None:
            raise ConfigurationError(
                f"There is no support item {item_number} in the imported invoices."
            )
        # checked as the mapping editor's are: no spaces in codes, Xero's lengths, nothing hidden
        return save_mapping(
            self._store,
            item_number,
            xero_description=description,
            account_code=account_code,
            tax_type=tax_type,
        )

    def has_sent_invoices(self) -> bool:
        """Whether any invoice of the active organisation is in Xero (else a payment refresh
        asks Xero nothing)."""
        return bool(self._store.synced_xero_ids(self._tenant()))

    def retry_failed(self) -> int:
        """Failed invoices back to pending, for the next run."""
        return self._store.reset_failed(self._tenant())

    def refresh_payments(self) -> int:
        """Pull payment changes for this organisation's synced invoices; returns the changes.
        With the Maica org as the source, the changed payments are then written to it."""
        self._service._http.ensure_enabled()
        tenant = self._service.active_tenant()
        changes = PaymentSync(self._service._xero, self._store, tenant.tenant_id).pull()
        if changes and self._service.settings().source == "maica":
            # the Payment records in Maica follow at once (webhooks land here too); a write-back
            # that cannot run now is left to the next run, which writes back first
            try:
                self._service.maica.write_back()
            except MaicaXeroError as exc:
                log.warning("Payments not written to the Maica org yet: %s", exc.fact)
        return changes


def refused_sentence(refused: list[WriteBackError]) -> str:
    """The run's sentence when the Maica org refused updates after Xero confirmed: how many,
    the first (which invoice or payment, which record, why, what to do), and the risk."""
    first = refused[0]
    count = "1 update" if len(refused) == 1 else f"{len(refused)} updates"
    return (
        f"The Maica org did not take {count} after Xero confirmed (first: {first.what}, record "
        f"{first.sf_id or '?'}: {first.reason.rstrip('.')}). Until Maica has the Xero ids, "
        "Maica's own Xero flow could send those invoices again: keep it turned off."
    )
