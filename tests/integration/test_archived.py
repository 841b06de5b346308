"""Archived contacts and tracking options (issue 12.5): blocked with what to do, never re-created,
never sent to fail; contact lookups in few calls."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from maica_xero_desktop.core.service import Service, internals
from maica_xero_desktop.sandbox import Sandbox
from maica_xero_desktop.sandbox.ledger import Contact
from tests.support.exports import DEMO, generated, write_export

pytestmark = pytest.mark.usefixtures("no_rate_limits")


def _export(folder: Path, *rows: tuple[str, str, str], name: str = "export.csv") -> Path:
    """One-line invoices: (invoice number, participant id, tracking_1)."""
    lines = [
        f"{number},2026-10-20,2026-11-03,Not Paid,Plan Managed,{pid},Person {pid},,,,"
        f"01_011_0107_1_1,Assistance With Self-Care Activities,,2026-10-06,1,50,,,{tracking},,AUD\n"
        for number, pid, tracking in rows
    ]
    return write_export(folder, lines, name)


def _calls(sandbox: Sandbox, tenant: str, endpoint: str) -> int:
    return int(sandbox.stats()["tenants"][tenant]["calls"].get(endpoint, 0))


def _outcome(service: Service, number: str) -> tuple[str, str]:
    row = next(r for r in service.sync.invoices() if r.invoice_number == number)
    return row.state, row.message


def test_a_contact_archived_after_use_blocks_until_restored(
    connected: Service, xero_env: Sandbox, tmp_path: Path
) -> None:
    tenant = connected.use(DEMO)["tenantId"]
    connected.sync.import_file(_export(tmp_path, ("M-1", "P-1", ""), ("M-2", "P-2", "")))
    assert connected.sync.run().created == 2
    xero_env.archive_contact("P-1", tenant_id=tenant)
    connected.sync.import_file(
        _export(tmp_path, ("M-3", "P-1", ""), ("M-4", "P-2", ""), name="two.csv")
    )
    puts = _calls(xero_env, tenant, "api.PUT.Contacts")
    result = connected.sync.run()
    assert result.created == 1
    state, message = _outcome(connected, "M-3")
    assert state == "blocked"
    assert "archived in Xero" in message
    assert "Restore the contact in Xero" in message
    assert _calls(xero_env, tenant, "api.PUT.Contacts") == puts  # never re-created
    assert sum(1 for c in xero_env.contacts(tenant) if c["ContactNumber"] == "P-1") == 1
    xero_env.archive_contact("P-1", archived=False, tenant_id=tenant)
    assert connected.sync.run().created == 1
    assert _outcome(connected, "M-3")[0] == "synced"


def test_an_archived_contact_unknown_to_the_store_is_not_created_again(
    connected: Service, xero_env: Sandbox, tmp_path: Path
) -> None:
    tenant = connected.use(DEMO)["tenantId"]
    made = internals(connected).xero.accounting(
        "PUT", "Contacts", tenant, json={"Contacts": [{"Name": "Old Name", "ContactNumber": "P-9"}]}
    )
    xero_env.archive_contact(str(made["Contacts"][0]["ContactID"]), tenant_id=tenant)
    connected.sync.import_file(_export(tmp_path, ("M-9", "P-9", "")))
    for _ in range(2):  # the same on every run: blocked, not failed
        connected.sync.run()
        state, message = _outcome(connected, "M-9")
        assert state == "blocked"
        assert "'Old Name' is archived in Xero" in message
    assert _calls(xero_env, tenant, "api.PUT.Contacts") == 1  # only this test's own


def test_an_archived_tracking_option_blocks_with_what_to_do(
    connected: Service, xero_env: Sandbox, tmp_path: Path
) -> None:
    connected.use(DEMO)
    connected.sync.import_file(_export(tmp_path, ("M-5", "P-5", "Region:West (closed)")))
    connected.sync.run()
    state, message = _outcome(connected, "M-5")
    assert state == "blocked"
    assert "tracking option 'Region: West (closed)' is archived in Xero" in message
    assert "Restore it in Xero" in message


def _more_contacts(sandbox: Sandbox, tenant: str, count: int) -> None:
    """``count`` more customers in the organisation (not participants)."""
    state = sandbox.state
    with state.lock:
        ledger = state.ledger(tenant)
        now = state.now()
        for n in range(count):
            name = f"Customer {n:04d}"
            ledger.put_contact(
                Contact(str(uuid.uuid4()), name, None, None, None, None, None, "ACTIVE", now, now)
            )


def test_few_new_participants_are_looked_up_not_listed(
    connected: Service, xero_env: Sandbox, tmp_path: Path
) -> None:
    tenant = connected.use(DEMO)["tenantId"]
    _more_contacts(xero_env, tenant, 2500)
    connected.sync.import_file(_export(tmp_path, ("M-6", "P-6", ""), ("M-7", "P-7", "")))
    before = _calls(xero_env, tenant, "api.GET.Contacts")
    assert connected.sync.run().created == 2
    assert _calls(xero_env, tenant, "api.GET.Contacts") - before == 1  # one where lookup


def test_contact_listing_stops_on_the_page_count(
    connected: Service, xero_env: Sandbox, tmp_path: Path
) -> None:
    tenant = connected.use(DEMO)["tenantId"]
    _more_contacts(xero_env, tenant, 300)
    connected.sync.import_file(generated(tmp_path, 400, lines=1, participants=150, seed=4))
    before = _calls(xero_env, tenant, "api.GET.Contacts")
    connected.sync.run()
    # 150 participants (too many to look up one by one) among 450 contacts: one page of
    # 1,000 (pagination.pageCount is 1), not a second, empty one
    assert _calls(xero_env, tenant, "api.GET.Contacts") - before == 1
