"""Small shared widgets: the inline status line, a confirmation, elided labels, row tables."""

from __future__ import annotations

from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QColor, QPalette, QResizeEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QLabel,
    QMessageBox,
    QSizePolicy,
    QTableView,
    QWidget,
)

SCREEN_MARGIN = 24  # what a dialog leaves of the screen around it

#: (light palette, dark palette) colours for the semantic hints; everything else follows the theme
_HINTS = {
    "ok": ("#1b6e2a", "#7ed98f"),
    "warning": ("#8a5300", "#ffc266"),
    "error": ("#a4161a", "#ff8a8a"),
}


def style_row_table(table: QTableView, name: str) -> QTableView:
    """The look every list of rows in the window shares: whole-row selection, one line per row
    (elided, no wrapping), no row numbers, the last column taking the spare width."""
    table.setAccessibleName(name)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setTextElideMode(Qt.TextElideMode.ElideRight)
    table.setWordWrap(False)
    table.verticalHeader().hide()
    table.verticalHeader().setDefaultSectionSize(table.fontMetrics().height() + 8)
    table.horizontalHeader().setStretchLastSection(True)
    return table


def fit_size(widget: QWidget, width: int, height: int) -> None:
    """``width`` x ``height``, or less on a screen that cannot hold it (a 1024-pixel one)."""
    anchor = widget.parentWidget() or widget
    screen = anchor.screen() if anchor is not None else None
    if screen is not None:
        room = screen.availableGeometry()
        width = min(width, room.width() - SCREEN_MARGIN)
        height = min(height, room.height() - SCREEN_MARGIN)
    widget.resize(width, height)


def fit_headers(table: QTableView) -> None:
    """No column header is cut: each column is at least as wide as its header's text."""
    header = table.horizontalHeader()
    for column in range(header.count()):
        wanted = header.sectionSizeFromContents(column).width()
        if header.sectionSize(column) < wanted:
            header.resizeSection(column, wanted)
        header.setMinimumSectionSize(min(header.minimumSectionSize(), wanted))


def hint_color(kind: str, palette: QPalette) -> QColor:
    light, dark = _HINTS.get(kind, ("", ""))
    if not light:
        return palette.color(QPalette.ColorRole.WindowText)
    is_dark = palette.color(QPalette.ColorRole.Window).lightness() < 128
    return QColor(dark if is_dark else light)


class StatusLine(QLabel):
    """A wrapped, selectable sentence under a panel: ``show_message(text, kind)``."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWordWrap(True)
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Minimum)
        self.kind = "info"
        self.hide()

    def show_message(self, text: str, kind: str = "info") -> None:
        self.kind = kind
        self._colour()
        self.setText(text)
        self.setVisible(bool(text))

    def _colour(self) -> None:
        wanted = hint_color(self.kind, self._parent_palette())
        palette = self.palette()
        if palette.color(QPalette.ColorRole.WindowText) != wanted:
            palette.setColor(QPalette.ColorRole.WindowText, wanted)
            self.setPalette(palette)

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange:  # a dark palette: the hint colours follow
            self._colour()

    def clear_message(self) -> None:
        self.setText("")
        self.hide()

    def _parent_palette(self) -> QPalette:
        parent = self.parentWidget()
        return parent.palette() if parent is not None else self.palette()


class ElidedLabel(QLabel):
    """A one-line label that elides long text and shows all of it as a tooltip."""

    def __init__(self, text: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._full = ""
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.setMinimumWidth(80)
        self.set_full_text(text)

    def set_full_text(self, text: str) -> None:
        self._full = text
        self.setToolTip(text)
        self._elide()

    def full_text(self) -> str:
        return self._full

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._elide()

    def _elide(self) -> None:
        metrics = self.fontMetrics()
        self.setText(metrics.elidedText(self._full, Qt.TextElideMode.ElideRight, self.width()))


class WrappedLabel(QLabel):
    """A label that wraps (never elides), with the ElidedLabel's ``set_full_text`` API."""

    def __init__(self, text: str = "", parent: QWidget | None = None) -> None:
        super().__init__(text, parent)
        self.setWordWrap(True)
        self.setTextFormat(Qt.TextFormat.PlainText)

    def set_full_text(self, text: str) -> None:
        self.setText(text)

    def full_text(self) -> str:
        return self.text()


def confirm(parent: QWidget, title: str, text: str, action: str) -> bool:
    """Ask before an action that cannot be undone; ``action`` labels the accepting button."""
    box = QMessageBox(
        QMessageBox.Icon.Question, title, text, QMessageBox.StandardButton.NoButton, parent
    )
    accept = box.addButton(action, QMessageBox.ButtonRole.AcceptRole)
    cancel = box.addButton(QMessageBox.StandardButton.Cancel)
    box.setDefaultButton(cancel)
    box.exec()
    return box.clickedButton() is accept
