"""First run without a client id: how to create the Xero app, what to register, where to paste."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ..core.errors import MaicaXeroError
from ..core.service import Service
from .tasks import Task, TaskRunner
from .widgets import StatusLine
from .wording import say

STEPS = (
    "Before the first sign-in this computer needs its own Xero app:\n"
    "1. Open developer.xero.com/app/manage and create a new app of type “Auth Code with PKCE”.\n"
    "2. Register exactly these redirect URIs (Xero matches them character for character):"
)


class ClientIdSetup(QFrame):
    """Emits ``client_id_saved`` once the id is in the settings."""

    client_id_saved = Signal(str)

    def __init__(self, service: Service, runner: TaskRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.service = service
        self.runner = runner
        self.setFrameShape(QFrame.Shape.StyledPanel)
        steps = QLabel(STEPS)
        steps.setWordWrap(True)
        self.uris = QPlainTextEdit()
        self.uris.setReadOnly(True)
        self.uris.setAccessibleName("Redirect URIs to register")
        self.uris.setMaximumHeight(96)
        last = QLabel("3. Copy the app's client id here and save it:")
        self.client_id = QLineEdit()
        self.client_id.setPlaceholderText("32 characters, from the app's Configuration page")
        self.client_id.setAccessibleName("Xero client id")
        last.setBuddy(self.client_id)
        self.save_button = QPushButton("Save client &id")
        self.save_button.setAccessibleName("Save the client id")
        self.status = StatusLine()
        row = QHBoxLayout()
        row.addWidget(self.client_id, 1)
        row.addWidget(self.save_button)
        layout = QVBoxLayout(self)
        layout.addWidget(steps)
        layout.addWidget(self.uris)
        layout.addWidget(last)
        layout.addLayout(row)
        layout.addWidget(self.status)
        self.save_button.clicked.connect(self.save)
        self.client_id.returnPressed.connect(self.save)
        self.hide()

    def load(self) -> None:
        def work(task: Task[list[str]]) -> list[str]:
            return self.service.redirect_uris()

        self.runner.submit(work, on_done=self._show_uris, name="redirect_uris")

    def _show_uris(self, uris: list[str]) -> None:
        self.uris.setPlainText("\n".join(uris))

    def save(self) -> None:
        value = self.client_id.text().strip()
        if not value:
            self.status.show_message("Paste the client id first.", "warning")
            return

        def work(task: Task[str]) -> str:
            return self.service.config_set("client-id", value)

        self.runner.submit(
            work,
            on_done=self._saved,
            on_error=self._failed,
            button=self.save_button,
            name="save client id",
        )

    def _saved(self, shown: str) -> None:
        self.status.show_message("Client id saved. You can connect to Xero now.", "ok")
        self.client_id_saved.emit(shown)

    def _failed(self, error: MaicaXeroError) -> None:
        self.status.show_message(say(error), "error")
