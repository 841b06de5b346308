"""Notifications: only what an administrator must act on, each opening the window at its section.

:class:`Notifier` is the seam: the application uses :class:`TrayNotifier`
(``QSystemTrayIcon.showMessage``); tests use any subclass that records. :class:`Watcher` decides
what is worth a notification, from what the window already sees:

- a scheduled run (or a Run Now from the tray, the window hidden) that failed, stopped or left
  invoices blocked or failed ("sync");
- the Xero sign-in needing to be made again ("connections");
- this window's receiver stopping when nobody asked it to ("webhooks");
- an Intent to Receive answered 401 (the key does not match Xero's) ("webhooks");
- payments recorded by webhooks, only when ``notify_payments`` is on ("sync").

A run that went well, a manual run (its outcome is on screen) and a scheduled run skipped because
another run holds the organisation's lock notify nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QSystemTrayIcon

from ..core.errors import MaicaXeroError, NeedsReconnect
from ..core.service import Status
from ..core.states import EventState, RunState, TokenState
from ..core.sync import SyncBusy
from ..core.textsafe import printable
from .sync_panel import summary
from .webhooks_events import WebhooksView

if TYPE_CHECKING:
    from ..core.sync import SyncResult
    from .main_window import MainWindow

SHOW_MS = 15_000


@dataclass(frozen=True)
class Notice:
    title: str
    text: str
    #: the section it opens: enable, connections, webhooks or sync
    section: str
    kind: str = "warning"  # warning | error | info


class Notifier(QObject):
    """Shows notices; ``opened(section)`` when the person clicks one."""

    opened = Signal(str)

    def notify(self, notice: Notice) -> None:
        raise NotImplementedError


class TrayNotifier(Notifier):
    """Through the tray icon's balloon / the desktop's notification service. A click opens the
    section of the last notice shown (Qt reports a click, not which message)."""

    def __init__(self, tray: QSystemTrayIcon, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.tray = tray
        self._section = ""
        tray.messageClicked.connect(self._clicked)

    def notify(self, notice: Notice) -> None:
        self._section = notice.section
        icon = {
            "error": QSystemTrayIcon.MessageIcon.Critical,
            "warning": QSystemTrayIcon.MessageIcon.Warning,
        }.get(notice.kind, QSystemTrayIcon.MessageIcon.Information)
        self.tray.showMessage(notice.title, notice.text, icon, SHOW_MS)

    def _clicked(self) -> None:
        if self._section:
            self.opened.emit(self._section)


class Watcher(QObject):
    """Turns the window's signals into notices. ``attention`` is true from a notice until the
    window is next shown (the tray icon's third state)."""

    attention_changed = Signal(bool)

    def __init__(self, window: MainWindow, notifier: Notifier) -> None:
        super().__init__(window)
        self.window = window
        self.notifier = notifier
        self.attention = False
        self.notify_payments = False
        self.notices: list[Notice] = []
        self.user_stopped_receiver = False
        #: the application is quitting: its receiver stops on purpose
        self.quitting = False
        self._token_state = ""
        self._itr_seen: float | None = None
        self._processed: int | None = None
        sync = window.sync
        # connected after the sync panel's own: the scheduled run's task exists by now
        sync.schedule.run_due.connect(self._scheduled_run_started)
        window.hub.status_changed.connect(self._status)
        window.webhooks.view_loaded.connect(self._view)
        receiver = window.webhooks.receiver
        receiver.stop_button.clicked.connect(self._user_stop)
        receiver.started.connect(lambda _: setattr(self, "user_stopped_receiver", False))

    def send(self, notice: Notice) -> None:
        self.notices.append(notice)
        self.notifier.notify(notice)
        self.set_attention(True)

    def set_attention(self, attention: bool) -> None:
        if attention != self.attention:
            self.attention = attention
            self.attention_changed.emit(attention)

    # -- scheduled runs ----------------------------------------------------------------------

    def _scheduled_run_started(self) -> None:
        self.watch_run("Scheduled run")

    def watch_run(self, label: str) -> None:
        """The run just started (scheduled, or Run Now from the tray while the window is
        hidden): its outcome notifies when something needs acting on."""
        task = self.window.sync.run_task
        if task is None or task.name != "sync" or getattr(task, "watched", False):
            return
        task.watched = True  # type: ignore[attr-defined]
        done, failed = task.on_done, task.on_error

        def on_done(result: SyncResult) -> None:
            if done is not None:
                done(result)
            self.scheduled_result(result, label)

        def on_error(error: MaicaXeroError) -> None:
            if failed is not None:
                failed(error)
            self.scheduled_error(error, label)

        task.on_done, task.on_error = on_done, on_error

    def scheduled_result(self, result: SyncResult, label: str = "Scheduled run") -> None:
        if result.state == RunState.FINISHED and not result.failed and not result.blocked:
            return
        if result.state == RunState.FINISHED:
            parts = [
                f"{n} {what}"
                for n, what in ((result.blocked, "blocked"), (result.failed, "failed"))
                if n
            ]
            title = f"{label}: {', '.join(parts)}"
        else:
            title = f"{label} {result.state}"
        text, kind = summary(result)
        self.send(Notice(title, text, "sync", "error" if kind == "error" else "warning"))

    def scheduled_error(self, error: MaicaXeroError, label: str = "Scheduled run") -> None:
        if isinstance(error, SyncBusy):
            return  # another run (a terminal, another window) is doing the work
        if isinstance(error, NeedsReconnect):
            return  # the status's sign-in notice says it, once
        self.send(Notice(f"{label} did not start", error.sentence, "sync", "error"))

    # -- sign-in -----------------------------------------------------------------------------

    def _status(self, status: Status) -> None:
        before, self._token_state = self._token_state, status.token_state
        if (
            status.token_state == TokenState.NEEDS_RECONNECT
            and before != TokenState.NEEDS_RECONNECT
        ):
            self.send(
                Notice(
                    "Sign in to Xero again",
                    "Xero needs you to sign in again before invoices can be sent or payments "
                    "read: open Active Connections and press Reconnect.",
                    "connections",
                    "error",
                )
            )

    # -- webhooks ----------------------------------------------------------------------------

    def _user_stop(self) -> None:
        self.user_stopped_receiver = True

    def receiver_event(self, what: str) -> None:
        """From the listener's callback (through the relay, on the GUI thread)."""
        if what == "stopped" and not self.user_stopped_receiver and not self.quitting:
            self.send(
                Notice(
                    "Webhook receiver stopped",
                    "Xero's payment notifications are not being received: open Webhooks and "
                    "press Start receiver.",
                    "webhooks",
                    "error",
                )
            )

    def _view(self, view: WebhooksView) -> None:
        itr: dict[str, Any] = view.status.intent_to_receive or {}
        last_at = itr.get("last_at")
        if self._itr_seen is None:
            self._itr_seen = float(last_at or 0)  # what was there before this window
        elif last_at and float(last_at) > self._itr_seen:
            self._itr_seen = float(last_at)
            if itr.get("last_status") == 401:
                self.send(
                    Notice(
                        "Intent to Receive failed",
                        "Xero's check of the webhook was refused: the saved webhook key is not "
                        "the one on your app's Webhooks page in Xero. Save that key, then send "
                        "Intent to Receive again.",
                        "webhooks",
                        "error",
                    )
                )
        processed = int(view.status.counts.get(EventState.PROCESSED, 0))
        if self._processed is not None and processed > self._processed and self.notify_payments:
            count = processed - self._processed
            numbers = [
                printable(row.invoice)
                for row in view.events
                if row.event.status == EventState.PROCESSED and row.invoice
            ][:count]
            listed = f": {', '.join(numbers)}" if numbers else ""
            self.send(
                Notice(
                    "Payments received",
                    f"Xero sent {count} invoice payment update(s){listed}.",
                    "sync",
                    "info",
                )
            )
        self._processed = processed
