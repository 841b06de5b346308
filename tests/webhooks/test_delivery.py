"""The sandbox sends webhooks like Xero; the receiver stores them, the processor refreshes the
payments: Partially / Fully Paid, voided, duplicates once, ignored with reasons, retries,
catch-up."""

from __future__ import annotations

import time
import uuid

import pytest
import requests

from maica_xero_desktop.core.service import Service, internals
from maica_xero_desktop.core.webhooks import processing
from maica_xero_desktop.core.webhooks.listener import WebhookListener
from maica_xero_desktop.core.webhooks.processing import WebhookProcessor
from maica_xero_desktop.core.webhooks.receiver import ReceiverError
from maica_xero_desktop.sandbox import Sandbox
from tests.integration.conftest import SandboxAdmin
from tests.webhooks.conftest import KEY, delivery, event, post, sign, wait_until


def _url(listener: WebhookListener) -> str:
    return f"{listener.url}/xero/webhooks"


def _row(service: Service, number: str) -> object:
    return next(r for r in service.sync.invoices() if r.invoice_number == number)


def _xero_invoice(sandbox: Sandbox, tenant: str, number: str) -> dict[str, object]:
    return next(i for i in sandbox.invoices(tenant) if i["InvoiceNumber"] == number)


def _settled(service: Service) -> bool:
    counts = service.webhooks.status().counts
    return counts["new"] == 0 and sum(counts.values()) > 0


def test_intent_to_receive_series_passes_and_is_shown(
    ready: Service, listening: WebhookListener, admin: SandboxAdmin
) -> None:
    configured = admin.post("webhooks", {"url": _url(listening), "key": KEY})
    assert configured["key"] == KEY
    result = admin.post("webhooks/intent-to-receive", {"count": 6})
    assert result["ok"] is True, result
    assert [r["status"] for r in result["results"]] == [200, 401, 200, 401, 200, 401]
    assert all(r["body_empty"] and not r["cookie"] for r in result["results"])
    status = wait_until(lambda: _itr(ready))
    assert (status["answered_200"], status["answered_401"]) == (3, 3)
    assert ready.webhooks.status().counts == {"new": 0, "processed": 0, "ignored": 0, "failed": 0}


def _itr(service: Service) -> dict[str, int] | None:
    itr = service.webhooks.status().intent_to_receive
    return itr if itr and itr.get("answered_401") == 3 else None


def test_intent_to_receive_fails_with_the_wrong_key(
    listening: WebhookListener, admin: SandboxAdmin
) -> None:
    generated = admin.post("webhooks", {"url": _url(listening)})["key"]
    assert len(generated) > 40
    assert generated != KEY
    assert admin.post("webhooks/intent-to-receive")["ok"] is False


def test_payments_in_xero_reach_maica_by_webhook(
    ready: Service, listening: WebhookListener, xero_env: Sandbox
) -> None:
    tenant = ready.settings().active_tenant_id
    xero_env.webhooks.configure({"url": _url(listening), "key": KEY})
    target = _xero_invoice(xero_env, tenant, "INV-002402")
    xero_env.pay(
        round(float(str(target["Total"])) / 2, 2), invoice_number="INV-002402", tenant_id=tenant
    )
    wait_until(lambda: _row(ready, "INV-002402").status == "Partially Paid")  # type: ignore[attr-defined]
    due = _xero_invoice(xero_env, tenant, "INV-002402")["AmountDue"]
    xero_env.pay(str(due), invoice_number="INV-002402", tenant_id=tenant)
    wait_until(lambda: _row(ready, "INV-002402").status == "Fully Paid")  # type: ignore[attr-defined]
    xero_env.void(invoice_number="INV-002403", tenant_id=tenant)
    wait_until(lambda: _row(ready, "INV-002403").xero_status == "VOIDED")  # type: ignore[attr-defined]
    wait_until(lambda: _settled(ready))
    events = ready.webhooks.events()
    assert len(events) == 3
    assert {e.status for e in events} == {"processed"}
    messages = " | ".join(e.message for e in events)
    assert "INV-002402: Fully Paid" in messages
    assert "INV-002402: Partially Paid" in messages or "Fully Paid" in messages
    assert "INV-002403: voided in Xero" in messages
    assert xero_env.webhooks.snapshot()["counters"]["delivered"] >= 2


