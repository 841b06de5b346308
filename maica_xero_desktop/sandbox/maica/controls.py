"""Test controls of the Maica org under ``/_sandbox/maica/`` (JSON in, JSON out). Each is also
a plain function on the app, which :class:`~maica_xero_desktop.sandbox.Sandbox` exposes."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ..routes import Handler, Router
from ..web import Request, Response, json_response
from .org import UnknownField, WriteError
from .runtime import fault_from_spec
from .values import normalize_id

if TYPE_CHECKING:
    from ..app import SandboxApp

#: ``generate`` refuses more than this many invoices in one call
MAX_GENERATE = 200_000


def records(app: SandboxApp, sobject: str) -> dict[str, Any]:
    state = app.state
    with state.lock:
        org = state.maica
        obj = org.object(sobject)
        if obj is None:
            raise ValueError(f"the Maica org has no object {sobject!r}")
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
        obj = org.object(sobject)
        if obj is None:
            raise ValueError(f"the Maica org has no object {sobject!r}")
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


def set_limits(
    app: SandboxApp, daily: int | None = None, used: int | None = None
) -> dict[str, Any]:
    state = app.state
    with state.lock:
        auth = state.maica_auth
        if daily is not None:
            if int(daily) < 0:
                raise ValueError("daily must not be negative")
            auth.daily = int(daily)
        if used is not None:
            if int(used) < 0:
                raise ValueError("used must not be negative")
            auth.used = int(used)
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


def _limits(app: SandboxApp, request: Request) -> dict[str, Any]:
    body = _body(request)
    unknown = set(body) - {"daily", "used"}
    if unknown:
        raise ValueError(f"unknown limits: {', '.join(sorted(unknown))}")
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
        ("GET", "stats", lambda app, r: stats(app)),
        ("POST", "expire-sessions", lambda app, r: expire_sessions(app)),
        ("POST", "namespace", lambda app, r: set_namespace(app, str(_body(r)["namespace"]))),
        ("POST", "reset", lambda app, r: reset(app)),
    ]
    for method, name, operation in routes:
        router.add(method, f"/_sandbox/maica/{name}", _wrap(operation), f"admin.maica.{name}")
