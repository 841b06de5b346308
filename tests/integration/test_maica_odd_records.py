"""Records Maica could send that are odd, seeded through the sandbox's records control and
pulled over HTTP: each is stored as it is, or reported with its Salesforce Id and a sentence with
nothing stored — never a traceback."""

from __future__ import annotations

from typing import Any

import pytest

from maica_xero_desktop.core.maica import PullResult
from maica_xero_desktop.core.service import Service, internals
from maica_xero_desktop.sandbox import Sandbox
from tests.integration.maica_support import INVOICE, LINE, NS, connect_maica, open_invoice_numbers

CONTACT = "Contact"
ITEM = f"{NS}__Support_Item__c"


def _first(sandbox: Sandbox, sobject: str) -> dict[str, Any]:
    return sandbox.maica_records(sobject)[0]


def new_invoice(
    sandbox: Sandbox,
    number: str,
    lines: list[dict[str, Any]] | None = None,
    fields: dict[str, Any] | None = None,
) -> tuple[str, list[str]]:
    """A new open invoice (a participant, dates) with ``lines`` (each a sensible line unless
    overridden); returns its Id and its lines' Ids."""
    values = {
        "Name": number,
        f"{NS}__Participant__c": _first(sandbox, CONTACT)["Id"],
        f"{NS}__Funding_Type__c": "Plan Managed",
        f"{NS}__Invoice_Date__c": "2026-11-02",
        f"{NS}__Due_Date__c": "2026-11-16",
        **(fields or {}),
    }
    [invoice_id] = sandbox.maica_upsert_records(INVOICE, [values])
    item = _first(sandbox, ITEM)["Id"]
    rows = [
        {
            f"{NS}__Invoice__c": invoice_id,
            f"{NS}__Support_Item__c": item,
            f"{NS}__Quantity__c": 2,
            f"{NS}__Unit_Price__c": 65.47,
            f"{NS}__Service_Date__c": "2026-11-01",
            f"{NS}__GST_Code__c": "P2",
            **line,
        }
        for line in (lines if lines is not None else [{}])
    ]
    line_ids = sandbox.maica_upsert_records(LINE, rows) if rows else []
    return invoice_id, line_ids


def refused(service: Service, sandbox: Sandbox, sf_id: str, number: str, *words: str) -> PullResult:
    """The pull reports ``sf_id`` (the invoice's or a line's) with a sentence naming ``words``,
    and stores nothing at all."""
    result = service.maica.pull()
    assert result.errors, result
    found = [e for e in result.errors if e.sf_id == sf_id]
    assert found, result.errors
    assert found[0].invoice_number == number
    reason = found[0].reason
    assert reason.endswith((".", ")")) or reason[-1].isalnum()
    assert "\n" not in reason
    assert "Traceback" not in reason
    for word in words:
        assert word in reason, reason
    store = internals(service).store
    assert store.maica_records() == {}
    assert store.load_invoices("") == []
    assert result.new == 0
    return result


def stored(service: Service, number: str) -> Any:
    result = service.maica.pull()
    assert not result.errors, result.errors
    by_number = {
        s.invoice.invoice_number: s.invoice for s in internals(service).store.load_invoices("")
    }
    assert number in by_number
    return by_number[number]


@pytest.fixture
def maica(service: Service, xero_env: Sandbox) -> Service:
    connect_maica(service)
    return service


def test_an_invoice_with_no_lines_is_reported(maica: Service, xero_env: Sandbox) -> None:
    invoice_id, _ = new_invoice(xero_env, "INV-ODD-001", lines=[])
    refused(maica, xero_env, invoice_id, "INV-ODD-001", "no line to send")


def test_an_invoice_whose_every_line_is_excluded_is_reported(
    maica: Service, xero_env: Sandbox
) -> None:
    invoice_id, _ = new_invoice(xero_env, "INV-ODD-002", lines=[{f"{NS}__Exclude__c": True}])
    refused(maica, xero_env, invoice_id, "INV-ODD-002", "no line to send")


@pytest.mark.parametrize("field", ["Quantity__c", "Unit_Price__c"])
def test_a_line_with_no_quantity_or_price_is_reported(
    maica: Service, xero_env: Sandbox, field: str
) -> None:
    _, [line_id] = new_invoice(xero_env, "INV-ODD-003", lines=[{f"{NS}__{field}": None}])
    refused(maica, xero_env, line_id, "INV-ODD-003", f"{NS}__{field}")


def test_a_negative_quantity_is_reported(maica: Service, xero_env: Sandbox) -> None:
    _, [line_id] = new_invoice(xero_env, "INV-ODD-004", lines=[{f"{NS}__Quantity__c": -2}])
    refused(maica, xero_env, line_id, "INV-ODD-004", f"{NS}__Quantity__c", "negative")


