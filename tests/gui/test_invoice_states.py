"""What the invoice list and its detail pane say: conflict and not-eligible rows, any message in
full without hovering, and the window after sign-out or with no organisation chosen."""

from __future__ import annotations

import json
import time

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from maica_xero_desktop.core.service import internals
from maica_xero_desktop.core.store.events import IncomingEvent
from maica_xero_desktop.gui import widgets
from maica_xero_desktop.gui.invoice_model import MESSAGE_COLUMN, STATE_COLUMN
from maica_xero_desktop.gui.main_window import MainWindow
from maica_xero_desktop.gui.preview_dialog import PreviewDialog
from maica_xero_desktop.gui.sync_panel import NOT_CONNECTED

from .conftest import WAIT_MS, idle

CONFLICT_MESSAGE = (
    "Xero already holds an invoice numbered INV-002405 that is not this one (its total and "
    "contact differ), so it was not linked: correct the number in Maica, or void the other "
    "invoice in Xero, then run again. This sentence is long on purpose, so that a table cell "
    "would cut it."
)
NOT_ELIGIBLE_MESSAGE = "Not sent by the authorised flow: status Entered."
SIDES = {
    "maica": {"contact": "Adam Smith", "date": "2026-10-12", "total": "999.00"},
    "xero": {"contact": "Adam Smyth", "date": "2026-10-12", "total": "100.00"},
}


def _set_link(window: MainWindow, number: str, state: str, message: str, detail: object) -> None:
    """What the sync engine records for such an invoice, written to the real store file."""
    store = internals(window.service).store
    tenant = window.hub.tenant_id
    with store.db.tx() as conn:
        invoice_id = conn.execute(
            "SELECT id FROM invoices WHERE invoice_number = ?", (number,)
        ).fetchone()[0]
        conn.execute(
            "INSERT OR REPLACE INTO xero_links (invoice_id, tenant_id, state, message, "
            "updated_at, detail) VALUES (?, ?, ?, ?, ?, ?)",
            (invoice_id, tenant, state, message, time.time(), json.dumps(detail)),
        )


def _show(qtbot: QtBot, window: MainWindow, state: str) -> None:
    panel = window.sync.invoices
    index = panel.state_box.findData(state)
    assert index >= 0, f"the filter has no {state!r}"
    panel.state_box.setCurrentIndex(index)
    idle(qtbot, window)


def test_conflict_rows_look_like_errors_and_show_both_sides(
    qtbot: QtBot, ready: MainWindow
) -> None:
    window = ready
    _set_link(window, "INV-002405", "conflict", CONFLICT_MESSAGE, SIDES)
    _show(qtbot, window, "conflict")
    panel = window.sync.invoices
    assert panel.model.rowCount() == 1
    error = widgets.hint_color("error", QApplication.palette())
    for column in (STATE_COLUMN, MESSAGE_COLUMN):
        colour = panel.model.data(panel.model.index(0, column), Qt.ItemDataRole.ForegroundRole)
        assert colour == error
    assert panel.select_invoice("INV-002405")
    idle(qtbot, window)
    pane = panel.detail
    assert pane.message.text() == CONFLICT_MESSAGE  # all of it, wrapped, not in a tooltip
    assert pane.message.wordWrap()
    assert pane.message.isVisible()
    assert pane.message.kind == "error"
    assert "conflict" in pane.title.text()
    assert pane.sides.isVisible()
    sides = pane.sides.text()
    for value in ("999.00", "100.00", "Adam Smyth", "Maica", "Xero", "Total"):
        assert value in sides
    assert "not counted as synced" in pane.advice.text()


