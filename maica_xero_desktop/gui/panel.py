"""What every page of the main window is built from (as Vorta's ``views/base_tab.py``).

A panel holds the service facade (all it asks of core), the task runner (how it asks without
blocking the window) and the status hub (the last status, shared by all panels). It never keeps a
core object other than these. GUI thread only.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar, cast

from PySide6.QtWidgets import QAbstractButton

from ..core.errors import MaicaXeroError
from ..core.service import Service
from .state import StatusHub
from .tasks import Task, TaskRunner

T = TypeVar("T")


class Panel:
    """Mixed in before the panel's Qt class: ``class SyncPanel(Panel, QGroupBox)``; the
    arguments after ``hub`` go to the Qt class (a title, the parent)."""

    def __init__(self, service: Service, runner: TaskRunner, hub: StatusHub, *qt: Any) -> None:
        cast(Any, super()).__init__(*qt)
        self.service = service
        self.runner = runner
        self.hub = hub

    def submit_sync(
        self,
        call: Callable[[], T],
        on_done: Callable[[T], None],
        on_error: Callable[[MaicaXeroError], None],
        button: QAbstractButton,
        name: str,
    ) -> Task[T]:
        """``call`` on a worker, in the active organisation's sync queue (after a run that is
        going, never beside it), with ``button`` disabled meanwhile."""

        def work(task: Task[T]) -> T:
            return call()

        return self.runner.submit(
            work,
            on_done=on_done,
            on_error=on_error,
            queue=self.hub.sync_queue(),
            button=button,
            name=name,
        )
