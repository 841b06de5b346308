"""Webhook deliveries the way Xero makes them (stdlib only; shares nothing with core).

Configured like the Webhooks tab of Xero's developer portal: a delivery URL and a key (generated
when none is given, and returned, as the portal shows it). Each ledger change of a subscribed
category (default: INVOICE only, as Maica ticks) becomes an event; the events waiting at that
moment go out together as one signed POST ``{"events", "firstEventSequence",
"lastEventSequence", "entropy"}`` with ``x-xero-signature`` = base64(HMAC-SHA256(key, body)).

Delivery is at least once, on a background thread (the sandbox's request handling never waits):
anything but a 200 (or no answer) is retried with a doubling delay, up to ``max_attempts``; with
``duplicate_rate`` a delivered batch is sent again as a fresh delivery. "Send Intent To Receive"
sends a series of ``events: []`` bodies, some mis-signed, and reports whether every answer was
right: 200 with an empty body and no cookie for a good signature, 401 for a bad one.

Admin: ``POST /_sandbox/webhooks {"url", "key"?, "duplicate_rate"?, "categories"?,
"max_attempts"?, "retry_base_seconds"?, "seed"?, "chunked"?}`` → the settings with the key;
``GET`` → settings (no key) and counters; ``DELETE`` → off;
``POST /_sandbox/webhooks/chunked {"chunked": true|false}`` → send the next deliveries (and
Intent to Receive) with ``Transfer-Encoding: chunked``, as a tunnel or proxy may re-frame them;
``POST /_sandbox/webhooks/intent-to-receive {"count"?}`` → ``{"ok", "results"}``;
``POST /_sandbox/webhooks/wait {"timeout"?}`` → ``{"idle", ...counters}``.
"""

from __future__ import annotations

import heapq
import random
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from .ledger import LedgerEvent
from .routes import Router
from .web import Request, Response, json_response
from .webhook_send import Attempt, Delivery, Settings, new_key, post, signature

if TYPE_CHECKING:
    from .app import SandboxApp

BATCH = 20
_RESOURCES = {"INVOICE": "Invoices", "CONTACT": "Contacts", "CREDITNOTE": "CreditNotes"}


