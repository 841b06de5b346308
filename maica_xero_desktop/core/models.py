"""Maica invoice records as the rest of the core sees them (after import, before mapping)."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from datetime import date
from decimal import Decimal
from typing import Any

MAICA_STATUSES = ("Entered", "Not Paid", "Partially Paid", "Fully Paid", "Cancelled")


@dataclass(frozen=True)
class Line:
    support_item_number: str
    quantity: Decimal
    unit_price: Decimal
    support_item_name: str = ""
    #: the export's line_description ("" when absent: the support item's mapping applies)
    description: str = ""
    service_date: date | None = None
    #: per-line overrides of the support item's mapping ("" when absent)
    account_code: str = ""
    tax_type: str = ""
    #: up to two (category, option) pairs
    tracking: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Invoice:
    invoice_number: str
    invoice_date: date
    status: str
    funding_type: str
    participant_id: str
    participant_name: str
    lines: tuple[Line, ...]
    due_date: date | None = None
    ndis_number: str = ""
    bill_to_name: str = ""
    bill_to_email: str = ""
    currency: str = "AUD"

    def fingerprint(self) -> str:
        """A stable digest of everything that would be sent: a change means a different invoice."""
        return hashlib.sha256(
            json.dumps(asdict(self), default=_plain, sort_keys=True).encode("utf-8")
        ).hexdigest()


def _plain(value: Any) -> str:
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(type(value).__name__)
