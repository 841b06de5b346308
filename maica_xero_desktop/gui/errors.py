"""The one place errors reach the user.

* :meth:`ErrorPresenter.present`: a domain error's sentence in a message box, its ``detail``
  behind "Show Details…" (never a traceback).
* :meth:`ErrorPresenter.crash`: anything unexpected — a short apology, where the log is, and the
  redacted traceback on demand for support. :func:`install_excepthook` routes uncaught exceptions
  of the GUI thread here.

Boxes are opened window-modal with ``open()`` (no nested event loop), so background results keep
arriving while one is shown.
"""

from __future__ import annotations

import logging
import sys
import traceback
from collections.abc import Callable
from types import TracebackType

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QMessageBox, QWidget

from ..core.errors import MaicaXeroError
from ..core.redact import redact
from .wording import say

log = logging.getLogger(__name__)

CRASH_SENTENCE = (
    "Something unexpected went wrong. Nothing was sent twice: the next sync checks anything left "
    "unfinished. The details are in the log file{where}."
)


class ErrorPresenter(QObject):
    """Shows errors over the main window. ``error_shown`` carries the sentence (tests, logs)."""

    error_shown = Signal(str)
    crash_shown = Signal(str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.window: QWidget | None = None
        self.log_file: str = ""
        self.last_box: QMessageBox | None = None

    def present(self, error: BaseException, title: str = "Maica Xero Desktop") -> None:
        if not isinstance(error, MaicaXeroError):
            self.crash(error)
            return
        sentence = say(error)
        box = self._box(QMessageBox.Icon.Warning, title, sentence)
        if error.detail:
            box.setDetailedText(redact(error.detail))
        box.open()
        self.error_shown.emit(sentence)

    def crash(self, error: BaseException) -> None:
        where = f" ({self.log_file})" if self.log_file else ""
        sentence = CRASH_SENTENCE.format(where=where)
        box = self._box(QMessageBox.Icon.Critical, "Unexpected error", sentence)
        lines = traceback.format_exception(type(error), error, error.__traceback__)
        box.setDetailedText(redact("".join(lines)))
        box.open()
        self.crash_shown.emit(sentence)

    def _box(self, icon: QMessageBox.Icon, title: str, text: str) -> QMessageBox:
        box = QMessageBox(icon, title, text, QMessageBox.StandardButton.Ok, self.window)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        box.setWindowModality(Qt.WindowModality.WindowModal)
        self.last_box = box
        box.destroyed.connect(self._forget)
        return box

    def _forget(self) -> None:
        self.last_box = None


ExceptHook = Callable[[type[BaseException], BaseException, TracebackType | None], None]


def install_excepthook(presenter: ErrorPresenter) -> ExceptHook:
    """Route uncaught exceptions (Qt slots included) to the crash dialog; returns the old hook."""
    previous = sys.excepthook

    def hook(kind: type[BaseException], error: BaseException, tb: TracebackType | None) -> None:
        if issubclass(kind, KeyboardInterrupt):
            previous(kind, error, tb)
            return
        log.error("Uncaught exception", exc_info=(kind, error, tb))
        try:
            presenter.crash(error)
        except Exception:  # the crash dialog itself failed: fall back to stderr
            previous(kind, error, tb)

    sys.excepthook = hook
    return previous
