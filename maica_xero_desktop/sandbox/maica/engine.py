"""Runs a parsed SOQL query against the org: names resolved against the schema (Salesforce's
INVALID_FIELD / INVALID_TYPE errors), WHERE compiled to a predicate, ORDER BY, LIMIT/OFFSET,
and records rendered the way the REST API nests them (``attributes``, parent relationships as
nested objects, child subqueries as ``{totalSize, done, records}`` or null)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from .org import MaicaOrg, Record
from .schema import NUMBER_TYPES, FieldDef, ObjectDef
from .soql import BoolOp, Condition, InList, Literal, Order, Query, SoqlError
from .values import normalize_id, today

Getter = Callable[[Record], Any]
Predicate = Callable[[Record], bool]

_HINT = (
    "If you are attempting to use a custom field, be sure to append the '__c' after the custom "
    "field name. Please reference your WSDL or the describe call for the appropriate names."
)
_REL_HINT = (
    "If you are attempting to use a custom relationship, be sure to append the '__r' after the "
    "custom relationship name. Please reference your WSDL or the describe call for the "
    "appropriate names."
)


@dataclass
class Resolved:
    """A field path resolved: the reference fields to follow, then the field."""

    hops: list[FieldDef]
    final: FieldDef
    #: canonical names: relationship names then the field name
    names: tuple[str, ...]

    @property
    def column(self) -> str:
        return ".".join(self.names)


def resolve(org: MaicaOrg, obj: ObjectDef, path: tuple[str, ...]) -> Resolved:
    hops: list[FieldDef] = []
    names: list[str] = []
    current = obj
    parts = path
    if len(parts) > 1 and parts[0].lower() == obj.name.lower():
        parts = parts[1:]  # "Invoice__c.Name" names the object itself
    for part in parts[:-1]:
        ref = current.relationships.get(part.lower())
        if ref is None or ref.relationship_name is None:
            raise SoqlError(
                "INVALID_FIELD",
                f"Didn't understand relationship '{part}' in field path. {_REL_HINT}",
            )
        hops.append(ref)
        names.append(ref.relationship_name)
        current = org.schema[ref.reference_to[0]]
    final = current.field(parts[-1])
    if final is None:
        raise SoqlError(
            "INVALID_FIELD", f"No such column '{parts[-1]}' on entity '{current.name}'. {_HINT}"
        )
    names.append(final.name)
    return Resolved(hops, final, tuple(names))


def getter(org: MaicaOrg, res: Resolved) -> Getter:
    name = res.final.name
    if not res.hops:
        return lambda record: record.get(name)
    steps = [(hop.name, org.tables[hop.reference_to[0]].records) for hop in res.hops]

    def get(record: Record) -> Any:
        current: Record | None = record
        for ref_name, records in steps:
            ref = current.get(ref_name) if current is not None else None
            if ref is None:
                return None
            current = records.get(ref)
        return None if current is None else current.get(name)

    return get


# -- WHERE ---------------------------------------------------------------------------------------


def _quoted_error(fdef: FieldDef, kind: str) -> SoqlError:
    wanted = {"date": "date", "datetime": "dateTime"}.get(fdef.type, fdef.type)
    quoted = " and should not be enclosed in quotes" if kind == "string" else ""
    return SoqlError(
        "INVALID_FIELD",
        f"value of filter criterion for field '{fdef.name}' must be of type {wanted}{quoted}",
    )


def _literal_range(fdef: FieldDef, lit: Literal, now: float) -> tuple[Any, Any]:
    """A date literal as an inclusive [start, end] in the field's stored format."""
    name, n = lit.value
    day = date.fromisoformat(today(now))
    spans = {
        "TODAY": (day, day),
        "YESTERDAY": (day - timedelta(days=1), day - timedelta(days=1)),
        "TOMORROW": (day + timedelta(days=1), day + timedelta(days=1)),
        "LAST_N_DAYS": (day - timedelta(days=n), day),
        "NEXT_N_DAYS": (day + timedelta(days=1), day + timedelta(days=n)),
    }
    start, end = spans[name]
    if fdef.type == "datetime":
        return f"{start.isoformat()}T00:00:00.000+0000", f"{end.isoformat()}T23:59:59.999+0000"
    return start.isoformat(), end.isoformat()


def _coerce(fdef: FieldDef, lit: Literal) -> Any:
    """The literal in the field's stored form (checked against the field's type)."""
    kind, ftype = lit.kind, fdef.type
    if kind == "null":
        return None
    if ftype in NUMBER_TYPES:
        if kind != "number":
            raise _quoted_error(fdef, kind)
        return float(lit.value)
    if ftype == "boolean":
        if kind != "boolean":
            raise _quoted_error(fdef, kind)
        return lit.value
    if ftype == "date":
        if kind not in ("date", "dateliteral"):
            raise _quoted_error(fdef, kind)
        return lit.value
    if ftype == "datetime":
        if kind not in ("datetime", "dateliteral"):
            raise _quoted_error(fdef, kind)
        return lit.value
    if kind != "string":
        raise SoqlError(
            "INVALID_FIELD",
            f"value of filter criterion for field '{fdef.name}' must be of type string and "
            "should be enclosed in quotes",
        )
    if ftype in ("id", "reference"):
        return normalize_id(lit.value) or lit.value
    return str(lit.value).casefold()


