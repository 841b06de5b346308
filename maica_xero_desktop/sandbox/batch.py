"""What every Accounting API write shares: reading ``{"Invoices": [...]}`` bodies (or a single
object), ``summarizeErrors``, Xero's 400 ``ValidationException`` / ``PostDataInvalidException``,
``Idempotency-Key`` replays (and refusals), and Xero's error for unparseable queries."""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .accounting import envelope
from .api import ApiContext, ApiHandler, add_api_route
from .invoice_rules import ZERO_ID
from .ledger import Ledger, LedgerEvent
from .query import QueryError
from .routes import Router
from .web import Request, Response, json_response, problem

if TYPE_CHECKING:
    from .app import SandboxApp

log = logging.getLogger(__name__)

MAX_IDEMPOTENCY_KEY = 128


class PostDataError(ValueError):
    """The body is not the JSON Xero expects (400 PostDataInvalidException)."""


def xero_error(number: int, kind: str, message: str, elements: list[Any] | None = None) -> Response:
    data: dict[str, Any] = {"ErrorNumber": number, "Type": kind, "Message": message}
    if elements is not None:
        data["Elements"] = elements
    return json_response(400, data)


def query_error(exc: QueryError) -> Response:
    return xero_error(16, "QueryParseException", str(exc))


def elements(request: Request, key: str) -> list[Any]:
    """The items of ``{"<key>": [...]}``; a single object (without ``key``) is one item."""
    try:
        data = request.json()
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise PostDataError(f"JSON for post data was invalid: {exc}") from exc
    if isinstance(data, dict) and key in data:
        items = data[key]
        if not isinstance(items, list):
            raise PostDataError(f"'{key}' must be an array")
        return items
    if isinstance(data, dict) and data:
        return [data]
    raise PostDataError("The request body is empty or not an object")


def summarize_errors(request: Request) -> bool:
    """``summarizeErrors`` defaults to true: any failure turns the answer into a 400."""
    value = request.arg("summarizeErrors")
    return value is None or value.strip().lower() not in ("false", "0", "no")


def unitdp(request: Request) -> int:
    return 4 if (request.arg("unitdp") or "").strip() == "4" else 2


def batch_response(
    app: SandboxApp, key: str, results: list[tuple[dict[str, Any], bool]], summarize: bool
) -> Response:
    """``results``: (element JSON, failed?). Failures under summarizeErrors -> 400 whose
    ``Elements`` are the failed elements (the good ones were stored all the same)."""
    if summarize and any(failed for _, failed in results):
        failed = [item for item, bad in results if bad]
        return xero_error(10, "ValidationException", "A validation exception occurred", failed)
    return json_response(200, envelope(app, key, [item for item, _ in results]))


def fingerprint(request: Request) -> str:
    """What makes two requests "the same" for an Idempotency-Key: method, path, query, body."""
    query = sorted((k, v) for k, values in request.query.items() for v in values)
    head = json.dumps([request.method, request.path.lower(), query], separators=(",", ":"))
    return hashlib.sha256(head.encode("utf-8") + b"\n" + request.body).hexdigest()


def internal_error() -> Response:
    return problem(
        500,
        "An error occurred",
        "An error occurred in Xero. Check the API Status page for current service status.",
    )


def idempotent(
    app: SandboxApp, request: Request, ctx: ApiContext, act: Callable[[], Response]
) -> Response:
    """Xero's idempotent requests: a key (any case) lives ``SandboxConfig.idempotency_lifetime``
    seconds from its first call, per app (client id) and organisation. The same request under a
    live key gets the first answer verbatim, *including* a 5xx; a different method, URL or body
    under it is a 400. An ``internal_error`` fault answers 500 here without acting (and is
    cached like any other answer)."""
    key = request.headers.get("Idempotency-Key")
    if key is None:
        return act()
    if len(key) > MAX_IDEMPOTENCY_KEY or not key.strip():
        return xero_error(
            10,
            "ValidationException",
            f"The Idempotency-Key header must be 1 to {MAX_IDEMPOTENCY_KEY} characters long",
        )
    scoped = f"{ctx.access.client_id}|{key.strip().lower()}"
    mark = fingerprint(request)
    state = app.state
    with state.lock:
        ledger = state.ledger(ctx.org.tenant_id)
        now = state.now()
        found = ledger.replay(scoped, now)
        if found is not None:
            first, status, body, ctype = found
            if first != mark:
                return problem(
                    400, "Bad Request", f"Idempotency Key: {key} is used with a different request."
                )
            app.stats.count_tenant(ctx.org.tenant_id, "idempotent_replays")
            return Response(status, body, {}, ctype)
        if app.faults.take("internal_error", request.endpoint) is not None:
            response = internal_error()
        else:
            try:
                response = act()
            except Exception:
                log.exception("sandbox: %s %s failed", request.method, request.path)
                response = internal_error()
        expires = now + app.config.idempotency_lifetime
        ledger.remember(
            scoped, expires, mark, response.status, response.body, response.content_type
        )
        return response


