"""One scheduler: a simulated wall clock shows a run missed during sleep runs once on wake (not
once per missed interval), a clock set back plans again without running, a pause skips due runs,
and a scheduled run in the window is recorded as "schedule"."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from pytestqt.qtbot import QtBot

from maica_xero_desktop.gui.main_window import MainWindow
from maica_xero_desktop.gui.schedule import CHECK_MS, ScheduleControl

from .conftest import WAIT_MS, idle


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 11, 27, 9, 0)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def schedule(qtbot: QtBot, window: MainWindow, clock: Clock) -> ScheduleControl:
    control = ScheduleControl(window.service, window.runner, clock=clock)
    qtbot.addWidget(control)
    control.show_minutes(15)
    return control


def _count(schedule: ScheduleControl) -> list[int]:
    runs: list[int] = []
    schedule.run_due.connect(lambda: runs.append(1))
    return runs


def test_the_wall_clock_is_checked_while_the_monotonic_timer_waits(
    schedule: ScheduleControl, clock: Clock
) -> None:
    assert schedule.wake_check.isActive()
    assert schedule.wake_check.interval() == CHECK_MS
    assert schedule.next_at == clock.now + timedelta(minutes=15)
    runs = _count(schedule)
    clock.advance(minutes=14)
    schedule.check_clock()
    assert runs == []


def test_a_night_asleep_gives_one_run_on_wake_then_the_interval_from_then(
    schedule: ScheduleControl, clock: Clock
) -> None:
    runs = _count(schedule)
    clock.advance(hours=9)  # asleep: the QTimer (monotonic) never fired
    schedule.check_clock()
    assert runs == [1]
    assert schedule.next_at == clock.now + timedelta(minutes=15)
    for _ in range(5):  # the following checks, before the new interval is up
        clock.advance(seconds=30)
        schedule.check_clock()
    assert runs == [1]
    clock.advance(minutes=13)
    schedule.check_clock()
    assert runs == [1, 1]


def test_the_monotonic_timer_and_the_wall_clock_do_not_both_run(
    schedule: ScheduleControl, clock: Clock
) -> None:
    runs = _count(schedule)
    clock.advance(minutes=15)
    schedule.timer.timeout.emit()  # the timer fires on time
    schedule.check_clock()  # and the wall-clock check just after
    assert runs == [1]


def test_a_clock_set_back_plans_again_without_a_run(
    schedule: ScheduleControl, clock: Clock
) -> None:
    runs = _count(schedule)
    clock.advance(hours=-3)
    schedule.check_clock()
    assert runs == []
    assert schedule.next_at == clock.now + timedelta(minutes=15)


def test_paused_runs_nothing_and_resumes(schedule: ScheduleControl, clock: Clock) -> None:
    runs = _count(schedule)
    schedule.set_paused(True)
    assert not schedule.active
    clock.advance(hours=2)
    schedule.check_clock()
    assert runs == []
    schedule.set_paused(False)
    clock.advance(minutes=15)
    schedule.check_clock()
    assert runs == [1]


def test_a_run_in_progress_skips_the_due_run(schedule: ScheduleControl, clock: Clock) -> None:
    runs = _count(schedule)
    schedule.set_run_active(True)  # a manual run in this window
    clock.advance(minutes=20)
    schedule.check_clock()
    assert runs == []
    assert schedule.next_at == clock.now + timedelta(minutes=15)


def test_off_stops_both_timers(schedule: ScheduleControl) -> None:
    schedule.show_minutes(0)
    assert not schedule.timer.isActive()
    assert not schedule.wake_check.isActive()
    assert schedule.next_at is None


def test_a_run_missed_in_sleep_runs_in_the_window_as_scheduled(
    qtbot: QtBot, ready: MainWindow
) -> None:
    clock = Clock()
    schedule = ready.sync.schedule
    schedule.clock = clock
    schedule.show_minutes(30)
    clock.advance(hours=8)
    with qtbot.waitSignal(ready.sync.run_finished, timeout=WAIT_MS) as finished:
        schedule.check_clock()
    idle(qtbot, ready)
    assert finished.args[0].created > 20
    qtbot.waitUntil(lambda: ready.sync.history.runs.rowCount() == 1, timeout=WAIT_MS)
    assert ready.sync.history.runs.row(0).trigger == "schedule"
    schedule.check_clock()  # the wake's one run is done: nothing more
    idle(qtbot, ready)
    assert len(ready.service.sync.history(limit=5)) == 1