def test_not_eligible_rows_are_muted_with_their_reason(qtbot: QtBot, ready: MainWindow) -> None:
    window = ready
    _set_link(window, "INV-002401", "not_eligible", NOT_ELIGIBLE_MESSAGE, {"status": "Entered"})
    _show(qtbot, window, "not_eligible")
    panel = window.sync.invoices
    # the flow's own marks (Maica status Entered: not eligible) and the one written here
    numbers = [panel.model.row(i).invoice_number for i in range(panel.model.rowCount())]
    assert "INV-002401" in numbers
    row = numbers.index("INV-002401")
    assert panel.model.data(panel.model.index(row, STATE_COLUMN)) == "not eligible"
    muted = QApplication.palette().color(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Text)
    for column in range(panel.model.columnCount()):
        colour = panel.model.data(panel.model.index(row, column), Qt.ItemDataRole.ForegroundRole)
        assert colour == muted
    assert panel.select_invoice("INV-002401")
    idle(qtbot, window)
    assert panel.detail.message.text() == NOT_ELIGIBLE_MESSAGE
    assert not panel.detail.edit_button.isVisible()
    assert "Entered" in panel.detail.sides.text()


def test_after_sign_out_the_window_tells_the_truth(
    qtbot: QtBot, ready: MainWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    window = ready
    tenant, name = window.hub.tenant_id, window.hub.status.active_tenant_name  # type: ignore[union-attr]
    with qtbot.waitSignal(window.sync.run_finished, timeout=WAIT_MS * 2):
        window.sync.run_button.click()
    idle(qtbot, window)
    with qtbot.waitSignal(window.sync.run_finished, timeout=WAIT_MS):
        window.sync.preview_button.click()
    idle(qtbot, window)
    assert window.sync.result_line.text().startswith("Preview:")
    assert window.sync.progress.isVisible()
    internals(window.service).store.add_webhook_events(
        "delivery-1",
        [
            IncomingEvent(
                tenant, "ORGANISATION", "INVOICE", "UPDATE", "a" * 36, "https://x", "2026-11-27"
            )
        ],
    )

    monkeypatch.setattr(widgets, "confirm", lambda *args: True)
    window.connections.logout_button.click()
    qtbot.waitUntil(lambda: not window.hub.tenant_id, timeout=WAIT_MS)
    idle(qtbot, window)

    sync = window.sync
    assert not sync.result_line.isVisible()  # the preview's line spoke of the organisation
    assert not sync.progress.isVisible()
    assert not sync.step.isVisible()
    visible = [w for w in QApplication.topLevelWidgets() if w.isVisible()]
    assert not [w for w in visible if isinstance(w, PreviewDialog)]
    assert sync.target.full_text() == NOT_CONNECTED
    assert not sync.run_button.isEnabled()

    panel = sync.invoices
    assert panel.model.rowCount() == 40  # still listed, with their state in the last organisation
    assert panel.count_label.text().startswith(
        f"Last synced with {name} — not connected now. 40 invoices imported"
    )
    states = {panel.model.data(panel.model.index(i, STATE_COLUMN)) for i in range(40)}
    assert "synced" in states
    assert panel.state_box.isEnabled()
    assert not panel.payments_button.isEnabled()  # payments come from the active organisation
    synced = next(panel.model.row(i) for i in range(40) if panel.model.row(i).state == "synced")
    assert panel.select_invoice(synced.invoice_number)
    idle(qtbot, window)
    assert "synced" in panel.detail.title.text()
    assert panel.detail.totals.text().endswith("as in Xero.")
    _show(qtbot, window, "synced")
    assert panel.model.rowCount() > 0
    assert panel.model.row(0).state == "synced"

    window.webhooks.refresh()
    idle(qtbot, window)
    events = window.webhooks.table.events
    assert events.rowCount() == 1
    assert events.row(0).organisation == name


def test_a_run_outcome_message_reads_in_full_under_the_history(
    qtbot: QtBot, ready: MainWindow
) -> None:
    window = ready
    with qtbot.waitSignal(window.sync.run_finished, timeout=WAIT_MS * 2):
        window.sync.run_button.click()
    idle(qtbot, window)
    history = window.sync.history
    window.sync.tabs.setCurrentWidget(history)
    history.filter.setCurrentIndex(history.filter.findData("blocked"))
    idle(qtbot, window)
    assert history.results.rowCount() == 1
    assert history.outcome_message.isVisible()  # the first message, selected by itself
    outcome = history.results.row(0)
    assert history.outcome_message.text() == f"{outcome.invoice_number}: {outcome.message}"
    assert history.outcome_message.wordWrap()


def test_with_no_organisation_ever_used_the_list_says_so(qtbot: QtBot, window: MainWindow) -> None:
    from maica_xero_desktop.gui.invoice_model import NO_ORGANISATION

    from .conftest import SAMPLE, connect, import_file

    connect(qtbot, window)  # two organisations, none chosen, no run yet
    import_file(qtbot, window, SAMPLE)
    panel = window.sync.invoices
    assert panel.count_label.text().startswith("No organisation chosen — 40 invoices imported")
    assert panel.model.data(panel.model.index(0, STATE_COLUMN)) == NO_ORGANISATION
    assert not panel.state_box.isEnabled()
    assert panel.select_invoice("INV-002405")
    assert "no organisation chosen" in panel.detail.title.text()


def test_totals_are_xeros_and_a_difference_is_said_in_full(qtbot: QtBot, ready: MainWindow) -> None:
    from maica_xero_desktop.gui.invoice_model import COLUMNS, money

    window = ready
    panel = window.sync.invoices
    total_column = [c for c, _ in COLUMNS].index("Total incl. GST")
    with qtbot.waitSignal(window.sync.run_finished, timeout=WAIT_MS * 2):
        window.sync.run_button.click()
    idle(qtbot, window)
    _show(qtbot, window, "synced")
    row = panel.model.row(0)
    assert row.xero_total is not None
    shown = panel.model.data(panel.model.index(0, total_column))
    assert shown == money(row.xero_total)
    assert panel.select_invoice(row.invoice_number)
    idle(qtbot, window)
    assert panel.detail.totals.text().endswith("as in Xero.")
    assert "incl. GST" in panel.detail.totals.text()
    # Xero's own total differs from the one computed here: both, in full, in the pane
    _set_link(window, row.invoice_number, "synced", "", {"xero_total": "1.00"})
    panel.reload()
    idle(qtbot, window)
    assert panel.select_invoice(row.invoice_number)
    idle(qtbot, window)
    assert panel.model.data(panel.model.index(0, total_column)) == "1.00"
    assert "Xero total 1.00, Maica" in panel.detail.message.text()
    assert panel.detail.totals.text().startswith("Xero's total 1.00; computed here:")


def test_the_preview_shows_each_invoices_predicted_totals(qtbot: QtBot, ready: MainWindow) -> None:
    window = ready
    with qtbot.waitSignal(window.sync.run_finished, timeout=WAIT_MS) as finished:
        window.sync.preview_button.click()
    idle(qtbot, window)
    dialog = next(
        w for w in QApplication.topLevelWidgets() if isinstance(w, PreviewDialog) and w.isVisible()
    )
    headers = [dialog.model.headerData(c, Qt.Orientation.Horizontal) for c in range(6)]
    assert headers[2:5] == ["Subtotal", "GST", "Total incl. GST"]
    entries = [dialog.model.row(i) for i in range(dialog.model.rowCount())]
    send = next(i for i, e in enumerate(entries) if e["action"] == "send")
    predicted = finished.args[0].preview
    expected = next(e for e in predicted if e["action"] == "send")["totals"]["total"]
    assert dialog.model.data(dialog.model.index(send, 4)) not in ("", None)
    assert any(e.get("totals", {}).get("total") == expected for e in entries)
    align = dialog.model.data(dialog.model.index(send, 4), Qt.ItemDataRole.TextAlignmentRole)
    assert align == int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
    dialog.table.selectRow(send)
    assert "incl. GST" in dialog.full.text()
    dialog.close()
