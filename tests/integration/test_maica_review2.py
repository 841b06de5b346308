"""The second outside review's findings on the Maica org, each against the offline org over
HTTP: one field never serves two roles, a full pull still sees invoices Maica's own sync sent,
and the store never mixes two orgs."""

from __future__ import annotations

import pytest

from maica_xero_desktop.core.errors import ConfigurationError, MaicaXeroError
from maica_xero_desktop.core.service import Service, internals
from maica_xero_desktop.sandbox import Sandbox
from tests.integration.maica_support import FEI, NS, XERO_NO, invoices, maica_ready

pytestmark = pytest.mark.usefixtures("no_rate_limits")


@pytest.mark.parametrize(
    ("key", "name", "serving"),
    [
        ("invoice.xero_invoice_number", FEI, "invoice.finance_external_id"),
        ("invoice.finance_external_id", "Name", "invoice.number"),
        ("invoice.xero_invoice_number", "Name", "invoice.number"),
        ("payment.paid", f"{NS}__Include__c", "payment.include"),
    ],
)
def test_one_field_never_serves_two_roles(
    service: Service, xero_env: Sandbox, key: str, name: str, serving: str
) -> None:
    """Review 2, P1-A: the Xero number written over the Xero id would lose every link."""
    maica_ready(service)
    saved = dict(service.settings().maica_mapping)
    with pytest.raises(ConfigurationError, match="would serve both") as refused:
        service.maica.confirm_mapping({key: name})
    assert serving in str(refused.value)
    assert "nothing was saved" in str(refused.value)
    assert service.settings().maica_mapping == saved
    assert service.maica.check().ok


def test_a_hand_edited_mapping_with_one_field_for_two_roles_refuses_the_sync(
    service: Service, xero_env: Sandbox
) -> None:
    maica_ready(service)

    def edit(settings: object) -> None:
        mapping = dict(getattr(settings, "maica_mapping"))  # noqa: B009
        mapping["invoice.xero_invoice_number"] = FEI
        setattr(settings, "maica_mapping", mapping)  # noqa: B010

    service.update_settings(edit)
    check = service.maica.check()
    assert not check.ok
    [field] = [f for f in check.fields if f.key == "invoice.xero_invoice_number"]
    assert field.state == "missing"
    assert "already serves invoice.finance_external_id" in field.suggestion
    with pytest.raises(MaicaXeroError, match="xero_invoice_number"):
        service.sync.run()
    assert not any(r.get(FEI) for r in invoices(xero_env).values() if r.get(XERO_NO))


def test_a_full_pull_still_sees_invoices_that_maicas_own_sync_sent(
    service: Service, xero_env: Sandbox
) -> None:
    """Review 2, P2-E: ``maica pull --full`` skipped the changed-hands check and moved the mark
    past it, so an invoice Maica's own sync had sent was sent to Xero a second time."""
    maica_ready(service)
    service.maica.pull()
    waiting = [r for r in service.sync.invoices() if r.state == "pending"]
    number = waiting[0].invoice_number
    sf_id = invoices(xero_env)[number]["Id"]
    # Maica's own sync sends it and writes its Xero id
    theirs = "5b6c7d8e-0000-4000-8000-00000000e2e2"
    xero_env.maica_upsert_records(f"{NS}__Invoice__c", [{"Id": sf_id, FEI: theirs}])
    xero_env.advance_clock(20 * 60)

    result = service.maica.pull(full=True)

    assert result.linked_elsewhere == 1
    assert number in service.maica.check().changed_hands
    tenant = service.settings().active_tenant_id
    service.sync.run()
    sent = [i for i in xero_env.invoices(tenant) if i["InvoiceNumber"] == number]
    assert sent == []  # never sent by this program: Maica's own sync has it
    [row] = [r for r in service.sync.invoices() if r.invoice_number == number]
    assert row.state != "pending"


def test_invoices_read_from_another_org_are_never_pulled_over_nor_written_back_by_id(
    service: Service, xero_env: Sandbox
) -> None:
    """Review 2, P2-J: the store is one org's: Salesforce Ids from another org would make a
    write-back by Id land on other records."""
    maica_ready(service)
    service.sync.run()
    store = internals(service).store
    with store.db.tx() as conn:  # as if these had been read from another org first
        conn.execute("UPDATE maica_records SET org = '00D5g00000OTHERORG'")
    for step in (service.maica.pull, service.maica.write_back, service.sync.run):
        with pytest.raises(ConfigurationError, match="another Maica org \\(00D5g00000OTHERORG\\)"):
            step()


def test_an_invoice_deleted_in_maica_after_the_pull_is_never_sent(
    service: Service, xero_env: Sandbox
) -> None:
    """Review 2, P2-F: a pulled invoice deleted in Maica before it was sent."""
    maica_ready(service)
    service.config_set("flow", "draft")  # Entered invoices are sent too: all of them wait here
    assert not service.maica.pull().errors
    waiting = sorted(r.invoice_number for r in service.sync.invoices() if r.state == "pending")
    number = waiting[0]
    xero_env.maica_delete(f"{NS}__Invoice__c", str(invoices(xero_env)[number]["Id"]))

    result = service.sync.run()

    tenant = service.settings().active_tenant_id
    sent = {i["InvoiceNumber"] for i in xero_env.invoices(tenant)}
    assert number not in sent
    assert set(waiting) - {number} <= sent
    [row] = [r for r in service.sync.invoices() if r.invoice_number == number]
    assert row.state == "not_eligible"
    assert row.message.startswith("No longer in the Maica org (deleted there")
    assert "no longer in the Maica org" in result.message
