"""The mapping editor's form: one support item's Xero description, account and tax type, the
last two chosen from the organisation's own lists (see :mod:`.mapping_source`)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ..core.store import SupportItem
from ..core.textsafe import printable
from .mapping_source import AccountChoice, Entry, TaxChoice, account_entries, tax_entries
from .widgets import StatusLine


class MappingForm(QWidget):
    """Save is enabled only while the form's values differ from the saved item."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.item: SupportItem | None = None
        self.item_number = QLabel("")
        self.item_number.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.item_name = QLabel("")
        self.item_name.setWordWrap(True)
        self.description = QLineEdit()
        self.description.setAccessibleName("Xero description")
        self.account_box = QComboBox()
        self.account_box.setAccessibleName("Account")
        self.tax_box = QComboBox()
        self.tax_box.setAccessibleName("Tax type")
        for box in (self.account_box, self.tax_box):
            box.setSizeAdjustPolicy(
                QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
            )
            box.setMinimumContentsLength(24)
        self.save_button = QPushButton("&Save")
        self.save_button.setAccessibleName("Save this support item's mapping")
        self.status = StatusLine()
        self.status.setAccessibleName("Save result")
        form = QFormLayout()
        form.addRow("Item number:", self.item_number)
        form.addRow("Name:", self.item_name)
        form.addRow("Xero &description:", self.description)
        form.addRow("&Account:", self.account_box)
        form.addRow("&Tax type:", self.tax_box)
        save_row = QHBoxLayout()
        save_row.addStretch(1)
        save_row.addWidget(self.save_button)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addLayout(save_row)
        layout.addWidget(self.status)
        layout.addStretch(1)
        self.setEnabled(False)
        self.description.textChanged.connect(lambda _: self._update_save())
        self.account_box.currentIndexChanged.connect(lambda _: self._update_save())
        self.tax_box.currentIndexChanged.connect(lambda _: self._update_save())

    def show_item(
        self,
        item: SupportItem | None,
        accounts: list[AccountChoice] | None,
        tax_rates: list[TaxChoice] | None,
        defaults: tuple[str, str],
    ) -> None:
        """``item`` with its choices (``None`` lists: not read from Xero, so not choosable)."""
        self.item = item
        self.setEnabled(item is not None)
        if item is None:
            for label in (self.item_number, self.item_name):
                label.setText("")
            self.description.clear()
            self.account_box.clear()
            self.tax_box.clear()
            self.save_button.setEnabled(False)
            return
        self.item_number.setText(printable(item.item_number))
        self.item_name.setText(printable(item.name))
        self.description.blockSignals(True)
        self.description.setText(item.xero_description)
        self.description.setPlaceholderText(printable(item.name))
        self.description.blockSignals(False)
        _fill(self.account_box, account_entries(accounts, item.account_code, defaults[0]))
        _fill(self.tax_box, tax_entries(tax_rates, item.tax_type, defaults[1]))
        _select(self.account_box, item.account_code)
        _select(self.tax_box, item.tax_type)
        self.account_box.setEnabled(accounts is not None)
        self.tax_box.setEnabled(tax_rates is not None)
        self._update_save()

    def edited(self) -> SupportItem | None:
        """The shown item with the form's values."""
        if self.item is None:
            return None
        return SupportItem(
            item_number=self.item.item_number,
            name=self.item.name,
            xero_description=self.description.text().strip(),
            account_code=str(self.account_box.currentData() or ""),
            tax_type=str(self.tax_box.currentData() or ""),
        )

    def _update_save(self) -> None:
        edited = self.edited()
        self.save_button.setEnabled(edited is not None and edited != self.item)

    def choose_account(self, code: str) -> bool:
        return _select(self.account_box, code)

    def choose_tax_type(self, tax_type: str) -> bool:
        return _select(self.tax_box, tax_type)


def _fill(box: QComboBox, entries: list[Entry]) -> None:
    box.blockSignals(True)
    box.clear()
    for text, value in entries:
        box.addItem(text, value)
        box.setItemData(box.count() - 1, text, Qt.ItemDataRole.ToolTipRole)  # when cut
    box.blockSignals(False)


def _select(box: QComboBox, value: str) -> bool:
    index = next(
        (i for i in range(box.count()) if str(box.itemData(i)).upper() == value.upper()), -1
    )
    if index >= 0:
        box.setCurrentIndex(index)
    return index >= 0
