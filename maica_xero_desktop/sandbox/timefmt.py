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


def ms_date_tz(ts: float) -> str:
    """Accounting API record dates with a zone: ``/Date(1539993600000+0000)/``."""
    return f"/Date({int(ts * 1000)}+0000)/"


def day_start(day: str) -> float:
    """POSIX seconds of ``YYYY-MM-DD`` at midnight UTC."""
    return datetime.fromisoformat(day).replace(tzinfo=UTC).timestamp()


def day_ms_date(day: str) -> str:
    """A calendar date as Xero sends it: ``/Date(1539993600000+0000)/``."""
    return ms_date_tz(day_start(day))


def day_string(day: str) -> str:
    """The ``...String`` twin of a calendar date: ``2026-11-26T00:00:00``."""
    return f"{day}T00:00:00"


def utc_string(ts: float) -> str:
    """The ``UpdatedDateUTCString`` form: ``2026-11-26T09:45:12``."""
    return _utc(ts).strftime("%Y-%m-%dT%H:%M:%S")


def today(ts: float) -> str:
    return _utc(ts).strftime("%Y-%m-%d")
