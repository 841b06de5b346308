"""Working in the background: close to the tray (asked once, remembered), Quit stopping the
receiver, the tray menu and icon states, notifications through the Notifier seam, the receiver's
events reaching the window without the poll, and Start at login from the window."""

from __future__ import annotations

import gc
import socket
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pytest
import requests
from filelock import FileLock
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from maica_xero_desktop.core.sync import SyncResult
from maica_xero_desktop.demo import free_port
from maica_xero_desktop.gui.app import parse_arguments
from maica_xero_desktop.gui.main_window import MainWindow
from maica_xero_desktop.gui.notify import Notice, Notifier, Watcher
from maica_xero_desktop.gui.tray import Background, close_question, tray_icon
from maica_xero_desktop.sandbox import Sandbox

from .conftest import WAIT_MS, connect, enable, idle, use
from .test_webhooks_panel import KEY, MAIN_ORG, _admin, _save_key


class Recorder(Notifier):
    def __init__(self) -> None:
        super().__init__()
        self.notices: list[Notice] = []

    def notify(self, notice: Notice) -> None:
        self.notices.append(notice)

    def titles(self) -> list[str]:
        return [n.title for n in self.notices]


class Asker:
    def __init__(self, answer: tuple[str, bool]) -> None:
        self.answer = answer
        self.calls = 0

    def __call__(self, window: MainWindow) -> tuple[str, bool]:
        self.calls += 1
        return self.answer


class Quitter:
    def __init__(self) -> None:
        self.calls = 0

    def __call__(self) -> None:
        self.calls += 1


MakeBackground = Callable[..., tuple[Background, Recorder, Asker, Quitter]]


@pytest.fixture
def make_background(qtbot: QtBot) -> MakeBackground:
    def make(
        window: MainWindow, answer: tuple[str, bool] = ("tray", True)
    ) -> tuple[Background, Recorder, Asker, Quitter]:
        recorder, asker, quitter = Recorder(), Asker(answer), Quitter()
        background = Background(
            window, notifier=recorder, available=True, ask=asker, quit_app=quitter
        )
        idle(qtbot, window)  # its settings read
        return background, recorder, asker, quitter

    return make


def _state(background: Background) -> str:
    return background.state


def _notifies_payments(watcher: Watcher) -> bool:
    return watcher.notify_payments


def _with_schedule(qtbot: QtBot, window: MainWindow, minutes: int = 15) -> None:
    window.sync.schedule.show_minutes(minutes)
    assert window.sync.schedule.active


def test_close_with_a_schedule_asks_once_then_hides_to_the_tray(
    qtbot: QtBot, window: MainWindow, make_background: MakeBackground
) -> None:
    _, recorder, asker, quitter = make_background(window)
    _with_schedule(qtbot, window)
    window.close()
    assert asker.calls == 1
    assert not window.isVisible()
    assert window.sync.schedule.timer.isActive()  # still planned: the process goes on
    assert recorder.titles() == ["Still running in the tray"]
    idle(qtbot, window)
    assert window.service.settings().close_to_tray == "tray"  # remembered
    assert window.background_options.on_close.currentData() == "tray"

    window.open_section("")
    assert window.isVisible()
    window.close()
    assert asker.calls == 1  # not asked again
    assert not window.isVisible()
    assert recorder.titles() == ["Still running in the tray"]  # told once
    QApplication.processEvents()
    assert quitter.calls == 0


def test_cancel_keeps_the_window_and_quit_closes_it(
    qtbot: QtBot, window: MainWindow, make_background: MakeBackground
) -> None:
    background, _, asker, _ = make_background(window, ("", False))
    _with_schedule(qtbot, window)
    window.close()
    assert window.isVisible()
    asker.answer = ("quit", False)
    window.close()
    assert asker.calls == 2
    assert not window.isVisible()
    assert background.quitting
    idle(qtbot, window)
    assert window.service.settings().close_to_tray == ""  # not remembered


def test_nothing_in_the_background_closes_without_asking(
    qtbot: QtBot, window: MainWindow, make_background: MakeBackground
) -> None:
    _, recorder, asker, quitter = make_background(window)
    window.close()
    assert asker.calls == 0
    assert not window.isVisible()
    assert recorder.notices == []
    qtbot.waitUntil(lambda: quitter.calls == 1, timeout=WAIT_MS)  # the application ends


