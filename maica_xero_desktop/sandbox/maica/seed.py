"""The org's first records, built from the sample Maica export (the same invoices, numbers,
participants and lines as the file the demo imports). The file is read from the package's
resources folder by path: the sandbox imports nothing of the product."""

from __future__ import annotations

import csv
from collections.abc import Callable
from pathlib import Path

from .org import ORG_ID, USER_ID, MaicaOrg
from .values import sf_datetime

SAMPLE_EXPORT = Path(__file__).resolve().parents[2] / "resources" / "sample-maica-export.csv"
PROVIDER = "Maica Care Services Pty Ltd"


def _item_values(rows: list[dict[str, str]]) -> dict[str, dict[str, str]]:
    """Per support item number: its name, account code (when every line agrees) and tax type."""
    items: dict[str, dict[str, str]] = {}
    codes: dict[str, set[str]] = {}
    for row in rows:
        number = row["support_item_number"]
        entry = items.setdefault(number, {"name": row["support_item_name"], "tax": ""})
        codes.setdefault(number, set()).add(row["account_code"].strip())
        if row["tax_type"].strip():
            entry["tax"] = row["tax_type"].strip()
    for number, entry in items.items():
        found = codes[number]
        entry["code"] = next(iter(found)) if len(found) == 1 else ""
    return items


def seeded_org(
    namespace: str,
    now: Callable[[], float],
    org_name: str,
    user: tuple[str, str, str, str],
    path: Path = SAMPLE_EXPORT,
) -> MaicaOrg:
    """``user`` = (username, first name, last name, email)."""
    org = MaicaOrg(namespace, now)
    f = org.f
    stamp = sf_datetime(now())
    audit = {"CreatedDate": stamp, "LastModifiedDate": stamp, "SystemModstamp": stamp}
    org.tables["Organization"].records[ORG_ID] = {
        "Id": ORG_ID,
        "Name": org_name,
        "OrganizationType": "Enterprise Edition",
        "IsSandbox": False,
        "InstanceName": "AP27",
        **audit,
    }
    username, first, last, email = user
    org.tables["User"].records[USER_ID] = {
        "Id": USER_ID,
        "Username": username,
        "FirstName": first,
        "LastName": last,
        "Name": f"{first} {last}",
        "Email": email,
        **audit,
    }
    with open(path, encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    provider = org.insert("Account", {"Name": PROVIDER}, trusted=True)
    managers: dict[str, str] = {}
    for row in rows:
        if row["funding_type"] == "Plan Managed" and row["bill_to_name"]:
            name = row["bill_to_name"]
            if name not in managers:
                managers[name] = org.insert("Account", {"Name": name}, trusted=True)
    participants: dict[str, str] = {}
    for row in rows:
        key = row["participant_id"]
        if key in participants:
            continue
        first, _, last = row["participant_name"].partition(" ")
        own_email = row["bill_to_name"] == row["participant_name"] and row["bill_to_email"]
        participants[key] = org.insert(
            "Contact",
            {
                "FirstName": first if last else None,
                "LastName": last or first,
                "Email": own_email or None,
                f("NDIS_Number__c"): row["ndis_number"] or None,
            },
            trusted=True,
        )
    items: dict[str, str] = {}
    for number, entry in _item_values(rows).items():
        taxable = entry["tax"] == "OUTPUT"
        items[number] = org.insert(
            org.item,
            {
                "Name": entry["name"],
                f("Support_Item_Number__c"): number,
                f("Finance_Account_Code__c"): entry["code"] or None,
                f("Tax_Type__c"): entry["tax"] or "GST Free Income",
                f("GST_Code__c"): "P1" if taxable else "P2",
                f("Active__c"): True,
            },
            trusted=True,
        )
    invoices: dict[str, str] = {}
    for row in rows:
        number = row["invoice_number"]
        if number not in invoices:
            cancelled = row["status"] == "Cancelled"
            manager = managers.get(row["bill_to_name"])
            invoices[number] = org.insert(
                org.invoice,
                {
                    "Name": number,
                    f("Status__c"): "Entered" if row["status"] == "Entered" else "Not Paid",
                    f("Cancelled__c"): cancelled,
                    f("Funding_Type__c"): row["funding_type"],
                    f("Participant__c"): participants[row["participant_id"]],
                    f("Service_Provider__c"): provider,
                    f("Funding_Administrator__c"): (
                        manager if row["funding_type"] == "Plan Managed" else None
                    ),
                    f("Invoice_Date__c"): row["invoice_date"] or None,
                    f("Due_Date__c"): row["due_date"] or None,
                },
                trusted=True,
            )
        item_id = items[row["support_item_number"]]
        item = org.tables[org.item].records[item_id]
        org.insert(
            org.line,
            {
                f("Invoice__c"): invoices[number],
                f("Support_Item__c"): item_id,
                f("Quantity__c"): float(row["quantity"]),
                f("Unit_Price__c"): float(row["unit_price"]),
                f("Service_Date__c"): row["service_date"] or None,
                f("GST_Code__c"): item[f("GST_Code__c")],
                f("Exclude__c"): False,
                f("Line_Description__c"): row["line_description"] or None,
            },
            trusted=True,
        )
    return org
