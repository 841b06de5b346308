"""The Webhooks section against the in-process sandbox: site and Delivery URL, the key (never kept,
shown or logged), the receiver with Intent to Receive and a payment arriving by webhook, stop,
the integration turned off, and the receiver stopped when the window closes."""

from __future__ import annotations

import logging
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import requests
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QAbstractButton, QLineEdit, QWidget
from pytestqt.qtbot import QtBot

from maica_xero_desktop.core.webhooks import WebhookListener
from maica_xero_desktop.demo import free_port
from maica_xero_desktop.gui import widgets
from maica_xero_desktop.gui.main_window import MainWindow
from maica_xero_desktop.gui.webhooks_receiver import SAVE_KEY_FIRST
from maica_xero_desktop.gui.webhooks_setup import KEY_SAVED, NO_KEY
from maica_xero_desktop.sandbox import Sandbox

from .conftest import WAIT_MS, enable, idle

KEY = "kU9tQw3Zr7bLmA1xVy5NcP0sHd8fGj2e+WqRtYuIo/PlKjHgFdSaZxCvBnM4q=="
MAIN_ORG = "3d6c2f0e-5b8a-4c71-9e2d-7a1f4b8c6d53"


def _admin(sandbox: Sandbox, path: str, body: dict[str, Any]) -> dict[str, Any]:
    answer = requests.post(f"{sandbox.base_url}/_sandbox/{path}", json=body, timeout=30)
    answer.raise_for_status()
    data: dict[str, Any] = answer.json()
    return data


def _save_key(qtbot: QtBot, window: MainWindow, key: str = KEY) -> None:
    setup = window.webhooks.setup
    qtbot.keyClicks(setup.key, key)
    setup.key_button.click()
    assert setup.key.text() == ""  # cleared as it is submitted
    assert not setup.key.isUndoAvailable()
    idle(qtbot, window)
    qtbot.waitUntil(lambda: setup.key.placeholderText() == KEY_SAVED, timeout=WAIT_MS)


def _listener(window: MainWindow) -> WebhookListener:
    listener = window.service.webhooks.active_listener
    assert listener is not None
    return listener


def _files_containing(folder: Path, secret: str) -> list[Path]:
    needle = secret.encode()
    return [p for p in folder.rglob("*") if p.is_file() and needle in p.read_bytes()]


def test_site_delivery_url_and_key(
    qtbot: QtBot,
    window: MainWindow,
    home: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)  # the log view sees what the log file would
    enable(qtbot, window)
    setup = window.webhooks.setup
    setup.site.setText("http://hooks.example.org")
    setup.site_button.click()
    idle(qtbot, window)
    assert setup.site_message.kind == "error"
    assert "must start with https://" in setup.site_message.text()
    assert not setup.copy_button.isEnabled()

    setup.site.setText("https://hooks.example.org/maica/")
    qtbot.keyClick(setup.site, "\r")  # Enter saves too
    idle(qtbot, window)
    idle(qtbot, window)  # the reload the save asked for
    url = "https://hooks.example.org/maica/xero/webhooks"
    assert setup.delivery.text() == url
    assert setup.delivery.isReadOnly()
    assert setup.site.text() == "https://hooks.example.org/maica"  # as saved
    setup.copy_button.click()
    assert QGuiApplication.clipboard().text() == url

    assert setup.key.echoMode() == QLineEdit.EchoMode.Password
    assert setup.key.placeholderText() == NO_KEY
    assert not setup.forget_button.isEnabled()
    _save_key(qtbot, window)
    assert setup.key_message.text() == "Webhook key saved."
    assert setup.key_button.text() == "Repl&ace key"
    assert window.service.webhooks.has_key()
    assert _files_containing(home, KEY) == []
    shown_log = "\n".join(window.log_handler.recent())
    assert "Webhook key saved." in shown_log
    assert KEY not in shown_log
    assert KEY not in caplog.text

    setup.key.setText("short")
    setup.key_button.click()
    idle(qtbot, window)
    assert "too short" in setup.key_message.text()
    assert setup.key.text() == ""

    asked: list[str] = []

    def confirm(parent: QWidget, title: str, text: str, action: str) -> bool:
        asked.append(title)
        return True

    monkeypatch.setattr(widgets, "confirm", confirm)
    setup.forget_button.click()
    idle(qtbot, window)
    idle(qtbot, window)
    assert asked == ["Forget the webhook key"]
    assert setup.key.placeholderText() == NO_KEY
    assert not window.service.webhooks.has_key()
    receiver = window.webhooks.receiver
    receiver.start_button.click()
    assert receiver.state.text() == SAVE_KEY_FIRST
    assert window.service.webhooks.active_listener is None


