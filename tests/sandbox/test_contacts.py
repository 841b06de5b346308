"""/Contacts: create in batches, unique names and numbers, lookups, updates, archiving."""

from __future__ import annotations

from typing import Any

import pytest

from .books import Books

TAKEN = (
    "The contact name Adam Smith is already assigned to another contact. "
    "The contact name must be unique across all active contacts."
)


def _put(books: Books, *contacts: dict[str, Any], **params: Any) -> Any:
    return books.send("PUT", "Contacts", {"Contacts": list(contacts)}, **params)


def test_create_and_find(books: Books) -> None:
    response = _put(books, {"Name": "Adam Smith", "ContactNumber": "P-1", "EmailAddress": "a@b.au"})
    assert response.status_code == 200, response.text
    (created,) = response.json()["Contacts"]
    assert created["ContactStatus"] == "ACTIVE"
    assert created["UpdatedDateUTC"].startswith("/Date(")
    for key in (created["ContactID"], "P-1", "p-1"):
        found = books.get(f"Contacts/{key}").json()["Contacts"]
        assert [c["ContactID"] for c in found] == [created["ContactID"]]
    assert books.get("Contacts/P-2").status_code == 404
    where = books.get("Contacts", where='ContactNumber=="P-1"').json()["Contacts"]
    assert [c["Name"] for c in where] == ["Adam Smith"]
    named = books.get("Contacts", where='Name=="Adam Smith"').json()["Contacts"]
    assert [c["ContactNumber"] for c in named] == ["P-1"]
    assert (
        books.get("Contacts", IDs=created["ContactID"]).json()["Contacts"][0]["Name"]
        == "Adam Smith"
    )
    assert books.get("Contacts", searchTerm="smi").json()["Contacts"][0]["Name"] == "Adam Smith"


@pytest.mark.parametrize(
    ("contact", "message"),
    [
        ({"Name": "adam smith"}, TAKEN.replace("Adam Smith", "adam smith")),
        ({"ContactNumber": "P-7"}, "The contact name must be specified."),
        (
            {"Name": "B", "ContactNumber": "x" * 51},
            "The ContactNumber must be 50 characters or less.",
        ),
        (
            {"Name": "B", "ContactNumber": "P-1"},
            "The contact number P-1 is already assigned to another contact.",
        ),
        ({"Name": "B", "EmailAddress": "not-an-email"}, "Email address must be valid."),
    ],
)
def test_validation(books: Books, contact: dict[str, Any], message: str) -> None:
    _put(books, {"Name": "Adam Smith", "ContactNumber": "P-1"})
    response = _put(books, contact, summarizeErrors="false")
    assert response.status_code == 200
    (element,) = response.json()["Contacts"]
    assert element["HasValidationErrors"] is True
    assert books.messages(element) == [message]
    assert len(books.sandbox.contacts()) == 1


def test_duplicate_name_in_a_batch_is_400_and_the_first_is_kept(books: Books) -> None:
    response = _put(books, {"Name": "Adam Smith", "ContactNumber": "P-1"}, {"Name": "Adam Smith"})
    assert response.status_code == 400
    body = response.json()
    assert body["Type"] == "ValidationException"
    assert books.messages(body["Elements"][0]) == [TAKEN]
    assert [c["ContactNumber"] for c in books.sandbox.contacts()] == ["P-1"]


def test_post_updates_by_id_or_number_and_archiving_frees_the_name(books: Books) -> None:
    (first,) = _put(books, {"Name": "Adam Smith", "ContactNumber": "P-1"}).json()["Contacts"]
    renamed = books.send(
        "POST", "Contacts", {"Contacts": [{"ContactNumber": "P-1", "EmailAddress": "x@y.au"}]}
    )
    assert renamed.json()["Contacts"][0]["ContactID"] == first["ContactID"]
    assert renamed.json()["Contacts"][0]["EmailAddress"] == "x@y.au"
    archived = books.send(
        "POST", f"Contacts/{first['ContactID']}", {"Contacts": [{"ContactStatus": "ARCHIVED"}]}
    )
    assert archived.json()["Contacts"][0]["ContactStatus"] == "ARCHIVED"
    assert books.get("Contacts").json()["Contacts"] == []
    assert len(books.get("Contacts", includeArchived="true").json()["Contacts"]) == 1
    again = _put(books, {"Name": "Adam Smith", "ContactNumber": "P-2"})
    assert again.status_code == 200
    created = books.send("POST", "Contacts", {"Name": "Zed Ray"})
    assert created.json()["Contacts"][0]["Name"] == "Zed Ray"


def test_paging_and_modified_since(books: Books) -> None:
    books.sandbox.set_limits(enabled=False)
    for start in range(0, 150, 50):
        batch = [
            {"Name": f"Person {n:03d}", "ContactNumber": f"P{n}"} for n in range(start, start + 50)
        ]
        assert _put(books, *batch).status_code == 200
    pages = [books.get("Contacts", page=n).json() for n in (1, 2)]
    assert [len(p["Contacts"]) for p in pages] == [100, 50]
    assert pages[1]["pagination"]["itemCount"] == 150
    assert len(books.get("Contacts").json()["Contacts"]) == 150
    books.sandbox.advance_clock(10)
    books.send("POST", "Contacts", {"Contacts": [{"ContactNumber": "P7", "FirstName": "Sev"}]})
    since = {"If-Modified-Since": "2000-01-01T00:00:00"}
    assert len(books.get("Contacts", headers=since).json()["Contacts"]) == 150
    stats = books.sandbox.stats()["tenants"][books.tenant_id]
    assert stats["contacts"] == 150
    assert stats["batches"]["api.PUT.Contacts"] == {"requests": 3, "elements": 150, "largest": 50}
