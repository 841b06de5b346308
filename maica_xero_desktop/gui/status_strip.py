"""The strip above every page: what the integration is doing (on or off, the Xero organisation,
the sign-in, the webhook receiver, the last run and its outcome, the next scheduled run) and the
run actions (Run Now, Preview, Cancel), so they are in reach whichever section is open.

The run buttons, progress and result line belong to the sync panel (it runs them); the strip only
holds them on screen."""

from __future__ import annotations

import html
import time
from typing import Any

from PySide6.QtCore import QEvent, Qt, QTimer
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from ..core.service import Status
from ..core.states import SIGNED_IN, RunState, TokenState
from ..core.textsafe import printable
from .state import StatusHub
from .sync_panel import SyncPanel
from .webhooks_events import WebhooksView
from .widgets import hint_color

SIGN_IN: dict[str, tuple[str, str]] = {
    TokenState.NONE: ("not connected", "warning"),
    TokenState.VALID: ("signed in", "ok"),
    TokenState.EXPIRED: ("signed in (renewed on next use)", "ok"),
    TokenState.NEEDS_RECONNECT: ("needs reconnecting", "error"),
    TokenState.UNAVAILABLE: ("keyring unavailable", "error"),
}
RUN_KIND: dict[str, str] = {
    RunState.FINISHED: "ok",
    RunState.FAILED: "error",
    RunState.CANCELLED: "warning",
}
#: how often the strip re-reads what it shows from the panels (the next run's time moves)
TICK_MS = 5_000


def last_run_text(run: dict[str, Any] | None) -> tuple[str, str]:
    """The last run (a RunRecord's JSON) in a few words, and its hint kind."""
    if not run:
        return "none yet", "info"
    started = time.strftime("%d %b %H:%M", time.localtime(float(run.get("started_at") or 0)))
    kind = "preview" if run.get("dry_run") else str(run.get("trigger") or "manual")
    state = str(run.get("state") or "")
    counts = f"{run.get('created', 0)} created, {run.get('blocked', 0)} blocked"
    if run.get("failed"):
        counts += f", {run.get('failed')} failed"
    hint = RUN_KIND.get(state, "info")
    if state == RunState.FINISHED and (run.get("failed") or run.get("blocked")):
        hint = "warning"
    return f"{started} ({kind}) {state}: {counts}", hint


def receiver_text(view: WebhooksView | None) -> tuple[str, str]:
    if view is None:
        return "…", "info"
    receiver = view.status.receiver
    if view.listener_url or view.status.listening:
        where = f"{receiver.get('host')}:{receiver.get('port')}"
        if not view.enabled:
            return f"listening on {where}; deliveries kept until the integration is on", "warning"
        return f"listening on {where}", "ok"
    return "stopped", "info"


class StatusStrip(QFrame):
    def __init__(self, hub: StatusHub, sync: SyncPanel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.hub = hub
        self.sync = sync
        self.webhooks_view: WebhooksView | None = None
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setAccessibleName("Status")
        self.facts = QLabel("Loading…")
        self.facts.setAccessibleName("Integration status")
        self.facts.setTextFormat(Qt.TextFormat.RichText)
        self.facts.setWordWrap(True)
        self.facts.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        actions = QHBoxLayout()
        for button in (sync.run_button, sync.preview_button, sync.cancel_button):
            actions.addWidget(button)
        actions.addSpacing(8)
        actions.addWidget(sync.target, 1)
        actions.addWidget(sync.progress, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 6, 8, 6)
        layout.setSpacing(4)
        layout.addWidget(self.facts)
        layout.addLayout(actions)
        layout.addWidget(sync.step)
        layout.addWidget(sync.result_line)
        hub.status_changed.connect(lambda _: self.update_facts())
        sync.run_finished.connect(lambda _: QTimer.singleShot(0, self.update_facts))
        self.timer = QTimer(self)
        self.timer.setInterval(TICK_MS)
        self.timer.timeout.connect(self.update_facts)
        self.timer.start()

    def show_webhooks(self, view: object) -> None:
        if isinstance(view, WebhooksView):
            self.webhooks_view = view
            self.update_facts()

    def update_facts(self) -> None:
        status = self.hub.status
        if status is None:
            return
        text = " &nbsp;·&nbsp; ".join(
            self._fact(name, value, kind) for name, value, kind in self.fact_list(status)
        )
        if text != self.facts.text():
            self.facts.setText(text)

    def fact_list(self, status: Status) -> list[tuple[str, str, str]]:
        """(name, value, hint kind) of each fact the strip shows."""
        organisation = status.active_tenant_name or (
            "none chosen" if status.token_state in SIGNED_IN else "not connected"
        )
        sign_in, sign_in_kind = SIGN_IN.get(status.token_state, (status.token_state, "info"))
        schedule = self.sync.schedule
        next_run = f"{schedule.next_at:%H:%M}" if schedule.next_at is not None else "not scheduled"
        receiver, receiver_kind = receiver_text(self.webhooks_view)
        run, run_kind = last_run_text(status.last_run)
        return [
            (
                "Integration",
                "on" if status.enabled else "off",
                "ok" if status.enabled else "warning",
            ),
            ("Xero organisation", printable(organisation), "info"),
            ("Sign-in", sign_in, sign_in_kind),
            ("Receiver", receiver, receiver_kind),
            ("Last run", run, run_kind),
            ("Next run", next_run, "info"),
        ]

    def _fact(self, name: str, value: str, kind: str) -> str:
        colour = hint_color(kind, self.palette()) if kind != "info" else None
        shown = html.escape(value)
        if colour is not None:
            shown = f"<span style='color:{colour.name()}'>{shown}</span>"
        # a fact never breaks inside itself unless it is longer than the strip
        return f"<b>{html.escape(name).replace(' ', '&nbsp;')}:</b>&nbsp;{shown}"

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange:  # the colours follow a dark palette
            self.update_facts()
