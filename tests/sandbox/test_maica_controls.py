# ruff: noqa: S608  (SOQL strings built from constants: no SQL here)
"""The Maica org's test controls: records, faults (whole-call, per-record, dropped answers),
limits (Sforce-Limit-Info and 403), stats, the namespace option, reset, generation speed and
persistence in the state file."""

from __future__ import annotations

import io
import time
from pathlib import Path

import pytest
import requests

from maica_xero_desktop.sandbox import Sandbox, SandboxConfig, serve

from .maica_helpers import INVOICE, NS, PAYMENT, TIMEOUT, Org, maica_sandbox, org

__all__ = ["maica_sandbox", "org"]


def invoice_ids(org: Org, *numbers: str) -> list[str]:
    quoted = ", ".join(f"'{n}'" for n in numbers)
    rows = org.rows(f"SELECT Id FROM {INVOICE} WHERE Name IN ({quoted}) ORDER BY Name")
    return [str(r["Id"]) for r in rows]


def test_records_control_lists_and_writes(org: Org) -> None:
    listed = org.admin("GET", "records?sobject=" + INVOICE)
    assert listed["sobject"] == INVOICE
    assert len(listed["records"]) == 40
    first = listed["records"][0]
    assert first["Name"] == "INV-002401"
    assert first["Id"].startswith("a0A")
    assert NS + "Total_Amount__c" in first
    lines = org.sandbox.maica_records(NS + "Invoice_Line_Item__c")
    assert len(lines) == 117
    target = first["Id"]
    changed = org.admin(
        "POST",
        "records",
        {"sobject": INVOICE, "records": [{"Id": target, NS + "Finance_External_ID__c": "XERO-1"}]},
    )
    assert changed["ids"] == [target]
    rows = org.rows(f"SELECT Name FROM {INVOICE} WHERE {NS}Finance_External_ID__c != null")
    assert [r["Name"] for r in rows] == ["INV-002401"]
    created = org.sandbox.maica_upsert_records(
        INVOICE, [{"Name": "INV-009999", NS + "Funding_Type__c": "Self Managed"}]
    )
    assert org.sandbox.maica_records(INVOICE)[-1]["Id"] == created[0]
    bad = requests.get(f"{org.url}/_sandbox/maica/records?sobject=Nope", timeout=TIMEOUT)
    assert bad.status_code == 400


def test_whole_call_faults(org: Org) -> None:
    org.admin("POST", "faults", {"error": "INVALID_SESSION_ID", "endpoint": "query", "count": 1})
    soql = f"SELECT Id FROM {INVOICE} LIMIT 1"
    assert org.query(soql).status_code == 401
    assert org.query(soql).status_code == 200
    org.sandbox.maica_add_fault(error="REQUEST_LIMIT_EXCEEDED", endpoint="*")
    limited = org.call("GET", f"sobjects/{INVOICE}/describe")
    assert limited.status_code == 403
    assert limited.json()[0]["errorCode"] == "REQUEST_LIMIT_EXCEEDED"
    org.sandbox.maica_add_fault(error="SERVER_ERROR", endpoint="describe")
    assert org.call("GET", f"sobjects/{INVOICE}/describe").status_code == 500
    org.sandbox.maica_add_fault(error="INVALID_FIELD", endpoint="query")
    assert org.query(soql).json()[0]["errorCode"] == "INVALID_FIELD"
    org.admin("POST", "faults", {"error": "SERVER_ERROR", "endpoint": "token", "count": 5})
    assert org.admin("GET", "faults")["faults"][0]["count"] == 5
    assert org.admin("DELETE", "faults") == {"faults": []}
    assert org.refresh().status_code == 200
    org.sandbox.maica_add_fault(error="INVALID_SESSION_ID", endpoint="token")
    assert org.refresh().json()["error"] == "invalid_grant"
    refused = requests.post(
        f"{org.url}/_sandbox/maica/faults", json={"error": "NOPE"}, timeout=TIMEOUT
    )
    assert refused.status_code == 400


def test_record_level_faults_in_collections(org: Org) -> None:
    first, second = invoice_ids(org, "INV-002403", "INV-002404")
    org.sandbox.maica_add_fault(
        error="UNABLE_TO_LOCK_ROW", endpoint="composite", record_ids=[second]
    )
    body = {
        "records": [
            {"attributes": {"type": INVOICE}, "id": i, NS + "Finance_External_ID__c": "X"}
            for i in (first, second)
        ]
    }
    results = org.call("PATCH", "composite/sobjects", json=body).json()
    assert results[0]["success"] is True
    assert results[1]["success"] is False
    assert results[1]["errors"][0]["statusCode"] == "UNABLE_TO_LOCK_ROW"
    retry = org.call("PATCH", "composite/sobjects", json=body).json()
    assert [r["success"] for r in retry] == [True, True]
    org.sandbox.maica_add_fault(error="FIELD_CUSTOM_VALIDATION_EXCEPTION", endpoint="upsert")
    path = f"sobjects/{PAYMENT}/{NS}Finance_External_ID__c/PAY-9"
    pay = {NS + "Invoice__c": first, NS + "Payment_Amount__c": 1}
    refused = org.call("PATCH", path, json=pay)
    assert refused.status_code == 400
    assert refused.json()[0]["errorCode"] == "FIELD_CUSTOM_VALIDATION_EXCEPTION"
    assert org.call("PATCH", path, json=pay).status_code == 201


