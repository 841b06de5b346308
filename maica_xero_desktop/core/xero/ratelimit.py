"""What Xero's rate-limit headers last said, per organisation.

Xero allows 60 calls a minute, 5 at once and a daily quota per organisation (10,000 a minute per
app). Every response carries ``X-MinLimit-Remaining``, ``X-DayLimit-Remaining`` and
``X-AppMinLimit-Remaining``; a 429 says which limit in ``X-Rate-Limit-Problem`` and, for the
minute and day limits only, how long to wait in ``Retry-After``. This module records them; the
sync engine paces itself with them.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace

APP = "(app)"
#: A Retry-After beyond two days is nonsense; it is read as two days.
MAX_RETRY_AFTER_S = 2 * 24 * 3600.0


@dataclass(frozen=True)
class LimitState:
    minute_remaining: int | None = None
    day_remaining: int | None = None
    app_minute_remaining: int | None = None
    last_problem: str = ""
    retry_at: float = 0.0
    updated_at: float = 0.0


def _int(value: str | None) -> int | None:
    if value is None:
        return None
    try:
        return int(value.strip())
    except ValueError:
        return None


def retry_after_seconds(headers: Mapping[str, str], default: float = 60.0) -> float:
    value = headers.get("Retry-After")
    if value is None:
        return default
    try:
        seconds = float(value.strip())
    except ValueError:
        return default
    if not math.isfinite(seconds):
        return default
    return min(max(0.0, seconds), MAX_RETRY_AFTER_S)


class RateLimits:
    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._state: dict[str, LimitState] = {}

    def now(self) -> float:
        return self._clock()

    def get(self, tenant_id: str | None) -> LimitState:
        with self._lock:
            return self._state.get(tenant_id or APP, LimitState())

    def record(self, tenant_id: str | None, status: int, headers: Mapping[str, str]) -> LimitState:
        key = tenant_id or APP
        with self._lock:
            state = self._state.get(key, LimitState())
            minute = _int(headers.get("X-MinLimit-Remaining"))
            day = _int(headers.get("X-DayLimit-Remaining"))
            app = _int(headers.get("X-AppMinLimit-Remaining"))
            state = replace(
                state,
                minute_remaining=minute if minute is not None else state.minute_remaining,
                day_remaining=day if day is not None else state.day_remaining,
                app_minute_remaining=app if app is not None else state.app_minute_remaining,
                updated_at=self._clock(),
            )
            if status == 429:
                problem = headers.get("X-Rate-Limit-Problem", "").strip().lower()
                # no Retry-After on the concurrent limit: a call finishing frees a slot
                default = 1.0 if problem == "concurrent" else 60.0
                state = replace(
                    state,
                    last_problem=problem,
                    retry_at=self._clock() + retry_after_seconds(headers, default),
                )
            self._state[key] = state
            return state
