"""GET /Invoices: InvoiceNumbers, IDs, where, If-Modified-Since, paging, single invoices."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from .books import Books, invoice


def _refs(response: Any) -> list[str]:
    assert response.status_code == 200, response.text
    return [i["Reference"] for i in response.json()["Invoices"]]


def _create(books: Books, count: int, prefix: str = "R") -> list[dict[str, Any]]:
    items = [invoice(f"{prefix}{n}", Contact={"Name": f"Person {n % 3}"}) for n in range(count)]
    created: list[dict[str, Any]] = []
    for start in range(0, count, 50):
        response = books.put_invoices(*items[start : start + 50])
        assert response.status_code == 200, response.text
        created.extend(response.json()["Invoices"])
    return created


def test_lookup_by_numbers_ids_and_where(books: Books) -> None:
    created = _create(books, 5)
    numbers = ",".join(i["InvoiceNumber"] for i in created[1:3])
    assert _refs(books.get("Invoices", InvoiceNumbers=numbers + ",INV-9999")) == ["R1", "R2"]
    ids = ",".join(i["InvoiceID"] for i in (created[0], created[4]))
    assert _refs(books.get("Invoices", IDs=ids)) == ["R0", "R4"]
    assert _refs(books.get("Invoices", where='Reference=="R3"')) == ["R3"]
    assert _refs(books.get("Invoices", where='Reference=="R3" OR Reference=="R1"')) == ["R1", "R3"]
    both = 'Type=="ACCREC" AND InvoiceNumber=="INV-0003"'
    assert _refs(books.get("Invoices", where=both)) == ["R2"]
    assert _refs(books.get("Invoices", where='Type=="ACCPAY"')) == []
    contact = created[0]["Contact"]["ContactID"]
    assert _refs(books.get("Invoices", where=f'Contact.ContactID==Guid("{contact}")')) == [
        "R0",
        "R3",
    ]
    assert _refs(books.get("Invoices", ContactIDs=contact)) == ["R0", "R3"]
    assert _refs(
        books.get("Invoices", where='Reference.StartsWith("R")', order="Reference DESC")
    ) == [
        "R4",
        "R3",
        "R2",
        "R1",
        "R0",
    ]
    assert _refs(books.get("Invoices", Statuses="DRAFT")) == []
    assert len(_refs(books.get("Invoices", Statuses="DRAFT,AUTHORISED"))) == 5


def test_bad_where_is_a_query_parse_exception(books: Books) -> None:
    for where in ('Colour=="red"', "Reference==", 'Reference=="x" XOR Type=="ACCREC"'):
        response = books.get("Invoices", where=where)
        assert response.status_code == 400
        assert response.json()["Type"] == "QueryParseException"


def test_line_items_only_with_paging_or_single_invoice(books: Books) -> None:
    (created,) = _create(books, 1)
    listed = books.get("Invoices").json()["Invoices"][0]
    assert "LineItems" not in listed
    paged = books.get("Invoices", page=1).json()
    assert paged["Invoices"][0]["LineItems"]
    assert paged["pagination"] == {"page": 1, "pageSize": 100, "pageCount": 1, "itemCount": 1}
    for key in (created["InvoiceID"], created["InvoiceNumber"], created["InvoiceID"].upper()):
        single = books.get(f"Invoices/{key}").json()["Invoices"]
        assert [i["InvoiceID"] for i in single] == [created["InvoiceID"]]
        assert single[0]["LineItems"]
    assert books.get("Invoices/INV-4040").status_code == 404
    summary = books.get("Invoices", summaryOnly="true").json()["Invoices"][0]
    assert "LineItems" not in summary
    assert "Payments" not in summary


def test_paging(books: Books) -> None:
    books.sandbox.set_limits(enabled=False)
    _create(books, 230)
    pages = [books.get("Invoices", page=n).json() for n in (1, 2, 3, 4)]
    assert [len(p["Invoices"]) for p in pages] == [100, 100, 30, 0]
    assert pages[0]["pagination"]["pageCount"] == 3
    assert pages[0]["pagination"]["itemCount"] == 230
    assert pages[2]["Invoices"][-1]["Reference"] == "R229"
    small = books.get("Invoices", page=2, pageSize=7).json()
    assert [i["Reference"] for i in small["Invoices"]] == [f"R{n}" for n in range(7, 14)]


def test_if_modified_since_is_strictly_later(books: Books) -> None:
    _create(books, 2, "old")
    books.sandbox.advance_clock(120)
    cut = datetime.fromtimestamp(books.sandbox.state.now(), UTC)
    books.sandbox.advance_clock(60)
    _create(books, 1, "new")
    header = {"If-Modified-Since": cut.strftime("%Y-%m-%dT%H:%M:%S")}
    assert _refs(books.get("Invoices", headers=header)) == ["new0"]
    rfc = {"If-Modified-Since": cut.strftime("%a, %d %b %Y %H:%M:%S GMT")}
    assert _refs(books.get("Invoices", headers=rfc)) == ["new0"]
    latest = books.get("Invoices", where='Reference=="new0"').json()["Invoices"][0]
    millis = int(latest["UpdatedDateUTC"][6:-7])
    exact = datetime.fromtimestamp(millis / 1000, UTC).isoformat()
    assert _refs(books.get("Invoices", headers={"If-Modified-Since": exact})) == []
    books.sandbox.advance_clock(60)
    books.sandbox.pay(1, invoice_number="INV-0001")
    assert _refs(books.get("Invoices", headers=header)) == ["old0", "new0"]


def test_each_organisation_has_its_own_books(books: Books, demo_books: Books) -> None:
    _create(books, 2)
    assert _refs(demo_books.get("Invoices")) == []
    (demo,) = demo_books.put_invoices(invoice("D0")).json()["Invoices"]
    assert demo["InvoiceNumber"] == "INV-0001"
    assert demo_books.put_invoices(invoice("D1", CurrencyCode="NZD")).status_code == 200
    assert len(books.sandbox.invoices(demo_books.tenant_id)) == 2
