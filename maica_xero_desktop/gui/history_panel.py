"""The history of runs and, for the selected run, each invoice's outcome; Retry failed."""

from __future__ import annotations

import time

from PySide6.QtCore import QItemSelection, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from ..core.errors import MaicaXeroError
from ..core.service import Service
from ..core.states import RunOutcome, RunState
from ..core.store import Outcome, RunRecord
from ..core.textsafe import printable
from .panel import Panel
from .state import StatusHub
from .table_model import RowsModel
from .tasks import Task, TaskRunner
from .widgets import StatusLine, fit_headers, style_row_table
from .wording import say

HISTORY_LIMIT = 50


def maica_counts(run: RunRecord) -> str:
    """A run's Maica side in a few words: "39 read, 30 written back, 3 calls"."""
    calls = "1 call" if run.maica_calls == 1 else f"{run.maica_calls} calls"
    return f"{run.pulled} read, {run.written_back} written back, {calls}"


RUN_COLUMNS = (
    ("Started", lambda r: time.strftime("%Y-%m-%d %H:%M", time.localtime(r.started_at))),
    ("Organisation", lambda r: r.tenant_name),
    ("Kind", lambda r: "preview" if r.dry_run else r.trigger),
    ("State", lambda r: r.state),
    ("Selected", lambda r: str(r.selected)),
    ("Created", lambda r: str(r.created)),
    ("Linked", lambda r: str(r.linked)),
    ("Blocked", lambda r: str(r.blocked)),
    ("Failed", lambda r: str(r.failed)),
    # the Maica org's side of a run, in one column: invoices read, records written back, calls
    ("Maica org", lambda r: maica_counts(r) if r.maica_calls else ""),
    ("Time", lambda r: f"{r.duration_s:.2f} s"),
)
#: the Maica column: shown once a listed run read from the Maica org
MAICA_COLUMNS = (9,)
RESULT_COLUMNS = (
    ("Invoice", lambda o: o.invoice_number),
    ("Outcome", lambda o: o.outcome),
    ("Xero number", lambda o: o.xero_invoice_number or ""),
    ("Message", lambda o: o.message),
)
NO_RUNS = (
    "No runs yet: press Preview to see what would be sent, then Run Now. Each run and its "
    "outcome per invoice is listed here."
)
FILTERS = (
    ("All outcomes", None),
    ("Failed", RunOutcome.FAILED),
    ("Blocked", RunOutcome.BLOCKED),
)


def _table(name: str) -> QTableView:
    table = style_row_table(QTableView(), name)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    return table


