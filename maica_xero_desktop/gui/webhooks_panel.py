"""Section 3, "Webhooks": not in this version; the section says so and does nothing else."""

from __future__ import annotations

from PySide6.QtWidgets import QGroupBox, QLabel, QVBoxLayout, QWidget

NOT_YET = (
    "Real-time notifications from Xero (the webhook site and signing key) arrive in a later "
    "version. Until then, use “Refresh payments” below to bring payments made in Xero back."
)


class WebhooksPanel(QGroupBox):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Webhooks", parent)
        label = QLabel(NOT_YET)
        label.setWordWrap(True)
        label.setAccessibleName("Webhooks are not available yet")
        layout = QVBoxLayout(self)
        layout.addWidget(label)
        self.setEnabled(False)
