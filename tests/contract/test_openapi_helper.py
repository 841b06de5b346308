"""The validator itself must be strict enough to fail."""

from __future__ import annotations

from pathlib import Path

import pytest

from . import openapi

GOOD_CONNECTION = {
    "id": "7cb59f93-2964-421d-bb5e-a0f7a4572a44",
    "tenantId": "fe79f7dd-b6d4-4a92-ba7b-538af6289c58",
    "authEventId": "00000000-0000-0000-0000-000000000000",
    "tenantName": "Demo Company (NZ)",
    "tenantType": "ORGANISATION",
    "createdDateUtc": "2019-12-07T18:46:19.5165400",
    "updatedDateUtc": "2019-12-07T18:46:19.5187840",
}


def test_specs_are_found_and_parsed() -> None:
    assert openapi.spec_dir().is_dir()
    assert openapi.load_spec(openapi.IDENTITY)["openapi"].startswith("3.0")
    assert "/Invoices" in openapi.load_spec(openapi.ACCOUNTING)["paths"]


def test_a_good_connection_passes() -> None:
    openapi.validate(openapi.IDENTITY, GOOD_CONNECTION, "Connection", forbid_additional=True)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("tenantId", "not-a-uuid", "is not a 'uuid'"),
        ("tenantId", "fe79f7ddb6d44a92ba7b538af6289c58", "is not a 'uuid'"),
        ("id", 17, "is not of type 'string'"),
        ("createdDateUtc", "2019-12-07 18:46:19", "is not a 'date-time'"),
        ("createdDateUtc", "2019-13-07T18:46:19", "is not a 'date-time'"),
        ("tenantName", None, "is not of type 'string'"),
    ],
)
def test_a_wrong_connection_is_rejected(field: str, value: object, message: str) -> None:
    wrong = {**GOOD_CONNECTION, field: value}
    with pytest.raises(AssertionError, match=message):
        openapi.validate(openapi.IDENTITY, wrong, "Connection")
    with pytest.raises(AssertionError):
        openapi.validate_response(openapi.IDENTITY, "/connections", "GET", 200, [wrong])


def test_date_time_accepts_rfc3339_and_xeros_zoneless_form() -> None:
    for value in ("2019-12-07T18:46:19Z", "2019-12-07T18:46:19.5+10:00", "2019-12-07T18:46:19"):
        openapi.validate(
            openapi.IDENTITY, {**GOOD_CONNECTION, "updatedDateUtc": value}, "Connection"
        )


def test_forbid_additional_catches_misspelt_fields() -> None:
    misspelt = {**GOOD_CONNECTION, "tenantID": GOOD_CONNECTION["tenantId"]}
    openapi.validate(openapi.IDENTITY, misspelt, "Connection")
    with pytest.raises(AssertionError, match="undeclared properties: tenantID"):
        openapi.validate(openapi.IDENTITY, misspelt, "Connection", forbid_additional=True)


def test_nullable_is_honoured() -> None:
    schema = {"type": "string", "nullable": True}
    openapi.assert_valid(openapi.IDENTITY, schema, None)
    with pytest.raises(AssertionError):
        openapi.assert_valid(openapi.IDENTITY, {"type": "string"}, None)


def test_refs_resolve_deep_into_the_accounting_spec() -> None:
    problems = openapi.errors(
        openapi.ACCOUNTING,
        openapi.component(openapi.ACCOUNTING, "Organisations"),
        {"Organisations": [{"BaseCurrency": "XXX", "PaymentTerms": {"Sales": {"Type": "X"}}}]},
    )
    assert any(p.startswith("Organisations/0/BaseCurrency:") for p in problems)
    assert any(p.startswith("Organisations/0/PaymentTerms/Sales/Type:") for p in problems)


def test_paths_match_case_insensitively_with_templates_and_base_path() -> None:
    assert openapi.find_path(openapi.IDENTITY, "/connections") == "/Connections"
    assert openapi.find_path(openapi.IDENTITY, "/connections/abc") == "/Connections/{id}"
    assert openapi.find_path(openapi.ACCOUNTING, "/api.xro/2.0/invoices") == "/Invoices"
    with pytest.raises(KeyError):
        openapi.find_path(openapi.IDENTITY, "/nowhere")
    with pytest.raises(KeyError):
        openapi.response_schema(openapi.IDENTITY, "/connections", "GET", 500)
    schema = openapi.request_body_schema(openapi.ACCOUNTING, "/Invoices", "PUT")
    assert schema == {"$ref": "#/components/schemas/Invoices"}


def test_spec_dir_can_be_overridden(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / openapi.IDENTITY).write_text(
        "openapi: 3.0.0\npaths: {}\ncomponents:\n  schemas:\n    X: {type: integer}\n",
        encoding="utf-8",
    )
    monkeypatch.setenv(openapi.ENV_DIR, str(tmp_path))
    openapi.validate(openapi.IDENTITY, 3, "X")
    with pytest.raises(KeyError):
        openapi.component(openapi.IDENTITY, "Connection")
