"""The Synchronisation section behind the facade (``service.sync``): import, flows, Run Now,
history, retry and payments. It owns nothing: it reads the facade's store, settings and client and
builds a :class:`~maica_xero_desktop.core.sync.engine.SyncEngine` per run."""

from __future__ import annotations

import logging
import os
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from filelock import FileLock, Timeout

from .errors import (
    ConfigurationError,
    MaicaXeroError,
    SalesforceLimitExceeded,
    UnknownOrganisation,
)
from .flows import all_flows, get_flow
from .importing import parse_export_file, stored_numbers
from .maica.text import outside
from .maica.views import WriteBackError
from .mapping import save_mapping
from .models import Invoice
from .states import RunState
from .store import InvoiceRow, Outcome, RunRecord, Store, SupportItem
from .store.maica import NOT_THIS_INVOICE, TAKEN
from .sync import PaymentSync, Progress, SyncBusy, SyncEngine, SyncResult
from .sync.eligibility import Eligibility, SourceRule
from .sync.eligibility import refresh as refresh_eligibility
from .sync.matching import CENT_PER_LINE, lines_sum, same_contact, xero_date, xero_total
from .sync.reused import flag_reused_numbers
from .sync.xerodata import items
from .textsafe import printable
from .views import FlowChoice, ImportResult

if TYPE_CHECKING:
    from .service import Service

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class _RunAsked:
    """What Run Now was asked for, handed on as one to the steps of the run."""

    flow: str | None
    dry_run: bool
    trigger: str
    progress: Callable[[Progress], None] | None
    cancel: threading.Event | None


