"""A scripted tour of the real window in demo mode that saves a PNG of each state
(``python -m maica_xero_desktop.gui.app --screenshots DIR``; ``scripts/screenshots`` runs it
under Xvfb). Each step acts, waits (without blocking the event loop) until the window shows the
state, then grabs it. ``MAICA_XERO_SCREENSHOT_SIZE`` (``1280x800``, the default, or e.g.
``1024x700``) sizes the window; ``MAICA_XERO_SCREENSHOT_THEME=dark`` takes them in a dark
palette."""

from __future__ import annotations

import dataclasses
import logging
import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QTimer
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import QApplication, QDialog, QMessageBox, QWidget

from ..demo import DemoContext, use_sample_file
from .main_window import MainWindow
from .resources import resource_path
from .tasks import Task
from .theme import apply_theme

log = logging.getLogger(__name__)

LONG_NAME = (
    "Maica Care Services and Community Participation Supports for the Northern Rivers, New "
    "England, Mid North Coast, Hunter and Central Coast Regions of New South Wales Pty Ltd"
)
POLL_MS = 50
SETTLE_MS = 250
STEP_TIMEOUT_MS = 20_000
SIZE_ENV, THEME_ENV = "MAICA_XERO_SCREENSHOT_SIZE", "MAICA_XERO_SCREENSHOT_THEME"


def window_size() -> tuple[int, int]:
    width, _, height = os.environ.get(SIZE_ENV, "1280x800").partition("x")
    return int(width), int(height)


@dataclass
class Step:
    name: str
    action: Callable[[], None]
    ready: Callable[[], bool]
    #: grab the whole screen (dialogs are separate windows) instead of the main window
    screen: bool = False
    #: False: a step on the way to the next state, not a state to keep
    save: bool = True


