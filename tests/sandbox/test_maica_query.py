# ruff: noqa: S608  (SOQL strings built from constants: no SQL here)
"""The Maica org's REST reads: versions, sObjects, describe and the SOQL the product sends
(child subqueries, parent relationships, paging, COUNT(), date literals and Salesforce's errors)."""

from __future__ import annotations

from typing import Any

import requests

from .maica_helpers import INVOICE, LINE, NS, TIMEOUT, Org, maica_sandbox, org

__all__ = ["maica_sandbox", "org"]


def test_versions_and_sobjects(org: Org) -> None:
    listed = requests.get(f"{org.url}/services/data/", timeout=TIMEOUT).json()
    assert {"label": "Release 61.0", "url": "/services/data/v61.0", "version": "61.0"} in listed
    answer = org.call("GET", "sobjects/")
    assert answer.status_code == 200
    body = answer.json()
    assert body["maxBatchSize"] == 200
    names = {o["name"] for o in body["sobjects"]}
    assert {"Account", "Contact", INVOICE, LINE, NS + "Payment__c", NS + "Support_Item__c"} <= names
    assert NS + "Service_Agreement__c" in names


def test_describe_fields_and_child_relationships(org: Org) -> None:
    described = org.call("GET", f"sobjects/{INVOICE}/describe").json()
    fields = {f["name"]: f for f in described["fields"]}
    assert fields[NS + "Xero_Invoice_No__c"]["label"] == "Xero Invoice Number"
    assert fields[NS + "Status__c"]["updateable"] is False
    assert fields[NS + "Status__c"]["type"] == "picklist"
    assert fields[NS + "Total_Amount__c"]["calculated"] is True
    ext = fields[NS + "Finance_External_ID__c"]
    assert (ext["type"], ext["length"], ext["updateable"]) == ("string", 255, True)
    participant = fields[NS + "Participant__c"]
    assert participant["referenceTo"] == ["Contact"]
    assert participant["relationshipName"] == NS + "Participant__r"
    children = described["childRelationships"]
    assert {
        "childSObject": LINE,
        "field": NS + "Invoice__c",
        "relationshipName": NS + "Invoice_Line_Items__r",
    }.items() <= next(c for c in children if c["childSObject"] == LINE).items()
    payment = org.call("GET", f"sobjects/{NS}Payment__c/describe").json()
    pay_ext = next(f for f in payment["fields"] if f["name"] == NS + "Finance_External_ID__c")
    assert pay_ext["externalId"]
    assert pay_ext["unique"]
    assert org.call("GET", "sobjects/Nope__c/describe").status_code == 404


def test_query_with_parent_fields_and_child_subquery(org: Org) -> None:
    rows = org.rows(
        f"SELECT Id, Name, {NS}Status__c, {NS}Participant__r.Name, "
        f"{NS}Participant__r.{NS}NDIS_Number__c, (SELECT Name, {NS}Quantity__c, "
        f"{NS}Unit_Price__c, {NS}Support_Item__r.{NS}Support_Item_Number__c FROM "
        f"{NS}Invoice_Line_Items__r ORDER BY {NS}Service_Date__c) FROM {INVOICE} "
        "WHERE Name = 'INV-002401'"
    )
    assert len(rows) == 1
    invoice = rows[0]
    assert invoice["attributes"]["type"] == INVOICE
    assert invoice["attributes"]["url"].endswith(invoice["Id"])
    assert invoice["Id"].startswith("a0A")
    assert len(invoice["Id"]) == 18
    assert invoice[NS + "Participant__r"]["Name"] == "Adam Smith"
    assert invoice[NS + "Participant__r"][NS + "NDIS_Number__c"] == "431204871"
    lines = invoice[NS + "Invoice_Line_Items__r"]
    assert lines["totalSize"] == 3
    assert lines["done"] is True
    assert [line[NS + "Quantity__c"] for line in lines["records"]] == [23.5, 3.5, 1.25]
    item = lines["records"][0][NS + "Support_Item__r"]
    assert item[NS + "Support_Item_Number__c"] == "01_799_0107_1_1"


def test_two_hop_parent_fields_and_empty_subquery_is_null(org: Org) -> None:
    rows = org.rows(
        f"SELECT Name, {NS}Invoice__r.{NS}Participant__r.Name FROM {LINE} "
        f"WHERE {NS}Invoice__r.Name = 'INV-002402'"
    )
    assert len(rows) == 2
    assert rows[0][NS + "Invoice__r"][NS + "Participant__r"]["Name"] == "Adam Smith"
    none = org.rows(f"SELECT Id, (SELECT Id FROM {NS}Payments__r) FROM {INVOICE} LIMIT 1")
    assert none[0][NS + "Payments__r"] is None
    nullref = org.rows(
        f"SELECT Name, {NS}Funding_Administrator__r.Name FROM {INVOICE} WHERE Name = 'INV-002402'"
    )
    assert nullref[0][NS + "Funding_Administrator__r"] is None


def names(org: Org, where: str) -> list[str]:
    rows = org.rows(f"SELECT Name FROM {INVOICE} WHERE {where} ORDER BY Name")
    return [r["Name"] for r in rows]


