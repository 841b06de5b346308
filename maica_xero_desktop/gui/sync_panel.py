"""Section 4, "Synchronisation": the source (the Maica org or an imported file), the flow, Run Now
/ Preview / Cancel with progress, the schedule, and (below, in tabs) the invoices and the
history."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QGridLayout,
    QGroupBox,
    QLabel,
    QProgressBar,
    QPushButton,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from ..core.errors import (
    MaicaNeedsReconnect,
    MaicaNotConnected,
    MaicaXeroError,
    NeedsReconnect,
)
from ..core.maica import MaicaStatus
from ..core.service import FlowChoice, Service, Status
from ..core.states import RunState, TokenState
from ..core.sync import Progress, SyncResult
from .history_panel import HistoryPanel
from .invoices_panel import InvoicesPanel
from .panel import Panel
from .preview_dialog import PreviewDialog
from .schedule import ScheduleControl
from .state import StatusHub
from .tasks import Task, TaskRunner
from .widgets import StatusLine, WrappedLabel
from .wording import say

NEEDS_ORGANISATION = "Choose the active organisation under Active Connections to synchronise."
NOT_CONNECTED = "Connect to Xero first (under Active Connections) to synchronise."
RECONNECT = "Reconnect to Xero (under Active Connections) to synchronise."
OFF = "Turn the integration on (Enable the Integration) to synchronise."
MAICA_NOT_CONNECTED = (
    "Connect to the Maica org (under Active Connections) to synchronise, or choose the imported "
    "file as the source."
)
MAICA_RECONNECT = (
    "Reconnect to the Maica org (under Active Connections) to synchronise, or choose the imported "
    "file as the source."
)
FROM_FILE = "Run Now sends the invoices imported from a file (File → Import invoices…)."
FROM_MAICA = (
    "Run Now reads the invoices to send from the Maica org, sends them to Xero, then writes the "
    "Xero ids, numbers and payments back to Maica."
)
SOURCE_NEEDS_MAICA = "Connect to the Maica org under Active Connections to read invoices from it."


def source_name(maica: MaicaStatus | None) -> str:
    """The source a run reads, as the Synchronisation section names it."""
    if maica is None or maica.source != "maica":
        return "imported file"
    if maica.connected:
        return f"Maica org {maica.org_name or maica.instance_url}"
    return "Maica org (not connected)"


def maica_step(maica: MaicaStatus | None) -> str:
    """What the Maica source lacks for a run ("" when nothing, or when the source is a file)."""
    if maica is None or maica.source != "maica":
        return ""
    if maica.needs_reconnect:
        return MAICA_RECONNECT
    return "" if maica.connected else MAICA_NOT_CONNECTED


def missing_step(status: Status | None) -> str:
    """What stands between the administrator and a run ("" when nothing)."""
    if status is None or status.token_state == TokenState.NONE:
        return NOT_CONNECTED
    if status.token_state == TokenState.NEEDS_RECONNECT:
        return RECONNECT
    return "" if status.active_tenant_id else NEEDS_ORGANISATION


def _seconds(value: float) -> str:
    return f"{value:.1f} s" if value >= 0.1 else "under 0.1 s"


def summary(result: SyncResult) -> tuple[str, str]:
    """The sentence after a run, and its hint kind."""
    counts = (
        f"{result.selected} selected: {result.created} created, {result.linked} already in Xero, "
        f"{result.blocked} blocked, {result.failed} failed ({result.api_calls} Xero calls, "
        f"{_seconds(result.duration_s)})."
    )
    if result.pulled or result.written_back or result.maica_calls:
        counts += (
            f" Maica: {result.pulled} read, {result.written_back} written back, "
            f"{result.maica_calls} calls."
        )
    tail = f" {result.message}" if result.message else ""
    if result.state == RunState.CANCELLED:
        return f"Run cancelled. {counts}{tail}", "warning"
    if result.state == RunState.FAILED:
        return f"The run failed. {counts}{tail}", "error"
    if result.dry_run:
        return f"Preview: {counts}{tail}", "info"
    if result.complete:
        return f"Run finished. {counts}{tail}", "ok"
    return f"Run finished with problems. {counts}{tail}", "warning"


class SyncPanel(Panel, QGroupBox):
    run_started = Signal()
    #: a step of the active run (a Progress)
    run_progressed = Signal(object)
    #: a run (or preview) ended; carries the SyncResult
    run_finished = Signal(object)

    def __init__(
        self, service: Service, runner: TaskRunner, hub: StatusHub, parent: QWidget | None = None
    ) -> None:
        super().__init__(service, runner, hub, "Synchronisation", parent)
        self.run_task: Task[SyncResult] | None = None
        self.source_box = QComboBox()
        self.source_box.setAccessibleName("Source of the invoices")
        self.source_box.addItem("Imported file", "file")
        self.source_box.addItem("Maica org", "maica")
        self.flow_box = QComboBox()
        self.flow_box.setAccessibleName("Invoice Xero Sync Flow")
        self.flow_description = QLabel()
        self.flow_description.setWordWrap(True)
        self.flow_description.setAccessibleName("What the selected flow does")
        self.run_button = QPushButton("Run &Now")
        self.run_button.setAccessibleName("Run the sync now")
        self.preview_button = QPushButton("&Preview…")
        self.preview_button.setAccessibleName("Preview what a run would send")
        self.cancel_button = QPushButton("Cance&l run")
        self.cancel_button.setEnabled(False)
        self.progress = QProgressBar()
        self.progress.setAccessibleName("Run progress")
        self.progress.setRange(0, 1)
        self.progress.setValue(0)
        self.progress.setTextVisible(False)
        self.progress.hide()  # until the first run
        self.target = WrappedLabel("")
        self.target.setAccessibleName("Organisation a run sends to")
        self.step = QLabel("")
        self.step.setAccessibleName("Current step")
        self.step.hide()
        self.result_line = StatusLine()
        self.result_line.setAccessibleName("Run result")
        self.schedule = ScheduleControl(service, runner)
        self.invoices = InvoicesPanel(service, runner, hub)
        self.history = HistoryPanel(service, runner, hub)
        self.tabs = QTabWidget()
        self.tabs.addTab(self.invoices, "&Invoices")
        self.tabs.addTab(self.history, "His&tory")
        self.tabs.setMinimumHeight(260)

        # the source and the flow side by side, the flow described below them (the page keeps
        # its height; what the source means is the combo's tooltip)
        form = QGridLayout()
        source_label = QLabel("So&urce:")
        source_label.setBuddy(self.source_box)
        form.addWidget(source_label, 0, 0)
        form.addWidget(self.source_box, 0, 1)
        flow_label = QLabel("Fl&ow:")
        flow_label.setBuddy(self.flow_box)
        form.addWidget(flow_label, 0, 2)
        form.addWidget(self.flow_box, 0, 3)
        form.addWidget(self.flow_description, 1, 1, 1, 3)
        schedule_label = QLabel("&Schedule:")
        schedule_label.setBuddy(self.schedule.minutes)
        form.addWidget(schedule_label, 2, 0)
        form.addWidget(self.schedule, 2, 1, 1, 3)
        form.setColumnStretch(1, 2)
        form.setColumnStretch(3, 3)
        # Run Now, Preview, Cancel, the progress and the result line are shown by the window's
        # status strip (in reach from every section); this panel runs them.
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(form)
        layout.addWidget(self.tabs, 1)

        self.source_box.activated.connect(self._source_chosen)
        self.flow_box.activated.connect(self._flow_chosen)
        self.flow_box.currentIndexChanged.connect(self._describe)
        self.run_button.clicked.connect(self.run_now)
        self.preview_button.clicked.connect(lambda: self.start_run(dry_run=True))
        self.cancel_button.clicked.connect(self.cancel_run)
        self.schedule.run_due.connect(lambda: self.start_run(trigger="schedule"))
        self.history.retry_requested.connect(self.run_now)
        self.run_finished.connect(lambda _: self.invoices.reload())
        self.run_finished.connect(lambda _: self.history.reload(select_latest=True))
        hub.status_changed.connect(self._show_status)
        hub.maica_changed.connect(self._show_source)
        hub.connection_changed.connect(self._organisation_changed)
        self._flows_loaded = False
        self._show_source(None)

    # -- flows -------------------------------------------------------------------------------

    def load_flows(self) -> None:
        def work(task: Task[list[FlowChoice]]) -> list[FlowChoice]:
            return self.service.sync.flows()

        self.runner.submit(work, on_done=self._show_flows, name="flows")

    def _show_flows(self, flows: list[FlowChoice]) -> None:
        self._flows_loaded = True
        self.flow_box.blockSignals(True)
        self.flow_box.clear()
        for flow, selected in flows:
            self.flow_box.addItem(flow.name, flow.description)
            if selected:
                self.flow_box.setCurrentIndex(self.flow_box.count() - 1)
        self.flow_box.blockSignals(False)
        self._describe(self.flow_box.currentIndex())

    def _describe(self, index: int) -> None:
        description = self.flow_box.itemData(index)
        self.flow_description.setText(str(description or ""))

    def _flow_chosen(self, index: int) -> None:
        name = self.flow_box.itemText(index)

        def work(task: Task[str]) -> str:
            return self.service.set_flow(name)

        self.runner.submit(
            work,
            on_done=lambda _: self.hub.refresh(),
            on_error=lambda error: self.result_line.show_message(say(error), "error"),
            name="set_flow",
        )

    # -- source ------------------------------------------------------------------------------

    @property
    def source_text(self) -> str:
        """ "Source: Maica org <name>" or "Source: imported file"."""
        return f"Source: {source_name(self.hub.maica)}"

    def _show_source(self, maica: MaicaStatus | None) -> None:
        source = maica.source if maica else "file"
        connected = bool(maica and maica.connected)
        if maica is not None and connected:
            self.source_box.setItemText(1, f"Maica org {maica.org_name or maica.instance_url}")
        else:
            self.source_box.setItemText(1, "Maica org (not connected)")
        self.source_box.setCurrentIndex(1 if source == "maica" else 0)
        # the Maica org can be chosen once connected; the file can always be chosen back
        self.source_box.setEnabled(connected or source == "maica")
        item = self.source_box.model().index(1, 0)
        self.source_box.model().setData(
            item, None if connected else 0, Qt.ItemDataRole.UserRole - 1
        )
        meaning = FROM_MAICA if source == "maica" else FROM_FILE
        self.source_box.setToolTip(
            meaning if connected or source == "maica" else f"{meaning} {SOURCE_NEEDS_MAICA}"
        )
        self.source_box.setAccessibleDescription(f"{self.source_text}. {meaning}")
        self._update_buttons()

    def _source_chosen(self, index: int) -> None:
        source = str(self.source_box.itemData(index))
        if source == self.hub.source:
            return

        def work(task: Task[str]) -> str:
            return self.service.config_set("source", source)

        self.runner.submit(
            work,
            on_done=lambda _: self.hub.refresh(),
            on_error=self._source_failed,
            name="set_source",
        )

    def _source_failed(self, error: MaicaXeroError) -> None:
        self.result_line.show_message(say(error), "error")
        self._show_source(self.hub.maica)

    # -- status ------------------------------------------------------------------------------

    def _show_status(self, status: Status) -> None:
        if not self._flows_loaded:
            self.load_flows()
        self.schedule.show_minutes(status.schedule_minutes)
        missing = OFF if not status.enabled else missing_step(status) or maica_step(self.hub.maica)
        # the organisation itself is in the window's status strip, in full
        self.target.set_full_text(missing)
        self.target.setVisible(bool(missing))
        self._update_buttons()

    def _organisation_changed(self, tenant_id: str) -> None:
        """Signed out, or another organisation chosen: the last run's lines and an open preview
        speak of the previous one, so they go (a run still going keeps its own)."""
        if self.run_task is not None:
            return
        self.result_line.clear_message()
        self._say("")
        self.progress.setRange(0, 1)
        self.progress.setValue(0)
        self.progress.setTextVisible(False)
        self.progress.hide()
        for dialog in self.findChildren(PreviewDialog):
            dialog.close()

    def _update_buttons(self) -> None:
        status = self.hub.status
        missing = missing_step(status) or maica_step(self.hub.maica)
        if status is not None and not status.enabled:
            missing = OFF  # the buttons sit in the strip, outside the section the switch greys
        has_org = not missing
        idle = self.run_task is None
        self.run_button.setEnabled(has_org and idle)
        self.preview_button.setEnabled(has_org and idle)
        self.cancel_button.setEnabled(not idle)
        tip = missing
        self.run_button.setToolTip(tip or "Send the flow's invoices to Xero now")
        self.preview_button.setToolTip(tip or "Show what a run would send and what is blocked")
        self.schedule.set_run_active(not idle)

    # -- runs --------------------------------------------------------------------------------

    @property
    def running(self) -> bool:
        return self.run_task is not None

    def run_now(self) -> None:
        self.start_run()

    def start_run(self, dry_run: bool = False, trigger: str = "manual") -> bool:
        """Start a run (or a preview) unless one is active; returns whether it started."""
        if self.run_task is not None:
            return False
        self.progress.setRange(0, 0)  # busy until the first step reports a total
        self.progress.setTextVisible(True)
        self.progress.show()
        self._say("Starting…")
        self.result_line.clear_message()

        def work(task: Task[SyncResult]) -> SyncResult:
            return self.service.sync.run(
                dry_run=dry_run, trigger=trigger, progress=task.progress, cancel=task.cancel
            )

        self.run_task = self.runner.submit(
            work,
            on_done=self._finished,
            on_error=self._run_failed,
            on_progress=self._progressed,
            queue=self.hub.sync_queue(),
            button=self.preview_button if dry_run else self.run_button,
            name="preview" if dry_run else "sync",
        )
        self._update_buttons()
        self.run_started.emit()
        return True

    def cancel_run(self) -> None:
        if self.run_task is not None:
            self.run_task.cancel.set()
            self._say("Cancelling after the current batch…")
            self.cancel_button.setEnabled(False)

    def _progressed(self, value: object) -> None:
        if not isinstance(value, Progress):
            return
        if value.total > 0:
            self.progress.setRange(0, value.total)
            self.progress.setValue(value.done)
        self._say(value.step)
        self.run_progressed.emit(value)

    def _say(self, step: str) -> None:
        self.step.setText(step)
        self.step.setVisible(bool(step))

    def _finished(self, result: SyncResult) -> None:
        self.run_task = None
        self.progress.setRange(0, max(1, result.selected))
        self.progress.setValue(max(1, result.selected) if result.state == RunState.FINISHED else 0)
        self._say("")
        text, kind = summary(result)
        self.result_line.show_message(text, kind)
        self._update_buttons()
        self.hub.refresh()
        self.run_finished.emit(result)
        if result.dry_run and result.state == RunState.FINISHED:
            PreviewDialog(result, self, self.invoices.edit_mapping_for).open()

    def _run_failed(self, error: MaicaXeroError) -> None:
        self.run_task = None
        self.progress.setRange(0, 1)
        self.progress.setValue(0)
        self.progress.setTextVisible(False)
        self._say("")
        self.result_line.show_message(say(error), "error")
        self._update_buttons()
        if isinstance(error, NeedsReconnect | MaicaNeedsReconnect | MaicaNotConnected):
            self.hub.refresh()  # the status (and the Maica block) show what to reconnect
