"""The pull's pure parts (core/maica/pull.py): the SOQL it builds, a Maica record made export
rows, tax labels made codes, Bulk API CSV made records."""

from __future__ import annotations

from pathlib import Path
from typing import Any, cast

from maica_xero_desktop.core.importing import parse_export
from maica_xero_desktop.core.maica.fields import resolve
from maica_xero_desktop.core.maica.pull import Puller
from maica_xero_desktop.core.maica.records import (
    Rows,
    csv_records,
    export_csv,
    invoice_rows,
    tax_code,
)
from maica_xero_desktop.core.maica.runner import Runner
from maica_xero_desktop.core.maica.soql import Queries, soql_datetime
from maica_xero_desktop.core.store import Store
from tests.support.maica_describe import org

NS = "maica_cc"


def _m() -> Any:
    return resolve(NS, org(), {})


def _record(**over: Any) -> dict[str, Any]:
    line = {
        "attributes": {"type": f"{NS}__Invoice_Line_Item__c"},
        "Id": "a0B000000000001AAA",
        f"{NS}__Quantity__c": 3.5,
        f"{NS}__Unit_Price__c": 67.56,
        f"{NS}__Service_Date__c": "2026-10-06",
        f"{NS}__GST_Code__c": "P2",
        f"{NS}__Exclude__c": False,
        f"{NS}__Line_Description__c": None,
        f"{NS}__Support_Item__c": "a0D000000000001AAA",
        f"{NS}__Support_Item__r": {
            "Name": "Assistance With Self-Care Activities",
            f"{NS}__Support_Item_Number__c": "01_011_0107_1_1",
            f"{NS}__Finance_Invoice_Line_Description__c": "Self-care (weekday)",
            f"{NS}__Finance_Account_Code__c": "200",
            f"{NS}__Tax_Type__c": "GST Free Income",
        },
    }
    excluded = dict(line, Id="a0B000000000002AAA", **{f"{NS}__Exclude__c": True})
    record = {
        "attributes": {"type": f"{NS}__Invoice__c"},
        "Id": "a0A000000000001AAA",
        "SystemModstamp": "2026-11-27T09:00:00.000+0000",
        "Name": "INV-002401",
        f"{NS}__Invoice_Date__c": "2026-10-12",
        f"{NS}__Due_Date__c": "2026-10-26",
        f"{NS}__Status__c": "Not Paid",
        f"{NS}__Cancelled__c": False,
        f"{NS}__Funding_Type__c": "Plan Managed",
        f"{NS}__Participant__c": "003000000000001AAA",
        f"{NS}__Participant__r": {
            "Name": "Adam Smith",
            "Email": "adam@example.com",
            f"{NS}__NDIS_Number__c": "431204871",
        },
        f"{NS}__Invoice_Line_Items__r": {"totalSize": 2, "done": True,
                                          "records": [line, excluded]},
    }  # fmt: skip
    record.update(over)
    return record


def test_the_rest_query_has_the_filter_the_parents_and_the_lines_subquery() -> None:
    soql = Queries(_m()).invoices()
    assert soql.startswith("SELECT Id, SystemModstamp, Name, maica_cc__Invoice_Date__c")
    assert "maica_cc__Participant__r.Name" in soql
    assert "maica_cc__Participant__r.maica_cc__NDIS_Number__c" in soql
    assert "FROM maica_cc__Invoice_Line_Items__r ORDER BY Name)" in soql
    assert "maica_cc__Support_Item__r.maica_cc__Tax_Type__c" in soql
    assert soql.endswith(
        "FROM maica_cc__Invoice__c WHERE maica_cc__Finance_External_ID__c = null AND "
        "maica_cc__Cancelled__c = false ORDER BY SystemModstamp, Id"
    )
    assert "Status__c =" not in soql  # status eligibility stays the flow's


def test_an_incremental_query_includes_ties_and_cancelled_ones() -> None:
    queries = Queries(_m(), "2026-11-27T09:00:00.123+0000")
    assert queries.where_used() == (
        "maica_cc__Finance_External_ID__c = null AND SystemModstamp >= 2026-11-27T08:45:00.123Z"
    )
    assert queries.count().startswith("SELECT COUNT() FROM maica_cc__Invoice__c WHERE ")
    assert "!= null" in queries.elsewhere()


def test_bulk_queries_have_no_subquery_and_filter_lines_through_the_parent() -> None:
    queries = Queries(_m())
    assert "(SELECT" not in queries.bulk_invoices()
    lines = queries.bulk_lines()
    assert lines.startswith("SELECT Id, Name, maica_cc__Invoice__c, ")
    assert "FROM maica_cc__Invoice_Line_Item__c WHERE " in lines
    assert "maica_cc__Invoice__r.maica_cc__Finance_External_ID__c = null" in lines
    assert "maica_cc__Invoice__r.maica_cc__Cancelled__c = false" in lines


