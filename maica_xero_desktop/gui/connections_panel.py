"""Section 2, "Active Connections": the Maica org first (gui/maica_box.py), then the Xero
organisations this sign-in reaches and the one in use."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

from PySide6.QtWidgets import (
    QFrame,
    QGroupBox,
    QHBoxLayout,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ..core.connections import Connection
from ..core.errors import MaicaXeroError, NeedsReconnect
from ..core.service import ConnectionsView, ConnectResult, Service, Status
from ..core.states import SIGNED_IN, SIGNED_OUT, TokenState
from ..core.textsafe import printable
from . import widgets
from .maica_box import MaicaOrgBox
from .organisations_table import OrganisationsTable
from .panel import Panel
from .setup_step import ClientIdSetup
from .signin import SignInBox
from .state import StatusHub
from .tasks import Task, TaskRunner
from .widgets import StatusLine, WrappedLabel
from .wording import say

NOT_CONNECTED = "Not connected to Xero."


class ConnectionsPanel(Panel, QGroupBox):
    def __init__(
        self, service: Service, runner: TaskRunner, hub: StatusHub, parent: QWidget | None = None
    ) -> None:
        super().__init__(service, runner, hub, "Active Connections", parent)
        self.view: ConnectionsView | None = None
        self._token_state = ""
        self._note = ""  # an action's result, shown with the next list
        self.maica = MaicaOrgBox(service, runner, hub)
        self.setup = ClientIdSetup(service, runner)
        self.signin = SignInBox(service, runner)
        self.connected_as = WrappedLabel(NOT_CONNECTED)  # a long name wraps, never cut
        self.connected_as.setAccessibleName("Signed-in Xero user")
        self.reconnect_box = QFrame()
        self.reconnect_box.setFrameShape(QFrame.Shape.StyledPanel)
        self.reconnect_text = StatusLine()
        self.reconnect_button = QPushButton("Reconnec&t…")
        self.reconnect_button.setAccessibleName("Reconnect to Xero")
        box = QHBoxLayout(self.reconnect_box)
        box.addWidget(self.reconnect_text, 1)
        box.addWidget(self.reconnect_button)
        self.reconnect_box.hide()
        self.table = OrganisationsTable()
        self.selected_name = WrappedLabel("")  # the list elides a long name: here it is in full
        self.selected_name.setAccessibleName("Selected organisation")
        self.selected_name.hide()
        self.connect_button = QPushButton("&Connect to Xero…")
        self.connect_button.setAccessibleName("Connect to Xero")
        self.use_button = QPushButton("&Use this organisation")
        self.disconnect_button = QPushButton("&Disconnect…")
        self.refresh_button = QPushButton("&Refresh")
        self.refresh_button.setToolTip("Ask Xero for the current list of organisations")
        self.logout_button = QPushButton("Sign &out…")
        self.logout_button.setToolTip("Revoke this computer's Xero sign-in")
        buttons = QHBoxLayout()
        for button in (
            self.connect_button,
            self.use_button,
            self.disconnect_button,
            self.refresh_button,
            self.logout_button,
        ):
            button.setAccessibleName(button.accessibleName() or button.text().replace("&", ""))
            buttons.addWidget(button)
        buttons.addStretch(1)
        self.status = StatusLine()
        self.status.setAccessibleName("Connections message")
        #: everything the Enable switch governs (the client id steps never are)
        self.body = QWidget()
        body = QVBoxLayout(self.body)
        body.setContentsMargins(0, 0, 0, 0)
        body.addWidget(self.connected_as)
        body.addWidget(self.reconnect_box)
        body.addWidget(self.table)
        body.addWidget(self.selected_name)
        body.addLayout(buttons)
        body.addWidget(self.signin)
        body.addWidget(self.status)
        body.addStretch(1)
        # the Maica org first (framed), then Xero as before: its app's client id and the
        # organisations, the list taking the rest of the page
        layout = QVBoxLayout(self)
        layout.addWidget(self.maica)
        layout.addWidget(self.setup)
        layout.addWidget(self.body, 1)

        self.connect_button.clicked.connect(lambda: self.signin.start(self.connect_button))
        self.reconnect_button.clicked.connect(self._reconnect)
        self.signin.connected.connect(self._connected)
        self.signin.failed.connect(self._failed)
        self.use_button.clicked.connect(self.use_selected)
        self.disconnect_button.clicked.connect(self.disconnect_selected)
        self.refresh_button.clicked.connect(lambda: self.load(refresh=True))
        self.logout_button.clicked.connect(self.logout)
        self.setup.client_id_saved.connect(lambda _: self.hub.refresh())
        self.table.itemSelectionChanged.connect(self._update_buttons)
        self.table.itemSelectionChanged.connect(self._show_selected)
        order = (
            self.maica.connect_button,
            self.maica.settings_button,
            self.maica.login_url,
            self.maica.client_id,
            self.maica.check_button,
            self.maica.details_button,
            self.maica.confirm_button,
            self.maica.disconnect_button,
            self.maica.signin.url_field,
            self.maica.signin.copy_button,
            self.maica.signin.cancel_button,
            self.setup.client_id,
            self.setup.save_button,
            self.reconnect_button,
            self.table,
            self.connect_button,
            self.use_button,
            self.disconnect_button,
            self.refresh_button,
            self.logout_button,
            self.signin.url_field,
            self.signin.copy_button,
            self.signin.cancel_button,
        )
        for first, second in itertools.pairwise(order):
            QWidget.setTabOrder(first, second)
        hub.status_changed.connect(self._show_status)
        self._update_buttons()

    # -- status ------------------------------------------------------------------------------

    def _show_status(self, status: Status) -> None:
        if self.setup.info is None or self.setup.info.value != status.client_id:
            self.setup.load()
        user = status.connected_as
        if user is not None and status.token_state in SIGNED_IN:
            self.connected_as.set_full_text(f"Connected as {user.name} ({user.email})")
        elif status.token_state in SIGNED_IN:
            self.connected_as.set_full_text("Connected to Xero.")
        else:
            self.connected_as.set_full_text(NOT_CONNECTED)
        reconnect = status.token_state == TokenState.NEEDS_RECONNECT
        if reconnect:
            reason = next((m for m in status.messages if "connect" in m.lower()), "")
            self.reconnect_text.show_message(
                reason or "Xero no longer accepts this computer's sign-in: it needs reconnecting.",
                "warning",
            )
        self.reconnect_box.setVisible(reconnect and not self.signin.waiting)
        if status.token_state == TokenState.UNAVAILABLE:
            self.status.show_message(" ".join(status.messages), "error")
        previous, self._token_state = self._token_state, status.token_state
        if not self.runner.is_busy("connections") and (
            (status.token_state in SIGNED_IN and previous not in SIGNED_IN)
            or (status.token_state in SIGNED_OUT and self.view is None)
            or (self.view is not None and self.view.active_tenant_id != status.active_tenant_id)
        ):
            self.load(refresh=False)
        self._update_buttons()

    # -- the list ---------------------------------------------------------------------------

    def load(self, refresh: bool = True) -> None:
        """The organisation list: the saved copy, or (``refresh``) Xero's current one."""

        def work(task: Task[ConnectionsView]) -> ConnectionsView:
            return self.service.connections(refresh=refresh)

        self.runner.submit(
            work,
            on_done=self._show_view,
            on_error=self._failed,
            queue="connections",
            button=self.refresh_button,
            name="connections",
        )

    def _show_view(self, view: ConnectionsView) -> None:
        self.view = view
        self.table.show_view(view)
        messages = [say(m) for m in view.messages]
        note, self._note = self._note, ""
        if note or messages:
            self.status.show_message(" ".join([note, *messages]).strip(), "ok" if note else "info")
        elif self.status.kind != "error":
            self.status.clear_message()
        self._update_buttons()

    def _show_selected(self) -> None:
        chosen = self.selected()
        cut = chosen is not None and self.table.is_cut(chosen.tenant_name)
        self.selected_name.set_full_text(
            f"Selected: {printable(chosen.tenant_name)}" if cut and chosen else ""
        )
        self.selected_name.setVisible(cut)

    def selected(self) -> Connection | None:
        return self.table.selected(self.view)

    def select_tenant(self, tenant_id: str) -> None:
        self.table.select_tenant(tenant_id)

    def _update_buttons(self) -> None:
        status = self.hub.status
        signed_in = bool(status and status.token_state in SIGNED_IN)
        has_client = bool(status and status.client_id)
        chosen = self.selected()
        active = self.view.active_tenant_id.lower() if self.view else ""
        idle = not self.signin.waiting
        self.connect_button.setEnabled(has_client and idle)
        self.reconnect_button.setEnabled(has_client and idle)
        self.use_button.setEnabled(
            signed_in and chosen is not None and chosen.tenant_id.lower() != active
        )
        self.disconnect_button.setEnabled(signed_in and chosen is not None)
        if not self.runner.is_busy("connections"):
            self.refresh_button.setEnabled(signed_in)
        self.logout_button.setEnabled(signed_in)

    # -- actions ----------------------------------------------------------------------------

    def _after(self, message: str) -> Callable[[Any], None]:
        def done(_: Any) -> None:
            self.status.show_message(message, "ok")
            self._note = message
            self.hub.refresh()
            self.load(refresh=False)

        return done

    def use_selected(self) -> None:
        chosen = self.selected()
        if chosen is None:
            return

        def work(task: Task[dict[str, Any]]) -> dict[str, Any]:
            return self.service.use(chosen.tenant_id)

        self.runner.submit(
            work,
            on_done=self._after(f"{chosen.tenant_name} is now the active organisation."),
            on_error=self._failed,
            button=self.use_button,
            name="use",
        )

    def disconnect_selected(self) -> None:
        chosen = self.selected()
        if chosen is None or not widgets.confirm(
            self,
            "Disconnect organisation",
            f"Disconnect {chosen.tenant_name} from this app in Xero? Invoices already in Xero "
            "stay there; to sync with it again you will need to connect again.",
            "Disconnect",
        ):
            return

        def work(task: Task[Connection]) -> Connection:
            return self.service.disconnect(chosen.tenant_id)

        self.runner.submit(
            work,
            on_done=self._after(f"{chosen.tenant_name} was disconnected."),
            on_error=self._failed,
            button=self.disconnect_button,
            name="disconnect",
        )

    def logout(self) -> None:
        if not widgets.confirm(
            self,
            "Sign out of Xero",
            "Sign out of Xero on this computer? The sign-in is revoked at Xero, which removes "
            "every organisation's connection to this app.",
            "Sign out",
        ):
            return

        def work(task: Task[bool]) -> bool:
            return self.service.logout()

        self.runner.submit(
            work,
            on_done=self._after("Signed out of Xero."),
            on_error=self._failed,
            button=self.logout_button,
            name="logout",
        )

    def _reconnect(self) -> None:
        """The sign-in box takes the needs-reconnecting box's place while it waits."""
        self.signin.start(self.reconnect_button)
        self.reconnect_box.hide()

    def _connected(self, result: ConnectResult) -> None:
        self.status.kind = "info"
        self._note = "Connected to Xero."
        self._token_state = (
            TokenState.VALID
        )  # the list below is fresh: no reload when the status follows
        self._show_view(result.view)
        self.hub.refresh()

    def _failed(self, error: MaicaXeroError) -> None:
        if isinstance(error, NeedsReconnect):
            # the needs-reconnecting box says it (with its button) once the status follows
            self.status.clear_message()
            self.reconnect_text.show_message(say(error), "warning")
            self.hub.refresh()
        else:
            self.status.show_message(say(error), "error")
        self._update_buttons()
