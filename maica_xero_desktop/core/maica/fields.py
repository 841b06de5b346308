"""Discovery and mapping: which Maica objects and fields this product reads and writes.

Every *role* (``invoice.finance_external_id``, ``line.quantity``, …) is resolved to an API name in
this order: the name the administrator confirmed (``settings.maica_mapping``), else the documented
default (names public sources state or imply, prefixed by the namespace found in the org), else —
for names no public source gives, and for a default the org does not have — the field whose LABEL
is the role's label (e.g. "Xero Invoice Number"). A name found by its label is *unconfirmed* until
the administrator confirms it (``settings.maica_mapping``): until then the mapping is not ready
(:attr:`Mapping.ready`), so nothing is read or written with it, and the check lists each one as
"label → API name". The invoice's child relationship to its lines comes from ``describe``'s
``childRelationships`` (also unconfirmed until confirmed).

Names and labels from ``describe`` are Salesforce's text: a field whose name is not a well-formed
API name is ignored, and labels are cleaned (:func:`.text.outside`) before they reach a sentence.

Each mapped field is then checked against ``describe``: found, missing, wrong type, not readable
(the object cannot be queried) or not writable (a field the product writes that is not
updateable/createable, or the payment's Finance External ID that is not an external id). Pure
functions over the JSON Salesforce answers: no network here.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping as MappingABC
from dataclasses import dataclass, field, replace
from typing import Any

from .text import api_name as _api_name
from .text import outside
from .views import FOUND, MISSING, NOT_READABLE, NOT_WRITABLE, WRONG_TYPE, FieldCheck

#: the namespaces Maica's packages use, current first
NAMESPACES = ("maica_cc", "maica")

#: object roles → the object's name without the namespace (None: a standard object)
OBJECTS: dict[str, str] = {
    "invoice": "Invoice__c",
    "line": "Invoice_Line_Item__c",
    "payment": "Payment__c",
    "support_item": "Support_Item__c",
    "contact": "Contact",
}
_STANDARD_OBJECTS = frozenset({"Contact"})

_TEXT = frozenset({"string", "textarea", "picklist", "url", "email", "phone", "id", "combobox"})
_PICK = frozenset({"picklist", "string", "combobox"})
_NUMBER = frozenset({"double", "currency", "int", "percent", "long"})
_DATE = frozenset({"date"})
_DATETIME = frozenset({"datetime", "date"})
_BOOL = frozenset({"boolean"})
_REF = frozenset({"reference"})

#: how a field is used: read, written on an existing record (update), written on new and existing
#: records (upsert), or the upsert's external id
READ, UPDATE, CREATE, UPSERT, EXTERNAL_ID = "read", "update", "create", "upsert", "external_id"


@dataclass(frozen=True)
class Role:
    object: str
    role: str
    #: the documented API name ("{ns}" = the namespace); None for a name found only by label
    default: str | None
    label: str
    types: frozenset[str]
    required: bool = True
    use: str = READ

    @property
    def key(self) -> str:
        return f"{self.object}.{self.role}"


ROLES: tuple[Role, ...] = (
    Role("invoice", "number", "Name", "Invoice Number", _TEXT),
    Role("invoice", "finance_external_id", "{ns}__Finance_External_ID__c", "Finance External ID",
         _TEXT, use=UPDATE),
    Role("invoice", "xero_invoice_number", None, "Xero Invoice Number", _TEXT, use=UPDATE),
    Role("invoice", "invoice_date", None, "Invoice Date", _DATE),
    Role("invoice", "due_date", None, "Due Date", _DATE, required=False),
    Role("invoice", "status", "{ns}__Status__c", "Status", _PICK),
    Role("invoice", "cancelled", "{ns}__Cancelled__c", "Cancelled", _BOOL),
    Role("invoice", "participant", "{ns}__Participant__c", "Participant", _REF),
    Role("invoice", "funding_type", "{ns}__Funding_Type__c", "Funding Type", _PICK),
    Role("invoice", "total", "{ns}__Total_Amount__c", "Total Amount", _NUMBER, required=False),
    Role("line", "invoice", "{ns}__Invoice__c", "Invoice", _REF),
    Role("line", "quantity", "{ns}__Quantity__c", "Quantity", _NUMBER),
    Role("line", "unit_price", "{ns}__Unit_Price__c", "Unit Price", _NUMBER),
    Role("line", "service_date", "{ns}__Service_Date__c", "Service Date", _DATE, required=False),
    Role("line", "gst_code", "{ns}__GST_Code__c", "GST Code", _PICK, required=False),
    Role("line", "exclude", "{ns}__Exclude__c", "Exclude", _BOOL, required=False),
    Role("line", "description", None, "Description", _TEXT, required=False),
    Role("line", "support_item", "{ns}__Support_Item__c", "Support Item", _REF),
    Role("support_item", "number", "{ns}__Support_Item_Number__c", "Support Item Number", _TEXT),
    Role("support_item", "name", "Name", "Support Item Name", _TEXT),
    Role("support_item", "description", "{ns}__Finance_Invoice_Line_Description__c",
         "Finance Invoice Line Description", _TEXT, required=False),
    Role("support_item", "account_code", "{ns}__Finance_Account_Code__c",
         "Finance Account Code", _TEXT, required=False),
    Role("support_item", "tax_type", "{ns}__Tax_Type__c", "Tax Type", _PICK, required=False),
    Role("contact", "name", "Name", "Full Name", _TEXT),
    Role("contact", "email", "Email", "Email", _TEXT, required=False),
    Role("contact", "ndis_number", "{ns}__NDIS_Number__c", "NDIS Number", _TEXT,
         required=False),
    Role("payment", "invoice", "{ns}__Invoice__c", "Invoice", _REF, use=CREATE),
    Role("payment", "amount", "{ns}__Payment_Amount__c", "Payment Amount", _NUMBER, use=UPSERT),
    Role("payment", "date", "{ns}__Payment_Date__c", "Payment Date", _DATETIME, use=UPSERT),
    Role("payment", "finance_external_id", "{ns}__Finance_External_ID__c",
         "Finance External ID", _TEXT, use=EXTERNAL_ID),
    Role("payment", "paid", "{ns}__Paid__c", "Paid", _BOOL, use=UPSERT),
    Role("payment", "include", "{ns}__Include__c", "Include", _BOOL, use=UPSERT),
    Role("payment", "source", "{ns}__Source__c", "Source", _PICK, required=False, use=UPSERT),
)  # fmt: skip
ROLE_BY_KEY = {role.key: role for role in ROLES}
#: the invoice → lines child relationship (a relationship name, not a field)
LINES_KEY = "invoice.lines"
ALL_KEYS = (*ROLE_BY_KEY, LINES_KEY)


def object_name(namespace: str, obj: str) -> str:
    base = OBJECTS[obj]
    return base if base in _STANDARD_OBJECTS else f"{namespace}__{base}"


def detect_namespace(sobjects: list[dict[str, Any]]) -> str:
    """The Maica package's namespace from the org's sObject list ("" when there is none)."""
    names = {str(s.get("name", "")) for s in sobjects}
    for namespace in NAMESPACES:
        if all(f"{namespace}__{OBJECTS[o]}" in names for o in ("invoice", "line", "payment")):
            return namespace
    for name in sorted(names):  # another prefix holding an Invoice__c: an unusual edition
        if name.endswith("__Invoice__c") and name.count("__") == 2:
            prefix = name.split("__")[0]
            if f"{prefix}__Invoice_Line_Item__c" in names:
                return prefix
    return ""


@dataclass(frozen=True)
class Mapping:
    """The resolved mapping: each role's API name (absent when missing), and what is known."""

    namespace: str
    objects: dict[str, str]
    names: dict[str, str]
    #: reference roles → their relationship name (e.g. maica_cc__Participant__r)
    relations: dict[str, str]
    #: roles whose name was found by its label and not confirmed
    unconfirmed: frozenset[str]
    checks: tuple[FieldCheck, ...]
    #: roles left unusable because their field already serves another role: key → that role
    shared: dict[str, str] = field(default_factory=dict, compare=False)
    #: payment.source's picklist values (to write "Xero" only when it exists)
    source_values: frozenset[str] = frozenset()
    #: per object, every field's name → its describe entry (for the pull's types)
    fields: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict, compare=False)

    @property
    def ok(self) -> bool:
        """Every required field is usable (names awaiting confirmation aside)."""
        return not self.missing_required()

    @property
    def ready(self) -> bool:
        """Usable and every name found by label confirmed: a pull, a sync or a write-back
        may use it."""
        return bool(self.namespace) and self.ok and not self.unconfirmed

    def missing_required(self) -> tuple[FieldCheck, ...]:
        return tuple(c for c in self.checks if c.required and c.state != FOUND)

    def name(self, key: str) -> str:
        """The API name of ``key``, or "" when it is not usable."""
        return self.names.get(key, "")

    def has(self, key: str) -> bool:
        return bool(self.names.get(key))

    def type_of(self, key: str) -> str:
        obj = key.split(".", 1)[0]
        entry = self.fields.get(obj, {}).get(self.name(key))
        return str(entry.get("type", "")) if entry else ""