def test_soql_datetimes() -> None:
    assert soql_datetime("2026-11-27T19:00:00.000+1000") == "2026-11-27T09:00:00.000Z"


def test_a_record_becomes_export_rows_without_excluded_lines() -> None:
    rows = invoice_rows(_record(), _m())
    assert len(rows) == 1
    row = rows[0]
    assert row["invoice_number"] == "INV-002401"
    assert row["participant_id"] == "003000000000001AAA"  # the Contact Id
    assert row["participant_name"] == "Adam Smith"
    assert row["ndis_number"] == "431204871"
    assert row["bill_to_email"] == "adam@example.com"
    assert row["quantity"] == "3.5"
    assert row["unit_price"] == "67.56"
    assert row["tax_type"] == "EXEMPTOUTPUT"  # the label made a code
    assert row["account_code"] == "200"
    # no line description: the support item's Xero description
    assert row["line_description"] == "Self-care (weekday)"
    assert row["_line_id"] == "a0B000000000001AAA"


def test_descriptions_fall_back_to_the_support_item_name_and_gst_codes_to_a_tax_type() -> None:
    record = _record()
    line = record[f"{NS}__Invoice_Line_Items__r"]["records"][0]
    item = line[f"{NS}__Support_Item__r"]
    item[f"{NS}__Finance_Invoice_Line_Description__c"] = None
    item[f"{NS}__Tax_Type__c"] = None
    line[f"{NS}__GST_Code__c"] = "P1"
    row = invoice_rows(record, _m())[0]
    assert row["line_description"] == "Assistance With Self-Care Activities"
    assert row["tax_type"] == "OUTPUT"
    line[f"{NS}__Line_Description__c"] = "Own words"
    assert invoice_rows(record, _m())[0]["line_description"] == "Own words"


def test_a_cancelled_invoice_has_the_cancelled_status() -> None:
    row = invoice_rows(_record(**{f"{NS}__Cancelled__c": True}), _m())[0]
    assert row["status"] == "Cancelled"


def test_tax_labels_and_codes() -> None:
    assert tax_code("GST Free Income") == "EXEMPTOUTPUT"
    assert tax_code(" gst  on income ") == "OUTPUT"
    assert tax_code("BAS Excluded") == "BASEXCLUDED"
    assert tax_code("EXEMPTOUTPUT") == "EXEMPTOUTPUT"
    assert tax_code(None) == ""


def test_rows_pass_the_file_imports_checks_and_a_bad_one_is_found_on_its_line() -> None:
    good = invoice_rows(_record(), _m())
    bad = invoice_rows(
        _record(Id="a0A000000000002AAA", Name="INV-002402",
                **{f"{NS}__Invoice_Date__c": None}),
        _m(),
    )  # fmt: skip
    rows = Rows(rows=[{k: v for k, v in r.items() if k != "_line_id"} for r in good + bad])
    data, starts = export_csv(rows)
    parsed = parse_export(data)
    assert not parsed.ok
    assert [e.line for e in parsed.errors] == [starts[1]]
    assert "invoice_date" in parsed.errors[0].message
    only_good = Rows(rows=[{k: v for k, v in r.items() if k != "_line_id"} for r in good])
    parsed = parse_export(export_csv(only_good)[0])
    assert parsed.ok
    invoice = parsed.invoices[0]
    assert invoice.participant_id == "003000000000001AAA"
    assert str(invoice.lines[0].quantity) == "3.5"


def test_bulk_csv_becomes_nested_records_with_nulls() -> None:
    page = 'Id,maica_cc__Participant__r.Name,maica_cc__Due_Date__c\na0A1,"Smith, Adam",\n'
    records = list(csv_records(page))
    assert records == [
        {"Id": "a0A1", "maica_cc__Participant__r": {"Name": "Smith, Adam"},
         "maica_cc__Due_Date__c": None}
    ]  # fmt: skip


def test_a_record_with_a_malformed_id_or_stamp_is_reported_not_stored(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.db")
    puller = Puller(cast(Runner, None), store, _m(), "00D", "")  # _rows never calls the org
    bad_id = _record(Id="a0A\n[INFO] forged\u202e", Name="INV-BAD-1")
    bad_stamp = _record(Id="a0A000000000009AAA", SystemModstamp="yesterday", Name="INV-BAD-2")
    good = _record()
    rows, unchanged, mark, errors = puller._rows([bad_id, bad_stamp, good], "")
    assert [e.invoice_number for e in errors] == ["INV-BAD-1", "INV-BAD-2"]
    assert errors[0].sf_id == "a0A\\n[INFO] forged\\u202e"  # shown escaped
    assert all("valid Id or SystemModstamp" in e.reason for e in errors)
    assert [r.sf_id for r in rows.records] == ["a0A000000000001AAA"]
    assert mark == "2026-11-27T09:00:00.000Z"
    assert unchanged == 0
