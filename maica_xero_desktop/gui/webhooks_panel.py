"""Section 3, "Webhooks": the site and Delivery URL, the webhook key, this computer's receiver and
the recent events, with Process now and Retry failed.

What it shows is read in one task (:func:`.webhooks_events.load_view`), after each action and
every few seconds while the window is on screen; requests made while one is in flight are
coalesced. The receiver keeps running while the integration is off (deliveries wait, stored)
and stops when the window closes (:meth:`WebhooksPanel.shutdown`)."""

from __future__ import annotations

import itertools

from PySide6.QtCore import QTimer, Signal
from PySide6.QtGui import QHideEvent, QResizeEvent, QShowEvent
from PySide6.QtWidgets import (
    QBoxLayout,
    QFrame,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ..core.errors import MaicaXeroError
from ..core.service import Service, Status
from ..core.states import EventState
from ..core.textsafe import printable
from ..core.webhooks import ProcessReport
from .coalesce import CoalescedLoad
from .panel import Panel
from .state import StatusHub
from .tasks import Task, TaskRunner
from .webhooks_events import EventsTable, WebhooksView, load_view
from .webhooks_receiver import ReceiverControl
from .webhooks_setup import WebhookSetup
from .widgets import StatusLine
from .wording import say

REFRESH_MS = 3_000
#: narrower than this, the receiver goes under the site and key (1024-pixel windows)
SIDE_BY_SIDE_WIDTH = 1000


def report_sentence(report: ProcessReport) -> str:
    text = (
        f"{report.processed} processed, {report.ignored} ignored, {report.deferred} to retry, "
        f"{report.failed} failed."
    )
    return f"{text} {report.message}".strip()


class WebhooksPanel(Panel, QGroupBox):
    #: a view was read (a WebhooksView)
    view_loaded = Signal(object)
    #: events were processed since the last view: invoices' payment state may have changed
    payments_changed = Signal()

    def __init__(
        self, service: Service, runner: TaskRunner, hub: StatusHub, parent: QWidget | None = None
    ) -> None:
        super().__init__(service, runner, hub, "Webhooks", parent)
        self.view: WebhooksView | None = None
        self._load = CoalescedLoad(self.runner, self._work, self._loaded, self._failed, "webhooks")
        self.setup = WebhookSetup(service, runner)
        self.receiver = ReceiverControl(service, runner)
        self.table = EventsTable()
        self.process_button = QPushButton("Process no&w")
        self.process_button.setAccessibleName("Process the waiting webhook events now")
        self.retry_button = QPushButton("&Retry failed")
        self.retry_button.setAccessibleName("Retry the failed webhook events")
        self.message = StatusLine()
        self.message.setAccessibleName("Webhook events message")
        self.event_message = StatusLine()  # the selected event's message in full
        self.event_message.setAccessibleName("Message of the selected event")

        line = self._line = QFrame()
        line.setFrameShape(QFrame.Shape.VLine)
        line.setFrameShadow(QFrame.Shadow.Sunken)
        # side by side when there is room, the receiver under the setup when narrow
        top = self._top = QBoxLayout(QBoxLayout.Direction.LeftToRight)
        top.addWidget(self.setup, 3)
        top.addWidget(line)
        top.addWidget(self.receiver, 2)
        events_label = QLabel("Recent events:")
        events_label.setBuddy(self.table)
        buttons = self._buttons = QHBoxLayout()
        buttons.addWidget(events_label)
        buttons.addStretch(1)
        buttons.addWidget(self.process_button)
        buttons.addWidget(self.retry_button)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addLayout(buttons)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.event_message)
        layout.addWidget(self.message)
        order = (
            self.setup.site,
            self.setup.site_button,
            self.setup.delivery,
            self.setup.copy_button,
            self.setup.key,
            self.setup.key_button,
            self.setup.forget_button,
            self.receiver.host,
            self.receiver.port,
            self.receiver.start_button,
            self.receiver.stop_button,
            self.process_button,
            self.retry_button,
            self.table,
        )
        for first, second in itertools.pairwise(order):
            QWidget.setTabOrder(first, second)

        self.timer = QTimer(self)
        self.timer.setInterval(REFRESH_MS)
        self.timer.timeout.connect(self._tick)
        self.setup.changed.connect(self.refresh)
        self.receiver.started.connect(lambda _: self.refresh())
        self.receiver.stopped.connect(self.refresh)
        self.process_button.clicked.connect(self.process_now)
        self.retry_button.clicked.connect(self.retry_failed)
        hub.status_changed.connect(self._show_status)
        self.table.selectionModel().currentRowChanged.connect(lambda *_: self._show_event())
        self.table.events.modelReset.connect(self._show_event)

    # -- reading -----------------------------------------------------------------------------

    def _show_event(self) -> None:
        index = self.table.currentIndex()
        if not index.isValid() or index.row() >= self.table.events.rowCount():
            self.event_message.clear_message()
            return
        row = self.table.events.row(index.row())
        text = printable(row.event.message)
        named = not row.invoice or text.startswith(row.invoice)
        self.event_message.show_message(text if named else f"{row.invoice}: {text}", "info")

    def _show_status(self, status: Status) -> None:
        self.refresh()  # first load, and the 503 sentence when the toggle moves

    def refresh(self) -> None:
        self._load.request()

    def _work(self, task: Task[WebhooksView]) -> WebhooksView:
        return load_view(self.service)

    def _tick(self) -> None:
        window = self.window()
        if self.receiver.running and self.receiver.on_event is not None:
            return  # this window's receiver tells of each event as it happens (gui/tray.py)
        if window.isVisible() and not window.isMinimized() and not self._load.in_flight:
            self.refresh()

    def _loaded(self, view: WebhooksView) -> None:
        before = self.view.status.counts.get(EventState.PROCESSED, 0) if self.view else None
        self.view = view
        self.setup.show_status(view.status)
        self.receiver.show_view(view)
        self.table.events.set_rows(view.events)
        counts = view.status.counts
        self.retry_button.setEnabled(counts.get(EventState.FAILED, 0) > 0)
        self.view_loaded.emit(view)
        if before is not None and counts.get(EventState.PROCESSED, 0) != before:
            self.payments_changed.emit()

    def _failed(self, error: MaicaXeroError) -> None:
        self.message.show_message(say(error), "error")

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        narrow = event.size().width() < SIDE_BY_SIDE_WIDTH
        direction = QBoxLayout.Direction.TopToBottom if narrow else QBoxLayout.Direction.LeftToRight
        if self._top.direction() != direction:
            self._top.setDirection(direction)
            self._line.setFrameShape(QFrame.Shape.HLine if narrow else QFrame.Shape.VLine)

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self.timer.start()

    def hideEvent(self, event: QHideEvent) -> None:
        super().hideEvent(event)
        self.timer.stop()

    # -- actions -----------------------------------------------------------------------------

    def process_now(self) -> None:
        def work(task: Task[ProcessReport]) -> ProcessReport:
            return self.service.webhooks.process_now()

        self.runner.submit(
            work,
            on_done=self._processed,
            on_error=self._action_failed,
            button=self.process_button,
            name="process_webhooks",
        )

    def _processed(self, report: ProcessReport) -> None:
        self.message.show_message(report_sentence(report), "error" if report.failed else "ok")
        self.refresh()

    def retry_failed(self) -> None:
        def work(task: Task[int]) -> int:
            return self.service.webhooks.retry_failed()

        self.runner.submit(
            work,
            on_done=self._retried,
            on_error=self._action_failed,
            button=self.retry_button,
            name="retry_webhooks",
        )

    def _retried(self, count: int) -> None:
        later = "now" if self.receiver.running else "with Process now (the receiver is stopped)"
        text = f"{count} failed event(s) will be processed again {later}."
        self.message.show_message(text if count else "No failed events to retry.", "info")
        self.refresh()

    def _action_failed(self, error: MaicaXeroError) -> None:
        self.message.show_message(say(error), "error")
        self.refresh()

    def add_button(self, button: QPushButton) -> None:
        """An extra action next to Process now (the demo's "Record a payment")."""
        self._buttons.insertWidget(2, button)
        QWidget.setTabOrder(self.receiver.stop_button, button)
        QWidget.setTabOrder(button, self.process_button)

    def shutdown(self) -> None:
        """The window closes: no more refreshes; this window's receiver stops."""
        self.timer.stop()
        self.receiver.shutdown()
