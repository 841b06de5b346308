"""The window's shared view of the service: the last :class:`Status`, refreshed off the GUI thread.

Panels listen to ``status_changed`` instead of asking the service themselves, so one status call
serves them all; ``refresh()`` coalesces requests made while one is in flight.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal

from ..core.errors import MaicaXeroError
from ..core.service import Service, Status
from .coalesce import CoalescedLoad
from .tasks import Task, TaskRunner


class StatusHub(QObject):
    status_changed = Signal(object)  # Status
    #: the active organisation changed (tenant id, "" when none)
    connection_changed = Signal(str)

    def __init__(self, service: Service, runner: TaskRunner, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.service = service
        self.runner = runner
        self.status: Status | None = None
        self._load = CoalescedLoad(runner, self._work, self._loaded, self._failed, "status")

    @property
    def tenant_id(self) -> str:
        return self.status.active_tenant_id if self.status else ""

    @property
    def enabled(self) -> bool:
        return bool(self.status and self.status.enabled)

    def sync_queue(self) -> str:
        """The task queue for sync work on the active organisation."""
        return f"sync:{self.tenant_id.lower()}"

    def refresh(self) -> None:
        self._load.request()

    def _work(self, task: Task[Status]) -> Status:
        return self.service.status()

    def _loaded(self, status: Status) -> None:
        previous = self.tenant_id
        self.status = status
        self.status_changed.emit(status)
        if status.active_tenant_id != previous:
            self.connection_changed.emit(status.active_tenant_id)

    def _failed(self, error: MaicaXeroError) -> None:
        self.runner.presenter.present(error)
