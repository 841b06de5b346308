"""What every page of the main window is built from (as Vorta's ``views/base_tab.py``).

A panel holds the service facade (all it asks of core), the task runner (how it asks without
blocking the window) and the status hub (the last status, shared by all panels). It never keeps a
core object other than these. GUI thread only.
"""

from __future__ import annotations

from typing import Any, cast

from ..core.service import Service
from .state import StatusHub
from .tasks import TaskRunner


class Panel:
    """Mixed in before the panel's Qt class: ``class SyncPanel(Panel, QGroupBox)``; the
    arguments after ``hub`` go to the Qt class (a title, the parent)."""

    def __init__(self, service: Service, runner: TaskRunner, hub: StatusHub, *qt: Any) -> None:
        cast(Any, super()).__init__(*qt)
        self.service = service
        self.runner = runner
        self.hub = hub
