"""Reading Xero's JSON: MS-JSON dates, amounts, validation messages."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from ..textsafe import printable

_MS_DATE = re.compile(r"/Date\((-?\d+)([+-]\d{4})?\)/")
ZERO_ID = "00000000-0000-0000-0000-000000000000"


def ms_date(value: Any) -> datetime | None:
    """``/Date(1539993600000+0000)/`` (or an ISO string) as an aware UTC datetime."""
    if not isinstance(value, str):
        return None
    match = _MS_DATE.fullmatch(value.strip())
    if match:
        try:
            return datetime.fromtimestamp(int(match.group(1)) / 1000, tz=UTC)
        except (OverflowError, OSError, ValueError):
            return None
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def amount(value: Any) -> Decimal | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None


def messages(element: dict[str, Any], key: str = "ValidationErrors") -> list[str]:
    found = element.get(key)
    if not isinstance(found, list):
        return []
    # Xero's own words, escaped: they reach the store, the terminal and the log.
    return [printable(str(m.get("Message", "")).strip()) for m in found if isinstance(m, dict)]


def items(body: Any, key: str) -> list[dict[str, Any]]:
    if not isinstance(body, dict):
        return []
    found = body.get(key)
    if not isinstance(found, list):
        return []
    return [item for item in found if isinstance(item, dict)]
