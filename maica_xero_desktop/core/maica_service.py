"""The Maica section behind the facade (``service.maica``): the Maica org's sign-in and status,
the field mapping check, the pull of invoices to send, the write-back of Xero ids and payments,
and the CSV export for organisations without API access. Qt-free; every method may block."""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

from .maica.views import (
    ExportUpdatesResult,
    MaicaStatus,
    MappingCheck,
    PullResult,
    WriteBackResult,
)

if TYPE_CHECKING:
    from .service import Service

log = logging.getLogger(__name__)


class MaicaService:
    """``service.maica``: everything the CLI and the window ask of the Maica org. Owns nothing
    of its own beyond what it reads from the facade (store, settings, the Maica session). Same
    thread rules as :class:`~maica_xero_desktop.core.service.Service`."""

    def __init__(self, service: Service) -> None:
        self._service = service

    def status(self) -> MaicaStatus:
        """Connected or not, who and which org, the namespace and the last mapping state (no
        network)."""
        raise NotImplementedError

    def connect(
        self,
        on_url: Callable[[str], None],
        *,
        login_url: str | None = None,
        open_browser: bool = True,
        timeout: float = 300.0,
        cancel: threading.Event | None = None,
    ) -> MaicaStatus:
        """Sign in to the Maica org through the system browser (``on_url`` gets the address to
        show); saves the tokens in the keyring, then checks the mapping."""
        raise NotImplementedError

    def disconnect(self) -> None:
        """Revoke the Maica sign-in (best effort) and forget its keyring entries."""
        raise NotImplementedError

    def check(self, *, refresh: bool = True) -> MappingCheck:
        """Describe the Maica objects (``refresh``; else the last description) and report every
        mapped field: found, missing, wrong type, not readable or not writable, with a
        suggestion; saves the namespace found. Also lists invoices that changed hands."""
        raise NotImplementedError

    def confirm_mapping(self, changes: dict[str, str] | None = None) -> MappingCheck:
        """The administrator confirms the names found by label, with ``changes`` ("object.role"
        -> API name) overriding any; saved in ``settings.maica_mapping``; answers a new check."""
        raise NotImplementedError

    def pull(self) -> PullResult:
        """Read the invoices to send from the Maica org (incremental by SystemModstamp) into the
        store: all of them, or nothing when any is bad (each reported with its Salesforce Id)."""
        raise NotImplementedError

    def write_back(self) -> WriteBackResult:
        """Write the Xero InvoiceID and number of every invoice Xero confirmed, and every changed
        payment (upserted on Finance External ID = Xero PaymentID), to the Maica org."""
        raise NotImplementedError

    def export_updates(self, path: str | os.PathLike[str]) -> ExportUpdatesResult:
        """Write import-ready CSV files (invoice updates; Payment rows) for an org without API
        access: ``path`` and a ``-payments`` sibling, formula-safe and atomic."""
        raise NotImplementedError
