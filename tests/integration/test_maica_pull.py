"""The Maica org as the source, against the sandbox's offline org over HTTP: connect, the mapping
check (and a missing field), the pull (all or nothing, incremental), invoices that changed
hands."""

from __future__ import annotations

import pytest

from maica_xero_desktop.core.errors import ConfigurationError, Remedy, SalesforceLimitExceeded
from maica_xero_desktop.core.maica_service import MaicaMappingIncomplete, MaicaMappingUnconfirmed
from maica_xero_desktop.core.service import Service, internals
from maica_xero_desktop.sandbox import Sandbox
from tests.integration.maica_support import (
    FEI,
    INVOICE,
    LINE,
    NS,
    XERO_NO,
    connect_maica,
    invoices,
    maica_ready,
    open_invoice_numbers,
)


def test_connect_and_check_find_every_field(service: Service, xero_env: Sandbox) -> None:
    status = service.maica.connect(lambda url: None, timeout=10)
    assert status.connected
    assert status.namespace == "maica_cc"
    assert status.org_name
    assert status.mapping_ok is False  # the names found by label await confirmation
    check = service.maica.check()
    assert not check.ok
    assert check.namespace == "maica_cc"
    assert f"Xero Invoice Number → {XERO_NO}" in check.sentence
    by_key = {f"{f.object}.{f.role}": f for f in check.fields}
    assert by_key["invoice.xero_invoice_number"].api_name == XERO_NO
    assert by_key["invoice.xero_invoice_number"].unconfirmed
    assert "invoice.xero_invoice_number" in check.unconfirmed
    assert by_key["invoice.lines"].api_name == f"{NS}__Invoice_Line_Items__r"
    assert all(f.state == "found" for f in check.fields if f.required)
    confirmed = service.maica.confirm_mapping()
    assert confirmed.unconfirmed == ()
    assert confirmed.ok
    assert confirmed.sentence == ""
    assert service.settings().maica_mapping["invoice.xero_invoice_number"] == XERO_NO
    assert confirmed.to_json()["ok"] is True
    assert service.maica.status().mapping_ok is True


#: the names the offline org's fields are found by (label → API name)
FOUND_BY_LABEL = (
    f"Xero Invoice Number → {XERO_NO}",
    f"Invoice Date → {NS}__Invoice_Date__c",
    f"Due Date → {NS}__Due_Date__c",
    f"Description (invoice line) → {NS}__Line_Description__c",
    f"Invoice Line Items (child relationship) → {NS}__Invoice_Line_Items__r",
)


def test_names_found_by_label_refuse_the_pull_until_confirmed(
    service: Service, xero_env: Sandbox
) -> None:
    service.maica.connect(lambda url: None, timeout=10)
    queries = xero_env.maica_stats()["calls"].get("query", 0)  # the sign-in read the org's name
    with pytest.raises(MaicaMappingUnconfirmed) as refused:
        service.maica.pull()
    said = refused.value.fact
    for name in FOUND_BY_LABEL:
        assert name in said
    assert said.count(".") == 1  # one sentence
    assert said.endswith(".")
    assert refused.value.remedy == Remedy.CHECK_MAICA_MAPPING
    store = internals(service).store
    assert store.maica_records() == {}
    assert xero_env.maica_stats()["calls"].get("query", 0) == queries  # nothing was read
    check = service.maica.check()
    assert not check.ok
    assert set(check.unconfirmed) == {
        "invoice.xero_invoice_number",
        "invoice.invoice_date",
        "invoice.due_date",
        "line.description",
        "invoice.lines",
    }
    assert service.maica.status().mapping_ok is False
    # the administrator confirms: the same names, now used
    assert service.maica.confirm_mapping().ok
    assert service.maica.pull().new == len(open_invoice_numbers(xero_env))


def test_an_override_the_org_does_not_have_is_refused_and_nothing_saved(
    service: Service, xero_env: Sandbox
) -> None:
    service.maica.connect(lambda url: None, timeout=10)
    before = dict(service.settings().maica_mapping)
    nope = f"{NS}__Xero_No__c"
    with pytest.raises(ConfigurationError, match=f"no field {nope} on {INVOICE}") as refused:
        service.maica.confirm_mapping({"invoice.xero_invoice_number": nope})
    assert refused.value.remedy == Remedy.CHECK_MAICA_MAPPING
    # a field the API user cannot see (field-level security) is refused the same way
    hidden = f"{NS}__Due_Date__c"
    xero_env.maica_fields(INVOICE, hide=[hidden])
    with pytest.raises(ConfigurationError, match=f"no field {hidden}"):
        service.maica.confirm_mapping({"invoice.due_date": hidden})
    # a field of the wrong type
    with pytest.raises(ConfigurationError, match=r"cannot serve as invoice\.invoice_date"):
        service.maica.confirm_mapping({"invoice.invoice_date": "Name"})
    with pytest.raises(ConfigurationError, match="no child relationship"):
        service.maica.confirm_mapping({"invoice.lines": f"{NS}__Lines__r"})
    assert dict(service.settings().maica_mapping) == before  # nothing confirmed either
    assert service.maica.status().mapping_ok is False
    # a field that exists, of the right type: taken, and the others confirmed with it
    xero_env.maica_fields(INVOICE, show=[hidden])
    check = service.maica.confirm_mapping({"invoice.due_date": hidden})
    assert check.ok
    assert service.settings().maica_mapping["invoice.due_date"] == hidden


