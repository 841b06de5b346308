"""The Maica org's records: tables of plain dicts keyed by Id, with indexes (external ids,
children by parent), Salesforce's write checks, and the computed fields Maica keeps
(line amounts, invoice totals, payment roll-ups and Status).

Every method expects the caller to hold the sandbox state lock.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from .schema import KEY_PREFIXES, NUMBER_TYPES, FieldDef, ObjectDef, base_name, build_schema
from .values import make_id, money, normalize_id, parse_date, parse_datetime, sf_datetime

Record = dict[str, Any]
FORMAT = 1
ORG_ID = make_id(KEY_PREFIXES["Organization"], 7)
USER_ID = make_id(KEY_PREFIXES["User"], 11)
#: the org's one user: (username, first name, last name, email)
USER = ("admin@maica-care.example.sandbox", "Alex", "Nguyen", "admin@maica-care.example")


class WriteError(Exception):
    """One record refused: Salesforce's ``{statusCode, message, fields}``."""

    def __init__(self, status_code: str, message: str, fields: Iterable[str] = ()) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.message = message
        self.fields = list(fields)

    def to_json(self) -> dict[str, Any]:
        return {"statusCode": self.status_code, "message": self.message, "fields": self.fields}


class UnknownField(Exception):
    """A field name the object does not have: the whole call is refused (INVALID_FIELD)."""