def _failed(result: SyncResult, sentence: str) -> None:
    """The run ends ``failed``; its sentence follows whatever the run already said."""
    result.state = RunState.FAILED
    result.message = " ".join(p for p in (result.message, sentence) if p)


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
        self.refresh_eligibility()
        return ImportResult(parsed, summary)

    def refresh_eligibility(self) -> Eligibility:
        """Mark the invoices the chosen flow and the source do not send (and un-mark those they
        now send): the facade's look, with the source's rule (the source ``file`` leaves the
        invoices read from the Maica org alone; the Maica org, those dated before
        maica-since)."""
        s = self._service.settings()
        if not s.active_tenant_id:
            return Eligibility(s.flow)
        try:
            flow = get_flow(s.flow)
        except ConfigurationError as exc:  # a plug-in flow that is gone: the next run says so
            log.info("Invoices not re-checked for the flow: %s", exc.sentence)
            return Eligibility(s.flow)
        return refresh_eligibility(
            self._store, s.active_tenant_id, flow, SourceRule.of(s.source, s.maica_since)
        )

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
        asked = _RunAsked(flow, dry_run, trigger, progress, cancel)
        if settings.source == "maica":
            return self._run_maica(asked)
        return self._engine(asked)

    def _engine(self, asked: _RunAsked) -> SyncResult:
        service = self._service
        tenant = service.active_tenant()
        settings = service.settings()
        engine = SyncEngine(
            self._store,
            service._xero,
            settings,
            get_flow(asked.flow or settings.flow),
            tenant.tenant_id,
            tenant.tenant_name,
            service.paths.data_dir,
            progress=asked.progress,
            cancel=asked.cancel,
            home=service._settings_store,
        )
        return engine.run(trigger=asked.trigger, dry_run=asked.dry_run)

    def _run_maica(self, asked: _RunAsked) -> SyncResult:
        """The Maica org as the source: first the write-back a killed or stopped run left
        pending, then the pull, the engine, and the write-back of what it sent (a preview pulls
        but writes nothing to the org). A mapping with a missing required field refuses before
        anything, and so do names found by label that are not confirmed yet; a pull with a bad
        record stores nothing and sends nothing; the org's limit stops the run with its sentence
        (what was confirmed stays journalled). Invoices linked to a Finance External ID someone
        else wrote are looked up in Xero before the engine. A write-back Maica refused (or an
        invoice that changed hands meanwhile) ends the run ``failed`` with its sentence, in the
        history and the log."""
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
            return self._run_maica_locked(asked)
        finally:
            lock.release()

    def _run_maica_locked(self, asked: _RunAsked) -> SyncResult:
        dry_run, cancel = asked.dry_run, asked.cancel
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
        pull_started = time.time()
        pulled = maica.pull_or_refuse()
        self._check_elsewhere()
        result = self._engine(asked)
        if not dry_run and not (cancel is not None and cancel.is_set()):
            try:
                # what this run's pull just read empty is written without a second read
                after = maica.write_back(fresh_since=pull_started)
            except MaicaXeroError as exc:
                # the invoices are in Xero and linked: their write-back waits for the next run
                log.warning("The write-back to the Maica org stopped: %s", exc.fact)
                said = exc.sentence
                if isinstance(exc, SalesforceLimitExceeded):
                    usage = f" ({exc.used} of {exc.limit} calls)" if exc.used and exc.limit else ""
                    said = (
                        f"The Maica org's daily Salesforce API budget ran out{usage} before the "
                        "Xero ids were written to it: the invoices sent are in Xero and linked "
                        "here, and the next run writes them back first (wait until the budget "
                        "renews, or ask a Salesforce administrator to raise it)."
                    )
                _failed(result, said)
            else:
                written += after.invoices
                # what the first write-back refused was tried again just now: its answer stands
                # (an invoice that changed hands is not tried again: it stays reported)
                refused = [f for f in refused if f.reason.startswith(TAKEN)] + list(after.failed)
        if refused:
            said = refused_sentence(refused)
            log.warning("%s", said)
            _failed(result, said)
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

    def _check_elsewhere(self) -> None:
        """Invoices linked to a Finance External ID someone else wrote (Maica's own sync) are
        looked up in Xero (``IDs``, 50 a call) before anything trusts the link: one Xero does
        not know (another organisation's, or garbage), or that is another invoice (contact,
        date or total differ), is set apart with a sentence — never synced, sent or written
        back."""
        tenant = self._service.active_tenant()
        unchecked = self._store.elsewhere_unchecked(tenant.tenant_id)
        if not unchecked:
            return
        stored = {
            s.id: s for s in self._store.load_invoices(tenant.tenant_id, [i for i, _ in unchecked])
        }
        contacts = self._store.contacts(tenant.tenant_id)
        found: list[tuple[int, str]] = []
        refused: list[tuple[int, str]] = []
        for start in range(0, len(unchecked), ELSEWHERE_IDS_PER_CALL):
            chunk = unchecked[start : start + ELSEWHERE_IDS_PER_CALL]
            wanted = [x for _, x in chunk if _GUID.fullmatch(x)]
            body = (
                self._service._xero.accounting(
                    "GET", "Invoices", tenant.tenant_id, params={"IDs": ",".join(wanted), "page": 1}
                )
                if wanted
                else {}
            )
            by_id = {str(e.get("InvoiceID") or "").lower(): e for e in items(body, "Invoices")}
            for invoice_id, xero_id in chunk:
                item = stored.get(invoice_id)
                if item is None:
                    continue
                element = by_id.get(xero_id.lower())
                if element is None:
                    refused.append((invoice_id, (
                        f"{NOT_THIS_INVOICE} ({outside(xero_id, 80)}, set by Maica's own sync "
                        f"or by hand) is not an invoice in {tenant.tenant_name}: it may belong "
                        "to another Xero organisation. It is not sent; correct the Finance "
                        "External ID in Maica to this invoice's Xero InvoiceID."
                    )))  # fmt: skip
                    continue
                mapped = contacts.get(item.invoice.participant_id)
                differ = _elsewhere_differences(
                    item.invoice, element, mapped[0] if mapped else None
                )
                if differ:
                    refused.append((invoice_id, (
                        f"{NOT_THIS_INVOICE} ({outside(xero_id, 80)}) is another invoice in "
                        f"{tenant.tenant_name} ({'; '.join(differ)}). It is not sent; correct the "
                        "Finance External ID in Maica to this invoice's Xero InvoiceID."
                    )))  # fmt: skip
                else:
                    found.append((invoice_id, xero_id))
        self._store.elsewhere_checked(tenant.tenant_id, found, refused)
        for invoice_id, message in refused:
            log.warning("Invoice %s: %s", stored[invoice_id].invoice.invoice_number, message)

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


#: Xero invoice ids per ``IDs=`` lookup (Xero's URL length keeps it to about 50 GUIDs)
ELSEWHERE_IDS_PER_CALL = 50
_GUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


def _elsewhere_differences(
    invoice: Invoice, element: dict[str, Any], contact_id: str | None
) -> list[str]:
    """What tells the Xero invoice at a Finance External ID someone else wrote from this one:
    the contact (the participant's, by its number, this product's mapping or its name — Maica's
    own sync names contacts after participants), the date and the total before tax."""
    found: list[str] = []
    contact = element.get("Contact") if isinstance(element.get("Contact"), dict) else {}
    name = str((contact or {}).get("Name") or "")
    same_name = (
        " ".join(name.split()).casefold() == " ".join(invoice.participant_name.split()).casefold()
    )
    if not (same_contact(element, invoice.participant_id, contact_id) or same_name):
        found.append(f"it is for {printable(name) or 'another contact'}")
    day = xero_date(element)
    if day != invoice.invoice_date.isoformat():
        found.append(f"it is dated {printable(day) or 'unknown'}")
    total = xero_total(element)
    ours = lines_sum(invoice)
    if total is None or abs(total - ours) > CENT_PER_LINE * max(len(invoice.lines), 1):
        shown = "unknown" if total is None else f"{total:.2f}"
        found.append(f"its total before tax is {shown}, not {ours:.2f}")
    return found
