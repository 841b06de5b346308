"""REST reads under ``/services/data``: versions, the sObject list, describe, SOQL queries with
``nextRecordsUrl`` paging, single records, and the org's limits."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..routes import Router
from ..web import Request, Response, json_response
from .engine import Plan, plan
from .org import Record
from .runtime import Context, rest, sf_error
from .schema import QUERY_LOCATOR_PREFIX
from .soql import SoqlError, parse

if TYPE_CHECKING:
    from ..app import SandboxApp

V = r"/services/data/v(?P<version>\d{2,3}\.\d)"
SOBJECT = r"(?P<sobject>[A-Za-z][A-Za-z0-9_]*)"
RECORD_ID = r"(?P<record_id>[A-Za-z0-9]{15}|[A-Za-z0-9]{18})"
VERSIONS = ("58.0", "59.0", "60.0", "61.0", "62.0", "63.0", "64.0")
DEFAULT_BATCH = 2000
MIN_BATCH = 200
#: open query cursors kept (oldest dropped first), like Salesforce's per-user limit
MAX_CURSORS = 50


def register(router: Router) -> None:
    router.add("GET", r"/services/data/?", versions, "maica.versions")
    router.add("GET", V + "/?", rest(resources), "maica.versions")
    router.add("GET", V + "/limits/?", rest(limits), "maica.limits")
    router.add("GET", V + "/sobjects/?", rest(sobjects), "maica.sobjects")
    router.add("GET", V + f"/sobjects/{SOBJECT}/describe/?", rest(describe), "maica.describe")
    router.add("GET", V + f"/sobjects/{SOBJECT}/?", rest(basic_info), "maica.describe")
    for kind in ("query", "queryAll"):  # no deleted records here: queryAll = query
        router.add("GET", V + f"/{kind}/?", rest(query), "maica.query")
        router.add(
            "GET",
            V + f"/{kind}/(?P<locator>01g[A-Za-z0-9]{{15}}-\\d+)/?",
            rest(query_more),
            "maica.query",
        )
    router.add("GET", V + f"/sobjects/{SOBJECT}/{RECORD_ID}/?", rest(get_record), "maica.record")


def versions(app: SandboxApp, request: Request, params: dict[str, str]) -> Response:
    app.maica.count("versions")
    return json_response(
        200,
        [{"label": f"Release {v}", "url": f"/services/data/v{v}", "version": v} for v in VERSIONS],
    )


def resources(app: SandboxApp, request: Request, params: dict[str, str], ctx: Context) -> Response:
    base = f"/services/data/v{ctx.version}"
    names = ("sobjects", "query", "queryAll", "composite", "jobs", "limits")
    return json_response(200, {name: f"{base}/{name}" for name in names})


def limits(app: SandboxApp, request: Request, params: dict[str, str], ctx: Context) -> Response:
    auth = app.state.maica_auth
    daily = {"Max": auth.daily, "Remaining": max(auth.daily - auth.used, 0)}
    return json_response(200, {"DailyApiRequests": daily})


def sobjects(app: SandboxApp, request: Request, params: dict[str, str], ctx: Context) -> Response:
    with app.state.lock:
        org = app.state.maica
        listed = []
        for obj in org.schema.values():
            summary = obj.summary()
            summary["urls"] = {
                k: v.replace("vXX.X", f"v{ctx.version}") for k, v in summary["urls"].items()
            }
            listed.append(summary)
    return json_response(200, {"encoding": "UTF-8", "maxBatchSize": 200, "sobjects": listed})


def _unknown_object(name: str) -> Response:
    return sf_error(404, "NOT_FOUND", f"The requested resource does not exist: {name}")


def describe(app: SandboxApp, request: Request, params: dict[str, str], ctx: Context) -> Response:
    with app.state.lock:
        obj = app.state.maica.object(params["sobject"])
        if obj is None:
            return _unknown_object(params["sobject"])
        return json_response(200, obj.describe(ctx.version))


def basic_info(app: SandboxApp, request: Request, params: dict[str, str], ctx: Context) -> Response:
    with app.state.lock:
        obj = app.state.maica.object(params["sobject"])
        if obj is None:
            return _unknown_object(params["sobject"])
        summary = obj.summary()
        summary["urls"] = {
            k: v.replace("vXX.X", f"v{ctx.version}") for k, v in summary["urls"].items()
        }
        return json_response(200, {"objectDescribe": summary, "recentItems": []})


# -- queries ---------------------------------------------------------------------------------


@dataclass
class Cursor:
    plan: Plan
    records: list[Record]
    batch: int
    version: str


def batch_size(request: Request) -> int:
    options = request.headers.get("Sforce-Query-Options") or ""
    for part in options.split(","):
        name, _, value = part.partition("=")
        if name.strip().lower() == "batchsize" and value.strip().isdigit():
            return max(MIN_BATCH, min(DEFAULT_BATCH, int(value.strip())))
    return DEFAULT_BATCH


def soql_error(exc: SoqlError) -> Response:
    return sf_error(400, exc.code, exc.message)


def query(app: SandboxApp, request: Request, params: dict[str, str], ctx: Context) -> Response:
    text = request.arg("q")
    if not text:
        return sf_error(400, "MALFORMED_QUERY", "A query string has to be specified")
    state = app.state
    with state.lock:
        try:
            parsed = parse(text)
            compiled = plan(state.maica, parsed)
        except SoqlError as exc:
            return soql_error(exc)
        records = compiled.matching()
        if parsed.count:
            return json_response(200, {"totalSize": len(records), "done": True, "records": []})
        cursor = Cursor(compiled, records, batch_size(request), ctx.version)
        return json_response(200, _page(app, cursor, 0))


def query_more(app: SandboxApp, request: Request, params: dict[str, str], ctx: Context) -> Response:
    locator, _, start = params["locator"].rpartition("-")
    state = app.state
    with state.lock:
        cursor: Cursor | None = app.maica.cursors.get(locator)
        if cursor is None or int(start) >= len(cursor.records):
            return sf_error(
                400, "INVALID_QUERY_LOCATOR", "invalid query locator"
            )  # expired or unknown
        return json_response(200, _page(app, cursor, int(start), locator))


def _page(
    app: SandboxApp, cursor: Cursor, start: int, locator: str | None = None
) -> dict[str, Any]:
    end = start + cursor.batch
    chunk = cursor.records[start:end]
    body: dict[str, Any] = {
        "totalSize": len(cursor.records),
        "done": end >= len(cursor.records),
        "records": [cursor.plan.render(r, cursor.version) for r in chunk],
    }
    if not body["done"]:
        if locator is None:
            locator = QUERY_LOCATOR_PREFIX + secrets.token_hex(8)[:15]
            cursors = app.maica.cursors
            cursors[locator] = cursor
            while len(cursors) > MAX_CURSORS:
                cursors.pop(next(iter(cursors)))
        body["nextRecordsUrl"] = f"/services/data/v{cursor.version}/query/{locator}-{end}"
    return body


# -- single records --------------------------------------------------------------------------


def record_json(
    obj_name: str, record: Record, version: str, fields: list[str] | None = None
) -> dict[str, Any]:
    out: dict[str, Any] = {
        "attributes": {
            "type": obj_name,
            "url": f"/services/data/v{version}/sobjects/{obj_name}/{record['Id']}",
        }
    }
    names = fields if fields is not None else list(record)
    for name in names:
        out[name] = record.get(name)
    return out


def get_record(app: SandboxApp, request: Request, params: dict[str, str], ctx: Context) -> Response:
    state = app.state
    with state.lock:
        org = state.maica
        obj = org.object(params["sobject"])
        if obj is None:
            return _unknown_object(params["sobject"])
        record = org.get(obj.name, params["record_id"])
        if record is None:
            return sf_error(404, "NOT_FOUND", "The requested resource does not exist")
        wanted = request.arg("fields")
        fields: list[str] | None = None
        if wanted:
            fields = []
            for name in wanted.split(","):
                fdef = obj.field(name.strip())
                if fdef is None:
                    return sf_error(
                        400,
                        "INVALID_FIELD",
                        f"No such column '{name.strip()}' on sobject of type {obj.name}",
                    )
                fields.append(fdef.name)
        return json_response(200, record_json(obj.name, record, ctx.version, fields))
