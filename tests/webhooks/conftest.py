"""Fixtures for the Webhooks section: a receiver on a real socket, a service synced to the sandbox,
and signed requests sent the way Xero sends them."""

from __future__ import annotations

import base64
import hashlib
import hmac
import http.client
import json
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from maica_xero_desktop.core.service import Service
from maica_xero_desktop.core.store import Store
from maica_xero_desktop.core.webhooks.keys import KeyCache, KeySet
from maica_xero_desktop.core.webhooks.listener import WebhookListener
from maica_xero_desktop.core.webhooks.receiver import WebhookReceiver
from maica_xero_desktop.core.webhooks.site import receiver_paths
from maica_xero_desktop.core.webhooks.statusfile import StatusFile
from tests.integration.conftest import (  # noqa: F401 -- fixtures reused here
    admin,
    connected,
    make_service,
    sandbox,
    service,
    xero_env,
)
from tests.support.exports import SAMPLE

KEY = "kU9tQw3Zr7bLmA1xVy5NcP0sHd8fGj2e+WqRtYuIo/PlKjHgFdSaZxCvBnM4q=="
DEMO = "Demo Company (AU)"


def sign(body: bytes, key: str = KEY) -> str:
    return base64.b64encode(hmac.new(key.encode(), body, hashlib.sha256).digest()).decode()


def event(
    resource_id: str | None = None,
    tenant_id: str | None = None,
    category: str = "INVOICE",
    event_type: str = "UPDATE",
    date: str = "2026-01-02T03:04:05.678",
) -> dict[str, Any]:
    rid = resource_id or str(uuid.uuid4())
    return {
        "resourceUrl": f"https://api.xero.com/api.xro/2.0/Invoices/{rid}",
        "resourceId": rid,
        "eventDateUtc": date,
        "eventType": event_type,
        "eventCategory": category,
        "tenantId": tenant_id or str(uuid.uuid4()),
        "tenantType": "ORGANISATION",
    }


def delivery(*events: dict[str, Any]) -> bytes:
    body = {
        "events": list(events),
        "firstEventSequence": 1 if events else 0,
        "lastEventSequence": len(events),
        "entropy": uuid.uuid4().hex.upper()[:20],
    }
    return json.dumps(body).encode()


@dataclass
class Answer:
    status: int
    body: bytes
    headers: dict[str, str]


def post(
    url: str,
    body: bytes,
    signature: str | None = None,
    headers: dict[str, str] | None = None,
    method: str = "POST",
    source: str | None = None,
) -> Answer:
    """One request on its own connection (closed after), like Xero's; ``source``: the local
    address to send from (another loopback address is another peer)."""
    host_port, _, path = url.removeprefix("http://").partition("/")
    host, _, port = host_port.rpartition(":")
    connection = http.client.HTTPConnection(
        host, int(port), timeout=10, source_address=(source, 0) if source else None
    )
    try:
        all_headers = {"Content-Type": "application/json", **(headers or {})}
        if signature is not None:
            all_headers["x-xero-signature"] = signature
        connection.request(method, "/" + path, body=body, headers=all_headers)
        response = connection.getresponse()
        return Answer(response.status, response.read(), dict(response.getheaders()))
    finally:
        connection.close()


def wait_until(check: Callable[[], Any], timeout: float = 10.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError("the condition was not met in time")
        time.sleep(0.02)


@dataclass
class Bare:
    """A receiver on its own: a store, a status file, a switch for the toggle."""

    receiver: WebhookReceiver
    store: Store
    status: StatusFile
    enabled: list[bool]
    woken: list[int]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.receiver.port}/xero/webhooks"

    def stored(self) -> int:
        return sum(self.store.webhook_counts().values())


@pytest.fixture
def bare(tmp_path: Path) -> Iterator[Bare]:
    store = Store(tmp_path / "events.db")
    status = StatusFile(tmp_path / "webhook-receiver.json")
    enabled = [True]
    woken: list[int] = []
    receiver = WebhookReceiver(
        keys=KeyCache(lambda: KeySet(KEY)),
        sink=store,
        is_enabled=lambda: enabled[0],
        paths=receiver_paths("https://example.org/maica"),
        status=status,
        on_accepted=lambda: woken.append(1),
        port=0,
        max_body=64 * 1024,
        header_timeout=1.0,
        body_timeout=1.0,
        per_peer=8,
        # 127.0.0.1 plays the site's proxy; 127.0.0.2 and up play hosts out on the internet
        per_peer_exempt=lambda peer: peer == "127.0.0.1",
    )
    receiver.start()
    yield Bare(receiver, store, status, enabled, woken)
    receiver.stop()
    store.close()


@pytest.fixture
def ready(connected: Service) -> Service:  # noqa: F811 -- the imported fixture
    """Signed in, Demo Company active, the sample export synced into it."""
    connected.use(DEMO)
    connected.sync.import_file(SAMPLE)
    connected.sync.run()
    return connected


@pytest.fixture
def listening(ready: Service) -> Iterator[WebhookListener]:
    ready.webhooks.set_key(KEY)
    listener = ready.webhooks.listener(port=0, batch_delay=0.05)
    listener.start()
    wait_until(lambda: ready.webhooks.status().catch_up)  # the pull at start is done
    yield listener
    listener.stop()
    ready.close()