def resolve(
    namespace: str,
    describes: MappingABC[str, dict[str, Any] | None],
    confirmed: MappingABC[str, str],
    queryable: MappingABC[str, bool] | None = None,
) -> Mapping:
    """The mapping of every role against the objects' ``describe`` answers (None: the object is
    not in the org), with the administrator's confirmed names first."""
    objects = {obj: object_name(namespace, obj) for obj in OBJECTS}
    by_object: dict[str, dict[str, dict[str, Any]]] = {}
    for obj in OBJECTS:
        described = describes.get(obj)
        by_object[obj] = {
            str(f["name"]): f
            for f in (described or {}).get("fields", [])
            if isinstance(f, dict) and _api_name(f.get("name"))
        }
    names: dict[str, str] = {}
    relations: dict[str, str] = {}
    unconfirmed: set[str] = set()
    checks: list[FieldCheck] = []
    source_values: frozenset[str] = frozenset()
    for role in ROLES:
        fields = by_object[role.object]
        described = describes.get(role.object)
        can_query = (queryable or {}).get(role.object, True)
        api_name, how = _choose(role, namespace, fields, confirmed)
        entry = fields.get(api_name) if api_name else None
        if described is None:
            state = MISSING
            suggestion = f"the object {objects[role.object]} is not in the org (or not visible)"
        elif entry is None:
            state = MISSING
            suggestion = _similar(role, fields, api_name)
        else:
            state, suggestion = _state(role, entry, can_query)
        unsure = how == "label" and state == FOUND
        if state == FOUND:
            names[role.key] = api_name
            relation = entry.get("relationshipName") if entry else None
            if relation:
                relations[role.key] = str(relation)
            if unsure:
                unconfirmed.add(role.key)
            if role.key == "payment.source" and entry:
                source_values = frozenset(
                    str(p.get("value", ""))
                    for p in entry.get("picklistValues") or []
                    if p.get("active", True)
                )
        checks.append(
            FieldCheck(
                object=role.object,
                role=role.role,
                api_name=api_name,
                state=state,
                label=outside(entry.get("label"), 80) if entry else role.label,
                required=role.required,
                suggestion=suggestion,
                unconfirmed=unsure,
            )
        )
    shared: dict[str, str] = {}
    checks = _one_role_per_field(checks, names, relations, unconfirmed, shared)
    checks.append(_lines_check(describes, objects, names, confirmed, unconfirmed))
    if checks[-1].state == FOUND:
        names[LINES_KEY] = checks[-1].api_name
    return Mapping(
        namespace=namespace,
        objects=objects,
        names=names,
        relations=relations,
        unconfirmed=frozenset(unconfirmed),
        checks=tuple(checks),
        source_values=source_values,
        fields=by_object,
        shared=shared,
    )


