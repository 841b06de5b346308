"""The "Maica org" block at the top of Active Connections: sign in to the Maica org (the address
shown while it waits, like Xero's), the org, the user, the instance and the field mapping's state
with its details, and Disconnect. Everything it asks goes through ``service.maica`` on the task
runner; the status hub tells it the Maica org's status."""

from __future__ import annotations

import threading
from collections.abc import Callable

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ..core.errors import MaicaNeedsReconnect, MaicaXeroError, Remedy
from ..core.maica import MaicaStatus, MappingCheck
from ..core.service import Service
from ..core.textsafe import printable
from . import widgets
from .maica_mapping import MappingDialog, mapping_summary
from .panel import Panel
from .signin import SignInBox
from .state import StatusHub
from .tasks import Task, TaskRunner
from .widgets import ElidedLabel, StatusLine, WrappedLabel
from .wording import say

MAICA_OWN_FLOW = "Maica - Xero Invoice Sync Scheduled Flow"
NOT_CONNECTED = "Maica org: not connected (invoices come from an imported file)."
NOT_CONNECTED_SOURCE = (
    "Maica org: not connected. It is the source of the invoices: connect to synchronise."
)
FLOW_NOTE = (
    f"Turn off Maica's own scheduled Xero flow (“{MAICA_OWN_FLOW}”) in the org, so that it "
    "and this program do not both send the same invoices."
)
WAITING = (
    "Finish signing in to the Maica org in your browser and allow access. If no browser opened, "
    "copy this address into one:"
)
RECONNECT = "The Maica org no longer accepts this computer's sign-in: it needs reconnecting."
LOGIN_HOSTS = ("https://login.salesforce.com", "https://test.salesforce.com")
NOT_CHECKED = "Not checked yet."


