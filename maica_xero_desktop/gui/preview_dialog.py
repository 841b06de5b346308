"""Preview (a dry run): what would be sent, and what is blocked and why."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from ..core.sync import SyncResult
from .invoice_model import money
from .table_model import RowsModel
from .widgets import fit_size, style_row_table


def _details(entry: dict[str, Any]) -> str:
    if entry.get("action") != "send":
        return str(entry.get("reason") or "")
    payload = entry.get("payload") or {}
    lines = payload.get("LineItems") or []
    parts = [f"{len(lines)} line{'s' if len(lines) != 1 else ''}"]
    if payload.get("Status"):
        parts.append(f"as {payload['Status']}")
    if payload.get("Reference"):
        parts.append(f"reference “{payload['Reference']}”")
    return ", ".join(parts)


def _total(entry: dict[str, Any], part: str) -> str:
    """A predicted total (``entry["totals"]``: what Xero will compute for the payload)."""
    totals = entry.get("totals")
    return money(str(totals.get(part, ""))) if isinstance(totals, dict) else ""


COLUMNS = (
    ("Invoice", lambda e: str(e.get("invoice_number", ""))),
    ("Would be", lambda e: "sent" if e.get("action") == "send" else "blocked"),
    ("Subtotal", lambda e: _total(e, "subtotal")),
    ("GST", lambda e: _total(e, "tax")),
    ("Total incl. GST", lambda e: _total(e, "total")),
    ("Details", _details),
)


#: opens the mapping editor on a blocked invoice's support item: (invoice id, the reason)
EditMapping = Callable[[int, str], None]


class PreviewDialog(QDialog):
    def __init__(
        self,
        result: SyncResult,
        parent: QWidget | None = None,
        edit_mapping: EditMapping | None = None,
    ) -> None:
        super().__init__(parent)
        self._edit_mapping = edit_mapping
        self._invoice_ids = {o.invoice_number: o.invoice_id for o in result.outcomes}
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.setWindowTitle("Preview — nothing was sent")
        fit_size(self, 820, 460)
        sends = sum(1 for e in result.preview if e.get("action") == "send")
        blocked = len(result.preview) - sends
        text = (
            f"A run with the “{result.flow}” flow to {result.tenant_name} would send {sends} "
            f"invoice{'s' if sends != 1 else ''}; {blocked} {'is' if blocked == 1 else 'are'} "
            "blocked and would not be sent."
        )
        if result.message:
            text += f" {result.message}"
        self.summary = QLabel(text)
        self.summary.setWordWrap(True)
        self.model: RowsModel[dict[str, Any]] = RowsModel(COLUMNS, numeric=(2, 3, 4))
        blocked_first = sorted(result.preview, key=lambda e: e.get("action") == "send")
        self.model.set_rows(blocked_first)
        # one line per invoice; the selected one's details read in full under the list
        self.table = style_row_table(QTableView(), "Invoices the run would send or block")
        self.table.setModel(self.model)
        header = self.table.horizontalHeader()
        for column in range(len(COLUMNS) - 1):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        buttons.button(QDialogButtonBox.StandardButton.Close).setDefault(True)
        self.edit_button = QPushButton("&Edit support item mapping…")
        self.edit_button.setAccessibleName("Edit the mapping of the selected blocked invoice")
        self.edit_button.setToolTip("Opens the mapping of the support item the reason is about")
        self.edit_button.setEnabled(False)
        self.edit_button.setVisible(edit_mapping is not None and blocked > 0)
        buttons.addButton(self.edit_button, QDialogButtonBox.ButtonRole.ActionRole)
        self.full = QLabel("")  # the selected line's reason in full, never only a tooltip
        self.full.setWordWrap(True)
        self.full.setAccessibleName("The selected invoice in full")
        self.full.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.full)
        layout.addWidget(buttons)
        self.table.selectionModel().currentRowChanged.connect(self._selected)
        self.edit_button.clicked.connect(self._edit)
        if blocked:
            self.table.selectRow(0)  # blocked ones come first

    def _entry(self) -> dict[str, Any] | None:
        index = self.table.currentIndex()
        return self.model.row(index.row()) if index.isValid() else None

    def _selected(self, current: QModelIndex, previous: QModelIndex) -> None:
        entry = self._entry()
        number = str(entry.get("invoice_number", "")) if entry else ""
        blocked = entry is not None and entry.get("action") != "send"
        self.edit_button.setEnabled(blocked and number in self._invoice_ids)
        if entry is None:
            self.full.setText("")
        elif blocked:
            self.full.setText(f"{number}: {_details(entry)}")
        else:
            total = _total(entry, "total")
            self.full.setText(
                f"{number}: would be sent ({_details(entry)}); total {total} incl. GST."
            )

    def _edit(self) -> None:
        entry = self._entry()
        number = str(entry.get("invoice_number", "")) if entry else ""
        if entry is None or self._edit_mapping is None or number not in self._invoice_ids:
            return
        self.accept()  # the editor takes over; Preview again shows the effect
        self._edit_mapping(self._invoice_ids[number], str(entry.get("reason") or ""))