def test_repeated_deliveries_are_processed_once(
    ready: Service, listening: WebhookListener, xero_env: Sandbox
) -> None:
    tenant = ready.settings().active_tenant_id
    xero_env.webhooks.configure({"url": _url(listening), "key": KEY, "duplicate_rate": 1.0})
    for number in ("INV-002402", "INV-002404", "INV-002406"):
        xero_env.pay("1.00", invoice_number=number, tenant_id=tenant)
    assert xero_env.webhooks.wait_idle(10)
    wait_until(lambda: _settled(ready))
    counters = xero_env.webhooks.snapshot()["counters"]
    assert counters["duplicates"] >= 1
    events = ready.webhooks.events()
    assert len(events) == 3
    assert all(e.deliveries == 2 for e in events)
    assert all(e.status == "processed" and e.attempts == 1 for e in events)
    rows = [_row(ready, n) for n in ("INV-002402", "INV-002404", "INV-002406")]
    assert {r.status for r in rows} == {"Partially Paid"}  # type: ignore[attr-defined]


def test_events_not_for_us_are_kept_as_ignored(ready: Service, listening: WebhookListener) -> None:
    tenant = ready.settings().active_tenant_id
    ours = next(r for r in ready.sync.invoices() if r.xero_invoice_id).xero_invoice_id
    body = delivery(
        event(str(uuid.uuid4()), tenant),  # an invoice never pushed from here
        event(ours, str(uuid.uuid4())),  # another organisation
        event(str(uuid.uuid4()), tenant, category="CONTACT"),
        event(ours, tenant, event_type="CREATE"),
    )
    assert post(_url(listening), body, sign(body)).status == 200
    wait_until(lambda: _settled(ready))
    by_kind = {
        (e.category, e.event_type, e.tenant_id == tenant.lower()): e
        for e in ready.webhooks.events()
    }
    assert by_kind[("INVOICE", "UPDATE", True)].message.startswith("Not an invoice this product")
    assert by_kind[("INVOICE", "UPDATE", False)].message.startswith("For organisation")
    assert by_kind[("CONTACT", "UPDATE", True)].status == "ignored"
    assert by_kind[("INVOICE", "CREATE", True)].status == "processed"
    assert ready.webhooks.status().counts == {"new": 0, "processed": 1, "ignored": 3, "failed": 0}


def test_xero_unreachable_leaves_the_event_for_a_retry(
    ready: Service, listening: WebhookListener, xero_env: Sandbox
) -> None:
    tenant = ready.settings().active_tenant_id
    xero_env.add_fault(status=503, endpoint="api.GET.Invoices", count=50)
    xero_env.webhooks.configure({"url": _url(listening), "key": KEY})
    xero_env.pay("5.00", invoice_number="INV-002402", tenant_id=tenant)
    wait_until(lambda: ready.webhooks.events() and ready.webhooks.events()[0].attempts >= 1)
    (waiting,) = ready.webhooks.events()
    assert waiting.status == "new"
    assert waiting.message.startswith("Will try again:")
    xero_env.clear_faults()
    later = WebhookProcessor(internals(ready).webhook_sources, clock=lambda: time.time() + 60)
    report = later.process_due()
    assert report.processed == 1
    assert _row(ready, "INV-002402").status == "Partially Paid"  # type: ignore[attr-defined]