def _one_role_per_field(
    checks: list[FieldCheck],
    names: dict[str, str],
    relations: dict[str, str],
    unconfirmed: set[str],
    shared: dict[str, str],
) -> list[FieldCheck]:
    """Each field of an object serves one role: a second role mapped to a field that already
    serves one (an administrator's ``--set invoice.xero_invoice_number=…Finance_External_ID__c``
    would write the Xero number over the Xero id and lose every link) is not usable — the role
    listed first (the invoice number, then the Finance External ID, …) keeps the field. The
    roles left out are noted in ``shared`` (key → the role that keeps the field)."""
    serving: dict[tuple[str, str], str] = {}
    kept: list[FieldCheck] = []
    for check in checks:
        if check.state != FOUND or not check.api_name:
            kept.append(check)
            continue
        place = (check.object, check.api_name.casefold())
        first = serving.get(place)
        if first is None:
            serving[place] = check.key
            kept.append(check)
            continue
        names.pop(check.key, None)
        relations.pop(check.key, None)
        unconfirmed.discard(check.key)
        shared[check.key] = first
        kept.append(
            replace(
                check,
                state=MISSING,
                unconfirmed=False,
                suggestion=(
                    f"{check.api_name} already serves {first}: each field serves one role, so "
                    "name another field for this one"
                ),
            )
        )
    return kept