class WebhookSender:
    def __init__(self, base_url: Callable[[], str], clock: Callable[[], float]) -> None:
        self._base_url = base_url
        self._clock = clock
        self._cond = threading.Condition()
        self.settings: Settings | None = None
        self._fresh: list[dict[str, Any]] = []
        self._retries: list[tuple[float, int, Delivery]] = []
        self._busy = 0
        self._sequence = 0
        self._order = 0
        self._last_date: dict[tuple[str, str], int] = {}
        self._random = random.Random()  # noqa: S311 -- test traffic, not security
        self._thread: threading.Thread | None = None
        self._closing = False
        self.counters: dict[str, int] = {}
        self.log: list[dict[str, Any]] = []
        self.last_intent: dict[str, Any] | None = None

    # -- configuration ---------------------------------------------------------------------

    def configure(self, body: dict[str, Any]) -> dict[str, Any]:
        settings = Settings.from_json(body, new_key)
        with self._cond:
            self.settings = settings
            if settings.seed is not None:
                self._random.seed(settings.seed)
        return settings.to_json(with_key=True)

    def set_chunked(self, chunked: bool) -> dict[str, Any]:
        with self._cond:
            if self.settings is None:
                raise ValueError("webhooks are not configured: POST /_sandbox/webhooks first")
            self.settings.chunked = chunked
            return self.settings.to_json(with_key=False)

    def disable(self) -> None:
        with self._cond:
            self.settings = None
            self._fresh.clear()
            self._retries.clear()
            self._cond.notify_all()

    def reset(self) -> None:
        self.disable()
        with self._cond:
            self.counters.clear()
            self.log.clear()
            self.last_intent = None

    def _count(self, name: str, by: int = 1) -> None:
        self.counters[name] = self.counters.get(name, 0) + by

    # -- events ----------------------------------------------------------------------------

    def on_event(self, event: LedgerEvent) -> None:
        """The ledger listener: queue the event (never blocks on the network)."""
        with self._cond:
            settings = self.settings
            if settings is None or event.category not in settings.categories:
                return
            self._fresh.append(self._event_json(event))
            self._count("events")
            self._ensure_thread()
            self._cond.notify_all()

    def _event_json(self, event: LedgerEvent) -> dict[str, Any]:
        millis = int(event.at * 1000)
        key = (event.tenant_id, event.resource_id)
        millis = max(millis, self._last_date.get(key, -1) + 1)  # one event, one date
        self._last_date[key] = millis
        moment = datetime.fromtimestamp(millis / 1000, UTC)
        resource = _RESOURCES.get(event.category, event.category.title() + "s")
        return {
            "resourceUrl": f"{self._base_url()}/api.xro/2.0/{resource}/{event.resource_id}",
            "resourceId": event.resource_id,
            "eventDateUtc": moment.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3],
            "eventType": event.event_type,
            "eventCategory": event.category,
            "tenantId": event.tenant_id,
            "tenantType": "ORGANISATION",
        }

    def _delivery(self, events: list[dict[str, Any]]) -> Delivery:
        first = self._sequence + 1
        self._sequence += len(events)
        return Delivery(events, first, self._sequence)

    # -- the thread ------------------------------------------------------------------------

    def _ensure_thread(self) -> None:
        if self._thread is None or not self._thread.is_alive():
            self._closing = False
            self._thread = threading.Thread(target=self._run, name="sandbox-webhooks")
            self._thread.daemon = True
            self._thread.start()

    def _next(self) -> tuple[Delivery, Settings] | None:
        with self._cond:
            while not self._closing:
                settings = self.settings
                now = self._clock()
                if settings is not None and self._fresh:
                    batch, self._fresh = self._fresh[:BATCH], self._fresh[BATCH:]
                    self._busy += 1
                    return self._delivery(batch), settings
                if settings is not None and self._retries and self._retries[0][0] <= now:
                    self._busy += 1
                    return heapq.heappop(self._retries)[2], settings
                wait = self._retries[0][0] - now if self._retries else None
                self._cond.wait(timeout=wait)
            return None

    def _run(self) -> None:
        while (item := self._next()) is not None:
            delivery, settings = item
            try:
                self._attempt(delivery, settings)
            finally:
                with self._cond:
                    self._busy -= 1
                    self._cond.notify_all()

    def _attempt(self, delivery: Delivery, settings: Settings) -> None:
        delivery.attempts += 1
        body = delivery.body()
        signed = signature(settings.key, body)
        result = post(settings.url, body, signed, settings.timeout, settings.chunked)
        with self._cond:
            self._count("attempts")
            self._remember(
                {"sequence": delivery.first, "attempt": delivery.attempts, **result.to_json()}
            )
            if result.status == 200:
                self._count("delivered")
                self._count("delivered_events", len(delivery.events))
                if not delivery.duplicate and self._random.random() < settings.duplicate_rate:
                    again = self._delivery(list(delivery.events))
                    again.duplicate = True
                    self._count("duplicates")
                    self._schedule(again, 0.0)
            elif delivery.attempts < settings.max_attempts:
                self._count("retries")
                self._schedule(delivery, settings.retry_base_seconds * 2 ** (delivery.attempts - 1))
            else:
                self._count("dropped")

    def _schedule(self, delivery: Delivery, delay: float) -> None:
        self._order += 1
        heapq.heappush(self._retries, (self._clock() + delay, self._order, delivery))
        self._cond.notify_all()

    def _remember(self, entry: dict[str, Any]) -> None:
        self.log.append(entry)
        del self.log[:-100]

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """Until nothing is queued, waiting for a retry or being sent (False on timeout)."""
        deadline = self._clock() + timeout
        with self._cond:
            while self._fresh or self._retries or self._busy:
                left = deadline - self._clock()
                if left <= 0:
                    return False
                self._cond.wait(timeout=min(left, 0.05))
            return True

    def close(self) -> None:
        with self._cond:
            self._closing = True
            self._cond.notify_all()
            thread, self._thread = self._thread, None
        if thread is not None:
            thread.join(timeout=10)

    # -- Intent to Receive -----------------------------------------------------------------

    def intent_to_receive(self, count: int = 6) -> dict[str, Any]:
        with self._cond:
            settings = self.settings
        if settings is None:
            raise ValueError("webhooks are not configured: POST /_sandbox/webhooks first")
        if not 2 <= count <= 20:
            raise ValueError("count must be between 2 and 20")
        kinds = ["good", "wrong_key", "good", "truncated", "good", "altered_body"]
        results = []
        for number in range(count):
            kind = kinds[number % len(kinds)]
            entropy = "".join(self._random.choices("ABCDEFGHIJKLMNOPQRSTUVWXYZ", k=20))
            body = Delivery([], 0, 0, entropy=entropy).body()
            signed = signature(settings.key, body)
            if kind == "wrong_key":
                signed = signature(new_key(), body)
            elif kind == "truncated":
                signed = signed[: len(signed) // 2]
            elif kind == "altered_body":
                body = body.replace(b'"entropy":"', b'"entropy":"X')
            result: Attempt = post(settings.url, body, signed, settings.timeout, settings.chunked)
            expected = 200 if kind == "good" else 401
            ok = result.status == expected and (kind != "good" or result.clean)
            results.append({"kind": kind, "expected": expected, "ok": ok, **result.to_json()})
        outcome = {"ok": all(r["ok"] for r in results), "results": results}
        with self._cond:
            self.last_intent = outcome
        return outcome

    def snapshot(self) -> dict[str, Any]:
        with self._cond:
            return {
                "settings": self.settings.to_json(with_key=False) if self.settings else None,
                "counters": dict(self.counters),
                "pending": len(self._fresh) + len(self._retries) + self._busy,
                "log": list(self.log[-20:]),
                "last_intent_to_receive": self.last_intent,
            }


# -- admin routes ---------------------------------------------------------------------------


def _body(request: Request) -> dict[str, Any]:
    data = request.json()
    if not isinstance(data, dict):
        raise ValueError("expected a JSON object")
    return data


def register(router: Router) -> None:
    from .admin import _wrap

    def configure(app: SandboxApp, request: Request, params: dict[str, str]) -> Response:
        return json_response(200, app.webhooks.configure(_body(request)))

    def show(app: SandboxApp, request: Request, params: dict[str, str]) -> Response:
        return json_response(200, app.webhooks.snapshot())

    def disable(app: SandboxApp, request: Request, params: dict[str, str]) -> Response:
        app.webhooks.disable()
        return json_response(200, app.webhooks.snapshot())

    def intent(app: SandboxApp, request: Request, params: dict[str, str]) -> Response:
        count = int(_body(request).get("count", 6))
        return json_response(200, app.webhooks.intent_to_receive(count))

    def chunked(app: SandboxApp, request: Request, params: dict[str, str]) -> Response:
        value = _body(request).get("chunked")
        if not isinstance(value, bool):
            raise ValueError("chunked must be true or false")
        return json_response(200, app.webhooks.set_chunked(value))

    def wait(app: SandboxApp, request: Request, params: dict[str, str]) -> Response:
        timeout = min(float(_body(request).get("timeout", 10)), 60.0)
        idle = app.webhooks.wait_idle(timeout)
        return json_response(200, {"idle": idle, **app.webhooks.snapshot()})

    base = "/_sandbox/webhooks"
    router.add("POST", base, _wrap(configure), "admin.webhooks")
    router.add("GET", base, _wrap(show), "admin.webhooks")
    router.add("DELETE", base, _wrap(disable), "admin.webhooks")
    router.add("POST", f"{base}/intent-to-receive", _wrap(intent), "admin.webhooks.intent")
    router.add("POST", f"{base}/wait", _wrap(wait), "admin.webhooks.wait")
    router.add("POST", f"{base}/chunked", _wrap(chunked), "admin.webhooks.chunked")
