"""The window as a whole: the four sections, the toggle, first-run setup, geometry, the log."""

from __future__ import annotations

import logging
from collections.abc import Callable

import pytest
from PySide6.QtWidgets import QGroupBox
from pytestqt.qtbot import QtBot

from maica_xero_desktop.core import redact
from maica_xero_desktop.core.service import Service
from maica_xero_desktop.gui.enable_panel import OFF_SENTENCE, ON_SENTENCE
from maica_xero_desktop.gui.main_window import MainWindow
from maica_xero_desktop.sandbox import Sandbox

from .conftest import WAIT_MS, enable, idle


def test_four_sections_in_maicas_order(window: MainWindow) -> None:
    assert window.windowTitle() == "Maica Xero Desktop"
    boxes = [b.title() for b in window.findChildren(QGroupBox)]
    assert boxes == ["Enable the Integration", "Active Connections", "Webhooks", "Synchronisation"]
    assert not window.webhooks.isEnabled()
    assert window.webhooks.setup.site.accessibleName() == "Webhook site"


def test_off_greys_out_everything_below_and_says_why(
    qtbot: QtBot, window: MainWindow, sandbox: Sandbox
) -> None:
    assert not window.enable.toggle.isChecked()
    assert not window.gated.isEnabled()
    assert window.enable.explanation.text() == OFF_SENTENCE
    calls_before = sandbox.stats()["calls"]
    enable(qtbot, window)
    assert window.connections.connect_button.isEnabled()
    assert window.enable.explanation.text() == ON_SENTENCE
    window.enable.toggle.click()
    qtbot.waitUntil(lambda: not window.gated.isEnabled(), timeout=WAIT_MS)
    idle(qtbot, window)
    assert window.enable.explanation.text() == OFF_SENTENCE
    assert not window.service.settings().enabled
    assert not window.connections.connect_button.isEnabled()
    assert sandbox.stats()["calls"] == calls_before  # toggling and loading sent nothing to Xero


def test_first_run_setup_saves_the_client_id(
    qtbot: QtBot, make_window: Callable[..., MainWindow], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("MAICA_XERO_CLIENT_ID")
    window = make_window()
    enable(qtbot, window)
    setup = window.connections.setup
    assert setup.isVisible()
    assert not window.connections.connect_button.isEnabled()
    qtbot.waitUntil(lambda: bool(setup.uris.toPlainText()), timeout=WAIT_MS)
    assert setup.uris.toPlainText().splitlines() == window.service.redirect_uris()
    assert "Auth Code with PKCE" in setup.findChildren(type(window.sync.step))[0].text()
    setup.client_id.setText("5A4C1E9B7D2F40C8A3B6E0D19F7C2B84")
    setup.save_button.click()
    qtbot.waitUntil(lambda: not setup.isVisible(), timeout=WAIT_MS)
    assert window.service.settings().client_id == "5A4C1E9B7D2F40C8A3B6E0D19F7C2B84"
    assert window.connections.connect_button.isEnabled()


def test_geometry_is_remembered(
    qtbot: QtBot, make_window: Callable[..., MainWindow], service: Service
) -> None:
    first = make_window()
    first.resize(720, 520)
    first.close()
    assert (service.paths.config_dir / "window.ini").exists()
    second = make_window()
    assert (second.width(), second.height()) == (720, 520)


def test_log_view_shows_recent_records_without_secrets(qtbot: QtBot, window: MainWindow) -> None:
    secret = "s3cr3t-refresh-token-value-123456"
    redact.register(secret)
    logging.getLogger("maica_xero_desktop.test").warning("token is %s", secret)
    window.show_log()
    dialog = window.log_dialog
    assert dialog is not None
    qtbot.waitUntil(lambda: "token is [redacted]" in dialog.text.toPlainText(), timeout=WAIT_MS)
    assert secret not in dialog.text.toPlainText()
    logging.getLogger("maica_xero_desktop.test").warning("a later record")
    qtbot.waitUntil(lambda: "a later record" in dialog.text.toPlainText(), timeout=WAIT_MS)
    dialog.close()


def test_keyboard_and_accessibility(window: MainWindow) -> None:
    panel = window.connections
    assert panel.connect_button.text() == "&Connect to Xero…"
    assert window.sync.run_button.text() == "Run &Now"
    for button in (panel.connect_button, panel.use_button, window.sync.run_button):
        assert button.accessibleName()
    assert window.enable.toggle.accessibleName() == "Enable the Xero integration"
