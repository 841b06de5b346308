"""The schedule: off, or a run every N minutes while the window is open (a QTimer).

A due run is skipped (and the next one planned) when a run is already active.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QSpinBox, QWidget

from ..core.errors import MaicaXeroError
from ..core.service import Service
from .tasks import Task, TaskRunner
from .widgets import StatusLine
from .wording import say

MAX_MINUTES = 10080  # a week, the core's limit


class ScheduleControl(QWidget):
    #: a scheduled run is due (the sync panel starts it)
    run_due = Signal()

    def __init__(self, service: Service, runner: TaskRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.service = service
        self.runner = runner
        self.minutes = QSpinBox()
        self.minutes.setRange(0, MAX_MINUTES)
        self.minutes.setSingleStep(15)
        self.minutes.setSpecialValueText("Off")
        self.minutes.setPrefix("every ")
        self.minutes.setSuffix(" minutes")
        self.minutes.setAccessibleName("Schedule: minutes between runs, 0 for off")
        self.minutes.setKeyboardTracking(False)
        self.next_run = QLabel("Runs only when you press Run Now.")
        self.next_run.setAccessibleName("Next scheduled run")
        self.error = StatusLine()
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.minutes)
        layout.addWidget(self.next_run, 1)
        layout.addWidget(self.error, 1)
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.timeout.connect(self._due)
        self._saving = QTimer(self)  # settle typing/arrow presses before saving
        self._saving.setSingleShot(True)
        self._saving.setInterval(600)
        self._saving.timeout.connect(self._save)
        self.minutes.valueChanged.connect(lambda _: self._saving.start())
        self._run_active = False
        self.interval_minutes = 0
        self.next_at: datetime | None = None

    def show_minutes(self, minutes: int) -> None:
        """The saved schedule (from the status); plans the next run when it changed."""
        if self._saving.isActive():
            return
        self.minutes.blockSignals(True)
        self.minutes.setValue(minutes)
        self.minutes.blockSignals(False)
        if minutes != self.interval_minutes:
            self._plan(minutes)

    def set_run_active(self, active: bool) -> None:
        self._run_active = active

    def _save(self) -> None:
        value = self.minutes.value()

        def work(task: Task[str]) -> str:
            return self.service.config_set("schedule", str(value))

        self.runner.submit(
            work, on_done=lambda _: self._saved(value), on_error=self._failed, name="set schedule"
        )

    def _saved(self, minutes: int) -> None:
        self.error.clear_message()
        self._plan(minutes)

    def _failed(self, error: MaicaXeroError) -> None:
        self.error.show_message(say(error), "error")

    def _plan(self, minutes: int) -> None:
        self.interval_minutes = minutes
        self.timer.stop()
        if minutes <= 0:
            self.next_at = None
            self.next_run.setText("Runs only when you press Run Now.")
            return
        self.timer.start(minutes * 60_000)
        self.next_at = datetime.now() + timedelta(minutes=minutes)
        self.next_run.setText(f"Next run at {self.next_at:%H:%M} (while this window is open).")

    def _due(self) -> None:
        if not self._run_active:
            self.run_due.emit()
        self._plan(self.interval_minutes)
