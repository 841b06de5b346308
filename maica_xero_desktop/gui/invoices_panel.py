"""The store's invoices (lazily paged), Import invoices… and Refresh payments."""

from __future__ import annotations

import itertools
from pathlib import Path

from PySide6.QtCore import QModelIndex, Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from ..core.errors import MaicaXeroError, NeedsReconnect
from ..core.importing import ImportRejected, ParsedExport
from ..core.service import Service
from ..core.states import LinkState
from ..core.store import ImportSummary
from ..core.textsafe import printable
from .import_errors import ImportErrorsDialog
from .invoice_detail import InvoiceDetailPane, culprit, parse_detail
from .invoice_model import InvoiceTableModel
from .mapping_editor import MappingEditor
from .mapping_source import ServiceMappingSource
from .panel import Panel
from .state import StatusHub
from .tasks import Task, TaskRunner
from .widgets import StatusLine, fit_headers, style_row_table
from .wording import say

STATES = (
    ("All invoices", None),
    ("Pending", LinkState.PENDING),
    ("Blocked", LinkState.BLOCKED),
    ("Failed", LinkState.FAILED),
    ("Synced", LinkState.SYNCED),
    ("Sending", LinkState.SENDING),
    ("Changed after sync", LinkState.CHANGED),
    ("Conflict", LinkState.CONFLICT),
    ("Not eligible", LinkState.NOT_ELIGIBLE),
)
WIDTHS = (100, 85, 150, 75, 90, 85, 95, 65, 65)


def no_organisation(total: int) -> str:
    noun = "invoice" if total == 1 else "invoices"
    return (
        f"No organisation chosen — {total:,} {noun} imported. Their sync states show once an "
        "organisation is chosen under Active Connections."
    )


def last_organisation(name: str, total: int) -> str:
    noun = "invoice" if total == 1 else "invoices"
    return (
        f"Last synced with {name} — not connected now. {total:,} {noun} imported, each with its "
        "state there."
    )


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


#: Refresh payments when no invoice of the organisation is in Xero yet
NOTHING_SENT = "No invoice has been sent to Xero yet, so there are no payments to refresh."


