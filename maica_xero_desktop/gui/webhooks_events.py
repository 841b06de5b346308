"""What the Webhooks section shows, read in one go off the GUI thread: the service's
:class:`WebhookStatus`, the recent events (with invoice numbers and organisation names looked up),
and the sentences made from them. Nothing here touches a widget."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableView, QWidget

from ..core.service import Service
from ..core.states import EventState
from ..core.store import StoredEvent
from ..core.webhooks import WebhookStatus
from .organisation_names import organisation_names
from .table_model import RowsModel
from .widgets import fit_headers, style_row_table
from .wording import say

EVENT_LIMIT = 50
COUNT_ORDER = (EventState.PROCESSED, EventState.NEW, EventState.IGNORED, EventState.FAILED)


@dataclass(frozen=True)
class EventRow:
    event: StoredEvent
    organisation: str
    invoice: str


@dataclass(frozen=True)
class WebhooksView:
    status: WebhookStatus
    events: list[EventRow]
    #: this window's receiver address ("" when it does not run one)
    listener_url: str
    enabled: bool


def load_view(service: Service) -> WebhooksView:
    """Runs on a worker thread: status, recent events, names for them."""
    hooks = service.webhooks
    status = hooks.status()
    events = hooks.events(limit=EVENT_LIMIT)
    settings = service.settings()
    names = organisation_names(service)
    by_tenant: dict[str, list[str]] = {}
    for e in events:
        by_tenant.setdefault(e.tenant_id, []).append(e.resource_id)
    numbers: dict[str, str] = {}
    for tenant, ids in by_tenant.items():
        for xero_id, number in service.linked_invoice_numbers(tenant, ids).items():
            numbers[f"{tenant.lower()}/{xero_id}"] = number
    rows = [
        EventRow(
            e,
            names.get(e.tenant_id.lower()) or _short(e.tenant_id),
            numbers.get(f"{e.tenant_id.lower()}/{e.resource_id.lower()}") or _short(e.resource_id),
        )
        for e in events
    ]
    listener = hooks.active_listener
    return WebhooksView(status, rows, listener.url if listener else "", settings.enabled)


def _short(identifier: str) -> str:
    return f"{identifier[:8]}…" if len(identifier) > 9 else identifier


def when(moment: Any) -> str:
    """A local time: today as 14:02:11, other days with the date."""
    if not isinstance(moment, int | float) or moment <= 0:
        return ""
    at = datetime.fromtimestamp(moment).astimezone()
    if at.date() == datetime.now().astimezone().date():
        return at.strftime("%H:%M:%S")
    return at.strftime("%Y-%m-%d %H:%M")


# -- sentences ------------------------------------------------------------------------------


def receiver_sentence(view: WebhooksView) -> tuple[str, str]:
    """Whether (and where) a receiver listens, and the integration's effect on it; hint kind."""
    status = view.status
    receiver = status.receiver
    where = f"{receiver.get('host')}:{receiver.get('port')}"
    if view.listener_url:
        text, kind = f"Listening on {where}.", "ok"
    elif status.listening:
        pid = receiver.get("pid")
        other = f" by another program (process {pid})" if pid != os.getpid() else ""
        text, kind = f"Listening on {where}{other}.", "ok"
    else:
        stopped = when(receiver.get("stopped_at"))
        tail = f" (stopped at {stopped})" if stopped else ""
        return f"Not listening{tail}. Start the receiver to take deliveries from Xero.", "info"
    if not view.enabled:
        return (
            f"{text} The integration is off: deliveries are still answered and stored, "
            "and processed once it is turned on again.",
            "warning",
        )
    return text, kind


def intent_sentence(status: WebhookStatus) -> str:
    itr = status.intent_to_receive
    if not itr:
        return "Intent to Receive: none received yet (Xero sends it when you save the URL)."
    ok, refused = int(itr.get("answered_200", 0)), int(itr.get("answered_401", 0))
    at = when(itr.get("last_at"))
    verdict = "passes" if ok and refused else "incomplete"
    return f"Intent to Receive at {at}: {ok} answered 200, {refused} answered 401 ({verdict})."


def events_sentence(status: WebhookStatus) -> str:
    counts = ", ".join(f"{status.counts.get(name, 0)} {name}" for name in COUNT_ORDER)
    last = when(status.last_event_at)
    last_text = f"last at {last}" if last else "none yet"
    catch_up = status.catch_up
    pulled = ""
    if catch_up and catch_up.get("ok"):
        pulled = f" Catch-up at {when(catch_up.get('at'))}: {catch_up.get('changed', 0)} changed."
    elif catch_up:
        reason = say(catch_up.get("message") or "see the log.")
        pulled = f" Catch-up pull not done: {reason}"
    return f"Events: {counts} ({last_text}).{pulled}"


# -- the table ------------------------------------------------------------------------------

COLUMNS: tuple[tuple[str, Any], ...] = (
    ("Received", lambda r: when(r.event.received_at)),
    ("Organisation", lambda r: r.organisation),
    ("Event", lambda r: f"{r.event.category.title()} {r.event.event_type.lower()}"),
    ("Invoice", lambda r: r.invoice),
    ("Status", lambda r: r.event.status),
    ("Message", lambda r: r.event.message),
)


class EventsTable(QTableView):
    """The recent events, newest first; ``model`` is a :class:`RowsModel` of :class:`EventRow`."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.events: RowsModel[EventRow] = RowsModel(COLUMNS)
        self.setModel(self.events)
        style_row_table(self, "Recent webhook events")
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setAlternatingRowColors(True)
        header = self.horizontalHeader()
        for column, width in enumerate((80, 200, 120, 110, 80)):
            header.resizeSection(column, width)
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        fit_headers(self)
        rows = self.verticalHeader().defaultSectionSize()
        self.setMinimumHeight(header.sizeHint().height() + 3 * rows + 4)
