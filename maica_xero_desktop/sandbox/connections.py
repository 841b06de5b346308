"""``GET /connections`` and ``DELETE /connections/{id}``: which organisations a user connected.

Only ``X-AppMinLimit-Remaining`` is sent here; the per-tenant limits belong to the Accounting API.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .bearer import Unauthorized, authenticate
from .records import Connection
from .routes import Router
from .timefmt import xero_utc
from .web import Request, Response, empty, json_response, problem

if TYPE_CHECKING:
    from .app import SandboxApp


def register(router: Router) -> None:
    router.add("GET", r"/connections/?", list_connections, "connections.get")
    router.add("DELETE", r"/connections/(?P<id>[^/]+)", delete_connection, "connections.delete")


def connection_json(app: SandboxApp, conn: Connection) -> dict[str, Any]:
    org = app.state.stores.orgs[conn.tenant_id]
    return {
        "id": conn.id,
        "authEventId": conn.auth_event_id,
        "tenantId": conn.tenant_id,
        "tenantType": org.tenant_type,
        "tenantName": org.name,
        "createdDateUtc": xero_utc(conn.created),
        "updatedDateUtc": xero_utc(conn.updated),
    }


def _rate_limited(app: SandboxApp) -> tuple[dict[str, str], Response | None]:
    decision = app.limiter.app_call()
    if decision.problem is None:
        return decision.headers, None
    return decision.headers, problem(
        429, "Too Many Requests", f"Rate limit exceeded: {decision.problem}", decision.headers
    )


def list_connections(app: SandboxApp, request: Request, params: dict[str, str]) -> Response:
    try:
        access = authenticate(app, request)
    except Unauthorized as exc:
        return exc.response
    headers, limited = _rate_limited(app)
    if limited is not None:
        return limited
    auth_event = request.arg("authEventId")
    state = app.state
    with state.lock:
        found = [
            connection_json(app, c)
            for c in state.grant_connections(access.grant_key)
            if c.tenant_id in state.stores.orgs
            and (auth_event is None or c.auth_event_id.lower() == auth_event.lower())
        ]
    return json_response(200, found, headers)


def delete_connection(app: SandboxApp, request: Request, params: dict[str, str]) -> Response:
    try:
        access = authenticate(app, request)
    except Unauthorized as exc:
        return exc.response
    headers, limited = _rate_limited(app)
    if limited is not None:
        return limited
    state = app.state
    with state.lock:
        conn = state.stores.connections.get(params["id"].lower())
        if conn is None or conn.grant_key != access.grant_key:
            return problem(404, "NotFound", "Connection not found", headers)
        del state.stores.connections[conn.id]
        state.save()
    return empty(204, headers)