class MaicaOrgBox(Panel, QGroupBox):
    #: the Maica org's mapping was checked or confirmed (a MappingCheck)
    mapping_checked = Signal(object)

    def __init__(
        self, service: Service, runner: TaskRunner, hub: StatusHub, parent: QWidget | None = None
    ) -> None:
        # no title row: the first line names the block ("Maica org: …"), the page stays short
        super().__init__(service, runner, hub, "", parent)
        self.setAccessibleName("Maica org")
        self.maica: MaicaStatus | None = None
        self.check: MappingCheck | None = None
        self._typed_key = ""
        self._typed_host = ""
        self.dialog: MappingDialog | None = None
        self.summary = WrappedLabel(NOT_CONNECTED)
        self.summary.setAccessibleName("Maica org connection")
        self.reconnect_line = StatusLine()
        self.reconnect_line.setAccessibleName("Maica sign-in needs reconnecting")

        # before the first sign-in: where to sign in, and the External Client App's key
        self.setup = QWidget()
        self.login_url = QComboBox()
        self.login_url.setEditable(True)
        self.login_url.addItems(LOGIN_HOSTS)
        self.login_url.setAccessibleName("Maica login address")
        self.login_url.setToolTip(
            "login.salesforce.com for production, test.salesforce.com for a sandbox, or the "
            "org's My Domain address"
        )
        self.client_id = QLineEdit()
        self.client_id.setAccessibleName("Consumer key of the External Client App")
        self.client_id.setPlaceholderText("the External Client App's consumer key")
        # shown on "Sign-in settings…", or when a sign-in needs the consumer key
        setup = QHBoxLayout(self.setup)
        setup.setContentsMargins(0, 0, 0, 0)
        for text, field in (("Login host:", self.login_url), ("Consumer ke&y:", self.client_id)):
            label = QLabel(text)
            label.setBuddy(field)
            setup.addWidget(label)
            setup.addWidget(field, 1)

        # once signed in: who and where, and the mapping
        self.details = QWidget()
        self.org = ElidedLabel()
        self.user = ElidedLabel()
        self.instance = ElidedLabel()
        self.mapping = StatusLine()
        self.mapping.setAccessibleName("Field mapping")
        details = QHBoxLayout(self.details)  # one row: who and where (the page stays short)
        details.setContentsMargins(0, 0, 0, 0)
        for text, value in (
            ("Maica org:", self.org),
            ("User:", self.user),
            ("Instance:", self.instance),
        ):
            details.addWidget(QLabel(text))
            details.addWidget(value, 1)

        self.connect_button = QPushButton("Connect to &Maica…")
        self.connect_button.setAccessibleName("Connect to the Maica org")
        self.check_button = QPushButton("Chec&k mapping")
        self.check_button.setAccessibleName("Check the Maica field mapping")
        self.check_button.setToolTip("Describe the Maica objects again and check every field")
        self.details_button = QPushButton("Mapping d&etails…")
        self.details_button.setAccessibleName("Show every mapped Maica field")
        self.confirm_button = QPushButton("Confirm field names…")
        self.confirm_button.setAccessibleName("Confirm the Maica field names")
        self.disconnect_button = QPushButton("Disconnect from Maica…")
        self.disconnect_button.setAccessibleName("Disconnect from the Maica org")
        self.settings_button = QPushButton("Sign-in settings…")
        self.settings_button.setAccessibleName("Show the Maica login host and consumer key")
        self.settings_button.setCheckable(True)
        head = QHBoxLayout()  # the state, and (not connected) the buttons that sign in
        head.addWidget(self.summary, 1)
        head.addWidget(self.reconnect_line, 1)  # in place of the summary: the buttons stay right
        head.addWidget(self.connect_button)
        head.addWidget(self.settings_button)
        buttons = QHBoxLayout()  # the mapping's state, then what to do about it
        self.mapping_label = QLabel("Field mapping:")
        buttons.addWidget(self.mapping_label)
        buttons.addWidget(self.mapping, 1)
        for button in (
            self.check_button,
            self.details_button,
            self.confirm_button,
            self.disconnect_button,
        ):
            buttons.addWidget(button)
        self.flow_note = WrappedLabel(FLOW_NOTE)
        self.flow_note.setAccessibleName("Maica's own Xero flow")
        self.signin = SignInBox(
            service,
            runner,
            connect=self._connect,
            prompt=WAITING,
            name="maica_connect",
            copy_text="Copy address",
            cancel_text="Stop waiting",
        )
        self.signin.url_field.setAccessibleName("Maica sign-in address")
        self.signin.copy_button.setAccessibleName("Copy the Maica sign-in address")
        self.signin.cancel_button.setAccessibleName("Cancel the Maica sign-in")
        self.status = StatusLine()
        self.status.setAccessibleName("Maica message")

        layout = QVBoxLayout(self)
        layout.setContentsMargins(9, 5, 9, 5)  # a slim frame: the page stays within 800 pixels
        layout.setSpacing(4)
        layout.addLayout(head)
        layout.addWidget(self.setup)
        layout.addWidget(self.details)
        layout.addLayout(buttons)
        layout.addWidget(self.signin)
        layout.addWidget(self.flow_note)
        layout.addWidget(self.status)

        self.connect_button.clicked.connect(self.start_connect)
        self.settings_button.toggled.connect(lambda _: self._update_buttons())
        self.signin.connected.connect(self._connected)
        self.signin.failed.connect(self._failed)
        self.check_button.clicked.connect(lambda: self.run_check(refresh=True))
        self.details_button.clicked.connect(self.show_details)
        self.confirm_button.clicked.connect(self.show_details)
        self.disconnect_button.clicked.connect(self.disconnect_org)
        hub.maica_changed.connect(self.show_maica)
        self.show_maica(None)

    # -- state -----------------------------------------------------------------------------

    def show_maica(self, maica: MaicaStatus | None) -> None:
        previous, self.maica = self.maica, maica
        connected = bool(maica and maica.connected)
        reconnect = bool(maica and maica.needs_reconnect)
        if connected and maica is not None:
            who = f" as {maica.user}" if maica.user else ""
            self.summary.set_full_text(
                printable(
                    f"Connected to the Maica org {maica.org_name or maica.instance_url}{who}."
                )
            )
        elif reconnect:
            self.summary.set_full_text("Maica org: the sign-in needs reconnecting.")
        elif maica is not None and maica.source == "maica":
            self.summary.set_full_text(NOT_CONNECTED_SOURCE)
        else:
            self.summary.set_full_text(NOT_CONNECTED)
        if reconnect:
            self.reconnect_line.show_message(RECONNECT, "warning")
        else:
            self.reconnect_line.clear_message()
        if maica is not None and not connected and not self.login_url.hasFocus():
            self._show_login_url(maica.login_url)
        if maica is not None and maica.client_id_set:
            self.client_id.setPlaceholderText("saved (type another to replace it)")
        self.details.setVisible(connected or reconnect)
        self.summary.setVisible(not connected)  # once connected the details say who and where
        if maica is not None and (connected or reconnect):
            self._elided(self.org, "Maica org", maica.org_name or "unknown")
            self._elided(self.user, "User", maica.user or "unknown")
            self._elided(self.instance, "Instance", maica.instance_url)
        if not connected:
            self.check = None
        if self.check is not None:
            text, kind = mapping_summary(self.check)
            self.mapping.show_message(text, kind)
        elif maica is not None and maica.mapping_ok is not None:
            text = "Ready." if maica.mapping_ok else "Problems (see Mapping details)."
            self.mapping.show_message(text, "ok" if maica.mapping_ok else "error")
        else:
            self.mapping.show_message(NOT_CHECKED, "info")
        self.connect_button.setText("Reconnect to &Maica…" if reconnect else "Connect to &Maica…")
        self.connect_button.setAccessibleName(
            "Reconnect to the Maica org" if reconnect else "Connect to the Maica org"
        )
        self._update_buttons()
        was_connected = bool(previous and previous.connected)
        if connected and not was_connected and self.check is None and not self.signin.waiting:
            self.run_check(refresh=False)

    def _show_login_url(self, url: str) -> None:
        if self.login_url.currentText() != url:
            if self.login_url.findText(url) < 0:
                self.login_url.addItem(url)
            self.login_url.setCurrentText(url)

    @staticmethod
    def _elided(label: ElidedLabel, caption: str, text: str) -> None:
        """A long value is elided on screen; the tooltip and the accessible name hold it all."""
        shown = printable(text)
        label.set_full_text(shown)
        label.setAccessibleName(f"{caption}: {shown}")

    def _update_buttons(self) -> None:
        maica = self.maica
        connected = bool(maica and maica.connected)
        idle = not self.signin.waiting
        signing_in = not connected or bool(maica and maica.needs_reconnect)
        no_key = maica is not None and not maica.client_id_set
        self.connect_button.setVisible(signing_in)
        self.connect_button.setEnabled(idle)
        self.settings_button.setVisible(signing_in)
        self.setup.setVisible(signing_in and self.settings_button.isChecked())
        if no_key:
            self.settings_button.setToolTip("No consumer key is saved yet: enter it here")
        self.flow_note.setVisible(connected)
        unconfirmed = bool(self.check and self.check.unconfirmed)
        reconnect = bool(maica and maica.needs_reconnect)
        self.check_button.setToolTip(
            "Reconnect to the Maica org first: it no longer accepts this computer's sign-in"
            if reconnect
            else "Describe the Maica objects again and check every field"
        )
        if not self.runner.is_busy("maica"):
            self.check_button.setEnabled(connected and idle and not reconnect)
            self.details_button.setEnabled(connected and idle)
            self.confirm_button.setEnabled(connected and idle and unconfirmed)
        self.mapping_label.setVisible(connected)
        self.mapping.setVisible(connected and bool(self.mapping.text()))
        self.check_button.setVisible(connected)
        self.details_button.setVisible(connected)
        self.confirm_button.setVisible(connected and unconfirmed)
        self.disconnect_button.setVisible(connected)
        self.disconnect_button.setEnabled(connected and idle)

    # -- sign-in -----------------------------------------------------------------------------

    def _connect(
        self, on_url: Callable[[str], None], cancel: threading.Event, timeout: float
    ) -> MaicaStatus:
        """On a worker: save a consumer key typed here, then sign in at the chosen host."""
        key = self._typed_key
        if key:
            self.service.config_set("sf-client-id", key)
        return self.service.maica.connect(
            on_url, login_url=self._typed_host or None, timeout=timeout, cancel=cancel
        )

    def start_connect(self) -> None:
        """What was typed is read here, on the GUI thread; the worker only reads the copies."""
        shown = self.settings_button.isChecked()
        self._typed_key = self.client_id.text().strip() if shown else ""
        host = self.login_url.currentText().strip() if shown else ""
        # only a host the administrator chose; otherwise the saved one (or the environment's)
        self._typed_host = host if self.maica is None or host != self.maica.login_url else ""
        self.status.clear_message()
        self.signin.start(self.connect_button)
        self._update_buttons()

    def _connected(self, result: object) -> None:
        self.client_id.clear()
        self.status.show_message("Connected to the Maica org. Checking the field mapping…", "ok")
        self.check = None
        if isinstance(result, MaicaStatus):
            self.maica = None  # the status below is new: check the mapping once it shows
            self.show_maica(result)
        self.hub.refresh()
        self._update_buttons()

    def _failed(self, error: MaicaXeroError) -> None:
        self.status.show_message(say(error), "error")
        if error.remedy in (Remedy.SET_SF_CLIENT_ID, Remedy.CHECK_SF_LOGIN):
            self.settings_button.setChecked(True)  # the fields it is about
            self.client_id.setFocus()
        self.hub.refresh()
        self._update_buttons()

    # -- the mapping -------------------------------------------------------------------------

    def run_check(self, refresh: bool = True, then: Callable[[], None] | None = None) -> None:
        def work(task: Task[MappingCheck]) -> MappingCheck:
            return self.service.maica.check(refresh=refresh)

        def done(check: MappingCheck) -> None:
            self._checked(check)
            if then is not None:
                then()

        self.runner.submit(
            work,
            on_done=done,
            on_error=self._check_failed,
            queue="maica",
            button=self.check_button,
            name="maica_check",
        )

    def _checked(self, check: MappingCheck) -> None:
        self.check = check
        text, kind = mapping_summary(check)
        self.mapping.show_message(text, kind)
        if self.status.kind == "ok" and self.status.text().endswith("Checking the field mapping…"):
            self.status.clear_message()  # the details say it now
        if self.dialog is not None and self.dialog.isVisible():
            self.dialog.show_check(check)
        self._update_buttons()
        self.mapping_checked.emit(check)
        self.hub.refresh()

    def _check_failed(self, error: MaicaXeroError) -> None:
        if isinstance(error, MaicaNeedsReconnect):
            self.check = None
        self.mapping.show_message("Could not be checked (see the message below).", "error")
        self.status.show_message(say(error), "error")
        self._update_buttons()
        self.hub.refresh()

    def show_details(self) -> None:
        if self.check is None:
            self.run_check(refresh=False, then=self.show_details)
            return
        if self.dialog is None:
            self.dialog = MappingDialog(self.service, self.runner, self.check, self)
            self.dialog.confirmed.connect(self._checked)
        else:
            self.dialog.show_check(self.check)
        self.dialog.show()
        self.dialog.raise_()

    # -- disconnect --------------------------------------------------------------------------

    def disconnect_org(self) -> None:
        name = self.maica.org_name if self.maica and self.maica.org_name else "the Maica org"
        if not widgets.confirm(
            self,
            "Disconnect from Maica",
            f"Disconnect from {name}? The sign-in is revoked and forgotten on this computer. "
            "Invoices stay in Maica and in Xero; while the source is the Maica org, a sync waits "
            "until you connect again.",
            "Disconnect",
        ):
            return

        def work(task: Task[None]) -> None:
            self.service.maica.disconnect()

        self.runner.submit(
            work,
            on_done=self._disconnected,
            on_error=self._failed,
            button=self.disconnect_button,
            name="maica_disconnect",
        )

    def _disconnected(self, _: None) -> None:
        self.check = None
        self.status.show_message("Disconnected from the Maica org.", "ok")
        self.hub.refresh()
