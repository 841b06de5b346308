"""Run Now at Xero's edges, against a sandbox that behaves like Xero there: lock dates, accounts a
sales line cannot post to, Organisation/Actions, idempotency keys' six minutes and cached 5xx,
the contacts key, and the concurrent limit's missing Retry-After."""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from maica_xero_desktop.core.service import Service, internals
from maica_xero_desktop.sandbox import Sandbox
from tests.support.exports import DEMO, SAMPLE

OVERRIDDEN = "INV-002417"  # its second line has account_code 999 in the export


def _tenant(service: Service) -> str:
    return service.settings().active_tenant_id


def _export(tmp_path: Path, old: str, new: str) -> Path:
    text = SAMPLE.read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / "changed.csv"
    path.write_text(text.replace(old, new), encoding="utf-8")
    return path


def test_approved_invoices_on_or_before_a_lock_date_are_blocked_with_advice(
    ready: Service, xero_env: Sandbox
) -> None:
    xero_env.set_organisation(_tenant(ready), period_lock_date="2026-10-28")
    result = ready.sync.run()
    assert result.state == "finished"
    assert result.failed == 0
    locked = {o.invoice_number: o.message for o in result.outcomes if "lock date" in o.message}
    # INV-002418 and INV-002415 are dated 28 October: on the lock date itself
    assert {"INV-002418", "INV-002415", "INV-002408"} <= set(locked)
    assert "INV-002419" not in locked  # 2 November
    message = locked["INV-002418"]
    assert "dated 28 Oct 2026, on or before the organisation's period lock date" in message
    assert "Change the invoice date in Maica" in message
    assert "ask the organisation's adviser to move the lock date" in message
    in_xero = {i["InvoiceNumber"]: i["Date"] for i in xero_env.invoices(_tenant(ready))}
    assert in_xero
    assert all(day > "2026-10-28" for day in in_xero.values())
    # the end-of-year lock date counts too, and the later of the two is named
    xero_env.set_organisation(
        _tenant(ready), period_lock_date=None, end_of_year_lock_date="2026-11-30"
    )
    again = ready.sync.run(dry_run=True)
    assert all("end-of-year lock date" in o.message for o in again.outcomes)


def test_drafts_dated_in_a_locked_period_are_sent_as_xero_takes_them(
    ready: Service, xero_env: Sandbox
) -> None:
    xero_env.set_organisation(_tenant(ready), period_lock_date="2026-10-28")
    result = ready.sync.run(flow="draft")
    assert result.state == "finished"
    assert not [o for o in result.outcomes if "lock date" in o.message]
    assert any(i["Date"] <= "2026-10-28" for i in xero_env.invoices(_tenant(ready)))
    assert xero_env.calls("api.GET.Organisation") >= 1
    calls = xero_env.stats()["tenants"][_tenant(ready)]["calls"]
    assert calls.get("api.PUT.Invoices", 0) >= 1


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        ("090", "is a bank account"),
        ("610", "is Xero's debtors system account"),
        ("820", "is Xero's gst system account"),
        ("400", "is an expense account, not revenue"),
    ],
)
def test_accounts_a_sales_line_cannot_post_to_are_blocked(
    connected: Service, xero_env: Sandbox, tmp_path: Path, code: str, reason: str
) -> None:
    connected.use(DEMO)
    connected.sync.import_file(_export(tmp_path, ",23.4133,999,", f",23.4133,{code},"))
    result = connected.sync.run()
    (blocked,) = [o for o in result.outcomes if o.outcome == "blocked"]
    assert blocked.invoice_number == OVERRIDDEN
    assert f"Line 2: account '{code}'" in blocked.message
    assert reason in blocked.message
    assert "200 Sales" in blocked.message  # what to use instead
    assert result.failed == 0