def test_an_invoice_without_a_participant_is_reported(maica: Service, xero_env: Sandbox) -> None:
    invoice_id, _ = new_invoice(xero_env, "INV-ODD-005", fields={f"{NS}__Participant__c": None})
    refused(maica, xero_env, invoice_id, "INV-ODD-005", f"{NS}__Participant__c")


def test_an_invoice_without_a_date_is_reported(maica: Service, xero_env: Sandbox) -> None:
    invoice_id, _ = new_invoice(xero_env, "INV-ODD-006", fields={f"{NS}__Invoice_Date__c": None})
    refused(maica, xero_env, invoice_id, "INV-ODD-006", f"{NS}__Invoice_Date__c")


def test_a_line_without_a_support_item_is_reported(maica: Service, xero_env: Sandbox) -> None:
    _, [line_id] = new_invoice(xero_env, "INV-ODD-007", lines=[{f"{NS}__Support_Item__c": None}])
    refused(maica, xero_env, line_id, "INV-ODD-007", "Support_Item")


def test_an_invoice_without_a_number_is_reported(maica: Service, xero_env: Sandbox) -> None:
    invoice_id, _ = new_invoice(xero_env, "", fields={"Name": None})
    result = maica.maica.pull()
    assert [e.sf_id for e in result.errors] == [invoice_id]
    assert internals(maica).store.maica_records() == {}


def test_two_maica_invoices_with_one_number_are_reported(maica: Service, xero_env: Sandbox) -> None:
    first, _ = new_invoice(xero_env, "INV-ODD-008")
    second, _ = new_invoice(xero_env, "INV-ODD-008")
    result = refused(maica, xero_env, second, "INV-ODD-008", first)
    assert len(result.errors) == 1


def test_a_thousand_line_invoice_is_stored_whole(maica: Service, xero_env: Sandbox) -> None:
    lines = [{f"{NS}__Quantity__c": 1, f"{NS}__Unit_Price__c": 1 + k / 100} for k in range(1000)]
    invoice_id, _ = new_invoice(xero_env, "INV-ODD-009", lines=lines)
    invoice = stored(maica, "INV-ODD-009")
    assert len(invoice.lines) == 1000
    assert internals(maica).store.maica_records()[invoice_id][1] == "INV-ODD-009"


def test_names_with_emoji_and_right_to_left_text_are_stored_as_they_are(
    maica: Service, xero_env: Sandbox
) -> None:
    [contact] = xero_env.maica_upsert_records(
        CONTACT,
        [{"FirstName": "سارة", "LastName": "Nguyễn 🌏", f"{NS}__NDIS_Number__c": "431234567"}],
    )
    new_invoice(
        xero_env,
        "INV-ODD-010",
        lines=[{f"{NS}__Line_Description__c": "שיעור שחייה 🏊 — session"}],
        fields={f"{NS}__Participant__c": contact},
    )
    invoice = stored(maica, "INV-ODD-010")
    assert invoice.participant_name == "سارة Nguyễn 🌏"
    assert invoice.lines[0].description == "שיעור שחייה 🏊 — session"


def test_hidden_characters_in_a_name_are_reported_not_stored(
    maica: Service, xero_env: Sandbox
) -> None:
    [contact] = xero_env.maica_upsert_records(
        CONTACT, [{"FirstName": "Eve\u202e", "LastName": "lyn\n[INFO] forged"}]
    )
    invoice_id, _ = new_invoice(xero_env, "INV-ODD-011", fields={f"{NS}__Participant__c": contact})
    result = refused(maica, xero_env, invoice_id, "INV-ODD-011", "U+202E")
    assert all("\u202e" not in e.reason for e in result.errors)


def test_a_repeated_line_is_named_by_both_salesforce_ids(maica: Service, xero_env: Sandbox) -> None:
    _, [first, second] = new_invoice(xero_env, "INV-ODD-013", lines=[{}, {}])
    result = refused(maica, xero_env, second, "INV-ODD-013", f"repeats line {first}")
    assert "line 1" not in result.errors[0].reason.replace(first, "")


def test_the_sample_invoices_are_untouched_by_odd_ones_corrected(
    maica: Service, xero_env: Sandbox
) -> None:
    invoice_id, _ = new_invoice(xero_env, "INV-ODD-012", fields={f"{NS}__Invoice_Date__c": None})
    assert maica.maica.pull().errors
    xero_env.maica_upsert_records(
        INVOICE, [{"Id": invoice_id, f"{NS}__Invoice_Date__c": "2026-11-03"}]
    )
    result = maica.maica.pull()
    assert not result.errors
    assert result.new == len(open_invoice_numbers(xero_env))
