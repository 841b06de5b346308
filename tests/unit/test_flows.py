"""Sync flows: built-in mappings and third-party flows from entry points."""

from __future__ import annotations

import importlib
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from maica_xero_desktop.core.errors import ConfigurationError
from maica_xero_desktop.core.flows import ENTRY_POINT_GROUP, MappingContext, all_flows, get_flow
from maica_xero_desktop.core.models import Invoice, Line
from maica_xero_desktop.core.store import SupportItem

INVOICE = Invoice(
    invoice_number="INV-7",
    invoice_date=date(2026, 10, 1),
    status="Not Paid",
    funding_type="Plan Managed",
    participant_id="P-1",
    participant_name="Adam Smith",
    ndis_number="431234567",
    lines=(
        Line(
            "01_011_0107_1_1",
            Decimal("2.5"),
            Decimal("67.5600"),
            service_date=date(2026, 9, 30),
            tracking=(("Region", "North"),),
        ),
        Line(
            "05_122_0103_1_2",
            Decimal(1),
            Decimal("12.3456"),
            description="Gloves",
            tax_type="OUTPUT",
        ),
    ),
)
CONTEXT = MappingContext(
    contact_id="c-1",
    support_items={
        "01_011_0107_1_1": SupportItem(
            "01_011_0107_1_1", "Self care", "Self-care support", "210", ""
        )
    },
    default_account_code="200",
    default_tax_type="EXEMPTOUTPUT",
    payment_terms_days=14,
)


def test_authorised_flow_mapping() -> None:
    payload = get_flow("authorised").to_xero(INVOICE, CONTEXT)
    assert payload["Type"] == "ACCREC"
    assert payload["Status"] == "AUTHORISED"
    assert payload["InvoiceNumber"] == "INV-7"
    assert payload["Reference"] == "Adam Smith NDIS 431234567"
    assert payload["Contact"] == {"ContactID": "c-1"}
    assert payload["DueDate"] == "2026-10-15"
    first, second = payload["LineItems"]
    assert first["Description"] == "01_011_0107_1_1 Self-care support (2026-09-30)"
    assert (first["AccountCode"], first["TaxType"]) == ("210", "EXEMPTOUTPUT")
    assert first["Tracking"] == [{"Name": "Region", "Option": "North"}]
    assert (second["AccountCode"], second["TaxType"]) == ("200", "OUTPUT")
    assert second["UnitAmount"] == 12.3456
    assert second["Description"] == "05_122_0103_1_2 Gloves"


def test_draft_and_classic() -> None:
    assert get_flow("draft").to_xero(INVOICE, CONTEXT)["Status"] == "DRAFT"
    classic = get_flow("classic").to_xero(INVOICE, CONTEXT)
    assert "InvoiceNumber" not in classic
    assert classic["Reference"] == "INV-7"
    assert get_flow("classic").matches_by == "reference"


@pytest.mark.parametrize(
    ("flow", "status", "selected"),
    [
        ("authorised", "Not Paid", True),
        ("authorised", "Entered", False),
        ("authorised", "Cancelled", False),
        ("draft", "Entered", True),
        ("draft", "Cancelled", False),
        ("classic", "Partially Paid", True),
    ],
)
def test_selection(flow: str, status: str, selected: bool) -> None:
    invoice = Invoice(**{**INVOICE.__dict__, "status": status})
    assert get_flow(flow).selects(invoice) is selected


def test_unknown_flow_names_the_known_ones() -> None:
    with pytest.raises(ConfigurationError, match="authorised, draft, classic"):
        get_flow("nope")


def test_third_party_flow_from_entry_point(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "acme_flow.py").write_text(
        "from maica_xero_desktop.core.flows.base import StandardFlow\n"
        "FLOW = StandardFlow(name='acme', description='Acme review flow', matches_by='number',\n"
        "                    xero_status='SUBMITTED', statuses=frozenset({'Not Paid'}))\n"
        "BROKEN = 42\n"
    )
    info = tmp_path / "acme_flow-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: acme-flow\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(
        f"[{ENTRY_POINT_GROUP}]\nacme = acme_flow:FLOW\nbroken = acme_flow:BROKEN\n"
        "missing = acme_flow_missing:FLOW\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    importlib.invalidate_caches()
    names = [flow.name for flow in all_flows()]
    assert names == ["authorised", "draft", "classic", "acme"]
    assert get_flow("acme").to_xero(INVOICE, CONTEXT)["Status"] == "SUBMITTED"


def test_not_eligible_reason_names_the_flow_and_the_status() -> None:
    from dataclasses import replace

    from maica_xero_desktop.core.flows import not_eligible_reason

    entered = replace(INVOICE, status="Entered")
    assert not get_flow("authorised").selects(entered)
    assert not_eligible_reason("authorised", entered) == (
        "Not sent by the authorised flow: status Entered."
    )
    cancelled = replace(INVOICE, status="Cancelled")
    assert not any(flow.selects(cancelled) for flow in all_flows())
    assert not_eligible_reason("draft", cancelled) == "Cancelled in Maica: never sent."


def test_an_unknown_flow_names_the_flows_and_how_to_choose_one() -> None:
    from maica_xero_desktop import cli_wording
    from maica_xero_desktop.core.errors import Remedy

    with pytest.raises(ConfigurationError) as caught:
        get_flow("nope")
    assert caught.value.remedy is Remedy.CHOOSE_FLOW
    assert cli_wording.say(caught.value) == (
        "There is no sync flow called 'nope' (the flows are authorised, draft, classic). "
        "Choose one: maica-xero config set flow NAME (maica-xero flows describes them)."
    )
