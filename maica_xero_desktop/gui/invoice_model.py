"""The invoice list as a lazily paged table model: 100,000 invoices without a widget per row.

``reload()`` asks the runner for the count and the first page; the view asks for more through
``canFetchMore``/``fetchMore`` as the user scrolls, one page (a runner task) at a time. Pages of an
older generation (a reload happened meanwhile) are dropped.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal, InvalidOperation

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QApplication

from ..core.errors import MaicaXeroError
from ..core.service import Service
from ..core.states import LinkState
from ..core.store import InvoiceRow
from ..core.textsafe import printable
from .tasks import Task, TaskRunner
from .widgets import hint_color

PAGE = 500


def money(value: str | None) -> str:
    """Two decimals for display (the store keeps Maica's and Xero's own precision)."""
    if not value:
        return ""
    try:
        return f"{Decimal(value):,.2f}"
    except InvalidOperation:
        return value


Index = QModelIndex | QPersistentModelIndex

COLUMNS: tuple[tuple[str, Callable[[InvoiceRow], str]], ...] = (
    ("Invoice", lambda r: r.invoice_number),
    ("Date", lambda r: r.invoice_date),
    ("Participant", lambda r: r.participant_name),
    ("Total incl. GST", lambda r: money(shown_total(r))),
    ("Maica status", lambda r: r.status),
    ("Sync state", lambda r: state_label(r.state)),
    ("Xero number", lambda r: r.xero_invoice_number or ""),
    ("Paid", lambda r: money(r.amount_paid)),
    ("Due", lambda r: money(r.amount_due)),
    ("Message", lambda r: r.message),
)
STATE_HINT: dict[str, str] = {
    LinkState.SYNCED: "ok",
    LinkState.BLOCKED: "warning",
    LinkState.CHANGED: "warning",
    LinkState.FAILED: "error",
    LinkState.CONFLICT: "error",
    LinkState.NOT_ELIGIBLE: "muted",
}
STATE_LABELS: dict[str, str] = {
    LinkState.NOT_ELIGIBLE: "not eligible",
    LinkState.CHANGED: "changed after sync",
}
STATE_COLUMN, MESSAGE_COLUMN = 5, 9
NUMERIC = {3, 7, 8}
NO_ORGANISATION = "—"


def shown_total(row: InvoiceRow) -> str:
    """Xero's own total once it has the invoice, else the total it will compute (GST included)."""
    return row.xero_total if row.xero_total is not None else row.total


def state_label(state: str) -> str:
    return STATE_LABELS.get(state, state)


class InvoiceTableModel(QAbstractTableModel):
    #: (rows loaded, total) after each page or reload
    loaded = Signal(int, int)
    #: a page could not be read; carries the MaicaXeroError
    failed = Signal(object)

    def __init__(self, service: Service, runner: TaskRunner, page_size: int = PAGE) -> None:
        super().__init__()
        self.service = service
        self.runner = runner
        self.page_size = page_size
        self.state: str | None = None
        #: the organisation whose sync states are listed ("" when none: no state to show)
        self.tenant_id = ""
        self.total = 0
        self._rows: list[InvoiceRow] = []
        self._generation = 0
        self._fetching = False

    # -- loading -----------------------------------------------------------------------------

    def reload(self, state: str | None = None) -> None:
        self.state = state
        self._generation += 1
        generation = self._generation
        self._fetching = True
        limit = self.page_size

        tenant = self.tenant_id

        def work(task: Task[tuple[int, list[InvoiceRow]]]) -> tuple[int, list[InvoiceRow]]:
            return self.service.invoice_page(tenant, state, limit=limit, offset=0)

        self.runner.submit(
            work,
            on_done=lambda answer: self._first_page(generation, *answer),
            on_error=self._failed,
            name="invoices",
        )

    def _first_page(self, generation: int, total: int, rows: list[InvoiceRow]) -> None:
        if generation != self._generation:
            return
        self._fetching = False
        self.beginResetModel()
        self.total = total
        self._rows = rows
        self.endResetModel()
        self.loaded.emit(len(self._rows), self.total)

    def canFetchMore(self, parent: Index = QModelIndex()) -> bool:  # noqa: B008
        return not parent.isValid() and not self._fetching and len(self._rows) < self.total

    def fetchMore(self, parent: Index = QModelIndex()) -> None:  # noqa: B008
        if not self.canFetchMore(parent):
            return
        self._fetching = True
        generation = self._generation
        state, offset, limit = self.state, len(self._rows), self.page_size
        tenant = self.tenant_id

        def work(task: Task[list[InvoiceRow]]) -> list[InvoiceRow]:
            return self.service.invoice_page(tenant, state, limit=limit, offset=offset)[1]

        self.runner.submit(
            work,
            on_done=lambda rows: self._more(generation, rows),
            on_error=self._failed,
            name="invoices page",
        )

    def _more(self, generation: int, rows: list[InvoiceRow]) -> None:
        if generation != self._generation:
            return
        self._fetching = False
        if not rows:
            self.total = len(self._rows)  # the list shrank meanwhile
        else:
            start = len(self._rows)
            self.beginInsertRows(QModelIndex(), start, start + len(rows) - 1)
            self._rows.extend(rows)
            self.endInsertRows()
        self.loaded.emit(len(self._rows), self.total)

    def _failed(self, error: MaicaXeroError) -> None:
        self._fetching = False
        self.failed.emit(error)

    @property
    def organisation(self) -> bool:
        """Whether the rows carry a sync state (an organisation is named)."""
        return bool(self.tenant_id)

    @property
    def loading(self) -> bool:
        return self._fetching

    # -- the model ---------------------------------------------------------------------------

    def row(self, number: int) -> InvoiceRow:
        return self._rows[number]

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if not index.isValid() or index.row() >= len(self._rows):
            return None
        row = self._rows[index.row()]
        column = index.column()
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            if not self.organisation and column == STATE_COLUMN:
                display = role == Qt.ItemDataRole.DisplayRole
                return NO_ORGANISATION if display else "No organisation chosen"
            return printable(COLUMNS[column][1](row))
        if role == Qt.ItemDataRole.ForegroundRole and self.organisation:
            return self._foreground(row.state, column)
        if role == Qt.ItemDataRole.TextAlignmentRole and column in NUMERIC:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    @staticmethod
    def _foreground(state: str, column: int) -> object:
        hint = STATE_HINT.get(state)
        palette = QApplication.palette()
        if hint == "muted":  # the whole row: nothing to act on
            return palette.color(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Text)
        if hint and (column == STATE_COLUMN or (hint == "error" and column == MESSAGE_COLUMN)):
            return hint_color(hint, palette)
        return None

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> object:
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return COLUMNS[section][0]
        return None
