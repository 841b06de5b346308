"""The organisations of the sign-in: name (elided, full in the tooltip), type, connected on, active.

A practice is listed but cannot be selected: invoices cannot be sent to it.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QTableWidget,
    QTableWidgetItem,
    QWidget,
)

from ..core.connections import Connection
from ..core.service import ConnectionsView

COLUMNS = ("Organisation", "Type", "Connected on", "Active")
ACTIVE = "✔ Active"


class OrganisationsTable(QTableWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(0, len(COLUMNS), parent)
        self.setAccessibleName("Connected organisations")
        self.setHorizontalHeaderLabels(COLUMNS)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.setWordWrap(False)
        self.verticalHeader().hide()
        self.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 10)
        header = self.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for column in (1, 2, 3):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        self._fit()

    def show_view(self, view: ConnectionsView) -> None:
        self.setRowCount(len(view.connections))
        for row, connection in enumerate(view.connections):
            self._fill_row(row, connection, view.active_tenant_id)
        self._fit()

    def _fit(self) -> None:
        """As tall as its rows (two to five; more scroll), so the page keeps room below."""
        rows = min(max(self.rowCount(), 2), 5)
        height = (
            self.horizontalHeader().sizeHint().height()
            + rows * self.verticalHeader().defaultSectionSize()
            + 2 * self.frameWidth()
        )
        self.setFixedHeight(height)

    def _fill_row(self, row: int, connection: Connection, active_id: str) -> None:
        active = connection.tenant_id.lower() == active_id.lower()
        kind = "Organisation" if connection.can_receive_invoices else "Practice"
        values = (connection.tenant_name, kind, connection.created[:10], ACTIVE if active else "")
        for column, text in enumerate(values):
            item = QTableWidgetItem(text)
            item.setData(Qt.ItemDataRole.UserRole, connection.tenant_id)
            item.setToolTip(connection.tenant_name if column == 0 else text)
            if connection.can_receive_invoices:
                item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable)
            else:
                item.setFlags(Qt.ItemFlag.NoItemFlags)
                item.setToolTip(
                    f"{connection.tenant_name} is a Xero practice, not an organisation: "
                    "invoices cannot be sent to it."
                )
            if active:
                font = item.font()
                font.setBold(True)
                item.setFont(font)
            self.setItem(row, column, item)

    def selected(self, view: ConnectionsView | None) -> Connection | None:
        rows = self.selectionModel().selectedRows()
        if not rows or view is None:
            return None
        item = self.item(rows[0].row(), 0)
        tenant_id = item.data(Qt.ItemDataRole.UserRole) if item else None
        return next((c for c in view.connections if c.tenant_id == tenant_id), None)

    def is_cut(self, name: str) -> bool:
        """Whether the name column shows ``name`` elided."""
        return self.fontMetrics().horizontalAdvance(name) + 12 > self.columnWidth(0)

    def select_tenant(self, tenant_id: str) -> None:
        for row in range(self.rowCount()):
            item = self.item(row, 0)
            if item is not None and item.data(Qt.ItemDataRole.UserRole) == tenant_id:
                self.selectRow(row)
