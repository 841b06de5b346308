"""Test controls of the Maica org under ``/_sandbox/maica/`` (JSON in, JSON out). Each is also
a plain function on the app, which :class:`~maica_xero_desktop.sandbox.Sandbox` exposes."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ..routes import Handler, Router
from ..web import Request, Response, json_response
from .org import MaicaOrg, UnknownField, WriteError
from .runtime import fault_from_spec
from .schema import ObjectDef
from .values import normalize_id

if TYPE_CHECKING:
    from ..app import SandboxApp

#: ``generate`` refuses more than this many invoices in one call
MAX_GENERATE = 200_000


def _object(org: MaicaOrg, sobject: str) -> ObjectDef:
    """The org's object of that name; a control naming another is refused."""
    obj = org.object(sobject)
    if obj is None:
        raise ValueError(f"the Maica org has no object {sobject!r}")
    return obj


def records(app: SandboxApp, sobject: str) -> dict[str, Any]:
    state = app.state
    with state.lock:
        org = state.maica
        obj = _object(org, sobject)
        rows = [dict(r) for r in org.tables[obj.name].records.values()]
        return {"sobject": obj.name, "records": rows}


def upsert_records(app: SandboxApp, sobject: str, rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Create (no ``Id``) or update (with ``Id``) records, bypassing field access checks (as an
    admin or Maica's own automation would); computed fields are still recomputed."""
    if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
        raise ValueError("records must be a list of objects")
    state = app.state
    with state.lock:
        org = state.maica
        obj = _object(org, sobject)
        ids: list[str] = []
        for row in rows:
            values = {k: v for k, v in row.items() if k not in ("Id", "attributes")}
            try:
                if row.get("Id"):
                    org.update(obj.name, str(row["Id"]), values, trusted=True)
                    ids.append(normalize_id(str(row["Id"])) or str(row["Id"]))
                else:
                    ids.append(org.insert(obj.name, values, trusted=True))
            except (WriteError, UnknownField) as exc:
                raise ValueError(str(exc)) from exc
        state.mark_dirty()
        return {"sobject": obj.name, "ids": ids}


def _names(value: Any, what: str) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError(f"{what} must be a list of field names")
    return list(value)


def set_fields(
    app: SandboxApp,
    sobject: str,
    hide: list[str] | None = None,
    show: list[str] | None = None,
    readonly: list[str] | None = None,
) -> dict[str, Any]:
    """Field-level security for the API user on one object, as an admin sets it in a
    permission set: ``show`` gives fields back in full (visible and, when the field allows it,
    editable), then ``hide`` takes them away (gone from describe; a query or a write naming one
    answers 400 INVALID_FIELD) and ``readonly`` leaves them readable only (not createable nor
    updateable in describe; a write is refused per record). Admin writes through the records
    control ignore it. Kept until reset or a namespace change."""
    shown, hidden, read_only = (
        _names(show, "show"),
        _names(hide, "hide"),
        _names(readonly, "readonly"),
    )
    state = app.state
    with state.lock:
        org = state.maica
        obj = _object(org, sobject)

        def canonical(names: list[str]) -> list[str]:
            found = []
            for name in names:
                fdef = obj.any_field(name)
                if fdef is None:
                    raise ValueError(f"{obj.name} has no field {name!r}")
                if fdef.name == "Id":
                    raise ValueError("the Id field cannot be hidden or made read-only")
                found.append(fdef.name)
            return found

        to_show, to_hide, to_freeze = canonical(shown), canonical(hidden), canonical(read_only)
        obj.hidden.difference_update(to_show)
        obj.readonly.difference_update(to_show)
        obj.hidden.update(to_hide)
        obj.readonly.update(to_freeze)
        state.mark_dirty()
        return {
            "sobject": obj.name,
            "hidden": sorted(obj.hidden),
            "readonly": sorted(obj.readonly),
        }


def generate(app: SandboxApp, invoices: int, lines_per_invoice: int = 3) -> dict[str, Any]:
    if not 0 < invoices <= MAX_GENERATE or not 0 <= lines_per_invoice <= 50:
        raise ValueError(f"invoices must be 1 to {MAX_GENERATE} and lines_per_invoice 0 to 50")
    state = app.state
    with state.lock:
        ids = state.maica.generate(invoices, lines_per_invoice)
        state.mark_dirty()
        return {
            "invoices": len(ids),
            "lines": len(ids) * lines_per_invoice,
            "first": ids[0],
            "last": ids[-1],
        }


def add_fault(app: SandboxApp, spec: dict[str, Any]) -> dict[str, Any]:
    app.maica.faults.add(fault_from_spec(spec))
    return {"faults": app.maica.faults.to_json()}


def _not_negative(value: int, what: str) -> int:
    if int(value) < 0:
        raise ValueError(f"{what} must not be negative")
    return int(value)


def set_limits(
    app: SandboxApp, daily: int | None = None, used: int | None = None
) -> dict[str, Any]:
    state = app.state
    with state.lock:
        auth = state.maica_auth
        if daily is not None:
            auth.daily = _not_negative(daily, "daily")
        if used is not None:
            auth.used = _not_negative(used, "used")
        state.save()
        return {"daily": auth.daily, "used": auth.used}


def stats(app: SandboxApp) -> dict[str, Any]:
    state = app.state
    with app.maica.lock:
        calls = dict(sorted(app.maica.calls.items()))
    with state.lock:
        org = state.maica
        counts = {name: len(t.records) for name, t in org.tables.items()}
        return {
            "calls": calls,
            "api_usage": state.maica_auth.used,
            "api_daily": state.maica_auth.daily,
            "namespace": org.namespace,
            "records": counts,
            "faults": app.maica.faults.to_json(),
            "open_query_cursors": len(app.maica.cursors),
            "bulk_jobs": len(app.maica.jobs),
        }


def expire_sessions(app: SandboxApp) -> dict[str, Any]:
    state = app.state
    with state.lock:
        expired = state.maica_auth.expire_all(state.now())
        state.save()
        return {"expired": expired}


def set_namespace(app: SandboxApp, namespace: str) -> dict[str, Any]:
    from ..config import MAICA_NAMESPACES

    if namespace not in MAICA_NAMESPACES:
        raise ValueError(f"namespace must be one of {', '.join(MAICA_NAMESPACES)}")
    app.state.reset_maica(namespace)
    with app.maica.lock:
        app.maica.cursors.clear()
        app.maica.jobs.clear()
    return {"namespace": namespace}


def reset(app: SandboxApp) -> dict[str, Any]:
    """The org seeded again with the configured namespace; faults, counts, cursors, jobs
    cleared; the API budget back to the configured one (sign-ins are kept)."""
    app.state.reset_maica(app.config.maica_namespace)
    app.maica.reset()
    with app.state.lock:
        app.state.maica_auth.daily = app.config.sf_api_daily_limit
        app.state.maica_auth.used = 0
        app.state.save()
    return {"reset": True, "namespace": app.config.maica_namespace}


# -- HTTP ------------------------------------------------------------------------------------


def _body(request: Request) -> dict[str, Any]:
    data = request.json()
    if not isinstance(data, dict):
        raise ValueError("expected a JSON object")
    return data


def _known_body(request: Request, keys: set[str], what: str) -> dict[str, Any]:
    """The JSON object of a control that takes only these ``keys`` (others refused as ``what``)."""
    body = _body(request)
    unknown = set(body) - keys
    if unknown:
        raise ValueError(f"unknown {what}: {', '.join(sorted(unknown))}")
    return body


def _wrap(operation: Callable[[SandboxApp, Request], dict[str, Any]]) -> Handler:
    def handler(app: SandboxApp, request: Request, params: dict[str, str]) -> Response:
        try:
            return json_response(200, operation(app, request))
        except (ValueError, TypeError, KeyError) as exc:
            return json_response(400, {"error": "bad_request", "message": str(exc)})

    return handler


def _get_records(app: SandboxApp, request: Request) -> dict[str, Any]:
    return records(app, request.arg("sobject") or "")


def _post_records(app: SandboxApp, request: Request) -> dict[str, Any]:
    body = _body(request)
    if "generate" in body:
        spec = body["generate"]
        if not isinstance(spec, dict):
            raise ValueError("generate must be an object")
        return generate(app, int(spec["invoices"]), int(spec.get("lines_per_invoice", 3)))
    return upsert_records(app, str(body["sobject"]), body.get("records") or [])


def _fields(app: SandboxApp, request: Request) -> dict[str, Any]:
    body = _known_body(request, {"sobject", "hide", "show", "readonly"}, "keys")
    return set_fields(
        app, str(body["sobject"]), body.get("hide"), body.get("show"), body.get("readonly")
    )


def _limits(app: SandboxApp, request: Request) -> dict[str, Any]:
    body = _known_body(request, {"daily", "used"}, "limits")
    return set_limits(app, body.get("daily"), body.get("used"))


def _clear_faults(app: SandboxApp, request: Request) -> dict[str, Any]:
    app.maica.faults.clear()
    return {"faults": []}


def register(router: Router) -> None:
    routes: list[tuple[str, str, Callable[[SandboxApp, Request], dict[str, Any]]]] = [
        ("GET", "records", _get_records),
        ("POST", "records", _post_records),
        ("GET", "faults", lambda app, r: {"faults": app.maica.faults.to_json()}),
        ("POST", "faults", lambda app, r: add_fault(app, _body(r))),
        ("DELETE", "faults", _clear_faults),
        ("POST", "limits", _limits),
        ("POST", "fields", _fields),
        ("GET", "stats", lambda app, r: stats(app)),
        ("POST", "expire-sessions", lambda app, r: expire_sessions(app)),
        ("POST", "namespace", lambda app, r: set_namespace(app, str(_body(r)["namespace"]))),
        ("POST", "reset", lambda app, r: reset(app)),
    ]
    for method, name, operation in routes:
        router.add(method, f"/_sandbox/maica/{name}", _wrap(operation), f"admin.maica.{name}")
