"""Credit notes, prepayments and overpayments against invoices, and payment reversal: what
``GET /Invoices`` shows afterwards (AmountCredited, AmountDue, Status, the credit arrays)."""

from __future__ import annotations

from typing import Any

from .books import Books, invoice, line


def _create(books: Books, **overrides: Any) -> dict[str, Any]:
    response = books.put_invoices(invoice(**overrides))
    assert response.status_code == 200, response.text
    return dict(response.json()["Invoices"][0])


def _read(books: Books, inv: dict[str, Any]) -> dict[str, Any]:
    return dict(books.get(f"Invoices/{inv['InvoiceID']}").json()["Invoices"][0])


def _credit_note(books: Books, inv: dict[str, Any], amount: float) -> dict[str, Any]:
    body = {
        "CreditNotes": [
            {
                "Type": "ACCRECCREDIT",
                "Contact": {"ContactID": inv["Contact"]["ContactID"]},
                "Date": "2026-12-02",
                "Status": "AUTHORISED",
                "LineItems": [line(Quantity=1, UnitAmount=amount)],
            }
        ]
    }
    response = books.send("PUT", "CreditNotes", body)
    assert response.status_code == 200, response.text
    return dict(response.json()["CreditNotes"][0])


def test_a_credit_note_half_settles_then_settles_an_invoice(books: Books) -> None:
    inv = _create(books)  # total 130.94
    note = _credit_note(books, inv, 65.47)
    assert (note["Total"], note["RemainingCredit"], note["Status"]) == (65.47, 65.47, "AUTHORISED")
    allocation = {"Invoice": {"InvoiceID": inv["InvoiceID"]}, "Amount": 65.47, "Date": "2026-12-03"}
    put = books.send("PUT", f"CreditNotes/{note['CreditNoteID']}/Allocations", allocation)
    assert put.status_code == 200, put.text
    half = _read(books, inv)
    assert (half["AmountPaid"], half["AmountCredited"], half["AmountDue"], half["Status"]) == (
        0.0,
        65.47,
        65.47,
        "AUTHORISED",
    )
    (applied,) = half["CreditNotes"]
    assert applied["CreditNoteID"] == note["CreditNoteID"]
    assert applied["AppliedAmount"] == 65.47
    assert applied["Date"] == "/Date(1796256000000+0000)/"
    second = _credit_note(books, inv, 65.47)
    books.send(
        "PUT",
        f"CreditNotes/{second['CreditNoteID']}/Allocations",
        {"Allocations": [{"Invoice": {"InvoiceID": inv["InvoiceID"]}, "Amount": 65.47}]},
    )
    done = _read(books, inv)
    assert (done["AmountDue"], done["AmountCredited"], done["Status"]) == (0.0, 130.94, "PAID")
    assert len(done["CreditNotes"]) == 2
    used = books.get(f"CreditNotes/{note['CreditNoteID']}").json()["CreditNotes"][0]
    assert (used["RemainingCredit"], used["Status"]) == (0.0, "PAID")


def test_an_allocation_cannot_exceed_the_credit_or_the_amount_due(books: Books) -> None:
    inv = _create(books)
    note = _credit_note(books, inv, 500)
    too_much = {"Invoice": {"InvoiceID": inv["InvoiceID"]}, "Amount": 200}
    refused = books.send("PUT", f"CreditNotes/{note['CreditNoteID']}/Allocations", too_much)
    assert refused.status_code == 400
    assert "exceeds the amount due" in refused.text
    assert _read(books, inv)["AmountDue"] == 130.94


def test_prepayments_and_overpayments_appear_on_the_invoice(books: Books) -> None:
    inv = _create(books)
    books.admin(
        "POST", "credit", {"invoice_id": inv["InvoiceID"], "amount": 30, "kind": "prepayment"}
    )
    books.admin(
        "POST", "credit", {"invoice_id": inv["InvoiceID"], "amount": 20, "kind": "OVERPAYMENT"}
    )
    got = _read(books, inv)
    assert (got["AmountCredited"], got["AmountDue"], got["Status"]) == (50.0, 80.94, "AUTHORISED")
    assert [p["AppliedAmount"] for p in got["Prepayments"]] == [30.0]
    assert [p["AppliedAmount"] for p in got["Overpayments"]] == [20.0]
    assert set(got["Prepayments"][0]) == {"PrepaymentID", "Date", "AppliedAmount"}
    assert got["CreditNotes"] == []


def test_a_deleted_payment_leaves_the_invoice(books: Books) -> None:
    inv = _create(books)
    pay = {
        "Invoice": {"InvoiceID": inv["InvoiceID"]},
        "Account": {"Code": "090"},
        "Date": "2026-12-01",
        "Amount": 130.94,
    }
    (payment,) = books.send("PUT", "Payments", pay).json()["Payments"]
    assert _read(books, inv)["Status"] == "PAID"
    deleted = books.send("POST", f"Payments/{payment['PaymentID']}", {"Status": "DELETED"})
    assert deleted.status_code == 200, deleted.text
    assert deleted.json()["Payments"][0]["Status"] == "DELETED"
    back = _read(books, inv)
    assert (back["Status"], back["AmountPaid"], back["AmountDue"], back["Payments"]) == (
        "AUTHORISED",
        0.0,
        130.94,
        [],
    )
    assert "FullyPaidOnDate" not in back
    again = books.send("POST", f"Payments/{payment['PaymentID']}", {"Status": "DELETED"})
    assert again.status_code == 400
    other = books.send("POST", f"Payments/{payment['PaymentID']}", {"Status": "AUTHORISED"})
    assert other.status_code == 400


def test_a_credited_invoice_cannot_be_voided(books: Books) -> None:
    inv = _create(books)
    books.admin("POST", "credit", {"invoice_id": inv["InvoiceID"], "amount": 10})
    change = {"InvoiceID": inv["InvoiceID"], "Status": "VOIDED"}
    answer = books.send("POST", "Invoices", {"Invoices": [change]}, summarizeErrors="false")
    assert answer.json()["Invoices"][0]["HasErrors"] is True
