"""The sandbox's Accounting API answers (and the bodies these tests send) against
xero_accounting.yaml: envelopes by the operation's response schema, records strictly (no field
the spec does not declare), the 400 ``Error`` shape, and the documented parameters."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests

from maica_xero_desktop.sandbox import Sandbox, SandboxConfig
from tests.sandbox.books import Books, invoice, line, sign_in

from . import openapi

ACC = openapi.ACCOUNTING
MAICA = SandboxConfig().organisations[0].tenant_id
#: Xero sends these twins of Date/DueDate; the spec does not declare them
UNDECLARED_TWINS = ("DateString", "DueDateString")


@pytest.fixture
def books() -> Iterator[Books]:
    with Sandbox(SandboxConfig(auto_consent=True, rate_limits_enabled=False)) as sb:
        yield Books(sb, sign_in(sb), MAICA)


def _strip(node: Any) -> Any:
    if isinstance(node, dict):
        return {k: _strip(v) for k, v in node.items() if k not in UNDECLARED_TWINS}
    if isinstance(node, list):
        return [_strip(v) for v in node]
    return node


def _check(
    method: str, path: str, response: requests.Response, key: str, schema: str
) -> list[dict[str, Any]]:
    assert str(response.status_code) in openapi.response_statuses(ACC, path, method)
    body = response.json()
    openapi.validate_response(ACC, path, method, response.status_code, body)
    for field in ("Id", "Status", "ProviderName", "DateTimeUTC"):
        assert field in body
    items: list[dict[str, Any]] = body[key]
    for item in items:
        openapi.validate(ACC, _strip(item), schema, forbid_additional=True)
    return items


def _request(method: str, path: str, body: Any) -> None:
    schema = openapi.request_body_schema(ACC, path, method)
    assert schema is not None
    openapi.assert_valid(ACC, schema, body, forbid_additional=True)


def _params(method: str, path: str) -> set[str]:
    op = openapi.operation(ACC, path, method)
    spec = openapi.load_spec(ACC)
    names = set()
    for given in op.get("parameters", []):
        param = given
        if "$ref" in given:
            param = spec["components"]["parameters"][given["$ref"].split("/")[-1]]
        names.add(param["name"])
    return names


def test_settings_answers(books: Books) -> None:
    for path, key, schema in (
        ("Accounts", "Accounts", "Account"),
        ("TaxRates", "TaxRates", "TaxRate"),
        ("TrackingCategories", "TrackingCategories", "TrackingCategory"),
        ("Currencies", "Currencies", "Currency"),
    ):
        items = _check("GET", f"/{path}", books.get(path), key, schema)
        assert items
    archived = books.get("TrackingCategories", includeArchived="true")
    _check("GET", "/TrackingCategories", archived, "TrackingCategories", "TrackingCategory")


def test_invoice_answers(books: Books) -> None:
    tracked = line(Tracking=[{"Name": "Region", "Option": "North"}])
    body = {"Invoices": [invoice(LineItems=[tracked, line(TaxType="OUTPUT")]), invoice("two")]}
    _request("PUT", "/Invoices", body)
    put = books.send("PUT", "Invoices", body, summarizeErrors="false", unitdp=4)
    created = _check("PUT", "/Invoices", put, "Invoices", "Invoice")
    update = {"Invoices": [{"InvoiceID": created[1]["InvoiceID"], "Reference": "two-b"}]}
    _request("POST", "/Invoices", update)
    _check("POST", "/Invoices", books.send("POST", "Invoices", update), "Invoices", "Invoice")
    payment = {
        "Payments": [
            {
                "Invoice": {"InvoiceID": created[0]["InvoiceID"]},
                "Account": {"Code": "090"},
                "Date": "2026-12-01",
                "Amount": 10.5,
            }
        ]
    }
    _request("PUT", "/Payments", payment)
    _check("PUT", "/Payments", books.send("PUT", "Payments", payment), "Payments", "Payment")
    _check("GET", "/Payments", books.get("Payments"), "Payments", "Payment")
    for params in ({}, {"page": 1}, {"summaryOnly": "true"}, {"InvoiceNumbers": "INV-0001"}):
        _check("GET", "/Invoices", books.get("Invoices", **params), "Invoices", "Invoice")
    one = books.get(f"Invoices/{created[0]['InvoiceID']}")
    (got,) = _check("GET", "/Invoices/{InvoiceID}", one, "Invoices", "Invoice")
    assert got["Payments"]
    assert got["LineItems"][0]["Tracking"]
    paged = books.get("Invoices", page=1).json()
    openapi.validate(ACC, paged["pagination"], "Pagination", forbid_additional=True)


def test_rejections_match_the_error_schema(books: Books) -> None:
    bad = {"Invoices": [invoice("good"), invoice("bad", LineItems=[line(AccountCode="999")])]}
    _request("PUT", "/Invoices", bad)
    response = books.send("PUT", "Invoices", bad)
    assert response.status_code == 400
    body = response.json()
    openapi.validate_response(ACC, "/Invoices", "PUT", 400, body)
    openapi.validate(ACC, body, "Error")
    for element in body["Elements"]:
        openapi.validate(ACC, element, "Element")
        openapi.validate(ACC, element, "Invoice", forbid_additional=True)
    partial = books.send("PUT", "Invoices", bad, summarizeErrors="false")
    _check("PUT", "/Invoices", partial, "Invoices", "Invoice")
    contacts = {"Contacts": [{"Name": "Adam Smith"}, {"Name": "Bo", "EmailAddress": "nope"}]}
    _request("PUT", "/Contacts", contacts)
    refused = books.send("PUT", "Contacts", contacts)
    assert refused.status_code == 400
    openapi.validate_response(ACC, "/Contacts", "PUT", 400, refused.json())
    for element in refused.json()["Elements"]:
        openapi.validate(ACC, element, "Contact", forbid_additional=True)


def test_contact_answers(books: Books) -> None:
    body = {"Contacts": [{"Name": "Adam Smith", "ContactNumber": "P-1", "EmailAddress": "a@b.au"}]}
    _request("PUT", "/Contacts", body)
    (made,) = _check("PUT", "/Contacts", books.send("PUT", "Contacts", body), "Contacts", "Contact")
    update = {"Contacts": [{"ContactID": made["ContactID"], "FirstName": "Adam"}]}
    _request("POST", "/Contacts", update)
    _check("POST", "/Contacts", books.send("POST", "Contacts", update), "Contacts", "Contact")
    _check("GET", "/Contacts", books.get("Contacts", page=1), "Contacts", "Contact")
    _check("GET", "/Contacts/{ContactID}", books.get("Contacts/P-1"), "Contacts", "Contact")


def test_the_parameters_used_are_documented() -> None:
    used = {
        ("GET", "/Invoices"): {
            "InvoiceNumbers",
            "IDs",
            "ContactIDs",
            "Statuses",
            "where",
            "order",
            "page",
            "pageSize",
            "summaryOnly",
            "unitdp",
            "If-Modified-Since",
        },
        ("PUT", "/Invoices"): {"summarizeErrors", "unitdp", "Idempotency-Key"},
        ("POST", "/Invoices"): {"summarizeErrors", "unitdp", "Idempotency-Key"},
        ("GET", "/Contacts"): {
            "IDs",
            "where",
            "page",
            "pageSize",
            "includeArchived",
            "searchTerm",
            "summaryOnly",
            "If-Modified-Since",
        },
        ("PUT", "/Contacts"): {"summarizeErrors", "Idempotency-Key"},
        ("PUT", "/Payments"): {"summarizeErrors", "Idempotency-Key"},
        ("GET", "/TrackingCategories"): {"includeArchived", "where"},
        ("GET", "/Accounts"): {"where", "order"},
    }
    for (method, path), names in used.items():
        assert names <= _params(method, path), (method, path, names - _params(method, path))


def test_credit_and_reversal_answers(books: Books) -> None:
    (inv,) = books.put_invoices(invoice()).json()["Invoices"]
    note = {
        "CreditNotes": [
            {
                "Type": "ACCRECCREDIT",
                "Contact": {"ContactID": inv["Contact"]["ContactID"]},
                "Date": "2026-12-02",
                "Status": "AUTHORISED",
                "LineItems": [line(Quantity=1, UnitAmount=40)],
            }
        ]
    }
    _request("PUT", "/CreditNotes", note)
    (made,) = _check(
        "PUT", "/CreditNotes", books.send("PUT", "CreditNotes", note), "CreditNotes", "CreditNote"
    )
    path = "/CreditNotes/{CreditNoteID}/Allocations"
    allocation = {
        "Allocations": [
            {"Invoice": {"InvoiceID": inv["InvoiceID"]}, "Amount": 40, "Date": "2026-12-03"}
        ]
    }
    _request("PUT", path, allocation)
    put = books.send("PUT", f"CreditNotes/{made['CreditNoteID']}/Allocations", allocation)
    _check("PUT", path, put, "Allocations", "Allocation")
    books.admin(
        "POST", "credit", {"invoice_id": inv["InvoiceID"], "amount": 5, "kind": "PREPAYMENT"}
    )
    books.admin(
        "POST", "credit", {"invoice_id": inv["InvoiceID"], "amount": 5, "kind": "OVERPAYMENT"}
    )
    payment = {
        "Invoice": {"InvoiceID": inv["InvoiceID"]},
        "Account": {"Code": "090"},
        "Date": "2026-12-04",
        "Amount": 10,
    }
    (paid,) = books.send("PUT", "Payments", {"Payments": [payment]}).json()["Payments"]
    (got,) = _check("GET", "/Invoices", books.get("Invoices", page=1), "Invoices", "Invoice")
    assert (got["AmountCredited"], got["AmountPaid"]) == (50.0, 10.0)
    assert got["CreditNotes"]
    assert got["Prepayments"]
    assert got["Overpayments"]
    deletion = {"Status": "DELETED"}
    _request("POST", "/Payments/{PaymentID}", deletion)
    deleted = books.send("POST", f"Payments/{paid['PaymentID']}", deletion)
    _check("POST", "/Payments/{PaymentID}", deleted, "Payments", "Payment")
    (after,) = _check("GET", "/Invoices", books.get("Invoices", page=1), "Invoices", "Invoice")
    assert after["Payments"] == []
