"""The schedule: off, or a run every N minutes while the application runs (window or tray).

A due run is skipped (and the next one planned) when a run is already active, or while the
schedule is paused (the tray's "Pause schedule"); a run started elsewhere (a terminal) holds the
organisation's sync lock, so the scheduled one stops at once without a run (SyncBusy).

Sleep and resume: ``timer`` counts on the monotonic clock, which stops while the computer sleeps.
``wake_check`` compares the wall clock (``clock``) with ``next_at`` every :data:`CHECK_MS`, so a
run missed during sleep starts within that time of waking — once, however many were missed — and
the next is planned one interval after it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QSpinBox, QWidget

from ..core.errors import MaicaXeroError
from ..core.service import Service
from .tasks import Task, TaskRunner
from .widgets import StatusLine
from .wording import say

MAX_MINUTES = 10080  # a week, the core's limit
CHECK_MS = 30_000


class ScheduleControl(QWidget):
    #: a scheduled run is due (the sync panel starts it)
    run_due = Signal()

    def __init__(
        self,
        service: Service,
        runner: TaskRunner,
        parent: QWidget | None = None,
        clock: Callable[[], datetime] = datetime.now,
    ) -> None:
        super().__init__(parent)
        self.clock = clock
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
        self.wake_check = QTimer(self)
        self.wake_check.setInterval(CHECK_MS)
        self.wake_check.timeout.connect(self.check_clock)
        self._saving = QTimer(self)  # settle typing/arrow presses before saving
        self._saving.setSingleShot(True)
        self._saving.setInterval(600)
        self._saving.timeout.connect(self._save)
        self.minutes.valueChanged.connect(lambda _: self._saving.start())
        self._run_active = False
        self.paused = False
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

    def set_paused(self, paused: bool) -> None:
        """Pause (or resume) the schedule in this process; the saved interval stays."""
        self.paused = paused
        self._say()

    @property
    def active(self) -> bool:
        """A schedule is set and not paused."""
        return self.interval_minutes > 0 and not self.paused

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
            self.wake_check.stop()
        else:
            self.timer.start(minutes * 60_000)
            self.wake_check.start()
            self.next_at = self.clock() + timedelta(minutes=minutes)
        self._say()

    def _say(self) -> None:
        if self.next_at is None:
            self.next_run.setText("Runs only when you press Run Now.")
        elif self.paused:
            self.next_run.setText("Paused: no scheduled run until you resume it (tray menu).")
        else:
            self.next_run.setText(f"Next run at {self.next_at:%H:%M} (also while in the tray).")

    def check_clock(self) -> None:
        """The wall clock has passed the planned time (the computer slept through it): one run
        now. A clock set back by more than an interval plans again from now."""
        if self.next_at is None:
            return
        now = self.clock()
        if now >= self.next_at:
            self._due()
        elif self.next_at - now > timedelta(minutes=self.interval_minutes):
            self._plan(self.interval_minutes)

    def _due(self) -> None:
        if not self._run_active and not self.paused:
            self.run_due.emit()
        self._plan(self.interval_minutes)
