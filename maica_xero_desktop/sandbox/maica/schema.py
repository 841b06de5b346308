"""The Maica org's objects and fields, as ``describe`` shows them (names depend on the namespace).

Types, labels and flags follow Salesforce's describe format. Names marked NF in the Maica notes
(the Xero number, the dates, the line description, the lines' relationship name) are the
sandbox's choice: the product must find them by label, never by these exact names.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

#: the key prefix of each object's Ids (first three characters), as Salesforce assigns them
KEY_PREFIXES = {
    "Account": "001",
    "Contact": "003",
    "User": "005",
    "Organization": "00D",
    "Invoice__c": "a0A",
    "Invoice_Line_Item__c": "a0B",
    "Payment__c": "a0C",
    "Support_Item__c": "a0D",
    "Service_Agreement__c": "a0E",
}
QUERY_LOCATOR_PREFIX = "01g"
BULK_JOB_PREFIX = "750"

#: field types whose values are numbers (JSON numbers; SOQL number literals)
NUMBER_TYPES = frozenset({"double", "currency", "percent", "int"})
#: field types holding text (SOQL string literals, case-insensitive equality)
TEXT_TYPES = frozenset(
    {"string", "textarea", "picklist", "email", "phone", "url", "id", "reference"}
)


@dataclass(frozen=True)
class FieldDef:
    name: str
    label: str
    type: str
    length: int = 0
    precision: int = 0
    scale: int = 0
    nillable: bool = True
    createable: bool = True
    updateable: bool = True
    external_id: bool = False
    unique: bool = False
    id_lookup: bool = False
    calculated: bool = False
    auto_number: bool = False
    reference_to: tuple[str, ...] = ()
    relationship_name: str | None = None
    picklist: tuple[str, ...] = ()
    default: Any = None
    custom: bool = False

    def describe(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "label": self.label,
            "type": self.type,
            "length": self.length,
            "precision": self.precision,
            "scale": self.scale,
            "digits": 0,
            "byteLength": self.length * 3,
            "nillable": self.nillable,
            "createable": self.createable,
            "updateable": self.updateable,
            "externalId": self.external_id,
            "unique": self.unique,
            "idLookup": self.id_lookup,
            "calculated": self.calculated,
            "autoNumber": self.auto_number,
            "custom": self.custom,
            "filterable": True,
            "sortable": self.type != "textarea",
            "groupable": self.type not in NUMBER_TYPES,
            "defaultedOnCreate": self.default is not None or self.auto_number,
            "defaultValue": self.default,
            "referenceTo": list(self.reference_to),
            "relationshipName": self.relationship_name,
            "relationshipOrder": 0 if self.type == "reference" and self.custom else None,
            "cascadeDelete": False,
            "picklistValues": [
                {"value": v, "label": v, "active": True, "defaultValue": False, "validFor": None}
                for v in self.picklist
            ],
            "restrictedPicklist": False,
            "soapType": _SOAP_TYPES.get(self.type, "xsd:string"),
            "inlineHelpText": None,
            "permissionable": self.custom and self.nillable,
            "htmlFormatted": False,
            "nameField": self.name == "Name",
        }


_SOAP_TYPES = {
    "double": "xsd:double",
    "currency": "xsd:double",
    "percent": "xsd:double",
    "int": "xsd:int",
    "boolean": "xsd:boolean",
    "date": "xsd:date",
    "datetime": "xsd:dateTime",
    "id": "tns:ID",
    "reference": "tns:ID",
}


@dataclass(frozen=True)
class ChildRel:
    child: str
    field: str
    name: str | None


@dataclass
class ObjectDef:
    name: str
    label: str
    label_plural: str
    key_prefix: str
    custom: bool
    fields: list[FieldDef]
    children: list[ChildRel] = field(default_factory=list)
    by_lower: dict[str, FieldDef] = field(default_factory=dict)
    #: relationship name (lower case) -> its reference field
    relationships: dict[str, FieldDef] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.by_lower = {f.name.lower(): f for f in self.fields}
        self.relationships = {
            f.relationship_name.lower(): f for f in self.fields if f.relationship_name
        }

    def field(self, name: str) -> FieldDef | None:
        return self.by_lower.get(name.lower())

    def child(self, relationship: str) -> ChildRel | None:
        wanted = relationship.lower()
        return next((c for c in self.children if c.name and c.name.lower() == wanted), None)

    def summary(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "label": self.label,
            "labelPlural": self.label_plural,
            "keyPrefix": self.key_prefix,
            "custom": self.custom,
            "customSetting": False,
            "queryable": True,
            "retrieveable": True,
            "searchable": True,
            "createable": True,
            "updateable": True,
            "deletable": True,
            "layoutable": True,
            "triggerable": True,
            "urls": {
                "sobject": f"/services/data/vXX.X/sobjects/{self.name}",
                "describe": f"/services/data/vXX.X/sobjects/{self.name}/describe",
                "rowTemplate": f"/services/data/vXX.X/sobjects/{self.name}/{{ID}}",
            },
        }

    def describe(self, version: str) -> dict[str, Any]:
        data = self.summary()
        data["urls"] = {k: v.replace("vXX.X", f"v{version}") for k, v in data["urls"].items()}
        data["fields"] = [f.describe() for f in self.fields]
        data["childRelationships"] = [
            {
                "childSObject": c.child,
                "field": c.field,
                "relationshipName": c.name,
                "cascadeDelete": c.name is not None,
                "deprecatedAndHidden": False,
                "restrictedDelete": False,
                "junctionIdListNames": [],
                "junctionReferenceTo": [],
            }
            for c in self.children
        ]
        data["recordTypeInfos"] = []
        data["supportedScopes"] = [{"label": "All", "name": "everything"}]
        return data


def _std(*extra: FieldDef) -> list[FieldDef]:
    """Id first, then the object's fields, then the system audit fields."""
    audit = [
        FieldDef(
            name,
            label,
            "datetime",
            nillable=False,
            createable=False,
            updateable=False,
        )
        for name, label in (
            ("CreatedDate", "Created Date"),
            ("LastModifiedDate", "Last Modified Date"),
            ("SystemModstamp", "System Modstamp"),
        )
    ]
    ident = FieldDef(
        "Id",
        "Record ID",
        "id",
        18,
        nillable=False,
        createable=False,
        updateable=False,
        id_lookup=True,
    )
    return [ident, *extra, *audit]


