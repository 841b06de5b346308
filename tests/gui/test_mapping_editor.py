"""The support-item mapping editor against the sandbox: open, filter, choose the account and
tax type from the organisation's own lists, save, and the next preview no longer blocks the
invoice."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot

from maica_xero_desktop.core.store import SupportItem
from maica_xero_desktop.core.sync import SyncResult
from maica_xero_desktop.core.xero import client
from maica_xero_desktop.gui import mapping_editor
from maica_xero_desktop.gui.main_window import MainWindow
from maica_xero_desktop.gui.mapping_editor import (
    NO_ORGANISATION,
    NOT_CONNECTED,
    MappingEditor,
)
from maica_xero_desktop.gui.preview_dialog import PreviewDialog
from maica_xero_desktop.sandbox import Sandbox

from .conftest import SAMPLE, WAIT_MS, connect, idle, import_file

ITEM = "01_011_0107_1_1"  # Self-Care, Weekday Daytime: on many invoices, never overridden
PHYSIO = "15_054_0128_1_3"


def _close_previews() -> None:
    for dialog in _previews():
        dialog.close()


def _preview(qtbot: QtBot, window: MainWindow) -> SyncResult:
    with qtbot.waitSignal(window.sync.run_finished, timeout=WAIT_MS) as finished:
        window.sync.preview_button.click()
    idle(qtbot, window)
    _close_previews()
    result = finished.args[0]
    assert isinstance(result, SyncResult)
    return result


def _blocked(result: SyncResult) -> set[str]:
    return {str(e["invoice_number"]) for e in result.preview if e.get("action") != "send"}


def _entries(box: Any) -> list[tuple[str, str]]:
    return [(box.itemText(i), str(box.itemData(i))) for i in range(box.count())]


def _editor_ready(qtbot: QtBot, window: MainWindow, editor: MappingEditor) -> None:
    qtbot.waitUntil(lambda: editor.isVisible() and editor.model.rowCount() > 0, timeout=WAIT_MS)
    idle(qtbot, window)


def test_a_blocked_row_opens_the_editor_and_the_saved_mapping_unblocks_it(
    qtbot: QtBot, ready: MainWindow
) -> None:
    window = ready
    # the item maps to an account Xero has archived: every invoice using it is blocked
    window.service.sync.set_support_item(ITEM, account_code="250")
    with qtbot.waitSignal(window.sync.run_finished, timeout=WAIT_MS * 2):
        window.sync.run_button.click()
    idle(qtbot, window)
    panel = window.sync.invoices
    panel.state_box.setCurrentIndex(panel.state_box.findData("blocked"))
    idle(qtbot, window)
    assert panel.model.rowCount() > 1
    blocked = {panel.model.row(i).invoice_number for i in range(panel.model.rowCount())}
    number = next(n for n in sorted(blocked) if n != "INV-002417")  # 2417 has a per-line 999
    assert panel.select_invoice(number)
    idle(qtbot, window)

    # the reason in full, with its advice, without hovering
    pane = panel.detail
    assert "archived in Xero" in pane.message.text()
    assert pane.message.isVisible()
    assert "Preview again" in pane.advice.text()
    assert pane.edit_button.isVisible()
    assert f"support item {ITEM}" in pane.note.text()

    # by keyboard: Tab reaches the button after the list; Enter on a blocked row opens the editor
    assert _tab_chain(panel.items_button, 2) == [panel.table, pane.edit_button]
    panel.table.setFocus()
    qtbot.keyClick(panel.table, Qt.Key.Key_Return)
    editor = panel.editor
    assert editor is not None
    _editor_ready(qtbot, window, editor)
    selected = editor.selected()
    assert selected is not None
    assert selected.item_number == ITEM
    # the organisation's own lists, read from the sandbox; the archived account is named as such
    accounts = _entries(editor.account_box)
    assert ("210 — NDIS Support Income", "210") in accounts
    assert any("archived in Xero" in text and value == "250" for text, value in accounts)
    assert editor.account_box.currentData() == "250"
    assert not any(value == "INPUT" for _, value in _entries(editor.tax_box))  # not for income
    assert "EXEMPTOUTPUT" in {value for _, value in _entries(editor.tax_box)}
    assert not editor.save_button.isEnabled()  # nothing changed yet

    assert editor.choose_account("210")
    assert editor.choose_tax_type("EXEMPTOUTPUT")
    editor.description.setText("Self-care support (weekday)")
    assert editor.save_button.isEnabled()
    editor.save_button.click()
    idle(qtbot, window)
    assert editor.status.kind == "ok", editor.status.text()
    stored = next(i for i in window.service.sync.support_items() if i.item_number == ITEM)
    assert (stored.account_code, stored.tax_type) == ("210", "EXEMPTOUTPUT")
    assert stored.xero_description == "Self-care support (weekday)"
    editor.close()

    assert number not in _blocked(_preview(qtbot, window))


def test_filter_narrows_many_items_and_the_keyboard_reaches_the_list(
    qtbot: QtBot, ready: MainWindow
) -> None:
    window = ready
    editor = window.sync.invoices.edit_mapping()
    _editor_ready(qtbot, window, editor)
    total = editor.model.rowCount()
    assert editor.count.text() == f"{total} items"
    assert editor.filter.hasFocus() or QApplication.focusWidget() is editor.filter
    qtbot.keyClicks(editor.filter, "physio")
    assert editor.proxy.rowCount() == 1
    assert editor.count.text() == f"1 of {total} items"
    selected = editor.selected()
    assert selected is not None
    assert selected.item_number == PHYSIO
    qtbot.keyClick(editor.filter, Qt.Key.Key_Down)
    assert editor.table.hasFocus() or QApplication.focusWidget() is editor.table
    # the tab order runs filter → list → description → account → tax type
    assert _tab_chain(editor.filter, 5) == [
        editor.table,
        editor.description,
        editor.account_box,
        editor.tax_box,
        editor.close_button,  # Save is disabled until something changes
    ]
    editor.filter.setText("no such item")
    assert editor.proxy.rowCount() == 0
    assert "No item matches" in editor.count.text()
    assert not editor.form_box.isEnabled()


def _tab_chain(start: QWidget, count: int) -> list[QWidget]:
    """The next ``count`` widgets Tab reaches from ``start``."""
    found: list[QWidget] = []
    widget = start
    while len(found) < count:
        following = widget.nextInFocusChain()
        assert following is not None
        widget = following
        tab = widget.focusPolicy() & Qt.FocusPolicy.TabFocus
        if tab and widget.isEnabled() and widget.isVisible() and widget.focusProxy() is None:
            found.append(widget)
    return found


def test_before_connecting_the_editor_says_connect_first(qtbot: QtBot, window: MainWindow) -> None:
    connect(qtbot, window)
    window.service.logout(local_only=True)
    window.hub.refresh()
    idle(qtbot, window)
    import_file(qtbot, window, SAMPLE)
    editor = window.sync.invoices.edit_mapping(PHYSIO)
    _editor_ready(qtbot, window, editor)
    assert editor.notice.text() == NOT_CONNECTED
    assert "connect to xero first" in editor.notice.text().lower()
    assert not editor.account_box.isEnabled()
    assert not editor.tax_box.isEnabled()
    selected = editor.selected()
    assert selected is not None
    assert selected.item_number == PHYSIO


def test_no_organisation_chosen_is_said_as_such(qtbot: QtBot, window: MainWindow) -> None:
    connect(qtbot, window)  # the sandbox has two organisations: none is chosen by itself
    assert not window.hub.tenant_id
    import_file(qtbot, window, SAMPLE)
    editor = window.sync.invoices.edit_mapping()
    _editor_ready(qtbot, window, editor)
    assert editor.notice.text() == NO_ORGANISATION


def test_xero_unreachable_says_so_and_retry_reads_again(
    qtbot: QtBot, ready: MainWindow, xero_env: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    window = ready
    monkeypatch.setattr(client, "SERVER_RETRY_DELAYS_S", ())
    xero_env.add_fault(status=503, endpoint="api.GET.Accounts", count=1)
    editor = window.sync.invoices.edit_mapping(PHYSIO)
    _editor_ready(qtbot, window, editor)
    assert editor.notice.kind == "error"
    assert "could not be reached" in editor.notice.text()
    assert "Retry" in editor.notice.text()
    assert editor.retry_button.isVisible()
    assert editor.retry_button.isEnabled()
    assert not editor.account_box.isEnabled()
    editor.retry_button.click()
    idle(qtbot, window)
    assert editor.notice.kind == "ok", editor.notice.text()
    assert editor.account_box.isEnabled()
    assert ("210 — NDIS Support Income", "210") in _entries(editor.account_box)


def test_from_a_blocked_preview_line_to_the_mapping_and_back(
    qtbot: QtBot, ready: MainWindow
) -> None:
    window = ready
    window.service.sync.set_support_item(ITEM, account_code="250")
    window.sync.preview_button.click()
    qtbot.waitUntil(lambda: bool(_previews()), timeout=WAIT_MS)
    idle(qtbot, window)
    dialog = _previews()[0]
    assert dialog.edit_button.isVisible()
    rows = [dialog.model.row(i) for i in range(dialog.model.rowCount())]
    row = next(
        i
        for i, e in enumerate(rows)
        if e["action"] != "send" and e["invoice_number"] != "INV-002417"
    )
    number = str(rows[row]["invoice_number"])
    dialog.table.selectRow(row)
    assert dialog.edit_button.isEnabled()
    dialog.edit_button.click()
    idle(qtbot, window)
    editor = window.sync.invoices.editor
    assert editor is not None
    _editor_ready(qtbot, window, editor)
    assert not _previews()  # the editor took over
    selected = editor.selected()
    assert selected is not None
    assert selected.item_number == ITEM
    assert editor.choose_account("210")
    editor.save_button.click()
    idle(qtbot, window)
    editor.close()
    assert number not in _blocked(_preview(qtbot, window))


def _previews() -> list[PreviewDialog]:
    return [
        w for w in QApplication.topLevelWidgets() if isinstance(w, PreviewDialog) and w.isVisible()
    ]


def test_leaving_an_item_with_unsaved_changes_asks_first(
    qtbot: QtBot, ready: MainWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    window = ready
    answers = [True, False]
    asked: list[str] = []

    def ask(parent: object, item: SupportItem) -> bool:
        asked.append(item.item_number)
        return answers.pop(0)

    monkeypatch.setattr(mapping_editor, "ask_save", ask)
    editor = window.sync.invoices.edit_mapping(PHYSIO)
    _editor_ready(qtbot, window, editor)
    editor.description.setText("Physiotherapy")
    editor.select_item(ITEM)
    # moving on: "save?" — yes
    idle(qtbot, window)
    assert asked == [PHYSIO]
    saved = {i.item_number: i for i in window.service.sync.support_items()}
    assert saved[PHYSIO].xero_description == "Physiotherapy"
    selected = editor.selected()
    assert selected is not None
    assert selected.item_number == ITEM  # the selection stayed where the administrator went
    editor.description.setText("Not wanted")
    editor.reject()  # closing: "save?" — no
    idle(qtbot, window)
    assert asked == [PHYSIO, ITEM]
    assert not editor.isVisible()
    saved = {i.item_number: i for i in window.service.sync.support_items()}
    assert saved[ITEM].xero_description == ""
    editor = window.sync.invoices.edit_mapping(PHYSIO)  # the discarded edit is gone: no question
    _editor_ready(qtbot, window, editor)
    editor.select_item(ITEM)
    assert asked == [PHYSIO, ITEM]
    assert editor.description.text() == ""


def test_no_items_yet_says_what_to_do(qtbot: QtBot, window: MainWindow) -> None:
    connect(qtbot, window)
    editor = window.sync.invoices.edit_mapping()
    qtbot.waitUntil(editor.isVisible, timeout=WAIT_MS)
    idle(qtbot, window)
    assert editor.model.rowCount() == 0
    assert editor.empty.isVisible()
    assert "import a Maica invoice export" in editor.empty.text()
    assert editor.count.text() == "0 items"
    assert not editor.form.isEnabled()


def test_the_source_saves_through_the_core_which_checks_the_organisation(
    qtbot: QtBot, ready: MainWindow
) -> None:
    from maica_xero_desktop.core.errors import ConfigurationError
    from maica_xero_desktop.gui.mapping_source import ServiceMappingSource

    window = ready
    window.service.sync.set_support_item(ITEM, account_code="250")  # archived in Xero
    source = ServiceMappingSource(window.service)
    tenant = window.hub.tenant_id
    codes = [a.code for a in source.accounts(tenant)]
    assert {"210", "400"} <= set(codes)  # the whole chart, flagged by the core
    assert [a.code for a in source.accounts(tenant) if a.postable][:1] == ["200"]
    assert "EXEMPTOUTPUT" in {t.tax_type for t in source.tax_rates(tenant) if t.usable}
    item = next(i for i in source.support_items() if i.item_number == ITEM)
    # an expense account: the core's sentence, nothing saved
    with pytest.raises(ConfigurationError, match="revenue account"):
        source.save_item(SupportItem(ITEM, item.name, "", "400", ""))
    # an unchanged (now refused) account is kept as it is while the description changes
    saved = source.save_item(SupportItem(ITEM, item.name, "Self-care", "250", ""))
    assert (saved.account_code, saved.xero_description) == ("250", "Self-care")
    with pytest.raises(ConfigurationError, match="not usable on income"):
        source.save_item(SupportItem(ITEM, item.name, "Self-care", "210", "INPUT"))
