"""The browser sign-in while it waits: the address (selectable, with Copy) and a Cancel.

``start()`` runs the sign-in through the runner: ``service.connect`` (Xero) by default, or the
``connect`` function given (the Maica org's ``service.maica.connect``). The service hands the
authorization address to ``on_url`` on the worker thread; it reaches this box as task progress, on
the GUI thread.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from PySide6.QtCore import Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QAbstractButton,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ..core.errors import MaicaXeroError
from ..core.service import ConnectResult, Service
from .tasks import Task, TaskRunner

WAITING = (
    "Finish signing in to Xero in your browser and tick the organisations to connect. If no "
    "browser opened, copy this address into one:"
)

#: a sign-in: (on_url, cancel, timeout) -> its result; runs on a worker thread
Connect = Callable[[Callable[[str], None], threading.Event, float], object]


class SignInBox(QFrame):
    #: the sign-in completed; carries its result (Xero: the ConnectResult)
    connected = Signal(object)
    #: the sign-in failed or was cancelled; carries the MaicaXeroError
    failed = Signal(object)

    def __init__(
        self,
        service: Service,
        runner: TaskRunner,
        parent: QWidget | None = None,
        *,
        connect: Connect | None = None,
        prompt: str = WAITING,
        name: str = "connect",
        copy_text: str = "Copy &address",
        cancel_text: str = "Stop &waiting",
    ) -> None:
        super().__init__(parent)
        self.service = service
        self.runner = runner
        self.task: Task[object] | None = None
        self._connect: Connect = connect or self._connect_xero
        self._name = name
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.prompt = QLabel(prompt)
        self.prompt.setWordWrap(True)
        self.url_field = QLineEdit()
        self.url_field.setReadOnly(True)
        self.url_field.setAccessibleName("Sign-in address")
        self.url_field.setPlaceholderText("Preparing the sign-in…")
        self.copy_button = QPushButton(copy_text)
        self.copy_button.setAccessibleName("Copy the sign-in address")
        self.copy_button.setEnabled(False)
        self.cancel_button = QPushButton(cancel_text)
        self.cancel_button.setAccessibleName("Cancel the sign-in")
        row = QHBoxLayout()
        row.addWidget(self.url_field, 1)
        row.addWidget(self.copy_button)
        row.addWidget(self.cancel_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.prompt)
        layout.addLayout(row)
        self.copy_button.clicked.connect(self._copy)
        self.cancel_button.clicked.connect(self.cancel)
        self.hide()

    @property
    def waiting(self) -> bool:
        return self.task is not None

    def start(self, button: QAbstractButton | None = None, timeout: float = 300.0) -> None:
        if self.task is not None:
            return
        self.url_field.clear()
        self.copy_button.setEnabled(False)
        self.cancel_button.setEnabled(True)
        self.show()

        def work(task: Task[object]) -> object:
            return self._connect(task.progress, task.cancel, timeout)

        self.task = self.runner.submit(
            work,
            on_done=self._done,
            on_error=self._failed,
            on_progress=self._show_url,
            button=button,
            name=self._name,
        )

    def _connect_xero(
        self, on_url: Callable[[str], None], cancel: threading.Event, timeout: float
    ) -> ConnectResult:
        return self.service.connect(on_url, timeout=timeout, cancel=cancel)

    def cancel(self) -> None:
        if self.task is not None:
            self.task.cancel.set()
            self.cancel_button.setEnabled(False)

    def _show_url(self, url: object) -> None:
        self.url_field.setText(str(url))
        self.url_field.setCursorPosition(0)
        self.copy_button.setEnabled(True)

    def _copy(self) -> None:
        clipboard = QGuiApplication.clipboard()
        clipboard.setText(self.url_field.text())

    def _done(self, result: object) -> None:
        self.task = None
        self.hide()
        self.connected.emit(result)

    def _failed(self, error: MaicaXeroError) -> None:
        self.task = None
        self.hide()
        self.failed.emit(error)
