"""The main window: the four sections of Maica's Xero Integration page (Enable, Active
Connections, Webhooks, Synchronisation), one page each behind a sidebar, under an always-visible
status strip that holds Run Now, Preview and the last run's outcome. No page scrolls as a whole:
the lists inside a page take the room that is left, so the wheel scrolls only what is under it.
It wires the panels together; each panel does its own work."""

from __future__ import annotations

import gc
import logging
from typing import TYPE_CHECKING

from PySide6.QtCore import QByteArray, QSettings, Qt, QTimer
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence, QShowEvent
from PySide6.QtWidgets import (
    QFrame,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QMessageBox,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from .. import __version__
from ..core.service import Service, Status
from ..core.states import SIGNED_OUT
from .autostart import BackgroundOptions
from .connections_panel import ConnectionsPanel
from .enable_panel import EnablePanel
from .errors import ErrorPresenter
from .focus_ring import FocusRings
from .guide import (
    Page,
    SectionList,
    checklist,
    checklist_html,
    needs_attention,
    next_steps,
    webhooks_empty,
)
from .log_view import LogDialog, QtLogHandler, install_log_handler
from .state import StatusHub
from .status_strip import StatusStrip
from .sync_panel import SyncPanel
from .tasks import TaskRunner
from .webhooks_panel import WebhooksPanel
from .widgets import StatusLine

if TYPE_CHECKING:
    from .tray import Background

log = logging.getLogger(__name__)

TITLE = "Maica Xero Desktop"
DEMO_BANNER = "Demo — offline sandbox, nothing is real; secrets kept in memory."
SECTIONS = ("Enable the Integration", "Active Connections", "Webhooks", "Synchronisation")
DEFAULT_SIZE = (1280, 800)


class MainWindow(QMainWindow):
    def __init__(
        self,
        service: Service,
        *,
        demo: bool = False,
        log_handler: QtLogHandler | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.service = service
        self.setWindowTitle(f"{TITLE} (demo)" if demo else TITLE)
        self.presenter = ErrorPresenter(self)
        self.presenter.window = self
        self.presenter.log_file = str(service.paths.log_file)
        self.runner = TaskRunner(self.presenter, self)
        self.hub = StatusHub(service, self.runner, self)
        self._own_handler = log_handler is None
        self.log_handler = log_handler or install_log_handler()
        self.log_dialog: LogDialog | None = None

        self.enable = EnablePanel(service, self.runner, self.hub)
        self.connections = ConnectionsPanel(service, self.runner, self.hub)
        self.webhooks = WebhooksPanel(service, self.runner, self.hub)
        self.sync = SyncPanel(service, self.runner, self.hub)
        self.strip = StatusStrip(self.hub, self.sync)
        panels: tuple[QGroupBox, ...] = (self.enable, self.connections, self.webhooks, self.sync)
        self.pages = [
            Page(title, panel, fill=panel is not self.enable)
            for title, panel in zip(SECTIONS, panels, strict=True)
        ]
        self.checklist = QLabel()
        self.checklist.setAccessibleName("Getting started")
        self.checklist.setTextFormat(Qt.TextFormat.RichText)
        self.checklist.setWordWrap(True)
        self.pages[0].extra.addWidget(self.checklist)
        #: what the Enable switch governs (the client id steps and the Enable page never are)
        self.gated_widgets: tuple[QWidget, ...] = (
            self.connections.body,
            self.webhooks,
            self.sync,
        )
        for widget in self.gated_widgets:
            widget.setEnabled(False)
        self.stack = QStackedWidget()
        for page in self.pages:
            self.stack.addWidget(page)
        self.nav = SectionList(SECTIONS, self.stack)

        central = QWidget()
        layout = QVBoxLayout(central)
        layout.setContentsMargins(8, 8, 8, 8)
        self.banner: StatusLine | None = None
        if demo:
            self.banner = StatusLine()
            self.banner.setAccessibleName("Demo mode")
            self.banner.setFrameShape(QFrame.Shape.StyledPanel)
            self.banner.setMargin(4)
            self.banner.show_message(DEMO_BANNER, "warning")
            layout.addWidget(self.banner)
        # Working in the background (gui/tray.py, gui/autostart.py): the options, on the Enable
        # page; app.main adds the tray (self.background), which closeEvent asks first.
        self.background_options = BackgroundOptions(service, self.runner)
        self.pages[0].extra.addWidget(self.background_options)
        self.background: Background | None = None
        layout.addWidget(self.strip)
        body = QHBoxLayout()
        body.addWidget(self.nav)
        body.addWidget(self.stack, 1)
        layout.addLayout(body, 1)
        self.setCentralWidget(central)
        self._menus()
        self.webhooks.payments_changed.connect(self.sync.invoices.reload)
        self.webhooks.view_loaded.connect(self.strip.show_webhooks)
        self.webhooks.view_loaded.connect(self._show_webhooks_empty)
        self.sync.invoices.model.loaded.connect(lambda *_: self._update_checklist())
        self.demo_webhooks = None
        if demo:
            from .webhooks_demo import add_demo_actions

            self.demo_webhooks = add_demo_actions(self)

        self.focus_rings = FocusRings(self)  # keyboard focus, clearly visible in every style
        self.hub.status_changed.connect(self._show_status)
        self._guide_after_enable = False
        self.enable.toggle.toggled.connect(self._toggled)
        self._started = False
        self._lists_loaded = False
        self._settings = QSettings(
            str(service.paths.config_dir / "window.ini"), QSettings.Format.IniFormat
        )
        geometry = self._settings.value("geometry")
        if not isinstance(geometry, QByteArray) or not self.restoreGeometry(geometry):
            self.resize(*DEFAULT_SIZE)
        self.show_section(self.sync)  # where the work is; the first status may send it elsewhere

    @property
    def gated(self) -> QWidget:
        """The Synchronisation section, enabled only while the integration is on (tests)."""
        return self.sync

    def show_section(self, section: QWidget) -> None:
        """Open the page holding ``section`` (a panel or any widget inside one)."""
        for number, page in enumerate(self.pages):
            if page is section or page.isAncestorOf(section):
                self.nav.setCurrentRow(number)
                return

    def _menus(self) -> None:
        file_menu = self.menuBar().addMenu("&File")
        import_action = QAction("&Import invoices…", self)
        import_action.setShortcut(QKeySequence("Ctrl+I"))
        import_action.triggered.connect(self.sync.invoices.choose_file)
        file_menu.addAction(import_action)
        items_action = QAction("Support item &mapping…", self)
        items_action.setShortcut(QKeySequence("Ctrl+M"))
        items_action.triggered.connect(self.edit_mapping)
        file_menu.addAction(items_action)
        file_menu.addSeparator()
        quit_action = QAction("&Quit", self)
        quit_action.setShortcut(QKeySequence.StandardKey.Quit)
        quit_action.triggered.connect(self.quit)
        file_menu.addAction(quit_action)
        view_menu = self.menuBar().addMenu("&View")
        for number, (title, page) in enumerate(zip(SECTIONS, self.pages, strict=True), start=1):
            go = QAction(title, self)
            go.setShortcut(QKeySequence(f"Ctrl+{number}"))
            go.triggered.connect(lambda _=False, p=page: self.show_section(p))
            view_menu.addAction(go)
            self.addAction(go)  # the shortcut works with the menu closed
        view_menu.addSeparator()
        log_action = QAction("&Log…", self)
        log_action.setShortcut(QKeySequence("Ctrl+L"))
        log_action.triggered.connect(self.show_log)
        view_menu.addAction(log_action)
        help_menu = self.menuBar().addMenu("&Help")
        about = QAction("&About", self)
        about.triggered.connect(self._about)
        help_menu.addAction(about)

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if not self._started:
            self._started = True
            QTimer.singleShot(0, self.start)

    def start(self) -> None:
        """Called once the window is on screen (or hidden in the tray): asks the status hub for
        the first status, on a worker thread; each section loads its own lists when the status
        (and the active organisation) arrives. The invoice database opens on first use, under the
        service's lock, whichever worker asks first.

        The objects alive at this point (modules, Qt wrappers, the window) live as long as the
        process: ``gc.freeze()`` moves them out of the cyclic collector's reach, so a full
        collection during a sync (which stops every thread, the GUI thread included) walks only
        what was created since — measured: 40-65 ms pauses became 6-17 ms at worst."""
        gc.freeze()
        self.hub.refresh()

    def _show_status(self, status: Status) -> None:
        for widget in self.gated_widgets:
            widget.setEnabled(status.enabled)
        steps = next_steps(status, self.hub.maica)
        for title, attention in needs_attention(status).items():
            self.nav.mark(title, attention)
        self._update_checklist()
        for page in self.pages:
            page.show_state(status.enabled, steps.get(page.title_text, ""))
        if self._guide_after_enable and status.enabled:
            self._guide_after_enable = False  # turned on here: on to the next step of the setup
            if status.token_state in SIGNED_OUT or not status.active_tenant_id:
                self.show_section(self.connections)
        if not self._first_page_chosen:
            self._first_page_chosen = True
            if not status.enabled or not status.client_id:
                self.show_section(self.enable if status.client_id else self.connections)
            elif status.token_state in SIGNED_OUT or not status.active_tenant_id:
                self.show_section(self.connections)
        if not self._lists_loaded:
            self._lists_loaded = True
            self.sync.invoices.reload()
            self.sync.history.reload()

    _first_page_chosen = False

    def _update_checklist(self) -> None:
        status = self.hub.status
        if status is not None:
            steps = checklist(status, self.sync.invoices.model.total, self.hub.maica)
            self.checklist.setText(checklist_html(steps))

    def _toggled(self, on: bool) -> None:
        self._guide_after_enable = on

    def _show_webhooks_empty(self, view: object) -> None:
        self.pages[2].show_empty(webhooks_empty(view))

    def edit_mapping(self) -> None:
        self.sync.invoices.edit_mapping()

    def show_log(self) -> None:
        if self.log_dialog is None:
            self.log_dialog = LogDialog(self.log_handler, str(self.service.paths.log_file), self)
        self.log_dialog.show()
        self.log_dialog.raise_()

    def _about(self) -> None:
        QMessageBox.about(
            self,
            f"About {TITLE}",
            f"{TITLE} {__version__}\nLinks Maica invoice records to a Xero organisation.\n"
            f"Settings and logs: {self.service.paths.config_dir.parent}",
        )

    def quit(self) -> None:
        """File > Quit: end the application, even when closing would keep it in the tray."""
        if self.background is not None:
            self.background.quit()
        else:
            self.close()

    def start_in_tray(self) -> None:
        """Started minimised (``--minimised``, at login): load as if shown, stay hidden."""
        self._started = True
        QTimer.singleShot(0, self.start)

    def open_section(self, name: str) -> None:
        """Bring the window up at a section: enable, connections, webhooks or sync ("" for
        where it was). Notifications and the tray menu open the window through this."""
        self.showNormal()
        self.raise_()
        self.activateWindow()
        if self.background is not None:
            self.background.watcher.set_attention(False)
        panels: dict[str, QWidget] = {
            "enable": self.enable,
            "connections": self.connections,
            "webhooks": self.webhooks,
            "sync": self.sync,
        }
        widget = panels.get(name)
        if widget is not None:
            self.show_section(widget)
            widget.setFocus()

    def closeEvent(self, event: QCloseEvent) -> None:
        if self.background is not None and self.background.close_to_tray(event):
            return  # hidden to the tray (or Cancel): everything keeps running
        self._settings.setValue("geometry", self.saveGeometry())
        self._settings.sync()
        self.runner.shutdown()
        self.webhooks.shutdown()  # after the runner: no receiver start is still on its way
        if self._own_handler:
            logging.getLogger().removeHandler(self.log_handler)
        super().closeEvent(event)