def test_toggle_off_stores_signed_deliveries_and_asks_xero_nothing(
    ready: Service,
    listening: WebhookListener,
    admin: SandboxAdmin,
    xero_env: Sandbox,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(processing, "WHILE_OFF_S", 0.2)  # how often the worker looks
    tenant = ready.settings().active_tenant_id
    xero_env.webhooks.configure({"url": _url(listening), "key": KEY})
    ready.set_enabled(False)
    before = admin.count("api.GET.Invoices")
    xero_env.pay("5.00", invoice_number="INV-002402", tenant_id=tenant)
    assert xero_env.webhooks.wait_idle(10)
    counters = xero_env.webhooks.snapshot()["counters"]
    assert (counters["delivered"], counters.get("retries", 0)) == (1, 0)  # 200, not 503
    assert admin.post("webhooks/intent-to-receive")["ok"] is True  # passes while off too
    stored = wait_until(ready.webhooks.events)
    assert [e.status for e in stored] == ["new"]
    report = ready.webhooks.process_now()
    assert report.deferred == 1
    assert report.message == "Waiting: the integration is turned off."
    assert admin.count("api.GET.Invoices") == before  # Xero was not contacted
    assert _row(ready, "INV-002402").status != "Partially Paid"  # type: ignore[attr-defined]
    time.sleep(0.5)  # the worker looked a few times meanwhile
    assert admin.count("api.GET.Invoices") == before
    ready.set_enabled(True)  # the worker processes it by itself, soon
    wait_until(lambda: _row(ready, "INV-002402").status == "Partially Paid", timeout=5)  # type: ignore[attr-defined]
    wait_until(lambda: [e.status for e in ready.webhooks.events()] == ["processed"])


def test_chunked_deliveries_from_the_sandbox(
    ready: Service, listening: WebhookListener, admin: SandboxAdmin, xero_env: Sandbox
) -> None:
    tenant = ready.settings().active_tenant_id
    control = f"{admin.url}/_sandbox/webhooks/chunked"
    assert requests.post(control, json={"chunked": True}, timeout=10).status_code == 400  # unset
    admin.post("webhooks", {"url": _url(listening), "key": KEY})
    assert requests.post(control, json={"chunked": "yes"}, timeout=10).status_code == 400
    assert admin.post("webhooks/chunked", {"chunked": True})["chunked"] is True
    result = admin.post("webhooks/intent-to-receive", {"count": 6})
    assert result["ok"] is True, result
    xero_env.pay("4.00", invoice_number="INV-002402", tenant_id=tenant)
    wait_until(lambda: _row(ready, "INV-002402").status == "Partially Paid")  # type: ignore[attr-defined]
    counters = xero_env.webhooks.snapshot()["counters"]
    assert counters["delivered"] >= 1
    assert counters.get("retries", 0) == 0


def test_catch_up_pull_after_downtime(
    ready: Service, listening: WebhookListener, xero_env: Sandbox
) -> None:
    tenant = ready.settings().active_tenant_id
    xero_env.webhooks.configure({"url": _url(listening), "key": KEY, "max_attempts": 1})
    with pytest.raises(ReceiverError, match="already running"):
        ready.webhooks.listener(port=0)
    listening.stop()
    assert not ready.webhooks.status().listening
    xero_env.pay("10.00", invoice_number="INV-002407", tenant_id=tenant)
    assert xero_env.webhooks.wait_idle(10)
    assert xero_env.webhooks.snapshot()["counters"]["dropped"] == 1  # nobody listened
    assert _row(ready, "INV-002407").status != "Partially Paid"  # type: ignore[attr-defined]
    again = ready.webhooks.listener(port=0)
    with again:
        assert ready.webhooks.status().listening
        wait_until(lambda: _row(ready, "INV-002407").status == "Partially Paid")  # type: ignore[attr-defined]
        catch_up = wait_until(lambda: ready.webhooks.status().catch_up)
        assert catch_up["ok"] is True
    assert ready.webhooks.catch_up() == 0  # on demand: nothing new since


def test_sandbox_admin_validates_its_input(admin: SandboxAdmin, sandbox: Sandbox) -> None:
    response = requests.post(
        f"{sandbox.base_url}/_sandbox/webhooks", json={"url": "ftp://x"}, timeout=10
    )
    assert response.status_code == 400
    response = requests.post(
        f"{sandbox.base_url}/_sandbox/webhooks/intent-to-receive", json={}, timeout=10
    )
    assert response.status_code == 400
    shown = admin.post("webhooks", {"url": "http://127.0.0.1:9/x", "duplicate_rate": 0.5})
    assert "key" in shown
    snapshot = requests.get(f"{sandbox.base_url}/_sandbox/webhooks", timeout=10).json()
    assert "key" not in snapshot["settings"]
    assert admin.post("webhooks/wait", {"timeout": 1})["idle"] is True


def test_a_credit_note_by_webhook_counts_and_says_so(
    ready: Service, listening: WebhookListener, xero_env: Sandbox
) -> None:
    tenant = ready.settings().active_tenant_id
    xero_env.webhooks.configure({"url": _url(listening), "key": KEY})
    target = _xero_invoice(xero_env, tenant, "INV-002404")
    half = round(float(str(target["Total"])) / 2, 2)
    xero_env.credit(half, invoice_number="INV-002404", tenant_id=tenant)
    wait_until(lambda: _row(ready, "INV-002404").status == "Partially Paid")  # type: ignore[attr-defined]
    wait_until(lambda: _settled(ready))
    (report,) = ready.webhooks.events()
    assert f"INV-002404: Partially Paid — paid 0.00, credited {half}" in report.message
