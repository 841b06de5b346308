"""Payments, the admin shortcuts (pay, void), settings endpoints."""

from __future__ import annotations

from typing import Any

from .books import Books, invoice


def _create(books: Books, **overrides: Any) -> dict[str, Any]:
    response = books.put_invoices(invoice(**overrides))
    assert response.status_code == 200, response.text
    return dict(response.json()["Invoices"][0])


def _payment(inv: dict[str, Any], amount: float, code: str = "090") -> dict[str, Any]:
    return {
        "Invoice": {"InvoiceID": inv["InvoiceID"]},
        "Account": {"Code": code},
        "Date": "2026-12-01",
        "Amount": amount,
        "Reference": "EFT",
    }


def test_partial_then_full_payment(books: Books) -> None:
    inv = _create(books)
    first = books.send("PUT", "Payments", {"Payments": [_payment(inv, 30)]})
    assert first.status_code == 200, first.text
    (paid,) = first.json()["Payments"]
    assert (paid["Amount"], paid["Status"], paid["PaymentType"]) == (
        30.0,
        "AUTHORISED",
        "ACCRECPAYMENT",
    )
    after = books.get(f"Invoices/{inv['InvoiceID']}").json()["Invoices"][0]
    assert (after["AmountPaid"], after["AmountDue"], after["Status"]) == (
        30.0,
        100.94,
        "AUTHORISED",
    )
    assert after["UpdatedDateUTC"] >= inv["UpdatedDateUTC"]
    books.send("PUT", "Payments", _payment(inv, 100.94))
    done = books.get(f"Invoices/{inv['InvoiceID']}").json()["Invoices"][0]
    assert (done["AmountDue"], done["Status"]) == (0.0, "PAID")
    assert [p["Amount"] for p in done["Payments"]] == [30.0, 100.94]
    assert done["FullyPaidOnDate"] == "/Date(1796083200000+0000)/"
    listed = books.get("Payments").json()["Payments"]
    assert [p["Invoice"]["InvoiceNumber"] for p in listed] == ["INV-0001", "INV-0001"]


def test_payment_rules(books: Books) -> None:
    draft = _create(books, Status="DRAFT")
    live = _create(books, Reference="two")
    cases = [
        (_payment(draft, 10), "Payments can only be made against Authorised documents."),
        (
            _payment(live, 1000),
            "The payment amount exceeds the amount outstanding on this document.",
        ),
        (
            _payment(live, 10, "200"),
            "Payments can only be made to a bank account or one enabled for them.",
        ),
        (_payment(live, 10, "999"), "Account code '999' is not a valid code for this document."),
    ]
    for body, message in cases:
        response = books.send("PUT", "Payments", {"Payments": [body]}, summarizeErrors="false")
        assert books.messages(response.json()["Payments"][0]) == [message]
    assert books.get("Payments").json()["Payments"] == []


def test_admin_pay_and_void(books: Books) -> None:
    inv = _create(books)
    out = books.admin(
        "POST",
        "payments",
        {"tenant_id": books.tenant_id, "invoice_number": "INV-0001", "amount": 130.94},
    )
    assert out["invoice"]["Status"] == "PAID"
    other = _create(books, Reference="other")
    voided = books.admin("POST", "void", {"invoice_id": other["InvoiceID"]})
    assert voided["invoice"]["Status"] == "VOIDED"
    got = books.get(f"Invoices/{other['InvoiceID']}").json()["Invoices"][0]
    assert (got["Status"], got["AmountDue"]) == ("VOIDED", 0.0)
    response = books.sandbox.app.router.match("POST", "/_sandbox/void")
    assert response.route is not None
    import requests

    refused = requests.post(
        f"{books.sandbox.base_url}/_sandbox/void", json={"invoice_id": inv["InvoiceID"]}, timeout=10
    )
    assert refused.status_code == 400
    assert "not of valid status" in refused.json()["message"]
    listed = books.admin("GET", "invoices", tenant_id=books.tenant_id)["invoices"]
    assert [(i["InvoiceNumber"], i["Reference"], i["Status"]) for i in listed] == [
        ("INV-0001", "MAICA-1", "PAID"),
        ("INV-0002", "other", "VOIDED"),
    ]
    assert books.admin("GET", "contacts")["contacts"][0]["Name"] == "Adam Smith"


def test_settings(books: Books, demo_books: Books) -> None:
    accounts = {a["Code"]: a for a in books.get("Accounts").json()["Accounts"]}
    assert {"090", "200", "250", "260", "270", "400", "610"} <= set(accounts)
    assert accounts["250"]["Status"] == "ARCHIVED"
    assert accounts["200"]["Type"] == "REVENUE"
    active = books.get("Accounts", where='Status=="ACTIVE"').json()["Accounts"]
    assert "250" not in {a["Code"] for a in active}
    rates = {r["TaxType"]: r for r in books.get("TaxRates").json()["TaxRates"]}
    assert rates["OUTPUT"]["Name"] == "GST on Income"
    assert rates["OUTPUT"]["EffectiveRate"] == 10.0
    assert rates["EXEMPTOUTPUT"]["CanApplyToRevenue"] is True
    assert rates["INPUT"]["CanApplyToRevenue"] is False
    tracking = books.get("TrackingCategories").json()["TrackingCategories"]
    region = next(c for c in tracking if c["Name"] == "Region")
    assert [o["Name"] for o in region["Options"]] == ["North", "South"]
    every = books.get("TrackingCategories", includeArchived="true").json()["TrackingCategories"]
    assert len(next(c for c in every if c["Name"] == "Region")["Options"]) == 3
    assert [c["Code"] for c in books.get("Currencies").json()["Currencies"]] == ["AUD"]
    assert [c["Code"] for c in demo_books.get("Currencies").json()["Currencies"]] == ["AUD", "NZD"]
    demo_ids = {a["AccountID"] for a in demo_books.get("Accounts").json()["Accounts"]}
    assert not demo_ids & {a["AccountID"] for a in accounts.values()}