class ScreenshotTour(QObject):
    def __init__(self, window: MainWindow, context: DemoContext, folder: Path) -> None:
        super().__init__(window)
        self.window = window
        self.context = context
        self.folder = folder
        self.saved: list[Path] = []
        self._steps: list[Step] = []
        self._waited = 0
        self._finished_runs = 0
        self._scratch = Path(tempfile.mkdtemp(prefix="maica-xero-shots-"))
        window.sync.run_finished.connect(self._count_run)

    def _count_run(self, _: object) -> None:
        self._finished_runs += 1

    # -- the tour ----------------------------------------------------------------------------

    def start(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        app = QApplication.instance()
        if isinstance(app, QApplication):
            apply_theme(app, os.environ.get(THEME_ENV, ""))
        self.window.setGeometry(0, 0, *window_size())
        self._steps = self._plan()
        self._next()

    def _idle(self) -> bool:
        return self.window.hub.status is not None and not self.window.runner.is_busy()

    def _plan(self) -> list[Step]:
        w = self.window
        panel = w.connections
        main_org = "3d6c2f0e-5b8a-4c71-9e2d-7a1f4b8c6d53"
        runs_before = 0

        maica = panel.maica
        demo_company = "8a1e7b4c-0d39-4f62-b5a8-e2c9d6f1037b"

        def connect_maica() -> None:
            self._scroll_to(panel)
            maica.connect_button.click()

        def maica_details() -> None:
            maica.show_details()

        def maica_dialog_shown() -> bool:
            return maica.dialog is not None and maica.dialog.isVisible() and self._idle()

        def confirm_names() -> None:
            if maica.dialog is not None:
                maica.dialog.confirm_button.click()

        hidden = {"sobject": "maica_cc__Invoice__c", "field": "maica_cc__Xero_Invoice_No__c"}

        def break_mapping() -> None:
            _close_dialogs()
            # field-level security takes the Xero number field from the API user
            self.context.sandbox.maica_fields(hidden["sobject"], hide=[hidden["field"]])
            maica.check_button.click()

        def mapping_broken() -> bool:
            return maica.check is not None and bool(maica.check.problems()) and self._idle()

        def mend_mapping() -> None:
            self.context.sandbox.maica_fields(hidden["sobject"], show=[hidden["field"]])
            maica.check_button.click()

        def mapping_mended() -> bool:
            return maica.check is not None and maica.check.ok and self._idle()

        def refuse_maica_sign_in() -> None:
            def refused(s: Any) -> None:
                s.sf_needs_reconnect = True
                s.sf_needs_reconnect_reason = "The Maica org refused the saved sign-in."

            w.service.update_settings(refused)
            w.hub.refresh()

        def reconnect_maica() -> None:
            maica.connect_button.click()

        def maica_reconnected() -> bool:
            status = w.hub.maica
            return (
                status is not None
                and status.connected
                and not status.needs_reconnect
                and maica.check is not None
                and self._idle()
            )

        def use_demo_company() -> None:
            _close_dialogs()
            panel.select_tenant(demo_company)
            panel.use_button.click()

        def run_from_maica() -> None:
            nonlocal runs_before
            runs_before = self._finished_runs
            self._scroll_to(w.sync)
            w.sync.tabs.setCurrentWidget(w.sync.history)
            w.sync.run_button.click()

        def back_to_the_file() -> None:
            context = self.context

            def switched(_: None) -> None:
                w.hub.refresh()
                w.sync.invoices.reload()

            def work(task: Task[None]) -> None:
                use_sample_file(context)

            w.runner.submit(work, on_done=switched, name="demo_sample_file")

        def connect_and_use() -> None:
            self._scroll_to(panel)
            panel.connect_button.click()

        def use_first() -> None:
            panel.select_tenant(main_org)
            panel.use_button.click()

        def preview() -> None:
            self._scroll_to(w.sync)
            w.sync.preview_button.click()

        def rename() -> None:
            _close_dialogs()
            w.sync.result_line.clear_message()
            orgs = self.context.sandbox.state.orgs
            orgs[main_org] = dataclasses.replace(orgs[main_org], name=LONG_NAME)
            panel.refresh_button.click()
            use_after_refresh.start()

        def use_again() -> None:
            # choose it again so the settings (and the status) carry the new name
            panel.select_tenant(main_org)
            panel.use_selected()

        use_after_refresh = QTimer(self)
        use_after_refresh.setSingleShot(True)
        use_after_refresh.setInterval(600)
        use_after_refresh.timeout.connect(use_again)

        def disable() -> None:
            self._scroll_to(w.enable)
            w.enable.toggle.click()

        def enable_and_break() -> None:
            w.enable.toggle.click()
            self._scroll_to(panel)
            self.context.sandbox.add_fault(status=503, endpoint="connections.get", count=50)
            fail_refresh.start()

        fail_refresh = QTimer(self)
        fail_refresh.setSingleShot(True)
        fail_refresh.setInterval(600)
        fail_refresh.timeout.connect(panel.refresh_button.click)

        def run_now() -> None:
            nonlocal runs_before
            self.context.sandbox.clear_faults()
            panel.status.clear_message()
            runs_before = self._finished_runs
            self._scroll_to(w.sync)
            w.sync.tabs.setCurrentWidget(w.sync.history)
            w.sync.run_button.click()

        def broken_import() -> None:
            self._scroll_to(w.sync)
            w.sync.tabs.setCurrentWidget(w.sync.invoices)
            w.sync.invoices.import_file(str(_broken_export(self._scratch)))

        def show_webhooks() -> None:
            self._scroll_to(w.webhooks)
            sender = self.context.sandbox.webhooks
            w.runner.submit(lambda task: sender.intent_to_receive(6), name="intent_to_receive")

        def intent_shown() -> bool:
            return w.webhooks.receiver.running and "passes" in w.webhooks.receiver.intent.text()

        def pay_by_webhook() -> None:
            if w.demo_webhooks is not None:
                w.demo_webhooks.pay()

        def payment_processed() -> bool:
            events = w.webhooks.table.events
            return any(
                "Partially Paid" in events.row(i).event.message for i in range(events.rowCount())
            )

        def expire_sign_in() -> None:
            _close_dialogs()
            w.sync.invoices.status.clear_message()
            self.context.sandbox.advance_clock(61 * 86400)  # unused for 61 days: Xero forgets it
            self._scroll_to(panel)
            panel.refresh_button.click()

        invoices = w.sync.invoices

        def invoice_shown(number: str, state: str | None, button: bool = False) -> bool:
            """Ready once the list (filtered to ``state``) shows ``number`` selected, its details
            read (and, with ``button``, the way to its support item's mapping offered)."""
            if not self._idle() or invoices.state_box.currentData() != state:
                return False
            row = invoices.detail.row
            if row is None or row.invoice_number != number:
                invoices.select_invoice(number)
                return False
            return not button or invoices.detail.edit_button.isVisible()

        def show_invoices(state: str | None) -> Callable[[], None]:
            def act() -> None:
                _close_dialogs()
                self._scroll_to(w.sync)
                w.sync.tabs.setCurrentWidget(invoices)
                invoices.state_box.setCurrentIndex(invoices.state_box.findData(state))

            return act

        def first_shown(state: str) -> bool:
            if not self._idle() or invoices.state_box.currentData() != state:
                return False
            if invoices.model.rowCount() and invoices.detail.row is None:
                invoices.table.selectRow(0)
                return False
            return True

        def edit_mapping() -> None:
            invoices.detail.edit_button.click()

        def editor_ready() -> bool:
            editor = invoices.editor
            return (
                editor is not None
                and editor.isVisible()
                and editor.notice.kind in ("ok", "error", "warning")
                and not editor.notice.text().startswith("Reading")
                and self._idle()
            )

        def reconnect() -> None:
            _close_dialogs()
            panel.reconnect_button.click()

        def sign_out() -> None:
            QTimer.singleShot(400, lambda: _answer_question("Sign out"))
            self._scroll_to(panel)
            panel.logout_button.click()  # asks first; the timer answers inside that question

        def signed_out() -> bool:
            status = w.hub.status
            return status is not None and status.token_state == "none" and self._idle()

        def show_sync() -> None:
            self._scroll_to(w.sync)

        return [
            Step("01-start-not-connected", lambda: None, self._idle),
            Step(
                "01b-maica-org-connected",
                connect_maica,
                lambda: w.hub.maica_connected and maica.check is not None and self._idle(),
            ),
            Step("01c-maica-mapping-details", maica_details, maica_dialog_shown, screen=True),
            Step(
                "01d-maica-names-confirmed",
                confirm_names,
                lambda: maica.check is not None and not maica.check.unconfirmed and self._idle(),
                screen=True,
            ),
            Step("01e-maica-mapping-problem", break_mapping, mapping_broken),
            Step("maica-mapping-mended", mend_mapping, mapping_mended, save=False),
            Step(
                "01f-maica-needs-reconnecting",
                refuse_maica_sign_in,
                lambda: maica.reconnect_line.isVisible() and self._idle(),
            ),
            Step("maica-reconnected", reconnect_maica, maica_reconnected, save=False),
            Step("02a-connecting", connect_and_use, lambda: panel.table.rowCount() > 0),
            Step(
                "demo-company-used",
                use_demo_company,
                lambda: w.hub.tenant_id == demo_company and self._idle(),
                save=False,
            ),
            Step(
                "02b-run-from-the-maica-org",
                run_from_maica,
                lambda: self._finished_runs > runs_before and self._idle(),
            ),
            Step(
                "02c-source-switched-to-the-file",
                back_to_the_file,
                lambda: w.hub.source == "file" and self._idle(),
            ),
            Step(
                "02-connected-organisation-selected",
                use_first,
                lambda: w.hub.tenant_id == main_org and self._idle(),
            ),
            Step(
                "03-preview",
                preview,
                lambda: _visible_dialog() is not None and self._idle(),
                screen=True,
            ),
            Step(
                "04-long-organisation-name",
                rename,
                lambda: (
                    w.hub.status is not None
                    and w.hub.status.active_tenant_name == LONG_NAME
                    and self._idle()
                ),
            ),
            Step("05-integration-disabled", disable, lambda: not w.gated.isEnabled()),
            Step(
                "06-error-shown",
                enable_and_break,
                lambda: panel.status.kind == "error" and self._idle(),
            ),
            Step(
                "07-finished-run-with-history",
                run_now,
                lambda: self._finished_runs > runs_before and self._idle(),
            ),
            Step("10-webhooks-listening", show_webhooks, lambda: intent_shown() and self._idle()),
            Step(
                "11-webhook-payment-processed",
                pay_by_webhook,
                lambda: payment_processed() and self._idle(),
            ),
            Step(
                "12-blocked-row-with-reason",
                show_invoices("blocked"),
                lambda: invoice_shown("INV-002417", "blocked", button=True),
            ),
            Step("13-mapping-editor", edit_mapping, editor_ready, screen=True),
            Step(
                "14-not-eligible-row",
                show_invoices("not_eligible"),
                lambda: first_shown("not_eligible"),
            ),
            Step(
                "15-gst-invoice-INV-002438",
                show_invoices(None),
                lambda: invoice_shown("INV-002438", None),
            ),
            Step(
                "08-import-errors",
                broken_import,
                lambda: _visible_dialog() is not None,
                screen=True,
            ),
            Step(
                "09-needs-reconnecting",
                expire_sign_in,
                lambda: panel.reconnect_box.isVisible() and self._idle(),
            ),
            Step(
                "reconnected",
                reconnect,
                lambda: w.hub.tenant_id == main_org and self._idle(),
                save=False,
            ),
            Step("16-after-sign-out", sign_out, signed_out),
            Step("17-after-sign-out-synchronisation", show_sync, self._idle),
        ]

    def _scroll_to(self, section: QWidget) -> None:
        """Open the page of a section."""
        self.window.show_section(section)

    # -- the driver --------------------------------------------------------------------------

    def _next(self) -> None:
        if not self._steps:
            self._finish()
            return
        step = self._steps[0]
        log.info("Screenshot step %s", step.name)
        step.action()
        self._waited = 0
        QTimer.singleShot(POLL_MS, self._poll)

    def _poll(self) -> None:
        step = self._steps[0]
        self._waited += POLL_MS
        if step.ready():
            QTimer.singleShot(SETTLE_MS, self._grab)
        elif self._waited >= STEP_TIMEOUT_MS:
            log.warning("Screenshot step %s timed out; saving what is shown.", step.name)
            self._grab()
        else:
            QTimer.singleShot(POLL_MS, self._poll)

    def _grab(self) -> None:
        step = self._steps.pop(0)
        if not step.save:
            self._next()
            return
        pixmap = self._screen_pixmap() if step.screen else self.window.grab()
        path = self.folder / f"{step.name}.png"
        pixmap.save(str(path), "PNG")
        self.saved.append(path)
        print(f"saved {path}", flush=True)
        self._next()

    def _screen_pixmap(self) -> QPixmap:
        screen = self.window.screen()
        pixmap = screen.grabWindow(0)
        if pixmap.isNull():  # platforms without screen grabs: the dialog alone
            dialog = _visible_dialog()
            return (dialog or self.window).grab()
        return pixmap

    def _finish(self) -> None:
        print(f"{len(self.saved)} screenshots in {self.folder}", flush=True)
        shutil.rmtree(self._scratch, ignore_errors=True)
        self.window.close()
        QApplication.quit()


def _close_dialogs() -> None:
    for widget in QApplication.topLevelWidgets():
        if isinstance(widget, QDialog) and widget.isVisible():
            widget.close()


def _answer_question(answer: str) -> None:
    """Press the button labelled ``answer`` in the question box on screen (a confirmation)."""
    for widget in QApplication.topLevelWidgets():
        if isinstance(widget, QMessageBox) and widget.isVisible():
            for button in widget.buttons():
                if button.text() == answer:
                    button.click()
                    return


def _visible_dialog() -> QWidget | None:
    for widget in QApplication.topLevelWidgets():
        if isinstance(widget, QDialog) and widget.isVisible():
            return widget
    return None


def _broken_export(folder: Path) -> Path:
    """The sample with two rows spoilt: a quantity that is not a number, a date in the wrong
    format."""
    lines = resource_path("sample-maica-export.csv").read_text(encoding="utf-8").splitlines()
    header = lines[0].split(",")
    first = lines[1].split(",")
    first[header.index("quantity")] = "three"
    second = lines[5].split(",")
    second[header.index("invoice_date")] = "12/10/2026"
    path = folder / "maica-export-with-mistakes.csv"
    path.write_text("\n".join([lines[0], ",".join(first), *lines[2:5], ",".join(second)]) + "\n")
    return path
