"""Fault injection and call statistics, for tests of the client's error handling.

Endpoint names look like ``token.refresh_token``, ``connections.get``, ``api.GET.Organisation``.
A fault's ``endpoint`` matches a name exactly, as a dotted prefix (``token`` matches
``token.refresh_token``) or everything (``*``).
"""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import asdict, dataclass
from typing import Any

FAULT_KINDS = ("drop_response", "status", "delay")


@dataclass
class Fault:
    kind: str
    endpoint: str
    count: int = 1
    status: int = 503
    delay_seconds: float = 0.0
    retry_after: int | None = None

    def matches(self, endpoint: str) -> bool:
        return (
            self.endpoint in ("*", endpoint) or endpoint.startswith(self.endpoint + ".")
        ) and self.count > 0


def fault_from_json(data: dict[str, Any]) -> Fault:
    """``{"drop_response": EP, "count": N}``, ``{"status": 503, "endpoint": EP, "count": N,
    "retry_after": S}`` or ``{"delay_seconds": 2.5, "endpoint": EP, "count": N}``."""
    count = int(data.get("count", 1))
    if count < 1:
        raise ValueError("count must be at least 1")
    if "drop_response" in data:
        return Fault("drop_response", str(data["drop_response"]), count)
    endpoint = data.get("endpoint")
    if not isinstance(endpoint, str) or not endpoint:
        raise ValueError("endpoint is required")
    if "status" in data:
        status = int(data["status"])
        if not 400 <= status <= 599:
            raise ValueError("status must be 4xx or 5xx")
        retry = data.get("retry_after")
        return Fault(
            "status", endpoint, count, status, retry_after=None if retry is None else int(retry)
        )
    if "delay_seconds" in data:
        delay = float(data["delay_seconds"])
        if not 0 <= delay <= 60:
            raise ValueError("delay_seconds must be between 0 and 60")
        return Fault("delay", endpoint, count, delay_seconds=delay)
    raise ValueError("expected one of drop_response, status, delay_seconds")


class FaultBook:
    """Armed faults; each fires ``count`` times and is then discarded."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []

    def add(self, fault: Fault) -> None:
        if fault.kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {fault.kind!r}")
        with self._lock:
            self._faults.append(fault)

    def take(self, kind: str, endpoint: str) -> Fault | None:
        """Fire the first armed fault of ``kind`` for ``endpoint``, if any."""
        with self._lock:
            for fault in self._faults:
                if fault.kind == kind and fault.matches(endpoint):
                    fault.count -= 1
                    if fault.count <= 0:
                        self._faults.remove(fault)
                    return fault
        return None

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def to_json(self) -> list[dict[str, Any]]:
        with self._lock:
            return [asdict(f) for f in self._faults]


class CallStats:
    """Calls per endpoint name since start (or the last reset)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._calls: Counter[str] = Counter()

    def count(self, endpoint: str) -> None:
        with self._lock:
            self._calls[endpoint] += 1

    def get(self, endpoint: str) -> int:
        with self._lock:
            return self._calls[endpoint]

    def snapshot(self) -> dict[str, int]:
        with self._lock:
            return dict(sorted(self._calls.items()))

    def clear(self) -> None:
        with self._lock:
            self._calls.clear()
