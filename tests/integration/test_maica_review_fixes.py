"""The outside review's findings on the Maica org as the source, each against the offline org
over HTTP: a record never takes another invoice's link by its number, a changed link is never
written back, a write-back refusal fails the run, a Finance External ID someone else wrote is
never overwritten, Maica's total is compared, and an unsent invoice is read again."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import pytest

from maica_xero_desktop.core.maica.pull import Puller
from maica_xero_desktop.core.maica_service import MaicaPullRejected
from maica_xero_desktop.core.service import Service, internals
from maica_xero_desktop.sandbox import Sandbox
from tests.integration.maica_support import (
    FEI,
    INVOICE,
    LINE,
    NS,
    XERO_NO,
    invoices,
    maica_ready,
)

pytestmark = pytest.mark.usefixtures("no_rate_limits")

ITEM = f"{NS}__Support_Item__c"
SAMPLE = Path(__file__).parents[2] / "maica_xero_desktop" / "resources" / "sample-maica-export.csv"


def _item(sandbox: Sandbox, *, taxable: bool) -> dict[str, Any]:
    """A seeded support item, taxable (P1, GST on Income) or GST-free."""
    for item in sandbox.maica_records(ITEM):
        if (item.get(f"{NS}__GST_Code__c") == "P1") == taxable:
            return item
    raise AssertionError("no such support item in the seeded org")


def _contact(sandbox: Sandbox, name: str) -> str:
    return next(str(c["Id"]) for c in sandbox.maica_records("Contact") if c.get("Name") == name)


def make(
    sandbox: Sandbox,
    number: str,
    *,
    participant: str = "Adam Smith",
    lines: tuple[tuple[float, float, str, str], ...] = (),
) -> str:
    """A new Maica invoice (Not Paid, no Finance External ID) with ``lines`` of (quantity, unit
    price, support item Id, GST code); returns its Id."""
    if not lines:
        item = _item(sandbox, taxable=False)
        lines = ((2.0, 67.56, str(item["Id"]), "P2"),)
    provider = str(sandbox.maica_records("Account")[0]["Id"])
    [invoice_id] = sandbox.maica_upsert_records(
        INVOICE,
        [
            {
                "Name": number,
                f"{NS}__Status__c": "Not Paid",
                f"{NS}__Funding_Type__c": "Plan Managed",
                f"{NS}__Participant__c": _contact(sandbox, participant),
                f"{NS}__Service_Provider__c": provider,
                f"{NS}__Invoice_Date__c": "2026-11-02",
                f"{NS}__Due_Date__c": "2026-11-16",
            }
        ],
    )
    sandbox.maica_upsert_records(
        LINE,
        [
            {
                f"{NS}__Invoice__c": invoice_id,
                f"{NS}__Support_Item__c": item_id,
                f"{NS}__Quantity__c": quantity,
                f"{NS}__Unit_Price__c": price,
                f"{NS}__Service_Date__c": "2026-11-01",
                f"{NS}__GST_Code__c": code,
            }
            for quantity, price, item_id, code in lines
        ],
    )
    return invoice_id


def _refuse_write_back(sandbox: Sandbox, *record_ids: str, count: int = 1) -> None:
    """A validation rule in Maica refuses the write-back (a collection update) of these records,
    the next ``count`` times."""
    sandbox.maica_add_fault(
        error="FIELD_CUSTOM_VALIDATION_EXCEPTION",
        endpoint="composite",
        count=count,
        record_ids=list(record_ids),
    )


def _only(service: Service, number: str) -> Any:
    [row] = [r for r in service.sync.invoices() if r.invoice_number == number]
    return row


def test_a_record_never_takes_the_link_of_a_file_invoice_with_its_number(
    service: Service, xero_env: Sandbox, tmp_path: Path
) -> None:
    """Review #1: INV-S001 sent from a file for Lucas Martin; Maica's INV-S001 is Adam Smith's."""
    with SAMPLE.open(newline="", encoding="utf-8") as stream:
        rows = list(csv.DictReader(stream))
    source = rows[-1]["invoice_number"]
    taken = [dict(r, invoice_number="INV-S001", status="Not Paid") for r in rows
             if r["invoice_number"] == source]  # fmt: skip
    export = tmp_path / "f.csv"
    with export.open("w", newline="", encoding="utf-8") as stream:
        writer = csv.DictWriter(stream, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(taken)
    maica_ready(service)
    service.config_set("source", "file")
    service.sync.import_file(export)
    service.sync.run()
    file_row = _only(service, "INV-S001")
    assert file_row.state == "synced"
    other = taken[0]["participant_name"]
    assert other != "Adam Smith"
    sf_id = make(xero_env, "INV-S001", participant="Adam Smith")
    service.config_set("source", "maica")
    with pytest.raises(MaicaPullRejected) as refused:
        service.sync.run()
    said = refused.value.fact + (refused.value.detail or "")
    assert sf_id in said
    assert "INV-S001" in said
    assert other in said
    assert "Adam Smith" in said
    assert not invoices(xero_env)["INV-S001"].get(FEI)  # never the other invoice's Xero id
    assert _only(service, "INV-S001").xero_invoice_id == file_row.xero_invoice_id


def test_a_changed_link_is_never_written_back(service: Service, xero_env: Sandbox) -> None:
    """Review #1: an invoice whose Maica content no longer matches what Xero has."""
    maica_ready(service)
    sf_id = make(xero_env, "INV-C001")
    _refuse_write_back(xero_env, sf_id)
    service.sync.run()
    assert _only(service, "INV-C001").state == "synced"
    assert not invoices(xero_env)["INV-C001"].get(FEI)
    line = next(r for r in xero_env.maica_records(LINE) if r[f"{NS}__Invoice__c"] == sf_id)
    xero_env.maica_upsert_records(LINE, [{"Id": line["Id"], f"{NS}__Quantity__c": 5.0}])
    service.maica.pull()
    assert _only(service, "INV-C001").state == "changed"
    assert service.maica.write_back().invoices == 0
    assert not invoices(xero_env)["INV-C001"].get(FEI)


def test_a_write_back_refusal_fails_the_run_with_its_sentence(
    service: Service, xero_env: Sandbox, caplog: pytest.LogCaptureFixture
) -> None:
    """Review #3: the run ends failed, says which invoice and why, and the history keeps it."""
    maica_ready(service)
    sf_id = make(xero_env, "INV-R006")
    _refuse_write_back(xero_env, sf_id, count=5)
    result = service.sync.run()
    assert result.state == "failed"
    assert result.exit_code != 0
    assert "INV-R006" in result.message
    assert sf_id in result.message
    assert "validation rule" in result.message
    assert result.written_back == result.created + result.linked - 1 > 0
    [run] = service.sync.history(limit=1)
    assert run.state == "failed"
    assert "INV-R006" in (run.message or "")
    assert any("INV-R006" in r.getMessage() for r in caplog.records if r.levelname == "WARNING")


def test_a_finance_external_id_someone_else_wrote_is_never_overwritten(
    service: Service, xero_env: Sandbox
) -> None:
    """Review #4: Maica's own sync wrote its id while this product's write-back waited."""
    maica_ready(service)
    sf_id = make(xero_env, "INV-W001")
    _refuse_write_back(xero_env, sf_id)
    first = service.sync.run()
    assert first.state == "failed"
    ours = _only(service, "INV-W001").xero_invoice_id
    theirs = "99999999-aaaa-bbbb-cccc-dddddddddddd"
    xero_env.maica_clear_faults()
    xero_env.maica_upsert_records(INVOICE, [{"Id": sf_id, FEI: theirs, XERO_NO: "INV-0042"}])
    queries = xero_env.maica_stats()["calls"].get("query", 0)
    result = service.sync.run()
    record = invoices(xero_env)["INV-W001"]
    assert record[FEI] == theirs  # not overwritten
    assert record[XERO_NO] == "INV-0042"
    assert xero_env.maica_stats()["calls"]["query"] > queries  # read before writing
    assert result.state == "failed"
    assert "INV-W001" in result.message
    assert "Maica's own sync" in result.message
    row = _only(service, "INV-W001")
    assert row.state == "changed"
    assert row.xero_invoice_id == ours
    assert "INV-W001" in service.maica.check().changed_hands
    # the next run does not write it either, and no longer fails for it
    again = service.sync.run()
    assert invoices(xero_env)["INV-W001"][FEI] == theirs
    assert again.state == "finished", again.message


def test_a_total_that_would_differ_from_maicas_refuses_with_both_figures(
    service: Service, xero_env: Sandbox
) -> None:
    """Review #5: a P1 (taxable) line on a GST-free support item: Maica 110.00, Xero 100.00."""
    maica_ready(service)
    free = _item(xero_env, taxable=False)
    sf_id = make(xero_env, "INV-GST1", lines=((1.0, 100.0, str(free["Id"]), "P1"),))
    assert invoices(xero_env)["INV-GST1"][f"{NS}__Total_Amount__c"] == 110.0
    result = service.maica.pull()
    [error] = result.errors
    assert error.sf_id == sf_id
    assert "100.00" in error.reason
    assert "110.00" in error.reason
    assert "P1" in error.reason
    assert xero_env.invoices(service.settings().active_tenant_id) == []
    # corrected in Maica (the line is P2, as its support item says): sent, totals agree
    line = next(r for r in xero_env.maica_records(LINE) if r[f"{NS}__Invoice__c"] == sf_id)
    xero_env.maica_upsert_records(LINE, [{"Id": line["Id"], f"{NS}__GST_Code__c": "P2"}])
    service.sync.run()
    row = _only(service, "INV-GST1")
    assert row.state == "synced"
    assert invoices(xero_env)["INV-GST1"][f"{NS}__Total_Amount__c"] == 100.0


def test_salesforce_rounds_line_amounts_half_up_in_decimal(
    service: Service, xero_env: Sandbox
) -> None:
    """Review #5 (the sandbox): 2.5 x 95.07 is 237.675, 237.68 in Salesforce and in Xero."""
    maica_ready(service)
    free = _item(xero_env, taxable=False)
    make(xero_env, "INV-R002", lines=((2.5, 95.07, str(free["Id"]), "P2"),
                                     (3.0, 1.005, str(free["Id"]), "P2")))  # fmt: skip
    assert invoices(xero_env)["INV-R002"][f"{NS}__Total_Amount__c"] == 240.70
    result = service.sync.run()
    assert result.state == "finished"
    tenant = service.settings().active_tenant_id
    [sent] = [i for i in xero_env.invoices(tenant) if i.get("Reference") == "INV-R002"] or [
        i for i in xero_env.invoices(tenant) if i["InvoiceNumber"] == "INV-R002"
    ]
    assert float(sent["Total"]) == 240.70


def test_an_unsent_invoice_is_read_again_when_its_support_item_changes(
    service: Service, xero_env: Sandbox
) -> None:
    """Review #7: fixed in Maica (the support item), the blocked invoice goes."""
    maica_ready(service)
    item = _item(xero_env, taxable=False)
    code = item.get(f"{NS}__Finance_Account_Code__c")
    xero_env.maica_upsert_records(
        ITEM, [{"Id": item["Id"], f"{NS}__Finance_Account_Code__c": "BAD9"}]
    )
    make(xero_env, "INV-T001", lines=((1.0, 10.0, str(item["Id"]), "P2"),))
    service.sync.run()
    assert _only(service, "INV-T001").state == "blocked"
    blocked = _only(service, "INV-T001").message
    assert "BAD9" in blocked
    # the advice points at the Maica org's support item, not at an export's column
    assert "in the Maica org" in blocked
    assert "export" not in blocked
    xero_env.maica_upsert_records(
        ITEM, [{"Id": item["Id"], f"{NS}__Finance_Account_Code__c": code}]
    )
    service.sync.run()
    assert _only(service, "INV-T001").state == "synced"


def test_a_finance_external_id_someone_else_wrote_is_looked_up_in_xero(
    service: Service, xero_env: Sandbox
) -> None:
    """Review #6: an id Xero does not know, or another invoice's, is never synced."""
    maica_ready(service)
    service.sync.run()
    tenant = service.settings().active_tenant_id
    other = next(r for r in service.sync.invoices() if r.state == "synced")
    unknown = make(xero_env, "INV-R010")
    another = make(xero_env, "INV-R011", participant="Adam Smith")
    service.maica.pull()
    garbage = "11111111-2222-3333-4444-555555555555"
    xero_env.maica_upsert_records(
        INVOICE,
        [{"Id": unknown, FEI: garbage}, {"Id": another, FEI: other.xero_invoice_id}],
    )
    sent_before = len(xero_env.invoices(tenant))
    service.sync.run()
    assert len(xero_env.invoices(tenant)) == sent_before  # neither was sent
    row = _only(service, "INV-R010")
    assert row.state != "synced"
    assert garbage in row.message
    assert "not an invoice in" in row.message
    row = _only(service, "INV-R011")
    assert row.state != "synced"
    assert "another invoice" in row.message
    # what Maica holds is left alone
    assert invoices(xero_env)["INV-R010"][FEI] == garbage


def test_the_data_loader_file_keeps_values_exact_and_the_by_name_file_is_formula_safe(
    service: Service, xero_env: Sandbox, tmp_path: Path
) -> None:
    """Review #12: Data Loader never evaluates formulas; a spreadsheet opening a file would."""
    maica_ready(service)
    make(xero_env, "+SUM(1+1)")
    service.sync.run()
    row = _only(service, "+SUM(1+1)")
    assert row.state == "synced"
    assert row.xero_invoice_number == "+SUM(1+1)"
    result = service.maica.export_updates(tmp_path / "upd.csv")
    with (tmp_path / "upd.csv").open(newline="", encoding="utf-8") as stream:
        rows = list(csv.reader(stream))
    assert rows[0] == ["Id", FEI, XERO_NO]
    sf_id = invoices(xero_env)["+SUM(1+1)"]["Id"]
    assert [sf_id, row.xero_invoice_id, "+SUM(1+1)"] in rows  # exact: no apostrophe
    assert result.note == ""
    # a file-imported invoice with a formula-like number: in the by-name file, neutralised
    export = tmp_path / "f.csv"
    with SAMPLE.open(newline="", encoding="utf-8") as stream:
        sample = list(csv.DictReader(stream))
    first = sample[0]["invoice_number"]
    with export.open("w", newline="", encoding="utf-8") as stream:
        writer = csv.DictWriter(stream, fieldnames=list(sample[0]))
        writer.writeheader()
        writer.writerows(
            dict(r, invoice_number="=HYPERLINK(1)", status="Not Paid")
            for r in sample
            if r["invoice_number"] == first
        )
    service.config_set("source", "file")
    service.sync.import_file(export)
    service.sync.run()
    result = service.maica.export_updates(tmp_path / "upd.csv")
    assert str(tmp_path / "upd-by-name.csv") in result.files
    with (tmp_path / "upd-by-name.csv").open(newline="", encoding="utf-8") as stream:
        by_name = list(csv.reader(stream))
    assert by_name[0][0] == "Name"
    assert any(r[0] == "'=HYPERLINK(1)" for r in by_name[1:])


def test_a_record_of_the_same_invoice_a_file_sent_is_linked_and_written_back(
    service: Service, xero_env: Sandbox, tmp_path: Path
) -> None:
    """Review #1, the other side: an org moving from the file to the API — the record whose
    content is the invoice the file sent (same participant, same total) takes its link."""
    maica_ready(service)
    free = _item(xero_env, taxable=False)
    sf_id = make(xero_env, "INV-M001", lines=((2.0, 67.56, str(free["Id"]), "P2"),))
    with SAMPLE.open(newline="", encoding="utf-8") as stream:
        sample = list(csv.DictReader(stream))
    adam = next(r for r in sample if r["participant_name"] == "Adam Smith")
    row = dict(adam, invoice_number="INV-M001", status="Not Paid", invoice_date="2026-11-02",
               due_date="2026-11-16", quantity="2", unit_price="67.56", tax_type="EXEMPTOUTPUT",
               account_code=str(free.get(f"{NS}__Finance_Account_Code__c") or ""))  # fmt: skip
    export = tmp_path / "f.csv"
    with export.open("w", newline="", encoding="utf-8") as stream:
        writer = csv.DictWriter(stream, fieldnames=list(sample[0]))
        writer.writeheader()
        writer.writerow(row)
    service.config_set("source", "file")
    service.sync.import_file(export)
    service.sync.run()
    sent = _only(service, "INV-M001")
    assert sent.state == "synced"
    service.config_set("source", "maica")
    result = service.sync.run()
    assert result.state == "finished", result.message
    row = _only(service, "INV-M001")
    assert (row.state, row.message) == ("synced", ""), row
    assert invoices(xero_env)["INV-M001"][FEI] == sent.xero_invoice_id
    assert invoices(xero_env)["INV-M001"]["Id"] == sf_id


def test_a_record_renumbered_after_it_was_sent_is_refused_and_before_is_followed(
    service: Service, xero_env: Sandbox
) -> None:
    """Review #1: attached by Salesforce Id — a renumbered record stays its own invoice."""
    maica_ready(service)
    early = make(xero_env, "INV-N001")
    service.maica.pull()
    xero_env.maica_upsert_records(INVOICE, [{"Id": early, "Name": "INV-N002"}])
    assert not service.maica.pull().errors
    numbers = {r.invoice_number for r in service.sync.invoices()}
    assert "INV-N002" in numbers
    assert "INV-N001" not in numbers
    _refuse_write_back(xero_env, early)
    service.sync.run()  # in Xero as INV-N002; its write-back refused
    xero_env.maica_upsert_records(INVOICE, [{"Id": early, "Name": "INV-N003"}])
    refused = service.maica.pull()
    [error] = refused.errors
    assert error.sf_id == early
    assert "renumbered" in error.reason
    assert "INV-N002" in error.reason


def test_a_full_pull_reads_everything_again(service: Service, xero_env: Sandbox) -> None:
    """Review #7: ``full`` ignores the mark and stores every invoice to send again."""
    maica_ready(service)
    first = service.maica.pull()
    assert first.new > 0
    tenant = service.settings().active_tenant_id
    mapping = service.maica.require_mapping()
    org = service.maica._org()
    store = internals(service).store
    full = Puller(service._maica_session, store, mapping, org, tenant, full=True).pull()
    assert not full.errors
    assert full.unchanged == full.pulled == first.pulled  # stored again, same content
    assert full.new == 0


def test_a_write_back_right_after_its_pull_does_not_read_the_records_again(
    service: Service, xero_env: Sandbox
) -> None:
    """The issue's budget: a write-back of N costs ceil(N/200) calls. Records this run's pull
    just read with an empty Finance External ID are written without a second read; a write-back
    that waited (here: a refusal) reads its records first, as review #4 asks."""
    maica_ready(service)
    first, second = make(xero_env, "INV-F001"), make(xero_env, "INV-F002")
    _refuse_write_back(xero_env, first, second)
    service.sync.run()
    assert not invoices(xero_env)["INV-F001"].get(FEI)

    def calls() -> dict[str, int]:
        counted = xero_env.maica_stats()["calls"]
        return {name: int(counted.get(name, 0)) for name in ("query", "composite")}

    before = calls()
    assert service.maica.write_back().invoices == 2  # waited: read first, then written
    after = calls()
    assert after["query"] == before["query"] + 1
    assert after["composite"] == before["composite"] + 1

    # a sync: its own pull reads the new invoice, its write-back does not read it again
    make(xero_env, "INV-F003")
    before = calls()
    result = service.sync.run()
    after = calls()
    assert result.written_back == 1
    assert invoices(xero_env)["INV-F003"].get(FEI)
    # the run's write-back before its pull reads nothing (nothing waits), the pull's own queries
    # are the only ones, and one collection call writes the new invoice back
    assert after["composite"] == before["composite"] + 1
    pull_only = calls()
    service.maica.pull()
    pull_queries = calls()["query"] - pull_only["query"]
    assert after["query"] - before["query"] <= pull_queries
