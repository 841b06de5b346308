"""What the sync writes, one module per concern, gathered into one class for the store.

Links and run results (:mod:`.links`), the batch journal (:mod:`.batches`), runs (:mod:`.runs`),
payments (:mod:`.payments`), contacts and marks (:mod:`.contacts`). Every method is one transaction.
"""

from __future__ import annotations

from .batches import BatchRecords, OpenBatch
from .contacts import ContactRecords
from .links import LinkRecords, Outcome
from .payments import PaymentRecords, PaymentState
from .runs import RunRecord, RunRecords

__all__ = ["OpenBatch", "Outcome", "PaymentState", "RunRecord", "SyncRecords"]


class SyncRecords(LinkRecords, BatchRecords, RunRecords, PaymentRecords, ContactRecords):
    """Everything the sync records, per organisation. Never calls Xero; any thread."""
