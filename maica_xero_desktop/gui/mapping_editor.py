"""The support-item mapping editor: how each support item appears on a Xero invoice line.

The list (filterable: a provider has hundreds of items) comes from the store; the account code and
tax type are chosen from the active organisation's own chart of accounts and tax rates, read from
Xero through a :class:`~.mapping_source.MappingSource`. Saved items apply at the next preview or
run. Every read and the save run through the task runner.
"""

from __future__ import annotations

import itertools

from PySide6.QtCore import QEvent, QModelIndex, QObject, QSortFilterProxyModel, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from ..core.errors import (
    IntegrationDisabled,
    KeyringUnavailable,
    MaicaXeroError,
    NeedsReconnect,
    NoActiveOrganisation,
    NotConnected,
    UnknownOrganisation,
)
from ..core.states import TokenState
from ..core.store import SupportItem
from ..core.textsafe import printable
from .mapping_form import MappingForm
from .mapping_source import AccountChoice, MappingSource, TaxChoice
from .state import StatusHub
from .table_model import RowsModel
from .tasks import Task, TaskRunner
from .widgets import StatusLine, fit_size, style_row_table
from .wording import say

NOT_CONNECTED = (
    "Connect to Xero first (under Active Connections): the account and tax type are chosen from "
    "the organisation's own chart of accounts and tax rates."
)
NO_ORGANISATION = (
    "Choose the organisation to work with under Active Connections first: the account and tax "
    "type are chosen from its own chart of accounts and tax rates."
)
RECONNECT = (
    "Xero no longer accepts this computer's sign-in: reconnect under Active Connections, then "
    "press Retry."
)
DISABLED = "The Xero integration is off: turn it on under Enable, then press Retry."
NO_ITEMS = "No support items yet: import a Maica invoice export; its lines name the support items."

COLUMNS = (
    ("Item number", lambda i: i.item_number),
    ("Name", lambda i: i.name),
    ("Xero description", lambda i: i.xero_description),
    ("Account", lambda i: i.account_code or "default"),
    ("Tax type", lambda i: i.tax_type or "default"),
)


def unreachable(organisation: str) -> str:
    return (
        f"Xero could not be reached to read {organisation or 'the organisation'}'s chart of "
        "accounts and tax rates. Check the network connection, then press Retry."
    )


def ask_save(parent: QWidget, item: SupportItem) -> bool:
    """Whether to save unsaved changes to ``item`` before leaving it."""
    box = QMessageBox(
        QMessageBox.Icon.Question,
        "Unsaved changes",
        f"Save the changes to support item {printable(item.item_number)}?",
        QMessageBox.StandardButton.Save | QMessageBox.StandardButton.Discard,
        parent,
    )
    box.setDefaultButton(QMessageBox.StandardButton.Save)
    return box.exec() == QMessageBox.StandardButton.Save


def problem(error: MaicaXeroError, organisation: str) -> str:
    """The editor's own sentence for a failed read of the organisation's lists."""
    if isinstance(error, NotConnected):
        return NOT_CONNECTED
    if isinstance(error, NeedsReconnect):
        return RECONNECT
    if isinstance(error, NoActiveOrganisation | UnknownOrganisation):
        return NO_ORGANISATION
    if isinstance(error, IntegrationDisabled):
        return DISABLED
    if isinstance(error, KeyringUnavailable):
        return say(error)
    return unreachable(organisation)


