"""Run Now against the sandbox: exactly once, blocked with reasons, faults, limits, payments."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest
from filelock import FileLock

from maica_xero_desktop.core.errors import IntegrationDisabled, NotConnected
from maica_xero_desktop.core.service import Service
from maica_xero_desktop.core.sync import Progress, SyncBusy
from maica_xero_desktop.sandbox import Sandbox
from tests.support.exports import DEMO, SAMPLE, generated


def _tenant(service: Service) -> str:
    return service.settings().active_tenant_id


def _numbers_in_xero(sandbox: Sandbox, tenant: str) -> Counter[str]:
    return Counter(str(i["InvoiceNumber"]) for i in sandbox.invoices(tenant))


def _assert_exactly_once(service: Service, sandbox: Sandbox) -> Counter[str]:
    counts = _numbers_in_xero(sandbox, _tenant(service))
    duplicates = {n: c for n, c in counts.items() if c > 1}
    assert duplicates == {}
    synced = {r.invoice_number for r in service.sync.invoices(state="synced")}
    assert synced == set(counts)
    return counts


def test_sample_sync_creates_each_once_then_nothing(ready: Service, xero_env: Sandbox) -> None:
    steps: list[Progress] = []
    result = ready.sync.run(progress=steps.append)
    assert result.state == "finished"
    assert (result.selected, result.created, result.blocked, result.failed) == (30, 29, 1, 0)
    # pre-flight (organisation, accounts, tax rates, tracking, currencies), contacts (list +
    # create), may this app approve invoices (Organisation/Actions), one batch
    assert result.api_calls <= 5 + 2 + 1 + 1
    assert not result.complete  # one is blocked
    (blocked,) = [o for o in result.outcomes if o.outcome == "blocked"]
    assert blocked.invoice_number == "INV-002417"
    assert "account code '999' does not exist" in blocked.message
    assert steps
    assert steps[-1].done == steps[-1].total == 29
    counts = _assert_exactly_once(ready, xero_env)
    assert len(counts) == 29
    created = ready.sync.run_results(result.run_id, "created")
    assert len(created) == 29
    assert all(r.xero_invoice_number == r.invoice_number for r in created)
    again = ready.sync.run()
    assert (again.created, again.linked, again.selected) == (0, 0, 1)
    assert _numbers_in_xero(xero_env, _tenant(ready)) == counts
    history = ready.sync.history()
    assert [h.created for h in history[:2]] == [0, 29]
    assert ready.status().last_run is not None


def test_same_name_participants_get_their_own_contacts(ready: Service, xero_env: Sandbox) -> None:
    ready.sync.run()
    names = {c["Name"] for c in xero_env.contacts(_tenant(ready))}
    assert "Adam Smith (NDIS 431204871)" in names
    assert "Adam Smith (NDIS 431877310)" in names
    numbers = Counter(str(c.get("ContactNumber")) for c in xero_env.contacts(_tenant(ready)))
    assert all(count == 1 for count in numbers.values())


def test_preview_sends_nothing(ready: Service, xero_env: Sandbox) -> None:
    result = ready.sync.run(dry_run=True)
    assert result.dry_run
    sends = [p for p in result.preview if p["action"] == "send"]
    assert len(sends) == 29
    assert sends[0]["payload"]["Status"] == "AUTHORISED"
    assert [p["invoice_number"] for p in result.preview if p["action"] == "blocked"] == [
        "INV-002417"
    ]
    assert xero_env.invoices(_tenant(ready)) == []
    assert xero_env.contacts(_tenant(ready)) == []
    assert ready.sync.count_invoices("synced") == 0


def test_answer_lost_after_commit_is_replayed_not_duplicated(
    ready: Service, xero_env: Sandbox
) -> None:
    xero_env.add_fault(drop_after_commit="api.PUT.Invoices", count=1)
    result = ready.sync.run()
    assert result.created == 29
    _assert_exactly_once(ready, xero_env)
    tenant_stats = xero_env.stats()["tenants"][_tenant(ready)]
    assert tenant_stats["calls"]["idempotent_replays"] >= 1


def test_no_answer_at_all_is_reconciled_by_lookup(ready: Service, xero_env: Sandbox) -> None:
    xero_env.add_fault(drop_after_commit="api.PUT.Invoices", count=10)
    first = ready.sync.run()
    assert first.state == "failed"
    assert "could not be reached" in first.message
    assert first.linked == 29  # looked up straight away: Xero has them
    counts = _assert_exactly_once(ready, xero_env)
    assert len(counts) == 29
    second = ready.sync.run()
    assert second.created == 0


def test_invoice_already_in_xero_is_linked(
    ready: Service, xero_env: Sandbox, second_home: Callable[[Service, str], Service]
) -> None:
    ready.sync.run()
    # A second installation (a new home) with the same export and organisation, past the
    # Idempotency-Key's life: only the lookup protects now.
    other = second_home(ready, "second-home")
    result = other.sync.run()
    assert (result.created, result.linked) == (0, 29)
    assert all(
        "linked, not created again" in o.message for o in result.outcomes if o.outcome == "linked"
    )
    assert len(_numbers_in_xero(xero_env, _tenant(ready))) == 29


def test_a_server_error_on_a_keyed_write_is_reconciled_not_retried(
    ready: Service, xero_env: Sandbox
) -> None:
    # Xero replays a keyed write's 5xx for the key's life: the batch is looked up instead, and
    # what Xero does not have is sent by the next run (under a new key).
    xero_env.add_fault(status=503, endpoint="api.PUT.Invoices", count=1)
    first = ready.sync.run()
    assert first.state == "failed"
    assert "server error" in first.message
    assert xero_env.calls("api.PUT.Invoices") == 1
    assert ready.sync.count_invoices("sending") == 0
    assert ready.sync.run().created == 29
    _assert_exactly_once(ready, xero_env)


def test_many_batches_under_a_short_minute(
    make_service: Callable[..., Service], xero_env: Sandbox, tmp_path: Path
) -> None:
    service = make_service(sleep=time.sleep)
    service.connect(lambda url: None, timeout=10)
    service.use(DEMO)
    service.sync.import_file(generated(tmp_path, 600))
    xero_env.set_limits(minute=4, window_seconds=1)
    result = service.sync.run()
    assert result.state == "finished", result.message
    assert result.selected > 400
    assert result.created == result.selected
    batches = -(-result.selected // 50)
    assert result.api_calls <= 4 + 2 + batches + 2 * batches  # each 429 is a call too
    assert xero_env.stats()["tenants"][_tenant(service)]["calls"].get("rate_limited.minute", 0) > 0
    _assert_exactly_once(service, xero_env)


def test_day_limit_stops_cleanly_and_resumes(
    connected: Service,
    make_service: Callable[..., Service],
    xero_env: Sandbox,
    tmp_path: Path,
) -> None:
    connected.use(DEMO)
    connected.sync.import_file(generated(tmp_path, 300))
    xero_env.set_limits(day=9)
    first = connected.sync.run()
    assert first.state == "failed"
    assert "daily limit" in first.message
    assert "resets around" in first.message
    assert connected.sync.count_invoices("sending") == 0
    assert first.created == 50 * (9 - 5 - 2 - 1)  # pre-flight, contacts, Organisation/Actions
    calls = xero_env.stats()["tenants"][_tenant(connected)]["calls"].get("api.PUT.Invoices", 0)
    refused = connected.sync.run()  # known exhausted: refused without calling Xero
    assert "daily limit" in refused.message
    assert xero_env.stats()["tenants"][_tenant(connected)]["calls"]["api.PUT.Invoices"] == calls
    xero_env.set_limits(day=5000)  # "tomorrow", as a new process sees it
    second = make_service().sync.run()
    assert second.state == "finished"
    assert first.created + second.created == first.selected
    _assert_exactly_once(connected, xero_env)


def test_cancel_between_batches(connected: Service, xero_env: Sandbox, tmp_path: Path) -> None:
    connected.use(DEMO)
    connected.sync.import_file(generated(tmp_path, 200))
    cancel = threading.Event()

    def progress(p: Progress) -> None:
        if p.done >= 50:
            cancel.set()

    result = connected.sync.run(progress=progress, cancel=cancel)
    assert result.state == "cancelled"
    assert result.created == 50
    rest = connected.sync.run()
    assert rest.created == result.selected - 50
    _assert_exactly_once(connected, xero_env)


def test_payments_come_back(ready: Service, xero_env: Sandbox) -> None:
    ready.sync.run()
    tenant = _tenant(ready)
    target = next(i for i in xero_env.invoices(tenant) if i["InvoiceNumber"] == "INV-002402")
    total = float(target["Total"])
    xero_env.pay(round(total / 2, 2), invoice_number="INV-002402", tenant_id=tenant)
    assert ready.sync.refresh_payments() == 1
    row = next(r for r in ready.sync.invoices() if r.invoice_number == "INV-002402")
    assert row.status == "Partially Paid"
    assert row.amount_paid is not None
    due = next(i for i in xero_env.invoices(tenant) if i["InvoiceNumber"] == "INV-002402")
    xero_env.pay(due["AmountDue"], invoice_number="INV-002402", tenant_id=tenant)
    ready.sync.refresh_payments()
    row = next(r for r in ready.sync.invoices() if r.invoice_number == "INV-002402")
    assert (row.status, row.xero_status, row.amount_due) == ("Fully Paid", "PAID", "0")
    xero_env.void(invoice_number="INV-002403", tenant_id=tenant)
    assert ready.sync.refresh_payments() >= 1
    voided = next(r for r in ready.sync.invoices() if r.invoice_number == "INV-002403")
    assert voided.xero_status == "VOIDED"


def test_reimport_of_a_changed_synced_invoice_is_flagged(
    ready: Service, xero_env: Sandbox, tmp_path: Path
) -> None:
    ready.sync.run()
    changed = SAMPLE.read_text(encoding="utf-8").replace(
        "INV-002402,2026-10-13,,Not Paid,Agency Managed,P-000102,Adam Smith,431877310,,,"
        "04_104_0125_6_1,Access Community Social and Rec Activ - Standard - Weekday Daytime,,"
        "2026-10-06,1.5,",
        "INV-002402,2026-10-13,,Not Paid,Agency Managed,P-000102,Adam Smith,431877310,,,"
        "04_104_0125_6_1,Access Community Social and Rec Activ - Standard - Weekday Daytime,,"
        "2026-10-06,2.5,",
    )
    assert changed != SAMPLE.read_text(encoding="utf-8")
    path = tmp_path / "changed.csv"
    path.write_text(changed, encoding="utf-8")
    _, summary = ready.sync.import_file(path)
    assert summary.flagged == 1
    (row,) = ready.sync.invoices(state="changed")
    assert row.invoice_number == "INV-002402"
    result = ready.sync.run()
    assert result.created == 0
    assert len(_numbers_in_xero(xero_env, _tenant(ready))) == 29


def test_guards(ready: Service, xero_env: Sandbox) -> None:
    lock = FileLock(str(ready.paths.data_dir / f"sync-{_tenant(ready)}.lock"))
    with lock, pytest.raises(SyncBusy, match="already running"):
        ready.sync.run()
    ready.set_enabled(False)
    with pytest.raises(IntegrationDisabled):
        ready.sync.run()
    ready.set_enabled(True)
    ready.logout()
    with pytest.raises(NotConnected, match="Connect to Xero first"):
        ready.sync.run()
    assert (
        xero_env.invoices(
            ready.saved_connections()[0].tenant_id if ready.saved_connections() else None
        )
        == []
    )


def test_support_item_mapping_drives_preflight(ready: Service, xero_env: Sandbox) -> None:
    item = ready.sync.set_support_item("01_011_0107_1_1", account_code="250", tax_type="output")
    assert (item.account_code, item.tax_type) == ("250", "OUTPUT")
    preview = ready.sync.run(dry_run=True)
    archived = [o for o in preview.outcomes if "is archived in Xero" in o.message]
    assert archived
    ready.sync.set_support_item("01_011_0107_1_1", account_code="", tax_type="")
    assert ready.sync.run(dry_run=True).blocked == 1
