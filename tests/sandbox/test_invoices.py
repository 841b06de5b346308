"""PUT/POST /Invoices: computation, numbering, contacts by name, summarizeErrors, updates."""

from __future__ import annotations

from typing import Any

import pytest

from .books import Books, invoice, line

ZERO = "00000000-0000-0000-0000-000000000000"


def _only(response: Any) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    (item,) = response.json()["Invoices"]
    return dict(item)


def test_create_computes_totals_and_numbers(books: Books) -> None:
    body = books.put_invoices(invoice(), summarizeErrors="false").json()
    assert body["Status"] == "OK"
    assert body["DateTimeUTC"].startswith("/Date(")
    (inv,) = body["Invoices"]
    assert inv["InvoiceNumber"] == "INV-0001"
    assert inv["StatusAttributeString"] == "OK"
    assert inv["HasErrors"] is False
    assert (inv["SubTotal"], inv["TotalTax"], inv["Total"]) == (130.94, 0.0, 130.94)
    assert (inv["AmountDue"], inv["AmountPaid"]) == (130.94, 0.0)
    assert inv["Date"] == "/Date(1795651200000+0000)/"
    assert inv["DateString"] == "2026-11-26T00:00:00"
    assert inv["DueDateString"] == "2026-12-10T00:00:00"
    assert inv["UpdatedDateUTC"].endswith("+0000)/")
    assert inv["LineItems"][0]["LineAmount"] == 130.94
    second = _only(books.put_invoices(invoice("MAICA-2")))
    assert second["InvoiceNumber"] == "INV-0002"
    own = _only(books.put_invoices(invoice("MAICA-3", InvoiceNumber="INV-0003")))
    assert own["InvoiceNumber"] == "INV-0003"
    assert _only(books.put_invoices(invoice("MAICA-4")))["InvoiceNumber"] == "INV-0004"


@pytest.mark.parametrize(
    ("lat", "sub", "tax", "total"),
    [
        ("Exclusive", 200.0, 20.0, 220.0),
        ("Inclusive", 181.82, 18.18, 200.0),
        ("NoTax", 200.0, 0.0, 200.0),
    ],
)
def test_gst_by_line_amount_type(
    books: Books, lat: str, sub: float, tax: float, total: float
) -> None:
    lines = [line(Quantity=1, UnitAmount=100, TaxType="OUTPUT") for _ in range(2)]
    inv = _only(books.put_invoices(invoice(LineAmountTypes=lat, LineItems=lines)))
    assert (inv["SubTotal"], inv["TotalTax"], inv["Total"]) == (sub, tax, total)


def test_unitdp_four_keeps_unit_prices(books: Books) -> None:
    lines = [line(Quantity=3, UnitAmount=65.4712)]
    four = _only(books.put_invoices(invoice(LineItems=lines), unitdp=4))
    assert four["LineItems"][0]["UnitAmount"] == 65.4712
    assert four["LineItems"][0]["LineAmount"] == 196.41
    two = _only(books.put_invoices(invoice("MAICA-2", LineItems=lines)))
    assert two["LineItems"][0]["UnitAmount"] == 65.47
    assert two["LineItems"][0]["LineAmount"] == 196.41


def test_single_invoice_object_and_default_account_tax(books: Books) -> None:
    body = invoice(LineItems=[line(TaxType=None)])
    body["LineItems"][0].pop("TaxType")
    inv = _only(books.send("PUT", "Invoices", body))
    assert inv["LineItems"][0]["TaxType"] == "OUTPUT"  # account 200's default
    assert inv["TotalTax"] == 13.09


def test_contact_by_name_is_created_once_and_reused(books: Books) -> None:
    first = _only(books.put_invoices(invoice("A", Contact={"Name": "Beth Ng"})))
    second = _only(books.put_invoices(invoice("B", Contact={"Name": "beth ng"})))
    assert first["Contact"]["ContactID"] == second["Contact"]["ContactID"]
    assert [c["Name"] for c in books.sandbox.contacts()] == ["Beth Ng"]
    by_id = _only(
        books.put_invoices(invoice("C", Contact={"ContactID": first["Contact"]["ContactID"]}))
    )
    assert by_id["Contact"]["Name"] == "Beth Ng"


