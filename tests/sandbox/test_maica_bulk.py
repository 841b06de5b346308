# ruff: noqa: S608  (SOQL strings built from constants: no SQL here)
"""Bulk API 2.0 query jobs of the Maica org: lifecycle, CSV pages with Sforce-Locator, nested
queries refused."""

from __future__ import annotations

import csv
import io

from .maica_helpers import INVOICE, LINE, NS, Org, maica_sandbox, org

__all__ = ["maica_sandbox", "org"]


def test_bulk_query_job_lifecycle_and_csv_pages(org: Org) -> None:
    soql = f"SELECT Id, Name, {NS}Invoice__r.Name, {NS}Quantity__c, {NS}Exclude__c FROM {LINE}"
    created = org.call("POST", "jobs/query", json={"operation": "query", "query": soql})
    assert created.status_code == 200
    job = created.json()
    assert job["state"] == "UploadComplete"
    assert job["id"].startswith("750")
    assert job["object"] == LINE
    early = org.call("GET", f"jobs/query/{job['id']}/results")
    assert early.status_code == 400
    first = org.call("GET", f"jobs/query/{job['id']}").json()
    assert first["state"] == "InProgress"
    done = org.call("GET", f"jobs/query/{job['id']}").json()
    assert done["state"] == "JobComplete"
    assert done["numberRecordsProcessed"] == 117
    rows: list[dict[str, str]] = []
    locator = ""
    pages = 0
    while True:
        params = {"maxRecords": "50", **({"locator": locator} if locator else {})}
        page = org.call("GET", f"jobs/query/{job['id']}/results", params=params)
        assert page.status_code == 200
        assert page.headers["Content-Type"].startswith("text/csv")
        assert page.headers["Sforce-Limit-Info"].startswith("api-usage=")
        batch = list(csv.DictReader(io.StringIO(page.text)))
        assert int(page.headers["Sforce-NumberOfRecords"]) == len(batch)
        rows.extend(batch)
        pages += 1
        locator = page.headers["Sforce-Locator"]
        if locator == "null":
            break
    assert pages == 3
    assert len(rows) == 117
    assert set(rows[0]) == {
        "Id",
        "Name",
        f"{NS}Invoice__r.Name",
        f"{NS}Quantity__c",
        f"{NS}Exclude__c",
    }
    assert rows[0][f"{NS}Invoice__r.Name"] == "INV-002401"
    assert rows[0][f"{NS}Quantity__c"] == "3.5"
    assert rows[0][f"{NS}Exclude__c"] == "false"
    assert '"ILI - 000001"' in org.call("GET", f"jobs/query/{job['id']}/results").text
    assert org.call("DELETE", f"jobs/query/{job['id']}").status_code == 204
    assert org.call("GET", f"jobs/query/{job['id']}").status_code == 404
    assert org.admin("GET", "stats")["calls"]["bulk"] >= 8


def test_bulk_refuses_nested_queries_and_bad_fields(org: Org) -> None:
    nested = org.call(
        "POST",
        "jobs/query",
        json={
            "operation": "query",
            "query": f"SELECT Id, (SELECT Id FROM {NS}Invoice_Line_Items__r) FROM {INVOICE}",
        },
    )
    assert nested.status_code == 400
    assert nested.json() == [
        {"message": "Bulk API 2.0 does not support nested queries", "errorCode": "INVALIDJOB"}
    ]
    bad = org.call(
        "POST", "jobs/query", json={"operation": "query", "query": f"SELECT Nope__c FROM {INVOICE}"}
    )
    assert bad.json()[0]["errorCode"] == "INVALID_FIELD"


def test_bulk_job_can_be_aborted(org: Org) -> None:
    job = org.call(
        "POST", "jobs/query", json={"operation": "query", "query": f"SELECT Id FROM {INVOICE}"}
    ).json()
    aborted = org.call("PATCH", f"jobs/query/{job['id']}", json={"state": "Aborted"})
    assert aborted.json()["state"] == "Aborted"
    listed = org.call("GET", "jobs/query").json()
    assert [j["id"] for j in listed["records"]] == [job["id"]]
