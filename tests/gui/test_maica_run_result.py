"""A run from the Maica org whose write-back Maica refused is visible in the window: the result
line says the run failed with the sentence, the history row reads "failed" and, selected, shows
the run's message. Against the in-process sandbox's Maica org."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from maica_xero_desktop.core.sync import SyncResult
from maica_xero_desktop.gui.main_window import MainWindow
from maica_xero_desktop.sandbox import Sandbox

from .conftest import WAIT_MS, connect, idle, use
from .test_maica_connections import connect_maica

INVOICE = "maica_cc__Invoice__c"
DEMO = "Demo Company (AU)"


def _ready_from_maica(qtbot: QtBot, window: MainWindow) -> None:
    """Maica org connected with its names confirmed, the source, Xero connected, Demo chosen."""
    connect(qtbot, window)
    use(qtbot, window, DEMO)
    connect_maica(qtbot, window)
    window.service.maica.confirm_mapping()
    window.service.config_set("source", "maica")
    window.hub.refresh()
    idle(qtbot, window)
    assert window.hub.source == "maica"


def _run(qtbot: QtBot, window: MainWindow) -> SyncResult:
    window.show_section(window.sync)
    window.sync.tabs.setCurrentWidget(window.sync.history)
    finished: list[Any] = []
    window.sync.run_finished.connect(finished.append)
    window.sync.run_button.click()
    qtbot.waitUntil(lambda: bool(finished), timeout=WAIT_MS * 2)
    idle(qtbot, window)
    result = finished[0]
    assert isinstance(result, SyncResult)
    return result


def _history_says_failed(qtbot: QtBot, window: MainWindow, sentence: str) -> None:
    history = window.sync.history
    qtbot.waitUntil(lambda: history.runs.rowCount() > 0, timeout=WAIT_MS)
    idle(qtbot, window)
    run = history.selected_run()
    assert run is not None
    assert run.state == "failed"
    state_column = next(
        c
        for c in range(history.runs.columnCount())
        if history.runs.headerData(c, Qt.Orientation.Horizontal) == "State"
    )
    assert history.runs.data(history.runs.index(0, state_column)) == "failed"
    assert history.run_message.isVisible()
    assert history.run_message.kind == "error"
    assert history.run_message.text().startswith("This run failed: ")
    assert sentence in history.run_message.text()


def test_a_write_back_stopped_by_the_daily_limit_shows_as_a_failed_run(
    qtbot: QtBot, window: MainWindow, sandbox: Sandbox
) -> None:
    _ready_from_maica(qtbot, window)
    # the invoices reach Xero; writing their ids back to Maica finds the org's budget spent
    sandbox.maica_add_fault(error="REQUEST_LIMIT_EXCEEDED", endpoint="composite", count=20)
    result = _run(qtbot, window)
    assert result.created > 0
    assert result.state == "failed"
    line = window.sync.result_line
    assert line.isVisible()
    assert line.kind == "error"
    assert line.text().startswith("The run failed. ")
    assert result.message
    assert result.message in line.text()
    assert "Traceback" not in line.text()
    _history_says_failed(qtbot, window, result.message)


def test_a_write_back_refused_by_a_validation_rule_shows_as_a_failed_run(
    qtbot: QtBot, window: MainWindow, sandbox: Sandbox
) -> None:
    _ready_from_maica(qtbot, window)
    refused = next(r["Id"] for r in sandbox.maica_records(INVOICE) if r["Name"] == "INV-002402")
    sandbox.maica_add_fault(
        error="FIELD_CUSTOM_VALIDATION_EXCEPTION",
        endpoint="composite",
        count=5,
        record_ids=[refused],
    )
    result = _run(qtbot, window)
    assert result.created > 0
    assert result.state == "failed"
    line = window.sync.result_line
    assert line.kind == "error"
    assert result.message
    assert result.message in line.text()
    _history_says_failed(qtbot, window, result.message)
    assert not next(r for r in sandbox.maica_records(INVOICE) if r["Id"] == refused).get(
        "maica_cc__Finance_External_ID__c"
    )