def test_contact_by_number_must_exist(books: Books) -> None:
    books.send("PUT", "Contacts", {"Contacts": [{"Name": "Cy Lo", "ContactNumber": "P-9"}]})
    inv = _only(books.put_invoices(invoice(Contact={"ContactNumber": "P-9"})))
    assert inv["Contact"]["Name"] == "Cy Lo"
    bad = books.put_invoices(invoice(Contact={"ContactNumber": "P-404"}), summarizeErrors="false")
    assert books.messages(bad.json()["Invoices"][0]) == [
        "The Contact with ContactNumber 'P-404' could not be found."
    ]


MESSAGES = [
    ({"Contact": None}, "A Contact must be specified for this type of transaction"),
    ({"Contact": {"Name": " "}}, "A Contact must be specified for this type of transaction"),
    ({"Contact": {"Name": "x" * 256}}, "The Contact Name must be 255 characters or less."),
    ({"Status": "PAID"}, "Invoice not of valid status for creation"),
    ({"Status": "VOIDED"}, "Invoice not of valid status for creation"),
    ({"Date": ""}, "The document date is required."),
    ({"DueDate": None}, "Due Date is required."),
    ({"CurrencyCode": "NZD"}, "Organisation is not subscribed to currency NZD"),
    (
        {"LineItems": [line(AccountCode="999")]},
        "Account code '999' is not a valid code for this document.",
    ),
    (
        {"LineItems": [line(AccountCode="090")]},
        "Account code '090' is not a valid code for this document.",
    ),
    (
        {"LineItems": [line(AccountCode="250")]},
        "Account code '250' has been archived, or is invalid.",
    ),
    (
        {"LineItems": [line(TaxType="INPUT")]},
        "The TaxType code 'INPUT' cannot be used with account code '200'.",
    ),
    (
        {"LineItems": [line(TaxType="XYZ")]},
        "The TaxType code 'XYZ' does not exist or cannot be used with this type of transaction.",
    ),
    (
        {"Status": "DRAFT", "LineItems": [line(AccountCode=None, TaxType="INPUT")]},
        "The TaxType code 'INPUT' does not exist or cannot be used with this type of transaction.",
    ),
    (
        {"LineItems": [line(Quantity="two")]},
        "Line items: 'Quantity' must be a number.",
    ),
    (
        {"LineItems": [line(Quantity=None)]},
        "Line items: 'Quantity' is required when a UnitAmount is given.",
    ),
    (
        {"LineItems": [line(Tracking=[{"Name": "Region", "Option": "East"}])]},
        "Tracking category/option not found: 'Region' / 'East'",
    ),
    (
        {"LineItems": [line(Tracking=[{"Name": "Region", "Option": "West (closed)"}])]},
        "Tracking category/option not found: 'Region' / 'West (closed)'",
    ),
    (
        {"LineItems": [line(LineAmount=10)]},
        "The line total 10.00 does not match the expected line total 130.94",
    ),
    ({"LineItems": []}, "An invoice must have at least one line item to be approved."),
    ({"LineAmountTypes": "Gross"}, "'Gross' is not a valid LineAmountTypes value."),
]


@pytest.mark.parametrize(("change", "message"), MESSAGES)
def test_validation_messages(books: Books, change: dict[str, Any], message: str) -> None:
    body = invoice()
    for key, value in change.items():
        if value is None:
            body.pop(key, None)
        else:
            body[key] = value
    for item in body.get("LineItems", []):
        for key in [k for k, v in item.items() if v is None]:
            del item[key]
    response = books.put_invoices(body, summarizeErrors="false")
    assert response.status_code == 200
    (element,) = response.json()["Invoices"]
    assert element["HasErrors"] is True
    assert element["StatusAttributeString"] == "ERROR"
    assert element["InvoiceID"] == ZERO
    assert books.messages(element) == [message]
    assert books.sandbox.invoices() == []


