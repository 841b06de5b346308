"""The task runner's contract and the error presenter, with real widgets."""

from __future__ import annotations

import sys
import threading
import time

from PySide6.QtCore import QThread
from PySide6.QtWidgets import QApplication, QPushButton
from pytestqt.qtbot import QtBot

from maica_xero_desktop.core.errors import MaicaXeroError
from maica_xero_desktop.gui.errors import ErrorPresenter, install_excepthook
from maica_xero_desktop.gui.tasks import Task, TaskRunner


def _runner() -> TaskRunner:
    return TaskRunner(ErrorPresenter())


def test_work_runs_off_the_gui_thread_and_results_come_back_on_it(qtbot: QtBot) -> None:
    runner = _runner()
    gui = QThread.currentThread()
    seen: dict[str, object] = {}

    def work(task: Task[int]) -> int:
        seen["worker"] = QThread.currentThread()
        task.progress("half")
        return 42

    def done(value: int) -> None:
        seen["done_thread"] = QThread.currentThread()
        seen["value"] = value

    def progress(value: object) -> None:
        seen["progress"] = (value, QThread.currentThread())

    runner.submit(work, on_done=done, on_progress=progress)
    qtbot.waitUntil(lambda: "value" in seen)
    assert seen["worker"] is not gui
    assert seen["done_thread"] is gui
    assert seen["progress"] == ("half", gui)
    runner.shutdown()


def test_button_waits_and_queue_runs_one_at_a_time(qtbot: QtBot) -> None:
    runner = _runner()
    button = QPushButton("Go")
    qtbot.addWidget(button)
    release = threading.Event()
    order: list[str] = []

    def first(task: Task[None]) -> None:
        order.append("first started")
        release.wait(5)
        order.append("first ended")

    def second(task: Task[None]) -> None:
        order.append("second started")

    runner.submit(first, queue="sync:org", button=button)
    runner.submit(second, queue="sync:org")
    assert not button.isEnabled()
    assert runner.is_busy("sync:org")
    assert not runner.is_busy("sync:other")
    time.sleep(0.1)
    assert order == ["first started"]
    release.set()
    qtbot.waitUntil(lambda: not runner.is_busy())
    assert order == ["first started", "first ended", "second started"]
    assert button.isEnabled()
    runner.shutdown()


def test_domain_errors_get_the_default_presentation(qtbot: QtBot) -> None:
    presenter = ErrorPresenter()
    runner = TaskRunner(presenter)

    def fail(task: Task[None]) -> None:
        raise MaicaXeroError("Xero could not be reached. Try again.", detail="HTTP 503 from api")

    with qtbot.waitSignal(presenter.error_shown) as shown:
        runner.submit(fail)
    assert shown.args == ["Xero could not be reached. Try again."]
    box = presenter.last_box
    assert box is not None
    assert box.text() == "Xero could not be reached. Try again."
    assert box.detailedText() == "HTTP 503 from api"
    assert "Traceback" not in box.text()
    box.close()
    runner.shutdown()


def test_unexpected_errors_get_the_crash_dialog(qtbot: QtBot) -> None:
    presenter = ErrorPresenter()
    runner = TaskRunner(presenter)
    handled: list[object] = []

    def bug(task: Task[None]) -> None:
        raise KeyError("a bug")

    with qtbot.waitSignal(presenter.crash_shown) as shown:
        runner.submit(bug, on_error=handled.append)
    assert handled == []  # on_error is for domain errors only
    assert "Something unexpected went wrong" in shown.args[0]
    box = presenter.last_box
    assert box is not None
    assert "KeyError" in box.detailedText()
    box.close()
    runner.shutdown()


def test_excepthook_shows_the_crash_dialog(qtbot: QtBot) -> None:
    presenter = ErrorPresenter()
    previous = install_excepthook(presenter)
    try:
        with qtbot.waitSignal(presenter.crash_shown):
            try:
                raise RuntimeError("boom")
            except RuntimeError as exc:
                sys.excepthook(type(exc), exc, exc.__traceback__)
    finally:
        sys.excepthook = previous
    assert presenter.last_box is not None
    presenter.last_box.close()
    QApplication.processEvents()


def test_shutdown_cancels_and_drops_late_results(qtbot: QtBot) -> None:
    runner = _runner()
    delivered: list[object] = []

    def waits(task: Task[str]) -> str:
        task.cancel.wait(5)
        return "late"

    task = runner.submit(waits, on_done=delivered.append)
    runner.shutdown()
    assert task.cancel.is_set()
    QApplication.processEvents()
    assert delivered == []