def test_without_a_system_tray_closing_quits(qtbot: QtBot, window: MainWindow) -> None:
    asker = Asker(("tray", True))
    Background(window, notifier=Recorder(), available=False, ask=asker, quit_app=Quitter())
    _with_schedule(qtbot, window)
    window.close()
    assert asker.calls == 0
    assert not window.isVisible()


def test_tray_menu_and_pause(
    qtbot: QtBot, window: MainWindow, make_background: MakeBackground
) -> None:
    background, _, _, _ = make_background(window)
    texts = [a.text() for a in background.menu.actions() if not a.isSeparator()]
    assert texts == [
        "&Open Maica Xero Desktop",
        "&Run Now",
        "&Pause schedule",
        "Receiver: stopped",
        "&Quit",
    ]
    assert not background.run_action.isEnabled()  # not connected: Run Now is not possible
    assert not background.pause_action.isEnabled()  # no schedule
    _with_schedule(qtbot, window)
    background.update()
    assert background.pause_action.isEnabled()
    background.pause_action.trigger()
    assert window.sync.schedule.paused
    assert not background.keeps_working()
    assert window.sync.schedule.next_run.text().startswith("Paused")
    assert "schedule paused" in background.tray.toolTip()
    background.pause_action.trigger()
    assert window.sync.schedule.active  # resumed
    window.hide()
    background.receiver_action.trigger()  # the receiver's line opens its section
    assert window.isVisible()


def test_the_three_icon_states_differ() -> None:
    images = {s: tray_icon(s).pixmap(32, 32).toImage() for s in ("idle", "running", "attention")}
    assert not images["idle"].isNull()
    assert images["idle"] != images["running"]
    assert images["idle"] != images["attention"]
    assert images["running"] != images["attention"]
    assert tray_icon("idle").pixmap(32, 32).toImage() == images["idle"]  # stable


def test_quit_from_the_tray_stops_the_receiver_and_remembers_it(
    qtbot: QtBot, window: MainWindow, make_background: MakeBackground
) -> None:
    background, recorder, _, quitter = make_background(window)
    enable(qtbot, window)
    _save_key(qtbot, window)
    receiver = window.webhooks.receiver
    port = free_port()
    receiver.port.setValue(port)
    receiver.start_button.click()
    qtbot.waitUntil(lambda: receiver.running, timeout=WAIT_MS)
    background.update()
    assert background.receiver_action.text() == f"Receiver: listening on 127.0.0.1:{port}"
    window.close()  # to the tray: the receiver keeps listening
    assert not window.isVisible()
    with socket.create_connection(("127.0.0.1", port), timeout=5):
        pass

    background.quit_action.trigger()
    assert quitter.calls == 1
    assert window.service.webhooks.active_listener is None
    with (
        pytest.raises(ConnectionRefusedError),
        socket.create_connection(("127.0.0.1", port), timeout=5),
    ):
        pass
    QApplication.processEvents()
    assert "Webhook receiver stopped" not in recorder.titles()  # quitting stops it on purpose
    assert window.service.settings().receiver_at_start == f"127.0.0.1:{port}"


def test_the_remembered_receiver_starts_with_the_next_window(
    qtbot: QtBot,
    make_window: Callable[..., MainWindow],
    make_background: MakeBackground,
) -> None:
    first = make_window()
    enable(qtbot, first)
    _save_key(qtbot, first)
    port = free_port()
    first.service.update_settings(lambda s: setattr(s, "receiver_at_start", f"127.0.0.1:{port}"))
    first.close()
    window = make_window()
    make_background(window)
    window.webhooks.refresh()
    receiver = window.webhooks.receiver
    qtbot.waitUntil(lambda: receiver.running, timeout=WAIT_MS)
    assert receiver.url == f"http://127.0.0.1:{port}"