class MappingEditor(QDialog):
    #: a support item's mapping was saved (carries the SupportItem)
    saved = Signal(object)

    def __init__(
        self,
        source: MappingSource,
        runner: TaskRunner,
        hub: StatusHub,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.source = source
        self.runner = runner
        self.hub = hub
        self.accounts: list[AccountChoice] | None = None
        self.tax_rates: list[TaxChoice] | None = None
        self.defaults = ("", "")
        self._wanted = ""  # the item to select once the list is in
        self._asked = 0
        self.setWindowTitle("Support item mapping")
        fit_size(self, 1120, 580)
        self.intro = QLabel(
            "How each support item appears on a Xero invoice line. The account and tax type are "
            "chosen from the organisation's own lists in Xero; a value the Maica export sets on a "
            "line overrides them for that line. A change applies at the next preview or run."
        )
        self.intro.setWordWrap(True)
        self.filter = QLineEdit()
        self.filter.setAccessibleName("Filter support items")
        self.filter.setPlaceholderText("Item number, name or description")
        self.filter.setClearButtonEnabled(True)
        filter_label = QLabel("&Filter:")
        filter_label.setBuddy(self.filter)
        self.count = QLabel("")
        self.count.setAccessibleName("Support item count")
        self.notice = StatusLine()
        self.notice.setAccessibleName("Chart of accounts and tax rates")
        self.retry_button = QPushButton("&Retry")
        self.retry_button.setAccessibleName("Read the accounts and tax rates from Xero again")
        self.retry_button.hide()
        self.empty = StatusLine()  # shown when the store has no support item at all
        self.empty.setAccessibleName("No support items")

        self.model: RowsModel[SupportItem] = RowsModel(COLUMNS)
        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSourceModel(self.model)
        self.proxy.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.proxy.setFilterKeyColumn(-1)
        self.table = style_row_table(QTableView(), "Support items")
        self.table.setModel(self.proxy)
        self.table.setSelectionMode(QTableView.SelectionMode.SingleSelection)
        header = self.table.horizontalHeader()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)  # the name elides

        self.form = MappingForm()
        # the form's parts, named here for the tab order, the tour and tests
        self.description = self.form.description
        self.account_box = self.form.account_box
        self.tax_box = self.form.tax_box
        self.save_button = self.form.save_button
        self.status = self.form.status
        self.form_box = self.form

        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(self.table)
        splitter.addWidget(self.form)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        splitter.setSizes([620, 480])
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        self.close_button = buttons.button(QDialogButtonBox.StandardButton.Close)
        self.close_button.setAutoDefault(False)
        self.save_button.setDefault(True)
        top = QHBoxLayout()
        top.addWidget(filter_label)
        top.addWidget(self.filter, 1)
        top.addWidget(self.count)
        notice_row = QHBoxLayout()
        notice_row.addWidget(self.notice, 1)
        notice_row.addWidget(self.retry_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.intro)
        layout.addLayout(top)
        layout.addLayout(notice_row)
        layout.addWidget(self.empty)
        layout.addWidget(splitter, 1)
        layout.addWidget(buttons)
        order = (
            self.filter,
            self.table,
            self.description,
            self.account_box,
            self.tax_box,
            self.save_button,
            self.retry_button,
            self.close_button,
        )
        for first, second in itertools.pairwise(order):
            QWidget.setTabOrder(first, second)

        self.filter.textChanged.connect(self._filtered)
        self.filter.installEventFilter(self)
        # the selection (not the current index, which moves before it) decides what the form shows
        self.table.selectionModel().selectionChanged.connect(lambda *_: self._show_selected())
        self.save_button.clicked.connect(self.save)
        self.retry_button.clicked.connect(self.load_choices)
        hub.connection_changed.connect(self._organisation_changed)

    # -- opening and loading ------------------------------------------------------------------

    def open_on(self, item_number: str = "") -> None:
        """Show the editor (loading everything afresh), on ``item_number`` when given."""
        self._wanted = item_number
        self.form.show_item(None, None, None, self.defaults)  # edits discarded last time go
        self.filter.clear()
        self.status.clear_message()
        self.load()
        self.open()
        self.filter.setFocus()

    def load(self) -> None:
        def work(
            task: Task[tuple[list[SupportItem], tuple[str, str]]],
        ) -> tuple[list[SupportItem], tuple[str, str]]:
            return self.source.support_items(), self.source.defaults()

        self.runner.submit(
            work,
            on_done=lambda answer: self._show_items(*answer),
            on_error=lambda error: self.status.show_message(say(error), "error"),
            name="support_items",
        )
        self.load_choices()

    def load_choices(self) -> None:
        """The organisation's accounts and tax rates, from Xero."""
        self._asked += 1
        asked = self._asked
        status = self.hub.status
        tenant = self.hub.tenant_id
        self.accounts = self.tax_rates = None
        self.retry_button.hide()
        if status is None or status.token_state == TokenState.NONE:
            self._choices_failed(asked, NOT_CONNECTED, retry=False)
            return
        if status.token_state == TokenState.NEEDS_RECONNECT:
            self._choices_failed(asked, RECONNECT, retry=True)
            return
        if not tenant:
            self._choices_failed(asked, NO_ORGANISATION, retry=False)
            return
        organisation = status.active_tenant_name
        self.notice.show_message(
            f"Reading {organisation}'s chart of accounts and tax rates from Xero…", "info"
        )
        self._refresh_form()

        def work(
            task: Task[tuple[list[AccountChoice], list[TaxChoice]]],
        ) -> tuple[list[AccountChoice], list[TaxChoice]]:
            return self.source.accounts(tenant), self.source.tax_rates(tenant)

        self.runner.submit(
            work,
            on_done=lambda answer: self._show_choices(asked, organisation, *answer),
            on_error=lambda error: self._choices_failed(
                asked, problem(error, organisation), retry=True
            ),
            button=self.retry_button,
            name="accounts_and_tax_rates",
        )

    def _organisation_changed(self, tenant_id: str) -> None:
        if self.isVisible():  # a closed editor reads afresh when it opens
            self.load_choices()

    def _show_items(self, found: list[SupportItem], defaults: tuple[str, str]) -> None:
        self.defaults = defaults
        current = self.selected()
        wanted = self._wanted or (current.item_number if current else "")
        self._wanted = ""
        self.model.set_rows(found)
        self._filtered(self.filter.text())
        if found:
            self.empty.clear_message()
        else:
            self.empty.show_message(NO_ITEMS, "warning")
        self.select_item(wanted)

    def _show_choices(
        self,
        asked: int,
        organisation: str,
        accounts: list[AccountChoice],
        tax_rates: list[TaxChoice],
    ) -> None:
        if asked != self._asked:
            return
        self.accounts, self.tax_rates = accounts, tax_rates
        usable = sum(1 for a in accounts if a.active and a.postable)
        self.notice.show_message(
            f"{organisation}: {usable} revenue accounts and "
            f"{sum(1 for t in tax_rates if t.usable)} tax rates for income, read from Xero.",
            "ok",
        )
        self._refresh_form()

    def _choices_failed(self, asked: int, sentence: str, *, retry: bool) -> None:
        if asked != self._asked:
            return
        self.notice.show_message(sentence, "warning" if not retry else "error")
        self.retry_button.setVisible(retry)
        self._refresh_form()

    # -- the list -----------------------------------------------------------------------------

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """Down in the filter field moves into the list, as in a search box."""
        if (
            watched is self.filter
            and event.type() == QEvent.Type.KeyPress
            and isinstance(event, QKeyEvent)
            and event.key() == Qt.Key.Key_Down
            and self.proxy.rowCount() > 0
        ):
            self.table.setFocus()
            if not self.table.selectionModel().hasSelection():
                self.table.selectRow(0)
            return True
        return super().eventFilter(watched, event)

    def _filtered(self, text: str) -> None:
        self.proxy.setFilterFixedString(text.strip())
        shown, total = self.proxy.rowCount(), self.model.rowCount()
        if total and not shown:
            self.count.setText(f"No item matches “{text.strip()}”")
        elif shown < total:
            self.count.setText(f"{shown} of {total} items")
        else:
            self.count.setText(f"{total} item{'s' if total != 1 else ''}")
        if shown and not self.table.selectionModel().hasSelection():
            self.table.selectRow(0)
        self._show_selected()

    def select_item(self, item_number: str) -> None:
        for row in range(self.proxy.rowCount()):
            source = self.proxy.mapToSource(self.proxy.index(row, 0))
            if self.model.row(source.row()).item_number == item_number:
                self.table.selectRow(row)
                self.table.scrollTo(self.proxy.index(row, 0))
                return
        if self.proxy.rowCount() and not self.table.selectionModel().hasSelection():
            self.table.selectRow(0)

    def selected(self) -> SupportItem | None:
        rows = self.table.selectionModel().selectedRows()
        if not rows:
            return None
        source: QModelIndex = self.proxy.mapToSource(rows[0])
        return self.model.row(source.row()) if source.isValid() else None

    # -- the form -----------------------------------------------------------------------------

    def _show_selected(self) -> None:
        shown, edited, now = self.form.item, self.edited(), self.selected()
        leaving = shown is not None and (now is None or now.item_number != shown.item_number)
        if leaving and edited is not None and edited != shown and ask_save(self, edited):
            self._save(edited)
        elif now is not None:
            self.status.clear_message()  # a save's result belongs to the item it was about
        self._refresh_form()

    def reject(self) -> None:
        """Close (Esc): unsaved changes are saved first if the administrator says so."""
        edited = self.edited()
        if edited is not None and edited != self.form.item and ask_save(self, edited):
            self._save(edited)
        super().reject()

    def _refresh_form(self) -> None:
        self.form.show_item(self.selected(), self.accounts, self.tax_rates, self.defaults)

    def edited(self) -> SupportItem | None:
        return self.form.edited()

    def choose_account(self, code: str) -> bool:
        return self.form.choose_account(code)

    def choose_tax_type(self, tax_type: str) -> bool:
        return self.form.choose_tax_type(tax_type)

    # -- saving -------------------------------------------------------------------------------

    def save(self) -> None:
        edited = self.edited()
        if edited is not None and self.save_button.isEnabled():
            self._save(edited)

    def _save(self, edited: SupportItem) -> None:
        def work(task: Task[SupportItem]) -> SupportItem:
            return self.source.save_item(edited)

        self.status.show_message(f"Saving {edited.item_number}…", "info")
        self.runner.submit(
            work,
            on_done=self._saved,
            on_error=lambda error: self.status.show_message(say(error), "error"),
            button=self.save_button,
            name="save_support_item",
        )

    def _saved(self, item: SupportItem) -> None:
        for number in range(self.model.rowCount()):
            if self.model.row(number).item_number == item.item_number:
                self.model.replace_row(number, item)
        if self.form.item is not None and self.form.item.item_number == item.item_number:
            self._refresh_form()  # the saved values are now the item's own
        account = item.account_code or f"the default account ({self.defaults[0]})"
        tax = item.tax_type or f"the default tax type ({self.defaults[1]})"
        self.status.show_message(
            f"Saved {printable(item.item_number)}: the next preview or run uses {account} and "
            f"{tax} for its lines (unless a line sets its own).",
            "ok",
        )
        self.saved.emit(item)
