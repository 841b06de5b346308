"""The guard in front of every Accounting API route (``/api.xro/2.0/...``).

Order of checks, as Xero answers them: bearer token (401), ``xero-tenant-id`` naming a tenant
this grant is connected to (403 ``AuthenticationUnsuccessful``), scope (401
``AuthorizationUnsuccessful``), rate limits (429), then the resource handler. Answers are JSON
whatever the ``Accept`` header says (Xero would default to XML; clients must ask for JSON).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .bearer import Unauthorized, authenticate
from .records import AccessRecord, Org
from .routes import Router
from .web import Request, Response, problem

if TYPE_CHECKING:
    from .app import SandboxApp

BASE = r"/api\.xro/2\.0"


@dataclass(frozen=True)
class ApiContext:
    access: AccessRecord
    org: Org


ApiHandler = Callable[["SandboxApp", Request, dict[str, str], ApiContext], Response]


def forbidden() -> Response:
    return problem(403, "Forbidden", "AuthenticationUnsuccessful")


def _tenant(app: SandboxApp, request: Request, access: AccessRecord) -> Org | None:
    raw = (request.headers.get("xero-tenant-id") or "").strip()
    try:
        tenant_id = str(uuid.UUID(raw))
    except ValueError:
        return None
    if len(raw) != 36:
        return None
    state = app.state
    with state.lock:
        org = state.stores.orgs.get(tenant_id)
        if org is None or org.tenant_type != "ORGANISATION":
            return None
        connected = any(c.tenant_id == tenant_id for c in state.grant_connections(access.grant_key))
        return org if connected else None


def add_api_route(
    router: Router,
    method: str,
    resource: str,
    handler: ApiHandler,
    *,
    scopes: tuple[str, ...],
) -> None:
    """Register ``/api.xro/2.0/<resource>`` (a regex) behind the guard. ``scopes``: any one of
    them lets the call through. The endpoint name is ``api.<METHOD>.<first path segment>``."""
    name = f"api.{method.upper()}.{re.split(r'[^A-Za-z0-9]', resource, maxsplit=1)[0]}"

    def guarded(app: SandboxApp, request: Request, params: dict[str, str]) -> Response:
        try:
            access = authenticate(app, request)
        except Unauthorized as exc:
            return exc.response
        org = _tenant(app, request, access)
        if org is None:
            return forbidden()
        if not set(scopes) & set(access.scopes):
            return problem(401, "Unauthorized", "AuthorizationUnsuccessful")
        app.stats.count_tenant(org.tenant_id, request.endpoint)
        decision = app.limiter.acquire(org.tenant_id)
        if decision.problem is not None:
            app.stats.count_tenant(org.tenant_id, f"rate_limited.{decision.problem}")
            detail = f"Rate limit exceeded: {decision.problem}"
            return problem(429, "Too Many Requests", detail, decision.headers)
        try:
            app.delay_fault(request.endpoint)
            response = handler(app, request, params, ApiContext(access, org))
        finally:
            app.limiter.release(org.tenant_id)
        response.headers.update(decision.headers)
        return response

    router.add(method, f"{BASE}/{resource}", guarded, name, handles_delay=True)
