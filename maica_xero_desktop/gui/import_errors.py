"""An import that was refused: every row error, with its line number, in one list."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from ..core.importing import ImportRejected, RowError
from .table_model import RowsModel
from .widgets import fit_size
from .wording import say

COLUMNS = (
    ("Line", lambda e: str(e.line) if e.line else "file"),
    ("Column", lambda e: e.column),
    ("Problem", lambda e: e.message),
)


class ImportErrorsDialog(QDialog):
    def __init__(
        self, error: ImportRejected, file_name: str, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.setWindowTitle("Import refused — nothing was imported")
        fit_size(self, 860, 420)
        self.error = error
        heading = QLabel(f"{file_name}\n{say(error)}")
        heading.setWordWrap(True)
        heading.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.model: RowsModel[RowError] = RowsModel(COLUMNS)
        self.model.set_rows(error.errors)
        self.table = QTableView()
        self.table.setAccessibleName("Problems found in the file")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setWordWrap(True)
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        hint = QLabel("Correct these rows in the export (or in Maica), then import the file again.")
        hint.setWordWrap(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        copy = QPushButton("Copy the list")
        buttons.addButton(copy, QDialogButtonBox.ButtonRole.ActionRole)
        copy.clicked.connect(self._copy)
        buttons.rejected.connect(self.reject)
        close = buttons.button(QDialogButtonBox.StandardButton.Close)
        close.setDefault(True)
        layout = QVBoxLayout(self)
        layout.addWidget(heading)
        layout.addWidget(self.table, 1)
        layout.addWidget(hint)
        layout.addWidget(buttons)

    def _copy(self) -> None:
        QGuiApplication.clipboard().setText("\n".join(str(e) for e in self.error.errors))
