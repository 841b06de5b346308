"""Working in the background: the tray icon and its menu, closing to the tray, the receiver's
events as they happen, and notifications (:mod:`.notify`).

``Background(window)`` is created once by ``app.main``. While a schedule is set (and not paused)
or this window's receiver listens, closing the window hides it to the tray — after asking once,
the answer kept in the ``close_to_tray`` setting. Quit (tray menu, File menu when in the tray)
stops the receiver and ends the process.

The tray icon has three states, told apart by a badge painted over the application icon: none
(idle), a blue circle with a white arc (a run is going) and a red circle with "!" (something
needs attention: a notification not yet seen, or the sign-in).

The receiver's listener calls ``on_event`` on its own threads; :class:`ReceiverRelay` turns each
call into a queued Qt signal, so the Webhooks section reloads when a delivery, an Intent to
Receive or a processing round happens, rather than on a timer.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Literal

from PySide6.QtCore import QObject, QRectF, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QCloseEvent, QColor, QFont, QIcon, QPainter, QPen, QPixmap
from PySide6.QtWidgets import QApplication, QCheckBox, QMenu, QMessageBox, QSystemTrayIcon

from ..core.errors import MaicaXeroError
from ..core.settings import Settings
from ..core.states import TokenState
from ..core.webhooks import DEFAULT_HOST
from .icons import app_icon
from .notify import Notice, Notifier, TrayNotifier, Watcher
from .tasks import Task

if TYPE_CHECKING:
    from .main_window import MainWindow

log = logging.getLogger(__name__)

State = Literal["idle", "running", "attention"]
ICON_SIZES = (16, 22, 24, 32, 48, 64)
TRAY = "tray"
QUIT = "quit"
ASK_TITLE = "Keep Maica Xero Desktop running?"


def tray_icon(state: State) -> QIcon:
    """The application icon with the state's badge in its lower right quarter."""
    base = app_icon()
    icon = QIcon()
    for size in ICON_SIZES:
        pixmap = base.pixmap(size, size)
        if pixmap.isNull():
            pixmap = QPixmap(size, size)
            pixmap.fill(QColor("#2f6db5"))
        if state != "idle":
            _badge(pixmap, state)
        icon.addPixmap(pixmap)
    return icon


def _badge(pixmap: QPixmap, state: State) -> None:
    size = pixmap.width()
    d = max(8.0, size * 0.55)
    rect = QRectF(size - d, size - d, d, d).adjusted(0.5, 0.5, -0.5, -0.5)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(QPen(QColor("white"), max(1.0, d / 10)))
    painter.setBrush(QColor("#1a73e8" if state == "running" else "#d93025"))
    painter.drawEllipse(rect)
    inner = rect.adjusted(d * 0.25, d * 0.25, -d * 0.25, -d * 0.25)
    if state == "running":
        painter.setPen(QPen(QColor("white"), max(1.0, d / 7)))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawArc(inner, 90 * 16, -270 * 16)
    else:
        font = QFont()
        font.setBold(True)
        font.setPixelSize(max(6, int(d * 0.8)))
        painter.setFont(font)
        painter.setPen(QColor("white"))
        painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, "!")
    painter.end()


class ReceiverRelay(QObject):
    """Created on the GUI thread; ``tell`` may be called from any thread (a queued signal)."""

    happened = Signal(str)

    def tell(self, what: str) -> None:
        self.happened.emit(what)


def ask_close(window: MainWindow) -> tuple[str, bool]:
    """The close-to-tray question: ("tray" | "quit" | "", remember). "" is Cancel."""
    box = close_question(window)
    box.exec()
    clicked = box.clickedButton()
    choice = clicked.property("choice") if clicked is not None else ""
    checkbox = box.checkBox()
    return str(choice or ""), bool(checkbox is not None and checkbox.isChecked())


def close_question(window: MainWindow) -> QMessageBox:
    box = QMessageBox(window)
    box.setIcon(QMessageBox.Icon.Question)
    box.setWindowTitle(ASK_TITLE)
    box.setText(ASK_TITLE)
    box.setInformativeText(
        "The schedule and the webhook receiver work only while Maica Xero Desktop runs. Keep it "
        "running in the system tray when the window closes? Quit from the tray icon's menu."
    )
    keep = box.addButton("&Keep running in the tray", QMessageBox.ButtonRole.AcceptRole)
    keep.setProperty("choice", TRAY)
    quit_button = box.addButton("&Quit", QMessageBox.ButtonRole.DestructiveRole)
    quit_button.setProperty("choice", QUIT)
    box.addButton(QMessageBox.StandardButton.Cancel)
    box.setDefaultButton(keep)
    remember = QCheckBox("&Remember my answer (change it under Background)", box)
    remember.setChecked(True)
    box.setCheckBox(remember)
    return box