def _like(pattern: str) -> re.Pattern[str]:
    out = []
    i = 0
    while i < len(pattern):
        char = pattern[i]
        if char == "\\" and i + 1 < len(pattern):
            out.append(re.escape(pattern[i + 1]))
            i += 2
            continue
        out.append(".*" if char == "%" else "." if char == "_" else re.escape(char))
        i += 1
    return re.compile("".join(out), re.IGNORECASE | re.DOTALL)


def _norm_getter(res: Resolved, get: Getter) -> Getter:
    """Values as compared: text case-folded."""
    if res.final.type in ("id", "reference") or res.final.type not in (
        "string",
        "textarea",
        "picklist",
        "email",
        "phone",
        "url",
    ):
        return get

    def folded(record: Record) -> Any:
        value = get(record)
        return value.casefold() if isinstance(value, str) else value

    return folded


def predicate(org: MaicaOrg, obj: ObjectDef, cond: Condition) -> Predicate:
    if isinstance(cond, BoolOp):
        parts = [predicate(org, obj, c) for c in cond.items]
        if cond.op == "and":
            return lambda r: all(p(r) for p in parts)
        if cond.op == "or":
            return lambda r: any(p(r) for p in parts)
        inner = parts[0]
        return lambda r: not inner(r)
    res = resolve(org, obj, cond.path)
    get = _norm_getter(res, getter(org, res))
    if isinstance(cond, InList):
        wanted = {_coerce(res.final, v) for v in cond.values}
        if cond.negate:
            return lambda r: get(r) not in wanted
        return lambda r: get(r) in wanted
    lit = cond.value
    if cond.op == "like":
        if res.final.type in NUMBER_TYPES or res.final.type in ("boolean", "date", "datetime"):
            raise SoqlError(
                "INVALID_FIELD", f"invalid operator on {res.final.type} field: {res.final.name}"
            )
        rx = _like(str(lit.value))
        raw = getter(org, res)
        return lambda r: isinstance(v := raw(r), str) and rx.fullmatch(v) is not None
    if lit.kind == "dateliteral":
        if res.final.type not in ("date", "datetime"):
            raise _quoted_error(res.final, "dateliteral")
        return _range_predicate(get, cond.op, _literal_range(res.final, lit, org.now()))
    value = _coerce(res.final, lit)
    return _compare(get, cond.op, value)


def _range_predicate(get: Getter, op: str, span: tuple[Any, Any]) -> Predicate:
    start, end = span

    def test(record: Record) -> bool:
        v = get(record)
        if v is None:
            return op == "!="
        inside = bool(start <= v <= end)
        return bool(
            {
                "=": inside,
                "!=": not inside,
                "<": v < start,
                "<=": v <= end,
                ">": v > end,
                ">=": v >= start,
            }[op]
        )

    return test


def _compare(get: Getter, op: str, value: Any) -> Predicate:
    if value is None:
        if op == "=":
            return lambda r: get(r) is None
        if op == "!=":
            return lambda r: get(r) is not None
        return lambda r: False
    if op == "=":
        return lambda r: get(r) == value
    if op == "!=":
        return lambda r: get(r) != value
    checks: dict[str, Callable[[Any], bool]] = {
        "<": lambda v: v < value,
        "<=": lambda v: v <= value,
        ">": lambda v: v > value,
        ">=": lambda v: v >= value,
    }
    check = checks[op]

    def test(record: Record) -> bool:
        v = get(record)
        return v is not None and check(v)

    return test


# -- ORDER BY ------------------------------------------------------------------------------------


def _sorter(org: MaicaOrg, obj: ObjectDef, order: list[Order]) -> Callable[[list[Record]], None]:
    passes = []
    for item in reversed(order):
        res = resolve(org, obj, item.path)
        get = _norm_getter(res, getter(org, res))
        blank: Any = 0.0 if res.final.type in NUMBER_TYPES else ""
        if res.final.type == "boolean":
            blank = False
        nulls_first = not item.nulls_last
        null_rank = 0 if nulls_first != item.descending else 1
        passes.append((get, blank, null_rank, item.descending))

    def sort(records: list[Record]) -> None:
        for get, blank, null_rank, descending in passes:

            def key(r: Record, get: Getter = get, blank: Any = blank, rank: int = null_rank) -> Any:
                v = get(r)
                return (rank, blank) if v is None else (1 - rank, v)

            records.sort(key=key, reverse=descending)

    return sort


# -- plans ---------------------------------------------------------------------------------------


