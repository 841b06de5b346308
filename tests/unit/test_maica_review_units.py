"""The review's findings in the pull's and pre-flight's pure parts: the incremental look-back,
stamps in both of Salesforce's forms, the unsent invoices' query, GST codes that contradict the
support item's tax type, and the block advice for an invoice read from the Maica org."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import cast

from maica_xero_desktop.core.flows.base import MappingContext
from maica_xero_desktop.core.maica.pull import Puller
from maica_xero_desktop.core.maica.records import gst_contradictions
from maica_xero_desktop.core.maica.runner import Runner
from maica_xero_desktop.core.maica.soql import Queries, look_back, soql_datetime
from maica_xero_desktop.core.models import Line
from maica_xero_desktop.core.store import Store
from maica_xero_desktop.core.store.maica import PulledRecord
from maica_xero_desktop.core.sync import preflight
from tests.unit.test_maica_pull import NS, _m, _record


def test_an_incremental_pull_reads_again_from_fifteen_minutes_before_the_mark() -> None:
    queries = Queries(_m(), "2026-11-27T09:00:00.123+0000")
    assert "SystemModstamp >= 2026-11-27T08:45:00.123Z" in queries.where_used()
    assert "SystemModstamp >= 2026-11-27T08:45:00.123Z" in queries.elsewhere()
    assert look_back("2026-11-27T00:05:00.000Z") == "2026-11-26T23:50:00.000Z"


def test_rest_and_bulk_stamps_are_one_stamp() -> None:
    assert soql_datetime("2026-11-27T09:00:00.000+0000") == soql_datetime(
        "2026-11-27T09:00:00.000Z"
    )


def test_a_record_read_again_by_the_other_path_is_unchanged(tmp_path: Path) -> None:
    """Pulled over REST (``+0000``), read again through Bulk (``Z``): skipped, not re-stored."""
    store = Store(tmp_path / "s.db")
    record = _record()
    puller = Puller(cast(Runner, None), store, _m(), "00D", "")
    rows, _, mark, errors = puller._rows([record], "")
    assert not errors
    invoices, problems = puller._check(rows)
    assert not problems
    store.store_pull("00D", invoices, rows.records, mark, "")
    assert store.maica_records()["a0A000000000001AAA"][2] == "2026-11-27T09:00:00.000Z"
    bulk = _record(SystemModstamp="2026-11-27T09:00:00.000Z")
    again, unchanged, _, _ = puller._rows([bulk], mark)
    assert (unchanged, again.records) == (1, [])
    # an unsent invoice read again by Id is stored again even when its stamp did not move
    fresh, unchanged, _, _ = puller._rows([bulk], mark, {"a0A000000000001AAA"})
    assert unchanged == 0
    assert fresh.records == [
        PulledRecord("INV-002401", "a0A000000000001AAA", "2026-11-27T09:00:00.000Z")
    ]


def test_the_unsent_invoices_are_read_by_id_whatever_their_stamp() -> None:
    queries = Queries(_m(), "2026-11-27T09:00:00.000+0000")
    soql = queries.invoices_by_id(["a0A000000000001AAA", "a0A000000000002AAA"])
    assert "Id IN ('a0A000000000001AAA', 'a0A000000000002AAA')" in soql
    assert "SystemModstamp >=" not in soql
    assert f"{NS}__Finance_External_ID__c = null" in soql
    assert f"{NS}__Invoice_Line_Items__r" in soql
    assert f"{NS}__Total_Amount__c" in soql  # Maica's total, to compare


def test_a_gst_code_that_contradicts_the_support_items_tax_type_is_named() -> None:
    def rate(tax: str) -> Decimal:
        return Decimal(10) if tax == "OUTPUT" else Decimal(0)

    record = _record()
    assert gst_contradictions(record, _m(), rate) == []  # P2 on GST Free Income
    line = record[f"{NS}__Invoice_Line_Items__r"]["records"][0]
    line[f"{NS}__GST_Code__c"] = "P1"
    line["Name"] = "ILI - 000189"
    [said] = gst_contradictions(record, _m(), rate)
    assert said.startswith("line ILI - 000189 is P1 (taxable)")
    assert "EXEMPTOUTPUT" in said


def test_block_advice_for_an_invoice_read_from_the_maica_org_names_the_support_item() -> None:
    line = Line("01_011_0107_1_1", Decimal(1), Decimal(10), account_code="BAD9")
    context = MappingContext("", {}, "200", "EXEMPTOUTPUT", 14, source="maica")
    said = preflight._source(line, context, "account_code", "account code", "")
    assert "support item 01_011_0107_1_1 in the Maica org" in said
    assert "Finance Account Code" in said
    assert "export" not in said
    plain = MappingContext("", {}, "200", "EXEMPTOUTPUT", 14)
    assert "Maica export" in preflight._source(line, plain, "account_code", "account code", "")