def test_tracking_is_resolved(books: Books) -> None:
    tracked = line(
        Tracking=[
            {"Name": "region", "Option": "north"},
            {"Name": "Funding", "Option": "Plan Managed"},
        ]
    )
    inv = _only(books.put_invoices(invoice(LineItems=[tracked])))
    names = [(t["Name"], t["Option"]) for t in inv["LineItems"][0]["Tracking"]]
    assert names == [("Region", "North"), ("Funding", "Plan Managed")]
    assert all(t["TrackingOptionID"] for t in inv["LineItems"][0]["Tracking"])


def test_unique_numbers_across_and_within_batches(books: Books) -> None:
    books.put_invoices(invoice(InvoiceNumber="M-1"))
    response = books.put_invoices(
        invoice("x", InvoiceNumber="m-1"),
        invoice("y", InvoiceNumber="M-2"),
        invoice("z", InvoiceNumber="M-2"),
        summarizeErrors="false",
    )
    errors = [books.messages(e) for e in response.json()["Invoices"]]
    assert errors == [["Invoice # must be unique."], [], ["Invoice # must be unique."]]
    assert sorted(i["InvoiceNumber"] for i in books.sandbox.invoices()) == ["M-1", "M-2"]


def test_summarize_errors_false_is_partial_success(books: Books) -> None:
    response = books.put_invoices(
        invoice("good-1"),
        invoice("bad", LineItems=[line(AccountCode="999")]),
        invoice("good-2"),
        summarizeErrors="false",
    )
    assert response.status_code == 200
    items = response.json()["Invoices"]
    assert [i["HasErrors"] for i in items] == [False, True, False]
    assert [i["StatusAttributeString"] for i in items] == ["OK", "ERROR", "OK"]
    assert sorted(i["Reference"] for i in books.sandbox.invoices()) == ["good-1", "good-2"]


def test_summarize_errors_default_is_400_but_good_ones_are_created(books: Books) -> None:
    response = books.put_invoices(invoice("good"), invoice("bad", Status="PAID"))
    assert response.status_code == 400
    body = response.json()
    assert (body["ErrorNumber"], body["Type"]) == (10, "ValidationException")
    assert body["Message"] == "A validation exception occurred"
    (element,) = body["Elements"]
    assert element["Reference"] == "bad"
    assert books.messages(element) == ["Invoice not of valid status for creation"]
    assert [i["Reference"] for i in books.sandbox.invoices()] == ["good"]
    explicit = books.put_invoices(invoice("bad", Status="PAID"), summarizeErrors="true")
    assert explicit.status_code == 400


def test_bad_json_is_post_data_invalid(books: Books) -> None:
    response = books.send("PUT", "Invoices", None, headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    import requests

    raw = requests.put(
        books.url("Invoices"), data=b"{not json", headers=books.headers(), timeout=10
    )
    assert raw.status_code == 400
    assert raw.json()["Type"] == "PostDataInvalidException"


def test_put_never_updates_post_does(books: Books) -> None:
    created = _only(books.put_invoices(invoice("r1", Status="DRAFT")))
    again = books.put_invoices(
        invoice("r1", InvoiceNumber=created["InvoiceNumber"]), summarizeErrors="false"
    )
    assert books.messages(again.json()["Invoices"][0]) == ["Invoice # must be unique."]
    by_id = books.send(
        "POST", "Invoices", {"Invoices": [{"InvoiceID": created["InvoiceID"], "Reference": "r1b"}]}
    )
    updated = _only(by_id)
    assert (updated["InvoiceID"], updated["Reference"]) == (created["InvoiceID"], "r1b")
    assert updated["Total"] == created["Total"]
    by_number = books.send(
        "POST",
        "Invoices",
        {"Invoices": [{"InvoiceNumber": created["InvoiceNumber"], "Status": "AUTHORISED"}]},
    )
    assert _only(by_number)["Status"] == "AUTHORISED"
    path = books.send(
        "POST", f"Invoices/{created['InvoiceID']}", {"Invoices": [{"Status": "DRAFT"}]}
    )
    assert path.status_code == 400
    assert books.messages(path.json()["Elements"][0]) == [
        "Invoice not of valid status for modification"
    ]
    assert len(books.sandbox.invoices()) == 1
    new = _only(books.send("POST", "Invoices", {"Invoices": [invoice("fresh")]}))
    assert new["InvoiceNumber"] == "INV-0002"