def test_where_operators(org: Org) -> None:
    assert names(org, "Name IN ('INV-002401', 'inv-002403')") == ["INV-002401", "INV-002403"]
    assert len(names(org, "Name NOT IN ('INV-002401')")) == 39
    assert names(org, "Name LIKE '%0240_' AND Name != 'INV-002401' AND Name < 'INV-002404'") == [
        "INV-002402",
        "INV-002403",
    ]
    assert names(org, f"{NS}Cancelled__c = true") == ["INV-002430"]
    assert names(org, f"{NS}Status__c = 'Cancelled' OR (Name = 'INV-002440')") == [
        "INV-002430",
        "INV-002440",
    ]
    assert "INV-002430" not in names(org, f"NOT ({NS}Cancelled__c = true)")
    assert names(org, f"{NS}Invoice_Date__c >= 2026-11-25") == ["INV-002439"]
    assert len(names(org, f"{NS}Due_Date__c = null")) == 13
    assert names(org, f"{NS}Total_Amount__c > 3000") == ["INV-002415"]
    assert names(org, "Name = 'INV-002401' AND CreatedDate > 2020-01-01T00:00:00Z") == [
        "INV-002401"
    ]
    assert (
        names(org, "Name = 'INV-002401' AND SystemModstamp < 2020-01-01T10:00:00.000+10:00") == []
    )
    assert names(org, "Name = 'INV-002401' AND CreatedDate = LAST_N_DAYS:2") == ["INV-002401"]
    assert names(org, "Name = 'INV-002401' AND CreatedDate = TODAY") == ["INV-002401"]
    assert names(org, r"Name = 'O\'Brien'") == []


def test_order_by_limit_offset(org: Org) -> None:
    rows = org.rows(
        f"SELECT Name, {NS}Due_Date__c FROM {INVOICE} ORDER BY {NS}Due_Date__c DESC NULLS LAST, "
        "Name ASC LIMIT 3 OFFSET 1"
    )
    assert [r["Name"] for r in rows] == ["INV-002438", "INV-002440", "INV-002432"]
    nulls_first = org.rows(f"SELECT Name FROM {INVOICE} ORDER BY {NS}Due_Date__c, Name LIMIT 1")
    assert nulls_first[0]["Name"] == "INV-002402"


def test_count(org: Org) -> None:
    answer = org.query(f"SELECT COUNT() FROM {INVOICE} WHERE {NS}Cancelled__c = false")
    assert answer.json() == {"totalSize": 39, "done": True, "records": []}


def test_errors_invalid_field_malformed_and_unknown_object(org: Org) -> None:
    bad_field = org.query(f"SELECT Id, Nope__c FROM {INVOICE}")
    assert bad_field.status_code == 400
    assert bad_field.json()[0]["errorCode"] == "INVALID_FIELD"
    assert "Nope__c" in bad_field.json()[0]["message"]
    bad_rel = org.query(f"SELECT Id, (SELECT Id FROM Lines__r) FROM {INVOICE}")
    assert bad_rel.json()[0]["errorCode"] == "INVALID_TYPE"
    malformed = org.query(f"SELECT Id FROM {INVOICE} WHERE")
    assert malformed.status_code == 400
    assert malformed.json()[0]["errorCode"] == "MALFORMED_QUERY"
    assert org.query("SELECT Id FROM Nope__c").json()[0]["errorCode"] == "INVALID_TYPE"
    quoted_date = org.query(f"SELECT Id FROM {INVOICE} WHERE {NS}Invoice_Date__c = '2026-10-12'")
    assert quoted_date.json()[0]["errorCode"] == "INVALID_FIELD"
    sf_headers = bad_field.headers["Sforce-Limit-Info"]
    assert sf_headers.startswith("api-usage=")


def test_paging_with_next_records_url_and_batch_size(org: Org) -> None:
    org.sandbox.maica_generate(2500, 1)
    first = org.query(
        f"SELECT Id, (SELECT Id FROM {NS}Invoice_Line_Items__r) FROM {INVOICE}",
        headers={"Sforce-Query-Options": "batchSize=1000"},
    ).json()
    assert first["totalSize"] == 2540
    assert first["done"] is False
    assert len(first["records"]) == 1000
    seen: list[dict[str, Any]] = list(first["records"])
    next_url = first["nextRecordsUrl"]
    assert next_url.startswith("/services/data/v61.0/query/01g")
    while next_url:
        page = org.call("GET", next_url).json()
        seen.extend(page["records"])
        next_url = page.get("nextRecordsUrl")
    assert len({r["Id"] for r in seen}) == 2540
    default = org.query(f"SELECT Id FROM {INVOICE}").json()
    assert len(default["records"]) == 2000
    gone = org.call("GET", "query/01gAAAAAAAAAAAAAAA-2000")
    assert gone.status_code == 400
    assert gone.json()[0]["errorCode"] == "INVALID_QUERY_LOCATOR"


def test_single_record_get(org: Org) -> None:
    invoice = org.rows(f"SELECT Id FROM {INVOICE} WHERE Name = 'INV-002404'")[0]
    got = org.call("GET", f"sobjects/{INVOICE}/{invoice['Id']}").json()
    assert got["Name"] == "INV-002404"
    assert got[NS + "Total_Amount__c"] == 1250.94
    some = org.call("GET", f"sobjects/{INVOICE}/{invoice['Id'][:15]}", params={"fields": "Name"})
    assert set(some.json()) == {"attributes", "Name"}
    missing = org.call("GET", f"sobjects/{INVOICE}/a0A5g0000000zzzAAA")
    assert missing.status_code == 404


def test_subquery_filter_order_and_limit(org: Org) -> None:
    rows = org.rows(
        f"SELECT Name, (SELECT {NS}Quantity__c FROM {NS}Invoice_Line_Items__r "
        f"WHERE {NS}Quantity__c <> 6 ORDER BY {NS}Quantity__c DESC LIMIT 2) FROM {INVOICE} "
        "WHERE Name = 'INV-002412'"
    )
    lines = rows[0][NS + "Invoice_Line_Items__r"]["records"]
    assert [line[NS + "Quantity__c"] for line in lines] == [12.4, 8.0]
    all_rows = org.call("GET", "queryAll/", params={"q": f"SELECT Id FROM {INVOICE}"})
    assert all_rows.json()["totalSize"] == 40
