"""The "Background" options: start at login (minimised to the tray), what closing the window
does while a schedule or the receiver is active, and whether payments received notify.

A small self-contained widget (the window places it); the files and the registry value are
written by :mod:`maica_xero_desktop.core.autostart`, settings through the task runner.
``setting_changed(name, value)`` tells the tray (:class:`.tray.Background`) at once."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QCheckBox, QComboBox, QFormLayout, QLabel, QWidget

from ..core import autostart
from ..core.errors import MaicaXeroError
from ..core.service import Service
from ..core.settings import Settings
from .tasks import Task, TaskRunner
from .widgets import StatusLine

CLOSE_CHOICES = (
    ("", "Ask me"),
    ("tray", "Keep running in the tray"),
    ("quit", "Quit"),
)


class BackgroundOptions(QWidget):
    """Not one of Maica's four sections: a plain titled block the window places."""

    setting_changed = Signal(str, object)

    def __init__(
        self,
        service: Service,
        runner: TaskRunner,
        parent: QWidget | None = None,
        login: autostart.Autostart | None = None,
    ) -> None:
        super().__init__(parent)
        self.service = service
        self.runner = runner
        self.login = login or autostart.for_platform()
        self.start_at_login = QCheckBox("Start at login, minimised to the tray")
        self.start_at_login.setAccessibleName("Start Maica Xero Desktop at login")
        tip = f"Writes {self.login.path}."
        if not self.login.tested:
            tip += f" Not yet tried on {self.login.system}."
        self.start_at_login.setToolTip(tip)
        self.on_close = QComboBox()
        self.on_close.setAccessibleName(
            "When the window closes while a schedule or the receiver is active"
        )
        for value, text in CLOSE_CHOICES:
            self.on_close.addItem(text, value)
        self.notify_payments = QCheckBox("Notify when Xero reports a payment")
        self.notify_payments.setAccessibleName("Notify when Xero reports a payment")
        self.message = StatusLine()
        title = QLabel("<b>Background</b>")
        title.setAccessibleName("Background options")
        form = QFormLayout(self)
        form.addRow(title)
        form.addRow(self.start_at_login)
        form.addRow("Closing the window while the schedule or the receiver works:", self.on_close)
        form.addRow(self.notify_payments)
        form.addRow(self.message)
        self.start_at_login.setChecked(self.login.is_enabled())
        self.start_at_login.toggled.connect(self._login_toggled)
        self.on_close.activated.connect(self._close_chosen)
        self.notify_payments.toggled.connect(lambda on: self._save("notify_payments", bool(on)))
        self.load()

    def load(self) -> None:
        def work(task: Task[Settings]) -> Settings:
            return self.service.settings()

        self.runner.submit(work, on_done=self._show, on_error=self._failed, name="background")

    def _show(self, settings: Settings) -> None:
        index = self.on_close.findData(settings.close_to_tray)
        self.on_close.setCurrentIndex(max(0, index))
        self.notify_payments.blockSignals(True)
        self.notify_payments.setChecked(settings.notify_payments)
        self.notify_payments.blockSignals(False)

    def show_close_choice(self, value: str) -> None:
        """The close question was answered and remembered elsewhere."""
        self.on_close.setCurrentIndex(max(0, self.on_close.findData(value)))

    def _login_toggled(self, on: bool) -> None:
        login = self.login

        def work(task: Task[bool]) -> bool:
            if on:
                login.enable(autostart.launch_command())
            else:
                login.disable()
            return login.is_enabled()

        self.runner.submit(work, on_done=self._login_done, on_error=self._login_failed)

    def _login_done(self, enabled: bool) -> None:
        self.message.clear_message()
        self._set_login(enabled)

    def _login_failed(self, error: MaicaXeroError) -> None:
        self.message.show_message(error.sentence, "error")
        self._set_login(self.login.is_enabled())

    def _set_login(self, enabled: bool) -> None:
        self.start_at_login.blockSignals(True)
        self.start_at_login.setChecked(enabled)
        self.start_at_login.blockSignals(False)

    def _close_chosen(self, index: int) -> None:
        self._save("close_to_tray", str(self.on_close.itemData(index) or ""))

    def _save(self, name: str, value: object) -> None:
        self.setting_changed.emit(name, value)

        def work(task: Task[None]) -> None:
            self.service.update_settings(lambda s: setattr(s, name, value))

        self.runner.submit(work, on_error=self._failed, name=f"save {name}")

    def _failed(self, error: MaicaXeroError) -> None:
        self.message.show_message(error.sentence, "error")
