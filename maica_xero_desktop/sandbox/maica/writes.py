"""REST writes: single records (create, update, delete, upsert by external id) and sObject
Collections (``/composite/sobjects``: create, update, delete, upsert; up to 200 records, per-record
results, ``allOrNone``). Not-updateable fields are refused per record, armed record-level faults
(UNABLE_TO_LOCK_ROW, FIELD_CUSTOM_VALIDATION_EXCEPTION) too."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from ..routes import Router
from ..web import Request, Response, empty, json_response
from .org import MaicaOrg, Record, UnknownField, WriteError
from .rest import RECORD_ID, SOBJECT, V, record_json
from .runtime import Context, fault_message, json_body, rest, sf_error
from .schema import ObjectDef
from .values import normalize_id

if TYPE_CHECKING:
    from ..app import SandboxApp

MAX_RECORDS = 200
ROLLED_BACK = WriteError(
    "ALL_OR_NONE_OPERATION_ROLLED_BACK",
    "Record rolled back because not all records were valid and the request was using AllOrNone "
    "header",
)


def register(router: Router) -> None:
    router.add("POST", V + f"/sobjects/{SOBJECT}/?", rest(create_one), "maica.record")
    router.add("PATCH", V + f"/sobjects/{SOBJECT}/{RECORD_ID}/?", rest(update_one), "maica.record")
    router.add("DELETE", V + f"/sobjects/{SOBJECT}/{RECORD_ID}/?", rest(delete_one), "maica.record")
    router.add(
        "PATCH",
        V + f"/sobjects/{SOBJECT}/(?P<field>[A-Za-z][A-Za-z0-9_]*)/(?P<value>[^/]+)/?",
        rest(upsert_one),
        "maica.upsert",
    )
    composite = V + "/composite/sobjects/?"
    router.add("PATCH", composite, rest(update_many, per_record=True), "maica.composite")
    router.add("POST", composite, rest(create_many, per_record=True), "maica.composite")
    router.add("DELETE", composite, rest(delete_many, per_record=True), "maica.composite")
    router.add(
        "GET", V + f"/composite/sobjects/{SOBJECT}/?", rest(retrieve_many), "maica.composite"
    )
    router.add(
        "PATCH",
        V + f"/composite/sobjects/{SOBJECT}/(?P<field>[A-Za-z][A-Za-z0-9_]*)/?",
        rest(upsert_many, per_record=True),
        "maica.upsert",
    )


def _fault_error(hit: tuple[str, str | None], key: str) -> WriteError:
    code, message = hit
    return WriteError(code, fault_message(code, key, message), [])


def _parse_error(message: str = "Unexpected character in the request body") -> Response:
    return sf_error(400, "JSON_PARSER_ERROR", message)


def _object_or_404(org: MaicaOrg, name: str) -> ObjectDef | Response:
    obj = org.object(name)
    if obj is None:
        return sf_error(404, "NOT_FOUND", f"The requested resource does not exist: {name}")
    return obj


def _refusal(exc: WriteError | UnknownField) -> Response:
    """The answer to a refused write: an unknown field name refuses the whole call
    (INVALID_FIELD), a refused record answers with its own code."""
    if isinstance(exc, UnknownField):
        return sf_error(400, "INVALID_FIELD", str(exc))
    return sf_error(400, exc.status_code, exc.message, exc.fields)


# -- single records --------------------------------------------------------------------------


#: a single-record write's own step under the org lock: the org, the object the URL names and
#: the JSON body in, its answer out; an UnknownField or WriteError it raises is the refusal
OneWrite = Callable[[MaicaOrg, ObjectDef, dict[str, Any]], Response]


def _write_one(app: SandboxApp, request: Request, sobject: str, write: OneWrite) -> Response:
    """What a create, update or upsert of one record does around its own step: read the JSON
    object, find the object under the org lock, answer a refused write, and save the org after a
    step that succeeded (a 2xx answer)."""
    body = json_body(request)
    if not isinstance(body, dict):
        return _parse_error()
    state = app.state
    with state.lock:
        org = state.maica
        obj = _object_or_404(org, sobject)
        if isinstance(obj, Response):
            return obj
        try:
            response = write(org, obj, body)
        except (UnknownField, WriteError) as exc:
            return _refusal(exc)
        if response.status < 300:
            state.mark_dirty()
    return response


def create_one(app: SandboxApp, request: Request, params: dict[str, str], ctx: Context) -> Response:
    def create(org: MaicaOrg, obj: ObjectDef, body: dict[str, Any]) -> Response:
        new_id = org.insert(obj.name, body)
        return json_response(201, {"id": new_id, "success": True, "errors": []})

    return _write_one(app, request, params["sobject"], create)


def update_one(app: SandboxApp, request: Request, params: dict[str, str], ctx: Context) -> Response:
    def update(org: MaicaOrg, obj: ObjectDef, body: dict[str, Any]) -> Response:
        record = org.get(obj.name, params["record_id"])
        if record is None:
            return sf_error(404, "NOT_FOUND", "The requested resource does not exist")
        hits = app.maica.faults.take_records("record", [record["Id"]])
        if hits:
            return _refusal(_fault_error(hits[record["Id"]], record["Id"]))
        org.update(obj.name, record["Id"], body)
        return empty(204)

    return _write_one(app, request, params["sobject"], update)


def delete_one(app: SandboxApp, request: Request, params: dict[str, str], ctx: Context) -> Response:
    state = app.state
    with state.lock:
        org = state.maica
        obj = _object_or_404(org, params["sobject"])
        if isinstance(obj, Response):
            return obj
        record = org.get(obj.name, params["record_id"])
        if record is None:
            return sf_error(404, "ENTITY_IS_DELETED", "entity is deleted")
        org.delete(obj.name, record["Id"])
        state.mark_dirty()
    return empty(204)


def _external_field(org: MaicaOrg, obj: ObjectDef, name: str) -> str | Response:
    fdef = obj.field(name)
    if fdef is None:
        return sf_error(
            404,
            "NOT_FOUND",
            f"Provided external ID field does not exist or is not accessible: {name}",
        )
    if not (fdef.external_id or fdef.name == "Id"):
        return sf_error(
            400,
            "INVALID_FIELD",
            f"Field name provided, {fdef.name} is not an External ID or indexed field for "
            f"{obj.name}",
        )
    return fdef.name


def upsert_one(app: SandboxApp, request: Request, params: dict[str, str], ctx: Context) -> Response:
    value = unquote(params["value"])

    def upsert(org: MaicaOrg, obj: ObjectDef, body: dict[str, Any]) -> Response:
        ext = _external_field(org, obj, params["field"])
        if isinstance(ext, Response):
            return ext
        matches = org.by_external(obj.name, ext, value)
        if len(matches) > 1:
            urls = [f"/services/data/v{ctx.version}/sobjects/{obj.name}/{i}" for i in matches]
            return json_response(300, urls)
        hits = app.maica.faults.take_records("upsert", [value, *matches])
        if hits:
            return _refusal(_fault_error(next(iter(hits.values())), value))
        values = {k: v for k, v in body.items() if k.lower() != ext.lower()}
        if matches:
            org.update(obj.name, matches[0], values)
            return json_response(
                200, {"id": matches[0], "success": True, "errors": [], "created": False}
            )
        if ext != "Id":
            values[ext] = value
        new_id = org.insert(obj.name, values)
        return json_response(201, {"id": new_id, "success": True, "errors": [], "created": True})

    return _write_one(app, request, params["sobject"], upsert)


# -- collections -----------------------------------------------------------------------------


@dataclass
class Item:
    """One record of a collection call and what became of it."""

    obj: ObjectDef | None
    values: Record
    record_id: str | None = None
    key: str = ""
    error: WriteError | None = None
    created: bool = False
    #: the record before an update (for an allOrNone rollback)
    before: Record | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def _collection(request: Request) -> tuple[bool, list[Any]] | Response:
    body = json_body(request)
    if not isinstance(body, dict) or not isinstance(body.get("records"), list):
        return _parse_error("The request body must be an object with a records list")
    records: list[Any] = body["records"]
    if len(records) > MAX_RECORDS:
        return sf_error(
            400,
            "EXCEEDED_ID_LIMIT",
            f"record limit reached. cannot submit more than {MAX_RECORDS} records into this call",
        )
    return bool(body.get("allOrNone", False)), records


def _typed_items(org: MaicaOrg, records: list[Any], fixed: ObjectDef | None) -> list[Item]:
    """Each record with its object (``attributes.type``); unknown field names refuse the call."""
    items: list[Item] = []
    for raw in records:
        if not isinstance(raw, dict):
            items.append(Item(None, {}, error=WriteError("INVALID_FIELD", "not a record")))
            continue
        attrs = raw.get("attributes") if isinstance(raw.get("attributes"), dict) else {}
        type_name = str(attrs.get("type") or "") if attrs else ""
        obj = fixed if fixed is not None and not type_name else org.object(type_name)
        values = {k: v for k, v in raw.items() if k != "attributes"}
        if obj is None:
            error = WriteError("INVALID_TYPE", f"sObject type '{type_name}' is not supported.")
            items.append(Item(None, values, error=error))
            continue
        for name in values:
            if obj.field(name) is None:
                raise UnknownField(f"No such column '{name}' on sobject of type {obj.name}")
        items.append(Item(obj, values))
    return items


def _finish(app: SandboxApp, items: list[Item], all_or_none: bool) -> None:
    """Roll back everything when allOrNone and something failed."""
    org = app.state.maica
    if all_or_none and any(i.error is not None for i in items):
        for item in reversed(items):
            if item.error is not None or item.obj is None or item.record_id is None:
                continue
            if item.created:
                org.delete(item.obj.name, item.record_id)
            elif item.before is not None:
                org.restore(item.obj.name, item.before)
            item.error = ROLLED_BACK
    app.state.mark_dirty()


def _results(items: list[Item], *, upsert: bool = False) -> Response:
    out = []
    for item in items:
        ok = item.error is None
        entry: dict[str, Any] = {
            "id": item.record_id if ok or not item.created else None,
            "success": ok,
            "errors": [] if ok else [item.error.to_json()],  # type: ignore[union-attr]
        }
        if upsert:
            entry["created"] = item.created if ok else False
        out.append(entry)
    return json_response(200, out)


#: what a collection call does to its typed records under the org lock; a refused record keeps
#: its refusal on its item
Apply = Callable[[MaicaOrg, list[Item]], None]
#: the object the URL fixes (None: each record's ``attributes.type``) and the call's operation,
#: or the answer that refuses the call
Plan = tuple[ObjectDef | None, Apply] | Response


def _write_collection(
    app: SandboxApp, request: Request, plan: Callable[[MaicaOrg], Plan], *, upsert: bool = False
) -> Response:
    """What every collection write does around its operation: read the records, type them under
    the org lock, apply the operation, roll back on allOrNone, and answer one result a record."""
    parsed = _collection(request)
    if isinstance(parsed, Response):
        return parsed
    all_or_none, records = parsed
    state = app.state
    with state.lock:
        org = state.maica
        planned = plan(org)
        if isinstance(planned, Response):
            return planned
        fixed, apply = planned
        try:
            items = _typed_items(org, records, fixed)
        except UnknownField as exc:
            return _refusal(exc)
        apply(org, items)
        _finish(app, items, all_or_none)
    return _results(items, upsert=upsert)


def update_many(
    app: SandboxApp, request: Request, params: dict[str, str], ctx: Context
) -> Response:
    return _write_collection(app, request, lambda org: (None, partial(_update_items, app)))


def _update_items(app: SandboxApp, org: MaicaOrg, items: list[Item]) -> None:
    for item in items:
        given = item.values.pop("Id", None) or item.values.pop("id", None)
        item.record_id = normalize_id(str(given)) if given else None
        item.key = item.record_id or ""
        if item.error is None and not given:
            item.error = WriteError("MISSING_ARGUMENT", "Id not specified in an update call")
        elif item.error is None and item.record_id is None:
            item.error = WriteError("MALFORMED_ID", f"malformed id {given}", ["Id"])
    hits = app.maica.faults.take_records("composite", [i.key for i in items if i.key])
    for item in items:
        if item.error is not None or item.obj is None:
            continue
        if item.key in hits:
            item.error = _fault_error(hits[item.key], item.key)
            continue
        record = org.get(item.obj.name, item.key)
        if record is None:
            item.error = WriteError("INVALID_CROSS_REFERENCE_KEY", "invalid cross reference id", [])
            continue
        item.before = dict(record)
        try:
            org.update(item.obj.name, item.key, item.values)
        except WriteError as exc:
            item.error = exc
            item.before = None


def create_many(
    app: SandboxApp, request: Request, params: dict[str, str], ctx: Context
) -> Response:
    return _write_collection(app, request, lambda org: (None, _create_items))


def _create_items(org: MaicaOrg, items: list[Item]) -> None:
    for item in items:
        if item.error is not None or item.obj is None:
            continue
        if any(k.lower() == "id" for k in item.values):
            item.error = WriteError(
                "INVALID_FIELD_FOR_INSERT_UPDATE", "cannot specify Id in an insert call", ["Id"]
            )
            continue
        try:
            item.record_id = org.insert(item.obj.name, item.values)
            item.created = True
        except WriteError as exc:
            item.error = exc


def _ids_arg(request: Request, missing: str) -> list[str] | Response:
    """The ``ids`` query argument of a collection call: the ids given, at most MAX_RECORDS."""
    ids = [i for i in (request.arg("ids") or "").split(",") if i]
    if not ids:
        return sf_error(400, "MISSING_ARGUMENT", missing)
    if len(ids) > MAX_RECORDS:
        return sf_error(400, "EXCEEDED_ID_LIMIT", "record limit reached")
    return ids


def delete_many(
    app: SandboxApp, request: Request, params: dict[str, str], ctx: Context
) -> Response:
    ids = _ids_arg(request, "ids parameter is required")
    if isinstance(ids, Response):
        return ids
    state = app.state
    out = []
    with state.lock:
        org = state.maica
        for given in ids:
            found = org.find(given)
            if found is None:
                error = WriteError("ENTITY_IS_DELETED", "entity is deleted", [])
                out.append({"id": None, "success": False, "errors": [error.to_json()]})
                continue
            name, record = found
            org.delete(name, record["Id"])
            out.append({"id": record["Id"], "success": True, "errors": []})
        state.mark_dirty()
    return json_response(200, out)


def retrieve_many(
    app: SandboxApp, request: Request, params: dict[str, str], ctx: Context
) -> Response:
    """``GET composite/sobjects/{O}?ids=a,b&fields=f,g``: the records in order (null when not
    found)."""
    missing = "ids and fields parameters are required"
    names = [n.strip() for n in (request.arg("fields") or "").split(",") if n.strip()]
    if not names:
        return sf_error(400, "MISSING_ARGUMENT", missing)
    ids = _ids_arg(request, missing)
    if isinstance(ids, Response):
        return ids
    state = app.state
    with state.lock:
        org = state.maica
        obj = _object_or_404(org, params["sobject"])
        if isinstance(obj, Response):
            return obj
        fields: list[str] = []
        for name in names:
            fdef = obj.field(name)
            if fdef is None:
                return sf_error(
                    400, "INVALID_FIELD", f"No such column '{name}' on sobject of type {obj.name}"
                )
            fields.append(fdef.name)
        out: list[dict[str, Any] | None] = []
        for given in ids:
            record = org.get(obj.name, given)
            out.append(
                None if record is None else record_json(obj.name, record, ctx.version, fields)
            )
    return json_response(200, out)


def upsert_many(
    app: SandboxApp, request: Request, params: dict[str, str], ctx: Context
) -> Response:
    def plan(org: MaicaOrg) -> Plan:
        obj = _object_or_404(org, params["sobject"])
        if isinstance(obj, Response):
            return obj
        ext = _external_field(org, obj, params["field"])
        if isinstance(ext, Response):
            return ext
        return obj, partial(_upsert_items, app, obj, ext)

    return _write_collection(app, request, plan, upsert=True)


def _upsert_items(
    app: SandboxApp, obj: ObjectDef, ext: str, org: MaicaOrg, items: list[Item]
) -> None:
    seen: dict[str, list[Item]] = {}
    for item in items:
        if item.error is None and item.obj is not None and item.obj.name != obj.name:
            item.error = WriteError(
                "INVALID_TYPE", f"This operation only accepts records of type {obj.name}"
            )
        value = next((v for k, v in item.values.items() if k.lower() == ext.lower()), None)
        if item.error is None and (value is None or value == ""):
            item.error = WriteError("MISSING_ARGUMENT", f"{ext} not specified", [ext])
        item.key = "" if value is None else str(value)
        if item.key:
            seen.setdefault(item.key, []).append(item)
    for key, same in seen.items():
        if len(same) > 1:
            for item in same:
                item.error = item.error or WriteError(
                    "DUPLICATE_EXTERNAL_ID", f"Duplicate external id specified: {key}", [ext]
                )
    keys = [i.key for i in items if i.key]
    matches = {i.key: org.by_external(obj.name, ext, i.key) for i in items if i.key}
    hits = app.maica.faults.take_records(
        "upsert", keys + [m for found in matches.values() for m in found]
    )
    for item in items:
        if item.error is not None:
            continue
        found = matches[item.key]
        hit = hits.get(item.key) or next((hits[m] for m in found if m in hits), None)
        if hit is not None:
            item.error = _fault_error(hit, found[0] if found else item.key)
            continue
        if len(found) > 1:
            item.error = WriteError(
                "DUPLICATE_EXTERNAL_ID",
                f"{ext}: more than one record found for external id field: {found}",
                [ext],
            )
            continue
        try:
            if found:
                item.record_id = found[0]
                item.before = dict(org.tables[obj.name].records[found[0]])
                values = {k: v for k, v in item.values.items() if k.lower() != ext.lower()}
                org.update(obj.name, found[0], values)
            else:
                values = dict(item.values)
                if ext == "Id":
                    values = {k: v for k, v in values.items() if k.lower() != "id"}
                item.record_id = org.insert(obj.name, values)
                item.created = True
        except WriteError as exc:
            item.error = exc
            item.before = None
