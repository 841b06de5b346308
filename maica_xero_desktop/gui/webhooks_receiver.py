"""The Webhooks section's receiver: where it listens, Start / Stop (through the task runner —
starting binds the socket, reads the key from the keyring and begins the catch-up pull), and
what it has seen: Intent to Receive, the last event, counts by status."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QWidget,
)

from ..core.errors import MaicaXeroError
from ..core.service import Service
from ..core.webhooks import DEFAULT_HOST, DEFAULT_PORT
from .tasks import Task, TaskRunner
from .webhooks_events import WebhooksView, events_sentence, intent_sentence, receiver_sentence
from .webhooks_setup import gui_sentence
from .widgets import StatusLine

SAVE_KEY_FIRST = (
    "Save the webhook key first: the receiver checks every delivery's signature with it."
)


class ReceiverControl(QWidget):
    """``started(url)`` / ``stopped()`` when this window's receiver starts or stops."""

    started = Signal(str)
    stopped = Signal()

    def __init__(self, service: Service, runner: TaskRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.service = service
        self.runner = runner
        self.url = ""  # this window's receiver, "" when it does not run one
        #: the listener's callback (gui/tray.py relays it to the GUI thread as a signal)
        self.on_event: Callable[[str], None] | None = None
        self.key_saved = False
        self.host = QLineEdit(DEFAULT_HOST)
        self.host.setAccessibleName("Receiver host")
        self.host.setToolTip("127.0.0.1 when the proxy runs on this computer; 0.0.0.0 for all")
        self.host.setMaximumWidth(160)
        self.port = QSpinBox()
        self.port.setRange(1, 65535)
        self.port.setValue(DEFAULT_PORT)
        self.port.setAccessibleName("Receiver port")
        self.start_button = QPushButton("S&tart receiver")
        self.start_button.setAccessibleName("Start the webhook receiver")
        self.stop_button = QPushButton("St&op receiver")
        self.stop_button.setAccessibleName("Stop the webhook receiver")
        self.stop_button.setEnabled(False)
        self.state = StatusLine()
        self.state.setAccessibleName("Receiver state")
        self.intent = QLabel("")
        self.intent.setWordWrap(True)
        self.intent.setAccessibleName("Last Intent to Receive")
        self.counts = QLabel("")
        self.counts.setWordWrap(True)
        self.counts.setAccessibleName("Webhook events by status")

        host_label = QLabel("Host:")
        host_label.setBuddy(self.host)
        port_label = QLabel("Port:")
        port_label.setBuddy(self.port)
        row = QHBoxLayout()
        row.addWidget(self.host, 1)
        row.addWidget(port_label)
        row.addWidget(self.port)
        row.addWidget(self.start_button)
        row.addWidget(self.stop_button)
        grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.addWidget(host_label, 0, 0)
        grid.addLayout(row, 0, 1)
        grid.addWidget(self.state, 1, 1)
        grid.addWidget(self.intent, 2, 1)
        grid.addWidget(self.counts, 3, 1)
        grid.setColumnStretch(1, 1)
        grid.setRowStretch(4, 1)  # spare height below, not between the rows

        self.start_button.clicked.connect(self.start)
        self.stop_button.clicked.connect(self.stop)

    @property
    def running(self) -> bool:
        return bool(self.url)

    def show_view(self, view: WebhooksView) -> None:
        self.key_saved = view.status.key_saved
        if view.listener_url != self.url and not self.runner.is_busy("receiver"):
            self._set_url(view.listener_url)
        text, kind = receiver_sentence(view)
        if self.state.kind != "error" or self.running:
            self.state.show_message(text, kind)
        self.intent.setText(intent_sentence(view.status))
        self.counts.setText(events_sentence(view.status))

    def _set_url(self, url: str) -> None:
        self.url = url
        self._update_buttons()

    def _update_buttons(self) -> None:
        busy = self.runner.is_busy("receiver")
        self.start_button.setEnabled(not self.running and not busy)
        self.stop_button.setEnabled(self.running and not busy)
        self.host.setEnabled(not self.running)
        self.port.setEnabled(not self.running)

    # -- start / stop ------------------------------------------------------------------------

    def start(self) -> None:
        if not self.key_saved:
            self.state.show_message(SAVE_KEY_FIRST, "error")
            return
        host, port = self.host.text().strip() or DEFAULT_HOST, self.port.value()
        self.state.show_message(f"Starting on {host}:{port}…", "info")

        def work(task: Task[str]) -> str:
            listener = self.service.webhooks.listener(host, port, on_event=self.on_event)
            listener.start()
            return listener.url

        self.runner.submit(
            work,
            on_done=self._started,
            on_error=self._failed,
            queue="receiver",
            button=self.start_button,
            name="start_receiver",
        )
        self._update_buttons()

    def stop(self) -> None:
        def work(task: Task[None]) -> None:
            listener = self.service.webhooks.active_listener
            if listener is not None:
                listener.stop()

        self.runner.submit(
            work,
            on_done=lambda _: self._stopped(),
            on_error=self._failed,
            queue="receiver",
            button=self.stop_button,
            name="stop_receiver",
        )
        self._update_buttons()

    def _started(self, url: str) -> None:
        self._set_url(url)
        self.state.show_message(f"Listening on {url.removeprefix('http://')}.", "ok")
        self.started.emit(url)

    def _stopped(self) -> None:
        self._set_url("")
        self.state.show_message("Receiver stopped.", "info")
        self.stopped.emit()

    def _failed(self, error: MaicaXeroError) -> None:
        self._update_buttons()
        self.state.show_message(gui_sentence(error), "error")

    def shutdown(self) -> None:
        """The window closes: stop this window's receiver now (bounded: it closes its sockets
        and joins its threads). Called after the task runner has shut down, so no start is
        still on its way."""
        listener = self.service.webhooks.active_listener
        if listener is not None:
            listener.stop()
        self.url = ""
