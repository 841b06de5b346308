"""Local totals are computed the way Xero computes them (core.totals), per line amount type."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from maica_xero_desktop.core.config_keys import lookup
from maica_xero_desktop.core.errors import ConfigurationError
from maica_xero_desktop.core.flows import MappingContext, get_flow
from maica_xero_desktop.core.models import Invoice, Line
from maica_xero_desktop.core.store.invoice_import import invoice_total
from maica_xero_desktop.core.totals import (
    Pricing,
    Totals,
    changed_note,
    compute,
    difference_note,
    line_amount_type,
    payload_totals,
    rate_of,
    rates_from_json,
    rates_json,
)

D = Decimal
#: INV-002438 of the sample export: one GST-free line and one GST line
GST_INVOICE = Invoice(
    invoice_number="INV-002438",
    invoice_date=date(2026, 11, 24),
    status="Not Paid",
    funding_type="Self Funded",
    participant_id="P-000108",
    participant_name="William Taylor",
    lines=(
        Line("01_011_0107_1_1", D(2), D("67.56")),
        Line("03_040000919_0103_1_1", D(1), D("45.50"), tax_type="OUTPUT"),
    ),
)


def test_maicas_gst_invoice_totals_include_gst_as_xero_computes_them() -> None:
    # Maica's unit prices are before GST: Xero's total is 180.62 + 4.55 GST = 185.17.
    assert Pricing().totals(GST_INVOICE) == Totals(D("180.62"), D("4.55"), D("185.17"))
    assert invoice_total(GST_INVOICE) == D("185.17")


@pytest.mark.parametrize(
    ("amount_type", "expected"),
    [
        ("Exclusive", Totals(D("180.62"), D("4.55"), D("185.17"))),
        ("Inclusive", Totals(D("176.48"), D("4.14"), D("180.62"))),
        ("NoTax", Totals(D("180.62"), D("0"), D("180.62"))),
    ],
)
def test_each_line_amount_type(amount_type: str, expected: Totals) -> None:
    assert Pricing(amount_type=amount_type).totals(GST_INVOICE) == expected


def test_tax_is_rounded_per_line_not_on_the_sum() -> None:
    # Three lines of 0.15 at 10 %: each line's tax 0.015 rounds to 0.02 (0.06 in all), where the
    # tax of the sum (0.045) would round to 0.05.
    lines = [(D(1), D("0.15"), D(10))] * 3
    assert compute(lines, "Exclusive") == Totals(D("0.45"), D("0.06"), D("0.51"))


def test_unit_amounts_round_to_four_places_and_lines_to_the_cent() -> None:
    assert compute([(D(3), D("23.41334"), D(0))], "Exclusive").total == D("70.24")
    assert compute([(D("1.25"), D("23.4133"), D(0))], "Exclusive").total == D("29.27")


def test_the_line_amount_type_is_sent_explicitly_from_the_context() -> None:
    context = MappingContext("c", {}, "200", "EXEMPTOUTPUT", 14)
    assert get_flow("authorised").to_xero(GST_INVOICE, context)["LineAmountTypes"] == "Exclusive"
    inclusive = MappingContext("c", {}, "200", "EXEMPTOUTPUT", 14, line_amount_type="Inclusive")
    payload = get_flow("classic").to_xero(GST_INVOICE, inclusive)
    assert payload["LineAmountTypes"] == "Inclusive"
    assert payload_totals(payload, {"OUTPUT": D(10)}).total == D("180.62")


def test_prediction_uses_the_organisations_rates() -> None:
    payload = get_flow("authorised").to_xero(
        GST_INVOICE, MappingContext("c", {}, "200", "EXEMPTOUTPUT", 14)
    )
    assert payload_totals(payload, {"OUTPUT": D(10)}).total == D("185.17")
    assert payload_totals(payload, {"OUTPUT": D(15)}).total == D("187.45")
    assert payload_totals(payload, {}).total == D("180.62")


def test_the_support_items_tax_type_applies_unless_the_line_has_its_own() -> None:
    gst_item = Pricing(item_tax_types={"01_011_0107_1_1": "OUTPUT"})
    assert gst_item.totals(GST_INVOICE).tax == D("18.06")  # 13.51 + 4.55
    gst_default = Pricing(default_tax_type="OUTPUT")
    assert gst_default.totals(GST_INVOICE).tax == D("18.06")


def test_rates_from_xero_and_remembered() -> None:
    assert rate_of({"EffectiveRate": 10.0, "DisplayTaxRate": 10.0}) == D("10.0")
    assert rate_of({"DisplayTaxRate": "15"}) == D(15)
    assert rate_of({"EffectiveRate": True}) is None
    remembered = rates_from_json(rates_json({"OUTPUT": D("12.5")}))
    assert remembered == {"OUTPUT": D("12.5")}
    assert rates_from_json("not json")["OUTPUT"] == D(10)
    assert rates_from_json(None)["OUTPUT"] == D(10)


def test_difference_note_has_both_figures() -> None:
    assert difference_note(D("185.17"), D("185.17")) == ""
    note = difference_note(D("185.18"), D("185.17"))
    assert note.startswith("Xero total 185.18, Maica 185.17: a rounding difference")
    assert "+0.01" in note
    assert difference_note(D("187.45"), D("185.17")).startswith(
        "Xero total 187.45, Maica 185.17: Xero used other tax rates"
    )


def test_line_amount_type_setting() -> None:
    key = lookup("line-amount-type")
    assert key.parse(" inclusive ") == "Inclusive"
    assert key.parse("NOTAX") == "NoTax"
    with pytest.raises(ConfigurationError, match="Exclusive"):
        key.parse("gross")
    assert line_amount_type("exclusive") == "Exclusive"
    assert line_amount_type("gross") is None


def test_changed_note_names_both_figures_without_blaming_tax() -> None:
    assert changed_note(D("148.17"), D("148.17")) == ""
    assert changed_note(D("148.17"), D("215.73")) == "Xero holds 148.17, Maica now 215.73."