def test_a_missing_field_is_reported_and_refuses_the_pull(
    service: Service, xero_env: Sandbox
) -> None:
    connect_maica(service)
    # the API user loses sight of the Xero number field (field-level security)
    xero_env.maica_fields(INVOICE, hide=[XERO_NO])
    check = service.maica.check()
    assert not check.ok
    [bad] = [f for f in check.fields if f.role == "xero_invoice_number"]
    assert bad.state == "missing"
    assert XERO_NO in check.sentence
    assert "field-level security" in bad.suggestion
    assert service.maica.status().mapping_ok is False
    with pytest.raises(MaicaMappingIncomplete, match="xero_invoice_number") as refused:
        service.maica.pull()
    assert refused.value.remedy == Remedy.CHECK_MAICA_MAPPING
    assert internals(service).store.maica_records() == {}
    # visible again: the confirmed name works again
    xero_env.maica_fields(INVOICE, show=[XERO_NO])
    assert service.maica.check().ok
    assert service.maica.pull().new > 0


def test_the_older_namespace(service: Service, xero_env: Sandbox) -> None:
    xero_env.maica_set_namespace("maica")
    status = service.maica.connect(lambda url: None, timeout=10)
    assert status.namespace == "maica"
    check = service.maica.confirm_mapping()
    assert check.ok
    assert check.namespace == "maica"
    result = service.maica.pull()
    assert result.pulled > 0
    assert not result.errors


def test_pull_reads_every_open_invoice_with_its_lines(service: Service, xero_env: Sandbox) -> None:
    connect_maica(service)
    expected = open_invoice_numbers(xero_env)
    result = service.maica.pull()
    assert not result.errors
    assert result.pulled == len(expected) == result.new
    assert not result.bulk
    assert result.api_calls <= 3  # the count, one page (describe was done by the check)
    store = internals(service).store
    stored = {n: sf_id for sf_id, (_, n, _) in store.maica_records().items()}
    assert set(stored) == expected
    org = invoices(xero_env)
    assert all(org[n]["Id"] == sf_id for n, sf_id in stored.items())
    # lines: the org's, without excluded ones
    by_invoice: dict[str, int] = {}
    for line in xero_env.maica_records(LINE):
        if not line.get(f"{NS}__Exclude__c"):
            by_invoice[line[f"{NS}__Invoice__c"]] = by_invoice.get(line[f"{NS}__Invoice__c"], 0) + 1
    loaded = {s.invoice.invoice_number: s.invoice for s in store.load_invoices("")}
    for number in expected:
        assert len(loaded[number].lines) == by_invoice.get(org[number]["Id"], 0), number
    some = loaded[sorted(expected)[0]]
    assert some.participant_id.startswith("003")
    assert some.participant_name


def test_a_bad_record_stores_nothing_and_is_named(service: Service, xero_env: Sandbox) -> None:
    connect_maica(service)
    org = invoices(xero_env)
    number = sorted(open_invoice_numbers(xero_env))[0]
    bad_id = org[number]["Id"]
    xero_env.maica_upsert_records(INVOICE, [{"Id": bad_id, f"{NS}__Invoice_Date__c": None}])
    result = service.maica.pull()
    assert result.errors
    assert result.new == 0
    assert [(e.sf_id, e.invoice_number) for e in result.errors] == [(bad_id, number)]
    assert "Invoice_Date__c" in result.errors[0].reason
    store = internals(service).store
    assert store.maica_records() == {}
    assert store.load_invoices("") == []
    assert store.maica_mark(service.maica._org()) == ""
    # corrected in Maica: the next pull takes everything
    xero_env.maica_upsert_records(INVOICE, [{"Id": bad_id, f"{NS}__Invoice_Date__c": "2026-10-12"}])
    result = service.maica.pull()
    assert not result.errors
    assert result.new == len(open_invoice_numbers(xero_env))


