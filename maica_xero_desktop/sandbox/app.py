"""The sandbox application: state, faults, stats and rate limits behind one dispatcher.

The HTTP server (server.py) turns a socket request into a :class:`Request`, calls
:meth:`SandboxApp.dispatch` and writes the :class:`Response` back (or drops the connection).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from . import (
    accounting,
    admin,
    admin_books,
    authorize,
    connections,
    contacts,
    credits,
    identity,
    invoices,
    payments,
    settings_api,
    webhooks,
)
from .config import SandboxConfig
from .faults import CallStats, FaultBook
from .maica import routes as maica_routes
from .maica.runtime import MaicaRuntime
from .ratelimit import Limits, RateLimiter
from .routes import Router
from .state import SandboxState
from .web import Request, Response, json_response, problem

log = logging.getLogger(__name__)


@dataclass
class Outcome:
    response: Response
    #: close the connection without sending anything (the "lost response" fault)
    drop: bool = False


def limits_from_config(config: SandboxConfig) -> Limits:
    return Limits(
        minute=config.rate_minute,
        day=config.rate_day,
        app_minute=config.rate_app_minute,
        concurrent=config.rate_concurrent,
        window_seconds=config.rate_window_seconds,
        enabled=config.rate_limits_enabled,
    )


class SandboxApp:
    def __init__(self, config: SandboxConfig) -> None:
        self.config = config
        self.state = SandboxState(config)
        self.faults = FaultBook()
        self.stats = CallStats()
        self.limiter = RateLimiter(limits_from_config(config), self.state.now)
        self.auto_consent = config.auto_consent
        self.base_url = f"http://{config.host}:{config.port}"
        self.router = Router()
        modules = (authorize, identity, connections, accounting, settings_api, contacts, invoices)
        for module in (*modules, payments, credits, admin, admin_books, webhooks):
            module.register(self.router)
        #: the offline Maica org's faults, call counts, query cursors and bulk jobs
        self.maica = MaicaRuntime()
        maica_routes.register(self.router)
        self.webhooks = webhooks.WebhookSender(lambda: self.base_url, self.state.now)
        self.state.listeners.append(self.webhooks.on_event)

    def reset(self) -> None:
        """Everything back to a fresh sandbox (state, clock, faults, stats, limits)."""
        self.state.reset()
        self.faults.clear()
        self.stats.clear()
        self.limiter.reset(limits_from_config(self.config))
        self.auto_consent = self.config.auto_consent
        self.webhooks.reset()
        self.maica.reset()

    def delay_fault(self, endpoint: str) -> None:
        fault = self.faults.take("delay", endpoint)
        if fault is not None:
            time.sleep(fault.delay_seconds)

    def dispatch(self, request: Request) -> Outcome:
        found = self.router.match(request.method, request.path)
        if found.route is None:
            if found.allowed:
                allow = ", ".join(sorted(set(found.allowed)))
                refused = {"error": "method_not_allowed", "allowed": allow}
                return Outcome(json_response(405, refused, {"Allow": allow}))
            return Outcome(
                problem(404, "NotFound", "The resource you're looking for cannot be found")
            )
        route = found.route
        request.endpoint = route.endpoint(request)
        self.stats.count(request.endpoint)
        status_fault = self.faults.roll(request.endpoint) or self.faults.take(
            "status", request.endpoint
        )
        if status_fault is not None:
            headers = {}
            if status_fault.retry_after is not None:
                headers["Retry-After"] = str(status_fault.retry_after)
            body: dict[str, object] = {"error": "sandbox_fault", "status": status_fault.status}
            return Outcome(json_response(status_fault.status, body, headers))
        if not route.handles_delay:
            self.delay_fault(request.endpoint)
        try:
            response = route.handler(self, request, found.params)
        except Exception:
            log.exception("sandbox: %s %s failed", request.method, request.path)
            return Outcome(
                json_response(500, {"error": "server_error", "message": "internal error"})
            )
        drop = self.faults.take("drop_response", request.endpoint) is not None
        if not drop and request.endpoint.startswith("maica."):
            drop = self.maica.faults.take_drop(request.endpoint.removeprefix("maica."))
        return Outcome(response, drop)
