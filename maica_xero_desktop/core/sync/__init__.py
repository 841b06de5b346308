"""The invoice sync: engine, pre-flight, contacts, reconciliation, payments."""

from .engine import SyncEngine
from .payments import PaymentSync
from .result import Progress, SyncBusy, SyncResult

__all__ = ["PaymentSync", "Progress", "SyncBusy", "SyncEngine", "SyncResult"]
