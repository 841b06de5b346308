"""The Maica org block (Active Connections, first) and the source choice (Synchronisation), against
the in-process sandbox's Maica org: not connected, connected, mapping problems, needs reconnecting;
keyboard; the source switch disabled until the org is connected."""

from __future__ import annotations

import dataclasses

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractButton, QApplication, QWidget
from pytestqt.qtbot import QtBot

from maica_xero_desktop.core.settings import Settings
from maica_xero_desktop.gui import widgets
from maica_xero_desktop.gui.guide import MAICA_MAPPING_STEP, MAICA_STEP
from maica_xero_desktop.gui.maica_box import (
    FLOW_NOTE,
    MAICA_OWN_FLOW,
    NOT_CONNECTED,
    NOT_CONNECTED_SOURCE,
)
from maica_xero_desktop.gui.main_window import MainWindow
from maica_xero_desktop.gui.sync_panel import MAICA_NOT_CONNECTED, SOURCE_NEEDS_MAICA
from maica_xero_desktop.sandbox import Sandbox

from .conftest import WAIT_MS, connect, enable, idle, use

HIDDEN = "maica_cc__Xero_Invoice_No__c"


def connect_maica(qtbot: QtBot, window: MainWindow) -> None:
    """As a person would: Active Connections, Connect to Maica… (the test's browser follows the
    address; the sandbox consents by itself), then the mapping check that follows."""
    window.show_section(window.connections)
    box = window.connections.maica
    urls: list[str] = []
    box.signin.url_field.textChanged.connect(urls.append)
    box.connect_button.click()
    qtbot.waitUntil(lambda: window.hub.maica_connected, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: box.check is not None, timeout=WAIT_MS)
    idle(qtbot, window)
    assert urls
    assert "/services/oauth2/authorize?" in urls[-1]
    assert "code_challenge_method=S256" in urls[-1]
    assert box.status.kind != "error", box.status.text()


def test_the_maica_org_comes_first_and_says_it_is_not_connected(
    qtbot: QtBot, window: MainWindow
) -> None:
    enable(qtbot, window)
    panel = window.connections
    box = panel.maica
    layout = panel.layout()
    assert layout is not None
    assert layout.indexOf(box) == 0  # the Maica org, then Xero's client id and organisations
    assert layout.indexOf(panel.setup) == 1
    assert layout.indexOf(panel.body) == 2
    window.show_section(panel)
    assert box.isVisible()
    assert box.accessibleName() == "Maica org"
    assert box.summary.full_text() == NOT_CONNECTED
    assert box.connect_button.isVisible()
    assert box.connect_button.isEnabled()
    assert not box.setup.isVisible()  # the login host and key: on "Sign-in settings…"
    box.settings_button.click()
    assert box.setup.isVisible()
    assert box.login_url.currentText() == window.hub.maica.login_url  # type: ignore[union-attr]
    assert not box.details.isVisible()
    for hidden in (box.check_button, box.details_button, box.confirm_button):
        assert not hidden.isVisible()
    assert not box.disconnect_button.isVisible()
    assert MAICA_OWN_FLOW in FLOW_NOTE

    source = window.sync.source_box
    assert not source.isEnabled()  # the Maica org cannot be chosen before it is connected
    assert source.currentData() == "file"
    assert source.toolTip().endswith(SOURCE_NEEDS_MAICA)
    assert window.sync.source_text == "Source: imported file"


