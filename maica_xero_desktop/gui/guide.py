"""The window's pages: a section's prominent title, what to do next there (the first run's guide
and each section's empty state), and the sidebar that opens them."""

from __future__ import annotations

import html
from collections.abc import Sequence

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QGroupBox,
    QLabel,
    QListWidget,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from ..core.maica import MaicaStatus
from ..core.service import Status
from ..core.states import SIGNED_IN, RunState, TokenState
from .webhooks_events import WebhooksView
from .widgets import StatusLine

ENABLE, CONNECTIONS, WEBHOOKS, SYNCHRONISATION = (
    "Enable the Integration",
    "Active Connections",
    "Webhooks",
    "Synchronisation",
)
OFF = (
    "The integration is off, so this section is inactive: turn it on under Enable the "
    "Integration (Ctrl+1)."
)
OFF_CONNECTIONS = (
    "The integration is off: the Xero app's client id can be saved now; connecting waits until "
    "it is on (Enable the Integration, Ctrl+1)."
)
NO_EVENTS = (
    "No webhook events yet. To receive Xero's payment updates as they happen: save the webhook "
    "site, paste the webhook key from your Xero app's Webhooks tab, then start the receiver. "
    "Deliveries show in the list below."
)
TITLE_SCALE = 1.6


def next_steps(status: Status, maica: MaicaStatus | None = None) -> dict[str, str]:
    """Per section title: the next thing to do there ("" when nothing is missing); ``maica``:
    the Maica org's status, when the org is the source of the invoices."""
    steps: dict[str, str] = {}
    if not status.client_id:
        steps[CONNECTIONS] = (
            "First run: create this computer's Xero app and save its client id (the three steps "
            "below). This works before the integration is turned on."
        )
        steps[ENABLE] = (
            "First create the Xero app and save its client id under Active Connections (Ctrl+2), "
            "then turn the integration on here."
        )
    elif not status.enabled:
        steps[ENABLE] = "Next: tick “Enable the Xero integration” to connect to Xero."
    elif status.token_state == TokenState.NONE:
        steps[CONNECTIONS] = "Next: press “Connect to Xero…” and sign in to Xero in the browser."
    elif status.token_state == TokenState.NEEDS_RECONNECT:
        steps[CONNECTIONS] = "Xero no longer accepts this computer's sign-in: press “Reconnect…”."
    elif not status.active_tenant_id:
        steps[CONNECTIONS] = (
            "Next: select the organisation to send invoices to and press “Use this organisation”."
        )
    if status.enabled and status.client_id and not status.active_tenant_id:
        steps[SYNCHRONISATION] = (
            "Runs need a Xero organisation: connect and choose one under Active Connections "
            "(Ctrl+2). Imported invoices stay listed below."
        )
    if (
        maica is not None
        and maica.source == "maica"
        and (not maica.connected or maica.needs_reconnect)
    ):
        to_do = (
            "Reconnect to the Maica org: press “Reconnect to Maica…”."
            if maica.needs_reconnect
            else "The invoices come from the Maica org: press “Connect to Maica…”."
        )
        steps[CONNECTIONS] = f"{steps[CONNECTIONS]} {to_do}" if CONNECTIONS in steps else to_do
    elif maica is not None and maica.needs_reconnect:
        to_do = (
            "The Maica org no longer accepts this computer's sign-in: press “Reconnect to Maica…”."
        )
        steps[CONNECTIONS] = f"{steps[CONNECTIONS]} {to_do}" if CONNECTIONS in steps else to_do
    elif maica is not None and maica.connected and maica.mapping_ok is False:
        to_do = MAICA_MAPPING_STEP
        steps[CONNECTIONS] = f"{steps[CONNECTIONS]} {to_do}" if CONNECTIONS in steps else to_do
    return steps


#: the Connections page's next step while the Maica org's field mapping needs the administrator
MAICA_MAPPING_STEP = (
    "The Maica field mapping needs you: press “Mapping details…” to confirm the names found by "
    "label or see what is missing."
)


#: (what to do, where) in the order a first run takes
CHECKLIST = (
    ("Create this computer's Xero app and save its client id", CONNECTIONS),
    ("Turn the integration on", ENABLE),
    ("Connect to Xero", CONNECTIONS),
    ("Choose the organisation to send invoices to", CONNECTIONS),
    ("Import a Maica invoice export", SYNCHRONISATION),
    ("Preview, then Run Now (at the top of the window)", SYNCHRONISATION),
)


#: the fifth step when the invoices come from the Maica org
MAICA_STEP = "Connect to the Maica org and confirm its field mapping"


