"""Test controls under ``/_sandbox/``: JSON in, JSON out. Real clients never need them.

Each operation is also a plain function on the app (``Sandbox`` exposes them as methods).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from .faults import fault_from_json
from .ratelimit import Limits
from .routes import Handler, Router
from .state import org_from_seed
from .web import Request, Response, json_response

if TYPE_CHECKING:
    from .app import SandboxApp


# -- operations -----------------------------------------------------------------------------


def stats(app: SandboxApp) -> dict[str, Any]:
    state = app.state
    with state.lock:
        grants = [
            {
                "client_id": g.client_id,
                "user_id": g.user_id,
                "scopes": g.scopes,
                "connections": [
                    {"id": c.id, "tenantId": c.tenant_id, "authEventId": c.auth_event_id}
                    for c in state.grant_connections(g.key)
                ],
                "refresh_tokens": sum(
                    1 for r in state.stores.refresh.values() if r.grant_key == g.key
                ),
            }
            for g in state.stores.grants.values()
        ]
        return {
            "calls": app.stats.snapshot(),
            "valid_refresh_tokens": state.valid_refresh_count(),
            "grants": grants,
            "organisations": [asdict(o) for o in state.stores.orgs.values()],
            "clock_offset": state.clock_offset,
            "now": state.now(),
            "faults": app.faults.to_json(),
            "auto_consent": app.auto_consent,
            "limits": asdict(app.limiter.limits),
            "tenants": tenant_stats(app),
        }


def info(app: SandboxApp) -> dict[str, Any]:
    cfg = app.config
    return {
        "base_url": app.base_url,
        "client_id": cfg.client_id,
        "web_client_id": cfg.web_client_id,
        "redirect_uris": list(cfg.redirect_uris),
        "user": asdict(cfg.user),
        "allow_broad_scopes": cfg.allow_broad_scopes,
    }


def reset_demo(app: SandboxApp) -> dict[str, Any]:
    """Like Xero's demo company reset: a new tenant id; the old one and its connections vanish."""
    state = app.state
    with state.lock:
        demo = next((o for o in state.stores.orgs.values() if o.is_demo), None)
        if demo is None:
            raise ValueError("there is no demo company")
        old_id = demo.tenant_id
        del state.stores.orgs[old_id]
        state.ledgers.pop(old_id, None)
        demo.tenant_id = str(uuid.uuid4())
        demo.created = state.now()
        state.stores.orgs[demo.tenant_id] = demo
        for conn_id in [c.id for c in state.stores.connections.values() if c.tenant_id == old_id]:
            del state.stores.connections[conn_id]
        state.save()
        return {"old_tenant_id": old_id, "tenant_id": demo.tenant_id}


def expire_access_tokens(app: SandboxApp) -> dict[str, Any]:
    state = app.state
    with state.lock:
        now = state.now()
        live = [a for a in state.stores.access.values() if a.exp > now]
        for record in live:
            record.exp = now
        state.save()
        return {"expired": len(live)}


def add_practice(app: SandboxApp) -> dict[str, Any]:
    state = app.state
    seed = app.config.practice_org
    with state.lock:
        if seed.tenant_id not in state.stores.orgs:
            state.stores.orgs[seed.tenant_id] = org_from_seed(seed, state.now())
            state.save()
        return {"tenant_id": seed.tenant_id, "tenant_name": seed.name, "tenant_type": "PRACTICE"}


def tenant_stats(app: SandboxApp) -> dict[str, Any]:
    """Per organisation: calls by endpoint, write batch sizes, and how many invoices, contacts
    and payments it holds."""
    state = app.state
    with state.lock:
        tenants = set(app.stats.tenants()) | set(state.ledgers)
        out: dict[str, Any] = {}
        for tenant in sorted(tenants):
            entry = app.stats.tenant_snapshot(tenant)
            ledger = state.ledgers.get(tenant)
            entry["invoices"] = len(ledger.invoices) if ledger else 0
            entry["contacts"] = len(ledger.contacts) if ledger else 0
            entry["payments"] = len(ledger.payments) if ledger else 0
            out[tenant] = entry
        return out


