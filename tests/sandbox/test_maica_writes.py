# ruff: noqa: S608  (SOQL strings built from constants: no SQL here)
"""The Maica org's REST writes: single PATCH, upsert by external id (201/200/300), sObject
Collections with per-record results and allOrNone, not-updateable fields, and the roll-ups and
Status Maica recomputes from payments."""

from __future__ import annotations

from typing import Any

from .maica_helpers import INVOICE, NS, PAYMENT, Org, maica_sandbox, org

__all__ = ["maica_sandbox", "org"]


def invoice_id(org: Org, number: str) -> str:
    return str(org.rows(f"SELECT Id FROM {INVOICE} WHERE Name = '{number}'")[0]["Id"])


def invoice(org: Org, number: str) -> dict[str, Any]:
    rows = org.sandbox.maica_records(INVOICE)
    return next(r for r in rows if r["Name"] == number)


def test_single_patch_and_not_updateable_field(org: Org) -> None:
    target = invoice_id(org, "INV-002403")
    answer = org.call(
        "PATCH", f"sobjects/{INVOICE}/{target}", json={NS + "Xero_Invoice_No__c": "INV-0042"}
    )
    assert answer.status_code == 204
    assert invoice(org, "INV-002403")[NS + "Xero_Invoice_No__c"] == "INV-0042"
    refused = org.call("PATCH", f"sobjects/{INVOICE}/{target}", json={NS + "Status__c": "Paid"})
    assert refused.status_code == 400
    error = refused.json()[0]
    assert error["errorCode"] == "INVALID_FIELD_FOR_INSERT_UPDATE"
    assert error["fields"] == [NS + "Status__c"]
    unknown = org.call("PATCH", f"sobjects/{INVOICE}/{target}", json={"Nope__c": 1})
    assert unknown.json()[0]["errorCode"] == "INVALID_FIELD"


def test_collection_update_partial_failure(org: Org) -> None:
    first, second, third = (invoice_id(org, n) for n in ("INV-002403", "INV-002404", "INV-002406"))
    body = {
        "allOrNone": False,
        "records": [
            {"attributes": {"type": INVOICE}, "id": first, NS + "Finance_External_ID__c": "X-1"},
            {"attributes": {"type": INVOICE}, "id": second, NS + "Total_Amount__c": 1},
            {"attributes": {"type": INVOICE}, "id": third, NS + "Finance_External_ID__c": "X-3"},
        ],
    }
    answer = org.call("PATCH", "composite/sobjects", json=body)
    assert answer.status_code == 200
    results = answer.json()
    assert [r["success"] for r in results] == [True, False, True]
    assert results[0] == {"id": first, "success": True, "errors": []}
    assert results[1]["errors"][0]["statusCode"] == "INVALID_FIELD_FOR_INSERT_UPDATE"
    assert invoice(org, "INV-002406")[NS + "Finance_External_ID__c"] == "X-3"


def test_collection_all_or_none_rolls_back(org: Org) -> None:
    first, second = invoice_id(org, "INV-002403"), invoice_id(org, "INV-002404")
    body = {
        "allOrNone": True,
        "records": [
            {"attributes": {"type": INVOICE}, "id": first, NS + "Finance_External_ID__c": "Y-1"},
            {"attributes": {"type": INVOICE}, "id": second, NS + "Status__c": "Fully Paid"},
        ],
    }
    results = org.call("PATCH", "composite/sobjects", json=body).json()
    assert [r["success"] for r in results] == [False, False]
    assert results[0]["errors"][0]["statusCode"] == "ALL_OR_NONE_OPERATION_ROLLED_BACK"
    assert invoice(org, "INV-002403")[NS + "Finance_External_ID__c"] is None


def test_collection_limits_and_unknown_field(org: Org) -> None:
    target = invoice_id(org, "INV-002403")
    record = {"attributes": {"type": INVOICE}, "id": target}
    too_many = org.call("PATCH", "composite/sobjects", json={"records": [record] * 201})
    assert too_many.status_code == 400
    assert too_many.json()[0]["errorCode"] == "EXCEEDED_ID_LIMIT"
    unknown = org.call(
        "PATCH", "composite/sobjects", json={"records": [{**record, "Nope__c": "x"}]}
    )
    assert unknown.status_code == 400
    assert unknown.json()[0]["errorCode"] == "INVALID_FIELD"