def test_receiver_events_reach_the_window_as_they_happen_and_notify(
    qtbot: QtBot, ready: MainWindow, sandbox: Sandbox, make_background: MakeBackground
) -> None:
    window = ready
    background, recorder, _, _ = make_background(window)
    background.watcher.notify_payments = True
    panel = window.webhooks
    panel.timer.setInterval(3_600_000)  # no poll in this test: only the listener's events
    with qtbot.waitSignal(window.sync.run_finished, timeout=WAIT_MS):
        window.sync.run_button.click()
    idle(qtbot, window)
    assert recorder.notices == []  # a manual run: its outcome is on screen
    _save_key(qtbot, window)
    receiver = panel.receiver
    receiver.port.setValue(free_port())
    receiver.start_button.click()
    qtbot.waitUntil(lambda: receiver.running, timeout=WAIT_MS)
    listener = window.service.webhooks.active_listener
    assert listener is not None
    assert listener.on_event is not None

    assert _admin(sandbox, "webhooks", {"url": listener.url, "key": KEY})["key"] == KEY
    assert _admin(sandbox, "webhooks/intent-to-receive", {"count": 6})["ok"] is True
    qtbot.waitUntil(lambda: "3 answered 401" in receiver.intent.text(), timeout=WAIT_MS)
    qtbot.waitUntil(lambda: "Intent to Receive failed" in recorder.titles(), timeout=WAIT_MS)
    notice = recorder.notices[recorder.titles().index("Intent to Receive failed")]
    assert notice.section == "webhooks"
    assert _state(background) == "attention"

    row = next(r for r in window.service.sync.invoices() if r.invoice_number == "INV-002402")
    sandbox.pay(
        str((Decimal(row.total) / 2).quantize(Decimal("0.01"))),
        invoice_number="INV-002402",
        tenant_id=MAIN_ORG,
    )
    events = panel.table.events
    qtbot.waitUntil(
        lambda: events.rowCount() == 1 and events.row(0).event.status == "processed",
        timeout=WAIT_MS,
    )
    qtbot.waitUntil(lambda: "Payments received" in recorder.titles(), timeout=WAIT_MS)
    payment = recorder.notices[-1]
    assert payment.section == "sync"
    assert "INV-002402" in payment.text

    window.hide()
    recorder.opened.emit("webhooks")  # the person clicks the notification
    assert window.isVisible()
    assert _state(background) == "idle"  # seen

    listener.stop()  # not by the Stop button, not quitting: the administrator must know
    qtbot.waitUntil(lambda: "Webhook receiver stopped" in recorder.titles(), timeout=WAIT_MS)
    assert recorder.notices[-1].section == "webhooks"


def test_the_stop_button_does_not_notify(
    qtbot: QtBot, window: MainWindow, make_background: MakeBackground
) -> None:
    _, recorder, _, _ = make_background(window)
    enable(qtbot, window)
    _save_key(qtbot, window)
    receiver = window.webhooks.receiver
    receiver.port.setValue(free_port())
    receiver.start_button.click()
    qtbot.waitUntil(lambda: receiver.running, timeout=WAIT_MS)
    receiver.stop_button.click()
    qtbot.waitUntil(lambda: not receiver.running, timeout=WAIT_MS)
    idle(qtbot, window)
    QApplication.processEvents()
    assert recorder.notices == []


def test_payments_do_not_notify_by_default(
    qtbot: QtBot, window: MainWindow, make_background: MakeBackground
) -> None:
    background, _, _, _ = make_background(window)
    watcher = background.watcher
    assert not watcher.notify_payments
    window.background_options.notify_payments.click()
    assert _notifies_payments(watcher)
    idle(qtbot, window)
    assert window.service.settings().notify_payments is True


def test_sign_in_needing_reconnect_notifies_once(
    qtbot: QtBot, window: MainWindow, sandbox: Sandbox, make_background: MakeBackground
) -> None:
    background, recorder, _, _ = make_background(window)
    connect(qtbot, window)
    use(qtbot, window)
    requests.post(
        f"{sandbox.base_url}/_sandbox/clock", json={"advance_seconds": 61 * 86400}, timeout=10
    ).raise_for_status()  # the refresh token has expired: Xero wants a new sign-in
    window.connections.refresh_button.click()
    qtbot.waitUntil(window.connections.reconnect_box.isVisible, timeout=WAIT_MS)
    for _ in range(2):
        window.hub.refresh()
        idle(qtbot, window)
    assert recorder.titles() == ["Sign in to Xero again"]
    assert recorder.notices[0].section == "connections"
    assert _state(background) == "attention"


def _result(created: int = 0, blocked: int = 0, failed: int = 0) -> SyncResult:
    return SyncResult(
        1,
        "authorised",
        "t",
        "Org",
        False,
        selected=5,
        created=created,
        blocked=blocked,
        failed=failed,
    )