class Background(QObject):
    """The tray, close-to-tray, the receiver relay and the notification watcher of one window."""

    state_changed = Signal(str)

    def __init__(
        self,
        window: MainWindow,
        *,
        notifier: Notifier | None = None,
        available: bool | None = None,
        ask: Callable[[MainWindow], tuple[str, bool]] = ask_close,
        quit_app: Callable[[], None] | None = None,
    ) -> None:
        super().__init__(window)
        self.window = window
        self.available = QSystemTrayIcon.isSystemTrayAvailable() if available is None else available
        self._ask = ask
        self._quit_app = quit_app or QApplication.quit
        self.close_choice = ""
        self.quitting = False
        self.hidden_once = False
        self.state: State = "idle"
        self._icons = {s: tray_icon(s) for s in ("idle", "running", "attention")}
        self.tray = QSystemTrayIcon(self._icons["idle"], self)
        self.notifier = notifier or TrayNotifier(self.tray, self)
        self.watcher = Watcher(window, self.notifier)
        self.relay = ReceiverRelay(self)
        self.menu = QMenu(window)
        self._build_menu()
        self.tray.setContextMenu(self.menu)
        self.tray.activated.connect(self._activated)

        sync, receiver = window.sync, window.webhooks.receiver
        receiver.on_event = self.relay.tell
        self.relay.happened.connect(self._receiver_event)
        self.notifier.opened.connect(window.open_section)
        for signal in (sync.run_started, receiver.started, receiver.stopped):
            signal.connect(self.update)
        sync.run_finished.connect(lambda _: self.update())
        window.runner.busy_changed.connect(self.update)
        window.hub.status_changed.connect(lambda _: self.update())
        self.watcher.attention_changed.connect(lambda _: self.update())
        window.webhooks.view_loaded.connect(self._first_view)
        window.background_options.setting_changed.connect(self._option_changed)
        window.background = self
        self._receiver_at_start: str | None = None  # until the settings are read
        self._view_seen = False
        self._load_settings()
        self.update()
        if QSystemTrayIcon.isSystemTrayAvailable():
            self.tray.show()

    # -- the menu ----------------------------------------------------------------------------

    def _build_menu(self) -> None:
        menu = self.menu
        self.open_action = QAction("&Open Maica Xero Desktop", self)
        self.open_action.triggered.connect(lambda: self.window.open_section(""))
        self.run_action = QAction("&Run Now", self)
        self.run_action.triggered.connect(self._run_now)
        self.pause_action = QAction("&Pause schedule", self)
        self.pause_action.setCheckable(True)
        self.pause_action.toggled.connect(self._pause)
        self.receiver_action = QAction("Receiver: stopped", self)  # opens Webhooks
        self.receiver_action.triggered.connect(lambda: self.window.open_section("webhooks"))
        self.quit_action = QAction("&Quit", self)
        self.quit_action.triggered.connect(self.quit)
        menu.addAction(self.open_action)
        menu.addSeparator()
        menu.addAction(self.run_action)
        menu.addAction(self.pause_action)
        menu.addSeparator()
        menu.addAction(self.receiver_action)
        menu.addSeparator()
        menu.addAction(self.quit_action)
        menu.aboutToShow.connect(self.update)

    def _run_now(self) -> None:
        self.window.sync.run_now()
        if not self.window.isVisible():  # its outcome is not on screen: notify as scheduled
            self.watcher.watch_run("Run from the tray")

    def _pause(self, paused: bool) -> None:
        self.window.sync.schedule.set_paused(paused)
        self.update()

    def _activated(self, reason: QSystemTrayIcon.ActivationReason) -> None:
        if reason in (
            QSystemTrayIcon.ActivationReason.Trigger,
            QSystemTrayIcon.ActivationReason.DoubleClick,
        ):
            self.window.open_section("")

    def update(self) -> None:
        """The menu's and the icon's state from the window's."""
        window = self.window
        sync, schedule, receiver = window.sync, window.sync.schedule, window.webhooks.receiver
        self.run_action.setEnabled(sync.run_button.isEnabled())
        self.pause_action.setEnabled(schedule.interval_minutes > 0)
        self.pause_action.blockSignals(True)
        self.pause_action.setChecked(schedule.paused)
        self.pause_action.blockSignals(False)
        if receiver.running:
            where = receiver.url.removeprefix("http://")
            self.receiver_action.setText(f"Receiver: listening on {where}")
        else:
            self.receiver_action.setText("Receiver: stopped")
        status = window.hub.status
        attention = self.watcher.attention or bool(
            status and status.token_state == TokenState.NEEDS_RECONNECT
        )
        state: State = "attention" if attention else "running" if sync.running else "idle"
        if state != self.state:
            self.state = state
            self.tray.setIcon(self._icons[state])
            self.state_changed.emit(state)
        self.tray.setToolTip(self.tooltip())

    def tooltip(self) -> str:
        schedule = self.window.sync.schedule
        parts = ["Maica Xero Desktop"]
        if self.window.sync.running:
            parts.append("a run is going")
        if schedule.next_at is not None:
            when = "paused" if schedule.paused else f"next run {schedule.next_at:%H:%M}"
            parts.append(f"schedule {when}")
        receiver = self.window.webhooks.receiver
        parts.append("receiver listening" if receiver.running else "receiver stopped")
        if self.state == "attention":
            parts.append("needs attention")
        return " — ".join(parts)

    # -- closing -----------------------------------------------------------------------------

    def keeps_working(self) -> bool:
        """A schedule is set and not paused, or this window's receiver listens."""
        return self.window.sync.schedule.active or self.window.webhooks.receiver.running

    def close_to_tray(self, event: QCloseEvent) -> bool:
        """The window is closing: hide it to the tray instead (True), or let it close — and
        then the application quits (``app.main`` turns Qt's quit-on-last-window off, so that a
        message box closing while the window is in the tray does not end the process)."""
        if self._hide_instead(event):
            return True
        if not self.quitting:
            self.prepare_quit()
        QTimer.singleShot(0, self._quit_app)
        return False

    def _hide_instead(self, event: QCloseEvent) -> bool:
        if self.quitting or not self.available or not self.keeps_working():
            return False
        choice = self.close_choice
        if choice not in (TRAY, QUIT):
            choice, remember = self._ask(self.window)
            if not choice:
                event.ignore()
                return True  # Cancel: nothing closes
            if remember:
                self.save_setting("close_to_tray", choice)
        if choice == QUIT:
            return False
        event.ignore()
        self.window.hide()
        if not self.hidden_once:
            self.hidden_once = True
            self.notifier.notify(
                Notice(
                    "Still running in the tray",
                    "The schedule and the webhook receiver keep working. Quit from this icon's "
                    "menu.",
                    "",
                    "info",
                )
            )
        return True

    def prepare_quit(self) -> None:
        """The process is about to end: the receiver's stop is not news; remember whether it
        ran, so it starts again with the next window (at login, say)."""
        self.quitting = self.watcher.quitting = True
        receiver = self.window.webhooks.receiver
        if receiver.running:
            address = f"{receiver.host.text().strip() or DEFAULT_HOST}:{receiver.port.value()}"
        else:
            address = ""
        if self._receiver_at_start is not None and address != self._receiver_at_start:
            try:
                self._update(lambda s: setattr(s, "receiver_at_start", address))
            except MaicaXeroError as exc:  # quitting anyway: the receiver just won't restart
                log.warning("The receiver's state was not saved: %s", exc.sentence)
        self.tray.hide()

    def quit(self) -> None:
        """Quit: stop the receiver and the runs (the window's close does it) and end."""
        self.prepare_quit()
        self.window.close()
        self._quit_app()

    # -- settings ----------------------------------------------------------------------------

    def _update(self, change: Callable[[Settings], None]) -> None:
        self.window.service.update_settings(change)

    def _option_changed(self, name: str, value: object) -> None:
        if name == "close_to_tray":
            self.close_choice = str(value)
        elif name == "notify_payments":
            self.watcher.notify_payments = bool(value)

    def save_setting(self, name: str, value: object) -> None:
        self._option_changed(name, value)
        if name == "close_to_tray":
            self.window.background_options.show_close_choice(str(value))

        def work(task: Task[None]) -> None:
            self._update(lambda s: setattr(s, name, value))

        self.window.runner.submit(work, name=f"save {name}")

    def _load_settings(self) -> None:
        def work(task: Task[Settings]) -> Settings:
            return self.window.service.settings()

        self.window.runner.submit(work, on_done=self._settings_loaded, name="background settings")

    def _settings_loaded(self, settings: Settings) -> None:
        if not self.close_choice:
            self.close_choice = settings.close_to_tray
        self.watcher.notify_payments = settings.notify_payments
        self._receiver_at_start = settings.receiver_at_start
        self._restart_receiver()

    def _first_view(self) -> None:
        self.window.webhooks.view_loaded.disconnect(self._first_view)
        self._view_seen = True
        self._restart_receiver()

    def _restart_receiver(self) -> None:
        """Once both the settings and the first webhooks view are in: start the receiver that
        ran when the application last quit."""
        address = self._receiver_at_start
        receiver = self.window.webhooks.receiver
        if not self._view_seen or address is None:
            return
        if not address or receiver.running or not receiver.key_saved or self.quitting:
            return
        host, _, port = address.rpartition(":")
        if host and port.isdigit():
            receiver.host.setText(host)
            receiver.port.setValue(int(port))
            QTimer.singleShot(0, receiver.start)

    # -- the receiver's events ---------------------------------------------------------------

    def _receiver_event(self, what: str) -> None:
        self.watcher.receiver_event(what)
        if what != "stopped":
            self.window.webhooks.refresh()
        self.update()
