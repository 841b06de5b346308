"""Salesforce value formats: 18-character Ids, datetimes, money rounding."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime, timedelta, timezone
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

_BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_SUFFIX = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"
_ID15 = re.compile(r"[a-zA-Z0-9]{15}")
_ID18 = re.compile(r"[a-zA-Z0-9]{18}")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_DATETIME = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?"
    r"(Z|[+-]\d{2}:?\d{2})?",
    re.IGNORECASE,
)


def id_suffix(id15: str) -> str:
    """Salesforce's case-safe 3-character suffix of a 15-character Id."""
    out = []
    for start in (0, 5, 10):
        bits = 0
        for i, char in enumerate(id15[start : start + 5]):
            if "A" <= char <= "Z":
                bits |= 1 << i
        out.append(_SUFFIX[bits])
    return "".join(out)


def make_id(prefix: str, number: int) -> str:
    """The ``number``-th record of an object with key ``prefix``: 18 characters."""
    digits = ""
    n = number
    while n:
        n, rem = divmod(n, 62)
        digits = _BASE62[rem] + digits
    id15 = f"{prefix}5g{digits.rjust(10, '0')}"
    return id15 + id_suffix(id15)


def normalize_id(text: str) -> str | None:
    """An 18-character Id for a 15- or 18-character one (None when it is not an Id)."""
    if _ID18.fullmatch(text):
        return text[:15] + id_suffix(text[:15])
    if _ID15.fullmatch(text):
        return text + id_suffix(text)
    return None


def sf_datetime(seconds: float) -> str:
    """How Salesforce writes datetimes in JSON: ``2026-11-27T09:14:11.000+0000``."""
    moment = datetime.fromtimestamp(seconds, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}+0000"


def parse_datetime(text: str) -> str | None:
    """A datetime literal or JSON value in UTC, in :func:`sf_datetime`'s (sortable) format."""
    found = _DATETIME.fullmatch(text.strip())
    if found is None:
        if _DATE.fullmatch(text.strip()):
            return f"{text.strip()}T00:00:00.000+0000"
        return None
    year, month, day, hour, minute, second, frac, zone = found.groups()
    try:
        moment = datetime(
            int(year), int(month), int(day), int(hour), int(minute), int(second or 0), tzinfo=UTC
        )
    except ValueError:
        return None
    millis = int((frac or "0").ljust(3, "0")[:3])
    if zone and zone.upper() != "Z":
        sign = -1 if zone[0] == "-" else 1
        digits = zone[1:].replace(":", "")
        offset = timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
        moment = moment.replace(tzinfo=timezone(sign * offset)).astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{millis:03d}+0000"


def parse_date(text: str) -> str | None:
    text = text.strip()
    if not _DATE.fullmatch(text):
        return None
    try:
        datetime.strptime(text, "%Y-%m-%d")
    except ValueError:
        return None
    return text


def money(value: float | Decimal, scale: int = 2) -> float:
    """Rounded to ``scale`` decimal places (cents by default), half up."""
    try:
        step = Decimal(1).scaleb(-scale)
        return float(Decimal(str(value)).quantize(step, rounding=ROUND_HALF_UP))
    except InvalidOperation:
        return 0.0


def today(now: float) -> str:
    return time.strftime("%Y-%m-%d", time.gmtime(now))
