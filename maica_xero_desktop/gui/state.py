"""The window's shared view of the service: the last :class:`Status` (and the Maica org's
:class:`MaicaStatus`), refreshed off the GUI thread.

Panels listen to ``status_changed`` / ``maica_changed`` instead of asking the service themselves,
so one status call serves them all; ``refresh()`` coalesces requests made while one is in flight.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import QObject, Signal

from ..core.errors import MaicaXeroError
from ..core.maica import MaicaStatus
from ..core.service import Service, Status
from .coalesce import CoalescedLoad
from .tasks import Task, TaskRunner

log = logging.getLogger(__name__)


class StatusHub(QObject):
    status_changed = Signal(object)  # Status
    #: the active organisation changed (tenant id, "" when none)
    connection_changed = Signal(str)
    #: the Maica org's status (a MaicaStatus), after each refresh (before status_changed)
    maica_changed = Signal(object)

    def __init__(self, service: Service, runner: TaskRunner, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.service = service
        self.runner = runner
        self.status: Status | None = None
        #: None until the first refresh, or when the Maica status could not be read
        self.maica: MaicaStatus | None = None
        self._load = CoalescedLoad(runner, self._work, self._loaded, self._failed, "status")

    @property
    def tenant_id(self) -> str:
        return self.status.active_tenant_id if self.status else ""

    @property
    def maica_connected(self) -> bool:
        return bool(self.maica and self.maica.connected)

    @property
    def source(self) -> str:
        """Where invoices come from: "maica" or "file"."""
        return self.maica.source if self.maica else "file"

    @property
    def enabled(self) -> bool:
        return bool(self.status and self.status.enabled)

    def sync_queue(self) -> str:
        """The task queue for sync work on the active organisation."""
        return f"sync:{self.tenant_id.lower()}"

    def refresh(self) -> None:
        self._load.request()

    def _work(
        self, task: Task[tuple[Status, MaicaStatus | None]]
    ) -> tuple[Status, MaicaStatus | None]:
        status = self.service.status()
        try:
            maica: MaicaStatus | None = self.service.maica.status()
        except MaicaXeroError as exc:  # the Xero status still shows; the Maica box says why
            log.info("The Maica org's status could not be read: %s", exc.sentence)
            maica = None
        return status, maica

    def _loaded(self, loaded: tuple[Status, MaicaStatus | None]) -> None:
        status, maica = loaded
        previous = self.tenant_id
        self.status = status
        self.maica = maica
        self.maica_changed.emit(maica)
        self.status_changed.emit(status)
        if status.active_tenant_id != previous:
            self.connection_changed.emit(status.active_tenant_id)

    def _failed(self, error: MaicaXeroError) -> None:
        self.runner.presenter.present(error)