def test_drop_response_acts_then_closes(org: Org) -> None:
    (first,) = invoice_ids(org, "INV-002403")
    org.admin("POST", "faults", {"drop_response": "composite", "count": 1})
    body = {
        "records": [{"attributes": {"type": INVOICE}, "id": first, NS + "Xero_Invoice_No__c": "D"}]
    }
    with pytest.raises(requests.ConnectionError):
        org.call("PATCH", "composite/sobjects", json=body)
    rows = org.rows(f"SELECT {NS}Xero_Invoice_No__c FROM {INVOICE} WHERE Id = '{first}'")
    assert rows[0][NS + "Xero_Invoice_No__c"] == "D"
    assert org.call("PATCH", "composite/sobjects", json=body).status_code == 200


def test_limits_header_and_403(org: Org) -> None:
    answer = org.call("GET", "sobjects/")
    used = int(answer.headers["Sforce-Limit-Info"].split("=")[1].split("/")[0])
    assert answer.headers["Sforce-Limit-Info"] == f"api-usage={used}/15000"
    assert org.admin("POST", "limits", {"daily": 10, "used": 9}) == {"daily": 10, "used": 9}
    last = org.call("GET", "sobjects/")
    assert last.status_code == 200
    assert last.headers["Sforce-Limit-Info"] == "api-usage=10/10"
    over = org.query(f"SELECT Id FROM {INVOICE}")
    assert over.status_code == 403
    assert over.json() == [
        {"message": "TotalRequests Limit exceeded.", "errorCode": "REQUEST_LIMIT_EXCEEDED"}
    ]
    assert over.headers["Sforce-Limit-Info"] == "api-usage=10/10"
    stats = org.sandbox.maica_stats()
    assert stats["api_usage"] == 10
    assert stats["calls"]["query"] == 1
    assert stats["calls"]["sobjects"] == 2
    org.sandbox.maica_set_limits(daily=100)
    assert org.call("GET", "sobjects/").status_code == 200


def test_namespace_option_and_reset(org: Org) -> None:
    assert org.admin("POST", "namespace", {"namespace": "maica"}) == {"namespace": "maica"}
    names = {o["name"] for o in org.call("GET", "sobjects/").json()["sobjects"]}
    assert "maica__Invoice__c" in names
    assert INVOICE not in names
    rows = org.rows("SELECT Name, maica__Participant__r.Name FROM maica__Invoice__c LIMIT 1")
    assert rows[0]["maica__Participant__r"]["Name"] == "Adam Smith"
    assert org.query(f"SELECT Id FROM {INVOICE}").status_code == 400
    org.sandbox.maica_generate(3, 1)
    assert org.admin("POST", "reset") == {"reset": True, "namespace": "maica_cc"}
    assert len(org.sandbox.maica_records(INVOICE)) == 40
    assert org.sandbox.maica_stats()["calls"] == {}
    with Sandbox(SandboxConfig(port=0, maica_namespace="maica")) as sb:
        assert len(sb.maica_records("maica__Invoice__c")) == 40
    with pytest.raises(ValueError, match="maica_namespace"):
        SandboxConfig(maica_namespace="acme")
    err = io.StringIO()
    assert serve(0, None, False, err, maica_namespace="acme") == 2


def test_generate_ten_thousand_invoices_quickly(org: Org) -> None:
    started = time.monotonic()
    made = org.admin("POST", "records", {"generate": {"invoices": 10000, "lines_per_invoice": 3}})
    assert made["invoices"] == 10000
    assert made["lines"] == 30000
    assert time.monotonic() - started < 5
    soql = (
        f"SELECT Id, Name, {NS}Participant__r.Name, (SELECT Id, {NS}Quantity__c, "
        f"{NS}Support_Item__r.Name FROM {NS}Invoice_Line_Items__r) FROM {INVOICE} "
        f"WHERE {NS}Finance_External_ID__c = null"
    )
    started = time.monotonic()
    page = org.query(soql)
    assert time.monotonic() - started < 1.5
    body = page.json()
    assert body["totalSize"] == 10040
    assert len(body["records"]) == 2000
    started = time.monotonic()
    more = org.call("GET", body["nextRecordsUrl"])
    assert time.monotonic() - started < 1.5
    assert more.json()["records"][-1][f"{NS}Invoice_Line_Items__r"]["totalSize"] == 3
    count = org.query(f"SELECT COUNT() FROM {NS}Invoice_Line_Item__c").json()
    assert count["totalSize"] == 30117


def test_records_and_sessions_persist_in_the_state_file(tmp_path: Path) -> None:
    state_file = str(tmp_path / "state.json")
    config = SandboxConfig(port=0, auto_consent=True, state_file=state_file)
    with Sandbox(config) as sb:
        client = Org(sb)
        client.sign_in()
        sb.maica_generate(5, 2)
        target = sb.maica_records(INVOICE)[0]["Id"]
        path = f"sobjects/{PAYMENT}/{NS}Finance_External_ID__c/P-1"
        pay = {NS + "Invoice__c": target, NS + "Payment_Amount__c": 3}
        assert client.call("PATCH", path, json=pay).status_code == 201
        sb.maica_set_limits(used=77)
    with Sandbox(config) as again:
        assert len(again.maica_records(INVOICE)) == 45
        assert len(again.maica_records(PAYMENT)) == 1
        client.sandbox = again
        answer = client.call("GET", "sobjects/")
        assert answer.status_code == 200
        assert answer.headers["Sforce-Limit-Info"] == "api-usage=78/15000"
        more = again.maica_generate(1, 1)
        assert more["first"] not in {r["Id"] for r in again.maica_records(INVOICE)[:45]}