@dataclass
class SubPlan:
    relationship: str
    child: ObjectDef
    lookup: str
    fields: list[Resolved]
    getters: list[Getter]
    where: Predicate | None
    sort: Callable[[list[Record]], None] | None
    limit: int | None


@dataclass
class Plan:
    org: MaicaOrg
    obj: ObjectDef
    query: Query
    fields: list[Resolved] = field(default_factory=list)
    getters: list[Getter] = field(default_factory=list)
    subs: list[SubPlan] = field(default_factory=list)
    where: Predicate | None = None
    sort: Callable[[list[Record]], None] | None = None

    def matching(self) -> list[Record]:
        records = self.org.tables[self.obj.name].records.values()
        where = self.where
        found = [r for r in records if where(r)] if where is not None else list(records)
        if self.sort is not None:
            self.sort(found)
        start = self.query.offset
        end = None if self.query.limit is None else start + self.query.limit
        return found[start:end]

    def render(self, record: Record, version: str) -> dict[str, Any]:
        subs = self._subs(record, version)
        return _render(self.org, self.obj, record, self.fields, self.getters, version, subs)

    def _subs(self, record: Record, version: str) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for sub in self.subs:
            table = self.org.tables[sub.child.name].records
            kids = [table[i] for i in self.org.child_ids(sub.child.name, sub.lookup, record["Id"])]
            if sub.where is not None:
                kids = [k for k in kids if sub.where(k)]
            if sub.sort is not None:
                sub.sort(kids)
            if sub.limit is not None:
                kids = kids[: sub.limit]
            out[sub.relationship] = (
                {
                    "totalSize": len(kids),
                    "done": True,
                    "records": [
                        _render(self.org, sub.child, k, sub.fields, sub.getters, version, {})
                        for k in kids
                    ],
                }
                if kids
                else None
            )
        return out

    def flat(self, record: Record) -> list[Any]:
        """The selected values in order (for Bulk API CSV)."""
        return [get(record) for get in self.getters]


def _attributes(obj_name: str, record_id: str | None, version: str) -> dict[str, str]:
    return {"type": obj_name, "url": f"/services/data/v{version}/sobjects/{obj_name}/{record_id}"}


def _render(
    org: MaicaOrg,
    obj: ObjectDef,
    record: Record,
    fields: list[Resolved],
    getters: list[Getter],
    version: str,
    subs: dict[str, Any],
) -> dict[str, Any]:
    out: dict[str, Any] = {"attributes": _attributes(obj.name, record["Id"], version)}
    for res, get in zip(fields, getters, strict=True):
        if not res.hops:
            out[res.final.name] = record.get(res.final.name)
            continue
        target: dict[str, Any] | None = out
        current: Record | None = record
        for hop in res.hops:
            assert target is not None
            rel = hop.relationship_name or hop.name
            parent_id = None if current is None else current.get(hop.name)
            current = None
            if parent_id is not None:
                current = org.tables[hop.reference_to[0]].records.get(parent_id)
            if rel not in target or (target[rel] is None and current is not None):
                target[rel] = (
                    None
                    if current is None
                    else {"attributes": _attributes(hop.reference_to[0], parent_id, version)}
                )
            target = target[rel]
            if target is None:
                break
        if target is not None:
            target[res.final.name] = get(record)
    out.update(subs)
    return out


def plan(org: MaicaOrg, query: Query, *, allow_subqueries: bool = True) -> Plan:
    obj = org.object(query.sobject)
    if obj is None:
        raise SoqlError(
            "INVALID_TYPE",
            f"sObject type '{query.sobject}' is not supported. If you are attempting to use a "
            "custom object, be sure to append the '__c' after the entity name. Please reference "
            "your WSDL or the describe call for the appropriate names.",
        )
    result = Plan(org, obj, query)
    for path in query.fields:
        res = resolve(org, obj, path)
        result.fields.append(res)
        result.getters.append(getter(org, res))
    if query.subqueries and not allow_subqueries:
        raise SoqlError("INVALIDJOB", "Bulk API 2.0 does not support nested queries")
    for sub in query.subqueries:
        rel = obj.child(sub.sobject)
        if rel is None or rel.name is None:
            raise SoqlError(
                "INVALID_TYPE",
                f"Didn't understand relationship '{sub.sobject}' in FROM part of query call. "
                f"{_REL_HINT}",
            )
        child = org.schema[rel.child]
        fields = [resolve(org, child, p) for p in sub.fields]
        result.subs.append(
            SubPlan(
                relationship=rel.name,
                child=child,
                lookup=rel.field,
                fields=fields,
                getters=[getter(org, f) for f in fields],
                where=None if sub.where is None else predicate(org, child, sub.where),
                sort=_sorter(org, child, sub.order) if sub.order else None,
                limit=sub.limit,
            )
        )
    if query.where is not None:
        result.where = predicate(org, obj, query.where)
    if query.order:
        result.sort = _sorter(org, obj, query.order)
    return result
