"""The window as a whole: the four sections, the toggle, first-run setup, geometry, the log."""

from __future__ import annotations

import logging
from collections.abc import Callable

import pytest
from PySide6.QtWidgets import QLabel
from pytestqt.qtbot import QtBot

from maica_xero_desktop.core import redact
from maica_xero_desktop.core.service import Service
from maica_xero_desktop.gui.enable_panel import OFF_SENTENCE, ON_SENTENCE
from maica_xero_desktop.gui.main_window import MainWindow
from maica_xero_desktop.gui.setup_step import NO_CLIENT_ID
from maica_xero_desktop.sandbox import Sandbox

from .conftest import WAIT_MS, enable, idle


def test_four_sections_in_maicas_order(window: MainWindow) -> None:
    assert window.windowTitle() == "Maica Xero Desktop"
    titles = [page.title.text() for page in window.pages]
    assert titles == ["Enable the Integration", "Active Connections", "Webhooks", "Synchronisation"]
    assert [window.nav.item(i).text() for i in range(window.nav.count())] == titles
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
    setup = window.connections.setup
    qtbot.waitUntil(lambda: bool(setup.uris.toPlainText()), timeout=WAIT_MS)
    # readable and actionable before Enable is ticked: the steps are not greyed out
    assert not window.hub.enabled
    assert setup.steps.isVisibleTo(window.connections)
    assert setup.client_id.isEnabled()
    assert setup.save_button.isEnabled()
    assert setup.in_use.text() == NO_CLIENT_ID
    assert setup.uris.toPlainText().splitlines() == window.service.redirect_uris()
    assert "Auth Code with PKCE" in setup.steps.findChildren(QLabel)[0].text()
    assert not window.connections.connect_button.isEnabled()
    # an empty client id is refused with the core's sentence
    setup.client_id.setText("   ")
    setup.save_button.click()
    idle(qtbot, window)
    assert setup.status.kind == "error"
    assert setup.status.text().startswith("A client id cannot be empty")
    assert window.service.settings().client_id == ""
    setup.client_id.setText("5A4C1E9B7D2F40C8A3B6E0D19F7C2B84")
    setup.save_button.click()
    qtbot.waitUntil(lambda: not setup.steps.isVisibleTo(setup), timeout=WAIT_MS)
    assert window.service.settings().client_id == "5A4C1E9B7D2F40C8A3B6E0D19F7C2B84"
    assert setup.in_use.text() == (
        "Client id in use: 5A4C1E9B7D2F40C8A3B6E0D19F7C2B84 — saved in this computer's settings."
    )
    enable(qtbot, window)
    assert window.connections.connect_button.isEnabled()


def test_the_client_id_from_the_environment_says_so(
    qtbot: QtBot, make_window: Callable[..., MainWindow], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MAICA_XERO_CLIENT_ID", "0123456789ABCDEF0123456789ABCDEF")
    window = make_window()
    setup = window.connections.setup
    qtbot.waitUntil(lambda: setup.info is not None, timeout=WAIT_MS)
    text = setup.in_use.text()
    assert "0123456789ABCDEF0123456789ABCDEF" in text
    assert "from the environment variable MAICA_XERO_CLIENT_ID" in text
    assert not setup.steps.isVisibleTo(setup)
    assert setup.change_button.isVisibleTo(setup)
    assert setup.change_button.isEnabled()  # even with the integration off
    setup.change_button.click()
    assert setup.steps.isVisibleTo(setup)


def test_geometry_is_remembered(
    qtbot: QtBot, make_window: Callable[..., MainWindow], service: Service
) -> None:
    first = make_window()
    # as short as it goes, within the offscreen screen (800 x 600): about 610 pixels since the
    # Maica org's line heads Active Connections
    first.resize(first.minimumSizeHint().width(), 560)
    size = (first.width(), first.height())
    assert size[1] < 640
    first.close()
    assert (service.paths.config_dir / "window.ini").exists()
    second = make_window()
    assert (second.width(), second.height()) == size


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