def test_scheduled_results_notify_only_when_something_needs_acting_on(
    qtbot: QtBot, window: MainWindow, make_background: MakeBackground
) -> None:
    background, recorder, _, _ = make_background(window)
    watcher = background.watcher
    watcher.scheduled_result(_result(created=5))
    assert recorder.notices == []
    watcher.scheduled_result(_result(created=3, blocked=2))
    assert recorder.titles() == ["Scheduled run: 2 blocked"]
    assert recorder.notices[0].section == "sync"
    assert "2 blocked" in recorder.notices[0].text
    failed = _result(failed=1)
    failed.state = "failed"
    watcher.scheduled_result(failed)
    assert recorder.titles()[-1] == "Scheduled run failed"
    assert recorder.notices[-1].kind == "error"


def test_a_scheduled_run_that_cannot_start_notifies_unless_another_run_has_the_lock(
    qtbot: QtBot, ready: MainWindow, make_background: MakeBackground
) -> None:
    window = ready
    _, recorder, _, _ = make_background(window)
    schedule = window.sync.schedule
    _with_schedule(qtbot, window)
    tenant = window.hub.tenant_id
    lock = FileLock(str(window.service.paths.data_dir / f"sync-{tenant}.lock"))
    with lock:  # a run in a terminal holds the organisation's lock
        schedule.timer.timeout.emit()
        idle(qtbot, window)
    assert window.sync.result_line.kind == "error"  # the window says it was busy
    assert recorder.notices == []  # not news: the other run does the work
    assert window.service.sync.history(limit=5) == []  # and it did not overlap

    window.service.update_settings(lambda s: setattr(s, "enabled", False))
    schedule.timer.timeout.emit()
    idle(qtbot, window)
    assert recorder.titles() == ["Scheduled run did not start"]
    assert recorder.notices[0].section == "sync"


def test_start_at_login_from_the_window(
    qtbot: QtBot,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    make_window: Callable[..., MainWindow],
) -> None:
    config = tmp_path / "xdg-config"
    monkeypatch.setenv("XDG_CONFIG_HOME", str(config))
    window = make_window()
    options = window.background_options
    entry = config / "autostart" / "maica-xero-desktop.desktop"
    assert not options.start_at_login.isChecked()
    options.start_at_login.click()
    idle(qtbot, window)
    assert entry.is_file()
    assert "--minimised" in entry.read_text()
    assert options.start_at_login.isChecked()
    options.start_at_login.click()
    idle(qtbot, window)
    assert not entry.exists()


def test_start_at_login_failure_is_one_sentence(
    qtbot: QtBot,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    make_window: Callable[..., MainWindow],
) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(blocker))
    window = make_window()
    options = window.background_options
    options.start_at_login.click()
    idle(qtbot, window)
    assert not options.start_at_login.isChecked()
    assert options.message.kind == "error"
    assert "could not be written" in options.message.text()


def test_minimised_flag() -> None:
    for flag in ("--minimised", "--minimized", "--tray"):
        assert parse_arguments([flag]).minimised
    assert not parse_arguments([]).minimised


def test_the_close_question_keeps_its_remember_box(window: MainWindow) -> None:
    box = close_question(window)
    gc.collect()  # the check box must belong to the box, not to a Python local
    remember = box.checkBox()
    assert remember is not None
    assert remember.isChecked()
    choices = {b.property("choice"): b for b in box.buttons()}
    assert set(choices) == {"tray", "quit", None}  # None: Cancel
    assert box.defaultButton() is choices["tray"]
    box.deleteLater()


def test_run_now_from_the_tray_notifies_its_problems_only_while_hidden(
    qtbot: QtBot, ready: MainWindow, make_background: MakeBackground
) -> None:
    window = ready
    background, recorder, _, _ = make_background(window)
    window.service.update_settings(lambda s: setattr(s, "enabled", False))
    background.update()
    background.run_action.trigger()  # the window is on screen: it shows the outcome
    idle(qtbot, window)
    assert recorder.notices == []
    window.hide()
    background.run_action.trigger()
    idle(qtbot, window)
    assert recorder.titles() == ["Run from the tray did not start"]


def test_file_quit_quits_even_with_work_in_the_background(
    qtbot: QtBot, window: MainWindow, make_background: MakeBackground
) -> None:
    _, _, asker, quitter = make_background(window)
    _with_schedule(qtbot, window)
    quit_action = next(
        a for a in window.findChildren(QAction) if a.text() == "&Quit" and a.parent() is window
    )
    quit_action.trigger()
    assert asker.calls == 0
    assert not window.isVisible()
    assert quitter.calls >= 1
