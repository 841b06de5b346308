"""The in-app log: a logging handler that keeps recent records and announces new ones as a Qt
signal, and a dialog that shows them. Records pass the core's RedactingFilter first, so no
secret reaches this view either."""

from __future__ import annotations

import contextlib
import logging
from collections import deque

from PySide6.QtCore import QObject, Qt, Signal, Slot
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from ..core.logsetup import FORMAT
from ..core.redact import RedactingFilter
from .widgets import fit_size

KEEP = 2000


class _Emitter(QObject):
    record_logged = Signal(str)


class QtLogHandler(logging.Handler):
    """Keeps the last ``KEEP`` formatted records; ``emitter.record_logged`` fires for each (from
    whichever thread logged: connect it to a slot of a GUI-thread object)."""

    def __init__(self, level: int = logging.INFO) -> None:
        super().__init__(level)
        self.setFormatter(logging.Formatter(FORMAT))
        self.addFilter(RedactingFilter())
        self.records: deque[str] = deque(maxlen=KEEP)
        self.emitter = _Emitter()

    def emit(self, record: logging.LogRecord) -> None:
        try:
            line = self.format(record)
        except Exception:
            self.handleError(record)
            return
        self.records.append(line)
        with contextlib.suppress(RuntimeError):  # the emitter is gone (shutting down)
            self.emitter.record_logged.emit(line)

    def recent(self) -> list[str]:
        self.acquire()
        try:
            return list(self.records)
        finally:
            self.release()


def install_log_handler() -> QtLogHandler:
    """Attach one handler to the root logger (replacing an earlier one)."""
    root = logging.getLogger()
    for old in [h for h in root.handlers if isinstance(h, QtLogHandler)]:
        root.removeHandler(old)
    handler = QtLogHandler()
    root.addHandler(handler)
    return handler


class LogDialog(QDialog):
    def __init__(
        self, handler: QtLogHandler, log_file: str = "", parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Log — Maica Xero Desktop")
        fit_size(self, 900, 480)
        self.text = QPlainTextEdit()
        self.text.setReadOnly(True)
        self.text.setAccessibleName("Recent log records")
        self.text.setMaximumBlockCount(KEEP)
        self.text.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.text.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        where = QLabel(f"The full log is kept in {log_file}" if log_file else "")
        where.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        where.setWordWrap(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        buttons.button(QDialogButtonBox.StandardButton.Close).setDefault(True)
        layout = QVBoxLayout(self)
        layout.addWidget(self.text, 1)
        layout.addWidget(where)
        layout.addWidget(buttons)
        self.text.setPlainText("\n".join(handler.recent()))
        self.text.moveCursor(self.text.textCursor().MoveOperation.End)
        handler.emitter.record_logged.connect(self.append)

    @Slot(str)
    def append(self, line: str) -> None:
        self.text.appendPlainText(line)
