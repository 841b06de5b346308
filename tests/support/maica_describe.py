"""Salesforce ``describe`` answers shaped as the Maica org's, for unit tests of the mapping (the
integration tests read the offline org's own)."""

from __future__ import annotations

from typing import Any


def fld(name: str, label: str, kind: str = "string", **extra: Any) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "name": name,
        "label": label,
        "type": kind,
        "createable": True,
        "updateable": True,
        "externalId": False,
        "idLookup": name == "Id",
        "relationshipName": None,
        "picklistValues": [],
    }
    entry.update(extra)
    return entry


def org(ns: str = "maica_cc") -> dict[str, dict[str, Any]]:
    """Describe answers for the five objects (``ns`` = the namespace)."""

    def f(name: str) -> str:
        return f"{ns}__{name}"

    invoice = {
        "name": f("Invoice__c"),
        "fields": [
            fld("Id", "Record ID", "id", createable=False, updateable=False),
            fld("Name", "Invoice Number"),
            fld("SystemModstamp", "System Modstamp", "datetime", updateable=False),
            fld(f("Status__c"), "Status", "picklist", updateable=False),
            fld(f("Cancelled__c"), "Cancelled", "boolean"),
            fld(f("Funding_Type__c"), "Funding Type", "picklist"),
            fld(f("Participant__c"), "Participant", "reference",
                relationshipName=f("Participant__r"), referenceTo=["Contact"]),
            fld(f("Finance_External_ID__c"), "Finance External ID"),
            fld(f("Xero_Invoice_No__c"), "Xero Invoice Number"),
            fld(f("Invoice_Date__c"), "Invoice Date", "date"),
            fld(f("Due_Date__c"), "Due Date", "date"),
            fld(f("Total_Amount__c"), "Total Amount", "currency", updateable=False),
        ],
        "childRelationships": [
            {"childSObject": f("Invoice_Line_Item__c"), "field": f("Invoice__c"),
             "relationshipName": f("Invoice_Line_Items__r")},
            {"childSObject": f("Payment__c"), "field": f("Invoice__c"),
             "relationshipName": f("Payments__r")},
        ],
    }  # fmt: skip
    line = {
        "name": f("Invoice_Line_Item__c"),
        "fields": [
            fld("Id", "Record ID", "id"),
            fld("Name", "Invoice Line Item Name", updateable=False),
            fld(f("Invoice__c"), "Invoice", "reference", relationshipName=f("Invoice__r"),
                updateable=False),
            fld(f("Support_Item__c"), "Support Item", "reference",
                relationshipName=f("Support_Item__r")),
            fld(f("Quantity__c"), "Quantity", "double"),
            fld(f("Unit_Price__c"), "Unit Price", "currency"),
            fld(f("Service_Date__c"), "Service Date", "date"),
            fld(f("GST_Code__c"), "GST Code", "picklist"),
            fld(f("Exclude__c"), "Exclude", "boolean"),
            fld(f("Line_Description__c"), "Description", "textarea"),
        ],
        "childRelationships": [],
    }  # fmt: skip
    support = {
        "name": f("Support_Item__c"),
        "fields": [
            fld("Id", "Record ID", "id"),
            fld("Name", "Support Item Name"),
            fld(f("Support_Item_Number__c"), "Support Item Number"),
            fld(f("Finance_Invoice_Line_Description__c"), "Finance Invoice Line Description"),
            fld(f("Finance_Account_Code__c"), "Finance Account Code"),
            fld(f("Tax_Type__c"), "Tax Type", "picklist"),
        ],
        "childRelationships": [],
    }
    contact = {
        "name": "Contact",
        "fields": [
            fld("Id", "Contact ID", "id"),
            fld("Name", "Full Name", updateable=False),
            fld("Email", "Email", "email"),
            fld(f("NDIS_Number__c"), "NDIS Number"),
        ],
        "childRelationships": [],
    }
    payment = {
        "name": f("Payment__c"),
        "fields": [
            fld("Id", "Record ID", "id"),
            fld(f("Invoice__c"), "Invoice", "reference", updateable=False),
            fld(f("Payment_Amount__c"), "Payment Amount", "currency"),
            fld(f("Payment_Date__c"), "Payment Date", "datetime"),
            fld(f("Finance_External_ID__c"), "Finance External ID", externalId=True, unique=True),
            fld(f("Paid__c"), "Paid", "boolean"),
            fld(f("Include__c"), "Include", "boolean"),
            fld(f("Source__c"), "Source", "picklist",
                picklistValues=[{"value": "Stripe", "active": True},
                                {"value": "Xero", "active": True}]),
        ],
        "childRelationships": [],
    }  # fmt: skip
    return {
        "invoice": invoice,
        "line": line,
        "support_item": support,
        "contact": contact,
        "payment": payment,
    }


def without(describes: dict[str, dict[str, Any]], obj: str, name: str) -> None:
    describes[obj]["fields"] = [f for f in describes[obj]["fields"] if f["name"] != name]


def field_of(describes: dict[str, dict[str, Any]], obj: str, name: str) -> dict[str, Any]:
    return next(f for f in describes[obj]["fields"] if f["name"] == name)