def build_schema(ns: str) -> dict[str, ObjectDef]:
    """Every object of the org, by API name, for namespace ``ns`` ("maica_cc" or "maica")."""
    p = f"{ns}__"

    def c(name: str, label: str, type_: str, **kw: Any) -> FieldDef:
        return FieldDef(p + name, label, type_, custom=True, **kw)

    def text(name: str, label: str, length: int = 255, **kw: Any) -> FieldDef:
        return c(name, label, "string", length=length, **kw)

    def money(name: str, label: str, scale: int = 2, **kw: Any) -> FieldDef:
        return c(name, label, "currency", precision=16, scale=scale, **kw)

    def calc_money(name: str, label: str) -> FieldDef:
        return money(name, label, createable=False, updateable=False, calculated=True)

    def ref(name: str, label: str, target: str, **kw: Any) -> FieldDef:
        return c(
            name,
            label,
            "reference",
            length=18,
            reference_to=(target,),
            relationship_name=p + name.removesuffix("__c") + "__r",
            **kw,
        )

    def name_field(label: str, *, auto: bool = False, **kw: Any) -> FieldDef:
        if auto:
            return FieldDef(
                "Name",
                label,
                "string",
                80,
                nillable=False,
                createable=False,
                updateable=False,
                auto_number=True,
                id_lookup=True,
            )
        return FieldDef("Name", label, "string", 80, id_lookup=True, **kw)

    invoice, line, payment = p + "Invoice__c", p + "Invoice_Line_Item__c", p + "Payment__c"
    item, agreement = p + "Support_Item__c", p + "Service_Agreement__c"
    gst_codes = ("P1", "P2", "P5")

    def ro(name: str, label: str, type_: str, length: int = 0) -> FieldDef:
        return FieldDef(name, label, type_, length, createable=False, updateable=False)

    objects = [
        ObjectDef(
            "Organization",
            "Organization",
            "Organizations",
            KEY_PREFIXES["Organization"],
            False,
            _std(
                ro("Name", "Name", "string", 80),
                ro("OrganizationType", "Edition", "picklist", 255),
                ro("IsSandbox", "Is Sandbox", "boolean"),
                ro("InstanceName", "Instance Name", "string", 5),
            ),
        ),
        ObjectDef(
            "User",
            "User",
            "Users",
            KEY_PREFIXES["User"],
            False,
            _std(
                ro("Username", "Username", "string", 80),
                ro("FirstName", "First Name", "string", 40),
                ro("LastName", "Last Name", "string", 80),
                ro("Name", "Full Name", "string", 121),
                ro("Email", "Email", "email", 128),
            ),
        ),
        ObjectDef(
            "Account",
            "Account",
            "Accounts",
            KEY_PREFIXES["Account"],
            False,
            _std(name_field("Account Name", nillable=False)),
        ),
        ObjectDef(
            "Contact",
            "Contact",
            "Contacts",
            KEY_PREFIXES["Contact"],
            False,
            _std(
                FieldDef("FirstName", "First Name", "string", 40),
                FieldDef("LastName", "Last Name", "string", 80, nillable=False),
                FieldDef(
                    "Name",
                    "Full Name",
                    "string",
                    121,
                    nillable=False,
                    createable=False,
                    updateable=False,
                    id_lookup=True,
                ),
                FieldDef("Email", "Email", "email", 80, id_lookup=True),
                text("NDIS_Number__c", "NDIS Number", 9),
            ),
        ),
        ObjectDef(
            item,
            "Support Item",
            "Support Items",
            KEY_PREFIXES["Support_Item__c"],
            True,
            _std(
                name_field("Support Item Name", nillable=False),
                text("Support_Item_Number__c", "Support Item Number", 50),
                text("Finance_Invoice_Line_Description__c", "Finance Invoice Line Description"),
                text("Finance_Account_Code__c", "Finance Account Code", 50),
                text("Tax_Type__c", "Tax Type", 100),
                c("GST_Code__c", "GST Code", "picklist", length=255, picklist=gst_codes),
                c("Active__c", "Active", "boolean", nillable=False, default=True),
            ),
        ),
        ObjectDef(
            agreement,
            "Service Agreement",
            "Service Agreements",
            KEY_PREFIXES["Service_Agreement__c"],
            True,
            _std(
                name_field("Service Agreement Name"),
                ref("Participant__c", "Participant", "Contact"),
                ref("Funding_Administrator__c", "Funding Administrator", "Account"),
            ),
        ),
        ObjectDef(
            invoice,
            "Invoice",
            "Invoices",
            KEY_PREFIXES["Invoice__c"],
            True,
            _std(
                name_field("Invoice Number"),
                c(
                    "Status__c",
                    "Status",
                    "picklist",
                    length=255,
                    createable=False,
                    updateable=False,
                    picklist=("Entered", "Not Paid", "Partially Paid", "Fully Paid", "Cancelled"),
                ),
                c("Cancelled__c", "Cancelled", "boolean", nillable=False, default=False),
                c(
                    "Funding_Type__c",
                    "Funding Type",
                    "picklist",
                    length=255,
                    picklist=("Plan Managed", "Agency Managed", "Self Managed", "Self Funded"),
                ),
                ref("Participant__c", "Participant", "Contact"),
                ref("Service_Provider__c", "Service Provider", "Account"),
                ref("Funding_Administrator__c", "Funding Administrator", "Account"),
                c("Invoice_Date__c", "Invoice Date", "date"),
                c("Due_Date__c", "Due Date", "date"),
                calc_money("Total_Amount__c", "Total Amount"),
                calc_money("Total_Payment_Amount__c", "Total Payment Amount"),
                calc_money("Payment_Balance__c", "Payment Balance"),
                c(
                    "Last_Payment_Date__c",
                    "Last Payment Date",
                    "date",
                    createable=False,
                    updateable=False,
                    calculated=True,
                ),
                text("Finance_External_ID__c", "Finance External ID", external_id=True),
                text("Xero_Invoice_No__c", "Xero Invoice Number"),
            ),
        ),
        ObjectDef(
            line,
            "Invoice Line Item",
            "Invoice Line Items",
            KEY_PREFIXES["Invoice_Line_Item__c"],
            True,
            _std(
                name_field("Invoice Line Item Number", auto=True),
                ref("Invoice__c", "Invoice", invoice, nillable=False, updateable=False),
                ref("Support_Item__c", "Support Item", item),
                c("Quantity__c", "Quantity", "double", precision=18, scale=2),
                money("Unit_Price__c", "Unit Price", scale=4),
                calc_money("Amount__c", "Amount"),
                calc_money("Line_Total__c", "Line Total"),
                c("Service_Date__c", "Service Date", "date"),
                c("GST_Code__c", "GST Code", "picklist", length=255, picklist=gst_codes),
                c("Exclude__c", "Exclude", "boolean", nillable=False, default=False),
                c("Line_Description__c", "Description", "textarea", length=32768),
            ),
        ),
        ObjectDef(
            payment,
            "Payment",
            "Payments",
            KEY_PREFIXES["Payment__c"],
            True,
            _std(
                name_field("Payment Number", auto=True),
                ref("Invoice__c", "Invoice", invoice, nillable=False, updateable=False),
                money("Payment_Amount__c", "Payment Amount"),
                c("Payment_Date__c", "Payment Date", "datetime"),
                text(
                    "Finance_External_ID__c", "Finance External ID", external_id=True, unique=True
                ),
                c("Paid__c", "Paid", "boolean", nillable=False, default=False),
                c("Include__c", "Include", "boolean", nillable=False, default=True),
                c(
                    "Source__c",
                    "Source",
                    "picklist",
                    length=255,
                    picklist=("Stripe", "Xero", "Manual"),
                ),
                c("Type__c", "Type", "picklist", length=255, picklist=("Payment", "Refund")),
            ),
        ),
    ]
    schema = {o.name: o for o in objects}
    schema[invoice].children.extend(
        [
            ChildRel(line, p + "Invoice__c", p + "Invoice_Line_Items__r"),
            ChildRel(payment, p + "Invoice__c", p + "Payments__r"),
        ]
    )
    schema["Contact"].children.append(ChildRel(invoice, p + "Participant__c", p + "Invoices__r"))
    schema[item].children.append(ChildRel(line, p + "Support_Item__c", p + "Invoice_Line_Items__r"))
    return schema


def base_name(api_name: str, ns: str) -> str:
    """``maica_cc__Invoice__c`` -> ``Invoice__c`` (standard names unchanged)."""
    return api_name.removeprefix(f"{ns}__")