def test_connect_check_confirm_and_choose_the_maica_source(
    qtbot: QtBot, window: MainWindow, sandbox: Sandbox
) -> None:
    enable(qtbot, window)
    connect_maica(qtbot, window)
    box = window.connections.maica
    maica = window.hub.maica
    assert maica is not None
    assert maica.org_name
    assert box.summary.full_text().startswith(f"Connected to the Maica org {maica.org_name}")
    assert box.org.full_text() == maica.org_name
    assert box.instance.full_text() == sandbox.base_url
    assert box.user.accessibleName() == f"User: {maica.user}"
    assert not box.setup.isVisible()
    assert not box.connect_button.isVisible()
    assert box.details.isVisible()
    assert box.disconnect_button.isVisible()
    assert box.flow_note.isVisible()  # turn Maica's own Xero flow off
    assert box.flow_note.text() == FLOW_NOTE
    check = box.check
    assert check is not None
    # the names found by label wait for the administrator's word: nothing is read or written
    assert not check.ok
    assert check.unconfirmed
    assert box.confirm_button.isVisible()
    assert box.mapping.kind == "warning"
    assert "to confirm" in box.mapping.text()
    page = window.pages[1]  # Active Connections
    qtbot.waitUntil(lambda: MAICA_MAPPING_STEP in page.hint.text(), timeout=WAIT_MS)

    box.confirm_button.click()  # opens the details, with "Confirm field names"
    qtbot.waitUntil(lambda: box.dialog is not None and box.dialog.isVisible(), timeout=WAIT_MS)
    dialog = box.dialog
    assert dialog is not None
    rows = [dialog.model.row(i) for i in range(dialog.model.rowCount())]
    assert any(f.api_name == "maica_cc__Xero_Invoice_No__c" for f in rows)
    headers = [
        dialog.model.headerData(c, Qt.Orientation.Horizontal)
        for c in range(dialog.model.columnCount())
    ]
    assert headers == ["Object", "Role", "Label", "API name", "State", "Suggestion"]
    assert dialog.confirm_button.isEnabled()
    dialog.confirm_button.click()
    idle(qtbot, window)
    assert box.check is not None
    assert not box.check.unconfirmed
    assert box.check.ok
    assert "confirmed" in dialog.message.text()
    assert not box.confirm_button.isVisible()
    assert box.mapping.kind == "ok"
    qtbot.waitUntil(lambda: MAICA_MAPPING_STEP not in page.hint.text(), timeout=WAIT_MS)
    dialog.close()

    # the source: the Maica org can be chosen now, and the section names it
    source = window.sync.source_box
    assert source.isEnabled()
    assert source.itemText(1) == f"Maica org {maica.org_name}"
    window.show_section(window.sync)
    source.setFocus()
    source.setCurrentIndex(1)
    source.activated.emit(1)
    qtbot.waitUntil(lambda: window.hub.source == "maica", timeout=WAIT_MS)
    idle(qtbot, window)
    assert window.sync.source_text == f"Source: Maica org {maica.org_name}"
    assert window.service.settings().source == "maica"
    assert "reads the invoices to send from the Maica org" in source.toolTip()
    assert source.accessibleDescription().startswith("Source: Maica org ")