class InvoicesPanel(Panel, QWidget):
    #: an import finished (the history/sync panels may care)
    invoices_imported = Signal()

    def __init__(
        self, service: Service, runner: TaskRunner, hub: StatusHub, parent: QWidget | None = None
    ) -> None:
        super().__init__(service, runner, hub, parent)
        self.model = InvoiceTableModel(service, runner)
        self.import_button = QPushButton("I&mport invoices…")
        self.import_button.setAccessibleName("Import a Maica invoice export")
        self.payments_button = QPushButton("Refresh pa&yments")
        self.payments_button.setAccessibleName("Refresh payments from Xero")
        self.payments_button.setToolTip("Bring payments made in Xero back to these invoices")
        self.state_box = QComboBox()
        self.state_box.setAccessibleName("Show invoices in this sync state")
        for label, value in STATES:
            self.state_box.addItem(label, value)
        self.count_label = QLabel("")
        self.count_label.setAccessibleName("Invoice count")
        self.count_label.setWordWrap(True)
        self.items_button = QPushButton("Support item mapping…")
        self.items_button.setAccessibleName("Support item mapping")
        self.items_button.setToolTip(
            "How each support item appears in Xero: description, account and tax type (Ctrl+M)"
        )
        self.detail = InvoiceDetailPane()
        self.editor: MappingEditor | None = None
        self._detail_asked = 0
        self.listed_name = ""  # the organisation whose states are listed
        self.listed_active = False
        self._selected_id: int | None = None
        self.table = style_row_table(QTableView(), "Invoices")
        self.table.setModel(self.model)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        for column, width in enumerate(WIDTHS):
            header.resizeSection(column, width)
        fit_headers(self.table)
        self.status = StatusLine()
        tools = QHBoxLayout()
        tools.addWidget(self.import_button)
        tools.addWidget(self.payments_button)
        tools.addSpacing(12)
        tools.addWidget(self.state_box)
        tools.addStretch(1)
        tools.addWidget(self.items_button)
        layout = QVBoxLayout(self)
        layout.addLayout(tools)
        layout.addWidget(self.count_label)  # its own line: a long organisation name wraps there
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(self.table)
        split.addWidget(self.detail)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 1)
        split.setChildrenCollapsible(False)
        layout.addWidget(split, 1)
        layout.addWidget(self.status)
        order = (
            self.import_button,
            self.payments_button,
            self.state_box,
            self.items_button,
            self.table,
            self.detail.edit_button,
        )
        for first, second in itertools.pairwise(order):
            QWidget.setTabOrder(first, second)
        self.import_button.clicked.connect(self.choose_file)
        self.payments_button.clicked.connect(self.refresh_payments)
        self.state_box.currentIndexChanged.connect(lambda _: self.reload())
        self.model.loaded.connect(self._counted)
        self.model.modelReset.connect(self._reselect)
        self.model.failed.connect(lambda error: self.status.show_message(say(error), "error"))
        self.table.selectionModel().currentRowChanged.connect(self._row_changed)
        self.table.activated.connect(lambda _: self.detail.edit_button.click())
        self.items_button.clicked.connect(lambda: self.edit_mapping(""))
        self.detail.edit_requested.connect(self.edit_mapping)
        hub.connection_changed.connect(self._organisation_changed)

    def _organisation_changed(self, tenant_id: str) -> None:
        self.status.clear_message()  # an earlier action's result belongs to the other one
        self.reload()

    def listed_organisation(self) -> tuple[str, str, bool]:
        """(tenant id, name, active): the active organisation, else — after sign-out or with
        none chosen — the last one a run went to ("" when there was none)."""
        status = self.hub.status
        if self.hub.tenant_id:
            return self.hub.tenant_id, status.active_tenant_name if status else "", True
        last = status.last_run if status is not None else None
        if last and last.get("tenant_id"):
            return str(last["tenant_id"]), str(last.get("tenant_name") or ""), False
        return "", "", False

    def reload(self) -> None:
        tenant, self.listed_name, active = self.listed_organisation()
        self.state_box.setEnabled(bool(tenant))
        if not self.runner.is_busy(self.hub.sync_queue()):
            self.payments_button.setEnabled(active)  # payments of which organisation?
        self.model.tenant_id = tenant
        self.listed_active = active
        self.model.reload(self.state_box.currentData() if tenant else None)

    def _counted(self, loaded: int, total: int) -> None:
        if total and not self.model.organisation:
            self.count_label.setText(no_organisation(total))
        elif total and not self.listed_active and not self.model.state:
            self.count_label.setText(last_organisation(printable(self.listed_name), total))
        elif total == 0 and self.model.state:
            self.count_label.setText("No invoice is in this state.")
        elif total == 0:
            self.count_label.setText("No invoices yet: import a Maica invoice export.")
        elif loaded < total:
            self.count_label.setText(f"{total:,} invoices ({loaded:,} loaded; scroll for more)")
        else:
            self.count_label.setText(f"{total:,} invoice{'s' if total != 1 else ''}")

    # -- the selected invoice ----------------------------------------------------------------

    def _row_changed(self, current: QModelIndex, previous: QModelIndex) -> None:
        self._detail_asked += 1
        asked = self._detail_asked
        if not current.isValid() or current.row() >= self.model.rowCount():
            self._selected_id = None
            self.detail.show_row(None)
            return
        row = self.model.row(current.row())
        self._selected_id = row.id
        self.detail.show_row(row, self.model.organisation)
        if not self.model.organisation:
            return
        tenant = self.model.tenant_id

        def work(
            task: Task[tuple[list[tuple[str, str, str]], str]],
        ) -> tuple[list[tuple[str, str, str]], str]:
            return self.service.invoice_detail(row.id, tenant)

        def show(answer: tuple[list[tuple[str, str, str]], str]) -> None:
            if asked == self._detail_asked:  # an answer about an earlier selection is dropped
                self.detail.show_detail(*answer)

        self.runner.submit(work, on_done=show, on_error=self._detail_failed, name="invoice_detail")

    def _detail_failed(self, error: MaicaXeroError) -> None:
        self.status.show_message(say(error), "error")

    def _reselect(self) -> None:
        """After a reload, the same invoice stays selected (when it is still listed)."""
        wanted = self._selected_id
        for number in range(self.model.rowCount()):
            if self.model.row(number).id == wanted:
                self.table.selectRow(number)
                return
        self._selected_id = None
        self.detail.show_row(None)

    def select_invoice(self, invoice_number: str) -> bool:
        """Select an invoice of the loaded rows by its number (the tour, tests)."""
        for number in range(self.model.rowCount()):
            if self.model.row(number).invoice_number == invoice_number:
                self.table.selectRow(number)
                self.table.scrollTo(self.model.index(number, 0))
                return True
        return False

    # -- the support-item mapping ------------------------------------------------------------

    def edit_mapping(self, item_number: str = "") -> MappingEditor:
        """The mapping editor, on ``item_number`` when given."""
        if self.editor is None:
            self.editor = MappingEditor(
                ServiceMappingSource(self.service), self.runner, self.hub, self
            )
            self.editor.saved.connect(self._mapping_saved)
        self.editor.open_on(item_number)
        return self.editor

    def edit_mapping_for(self, invoice_id: int, reason: str) -> None:
        """The mapping editor on the support item a blocked invoice's reason is about."""

        def work(
            task: Task[tuple[list[tuple[str, str, str]], str]],
        ) -> tuple[list[tuple[str, str, str]], str]:
            return self.service.invoice_detail(invoice_id)

        def show(answer: tuple[list[tuple[str, str, str]], str]) -> None:
            lines, detail = answer
            found = culprit(reason, lines, parse_detail(detail))
            self.edit_mapping(found.item_number if found else "")

        self.runner.submit(work, on_done=show, on_error=self._detail_failed, name="invoice_detail")

    def _mapping_saved(self, item: object) -> None:
        self.status.show_message(
            "Support item mapping saved: Preview to check the invoices it blocked.", "ok"
        )

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
        self.status.show_message(say(error), "error")
        if isinstance(error, ImportRejected):
            self.errors_dialog = ImportErrorsDialog(error, Path(path).name, self)
            self.errors_dialog.open()

    # -- payments ----------------------------------------------------------------------------

    def refresh_payments(self) -> None:
        sync = self.service.sync
        self.submit_sync(
            lambda: (sync.refresh_payments(), sync.has_sent_invoices()),
            self._payments,
            self._payments_failed,
            self.payments_button,
            "refresh_payments",
        )

    def _payments(self, result: tuple[int, bool]) -> None:
        changed, sent = result
        if not sent:  # nothing of this organisation is in Xero: Xero was not asked
            self.status.show_message(NOTHING_SENT, "info")
            return
        noun = "invoice" if changed == 1 else "invoices"
        self.status.show_message(f"Payments refreshed from Xero: {changed} {noun} changed.", "ok")
        self.reload()

    def _payments_failed(self, error: MaicaXeroError) -> None:
        self.status.show_message(say(error), "error")
        if isinstance(error, NeedsReconnect):
            self.hub.refresh()