def checklist(
    status: Status, invoices: int, maica: MaicaStatus | None = None
) -> list[tuple[str, str, bool]]:
    """(step, section, done) for the getting-started list (with the Maica org as the source,
    connecting to it replaces importing an export)."""
    done = (
        bool(status.client_id),
        status.enabled,
        status.token_state in SIGNED_IN,
        bool(status.active_tenant_id),
        invoices > 0,
        bool(status.last_run),
    )
    steps = [(step, where, flag) for (step, where), flag in zip(CHECKLIST, done, strict=True)]
    if maica is not None and maica.source == "maica":
        steps[4] = (MAICA_STEP, CONNECTIONS, maica.connected and bool(maica.mapping_ok))
    return steps


def checklist_html(steps: list[tuple[str, str, bool]]) -> str:
    rows = "".join(
        f"<li>{'✔ ' if done else ''}{html.escape(step)} — <i>{html.escape(where)}</i>"
        f"{' (done)' if done else ''}</li>"
        for step, where, done in steps
    )
    return f"<p><b>Getting started</b></p><ol>{rows}</ol>"


def webhooks_empty(view: object) -> str:
    """The Webhooks section's empty state ("" once events arrived)."""
    if isinstance(view, WebhooksView) and not view.events:
        return NO_EVENTS
    return ""


class Page(QWidget):
    """One section: its title, its guide line, the off notice, then the panel filling the rest."""

    def __init__(
        self, title: str, panel: QGroupBox, parent: QWidget | None = None, *, fill: bool = True
    ) -> None:
        super().__init__(parent)
        self.title_text = title
        self.panel = panel
        self.title = QLabel(title)
        self.title.setAccessibleName(f"{title} (section title)")
        font = self.title.font()
        font.setPointSizeF(font.pointSizeF() * TITLE_SCALE)
        font.setBold(True)
        self.title.setFont(font)
        self.title.setTextFormat(Qt.TextFormat.PlainText)
        self.off = StatusLine()
        self.off.setAccessibleName("Integration off")
        self.hint = StatusLine()
        self.hint.setAccessibleName(f"{title}: what to do next")
        self._step = ""
        self._empty = ""
        panel.setTitle("")  # the page title names it
        panel.installEventFilter(self)  # and no frame around it: the page is the section
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 0, 0, 0)
        layout.addWidget(self.title)
        layout.addWidget(self.off)
        layout.addWidget(self.hint)
        layout.addWidget(panel, 1 if fill else 0)
        self.extra = QVBoxLayout()  # what a page adds under its panel (the Enable page's guide)
        layout.addLayout(self.extra)
        if not fill:
            layout.addStretch(1)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """The panel's own painting is only its group box frame: skipped (its children paint)."""
        if watched is self.panel and event.type() == QEvent.Type.Paint:
            return True
        return super().eventFilter(watched, event)

    def show_state(self, enabled: bool, step: str) -> None:
        if self.title_text == ENABLE or enabled:
            self.off.clear_message()
        else:
            self.off.show_message(
                OFF_CONNECTIONS if self.title_text == CONNECTIONS else OFF, "warning"
            )
        self._step = step
        self._show_hint()

    def show_empty(self, text: str) -> None:
        self._empty = text
        self._show_hint()

    def _show_hint(self) -> None:
        text = " ".join(t for t in (self._step, self._empty) if t)
        if text:
            self.hint.show_message(text, "info")
        else:
            self.hint.clear_message()


ATTENTION = " ⚠"


def needs_attention(status: Status) -> dict[str, bool]:
    """The sections with something the administrator must act on (marked in the sidebar)."""
    run = status.last_run or {}
    return {
        CONNECTIONS: status.token_state in (TokenState.NEEDS_RECONNECT, TokenState.UNAVAILABLE)
        or (status.enabled and not status.client_id),
        SYNCHRONISATION: run.get("state") == RunState.FAILED or bool(run.get("failed")),
    }


class SectionList(QListWidget):
    """The sidebar: one entry per section, in Maica's order; the arrow keys move between them."""

    def __init__(self, titles: Sequence[str], stack: QStackedWidget) -> None:
        super().__init__()
        self.setAccessibleName("Sections")
        self.addItems(list(titles))
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setSpacing(2)
        width = max(self.fontMetrics().horizontalAdvance(t + ATTENTION) for t in titles)
        self.setFixedWidth(width + 24)
        self.titles = list(titles)
        self.currentRowChanged.connect(stack.setCurrentIndex)
        self.setCurrentRow(0)

    def mark(self, title: str, attention: bool) -> None:
        """A ⚠ after a section that needs acting on (its page says what)."""
        row = self.titles.index(title)
        item = self.item(row)
        item.setText(title + (ATTENTION if attention else ""))
        item.setData(
            Qt.ItemDataRole.AccessibleTextRole, f"{title}, needs attention" if attention else title
        )