def payment(invoice_ref: str, amount: float, **extra: Any) -> dict[str, Any]:
    return {
        "attributes": {"type": PAYMENT},
        NS + "Invoice__c": invoice_ref,
        NS + "Payment_Amount__c": amount,
        NS + "Payment_Date__c": "2026-11-20T01:30:00Z",
        NS + "Paid__c": True,
        NS + "Source__c": "Xero",
        **extra,
    }


def test_single_upsert_created_updated_and_several_matches(org: Org) -> None:
    target = invoice_id(org, "INV-002404")
    path = f"sobjects/{PAYMENT}/{NS}Finance_External_ID__c/PAY-1"
    created = org.call("PATCH", path, json={**payment(target, 100.0), "attributes": None})
    assert created.status_code == 201
    assert created.json()["created"] is True
    assert created.json()["id"].startswith("a0C")
    updated = org.call("PATCH", path, json={NS + "Payment_Amount__c": 1250.94})
    assert updated.status_code == 200
    assert updated.json() == {
        "id": created.json()["id"],
        "success": True,
        "errors": [],
        "created": False,
    }
    paid = invoice(org, "INV-002404")
    assert paid[NS + "Status__c"] == "Fully Paid"
    assert paid[NS + "Total_Payment_Amount__c"] == 1250.94
    assert paid[NS + "Payment_Balance__c"] == 0
    assert paid[NS + "Last_Payment_Date__c"] == "2026-11-20"
    rows = org.sandbox.maica_records(PAYMENT)
    assert len(rows) == 1
    assert rows[0]["Name"] == "PMNT - 0000001"
    ids = [invoice_id(org, "INV-002405"), invoice_id(org, "INV-002406")]
    org.sandbox.maica_upsert_records(
        INVOICE, [{"Id": i, NS + "Finance_External_ID__c": "SAME"} for i in ids]
    )
    several = org.call(
        "PATCH", f"sobjects/{INVOICE}/{NS}Finance_External_ID__c/SAME", json={"Name": "x"}
    )
    assert several.status_code == 300
    assert len(several.json()) == 2
    not_ext = org.call("PATCH", f"sobjects/{INVOICE}/{NS}Xero_Invoice_No__c/1", json={})
    assert not_ext.status_code == 400
    no_field = org.call("PATCH", f"sobjects/{INVOICE}/Nope__c/1", json={})
    assert no_field.status_code == 404


def test_collection_upsert_and_roll_ups(org: Org) -> None:
    target = invoice_id(org, "INV-002404")
    path = f"composite/sobjects/{PAYMENT}/{NS}Finance_External_ID__c"
    ext = NS + "Finance_External_ID__c"
    body = {
        "allOrNone": False,
        "records": [
            payment(target, 200.0, **{ext: "P-A"}),
            payment(target, 50.0, **{ext: "P-B", NS + "Include__c": False}),
            payment(target, 5.0),
        ],
    }
    results = org.call("PATCH", path, json=body).json()
    assert [(r["success"], r["created"]) for r in results] == [
        (True, True),
        (True, True),
        (False, False),
    ]
    assert results[2]["errors"][0]["statusCode"] == "MISSING_ARGUMENT"
    partly = invoice(org, "INV-002404")
    assert partly[NS + "Status__c"] == "Partially Paid"
    assert partly[NS + "Total_Payment_Amount__c"] == 200.0
    again = org.call("PATCH", path, json={"records": [payment(target, 250.0, **{ext: "P-A"})]})
    assert again.json()[0]["created"] is False
    assert len(org.sandbox.maica_records(PAYMENT)) == 2
    assert invoice(org, "INV-002404")[NS + "Total_Payment_Amount__c"] == 250.0
    dup = org.call(
        "PATCH",
        path,
        json={"records": [payment(target, 1.0, **{ext: "D"}), payment(target, 2.0, **{ext: "D"})]},
    ).json()
    assert [r["errors"][0]["statusCode"] for r in dup] == ["DUPLICATE_EXTERNAL_ID"] * 2