def _choose(
    role: Role, namespace: str, fields: dict[str, dict[str, Any]], confirmed: MappingABC[str, str]
) -> tuple[str, str]:
    """The API name for ``role`` and how it was chosen: confirmed | default | label."""
    if name := confirmed.get(role.key, "").strip():
        return name, "confirmed"
    default = role.default.format(ns=namespace) if role.default else ""
    if default and default in fields:
        return default, "default"
    matches = by_label(fields, role.label)
    if role.key == "line.description":
        # "Description" labels a long text on many objects: a text field of this object only
        matches = [m for m in matches if fields[m].get("type") in _TEXT]
    if len(matches) == 1:
        return matches[0], "label"
    return default, "default"


def by_label(fields: dict[str, dict[str, Any]], label: str) -> list[str]:
    """The fields whose label is ``label`` (letter case and surrounding spaces aside)."""
    wanted = " ".join(label.split()).casefold()
    return sorted(
        name
        for name, entry in fields.items()
        if " ".join(str(entry.get("label", "")).split()).casefold() == wanted
    )


def _state(role: Role, entry: dict[str, Any], can_query: bool) -> tuple[str, str]:
    kind = outside(entry.get("type"), 40)
    if kind not in role.types:
        wanted = " or ".join(sorted(role.types))
        return (
            WRONG_TYPE,
            f"it is a {kind or 'field of unknown type'} field; the role needs {wanted}",
        )
    if not can_query:
        return NOT_READABLE, "the object cannot be queried by this user: check its permission set"
    if role.use == UPDATE and not entry.get("updateable"):
        return NOT_WRITABLE, (
            "it cannot be edited by this user (a formula, a roll-up, or field-level security): "
            "give the API user edit access to it"
        )
    if role.use in (CREATE, UPSERT, EXTERNAL_ID) and not entry.get("createable"):
        return NOT_WRITABLE, "payments cannot be created with it: give the API user edit access"
    if role.use == UPSERT and not entry.get("updateable"):
        return NOT_WRITABLE, "payments cannot be updated with it: give the API user edit access"
    if role.use == EXTERNAL_ID and not (entry.get("externalId") or entry.get("idLookup")):
        return NOT_WRITABLE, "it is not an external id field, so payments cannot be upserted on it"
    return FOUND, ""


