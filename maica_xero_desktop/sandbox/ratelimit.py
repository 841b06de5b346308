"""Xero's rate limits: per tenant 5 concurrent, 60 a minute, 5000 a day; per app 10000 a minute.

Windows are fixed: a window opens with the first call after the previous one closed, and the
count resets when it closes. Time comes from the sandbox clock, so tests can jump past a window.
Rejected calls are not counted. ``Retry-After`` comes only with the minute and day limits.
``window_seconds`` sets the length of the "minute" windows (per tenant and per app); a limit of 0
means "no limit"; ``enabled=False`` switches every check off (calls are still counted, so the
headers stay meaningful).
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class Limits:
    minute: int = 60
    day: int = 5000
    app_minute: int = 10000
    concurrent: int = 5
    window_seconds: float = 60.0
    enabled: bool = True


@dataclass
class _Window:
    length: float
    start: float = 0.0
    count: int = 0

    def roll(self, now: float) -> None:
        if self.count == 0 or now >= self.start + self.length:
            self.start = now
            self.count = 0

    def retry_after(self, now: float) -> int:
        return max(1, math.ceil(self.start + self.length - now))


@dataclass
class Decision:
    """The outcome of a rate-limit check: ``problem`` is None when the call may proceed."""

    headers: dict[str, str] = field(default_factory=dict)
    problem: str | None = None
    retry_after: int = 0


class RateLimiter:
    def __init__(self, limits: Limits, clock: Callable[[], float]) -> None:
        self.limits = limits
        self._clock = clock
        self._lock = threading.Lock()
        self._app = _Window(limits.window_seconds)
        self._minute: dict[str, _Window] = {}
        self._day: dict[str, _Window] = {}
        self._in_flight: dict[str, int] = {}

    def reset(self, limits: Limits | None = None) -> None:
        with self._lock:
            if limits is not None:
                self.limits = limits
            self._app = _Window(self.limits.window_seconds)
            self._minute.clear()
            self._day.clear()
            self._in_flight.clear()

    def app_call(self) -> Decision:
        """A call counted only against the app limit (GET/DELETE /connections)."""
        with self._lock:
            now = self._clock()
            self._app.roll(now)
            if self._over(self._app.count, self.limits.app_minute):
                return self._reject("appminute", self._app.retry_after(now), None)
            self._app.count += 1
            return Decision({"X-AppMinLimit-Remaining": self._app_remaining()})

    def acquire(self, tenant: str) -> Decision:
        """Count one Accounting API call for ``tenant`` and take a concurrency slot.
        When the decision has no problem the caller must :meth:`release` the slot."""
        with self._lock:
            now = self._clock()
            minute = self._minute.setdefault(tenant, _Window(self.limits.window_seconds))
            day = self._day.setdefault(tenant, _Window(86400.0))
            for window in (self._app, minute, day):
                window.roll(now)
            limits = self.limits
            if self._over(self._in_flight.get(tenant, 0), limits.concurrent):
                return self._reject("concurrent", 1, tenant)
            if self._over(self._app.count, limits.app_minute):
                return self._reject("appminute", self._app.retry_after(now), tenant)
            if self._over(day.count, limits.day):
                return self._reject("day", day.retry_after(now), tenant)
            if self._over(minute.count, limits.minute):
                return self._reject("minute", minute.retry_after(now), tenant)
            self._app.count += 1
            minute.count += 1
            day.count += 1
            self._in_flight[tenant] = self._in_flight.get(tenant, 0) + 1
            return Decision(self._headers(tenant))

    def _over(self, count: int, limit: int) -> bool:
        return self.limits.enabled and limit > 0 and count >= limit

    def release(self, tenant: str) -> None:
        with self._lock:
            left = self._in_flight.get(tenant, 0) - 1
            if left > 0:
                self._in_flight[tenant] = left
            else:
                self._in_flight.pop(tenant, None)

    def _remaining(self, limit: int, count: int) -> str:
        """What the headers report; a limit that is not enforced never looks used up."""
        if not self.limits.enabled or limit <= 0:
            return str(limit if limit > 0 else 1_000_000)
        return str(max(0, limit - count))

    def _app_remaining(self) -> str:
        return self._remaining(self.limits.app_minute, self._app.count)

    def _headers(self, tenant: str | None) -> dict[str, str]:
        headers = {"X-AppMinLimit-Remaining": self._app_remaining()}
        if tenant is not None:
            minute = self._minute[tenant]
            day = self._day[tenant]
            headers["X-MinLimit-Remaining"] = self._remaining(self.limits.minute, minute.count)
            headers["X-DayLimit-Remaining"] = self._remaining(self.limits.day, day.count)
        return headers

    def _reject(self, problem: str, retry_after: int, tenant: str | None) -> Decision:
        """Every 429 names its limit in ``X-Rate-Limit-Problem``; as in Xero, only the minute
        and day limits say how long to wait (``Retry-After``)."""
        headers = self._headers(tenant)
        headers["X-Rate-Limit-Problem"] = problem
        if problem in ("minute", "day"):
            headers["Retry-After"] = str(retry_after)
        return Decision(headers, problem, retry_after)
