"""Fault injection and call statistics, for tests of the client's error handling.

Kinds: ``drop_response`` (alias ``drop_after_commit``: the call is processed and committed, then
the connection closes without an answer), ``status`` (answer 4xx/5xx without acting), ``delay``,
``error_rate`` (a seeded random fraction of calls answers ``status`` without acting), and
``internal_error`` (a write carrying an ``Idempotency-Key`` answers 500 without acting, and
that answer is cached under the key like Xero caches its internal errors).

Endpoint names look like ``token.refresh_token``, ``connections.get``, ``api.GET.Organisation``.
A fault's ``endpoint`` matches a name exactly, as a dotted prefix (``token`` matches
``token.refresh_token``) or everything (``*``).
"""

from __future__ import annotations

import random
import threading
from collections import Counter
from dataclasses import asdict, dataclass
from typing import Any

FAULT_KINDS = ("drop_response", "status", "delay", "error_rate", "internal_error")
UNLIMITED = 10**9


@dataclass
class Fault:
    kind: str
    endpoint: str
    count: int = 1
    status: int = 503
    delay_seconds: float = 0.0
    retry_after: int | None = None
    rate: float = 0.0
    seed: int | None = None

    def matches(self, endpoint: str) -> bool:
        return (
            self.endpoint in ("*", endpoint) or endpoint.startswith(self.endpoint + ".")
        ) and self.count > 0


def fault_from_json(data: dict[str, Any]) -> Fault:
    """``{"drop_response": EP, "count": N}``, ``{"status": 503, "endpoint": EP, "count": N,
    "retry_after": S}`` or ``{"delay_seconds": 2.5, "endpoint": EP, "count": N}``."""
    count = int(data.get("count", UNLIMITED if "error_rate" in data else 1))
    if count < 1:
        raise ValueError("count must be at least 1")
    for alias in ("drop_response", "drop_after_commit"):
        if alias in data:
            return Fault("drop_response", str(data[alias]), count)
    if "internal_error" in data:
        return Fault("internal_error", str(data["internal_error"]), count, 500)
    endpoint = data.get("endpoint")
    if not isinstance(endpoint, str) or not endpoint:
        raise ValueError("endpoint is required")
    if "error_rate" in data:
        rate = float(data["error_rate"])
        status = int(data.get("status", 503))
        if not 0 < rate <= 1 or not 400 <= status <= 599:
            raise ValueError("error_rate must be in (0, 1] and status 4xx/5xx")
        seed = data.get("seed")
        return Fault(
            "error_rate",
            endpoint,
            count,
            status,
            rate=rate,
            seed=None if seed is None else int(seed),
        )
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
    raise ValueError(
        "expected one of drop_response, drop_after_commit, internal_error, status, "
        "delay_seconds, error_rate"
    )


class FaultBook:
    """Armed faults; each fires ``count`` times and is then discarded."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []
        self._rngs: dict[int, random.Random] = {}

    def add(self, fault: Fault) -> None:
        if fault.kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {fault.kind!r}")
        with self._lock:
            self._faults.append(fault)
            if fault.kind == "error_rate":
                self._rngs[id(fault)] = random.Random(fault.seed)  # noqa: S311 (not crypto)

    def roll(self, endpoint: str) -> Fault | None:
        """An ``error_rate`` fault that fires for this call (drawn from its seeded generator)."""
        with self._lock:
            for fault in self._faults:
                if fault.kind != "error_rate" or not fault.matches(endpoint):
                    continue
                if self._rngs[id(fault)].random() < fault.rate:
                    fault.count -= 1
                    if fault.count <= 0:
                        self._faults.remove(fault)
                        del self._rngs[id(fault)]
                    return fault
        return None

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
            self._rngs.clear()

    def to_json(self) -> list[dict[str, Any]]:
        with self._lock:
            return [asdict(f) for f in self._faults]


class CallStats:
    """Calls per endpoint name since start (or the last reset); per tenant too, with the sizes
    of write batches."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._calls: Counter[str] = Counter()
        self._tenant_calls: dict[str, Counter[str]] = {}
        # tenant -> endpoint -> [requests, elements, largest]
        self._batches: dict[str, dict[str, list[int]]] = {}

    def count(self, endpoint: str) -> None:
        with self._lock:
            self._calls[endpoint] += 1

    def count_tenant(self, tenant: str, endpoint: str) -> None:
        with self._lock:
            self._tenant_calls.setdefault(tenant, Counter())[endpoint] += 1

    def batch(self, tenant: str, endpoint: str, size: int) -> None:
        with self._lock:
            found = self._batches.setdefault(tenant, {}).setdefault(endpoint, [0, 0, 0])
            found[0] += 1
            found[1] += size
            found[2] = max(found[2], size)

    def get(self, endpoint: str) -> int:
        with self._lock:
            return self._calls[endpoint]

    def snapshot(self) -> dict[str, int]:
        with self._lock:
            return dict(sorted(self._calls.items()))

    def tenant_snapshot(self, tenant: str) -> dict[str, Any]:
        with self._lock:
            calls = self._tenant_calls.get(tenant, Counter())
            batches = self._batches.get(tenant, {})
            return {
                "calls": dict(sorted(calls.items())),
                "batches": {
                    ep: {"requests": b[0], "elements": b[1], "largest": b[2]}
                    for ep, b in sorted(batches.items())
                },
            }

    def tenants(self) -> list[str]:
        with self._lock:
            return sorted(set(self._tenant_calls) | set(self._batches))

    def clear(self) -> None:
        with self._lock:
            self._calls.clear()
            self._tenant_calls.clear()
            self._batches.clear()