@dataclass
class Table:
    obj: ObjectDef
    records: dict[str, Record] = field(default_factory=dict)
    #: external id field -> value -> ids
    external: dict[str, dict[str, list[str]]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for f in self.obj.fields:
            if f.external_id:
                self.external[f.name] = {}

    def index_external(self, record: Record, old: Record | None = None) -> None:
        for name, index in self.external.items():
            before = None if old is None else old.get(name)
            after = record.get(name)
            if before == after and old is not None:
                continue
            if before is not None:
                ids = index.get(str(before), [])
                if record["Id"] in ids:
                    ids.remove(record["Id"])
                if not ids:
                    index.pop(str(before), None)
            if after is not None:
                index.setdefault(str(after), []).append(record["Id"])


class MaicaOrg:
    """All records of one org for one namespace."""

    def __init__(self, namespace: str, now: Callable[[], float]) -> None:
        self.namespace = namespace
        self.now = now
        self.schema = build_schema(namespace)
        self.lower_names = {name.lower(): name for name in self.schema}
        self.tables = {name: Table(obj) for name, obj in self.schema.items()}
        #: (child object, lookup field) -> parent id -> child ids
        self.children: dict[tuple[str, str], dict[str, list[str]]] = {}
        for obj in self.schema.values():
            for rel in obj.children:
                self.children.setdefault((rel.child, rel.field), {})
        self.counters: dict[str, int] = {}
        self.auto_numbers: dict[str, int] = {}
        self.generated = 0
        p = f"{namespace}__"
        self.invoice, self.line, self.payment = (
            p + "Invoice__c",
            p + "Invoice_Line_Item__c",
            p + "Payment__c",
        )
        self.item = p + "Support_Item__c"
        self.p = p

    # -- names -----------------------------------------------------------------------------

    def object(self, name: str) -> ObjectDef | None:
        found = self.lower_names.get(name.lower())
        return None if found is None else self.schema[found]

    def f(self, base: str) -> str:
        """A custom field's API name in this namespace: ``f("Status__c")``."""
        return self.p + base

    # -- ids and numbers -------------------------------------------------------------------

    def new_id(self, obj: ObjectDef) -> str:
        number = self.counters.get(obj.name, 0) + 1
        self.counters[obj.name] = number
        return make_id(obj.key_prefix, number)

    def _auto_name(self, obj: ObjectDef) -> str:
        number = self.auto_numbers.get(obj.name, 0) + 1
        self.auto_numbers[obj.name] = number
        if obj.name == self.line:
            return f"ILI - {number:06d}"
        return f"PMNT - {number:07d}"

    # -- reads -----------------------------------------------------------------------------

    def get(self, sobject: str, record_id: str) -> Record | None:
        table = self.tables.get(sobject)
        if table is None:
            return None
        key = normalize_id(record_id)
        return None if key is None else table.records.get(key)

    def find(self, record_id: str) -> tuple[str, Record] | None:
        key = normalize_id(record_id)
        if key is None:
            return None
        for name, table in self.tables.items():
            if table.obj.key_prefix == key[:3]:
                found = table.records.get(key)
                return None if found is None else (name, found)
        return None

    def child_ids(self, child: str, lookup: str, parent_id: str) -> list[str]:
        return self.children.get((child, lookup), {}).get(parent_id, [])

    def by_external(self, sobject: str, field_name: str, value: str) -> list[str]:
        if field_name == "Id":
            key = normalize_id(value)
            return [key] if key and key in self.tables[sobject].records else []
        return list(self.tables[sobject].external.get(field_name, {}).get(value, []))

    # -- writes ----------------------------------------------------------------------------

    def coerce(
        self,
        obj: ObjectDef,
        values: Record,
        *,
        creating: bool,
        trusted: bool,
        current: Record | None = None,
    ) -> Record:
        """Check field names, access and types of a write; returns the canonical values.
        Unknown names raise :class:`UnknownField`; the rest :class:`WriteError`. A master-detail
        field sent unchanged on an update (as upserts of detail records do) is accepted."""
        out: Record = {}
        refused: list[str] = []
        for name, value in values.items():
            if name == "attributes":
                continue
            fdef = obj.any_field(name) if trusted else obj.field(name)
            if fdef is None:
                raise UnknownField(f"No such column '{name}' on sobject of type {obj.name}")
            if fdef.name == "Id":
                continue
            allowed = obj.can_write(fdef, creating=creating)
            if not allowed and not creating and fdef.type == "reference" and current is not None:
                same = normalize_id(str(value)) if value else None
                if same == current.get(fdef.name):
                    continue
            if not allowed and not trusted:
                refused.append(fdef.name)
                continue
            out[fdef.name] = self._value(fdef, value)
        if refused:
            raise WriteError(
                "INVALID_FIELD_FOR_INSERT_UPDATE",
                f"Unable to create/update fields: {', '.join(refused)}. Please check the security "
                "settings of this field and verify that it is read/write for your profile or "
                "permission set.",
                refused,
            )
        return out

    def _value(self, fdef: FieldDef, value: Any) -> Any:
        name = fdef.name
        if value is None or value == "":
            if fdef.type == "boolean":
                return False
            if not fdef.nillable and fdef.createable:
                raise WriteError(
                    "REQUIRED_FIELD_MISSING", f"Required fields are missing: [{name}]", [name]
                )
            return None
        kind = fdef.type
        bad = WriteError(
            "INVALID_TYPE_ON_FIELD_IN_RECORD",
            f"{fdef.label}: value not of required type: {value}",
            [name],
        )
        if kind in NUMBER_TYPES:
            if isinstance(value, bool):
                raise bad
            try:
                number = float(value)
            except (TypeError, ValueError):
                raise bad from None
            return money(number, fdef.scale) if kind == "currency" else number
        if kind == "boolean":
            if isinstance(value, bool):
                return value
            if isinstance(value, str) and value.lower() in ("true", "false"):
                return value.lower() == "true"
            raise bad
        if kind == "date":
            text = str(value)[:10]
            parsed = parse_date(text)
            if parsed is None:
                raise bad
            return parsed
        if kind == "datetime":
            stamp = parse_datetime(str(value))
            if stamp is None:
                raise bad
            return stamp
        if kind == "reference":
            key = normalize_id(str(value))
            if key is None:
                raise WriteError(
                    "MALFORMED_ID", f"{fdef.label}: id value of incorrect type: {value}", [name]
                )
            target = self.tables.get(fdef.reference_to[0])
            if target is None or key not in target.records:
                raise WriteError(
                    "INVALID_CROSS_REFERENCE_KEY", "invalid cross reference id", [name]
                )
            return key
        if isinstance(value, (dict, list)):
            raise bad
        text = value if isinstance(value, str) else str(value)
        if fdef.length and len(text) > fdef.length and kind != "textarea":
            raise WriteError(
                "STRING_TOO_LONG",
                f"{fdef.label}: data value too large: {text[:40]} (max length={fdef.length})",
                [name],
            )
        return text

    def check_unique(self, obj: ObjectDef, values: Record, record_id: str | None) -> None:
        table = self.tables[obj.name]
        for fdef in obj.fields:
            if not fdef.unique or values.get(fdef.name) is None:
                continue
            holders = table.external.get(fdef.name, {}).get(str(values[fdef.name]), [])
            others = [h for h in holders if h != record_id]
            if others:
                raise WriteError(
                    "DUPLICATE_VALUE",
                    f"duplicate value found: {fdef.name} duplicates value on record with id: "
                    f"{others[0]}",
                    [fdef.name],
                )

    def insert(self, sobject: str, values: Record, *, trusted: bool = False) -> str:
        obj = self.schema[sobject]
        clean = self.coerce(obj, values, creating=True, trusted=trusted)
        for fdef in obj.fields:
            if (
                not fdef.nillable
                and fdef.createable
                and fdef.type != "boolean"
                and clean.get(fdef.name) is None
            ):
                raise WriteError(
                    "REQUIRED_FIELD_MISSING",
                    f"Required fields are missing: [{fdef.name}]",
                    [fdef.name],
                )
        self.check_unique(obj, clean, None)
        return self._store_new(obj, clean)

    def _store_new(self, obj: ObjectDef, clean: Record) -> str:
        stamp = sf_datetime(self.now())
        record: Record = {"Id": self.new_id(obj)}
        for fdef in obj.fields:
            if fdef.name in ("Id", "CreatedDate", "LastModifiedDate", "SystemModstamp"):
                continue
            if fdef.name in clean:
                record[fdef.name] = clean[fdef.name]
            elif fdef.auto_number:
                record[fdef.name] = self._auto_name(obj)
            else:
                record[fdef.name] = fdef.default
        record.update(CreatedDate=stamp, LastModifiedDate=stamp, SystemModstamp=stamp)
        table = self.tables[obj.name]
        table.records[record["Id"]] = record
        table.index_external(record)
        self._index_children(obj, record, None)
        self._computed(obj.name, record, None)
        return str(record["Id"])

    def update(
        self, sobject: str, record_id: str, values: Record, *, trusted: bool = False
    ) -> None:
        obj = self.schema[sobject]
        record = self.get(sobject, record_id)
        if record is None:
            raise WriteError("INVALID_CROSS_REFERENCE_KEY", "invalid cross reference id", [])
        clean = self.coerce(obj, values, creating=False, trusted=trusted, current=record)
        self.check_unique(obj, clean, record["Id"])
        old = dict(record)
        record.update(clean)
        stamp = sf_datetime(self.now())
        record["LastModifiedDate"] = record["SystemModstamp"] = stamp
        self.tables[sobject].index_external(record, old)
        self._index_children(obj, record, old)
        self._computed(sobject, record, old)

    def restore(self, sobject: str, before: Record) -> None:
        """Put a record back as it was (an allOrNone rollback)."""
        obj = self.schema[sobject]
        record = self.tables[sobject].records[before["Id"]]
        current = dict(record)
        record.clear()
        record.update(before)
        self.tables[sobject].index_external(record, current)
        self._index_children(obj, record, current)
        self._computed(sobject, record, current)

    def delete(self, sobject: str, record_id: str) -> None:
        obj = self.schema[sobject]
        record = self.get(sobject, record_id)
        if record is None:
            raise WriteError("ENTITY_IS_DELETED", "entity is deleted", [])
        for rel in obj.children:  # master-detail children go with their parent
            if rel.name and rel.child in (self.line, self.payment):
                for child_id in list(self.child_ids(rel.child, rel.field, record["Id"])):
                    self.delete(rel.child, child_id)
        table = self.tables[sobject]
        del table.records[record["Id"]]
        gone = {k: None for k in record if k != "Id"}
        gone["Id"] = record["Id"]
        table.index_external(gone, record)
        self._index_children(obj, gone, record)
        self._computed(sobject, gone, record, deleted=True)

    def _index_children(self, obj: ObjectDef, record: Record, old: Record | None) -> None:
        for (child, lookup), index in self.children.items():
            if child != obj.name:
                continue
            before = None if old is None else old.get(lookup)
            after = record.get(lookup)
            if before == after and old is not None:
                continue
            if before is not None and record["Id"] in index.get(before, []):
                index[before].remove(record["Id"])
            if after is not None:
                index.setdefault(after, []).append(record["Id"])

    # -- computed fields -------------------------------------------------------------------

    def _computed(
        self, sobject: str, record: Record, old: Record | None, *, deleted: bool = False
    ) -> None:
        f = self.f
        if sobject == "Contact" and not deleted:
            record["Name"] = " ".join(
                str(v) for v in (record.get("FirstName"), record.get("LastName")) if v
            )
        elif sobject == self.line:
            if not deleted:
                # in decimal, half up, as Salesforce computes currency (never on binary floats:
                # 2.5 x 95.07 is 237.67499... as a float, 237.68 in Salesforce)
                quantity = Decimal(str(record.get(f("Quantity__c")) or 0))
                price = Decimal(str(record.get(f("Unit_Price__c")) or 0))
                amount = money(quantity * price)
                p1 = record.get(f("GST_Code__c")) == "P1"
                gst = money(Decimal(str(amount)) * Decimal("0.1")) if p1 else 0.0
                record[f("Amount__c")] = amount
                record[f("Line_Total__c")] = money(amount + gst)
            self._touch_parents(record, old)
        elif sobject == self.payment:
            self._touch_parents(record, old)
        elif sobject == self.invoice and not deleted:
            self.recompute_invoice(record)

    def _touch_parents(self, record: Record, old: Record | None) -> None:
        """Recompute the invoice(s) a line or payment belongs (belonged) to; an invoice whose
        totals or Status changed gets a new modstamp, as a roll-up change gives it."""
        lookup = self.f("Invoice__c")
        watched = [self.f(n) for n in ("Total_Amount__c", "Status__c", "Total_Payment_Amount__c")]
        parents = {record.get(lookup), None if old is None else old.get(lookup)}
        for parent_id in parents:
            parent = None if parent_id is None else self.tables[self.invoice].records.get(parent_id)
            if parent is not None:
                before = [parent.get(name) for name in watched]
                self.recompute_invoice(parent)
                if before != [parent.get(name) for name in watched]:
                    stamp = sf_datetime(self.now())
                    parent["LastModifiedDate"] = parent["SystemModstamp"] = stamp

    def recompute_invoice(self, invoice: Record) -> None:
        """Total from the lines (excluded ones left out), roll-ups from the included payments,
        and the Status Maica's flows would set."""
        f = self.f
        lines = self.tables[self.line].records
        total = sum(
            lines[i].get(f("Line_Total__c")) or 0.0
            for i in self.child_ids(self.line, f("Invoice__c"), invoice["Id"])
            if not lines[i].get(f("Exclude__c"))
        )
        payments = self.tables[self.payment].records
        paid = 0.0
        last: str | None = None
        for pid in self.child_ids(self.payment, f("Invoice__c"), invoice["Id"]):
            pay = payments[pid]
            if not pay.get(f("Include__c")):
                continue
            amount = pay.get(f("Payment_Amount__c")) or 0.0
            paid += -amount if pay.get(f("Type__c")) == "Refund" else amount
            when = pay.get(f("Payment_Date__c"))
            if when and (last is None or when[:10] > last):
                last = when[:10]
        total, paid = money(total), money(paid)
        invoice[f("Total_Amount__c")] = total
        invoice[f("Total_Payment_Amount__c")] = paid
        invoice[f("Payment_Balance__c")] = money(total - paid)
        invoice[f("Last_Payment_Date__c")] = last
        status = invoice.get(f("Status__c"))
        if invoice.get(f("Cancelled__c")):
            status = "Cancelled"
        elif status != "Entered":
            if paid <= 0:
                status = "Not Paid"
            elif paid >= total:
                status = "Fully Paid"
            else:
                status = "Partially Paid"
        invoice[f("Status__c")] = status

    # -- bulk creation for tests and benchmarks --------------------------------------------

    def generate(self, invoices: int, lines_per_invoice: int) -> list[str]:
        """``invoices`` new invoices (Status Not Paid, no Finance External ID) with
        ``lines_per_invoice`` lines each, spread over the seeded participants and support items.
        Fast: records are built directly (no per-field checks)."""
        f = self.f
        contacts = list(self.tables["Contact"].records)
        items = list(self.tables[self.item].records.values())
        providers = list(self.tables["Account"].records)
        if not contacts or not items or not providers:
            raise ValueError("the org has no participants or support items to generate from")
        funding = ("Plan Managed", "Agency Managed", "Self Managed")
        quantities = (1.0, 1.5, 2.0, 2.5, 3.0, 0.75)
        inv_obj, line_obj = self.schema[self.invoice], self.schema[self.line]
        ids: list[str] = []
        cycle_items = itertools.cycle(items)
        for n in range(invoices):
            self.generated += 1
            number = self.generated
            day = 1 + number % 28
            values: Record = {
                "Name": f"GEN-{number:06d}",
                f("Status__c"): "Not Paid",
                f("Funding_Type__c"): funding[number % 3],
                f("Participant__c"): contacts[number % len(contacts)],
                f("Service_Provider__c"): providers[0],
                f("Invoice_Date__c"): f"2026-11-{day:02d}",
                f("Due_Date__c"): f"2026-12-{day:02d}",
            }
            invoice_id = self._store_new(inv_obj, values)
            ids.append(invoice_id)
            for k in range(lines_per_invoice):
                item = next(cycle_items)
                price = 50.0 + (n * 7 + k * 13) % 150
                line_values: Record = {
                    f("Invoice__c"): invoice_id,
                    f("Support_Item__c"): item["Id"],
                    f("Quantity__c"): quantities[(n + k) % len(quantities)],
                    f("Unit_Price__c"): price,
                    f("Service_Date__c"): f"2026-11-{day:02d}",
                    f("GST_Code__c"): item.get(f("GST_Code__c")) or "P2",
                }
                self._store_new(line_obj, line_values)
        return ids

    # -- persistence -----------------------------------------------------------------------

    def to_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "namespace": self.namespace,
            "counters": dict(self.counters),
            "auto_numbers": dict(self.auto_numbers),
            "generated": self.generated,
            "security": {
                base_name(name, self.namespace): {
                    "hidden": sorted(base_name(f, self.namespace) for f in obj.hidden),
                    "readonly": sorted(base_name(f, self.namespace) for f in obj.readonly),
                }
                for name, obj in self.schema.items()
                if obj.hidden or obj.readonly
            },
            "tables": {
                base_name(name, self.namespace): [dict(r) for r in table.records.values()]
                for name, table in self.tables.items()
            },
        }

    @classmethod
    def from_json(cls, data: dict[str, Any], now: Callable[[], float]) -> MaicaOrg:
        if data.get("format") != FORMAT:
            raise ValueError(f"unsupported Maica org format: {data.get('format')!r}")
        org = cls(str(data["namespace"]), now)
        org.counters = {str(k): int(v) for k, v in data.get("counters", {}).items()}
        org.auto_numbers = {str(k): int(v) for k, v in data.get("auto_numbers", {}).items()}
        org.generated = int(data.get("generated", 0))
        security: dict[str, dict[str, list[str]]] = data.get("security", {})
        for name, obj in org.schema.items():
            kept = security.get(base_name(name, org.namespace), {})
            for attr in ("hidden", "readonly"):
                for field_base in kept.get(attr, []):
                    fdef = obj.any_field(f"{org.namespace}__{field_base}") or obj.any_field(
                        field_base
                    )
                    if fdef is not None:
                        getattr(obj, attr).add(fdef.name)
        tables: dict[str, list[Record]] = data.get("tables", {})
        # parents first, so that the children indexes find them
        for name in org.schema:
            for record in tables.get(base_name(name, org.namespace), []):
                table = org.tables[name]
                table.records[record["Id"]] = record
                table.index_external(record)
                org._index_children(org.schema[name], record, None)
        return org