def test_a_run_stops_when_xero_says_the_app_may_not_approve_invoices(
    ready: Service, xero_env: Sandbox
) -> None:
    xero_env.set_organisation(_tenant(ready), denied_actions=["CreateApprovedInvoice"])
    result = ready.sync.run()
    assert result.state == "failed"
    assert "may not create approved invoices" in result.message
    assert xero_env.calls("api.PUT.Invoices") == 0
    assert ready.sync.count_invoices("sending") == 0
    xero_env.set_organisation(_tenant(ready), denied_actions=[])
    assert ready.sync.run().created == 29


def test_a_5xx_on_a_keyed_write_is_reconciled_not_retried_and_the_next_run_is_not_stuck(
    ready: Service, xero_env: Sandbox
) -> None:
    xero_env.add_fault(internal_error="api.PUT.Invoices", count=1)
    first = ready.sync.run()
    assert first.state == "failed"
    assert xero_env.calls("api.PUT.Invoices") == 1  # the cached 500 is not asked for again
    assert ready.sync.count_invoices("sending") == 0  # looked up: not in Xero, back in the queue
    # within the key's six minutes: a new run sends under a new key, not into the cached 500
    second = ready.sync.run()
    assert second.state == "finished"
    assert second.created == 29


def test_a_keyed_write_is_not_resent_five_minutes_after_its_first_send(
    ready: Service, xero_env: Sandbox
) -> None:
    ticks = itertools.count(0.0, 400.0)  # every look at the clock is 400 s later
    internals(ready).xero.clock = lambda: next(ticks)
    xero_env.add_fault(drop_after_commit="api.PUT.Invoices", count=1)
    result = ready.sync.run()
    assert xero_env.calls("api.PUT.Invoices") == 1
    assert "idempotent_replays" not in xero_env.stats()["tenants"][_tenant(ready)]["calls"]
    assert result.linked == 29  # found by the lookup instead
    assert result.created == 0


def test_a_changed_email_after_a_failed_contact_batch_does_not_stop_the_run(
    ready: Service, xero_env: Sandbox, tmp_path: Path
) -> None:
    xero_env.add_fault(internal_error="api.PUT.Contacts", count=1)
    first = ready.sync.run()
    assert first.state == "failed"
    assert xero_env.contacts(_tenant(ready)) == []
    ready.sync.import_file(
        _export(tmp_path, "invoices@brightpath-plans.com.au", "accounts@brightpath-plans.com.au")
    )
    second = ready.sync.run()  # the same names, another e-mail, within six minutes
    assert second.state == "finished", second.message
    assert second.created == 29
    emails = {c["EmailAddress"] for c in xero_env.contacts(_tenant(ready))}
    assert "accounts@brightpath-plans.com.au" in emails


def test_the_same_contact_batch_after_a_cached_5xx_is_sent_under_a_new_key(
    ready: Service, xero_env: Sandbox
) -> None:
    xero_env.add_fault(internal_error="api.PUT.Contacts", count=1)
    assert ready.sync.run().state == "failed"
    assert ready.sync.run().created == 29


def test_a_concurrent_limit_without_retry_after_is_waited_out_briefly(
    make_service: Callable[..., Service], xero_env: Sandbox
) -> None:
    waits: list[float] = []

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        time.sleep(min(seconds, 0.3))

    service = make_service(sleep=sleep)
    service.connect(lambda url: None, timeout=10)
    service.use(DEMO)
    tenant = _tenant(service)
    xero_env.set_limits(concurrent=1)
    xero_env.add_fault(delay_seconds=1.0, endpoint="api.GET.Organisation", count=1)
    slow = threading.Thread(
        target=lambda: internals(service).xero.accounting("GET", "Organisation", tenant)
    )
    slow.start()
    for _ in range(300):
        if xero_env.calls("api.GET.Organisation") >= 1:
            break
        time.sleep(0.01)
    time.sleep(0.05)
    body = internals(service).xero.accounting("GET", "Currencies", tenant)
    slow.join()
    assert body["Currencies"]
    assert waits
    assert waits[:3] == [1.0, 2.0, 4.0][: len(waits[:3])]
    assert max(waits) <= 8.0