@dataclass
class BatchWrite:
    """One write request's view of an organisation's books, for the element at hand."""

    ledger: Ledger
    tenant: str
    now: float
    events: list[LedgerEvent] = field(default_factory=list)
    #: something was written that no event tells of: the state is saved all the same
    changed: bool = False

    def event(self, category: str, kind: str, resource_id: str) -> None:
        self.events.append(LedgerEvent(self.tenant, category, kind, resource_id, self.now))


def refused(
    id_field: str, message: str, flag: str = "HasValidationErrors"
) -> tuple[dict[str, Any], bool]:
    """An element Xero refused, as a batch answer lists it (the id is all zeros)."""
    element = {
        id_field: ZERO_ID,
        flag: True,
        "StatusAttributeString": "ERROR",
        "ValidationErrors": [{"Message": message}],
    }
    return element, True


#: writes one element of the body: (its JSON in the answer, failed?)
WriteOne = Callable[[BatchWrite, Any], tuple[dict[str, Any], bool]]


def write_batch(
    app: SandboxApp, request: Request, ctx: ApiContext, key: str, one: WriteOne
) -> Response:
    """A PUT or POST of ``{"<key>": [...]}``: each element written by ``one`` under the state's
    lock, the changes saved and told to listeners after it, the answer as Xero gives it
    (``summarizeErrors``), the whole request idempotent."""

    def act() -> Response:
        try:
            items = elements(request, key)
        except PostDataError as exc:
            return xero_error(14, "PostDataInvalidException", str(exc))
        state, tenant = app.state, ctx.org.tenant_id
        results: list[tuple[dict[str, Any], bool]] = []
        with state.lock:
            batch = BatchWrite(state.ledger(tenant), tenant, state.now())
            for given in items:
                results.append(one(batch, given))
            if batch.events or batch.changed:
                state.mark_dirty()
        app.stats.batch(tenant, request.endpoint, len(items))
        state.notify(batch.events)
        return batch_response(app, key, results, summarize_errors(request))

    return idempotent(app, request, ctx, act)


def register_writable(
    router: Router,
    name: str,
    handlers: tuple[ApiHandler, ApiHandler, Callable[..., Response]],
    read: tuple[str, ...],
    write: tuple[str, ...],
) -> None:
    """``GET <name>`` and ``GET <name>/{id}``, ``PUT <name>`` (create) and ``POST <name>``,
    ``POST <name>/{id}`` (create or update). ``handlers``: (list, one, writer), the writer
    called as ``writer(app, request, ctx, update=..., path_id=...)``."""
    get_all, get_one, writer = handlers

    def put(app: SandboxApp, request: Request, params: dict[str, str], ctx: ApiContext) -> Response:
        return writer(app, request, ctx, update=False, path_id=None)

    def post(
        app: SandboxApp, request: Request, params: dict[str, str], ctx: ApiContext
    ) -> Response:
        return writer(app, request, ctx, update=True, path_id=params.get("key"))

    add_api_route(router, "GET", rf"{name}/?", get_all, scopes=read)
    add_api_route(router, "GET", rf"{name}/(?P<key>[^/]+)/?", get_one, scopes=read)
    add_api_route(router, "PUT", rf"{name}/?", put, scopes=write)
    add_api_route(router, "POST", rf"{name}/?", post, scopes=write)
    add_api_route(router, "POST", rf"{name}/(?P<key>[^/]+)/?", post, scopes=write)
