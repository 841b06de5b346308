"""A sign-in that waits for a browser that never comes back: the address, Copy, and Cancel."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from PySide6.QtGui import QGuiApplication
from pytestqt.qtbot import QtBot

from maica_xero_desktop.gui.main_window import MainWindow

from .conftest import WAIT_MS, enable, idle


@pytest.fixture
def browser() -> Callable[[str], bool]:
    return lambda url: True  # a browser that never comes back


def test_waiting_sign_in_shows_the_address_and_can_be_cancelled(
    qtbot: QtBot, window: MainWindow
) -> None:
    enable(qtbot, window)
    panel = window.connections
    panel.connect_button.click()
    box = panel.signin
    qtbot.waitUntil(lambda: box.url_field.text().startswith("http"), timeout=WAIT_MS)
    assert box.isVisible()
    assert not panel.connect_button.isEnabled()  # the button that started it waits too
    box.copy_button.click()
    assert QGuiApplication.clipboard().text() == box.url_field.text()
    box.cancel_button.click()
    qtbot.waitUntil(lambda: not box.isVisible(), timeout=WAIT_MS)
    idle(qtbot, window)
    assert "cancelled" in panel.status.text()
    assert panel.status.kind == "error"
    assert panel.connect_button.isEnabled()