def set_limits(app: SandboxApp, **changes: Any) -> dict[str, Any]:
    """Change rate limits (``minute``, ``day``, ``app_minute``, ``concurrent``: 0 = no limit;
    ``window_seconds``: length of the "minute"; ``enabled``: false turns every limit off).
    The counters start again."""
    current = asdict(app.limiter.limits)
    unknown = set(changes) - set(current)
    if unknown:
        raise ValueError(f"unknown limits: {', '.join(sorted(unknown))}")
    for key, value in changes.items():
        if key == "enabled":
            if not isinstance(value, bool):
                raise ValueError("enabled must be true or false")
            current[key] = value
        elif key == "window_seconds":
            if not 0 < float(value) <= 86400:
                raise ValueError("window_seconds must be between 0 and 86400")
            current[key] = float(value)
        else:
            if int(value) < 0:
                raise ValueError(f"{key} must not be negative")
            current[key] = int(value)
    app.limiter.reset(Limits(**current))
    return current


# -- HTTP -----------------------------------------------------------------------------------


def _body(request: Request) -> dict[str, Any]:
    data = request.json()
    if not isinstance(data, dict):
        raise ValueError("expected a JSON object")
    return data


def _wrap(operation: Handler) -> Handler:
    def handler(app: SandboxApp, request: Request, params: dict[str, str]) -> Response:
        try:
            return operation(app, request, params)
        except (ValueError, TypeError, KeyError) as exc:
            return json_response(400, {"error": "bad_request", "message": str(exc)})

    return handler


def _advance_clock(app: SandboxApp, request: Request, params: dict[str, str]) -> Response:
    seconds = float(_body(request)["advance_seconds"])
    return json_response(
        200, {"clock_offset": app.state.advance_clock(seconds), "now": app.state.now()}
    )


def _add_fault(app: SandboxApp, request: Request, params: dict[str, str]) -> Response:
    app.faults.add(fault_from_json(_body(request)))
    return json_response(200, {"faults": app.faults.to_json()})


def _clear_faults(app: SandboxApp, request: Request, params: dict[str, str]) -> Response:
    app.faults.clear()
    return json_response(200, {"faults": []})


def _auto_consent(app: SandboxApp, request: Request, params: dict[str, str]) -> Response:
    app.auto_consent = bool(_body(request)["enabled"])
    return json_response(200, {"auto_consent": app.auto_consent})


def _reset(app: SandboxApp, request: Request, params: dict[str, str]) -> Response:
    app.reset()
    return json_response(200, {"reset": True})


def _simple(operation: Callable[[SandboxApp], dict[str, Any]]) -> Handler:
    def handler(app: SandboxApp, request: Request, params: dict[str, str]) -> Response:
        return json_response(200, operation(app))

    return handler


def _limits(app: SandboxApp, request: Request, params: dict[str, str]) -> Response:
    return json_response(200, {"limits": set_limits(app, **_body(request))})


def register(router: Router) -> None:
    routes: list[tuple[str, str, Handler]] = [
        ("GET", "stats", _simple(stats)),
        ("GET", "info", _simple(info)),
        ("POST", "clock", _advance_clock),
        ("GET", "faults", _simple(lambda app: {"faults": app.faults.to_json()})),
        ("POST", "faults", _add_fault),
        ("DELETE", "faults", _clear_faults),
        ("POST", "reset-demo", _simple(reset_demo)),
        ("POST", "expire-access-tokens", _simple(expire_access_tokens)),
        ("POST", "practice", _simple(add_practice)),
        ("POST", "limits", _limits),
        ("POST", "auto-consent", _auto_consent),
        ("POST", "reset", _reset),
    ]
    for method, name, handler in routes:
        router.add(method, f"/_sandbox/{name}", _wrap(handler), f"admin.{name}")