def test_receiver_intent_to_receive_payment_by_webhook_stop_and_off(
    qtbot: QtBot, ready: MainWindow, sandbox: Sandbox
) -> None:
    panel = ready.webhooks
    panel.timer.setInterval(200)  # the periodic refresh, faster for the test
    receiver = panel.receiver
    with qtbot.waitSignal(ready.sync.run_finished, timeout=WAIT_MS):
        ready.sync.run_button.click()
    idle(qtbot, ready)
    _save_key(qtbot, ready)
    ready.show_section(panel)  # its periodic refresh runs while it is on screen

    receiver.port.setValue(free_port())
    receiver.start_button.click()
    qtbot.waitUntil(lambda: receiver.running, timeout=WAIT_MS)
    listener = _listener(ready)
    assert receiver.url == listener.url
    assert receiver.state.text() == f"Listening on 127.0.0.1:{listener.port}."
    assert not receiver.start_button.isEnabled()
    assert receiver.stop_button.isEnabled()
    assert not receiver.port.isEnabled()

    assert _admin(sandbox, "webhooks", {"url": listener.url, "key": KEY})["key"] == KEY
    assert _admin(sandbox, "webhooks/intent-to-receive", {"count": 6})["ok"] is True
    qtbot.waitUntil(
        lambda: "3 answered 200, 3 answered 401 (passes)" in receiver.intent.text(),
        timeout=WAIT_MS,
    )

    row = next(r for r in ready.service.sync.invoices() if r.invoice_number == "INV-002402")
    half = (Decimal(row.total) / 2).quantize(Decimal("0.01"))
    sandbox.pay(str(half), invoice_number="INV-002402", tenant_id=MAIN_ORG)
    events = panel.table.events
    qtbot.waitUntil(
        lambda: events.rowCount() == 1 and events.row(0).event.status == "processed",
        timeout=WAIT_MS,
    )
    shown = [events.data(events.index(0, c)) for c in range(events.columnCount())]
    assert shown[1:5] == [
        "Maica Care Services Pty Ltd",
        "Invoice update",
        "INV-002402",
        "processed",
    ]
    assert "INV-002402: Partially Paid" in str(shown[5])
    qtbot.waitUntil(lambda: "1 processed" in receiver.counts.text(), timeout=WAIT_MS)
    invoices = ready.sync.invoices.model  # reloaded by itself when the event was processed
    qtbot.waitUntil(
        lambda: any(
            invoices.row(i).invoice_number == "INV-002402"
            and invoices.row(i).status == "Partially Paid"
            for i in range(invoices.rowCount())
        ),
        timeout=WAIT_MS,
    )
    panel.process_button.click()
    idle(qtbot, ready)
    assert panel.message.text() == "0 processed, 0 ignored, 0 to retry, 0 failed."
    assert not panel.retry_button.isEnabled()  # nothing failed

    receiver.stop_button.click()
    qtbot.waitUntil(lambda: not receiver.running, timeout=WAIT_MS)
    assert ready.service.webhooks.active_listener is None
    assert receiver.state.text().startswith(("Receiver stopped.", "Not listening (stopped at"))
    assert receiver.start_button.isEnabled()
    assert receiver.port.isEnabled()

    receiver.start_button.click()  # again, then turn the integration off while it listens
    qtbot.waitUntil(lambda: receiver.running, timeout=WAIT_MS)
    listener = _listener(ready)
    ready.enable.toggle.click()
    qtbot.waitUntil(lambda: not ready.gated.isEnabled(), timeout=WAIT_MS)
    assert not panel.isEnabled()
    qtbot.waitUntil(lambda: "stored" in receiver.state.text(), timeout=WAIT_MS)
    assert receiver.state.kind == "warning"
    answer = requests.post(f"{listener.url}/xero/webhooks", data=b"{}", timeout=10)
    assert answer.status_code == 401  # unsigned; signed deliveries are stored while off
    idle(qtbot, ready)
    ready.close()
    assert ready.service.webhooks.active_listener is None
    assert not listener.running


def test_section_is_keyboard_reachable_and_named(qtbot: QtBot, window: MainWindow) -> None:
    panel, setup, receiver = window.webhooks, window.webhooks.setup, window.webhooks.receiver
    controls: list[QWidget] = [
        setup.site,
        setup.site_button,
        setup.delivery,
        setup.copy_button,
        setup.key,
        setup.key_button,
        setup.forget_button,
        receiver.host,
        receiver.port,
        receiver.start_button,
        receiver.stop_button,
        panel.process_button,
        panel.retry_button,
        panel.table,
    ]
    for control in controls:
        assert control.accessibleName(), control
        assert control.focusPolicy() & Qt.FocusPolicy.TabFocus, control
    chain: list[QWidget] = []
    widget: QWidget | None = window.connections.signin.cancel_button
    for _ in range(200):  # Tab from the section above walks the section in reading order
        widget = widget.nextInFocusChain() if widget is not None else None
        if widget in controls and widget not in chain:
            chain.append(widget)
    assert chain == controls
    texts = {b.text() for b in panel.findChildren(QAbstractButton)}
    assert {"Cop&y", "S&ave key", "For&get key…", "S&tart receiver", "Process no&w"} <= texts
