"""The local store: Maica invoice records and everything the sync records, in one SQLite file."""

from __future__ import annotations

from pathlib import Path

from .db import Database, StoreError
from .events import StoredEvent, WebhookEvents
from .invoice_import import ImportSummary
from .invoices import InvoiceRow, InvoiceStore, StoredInvoice, SupportItem
from .maica import MaicaRecords
from .records import OpenBatch, Outcome, PaymentState, RunRecord, SyncRecords

__all__ = [
    "ImportSummary",
    "InvoiceRow",
    "OpenBatch",
    "Outcome",
    "PaymentState",
    "RunRecord",
    "Store",
    "StoreError",
    "StoredEvent",
    "StoredInvoice",
    "SupportItem",
    "WebhookEvents",
]


class Store(InvoiceStore, SyncRecords, WebhookEvents, MaicaRecords):
    def __init__(self, path: Path) -> None:
        self.db = Database(path)

    def close(self) -> None:
        self.db.close()
