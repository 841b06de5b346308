"""Xero's date formats."""

from __future__ import annotations

from datetime import UTC, datetime


def _utc(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, UTC)


def xero_utc(ts: float) -> str:
    """Identity API dates: UTC without a zone suffix and with 7 fraction digits,
    e.g. ``2019-12-07T18:46:19.5165400``."""
    moment = _utc(ts)
    return moment.strftime("%Y-%m-%dT%H:%M:%S") + f".{moment.microsecond:06d}0"


def ms_date(ts: float) -> str:
    """Accounting API dates: ``/Date(1552404447003)/`` (milliseconds since the epoch, UTC)."""
    return f"/Date({int(ts * 1000)})/"


def us_datetime(ts: float) -> str:
    """The form used in Xero's ``TokenExpired`` messages: ``12/07/2019 18:46:19``."""
    return _utc(ts).strftime("%m/%d/%Y %H:%M:%S")