class HistoryPanel(Panel, QWidget):
    #: failed invoices were put back in the queue; the sync panel runs them
    retry_requested = Signal()

    def __init__(
        self, service: Service, runner: TaskRunner, hub: StatusHub, parent: QWidget | None = None
    ) -> None:
        super().__init__(service, runner, hub, parent)
        self._results_asked = 0
        self.runs: RowsModel[RunRecord] = RowsModel(RUN_COLUMNS)
        self.results: RowsModel[Outcome] = RowsModel(RESULT_COLUMNS)
        self.runs_table = _table("Past runs")
        self.runs_table.setModel(self.runs)
        runs_header = self.runs_table.horizontalHeader()
        runs_header.setStretchLastSection(False)
        runs_header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        # a long organisation name takes the spare width, then elides (full in the strip)
        runs_header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.results_table = _table("Outcomes of the selected run")
        self.results_table.setModel(self.results)
        fit_headers(self.results_table)
        self.filter = QComboBox()
        self.filter.setAccessibleName("Show outcomes")
        for label, value in FILTERS:
            self.filter.addItem(label, value)
        filter_label = QLabel("Sho&w:")
        filter_label.setBuddy(self.filter)
        self.retry_button = QPushButton("Retry f&ailed")
        self.retry_button.setAccessibleName("Retry the failed invoices")
        self.retry_button.setToolTip("Put every failed invoice back in the queue and run now")
        self.outcome_message = StatusLine()
        self.outcome_message.setAccessibleName("Message of the selected outcome")
        # the selected run's own message: why it stopped (a write-back Maica refused, the daily
        # limit), what it left out
        self.run_message = StatusLine()
        self.run_message.setAccessibleName("Message of the selected run")
        self.status = StatusLine()
        tools = QHBoxLayout()
        tools.addWidget(filter_label)
        tools.addWidget(self.filter)
        tools.addStretch(1)
        tools.addWidget(self.retry_button)
        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        right_layout.addLayout(tools)
        right_layout.addWidget(self.results_table, 1)
        right_layout.addWidget(self.outcome_message)  # the selected message in full
        # the runs above their outcomes: every column of both reads at full width
        top = QWidget()
        top_layout = QVBoxLayout(top)
        top_layout.setContentsMargins(0, 0, 0, 0)
        top_layout.addWidget(self.runs_table, 1)
        top_layout.addWidget(self.run_message)
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(top)
        splitter.addWidget(right)
        splitter.setStretchFactor(0, 2)
        splitter.setStretchFactor(1, 3)
        splitter.setChildrenCollapsible(False)
        layout = QVBoxLayout(self)
        layout.addWidget(splitter, 1)
        layout.addWidget(self.status)
        self.runs_table.selectionModel().selectionChanged.connect(self._run_selected)
        self.results_table.selectionModel().currentRowChanged.connect(
            lambda current, _: self._show_outcome(current.row() if current.isValid() else -1)
        )
        self.results.modelReset.connect(lambda: self._show_outcome(-1))
        self.filter.currentIndexChanged.connect(lambda _: self.load_results())
        self.retry_button.clicked.connect(self.retry_failed)
        hub.connection_changed.connect(lambda _: self.reload())

    def reload(self, select_latest: bool = False) -> None:
        """The latest runs; ``select_latest`` selects the newest (after a run), otherwise the
        selection stays on the run it was on."""

        def work(task: Task[list[RunRecord]]) -> list[RunRecord]:
            return self.service.sync.history(limit=HISTORY_LIMIT)

        self.runner.submit(
            work,
            on_done=lambda runs: self._show_runs(runs, select_latest),
            on_error=self._failed,
            name="history",
        )

    def _show_runs(self, runs: list[RunRecord], select_latest: bool = False) -> None:
        selected = None if select_latest else self.selected_run()
        self.runs.set_rows(runs)
        from_maica = any(run.maica_calls for run in runs)
        for column in MAICA_COLUMNS:
            self.runs_table.setColumnHidden(column, not from_maica)
        row = 0
        if selected is not None:
            row = next((i for i, r in enumerate(runs) if r.id == selected.id), 0)
        if runs:
            if self.status.text() == NO_RUNS:
                self.status.clear_message()
            self.runs_table.selectRow(row)
        else:
            self.results.set_rows([])
            self.status.show_message(NO_RUNS, "info")
        self._show_run_message(self.selected_run())

    def selected_run(self) -> RunRecord | None:
        rows = self.runs_table.selectionModel().selectedRows()
        return self.runs.row(rows[0].row()) if rows else None

    def _run_selected(self, selected: QItemSelection, deselected: QItemSelection) -> None:
        self._show_run_message(self.selected_run())
        self.load_results()

    def _show_run_message(self, run: RunRecord | None) -> None:
        if run is None or not run.message:
            self.run_message.clear_message()
            return
        if run.state == RunState.FAILED:
            text, kind = f"This run failed: {run.message}", "error"
        elif run.state == RunState.CANCELLED:
            text, kind = f"This run was cancelled: {run.message}", "warning"
        else:
            text, kind = run.message, "info"
        self.run_message.show_message(printable(text), kind)

    def load_results(self) -> None:
        self._results_asked += 1
        asked = self._results_asked
        run = self.selected_run()
        if run is None:
            self.results.set_rows([])
            return
        outcome = self.filter.currentData()

        def work(task: Task[list[Outcome]]) -> list[Outcome]:
            return self.service.sync.run_results(run.id, outcome)

        def show(outcomes: list[Outcome]) -> None:
            if asked == self._results_asked:  # an answer to an older question is dropped
                self.results.set_rows(outcomes)
                first = next((i for i, o in enumerate(outcomes) if o.message), None)
                if first is not None:  # the first message reads in full under the list
                    self.results_table.selectRow(first)

        self.runner.submit(work, on_done=show, on_error=self._failed, name="run_results")

    def _show_outcome(self, row: int) -> None:
        if 0 <= row < self.results.rowCount():
            outcome = self.results.row(row)
            kind = "error" if outcome.outcome == RunOutcome.FAILED else "info"
            self.outcome_message.show_message(
                printable(
                    f"{outcome.invoice_number}: {outcome.message}" if outcome.message else ""
                ),
                kind,
            )
        else:
            self.outcome_message.clear_message()

    def retry_failed(self) -> None:
        self.submit_sync(
            self.service.sync.retry_failed,
            self._retried,
            self._failed,
            self.retry_button,
            "retry_failed",
        )

    def _retried(self, count: int) -> None:
        if count == 0:
            self.status.show_message("No invoice is marked failed: nothing to retry.", "info")
            return
        self.status.show_message(
            f"{count} failed invoice{'s' if count != 1 else ''} queued again; running now.", "ok"
        )
        self.retry_requested.emit()

    def _failed(self, error: MaicaXeroError) -> None:
        self.status.show_message(say(error), "error")
