"""The rule that decides whether an invoice found in Xero is this Maica invoice."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from maica_xero_desktop.core.sync.matching import Facts, detail, differences, number_key

FACTS = Facts("INV-1", "P-1", "2026-10-20", "AUD", Decimal("999.00"), 2)


def _xero(**changes: Any) -> dict[str, Any]:
    element: dict[str, Any] = {
        "InvoiceID": "x-1",
        "InvoiceNumber": "INV-1",
        "Contact": {"ContactID": "c-1", "ContactNumber": "P-1", "Name": "Adam Smith"},
        "DateString": "2026-10-20T00:00:00",
        "CurrencyCode": "AUD",
        "SubTotal": 999.0,
        "Total": 999.0,
        "LineItems": [{}, {}],
    }
    element.update(changes)
    return element


def test_the_same_invoice_has_no_differences() -> None:
    assert differences(FACTS, _xero(), None) == []


def test_rounding_within_a_cent_per_line_is_the_same() -> None:
    assert differences(FACTS, _xero(SubTotal=999.02), None) == []
    assert differences(FACTS, _xero(SubTotal=998.98), None) == []
    assert differences(FACTS, _xero(SubTotal=999.03), None) != []


def test_each_difference_is_named() -> None:
    found = differences(
        FACTS,
        _xero(
            SubTotal=100.0,
            CurrencyCode="NZD",
            DateString="2026-10-21T00:00:00",
            LineItems=[{}],
            Contact={"ContactID": "c-2", "ContactNumber": "P-2", "Name": "Someone Else"},
        ),
        "c-1",
    )
    assert found == [
        "it is for another contact (Someone Else)",
        "it is dated 2026-10-21, not 2026-10-20",
        "it is in NZD, not AUD",
        "its total before tax is 100.00, not 999.00",
        "it has 1 line, not 2",
    ]


def test_the_mapped_contact_counts_without_a_contact_number() -> None:
    element = _xero(Contact={"ContactID": "C-1", "Name": "Adam Smith"})
    assert differences(FACTS, element, "c-1") == []
    assert differences(FACTS, element, None) == ["it is for another contact (Adam Smith)"]


def test_lines_not_reported_are_not_assumed() -> None:
    element = _xero()
    del element["LineItems"]
    assert differences(FACTS, element, None) == ["it has an unknown number of lines, not 2"]


def test_numbers_compare_without_case() -> None:
    assert number_key("inv-7") == number_key("INV-7")
    assert number_key("INV-7") != number_key("INV-71")


def test_detail_holds_both_sides() -> None:
    element = _xero(SubTotal=100.0)
    found = differences(FACTS, element, None)
    both = detail(FACTS, element, found)
    assert both["maica"] == {
        "number": "INV-1",
        "participant_id": "P-1",
        "date": "2026-10-20",
        "currency": "AUD",
        "total": "999.00",
        "lines": 2,
    }
    assert both["xero"]["invoice_id"] == "x-1"
    assert both["xero"]["total"] == "100.0"
    assert both["xero"]["contact_number"] == "P-1"
    assert both["differences"] == found
