"""The Xero app's client id: the one in use and where it comes from (the environment variable or
this computer's settings), and — on the first run, or after "Change client id…" — how to create
the Xero app, what to register and where to paste its id."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
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
from ..core.service import ClientIdInfo, Service
from ..core.textsafe import printable
from .tasks import Task, TaskRunner
from .widgets import StatusLine
from .wording import say

STEPS = (
    "Before the first sign-in this computer needs its own Xero app:\n"
    "1. Open developer.xero.com/app/manage and create a new app of type “Auth Code with PKCE”.\n"
    "2. Register exactly these redirect URIs (Xero matches them character for character):"
)
NO_CLIENT_ID = "No client id yet: follow the three steps below, then connect."


def in_use_sentence(info: ClientIdInfo) -> str:
    """Which client id this computer signs in with, and where it comes from."""
    if info.source == "environment":
        text = (
            f"Client id in use: {printable(info.value)} — from the environment variable "
            f"{info.variable}, which overrides this computer's settings"
        )
        if info.saved:
            text += f" (saved there: {printable(info.saved)})"
        return text + "."
    if info.source == "settings":
        return f"Client id in use: {printable(info.value)} — saved in this computer's settings."
    return NO_CLIENT_ID


class ClientIdSetup(QFrame):
    """Emits ``client_id_saved`` once the id is in the settings. The steps show while there is
    no client id (or after "Change client id…"); they never depend on the Enable switch."""

    client_id_saved = Signal(str)

    def __init__(self, service: Service, runner: TaskRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.service = service
        self.runner = runner
        self.info: ClientIdInfo | None = None
        self._changing = False  # "Change client id…" opened the steps
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.in_use = QLabel(NO_CLIENT_ID)
        self.in_use.setWordWrap(True)
        self.in_use.setAccessibleName("Client id in use")
        self.in_use.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.change_button = QPushButton("Chan&ge client id…")
        self.change_button.setAccessibleName("Change the client id")
        self.change_button.hide()
        self.steps = QWidget()
        steps = QLabel(STEPS)
        steps.setWordWrap(True)
        self.uris = QPlainTextEdit()
        self.uris.setReadOnly(True)
        self.uris.setAccessibleName("Redirect URIs to register")
        self.uris.setMaximumHeight(72)
        self.uris.setTabChangesFocus(True)
        last = QLabel("3. Copy the app's client &id here and save it:")
        self.client_id = QLineEdit()
        self.client_id.setPlaceholderText(
            "e.g. 32 letters and digits, from the app's Configuration page"
        )
        self.client_id.setAccessibleName("Xero client id")
        last.setBuddy(self.client_id)
        self.save_button = QPushButton("&Save client id")
        self.save_button.setAccessibleName("Save the client id")
        self.status = StatusLine()
        self.status.setAccessibleName("Client id message")
        top = QHBoxLayout()
        top.addWidget(self.in_use, 1)
        top.addWidget(self.change_button)
        row = QHBoxLayout()
        row.addWidget(self.client_id, 1)
        row.addWidget(self.save_button)
        steps_layout = QVBoxLayout(self.steps)
        steps_layout.setContentsMargins(0, 0, 0, 0)
        steps_layout.addWidget(steps)
        steps_layout.addWidget(self.uris)
        steps_layout.addWidget(last)
        steps_layout.addLayout(row)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.steps)
        layout.addWidget(self.status)
        self.save_button.clicked.connect(self.save)
        self.client_id.returnPressed.connect(self.save)
        self.change_button.clicked.connect(self._change)

    def load(self) -> None:
        def work(task: Task[tuple[list[str], ClientIdInfo]]) -> tuple[list[str], ClientIdInfo]:
            return self.service.redirect_uris(), self.service.client_id_info()

        self.runner.submit(work, on_done=lambda found: self._show(*found), name="redirect_uris")

    def _show(self, uris: list[str], info: ClientIdInfo) -> None:
        self.info = info
        self.uris.setPlainText("\n".join(uris))
        self.in_use.setText(in_use_sentence(info))
        has_id = bool(info.value)
        self.change_button.setVisible(has_id)
        self.steps.setVisible(not has_id or self._changing)

    def _change(self) -> None:
        self._changing = not self._changing
        self.steps.setVisible(self._changing or self.info is None or not self.info.value)
        if self._changing:
            self.client_id.setFocus()

    def save(self) -> None:
        """The core checks the value (an empty one is refused with its sentence)."""
        value = self.client_id.text()

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
        self.client_id.clear()
        self._changing = False
        overridden = self.info is not None and self.info.source == "environment"
        self.status.show_message(
            "Client id saved, but the environment variable still overrides it: unset "
            f"{self.info.variable if self.info else 'it'} to use it."
            if overridden
            else "Client id saved. You can connect to Xero now.",
            "warning" if overridden else "ok",
        )
        self.load()
        self.client_id_saved.emit(shown)

    def _failed(self, error: MaicaXeroError) -> None:
        self.status.show_message(say(error), "error")
