"""The "enabled" check happens once per path (issue 15, item 2): a processing round asks the toggle
once, and the worker decides how long to wait from that round's answer instead of asking again.
(The transport keeps its own guard before every request to Xero: ``XeroHttp.send``.)"""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path

import pytest

from maica_xero_desktop.core.service import Service, internals
from maica_xero_desktop.core.store import Store
from maica_xero_desktop.core.store.events import IncomingEvent
from maica_xero_desktop.core.webhooks import processing
from maica_xero_desktop.core.webhooks.processing import Sources, WebhookProcessor
from maica_xero_desktop.core.xero.client import XeroClient
from tests.webhooks.conftest import wait_until


class Toggle:
    """An ``is_enabled`` that counts how often it is asked."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self.asked = 0

    def __call__(self) -> bool:
        self.asked += 1
        return self.enabled


def _no_xero() -> XeroClient:
    raise AssertionError("Xero must not be asked while the integration is off")


def _event(tenant: str, resource: str) -> IncomingEvent:
    return IncomingEvent(
        tenant, "ORGANISATION", "INVOICE", "UPDATE", resource, "", "2026-11-27T07:00:00.000"
    )


def test_a_worker_round_while_off_asks_the_toggle_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(processing, "WHILE_OFF_S", 30.0)  # one round only in this test
    store = Store(tmp_path / "maica.db")
    store.add_webhook_events("delivery-1", [_event("tenant-1", "invoice-1")])
    toggle = Toggle(enabled=False)
    sources = Sources(
        store=lambda: store,
        active_tenant_id=lambda: "tenant-1",
        xero=_no_xero,
        is_enabled=toggle,
        pull_payments=lambda: 0,
    )
    worker = WebhookProcessor(sources, batch_delay=0.01)
    worker.start(catch_up=False)
    try:
        wait_until(lambda: store.webhook_events()[0].message == processing.WAITING_WHILE_OFF)
        time.sleep(0.3)  # the worker has decided how long to wait by now
        assert toggle.asked == 1
        (waiting,) = store.webhook_events()
        assert (waiting.status, waiting.attempts) == ("new", 0)
    finally:
        worker.stop()
        store.close()


def test_a_round_that_fetches_from_xero_asks_the_toggle_once(ready: Service) -> None:
    tenant = ready.settings().active_tenant_id
    parts = internals(ready)
    xero_id = next(iter(parts.store.synced_xero_ids(tenant)))
    parts.store.add_webhook_events("delivery-1", [_event(tenant, xero_id)])
    toggle = Toggle(enabled=True)
    sources = dataclasses.replace(parts.webhook_sources, is_enabled=toggle)
    report = WebhookProcessor(sources).process_due()
    assert report.processed == 1
    assert toggle.asked == 1