def _similar(role: Role, fields: dict[str, dict[str, Any]], api_name: str) -> str:
    labels = {outside(entry.get("label"), 80): name for name, entry in fields.items()}
    close = difflib.get_close_matches(role.label, list(labels), n=3, cutoff=0.6)
    exact = by_label(fields, role.label)
    if len(exact) > 1:
        return f"several fields are labelled '{role.label}' ({', '.join(exact)}): confirm one"
    wanted = api_name or "labelled " + repr(role.label)
    if close:
        shown = ", ".join(f"'{c}' ({labels[c]})" for c in close)
        return (
            f"no field {wanted} that the API user can see (check its field-level security); "
            f"similar labels: {shown}"
        )
    return (
        f"no field {wanted} on this object: check the package version and the API user's "
        "field-level security"
    )


def _lines_check(
    describes: MappingABC[str, dict[str, Any] | None],
    objects: dict[str, str],
    names: dict[str, str],
    confirmed: MappingABC[str, str],
    unconfirmed: set[str],
) -> FieldCheck:
    relations = [
        r
        for r in (describes.get("invoice") or {}).get("childRelationships", [])
        if isinstance(r, dict)
        and r.get("childSObject") == objects["line"]
        and _api_name(r.get("relationshipName"))
    ]
    wanted = confirmed.get(LINES_KEY, "").strip()
    field_name = names.get("line.invoice", "")
    found = ""
    if wanted:
        found = wanted if any(r["relationshipName"] == wanted for r in relations) else ""
    else:
        exact = [r for r in relations if r.get("field") == field_name] if field_name else []
        chosen = exact or relations
        if len(chosen) == 1:
            found = str(chosen[0]["relationshipName"])
    if found:
        unsure = not wanted
        if unsure:
            unconfirmed.add(LINES_KEY)
        return FieldCheck(
            "invoice", "lines", found, FOUND, "Invoice Line Items", True, "", unconfirmed=unsure
        )
    shown = ", ".join(str(r["relationshipName"]) for r in relations)
    return FieldCheck(
        "invoice",
        "lines",
        wanted,
        MISSING,
        "Invoice Line Items",
        True,
        f"child relationships to {objects['line']}: {shown}"
        if shown
        else (f"no child relationship from the invoice to {objects['line']}"),
    )


def sentence(mapping: Mapping) -> str:
    """What the check says in one sentence ("" when everything is found and confirmed)."""
    missing = mapping.missing_required()
    if not mapping.namespace:
        return (
            "The Maica package was not found in this Salesforce org (no maica_cc__ or maica__ "
            "invoice objects): check that the API user can see Maica's objects."
        )
    if missing:
        first = missing[0]
        more = f" and {len(missing) - 1} more" if len(missing) > 1 else ""
        name = first.api_name or f"labelled '{first.label}'"
        return (
            f"The Maica field for {first.object}.{first.role} ({name}) is {_said(first.state)}"
            f"{more}: {first.suggestion or 'check the mapping'}."
        )
    if mapping.unconfirmed:
        return (
            "Nothing is read from or written to the Maica org until the administrator confirms "
            f"the field names found by their label: {unconfirmed_names(mapping)}."
        )
    return ""


def unconfirmed_names(mapping: Mapping) -> str:
    """The names awaiting confirmation as "label → API name", in the check's order."""
    return ", ".join(
        f"{ROLE_LABELS.get(c.key, c.label)} → {c.api_name}"
        for c in mapping.checks
        if c.key in mapping.unconfirmed
    )


#: how each role is named to the administrator (the label it is found by)
ROLE_LABELS = {
    **{role.key: role.label for role in ROLES},
    "line.description": "Description (invoice line)",
    LINES_KEY: "Invoice Line Items (child relationship)",
}


def _said(state: str) -> str:
    return {
        MISSING: "missing",
        WRONG_TYPE: "of the wrong type",
        NOT_READABLE: "not readable",
        NOT_WRITABLE: "not writable",
    }.get(state, state)
