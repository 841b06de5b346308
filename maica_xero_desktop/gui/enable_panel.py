"""Section 1, "Enable the Integration": the toggle that everything below depends on."""

from __future__ import annotations

from PySide6.QtWidgets import QCheckBox, QGroupBox, QHBoxLayout, QWidget

from ..core.service import Service, Status
from .panel import Panel
from .state import StatusHub
from .tasks import Task, TaskRunner
from .widgets import StatusLine

OFF_SENTENCE = (
    "The integration is off: no request leaves this computer for Xero and no synchronisation "
    "runs. The other sections are inactive until you turn it on (the Xero app's client id can be "
    "saved under Active Connections before)."
)
ON_SENTENCE = "The integration is on: this computer may connect to Xero and synchronise invoices."


class EnablePanel(Panel, QGroupBox):
    def __init__(
        self, service: Service, runner: TaskRunner, hub: StatusHub, parent: QWidget | None = None
    ) -> None:
        super().__init__(service, runner, hub, "Enable the Integration", parent)
        self.toggle = QCheckBox("&Enable the Xero integration")
        self.toggle.setAccessibleName("Enable the Xero integration")
        self.toggle.setToolTip("Off: nothing is sent to Xero and no synchronisation runs.")
        self.toggle.setEnabled(False)  # until the first status arrives
        self.explanation = StatusLine()
        self.explanation.setAccessibleName("Integration state")
        layout = QHBoxLayout(self)
        layout.addWidget(self.toggle)
        layout.addSpacing(12)
        layout.addWidget(self.explanation, 1)
        self.toggle.toggled.connect(self._toggled)
        hub.status_changed.connect(self._show)

    def _show(self, status: Status) -> None:
        if not self.runner.is_busy("enable"):
            self.toggle.setEnabled(True)
        self.toggle.blockSignals(True)
        self.toggle.setChecked(status.enabled)
        self.toggle.blockSignals(False)
        if status.enabled:
            self.explanation.show_message(ON_SENTENCE, "ok")
        else:
            self.explanation.show_message(OFF_SENTENCE, "warning")

    def _toggled(self, on: bool) -> None:
        def work(task: Task[None]) -> None:
            self.service.set_enabled(on)

        self.runner.submit(
            work,
            on_done=lambda _: self.hub.refresh(),
            on_error=self._failed,
            queue="enable",
            button=self.toggle,
            name="set_enabled",
        )

    def _failed(self, error: Exception) -> None:
        self.hub.refresh()  # put the box back to the saved state
        self.runner.presenter.present(error)
