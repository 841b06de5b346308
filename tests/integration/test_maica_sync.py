"""The whole loop against the offline orgs over HTTP: Maica → Xero → the Xero ids, numbers and
payments written back to Maica; refusals per record, an expired session and the daily limit."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import pytest
from filelock import FileLock

from maica_xero_desktop.core.errors import (
    Remedy,
    SalesforceError,
    SalesforceLimitExceeded,
    SalesforceUnavailable,
)
from maica_xero_desktop.core.maica_service import (
    MaicaMappingIncomplete,
    MaicaMappingUnconfirmed,
    MaicaPullRejected,
)
from maica_xero_desktop.core.service import Service, internals
from maica_xero_desktop.core.store import InvoiceRow
from maica_xero_desktop.core.sync import SyncBusy
from maica_xero_desktop.sandbox import Sandbox
from tests.integration.maica_support import (
    DEMO,
    FEI,
    INVOICE,
    NS,
    XERO_NO,
    invoices,
    maica_ready,
    payments,
)

pytestmark = pytest.mark.usefixtures("no_rate_limits")


def _xero_by_number(sandbox: Sandbox, tenant: str) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for invoice in sandbox.invoices(tenant):
        number = str(invoice["InvoiceNumber"])
        assert number not in found, f"{number} twice in Xero"
        found[number] = invoice
    return found


def _sent_and_paid(service: Service, xero_env: Sandbox) -> tuple[str, InvoiceRow]:
    """The Maica org ready, a run sent its invoices, and one of them paid 10.00 in Xero: the
    tenant and that invoice."""
    maica_ready(service)
    service.sync.run()
    tenant = service.settings().active_tenant_id
    row = next(r for r in service.sync.invoices() if r.state == "synced")
    xero_env.pay("10.00", invoice_id=row.xero_invoice_id, tenant_id=tenant)
    return tenant, row


def _written(sandbox: Sandbox, tenant: str) -> dict[str, tuple[str, str]]:
    """Maica invoice number → (Finance External ID, Xero number) as the org has them."""
    return {
        n: (str(r.get(FEI) or ""), str(r.get(XERO_NO) or ""))
        for n, r in invoices(sandbox).items()
        if r.get(FEI)
    }


def test_sync_sends_maica_invoices_and_writes_back(service: Service, xero_env: Sandbox) -> None:
    maica_ready(service)
    before = {n: r[f"{NS}__Status__c"] for n, r in invoices(xero_env).items()}
    result = service.sync.run()
    tenant = service.settings().active_tenant_id
    assert result.pulled > 0
    assert result.created > 0
    assert result.written_back == result.created + result.linked
    assert result.maica_calls > 0
    data = result.to_json()
    assert {"pulled", "written_back", "maica_calls"} <= set(data)
    in_xero = _xero_by_number(xero_env, tenant)
    written = _written(xero_env, tenant)
    synced = [r for r in service.sync.invoices() if r.state == "synced"]
    assert synced
    for row in synced:
        fei, number = written[row.invoice_number]
        assert fei == row.xero_invoice_id == in_xero[row.invoice_number]["InvoiceID"]
        assert number == row.xero_invoice_number == in_xero[row.invoice_number]["InvoiceNumber"]
    # Status is Maica's: never written (unchanged without payments)
    after = {n: r[f"{NS}__Status__c"] for n, r in invoices(xero_env).items()}
    assert after == before
    [run] = service.sync.history(limit=1)
    assert run.maica_calls == result.maica_calls
    assert run.pulled == result.pulled
    assert run.written_back == result.written_back
    # a second run sends nothing and writes nothing again
    again = service.sync.run()
    assert (again.created, again.written_back) == (0, 0)


def test_a_payment_is_upserted_once_and_a_removed_one_switched_off(
    service: Service, xero_env: Sandbox
) -> None:
    tenant, row = _sent_and_paid(service, xero_env)
    in_xero = next(i for i in xero_env.invoices(tenant) if i["InvoiceID"] == row.xero_invoice_id)
    payment_id = str(in_xero["PaymentIDs"][0])
    # Salesforce acts on the upsert but the answer is lost: the journal does not know
    xero_env.maica_add_fault(drop_response="upsert", count=1)
    assert service.sync.refresh_payments() >= 1  # its write-back lost the answer (logged)
    xero_env.maica_add_fault(drop_response="upsert", count=1)
    with pytest.raises(SalesforceUnavailable):  # the same, asked directly
        service.maica.write_back()
    first = service.maica.write_back()
    assert first.payments == 1
    # redelivered (re-read) payment: nothing changed, nothing sent
    service.sync.refresh_payments()
    assert service.maica.write_back().payments == 0
    records = [
        p for p in payments(xero_env) if p.get(f"{NS}__Finance_External_ID__c") == payment_id
    ]
    assert len(records) == 1, "one Payment record per Xero payment"
    record = records[0]
    assert record[f"{NS}__Invoice__c"] == invoices(xero_env)[row.invoice_number]["Id"]
    assert float(record[f"{NS}__Payment_Amount__c"]) == 10.0
    assert record[f"{NS}__Paid__c"] is True
    assert record[f"{NS}__Include__c"] is True
    assert record[f"{NS}__Source__c"] == "Xero"
    assert str(record[f"{NS}__Payment_Date__c"]).startswith("20")
    # reversed in Xero: the same record, Include and Paid off (never deleted)
    xero_env.reverse_payment(payment_id, tenant_id=tenant)
    service.sync.refresh_payments()  # writes it to Maica at once
    assert service.maica.write_back().payments == 0
    records = [
        p for p in payments(xero_env) if p.get(f"{NS}__Finance_External_ID__c") == payment_id
    ]
    assert len(records) == 1
    assert records[0][f"{NS}__Include__c"] is False
    assert records[0][f"{NS}__Paid__c"] is False


def test_refusals_per_record_and_lock_retries(service: Service, xero_env: Sandbox) -> None:
    maica_ready(service)
    org = invoices(xero_env)
    pulled = service.maica.pull()
    assert pulled.new > 2
    to_send = sorted(r.invoice_number for r in service.sync.invoices("pending"))
    refused_id, locked_id = org[to_send[0]]["Id"], org[to_send[1]]["Id"]
    xero_env.maica_add_fault(
        error="FIELD_CUSTOM_VALIDATION_EXCEPTION", endpoint="composite", count=1,
        record_ids=[refused_id],
    )  # fmt: skip
    xero_env.maica_add_fault(
        error="UNABLE_TO_LOCK_ROW", endpoint="composite", count=1, record_ids=[locked_id]
    )
    result = service.sync.run()
    assert result.created > 0
    refused_number = next(n for n, r in org.items() if r["Id"] == refused_id)
    written = _written(xero_env, service.settings().active_tenant_id)
    assert refused_number not in written
    assert next(n for n, r in org.items() if r["Id"] == locked_id) in written  # retried
    assert result.written_back == result.created + result.linked - 1
    # the rule no longer refuses: the next write-back writes it
    again = service.maica.write_back()
    assert again.invoices == 1
    assert refused_number in _written(xero_env, service.settings().active_tenant_id)


def test_an_expired_session_is_renewed_mid_run(service: Service, xero_env: Sandbox) -> None:
    maica_ready(service)
    service.maica.pull()
    renewals = xero_env.maica_stats()["calls"].get("token.refresh_token", 0)
    xero_env.maica_expire_sessions()
    result = service.sync.run()
    assert result.written_back > 0
    assert xero_env.maica_stats()["calls"]["token.refresh_token"] == renewals + 1
    # and in the middle of a write-back: the refused collection is sent again once renewed
    xero_env.maica_generate(invoices=3, lines_per_invoice=1)
    xero_env.maica_add_fault(error="INVALID_SESSION_ID", endpoint="composite", count=1)
    again = service.sync.run()
    assert again.created == again.written_back == 3
    assert xero_env.maica_stats()["calls"]["token.refresh_token"] == renewals + 2
    assert internals(service).store.writeback_pending(service.settings().active_tenant_id) == []


def test_the_daily_limit_stops_the_write_back_with_nothing_half_written(
    service: Service, xero_env: Sandbox
) -> None:
    xero_env.maica_generate(invoices=230, lines_per_invoice=1)
    maica_ready(service)
    xero_env.maica_add_fault(error="REQUEST_LIMIT_EXCEEDED", endpoint="composite", count=1)
    result = service.sync.run()
    tenant = service.settings().active_tenant_id
    assert result.created > 200
    assert result.state == "failed"
    assert "API budget" in result.message
    assert "half-written" not in result.message  # the invoices are in Xero: said so
    assert result.exit_code == 2
    assert _written(xero_env, tenant) == {}  # the refused call wrote nothing
    # the next day's budget runs out after one collection of 200
    used = int(xero_env.maica_stats()["api_usage"])
    xero_env.maica_set_limits(daily=used + 2, used=used)  # a read and a write today
    with pytest.raises(SalesforceLimitExceeded, match="nothing was half-written"):
        service.maica.write_back()
    written = _written(xero_env, tenant)
    pending = internals(service).store.writeback_pending(tenant)
    assert len(written) + len(pending) == result.created + result.linked
    assert len(written) == 200  # one collection confirmed, journalled; the next refused
    xero_env.maica_set_limits(daily=15000, used=0)
    finished = service.sync.run()
    assert finished.created == 0
    assert len(_written(xero_env, tenant)) == result.created + result.linked
    assert internals(service).store.writeback_pending(tenant) == []


def test_sync_refuses_on_a_missing_required_field(service: Service, xero_env: Sandbox) -> None:
    maica_ready(service)
    xero_env.maica_fields(INVOICE, hide=[FEI])  # the API user cannot see it any more
    with pytest.raises(MaicaMappingIncomplete, match="finance_external_id") as refused:
        service.sync.run()
    assert FEI in refused.value.fact
    assert internals(service).store.maica_records() == {}  # nothing pulled
    assert service.sync.history() == []  # no run started


def test_sync_refuses_until_the_names_found_by_label_are_confirmed(
    service: Service, xero_env: Sandbox
) -> None:
    service.connect(lambda url: None, timeout=10)
    service.use(DEMO)
    service.maica.connect(lambda url: None, timeout=10)
    service.config_set("source", "maica")
    tenant = service.settings().active_tenant_id
    with pytest.raises(MaicaMappingUnconfirmed) as refused:
        service.sync.run()
    said = refused.value.fact
    assert f"Xero Invoice Number → {XERO_NO}" in said
    assert f"Invoice Date → {NS}__Invoice_Date__c" in said
    assert f"Due Date → {NS}__Due_Date__c" in said
    assert f"Description (invoice line) → {NS}__Line_Description__c" in said
    assert f"Invoice Line Items (child relationship) → {NS}__Invoice_Line_Items__r" in said
    assert refused.value.remedy == Remedy.CHECK_MAICA_MAPPING
    assert internals(service).store.maica_records() == {}
    assert service.sync.history() == []
    assert xero_env.invoices(tenant) == []
    with pytest.raises(MaicaMappingUnconfirmed):
        service.maica.write_back()
    service.maica.confirm_mapping()
    result = service.sync.run()
    assert result.created > 0
    assert result.written_back == result.created + result.linked


def test_a_read_only_xero_number_field_is_not_writable_and_refuses_the_sync(
    service: Service, xero_env: Sandbox
) -> None:
    maica_ready(service)
    tenant = service.settings().active_tenant_id
    xero_env.maica_fields(INVOICE, readonly=[XERO_NO])  # field-level security: read only
    check = service.maica.check()
    assert not check.ok
    [field] = [f for f in check.fields if f.key == "invoice.xero_invoice_number"]
    assert field.state == "not_writable"
    assert check.to_json()["fields"][[f.key for f in check.fields].index(field.key)]["state"] == (
        "not_writable"
    )
    with pytest.raises(MaicaMappingIncomplete, match="not writable") as refused:
        service.sync.run()
    assert XERO_NO in refused.value.fact
    assert refused.value.remedy == Remedy.CHECK_MAICA_MAPPING
    assert xero_env.invoices(tenant) == []  # nothing went to Xero
    assert internals(service).store.maica_records() == {}
    # edit access given back: the run goes through
    xero_env.maica_fields(INVOICE, show=[XERO_NO])
    assert service.sync.run().created > 0


def test_a_field_made_read_only_since_the_last_check_refuses_the_next_run(
    service: Service, xero_env: Sandbox
) -> None:
    maica_ready(service)
    tenant = service.settings().active_tenant_id
    service.maica.check()  # described now; the org changes after
    xero_env.maica_fields(INVOICE, readonly=[FEI])
    with pytest.raises(MaicaMappingIncomplete, match="finance_external_id"):
        service.sync.run()
    assert xero_env.invoices(tenant) == []


def test_export_updates_writes_import_ready_formula_safe_files(
    service: Service, xero_env: Sandbox, tmp_path: Path
) -> None:
    _, row = _sent_and_paid(service, xero_env)
    service.sync.refresh_payments()
    target = tmp_path / "updates.csv"
    result = service.maica.export_updates(target)
    assert result.invoices == len([r for r in service.sync.invoices() if r.state == "synced"])
    assert result.payments == 1
    assert result.files == (str(target), str(tmp_path / "updates-payments.csv"))
    with target.open(newline="", encoding="utf-8") as stream:
        rows = list(csv.reader(stream))
    assert rows[0] == ["Id", FEI, XERO_NO]  # API names: Data Loader maps them itself
    org = invoices(xero_env)
    exported = {r[0]: r for r in rows[1:]}
    assert exported[org[row.invoice_number]["Id"]] == [
        org[row.invoice_number]["Id"], row.xero_invoice_id, row.xero_invoice_number,
    ]  # fmt: skip
    with (tmp_path / "updates-payments.csv").open(newline="", encoding="utf-8") as stream:
        payment_rows = list(csv.reader(stream))
    assert payment_rows[0][:2] == [f"{NS}__Finance_External_ID__c", f"{NS}__Invoice__c"]
    assert payment_rows[1][1] == org[row.invoice_number]["Id"]
    assert payment_rows[1][4:] == ["true", "true"]
    assert not list(tmp_path.glob(".updates*"))  # no temporary file left


def test_a_second_run_while_one_holds_the_maica_steps_is_busy(
    service: Service, xero_env: Sandbox
) -> None:
    maica_ready(service)
    tenant = service.settings().active_tenant_id
    held = FileLock(str(service.paths.data_dir / f"maica-sync-{tenant}.lock"), timeout=0)
    held.acquire()
    try:
        with pytest.raises(SyncBusy, match="already running"):
            service.sync.run()
    finally:
        held.release()
    assert service.sync.run().created > 0


def test_a_bad_record_in_maica_refuses_the_run_and_sends_nothing(
    service: Service, xero_env: Sandbox
) -> None:
    maica_ready(service)
    org = invoices(xero_env)
    number = sorted(n for n, r in org.items() if not r.get(FEI))[0]
    bad_id = org[number]["Id"]
    xero_env.maica_upsert_records(
        f"{NS}__Invoice__c", [{"Id": bad_id, f"{NS}__Participant__c": None}]
    )
    with pytest.raises(MaicaPullRejected, match=bad_id) as refused:
        service.sync.run()
    assert number in refused.value.fact
    assert xero_env.invoices(service.settings().active_tenant_id) == []
    assert internals(service).store.maica_records() == {}


def test_export_updates_for_an_org_without_api_access(
    ready: Service, xero_env: Sandbox, tmp_path: Path
) -> None:
    """Invoices imported from a file (no Salesforce Id): in their own file, matched on their
    Name; the Xero number column named by its label until the administrator confirms the
    field, and the result says so."""
    ready.sync.run()
    result = ready.maica.export_updates(tmp_path / "updates.csv")
    synced = {r.invoice_number: r for r in ready.sync.invoices() if r.state == "synced"}
    assert result.invoices == len(synced) > 0
    assert "Xero Invoice Number" in result.note
    with (tmp_path / "updates.csv").open(newline="", encoding="utf-8") as stream:
        assert list(csv.reader(stream)) == [["Id", FEI, "Xero Invoice Number"]]  # none by Id
    assert str(tmp_path / "updates-by-name.csv") in result.files
    with (tmp_path / "updates-by-name.csv").open(newline="", encoding="utf-8") as stream:
        rows = list(csv.reader(stream))
    assert rows[0] == ["Name", FEI, "Xero Invoice Number"]
    number = sorted(synced)[0]
    assert [number, synced[number].xero_invoice_id] in [r[:2] for r in rows[1:]]


#: a validation rule's message as a hostile org could word it: a forged log line, a bidi
#: override that reverses what follows, and 5,000 characters
HOSTILE = "Refused by rule\n2026-11-27 INFO forged line \u202eevil\u202c " + "x" * 5000


def _clean(text: str, limit: int) -> None:
    assert "\n" not in text
    assert "\u202e" not in text
    assert len(text) <= limit


def test_salesforce_text_is_cleaned_before_a_sentence_the_journal_or_a_log(
    service: Service, xero_env: Sandbox, caplog: pytest.LogCaptureFixture
) -> None:
    maica_ready(service)
    tenant = service.settings().active_tenant_id
    rule = {"error": "FIELD_CUSTOM_VALIDATION_EXCEPTION", "endpoint": "composite"}
    xero_env.maica_add_fault(**rule, message=HOSTILE)
    with caplog.at_level("DEBUG"):
        result = service.sync.run()
        assert result.created > 0
        assert result.written_back == 0  # the rule refused every record of the collection
        xero_env.maica_add_fault(**rule, message=HOSTILE)
        refused = service.maica.write_back()
    assert refused.invoices == 0
    assert len(refused.failed) == result.created + result.linked
    for failure in refused.failed:
        _clean(failure.reason, 600)
        assert "Refused by rule\\n2026" in failure.reason  # shown escaped, not dropped
        assert failure.sf_id.startswith("a0A")
    with internals(service).store.db.read() as conn:
        messages = [str(m) for (m,) in conn.execute("SELECT message FROM maica_writeback")]
    assert messages
    for message in messages:
        _clean(message, 600)
    for record in caplog.records:
        _clean(record.getMessage(), 20_000)
        assert "x" * 400 not in record.getMessage()
    # the rule no longer refuses: everything is written
    assert service.maica.write_back().invoices == result.created + result.linked
    assert len(_written(xero_env, tenant)) == result.created + result.linked
    # a whole call refused with such a message: one bounded sentence
    xero_env.maica_add_fault(error="INVALID_FIELD", endpoint="describe", message=HOSTILE)
    with pytest.raises(SalesforceError) as whole:
        service.maica.check()
    _clean(whole.value.sentence, 600)
    assert "Refused by rule\\n2026" in whole.value.fact
