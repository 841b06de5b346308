"""Synchronisation against the sandbox: import, preview, run, cancel, history, retry, payments,
the schedule and the lazily paged invoice list."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtWidgets import QApplication, QFileDialog
from pytestqt.qtbot import QtBot

from maica_xero_desktop.gui.import_errors import ImportErrorsDialog
from maica_xero_desktop.gui.main_window import MainWindow
from maica_xero_desktop.gui.preview_dialog import PreviewDialog
from maica_xero_desktop.sandbox import Sandbox

from .conftest import SAMPLE, WAIT_MS, connect, idle, use


def _dialogs(kind: type) -> list:  # type: ignore[type-arg]
    return [w for w in QApplication.topLevelWidgets() if isinstance(w, kind) and w.isVisible()]


def test_import_sample_through_the_file_dialog(
    qtbot: QtBot, window: MainWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    connect(qtbot, window)
    panel = window.sync.invoices
    assert "No invoices yet" in panel.count_label.text()
    monkeypatch.setattr(
        QFileDialog, "getOpenFileName", staticmethod(lambda *a, **k: (str(SAMPLE), "CSV"))
    )
    panel.import_button.click()
    idle(qtbot, window)
    idle(qtbot, window)
    assert panel.status.text().startswith("Imported 40 invoices (40 new")
    assert panel.model.rowCount() == 40
    # connected, but neither of the two organisations chosen yet: no sync state to show
    assert panel.count_label.text().startswith("No organisation chosen — 40 invoices imported")


def test_broken_csv_lists_every_row_error_with_line_numbers(
    qtbot: QtBot, window: MainWindow, tmp_path: Path
) -> None:
    lines = SAMPLE.read_text(encoding="utf-8").splitlines()
    header = lines[0].split(",")
    bad = lines[1].split(",")
    bad[header.index("quantity")] = "lots"
    worse = lines[2].split(",")
    worse[header.index("invoice_date")] = "12/10/2026"
    broken = tmp_path / "broken.csv"
    broken.write_text("\n".join([lines[0], ",".join(bad), ",".join(worse), *lines[3:]]) + "\n")
    connect(qtbot, window)
    window.sync.invoices.import_file(str(broken))
    qtbot.waitUntil(lambda: bool(_dialogs(ImportErrorsDialog)), timeout=WAIT_MS)
    dialog = _dialogs(ImportErrorsDialog)[0]
    rows = [dialog.model.row(i) for i in range(dialog.model.rowCount())]
    assert {(r.line, r.column) for r in rows} >= {(2, "quantity"), (3, "invoice_date")}
    assert dialog.model.data(dialog.model.index(0, 0)) == "2"
    assert "nothing was imported" in dialog.windowTitle().lower()
    assert "not imported" in window.sync.invoices.status.text()
    assert window.sync.invoices.model.rowCount() == 0
    dialog.close()


def test_preview_lists_what_would_be_sent(qtbot: QtBot, ready: MainWindow) -> None:
    ready.sync.preview_button.click()
    qtbot.waitUntil(lambda: bool(_dialogs(PreviewDialog)), timeout=WAIT_MS)
    dialog = _dialogs(PreviewDialog)[0]
    model = dialog.model
    actions = [model.data(model.index(i, 1)) for i in range(model.rowCount())]
    sends, blocked = actions.count("sent"), actions.count("blocked")
    assert sends + blocked == model.rowCount()
    assert sends > 20
    assert actions == ["blocked"] * blocked + ["sent"] * sends  # the problems first
    for i in range(blocked):
        assert model.data(model.index(i, 5))  # each blocked invoice says why
    assert f"would send {sends} invoices" in dialog.summary.text()
    assert ready.sync.result_line.text().startswith("Preview:")
    assert ready.service.sync.count_invoices("synced") == 0  # nothing was sent
    dialog.close()
    idle(qtbot, ready)
    assert ready.sync.history.runs.row(0).dry_run


def test_run_now_with_progress_summary_and_history(
    qtbot: QtBot, ready: MainWindow, sandbox: Sandbox
) -> None:
    sync = ready.sync
    steps: list[str] = []
    sync.run_progressed.connect(lambda progress: steps.append(progress.step))
    with qtbot.waitSignal(sync.run_finished, timeout=WAIT_MS) as finished:
        sync.run_button.click()
        assert not sync.run_button.isEnabled()
        assert sync.cancel_button.isEnabled()
    result = finished.args[0]
    idle(qtbot, ready)
    assert result.created > 20
    assert result.created + result.blocked + result.failed == result.selected
    assert any(s.startswith("Sending invoices") for s in steps)
    assert sync.result_line.text().startswith("Run finished")
    assert f"{result.selected} selected: {result.created} created" in sync.result_line.text()
    assert sync.result_line.kind == ("ok" if result.complete else "warning")
    assert sync.run_button.isEnabled()
    assert not sync.cancel_button.isEnabled()
    assert sync.progress.value() == sync.progress.maximum()
    history = sync.history
    assert history.runs.rowCount() == 1
    assert history.runs.row(0).created == result.created
    assert history.results.rowCount() == result.created + result.blocked + result.failed
    history.filter.setCurrentIndex(2)  # blocked
    idle(qtbot, ready)
    assert history.results.rowCount() == result.blocked
    assert all(history.results.row(i).message for i in range(result.blocked))
    history.filter.setCurrentIndex(1)  # failed
    idle(qtbot, ready)
    assert history.results.rowCount() == result.failed
    assert len(sandbox.invoices("3d6c2f0e-5b8a-4c71-9e2d-7a1f4b8c6d53")) == result.created
    states = {sync.invoices.model.row(i).state for i in range(sync.invoices.model.rowCount())}
    assert "synced" in states
    # Retry failed with nothing failed says so; nothing runs.
    history.retry_button.click()
    idle(qtbot, ready)
    assert "nothing to retry" in history.status.text()


def test_cancel_a_run(qtbot: QtBot, ready: MainWindow, sandbox: Sandbox) -> None:
    sandbox.add_fault(delay_seconds=1.0, endpoint="api.GET.Accounts", count=1)
    sync = ready.sync
    with qtbot.waitSignal(sync.run_finished, timeout=WAIT_MS) as finished:
        sync.run_button.click()
        qtbot.waitUntil(lambda: "accounts" in sync.step.text(), timeout=WAIT_MS)
        sync.cancel_button.click()
        assert "Cancelling" in sync.step.text()
    idle(qtbot, ready)
    assert finished.args[0].state == "cancelled"
    assert sync.result_line.text().startswith("Run cancelled.")
    assert sync.history.runs.row(0).state == "cancelled"
    assert sandbox.invoices("3d6c2f0e-5b8a-4c71-9e2d-7a1f4b8c6d53") == []


def test_refresh_payments_brings_xero_payments_back(
    qtbot: QtBot, ready: MainWindow, sandbox: Sandbox
) -> None:
    with qtbot.waitSignal(ready.sync.run_finished, timeout=WAIT_MS):
        ready.sync.run_button.click()
    idle(qtbot, ready)
    sandbox.pay("10.00", invoice_number="INV-002402")
    panel = ready.sync.invoices
    panel.payments_button.click()
    assert not panel.payments_button.isEnabled()
    idle(qtbot, ready)
    idle(qtbot, ready)
    assert panel.status.text() == "Payments refreshed from Xero: 1 invoice changed."
    row = next(
        panel.model.row(i)
        for i in range(panel.model.rowCount())
        if panel.model.row(i).invoice_number == "INV-002402"
    )
    assert row.amount_paid is not None
    assert float(row.amount_paid) == 10.0


def test_schedule_saves_and_runs_while_open(qtbot: QtBot, ready: MainWindow) -> None:
    schedule = ready.sync.schedule
    schedule.minutes.setValue(15)
    qtbot.waitUntil(lambda: ready.service.settings().schedule_minutes == 15, timeout=WAIT_MS)
    qtbot.waitUntil(schedule.timer.isActive, timeout=WAIT_MS)
    assert schedule.next_run.text().startswith("Next run at ")
    assert schedule.timer.interval() == 15 * 60_000
    with qtbot.waitSignal(ready.sync.run_finished, timeout=WAIT_MS) as finished:
        schedule.timer.timeout.emit()  # as if 15 minutes had passed
    idle(qtbot, ready)
    assert finished.args[0].created > 20
    assert ready.sync.history.runs.row(0).trigger == "schedule"
    assert schedule.timer.isActive()  # the next one is planned
    schedule.minutes.setValue(0)
    qtbot.waitUntil(lambda: ready.service.settings().schedule_minutes == 0, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: not schedule.timer.isActive(), timeout=WAIT_MS)
    assert schedule.minutes.text() == "Off"


def test_invoice_list_pages_lazily(qtbot: QtBot, window: MainWindow) -> None:
    connect(qtbot, window)
    use(qtbot, window)
    model = window.sync.invoices.model
    model.page_size = 15
    window.sync.invoices.import_file(str(SAMPLE))  # its page not on screen: the view asks nothing
    idle(qtbot, window)
    idle(qtbot, window)
    assert (model.rowCount(), model.total) == (15, 40)
    assert model.canFetchMore()
    model.fetchMore()
    assert not model.canFetchMore()  # one page at a time
    idle(qtbot, window)
    assert model.rowCount() == 30
    window.show_section(window.sync)
    window.sync.invoices.table.scrollToBottom()  # the view asks for the rest by itself
    qtbot.waitUntil(lambda: model.rowCount() == 40, timeout=WAIT_MS)
    assert not model.canFetchMore()
    assert window.sync.invoices.count_label.text() == "40 invoices"


def test_disabled_integration_error_is_shown_in_the_panel(qtbot: QtBot, ready: MainWindow) -> None:
    ready.service.set_enabled(False)  # e.g. turned off from the command line meanwhile
    ready.sync.run_button.click()
    idle(qtbot, ready)
    assert "turned off" in ready.sync.result_line.text()
    assert ready.sync.result_line.kind == "error"


def test_refresh_payments_before_any_sync_says_nothing_was_sent(
    qtbot: QtBot, ready: MainWindow, sandbox: Sandbox
) -> None:
    before = sandbox.calls("api.GET.Invoices")
    panel = ready.sync.invoices
    panel.payments_button.click()
    idle(qtbot, ready)
    idle(qtbot, ready)
    assert panel.status.text() == (
        "No invoice has been sent to Xero yet, so there are no payments to refresh."
    )
    assert sandbox.calls("api.GET.Invoices") == before  # Xero was not asked
