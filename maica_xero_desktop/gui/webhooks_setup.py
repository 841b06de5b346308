"""The Webhooks section's configuration: the site (and the Delivery URL derived from it) and the
webhook key. The key goes from the password field straight into a task and the field is emptied
(undo history too) as it is submitted: it is never shown back, logged or kept by a widget."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtGui import QGuiApplication, QPalette
from PySide6.QtWidgets import (
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QWidget,
)

from ..core.errors import MaicaXeroError
from ..core.service import Service
from ..core.webhooks import WebhookStatus
from . import widgets
from .tasks import Task, TaskRunner
from .widgets import StatusLine
from .wording import say

PORTAL_HINT = (
    "Paste the Delivery URL in the Xero developer portal → your app → Webhooks, tick "
    "Invoices, save, then copy the webhook key Xero shows into the field below."
)
KEY_SAVED = "key saved — enter a new one to replace it"
NO_KEY = "paste the webhook key from the developer portal"
NO_SITE = "(set the site first)"


def gui_sentence(error: MaicaXeroError) -> str:
    """The service's error in the window's words (kept for the panels that import it)."""
    return say(error)


class WebhookSetup(QWidget):
    """Site, Delivery URL + Copy, and the key; ``changed`` asks the panel to reload."""

    changed = Signal()

    def __init__(self, service: Service, runner: TaskRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.service = service
        self.runner = runner
        self.key_saved = False
        self.site = QLineEdit()
        self.site.setAccessibleName("Webhook site")
        self.site.setPlaceholderText("e.g. https://hooks.example.org")  # an example, not a value
        self.site.setToolTip(
            "The public HTTPS address (a reverse proxy or tunnel) that forwards to this "
            "computer's receiver"
        )
        self.site_button = QPushButton("Save site")
        self.site_button.setAccessibleName("Save the webhook site")
        self.delivery = QLineEdit()
        self.delivery.setPlaceholderText(NO_SITE)  # a sentence, never shown as a value
        self.delivery.setReadOnly(True)
        self.delivery.setAccessibleName("Delivery URL")
        self.delivery.setToolTip("The address to paste in Xero's developer portal")
        self.copy_button = QPushButton("Cop&y")
        self.copy_button.setAccessibleName("Copy the Delivery URL")
        self.copy_button.setEnabled(False)
        self.site_message = StatusLine()
        self.site_message.setAccessibleName("Webhook site message")
        hint = QLabel(PORTAL_HINT)
        hint.setWordWrap(True)
        hint.setAccessibleName("Where the Delivery URL goes")
        self.key = QLineEdit()
        self.key.setEchoMode(QLineEdit.EchoMode.Password)
        self.key.setAccessibleName("Webhook key")
        self.key.setPlaceholderText(NO_KEY)
        palette = self.key.palette()  # a greyed-out placeholder must not read as a value
        disabled = QPalette.ColorGroup.Disabled
        palette.setColor(
            disabled,
            QPalette.ColorRole.PlaceholderText,
            palette.color(disabled, QPalette.ColorRole.Text),
        )
        self.key.setPalette(palette)
        self.key_button = QPushButton("S&ave key")
        self.key_button.setAccessibleName("Save the webhook key")
        self.key_button.setEnabled(False)
        self.forget_button = QPushButton("For&get key…")
        self.forget_button.setAccessibleName("Forget the webhook key")
        self.forget_button.setEnabled(False)
        self.key_message = StatusLine()
        self.key_message.setAccessibleName("Webhook key message")

        site_label = QLabel("We&bhook site:")
        site_label.setBuddy(self.site)
        delivery_label = QLabel("Delivery URL:")
        delivery_label.setBuddy(self.delivery)
        key_label = QLabel("Webhook &key:")
        key_label.setBuddy(self.key)
        grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.addWidget(site_label, 0, 0)
        grid.addLayout(_row(self.site, self.site_button), 0, 1)
        grid.addWidget(self.site_message, 1, 1)
        grid.addWidget(delivery_label, 2, 0)
        grid.addLayout(_row(self.delivery, self.copy_button), 2, 1)
        grid.addWidget(hint, 3, 1)
        grid.addWidget(key_label, 4, 0)
        grid.addLayout(_row(self.key, self.key_button, self.forget_button), 4, 1)
        grid.addWidget(self.key_message, 5, 1)
        grid.setColumnStretch(1, 1)
        grid.setRowStretch(6, 1)  # spare height below, not between the rows

        self.site.returnPressed.connect(self.save_site)
        self.site_button.clicked.connect(self.save_site)
        self.copy_button.clicked.connect(self.copy_delivery_url)
        self.key.textChanged.connect(lambda text: self.key_button.setEnabled(bool(text.strip())))
        self.key.returnPressed.connect(self.save_key)
        self.key_button.clicked.connect(self.save_key)
        self.forget_button.clicked.connect(self.forget_key)

    # -- showing -----------------------------------------------------------------------------

    def show_status(self, status: WebhookStatus) -> None:
        if not self.site.isModified():  # never over what the user is typing
            self.site.setText(status.site)
        self._show_delivery(status.delivery_url)
        self.key_saved = status.key_saved
        self.key.setPlaceholderText(KEY_SAVED if status.key_saved else NO_KEY)
        self.key_button.setText("Repl&ace key" if status.key_saved else "S&ave key")
        self.key_button.setAccessibleName(
            "Replace the webhook key" if status.key_saved else "Save the webhook key"
        )
        self.forget_button.setEnabled(status.key_saved)

    def _show_delivery(self, url: str) -> None:
        self.delivery.setText(url)
        self.copy_button.setEnabled(bool(url))

    # -- the site ----------------------------------------------------------------------------

    def save_site(self) -> None:
        text = self.site.text()

        def work(task: Task[str]) -> str:
            return self.service.webhooks.set_site(text)

        self.runner.submit(
            work,
            on_done=self._site_saved,
            on_error=self._site_failed,
            button=self.site_button,
            name="set_site",
        )

    def _site_saved(self, url: str) -> None:
        self.site.setModified(False)
        self._show_delivery(url)
        if url:
            self.site_message.show_message("Site saved. Paste the Delivery URL in Xero.", "ok")
        else:
            self.site_message.show_message("Webhook site cleared.", "info")
        self.changed.emit()

    def _site_failed(self, error: MaicaXeroError) -> None:
        self.site_message.show_message(say(error), "error")
        self.site.setFocus()

    def copy_delivery_url(self) -> None:
        url = self.delivery.text()
        if url and url != NO_SITE:
            QGuiApplication.clipboard().setText(url)
            self.site_message.show_message("Delivery URL copied.", "ok")

    # -- the key -----------------------------------------------------------------------------

    def save_key(self) -> None:
        key = self.key.text()
        self.key.setText("")  # setText (unlike clear) also empties the undo history
        if not key.strip():
            return
        replacing = self.key_saved

        def work(task: Task[None]) -> None:
            self.service.webhooks.set_key(key)

        self.runner.submit(
            work,
            on_done=lambda _: self._key_done(
                "Key replaced. The previous key is still accepted for an hour, while Xero's "
                "portal catches up."
                if replacing
                else "Webhook key saved."
            ),
            on_error=self._key_failed,
            button=self.key_button,
            name="set_key",
        )

    def forget_key(self) -> None:
        if not widgets.confirm(
            self,
            "Forget the webhook key",
            "Remove the webhook key from this computer's keyring? Deliveries from Xero are "
            "refused (401) until a key is saved again.",
            "Forget key",
        ):
            return

        def work(task: Task[None]) -> None:
            self.service.webhooks.forget_key()

        self.runner.submit(
            work,
            on_done=lambda _: self._key_done("Webhook key removed."),
            on_error=self._key_failed,
            button=self.forget_button,
            name="forget_key",
        )

    def _key_done(self, message: str) -> None:
        self.key_message.show_message(message, "ok")
        self._key_ended()

    def _key_failed(self, error: MaicaXeroError) -> None:
        self.key_message.show_message(gui_sentence(error), "error")
        self._key_ended()

    def _key_ended(self) -> None:
        self.key_button.setEnabled(bool(self.key.text().strip()))
        self.changed.emit()


def _row(*items: QWidget) -> QHBoxLayout:
    row = QHBoxLayout()
    row.addWidget(items[0], 1)
    for item in items[1:]:
        row.addWidget(item)
    return row
