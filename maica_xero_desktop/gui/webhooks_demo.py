"""Demo mode only: the Webhooks section wired to the sandbox's "Xero". The receiver starts by
itself on the demo's port, the sandbox's webhook sender follows it, and "Record a payment in the
sandbox" (menu and button) pays part of a synced invoice so a person can watch the payment
arrive by webhook and change the invoice's status. "Show the Payment records in Maica" writes
back what is pending and lists the sandbox org's Payment records: the payment made in Xero, now
a record in Maica."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING

from PySide6.QtGui import QAction
from PySide6.QtWidgets import QPushButton

from ..core.errors import ConfigurationError
from ..core.states import LinkState
from ..core.store import InvoiceRow
from ..demo import DemoContext, active_demo, maica_payments, payment_lines, point_sender_at
from .tasks import Task
from .wording import say

if TYPE_CHECKING:
    from .main_window import MainWindow

PAY_TEXT = "Record a payment in the sandbox"
MAICA_PAYMENTS_TEXT = "Show the Payment records in Maica"
NO_MAICA_PAYMENTS = (
    "The sandbox's Maica org has no Payment record yet: record a payment in the sandbox, wait "
    "for its webhook, then look again."
)


def maica_payments_sentence(context: DemoContext) -> str:
    """Runs on a worker thread: write back what is pending, then the org's Payment records."""
    lines = payment_lines(maica_payments(context))
    if not lines:
        return NO_MAICA_PAYMENTS
    count = len(lines)
    head = f"The sandbox's Maica org holds {count} Payment record{'s' if count != 1 else ''}:"
    return "\n".join([head, *lines])


NOTHING_TO_PAY = (
    "Nothing to pay yet: connect, choose an organisation and run the sync first, so the "
    "sandbox's Xero has invoices with an amount due."
)


def _due(row: InvoiceRow) -> Decimal:
    try:
        return Decimal(row.amount_due or "0")
    except InvalidOperation:
        return Decimal(0)


def pay_part_of_an_invoice(context: DemoContext) -> str:
    """Runs on a worker thread: half of what is due on a synced invoice (unpaid ones first)."""
    service = context.service
    rows = [
        r
        for r in service.sync.invoices(state=LinkState.SYNCED)
        if r.xero_invoice_id and _due(r) > 0
    ]
    if not rows:
        raise ConfigurationError(NOTHING_TO_PAY)
    unpaid = [r for r in rows if Decimal(r.amount_paid or "0") == 0]
    target = (unpaid or rows)[0]
    amount = max(Decimal("0.01"), (_due(target) / 2).quantize(Decimal("0.01")))
    try:
        context.sandbox.pay(
            str(amount),
            invoice_id=target.xero_invoice_id,
            tenant_id=service.settings().active_tenant_id,
        )
    except ValueError as exc:
        raise ConfigurationError(f"The sandbox did not record the payment: {exc}") from None
    return (
        f"Recorded a payment of {amount:,.2f} on {target.invoice_number} in the sandbox's Xero; "
        "its webhook is on the way."
    )


class DemoWebhooks:
    """Attached to the window by :func:`add_demo_actions`; keeps the demo's pieces together."""

    def __init__(self, window: MainWindow, context: DemoContext) -> None:
        self.window = window
        self.context = context
        self._autostarted = False
        panel = window.webhooks
        panel.receiver.port.setValue(context.webhook_port)
        panel.receiver.started.connect(lambda url: point_sender_at(context, url))
        panel.view_loaded.connect(lambda _: self._maybe_start())
        window.hub.connection_changed.connect(lambda _: self._maybe_start())
        self.action = QAction("Record a &payment in the sandbox", window)
        self.action.triggered.connect(self.pay)
        self.maica_action = QAction("Show the Payment records in &Maica", window)
        self.maica_action.triggered.connect(self.show_maica_payments)
        menu = window.menuBar().addMenu("Sandbo&x")
        menu.addAction(self.action)
        menu.addAction(self.maica_action)
        self.button = QPushButton(PAY_TEXT)
        self.button.setAccessibleName(PAY_TEXT)
        self.button.setToolTip("Demo only: pays half of what is due on a synced invoice")
        self.button.clicked.connect(self.pay)
        panel.add_button(self.button)
        self.maica_button = QPushButton(MAICA_PAYMENTS_TEXT)
        self.maica_button.setAccessibleName(MAICA_PAYMENTS_TEXT)
        self.maica_button.setToolTip(
            "Demo only: writes pending payments back to the sandbox's Maica org and lists its "
            "Payment records"
        )
        self.maica_button.clicked.connect(self.show_maica_payments)
        panel.add_button(self.maica_button)

    def _maybe_start(self) -> None:
        """Once an organisation is chosen (so the catch-up pull has one), start the receiver."""
        receiver = self.window.webhooks.receiver
        view = self.window.webhooks.view
        if self._autostarted or receiver.running or view is None or not view.enabled:
            return
        if view.status.key_saved and self.window.hub.tenant_id:
            self._autostarted = True
            receiver.start()

    def pay(self) -> None:
        panel = self.window.webhooks
        context = self.context

        def work(task: Task[str]) -> str:
            return pay_part_of_an_invoice(context)

        self.window.runner.submit(
            work,
            on_done=lambda text: panel.message.show_message(text, "ok"),
            on_error=lambda error: panel.message.show_message(say(error), "error"),
            button=self.button,
            name="demo_pay",
        )

    def show_maica_payments(self) -> None:
        panel = self.window.webhooks
        context = self.context

        def work(task: Task[str]) -> str:
            return maica_payments_sentence(context)

        self.window.runner.submit(
            work,
            on_done=lambda text: panel.message.show_message(text, "ok"),
            on_error=lambda error: panel.message.show_message(say(error), "error"),
            button=self.maica_button,
            name="demo_maica_payments",
        )


def add_demo_actions(window: MainWindow) -> DemoWebhooks | None:
    """In demo mode with a running demo for this window's service: wire its webhooks."""
    context = active_demo()
    if context is None or context.closed or context.service is not window.service:
        return None
    return DemoWebhooks(window, context)
