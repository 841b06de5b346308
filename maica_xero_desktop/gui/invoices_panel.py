"""The store's invoices (lazily paged), Import invoices… and Refresh payments."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from ..core.errors import MaicaXeroError, NeedsReconnect
from ..core.importing import ImportRejected, ParsedExport
from ..core.service import Service
from ..core.store import ImportSummary
from .import_errors import ImportErrorsDialog
from .invoice_model import InvoiceTableModel
from .state import StatusHub
from .tasks import Task, TaskRunner
from .widgets import StatusLine, style_row_table

STATES = (
    ("All invoices", None),
    ("Pending", "pending"),
    ("Blocked", "blocked"),
    ("Failed", "failed"),
    ("Synced", "synced"),
    ("Sending", "sending"),
    ("Changed after sync", "changed"),
)
WIDTHS = (110, 90, 170, 80, 100, 80, 100, 70, 70)


def import_summary(parsed: ParsedExport, summary: ImportSummary) -> str:
    parts = [f"{summary.new} new", f"{summary.updated} updated", f"{summary.unchanged} unchanged"]
    if summary.flagged:
        parts.append(f"{summary.flagged} changed after they were sent (flagged, not re-sent)")
    if summary.cancelled_after_sync:
        parts.append(f"{summary.cancelled_after_sync} cancelled after they were sent")
    text = f"Imported {summary.total} invoices ({', '.join(parts)})."
    if parsed.warnings:
        text += " " + " ".join(parsed.warnings)
    return text


class InvoicesPanel(QWidget):
    #: an import finished (the history/sync panels may care)
    invoices_imported = Signal()

    def __init__(
        self, service: Service, runner: TaskRunner, hub: StatusHub, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.service = service
        self.runner = runner
        self.hub = hub
        self.model = InvoiceTableModel(service, runner)
        self.import_button = QPushButton("I&mport invoices…")
        self.import_button.setAccessibleName("Import a Maica invoice export")
        self.payments_button = QPushButton("Refresh &payments")
        self.payments_button.setAccessibleName("Refresh payments from Xero")
        self.payments_button.setToolTip("Bring payments made in Xero back to these invoices")
        self.state_box = QComboBox()
        self.state_box.setAccessibleName("Show invoices in this sync state")
        for label, value in STATES:
            self.state_box.addItem(label, value)
        self.count_label = QLabel("")
        self.count_label.setAccessibleName("Invoice count")
        self.table = style_row_table(QTableView(), "Invoices")
        self.table.setModel(self.model)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        for column, width in enumerate(WIDTHS):
            header.resizeSection(column, width)
        self.status = StatusLine()
        tools = QHBoxLayout()
        tools.addWidget(self.import_button)
        tools.addWidget(self.payments_button)
        tools.addSpacing(12)
        tools.addWidget(self.state_box)
        tools.addWidget(self.count_label, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(tools)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.status)
        self.import_button.clicked.connect(self.choose_file)
        self.payments_button.clicked.connect(self.refresh_payments)
        self.state_box.currentIndexChanged.connect(lambda _: self.reload())
        self.model.loaded.connect(self._counted)
        self.model.failed.connect(lambda error: self.status.show_message(error.sentence, "error"))
        hub.connection_changed.connect(lambda _: self.reload())

    def reload(self) -> None:
        self.model.reload(self.state_box.currentData())

    def _counted(self, loaded: int, total: int) -> None:
        if total == 0:
            self.count_label.setText("No invoices yet: import a Maica invoice export.")
        elif loaded < total:
            self.count_label.setText(f"{total:,} invoices ({loaded:,} loaded; scroll for more)")
        else:
            self.count_label.setText(f"{total:,} invoices")

    # -- import ------------------------------------------------------------------------------

    def choose_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, "Import a Maica invoice export", "", "CSV files (*.csv);;All files (*)"
        )
        if path:
            self.import_file(path)

    def import_file(self, path: str) -> None:
        def work(
            task: Task[tuple[ParsedExport, ImportSummary]],
        ) -> tuple[ParsedExport, ImportSummary]:
            return self.service.sync.import_file(path)

        self.status.show_message(f"Importing {Path(path).name}…", "info")
        self.runner.submit(
            work,
            on_done=lambda answer: self._imported(*answer),
            on_error=lambda error: self._import_failed(error, path),
            button=self.import_button,
            name="import",
        )

    def _imported(self, parsed: ParsedExport, summary: ImportSummary) -> None:
        self.status.show_message(import_summary(parsed, summary), "ok")
        self.reload()
        self.invoices_imported.emit()

    def _import_failed(self, error: MaicaXeroError, path: str) -> None:
        self.status.show_message(error.sentence, "error")
        if isinstance(error, ImportRejected):
            self.errors_dialog = ImportErrorsDialog(error, Path(path).name, self)
            self.errors_dialog.open()

    # -- payments ----------------------------------------------------------------------------

    def refresh_payments(self) -> None:
        def work(task: Task[int]) -> int:
            return self.service.sync.refresh_payments()

        self.runner.submit(
            work,
            on_done=self._payments,
            on_error=self._payments_failed,
            queue=self.hub.sync_queue(),
            button=self.payments_button,
            name="refresh_payments",
        )

    def _payments(self, changed: int) -> None:
        noun = "invoice" if changed == 1 else "invoices"
        self.status.show_message(f"Payments refreshed from Xero: {changed} {noun} changed.", "ok")
        self.reload()

    def _payments_failed(self, error: MaicaXeroError) -> None:
        self.status.show_message(error.sentence, "error")
        if isinstance(error, NeedsReconnect):
            self.hub.refresh()