def test_entered_stays_entered_and_cancelled_stays_cancelled(org: Org) -> None:
    entered = invoice_id(org, "INV-002401")
    path = f"sobjects/{PAYMENT}/{NS}Finance_External_ID__c/E-1"
    assert org.call("PATCH", path, json=payment(entered, 10.0)).status_code == 201
    assert invoice(org, "INV-002401")[NS + "Status__c"] == "Entered"
    assert invoice(org, "INV-002430")[NS + "Status__c"] == "Cancelled"


def test_create_and_delete_payment(org: Org) -> None:
    target = invoice_id(org, "INV-002404")
    created = org.call("POST", f"sobjects/{PAYMENT}", json=payment(target, 1250.94))
    assert created.status_code == 201
    assert invoice(org, "INV-002404")[NS + "Status__c"] == "Fully Paid"
    gone = org.call("DELETE", f"sobjects/{PAYMENT}/{created.json()['id']}")
    assert gone.status_code == 204
    assert invoice(org, "INV-002404")[NS + "Status__c"] == "Not Paid"
    missing_parent = org.call("POST", f"sobjects/{PAYMENT}", json=payment("a0A5g000000zzzzAAA", 1))
    assert missing_parent.json()[0]["errorCode"] == "INVALID_CROSS_REFERENCE_KEY"
    many = org.call(
        "POST", "composite/sobjects", json={"records": [payment(target, 1.0), payment(target, 2.0)]}
    ).json()
    assert all(r["success"] for r in many)
    deleted = org.call("DELETE", "composite/sobjects", params={"ids": many[0]["id"]}).json()
    assert deleted == [{"id": many[0]["id"], "success": True, "errors": []}]


def test_modstamp_moves_on_write(org: Org) -> None:
    before = invoice(org, "INV-002403")["SystemModstamp"]
    latest = max(r["SystemModstamp"] for r in org.sandbox.maica_records(INVOICE))
    org.sandbox.advance_clock(5)
    target = invoice_id(org, "INV-002403")
    org.call("PATCH", f"sobjects/{INVOICE}/{target}", json={NS + "Xero_Invoice_No__c": "N"})
    after = invoice(org, "INV-002403")["SystemModstamp"]
    assert after > before
    rows = org.rows(f"SELECT Name FROM {INVOICE} WHERE SystemModstamp > {latest}")
    assert [r["Name"] for r in rows] == ["INV-002403"]


def test_bad_bodies_are_salesforce_errors(org: Org) -> None:
    broken = org.call(
        "PATCH",
        "composite/sobjects",
        data=b"{not json",
        headers={"Content-Type": "application/json"},
    )
    assert broken.status_code == 400
    assert broken.json()[0]["errorCode"] == "JSON_PARSER_ERROR"
    odd = org.call(
        "PATCH",
        "composite/sobjects",
        json={"records": [{"attributes": {"type": "Nope__c"}, "id": "a0A5g0000000001EAA"}, 7]},
    ).json()
    assert [r["errors"][0]["statusCode"] for r in odd] == ["INVALID_TYPE", "INVALID_FIELD"]
    target = invoice_id(org, "INV-002403")
    wrong_type = org.call(
        "PATCH", f"sobjects/{INVOICE}/{target}", json={NS + "Invoice_Date__c": "soon"}
    )
    assert wrong_type.json()[0]["errorCode"] == "INVALID_TYPE_ON_FIELD_IN_RECORD"
    too_long = org.call(
        "PATCH", f"sobjects/{INVOICE}/{target}", json={NS + "Xero_Invoice_No__c": "x" * 256}
    )
    assert too_long.json()[0]["errorCode"] == "STRING_TOO_LONG"


def test_collection_retrieve(org: Org) -> None:
    target = invoice_id(org, "INV-002403")
    got = org.call(
        "GET",
        f"composite/sobjects/{INVOICE}",
        params={"ids": f"{target},a0A5g000000zzzzAAA", "fields": f"Name,{NS}Status__c"},
    ).json()
    assert got[0]["Name"] == "INV-002403"
    assert got[0][NS + "Status__c"] == "Not Paid"
    assert got[1] is None