def test_incremental_pulls_read_only_what_changed(service: Service, xero_env: Sandbox) -> None:
    connect_maica(service)
    first = service.maica.pull()
    assert first.new > 0
    again = service.maica.pull()
    assert (again.new, again.changed) == (0, 0)
    # the records of the look-back window come back, skipped as unchanged
    assert again.unchanged > 0
    number = sorted(open_invoice_numbers(xero_env))[0]
    line = next(
        r for r in xero_env.maica_records(LINE)
        if r[f"{NS}__Invoice__c"] == invoices(xero_env)[number]["Id"]
    )  # fmt: skip
    xero_env.maica_upsert_records(LINE, [{"Id": line["Id"], f"{NS}__Quantity__c": 9.25}])
    # a line's change touches its invoice's SystemModstamp (master-detail)
    changed = service.maica.pull()
    assert changed.changed == 1
    assert changed.new == 0
    stored = {
        s.invoice.invoice_number: s.invoice for s in internals(service).store.load_invoices("")
    }
    assert any(str(li.quantity) == "9.25" for li in stored[number].lines)


def test_an_invoice_maicas_own_sync_took_is_linked_not_sent(
    service: Service, xero_env: Sandbox
) -> None:
    maica_ready(service)
    assert service.maica.pull().new > 0
    number = sorted(open_invoice_numbers(xero_env))[0]
    sf_id = invoices(xero_env)[number]["Id"]
    xero_env.maica_upsert_records(
        INVOICE, [{"Id": sf_id, FEI: "5b6c7d8e-0000-4000-8000-000000000001", XERO_NO: "INV-9001"}]
    )
    result = service.maica.pull()
    assert result.linked_elsewhere == 1
    check = service.maica.check()
    assert check.changed_hands == (number,)
    assert "Maica's own sync" in check.sentence
    assert f"1 invoice this program read ({number}) was then sent" in check.sentence
    [row] = [r for r in service.sync.invoices() if r.invoice_number == number]
    assert row.state == "synced"
    assert row.xero_invoice_id == "5b6c7d8e-0000-4000-8000-000000000001"
    # pulled again: still linked once, nothing new
    assert service.maica.pull().linked_elsewhere == 0


def test_the_daily_limit_mid_pull_stores_nothing(service: Service, xero_env: Sandbox) -> None:
    xero_env.maica_generate(invoices=2500, lines_per_invoice=1)
    connect_maica(service)
    used = int(xero_env.maica_stats()["api_usage"])
    xero_env.maica_set_limits(daily=used + 2, used=used)  # the count and the first page
    with pytest.raises(SalesforceLimitExceeded, match="nothing was half-written"):
        service.maica.pull()
    store = internals(service).store
    assert store.maica_records() == {}
    assert store.load_invoices("") == []
    assert store.maica_mark(service.maica._org()) == ""
    xero_env.maica_set_limits(daily=15000, used=0)
    assert service.maica.pull().new == len(open_invoice_numbers(xero_env))


def test_an_expired_session_mid_pull_is_renewed(service: Service, xero_env: Sandbox) -> None:
    connect_maica(service)
    xero_env.maica_expire_sessions()
    result = service.maica.pull()
    assert result.new == len(open_invoice_numbers(xero_env))
    assert xero_env.maica_stats()["calls"]["token.refresh_token"] == 1


def test_a_bulk_pull_stores_the_same_invoices(service: Service, xero_env: Sandbox) -> None:
    connect_maica(service)
    result = service.maica.pull(bulk=True)
    assert result.bulk
    assert not result.errors
    expected = open_invoice_numbers(xero_env)
    assert result.new == len(expected)
    org = invoices(xero_env)
    per_invoice: dict[str, int] = {}
    for line in xero_env.maica_records(LINE):
        if not line.get(f"{NS}__Exclude__c"):
            key = line[f"{NS}__Invoice__c"]
            per_invoice[key] = per_invoice.get(key, 0) + 1
    for stored in internals(service).store.load_invoices(""):
        number = stored.invoice.invoice_number
        assert len(stored.invoice.lines) == per_invoice[org[number]["Id"]], number
        assert stored.invoice.participant_name


def test_a_field_the_query_may_not_read_refuses_with_the_check_to_run(
    service: Service, xero_env: Sandbox
) -> None:
    connect_maica(service)
    xero_env.maica_add_fault(error="INVALID_FIELD", endpoint="query", count=1)
    with pytest.raises(MaicaMappingIncomplete, match="refused a mapped field") as refused:
        service.maica.pull()
    assert refused.value.remedy == Remedy.CHECK_MAICA_MAPPING
    assert service.maica.status().mapping_ok is False
    assert internals(service).store.maica_records() == {}
    assert service.maica.pull().new > 0  # described again, read
    assert service.maica.status().mapping_ok is True
