"""Active Connections against the sandbox: connect, choose, disconnect, cancel, reconnect."""

from __future__ import annotations

import dataclasses

import pytest
import requests
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from maica_xero_desktop.gui import widgets
from maica_xero_desktop.gui.main_window import MainWindow
from maica_xero_desktop.sandbox import Sandbox

from .conftest import WAIT_MS, connect, idle, use


def test_connect_lists_organisations_and_practice_is_not_selectable(
    qtbot: QtBot, window: MainWindow
) -> None:
    urls: list[str] = []
    window.connections.signin.url_field.textChanged.connect(urls.append)
    connect(qtbot, window)
    panel = window.connections
    assert urls
    assert "/identity/connect/authorize?" in urls[-1]
    assert not panel.signin.isVisible()
    assert panel.connected_as.full_text() == "Connected as Alex Nguyen (admin@maica-care.example)"
    names = [panel.table.item(r, 0).text() for r in range(panel.table.rowCount())]  # type: ignore[union-attr]
    assert names == [
        "Maica Care Services Pty Ltd",
        "Demo Company (AU)",
        "Maica Bookkeeping Practice",
    ]
    practice = panel.table.item(2, 0)
    assert practice is not None
    assert not practice.flags() & Qt.ItemFlag.ItemIsSelectable
    assert "practice" in practice.toolTip()
    assert "Choose the organisation" in panel.status.text()
    assert not window.sync.run_button.isEnabled()  # no organisation yet


def test_use_then_disconnect_with_confirmation(
    qtbot: QtBot, window: MainWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    connect(qtbot, window)
    tenant = use(qtbot, window)
    panel = window.connections
    assert panel.table.item(0, 3).text() == "✔ Active"  # type: ignore[union-attr]
    assert window.sync.run_button.isEnabled()
    asked: list[str] = []

    def accept(parent: object, title: str, text: str, action: str) -> bool:
        asked.append(text)
        return True

    monkeypatch.setattr(widgets, "confirm", accept)
    panel.select_tenant(tenant)
    panel.disconnect_button.click()
    qtbot.waitUntil(lambda: panel.table.rowCount() == 2, timeout=WAIT_MS)
    idle(qtbot, window)
    assert asked
    assert "Maica Care Services Pty Ltd" in asked[0]
    assert window.hub.tenant_id == ""
    assert "was disconnected" in panel.status.text()
    assert not window.sync.run_button.isEnabled()


def test_disconnect_declined_changes_nothing(
    qtbot: QtBot, window: MainWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    connect(qtbot, window)
    tenant = use(qtbot, window)
    monkeypatch.setattr(widgets, "confirm", lambda *args: False)
    window.connections.select_tenant(tenant)
    window.connections.disconnect_button.click()
    idle(qtbot, window)
    assert window.connections.table.rowCount() == 3
    assert window.hub.tenant_id == tenant


def test_needs_reconnecting_state_and_reconnect(
    qtbot: QtBot, window: MainWindow, sandbox: Sandbox
) -> None:
    connect(qtbot, window)
    use(qtbot, window)
    response = requests.post(
        f"{sandbox.base_url}/_sandbox/clock", json={"advance_seconds": 61 * 86400}, timeout=10
    )
    response.raise_for_status()
    panel = window.connections
    panel.refresh_button.click()
    qtbot.waitUntil(panel.reconnect_box.isVisible, timeout=WAIT_MS)
    idle(qtbot, window)
    assert window.hub.status is not None
    assert window.hub.status.token_state == "needs_reconnect"
    assert panel.connected_as.full_text() == "Not connected to Xero."
    assert panel.reconnect_button.isEnabled()
    panel.reconnect_button.click()
    qtbot.waitUntil(lambda: not panel.reconnect_box.isVisible(), timeout=WAIT_MS)
    idle(qtbot, window)
    assert window.hub.status is not None
    assert window.hub.status.token_state == "valid"


def test_long_organisation_names_elide_in_the_list_and_wrap_elsewhere(
    qtbot: QtBot, window: MainWindow, sandbox: Sandbox
) -> None:
    connect(qtbot, window)
    panel = window.connections
    long_name = "Maica Care Services " + "and Community Supports " * 12 + "Pty Ltd"
    tenant = "3d6c2f0e-5b8a-4c71-9e2d-7a1f4b8c6d53"
    sandbox.state.orgs[tenant] = dataclasses.replace(sandbox.state.orgs[tenant], name=long_name)
    panel.refresh_button.click()
    qtbot.waitUntil(lambda: panel.table.item(0, 0).text() == long_name, timeout=WAIT_MS)  # type: ignore[union-attr]
    item = panel.table.item(0, 0)
    assert item is not None
    assert item.toolTip() == long_name
    assert panel.table.textElideMode() == Qt.TextElideMode.ElideRight
    assert panel.table.horizontalScrollBar().maximum() == 0  # elided, not scrolled sideways
    assert panel.table.columnWidth(0) < panel.table.fontMetrics().horizontalAdvance(long_name)
    panel.select_tenant(tenant)  # the list cuts it: the selected one reads in full below
    assert panel.selected_name.isVisible()
    assert panel.selected_name.text() == f"Selected: {long_name}"
    panel.select_tenant(next(c.tenant_id for c in panel.view.connections if c.tenant_id != tenant))  # type: ignore[union-attr]
    assert not panel.selected_name.isVisible()  # a short name reads in the list
    panel.connected_as.set_full_text("Connected as " + long_name)
    assert panel.connected_as.text() == "Connected as " + long_name  # wrapped, all of it
    assert panel.connected_as.wordWrap()