def test_a_missing_field_is_named_with_its_state(
    qtbot: QtBot, window: MainWindow, sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    enable(qtbot, window)
    connect_maica(qtbot, window)
    box = window.connections.maica
    # field-level security hides the field from the API user
    sandbox.maica_fields("maica_cc__Invoice__c", hide=[HIDDEN])
    box.check_button.click()
    idle(qtbot, window)
    assert box.check is not None
    assert not box.check.ok
    assert box.mapping.kind == "error"
    assert "invoice xero_invoice_number" in box.mapping.text()
    box.details_button.click()
    qtbot.waitUntil(lambda: box.dialog is not None and box.dialog.isVisible(), timeout=WAIT_MS)
    dialog = box.dialog
    assert dialog is not None
    row = next(
        i
        for i in range(dialog.model.rowCount())
        if dialog.model.row(i).role == "xero_invoice_number"
    )
    assert dialog.model.row(row).state == "missing"
    assert dialog.model.data(dialog.model.index(row, 2)) == "Xero Invoice Number"
    assert dialog.model.data(dialog.model.index(row, 3)) == "—"  # no field has that label now
    assert dialog.model.data(dialog.model.index(row, 4)) == "Missing"
    assert dialog.sentence.kind == "error"
    dialog.close()

    # a sync from the Maica org refuses to start on it, with a sentence naming the field
    connect(qtbot, window)
    use(qtbot, window)
    window.service.config_set("source", "maica")
    window.hub.refresh()
    idle(qtbot, window)
    with qtbot.waitSignal(window.sync.run_finished, timeout=WAIT_MS, raising=False):
        window.sync.run_button.click()
    idle(qtbot, window)
    line = window.sync.result_line
    assert line.kind == "error"
    assert "xero_invoice_number" in line.text() or "Xero Invoice Number" in line.text()
    assert "Mapping details…" in line.text()  # the window's words for the remedy


def test_needs_reconnecting_and_disconnect(
    qtbot: QtBot, window: MainWindow, sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    enable(qtbot, window)
    connect_maica(qtbot, window)
    box = window.connections.maica
    # an expired session is renewed behind the scenes: the check just works
    sandbox.maica_expire_sessions()
    box.check_button.click()
    idle(qtbot, window)
    assert box.status.kind != "error", box.status.text()
    assert box.check is not None

    def refused(s: Settings) -> None:
        s.sf_needs_reconnect = True
        s.sf_needs_reconnect_reason = "The Maica org refused the saved sign-in."

    window.service.update_settings(refused)
    window.hub.refresh()
    idle(qtbot, window)
    assert window.hub.maica is not None
    assert window.hub.maica.needs_reconnect
    assert box.reconnect_line.isVisible()
    assert "needs reconnecting" in box.reconnect_line.text()
    assert box.connect_button.isVisible()
    assert box.connect_button.text() == "Reconnect to &Maica…"
    # on one row: the sentence, then the buttons (kept at their size, on the right)
    middle = box.reconnect_line.geometry().center().y()
    assert abs(middle - box.connect_button.geometry().center().y()) < box.connect_button.height()
    assert box.connect_button.x() > box.reconnect_line.x()
    assert box.connect_button.width() < box.width() // 3
    # checking the mapping waits for the sign-in, and says so
    assert not box.check_button.isEnabled()
    assert box.check_button.toolTip().startswith("Reconnect to the Maica org first")
    assert box.details_button.isEnabled()  # the last check can still be read
    hint = window.pages[1].hint.text()
    assert "press “Reconnect to Maica…”" in hint

    box.connect_button.click()  # reconnecting clears it
    qtbot.waitUntil(
        lambda: window.hub.maica is not None and not window.hub.maica.needs_reconnect,
        timeout=WAIT_MS,
    )
    idle(qtbot, window)
    assert not box.reconnect_line.isVisible()
    assert box.check_button.isEnabled()
    assert "Reconnect to Maica" not in window.pages[1].hint.text()

    asked: list[str] = []

    def accept(parent: object, title: str, text: str, action: str) -> bool:
        asked.append(text)
        return True

    monkeypatch.setattr(widgets, "confirm", accept)
    box.disconnect_button.click()
    qtbot.waitUntil(lambda: not window.hub.maica_connected, timeout=WAIT_MS)
    idle(qtbot, window)
    assert asked
    assert "revoked" in asked[0]
    assert box.summary.full_text() == NOT_CONNECTED
    assert "Disconnected" in box.status.text()
    assert not window.sync.source_box.isEnabled()


def test_a_maica_source_without_the_org_says_what_to_do(qtbot: QtBot, window: MainWindow) -> None:
    """The source stays "maica" after a disconnect: the switch stays usable (back to the file)
    and Run Now says to connect."""
    connect(qtbot, window)
    use(qtbot, window)
    window.service.config_set("source", "maica")
    window.hub.refresh()
    idle(qtbot, window)
    source = window.sync.source_box
    assert source.isEnabled()
    assert source.currentData() == "maica"
    assert window.sync.source_text == "Source: Maica org (not connected)"
    assert window.connections.maica.summary.full_text() == NOT_CONNECTED_SOURCE
    assert "“Connect to Maica…”" in window.pages[1].hint.text()  # Active Connections' next step
    assert MAICA_STEP in window.checklist.text()  # instead of importing an export
    assert not window.sync.run_button.isEnabled()
    assert window.sync.run_button.toolTip() == MAICA_NOT_CONNECTED
    source.setCurrentIndex(0)
    source.activated.emit(0)
    qtbot.waitUntil(lambda: window.hub.source == "file", timeout=WAIT_MS)
    idle(qtbot, window)
    assert window.sync.run_button.isEnabled()


def test_the_maica_block_by_keyboard(qtbot: QtBot, window: MainWindow) -> None:
    enable(qtbot, window)
    window.show_section(window.connections)
    box = window.connections.maica
    box.settings_button.click()
    controls: list[QWidget] = [box.connect_button, box.settings_button, box.login_url]
    controls.append(box.client_id)
    for control in controls:
        assert control.accessibleName(), control
        assert control.focusPolicy() & Qt.FocusPolicy.TabFocus, control
    chain: list[QWidget] = []
    widget: QWidget | None = box.connect_button
    for _ in range(100):
        if widget in controls and widget not in chain:
            chain.append(widget)
        widget = widget.nextInFocusChain() if widget is not None else None
    assert chain == controls
    # Alt+M starts the sign-in from anywhere on the page
    window.activateWindow()
    box.client_id.setFocus()
    texts = {b.text() for b in box.findChildren(QAbstractButton)}
    assert "Connect to &Maica…" in texts
    qtbot.keyClick(box.client_id, Qt.Key.Key_M, Qt.KeyboardModifier.AltModifier)
    qtbot.waitUntil(lambda: window.hub.maica_connected, timeout=WAIT_MS)
    idle(qtbot, window)
    # the details are reachable by keyboard once connected
    for button in (box.check_button, box.details_button, box.disconnect_button):
        assert button.isVisible()
        assert button.focusPolicy() & Qt.FocusPolicy.TabFocus


def test_a_long_org_name_is_elided_with_the_full_text_in_tooltip_and_accessible_name(
    qtbot: QtBot, window: MainWindow
) -> None:
    enable(qtbot, window)
    connect_maica(qtbot, window)
    box = window.connections.maica
    long_name = "Maica Care Services and Community Participation Supports " * 4
    maica = window.hub.maica
    assert maica is not None
    box.show_maica(dataclasses.replace(maica, org_name=long_name.strip()))
    QApplication.processEvents()
    assert box.org.toolTip() == long_name.strip()
    assert box.org.accessibleName() == f"Maica org: {long_name.strip()}"
    assert box.org.text() != long_name.strip()  # elided on screen
    assert box.org.text().endswith("…")


def test_without_a_consumer_key_the_fields_open_and_a_typed_key_is_used(
    qtbot: QtBot, window: MainWindow, sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = dict(line.split("=", 1) for line in sandbox.env_lines())["MAICA_XERO_SF_CLIENT_ID"]
    monkeypatch.delenv("MAICA_XERO_SF_CLIENT_ID")
    enable(qtbot, window)
    window.show_section(window.connections)
    box = window.connections.maica
    assert not box.setup.isVisible()
    box.connect_button.click()
    idle(qtbot, window)
    assert box.status.kind == "error"
    assert "consumer key" in box.status.text()
    assert "maica-xero" not in box.status.text()  # the window's words, not the CLI's
    assert box.setup.isVisible()  # the fields it is about
    assert box.client_id.hasFocus() or not window.isActiveWindow()
    box.client_id.setText(key)
    box.connect_button.click()
    qtbot.waitUntil(lambda: window.hub.maica_connected, timeout=WAIT_MS)
    idle(qtbot, window)
    assert window.service.config_get("sf-client-id") == key
    assert box.client_id.text() == ""  # saved, not kept in the field


def test_the_mapping_details_dialog_by_keyboard_and_at_1024x700(
    qtbot: QtBot, window: MainWindow
) -> None:
    """A title; the table, Confirm and Close reached with Tab; Enter on the table does not
    confirm (Close is the default button); Escape closes; it fits a 1024x700 screen."""
    enable(qtbot, window)
    connect_maica(qtbot, window)
    box = window.connections.maica
    window.resize(1024, 700)
    box.details_button.click()
    qtbot.waitUntil(lambda: box.dialog is not None and box.dialog.isVisible(), timeout=WAIT_MS)
    dialog = box.dialog
    assert dialog is not None
    assert dialog.windowTitle() == "Maica field mapping"
    assert dialog.width() <= 1024
    assert dialog.height() <= 700
    assert dialog.confirm_button.isVisible()
    assert dialog.confirm_button.text() == "Con&firm field names"
    assert dialog.close_button.isDefault()
    assert not dialog.confirm_button.isDefault()

    def next_stop(widget: QWidget) -> QWidget:
        """Where Tab goes from ``widget``: the next visible widget that takes Tab focus."""
        following = widget.nextInFocusChain()
        while following is not None and (
            not following.focusPolicy() & Qt.FocusPolicy.TabFocus or not following.isVisible()
        ):
            following = following.nextInFocusChain()
        assert following is not None
        return following

    order: list[QWidget] = [dialog.table]
    for _ in range(2):
        order.append(next_stop(order[-1]))
    assert order == [dialog.table, dialog.confirm_button, dialog.close_button]

    dialog.activateWindow()
    dialog.table.setFocus()
    qtbot.keyClick(dialog.table, Qt.Key.Key_Return)
    assert not dialog.isVisible()  # Enter: Close, the default — never a silent confirmation
    idle(qtbot, window)
    assert box.check is not None
    assert box.check.unconfirmed
    box.details_button.click()
    qtbot.waitUntil(dialog.isVisible, timeout=WAIT_MS)
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)
    assert not dialog.isVisible()
