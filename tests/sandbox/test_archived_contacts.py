"""Archived contacts as Xero treats them: hidden from lists unless ``includeArchived=true``,
found by IDs with it, refused on a new invoice, and restorable."""

from __future__ import annotations

from .books import Books, invoice


def _contact(books: Books, name: str, number: str) -> str:
    body = {"Contacts": [{"Name": name, "ContactNumber": number}]}
    response = books.send("PUT", "Contacts", body)
    assert response.status_code == 200, response.text
    return str(response.json()["Contacts"][0]["ContactID"])


def test_archived_contacts_are_listed_only_when_asked_for(books: Books) -> None:
    cid = _contact(books, "Adam Smith", "P-1")
    books.admin("POST", "archive", {"contact_id": cid})
    listed = books.get("Contacts", page=1).json()["Contacts"]
    assert cid not in {c["ContactID"] for c in listed}
    everyone = books.get("Contacts", page=1, includeArchived="true").json()["Contacts"]
    (found,) = [c for c in everyone if c["ContactID"] == cid]
    assert found["ContactStatus"] == "ARCHIVED"
    by_ids = books.get("Contacts", IDs=cid, includeArchived="true").json()["Contacts"]
    assert [c["ContactID"] for c in by_ids] == [cid]
    where = books.get("Contacts", where='ContactNumber=="P-1"', includeArchived="true")
    assert [c["ContactID"] for c in where.json()["Contacts"]] == [cid]


def test_an_archived_contact_is_refused_on_a_new_invoice(books: Books) -> None:
    cid = _contact(books, "Adam Smith", "P-1")
    books.admin("POST", "archive", {"contact_number": "P-1"})
    for contact in ({"ContactID": cid}, {"ContactNumber": "P-1"}):
        answer = books.put_invoices(invoice(Contact=contact), summarizeErrors="false")
        (element,) = answer.json()["Invoices"]
        assert element["HasErrors"] is True
        assert any("archived" in m for m in books.messages(element))
    # its number stays taken: a new contact cannot have it
    again = books.send(
        "PUT", "Contacts", {"Contacts": [{"Name": "Adam S", "ContactNumber": "P-1"}]}
    )
    assert "already assigned to another contact" in again.text
    books.admin("POST", "archive", {"contact_id": cid, "archived": False})
    answer = books.put_invoices(invoice(Contact={"ContactID": cid}), summarizeErrors="false")
    assert answer.json()["Invoices"][0]["HasErrors"] is False
