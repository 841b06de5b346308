"""The invoice sync: engine, pre-flight, contacts, reconciliation, payments."""

from .engine import Progress, SyncBusy, SyncEngine, SyncResult
from .payments import PaymentSync

__all__ = ["PaymentSync", "Progress", "SyncBusy", "SyncEngine", "SyncResult"]
