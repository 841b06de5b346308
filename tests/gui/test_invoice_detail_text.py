"""The detail pane's words, without a window: the link's JSON detail, the line a reason names."""

from __future__ import annotations

from maica_xero_desktop.gui.invoice_detail import Culprit, culprit, detail_html, parse_detail
from maica_xero_desktop.gui.mapping_source import (
    AccountChoice,
    TaxChoice,
    account_entries,
    tax_entries,
)

LINES = [("01_011", "", ""), ("15_054", "999", ""), ("07_001", "", "OUTPUT")]


def test_the_line_a_reason_names_is_the_culprit_with_its_own_values() -> None:
    found = culprit("Line 2: account code '999' does not exist in Xero.", LINES, None)
    assert found == Culprit("15_054", 2, "999", "")
    assert culprit("Line 3: tax type …", LINES, None) == Culprit("07_001", 3, "", "OUTPUT")
    assert culprit("", LINES, {"line": 2}) == Culprit("15_054", 2, "999", "")


def test_no_line_named_or_out_of_range_falls_back_to_the_first_line() -> None:
    assert culprit("The currency XYZ is not set up.", LINES, None) == Culprit("01_011")
    assert culprit("Line 9: …", LINES, None) == Culprit("01_011")
    assert culprit("Line 1: …", [], None) is None


def test_detail_reads_json_or_nothing() -> None:
    assert parse_detail("") is None
    assert parse_detail("{not json") is None
    assert parse_detail('{"a": 1}') == {"a": 1}
    assert detail_html(None) == ""
    assert detail_html([1, 2]) == ""


def test_two_sides_become_one_table_and_outside_text_is_escaped() -> None:
    rich = detail_html(
        {
            "reason": "total differs",
            "maica": {"total": "999.00", "contact": "<b>Adam</b>"},
            "xero": {"total": "100.00", "dueDate": "2026-11-01"},
        }
    )
    assert "<b>Reason:</b> total differs" in rich
    assert rich.count("<table") == 1
    assert "&lt;b&gt;Adam&lt;/b&gt;" in rich  # shown as text, never as markup
    assert "Due Date" in rich
    for value in ("999.00", "100.00", "Maica", "Xero"):
        assert value in rich


def test_choice_lists_name_the_default_and_flag_what_xero_would_refuse() -> None:
    accounts = [
        AccountChoice("200", "Sales", "REVENUE", "ACTIVE", "REVENUE"),
        AccountChoice("250", "Old NDIS Income", "REVENUE", "ARCHIVED", "REVENUE"),
        AccountChoice("400", "Advertising", "EXPENSE", "ACTIVE", "EXPENSE", postable=False),
    ]
    entries = account_entries(accounts, "250", "200")
    assert entries[0] == ("Default (200 — Sales)", "")
    assert entries[1] == ("250 — Old NDIS Income — archived in Xero: choose another", "250")
    assert "400" not in [v for _, v in entries]  # the core refuses it on an invoice line
    assert account_entries(accounts, "400", "")[1] == (
        "400 — Advertising — expense account, not for invoice lines",
        "400",
    )
    assert [v for _, v in entries].count("250") == 1  # the archived one only as the saved value
    assert account_entries(None, "210", "200") == [("Default (200)", ""), ("210", "210")]
    missing = account_entries(accounts, "999", "")
    assert missing[:2] == [
        ("Default", ""),
        ("999 — not in this organisation's chart of accounts", "999"),
    ]
    rates = [
        TaxChoice("OUTPUT", "GST on Income", "10"),
        TaxChoice("INPUT", "GST", "10", for_income=False),
    ]
    taxes = tax_entries(rates, "INPUT", "OUTPUT")
    assert taxes[0] == ("Default (OUTPUT — GST on Income (10%))", "")
    assert taxes[1][1] == "INPUT"
    assert "cannot be used on income" in taxes[1][0]
    assert [v for _, v in taxes] == ["", "INPUT", "OUTPUT"]
