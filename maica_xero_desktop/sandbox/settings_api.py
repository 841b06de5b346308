"""``GET /Accounts``, ``/TaxRates``, ``/TrackingCategories``, ``/Currencies``: each
organisation's seeded settings (see chart.py), with ``where`` and ``order`` on their fields."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .accounting import SETTINGS_READ, envelope
from .api import ApiContext, add_api_route
from .batch import query_error
from .query import Fields, QueryError, Value, flag, matches, order_key, parse_where
from .routes import Router
from .web import Request, Response, json_response

if TYPE_CHECKING:
    from .app import SandboxApp


def _fields(items: list[dict[str, Any]]) -> Fields:
    names = {key for item in items for key, value in item.items() if not isinstance(value, list)}

    def getter(name: str) -> Callable[[Any], Value]:
        return lambda item: item.get(name)

    return {name.lower(): getter(name) for name in names}


def _listing(
    app: SandboxApp, request: Request, key: str, type_name: str, items: list[dict[str, Any]]
) -> Response:
    fields = _fields(items)
    try:
        where = request.arg("where")
        if where and where.strip():
            groups = parse_where(where, fields, type_name)
            items = [item for item in items if matches(groups, fields, item)]
        order = request.arg("order")
        if order and order.strip():
            sort, reverse = order_key(order, fields, type_name)
            items = sorted(items, key=sort, reverse=reverse)
    except QueryError as exc:
        return query_error(exc)
    return json_response(200, envelope(app, key, items))


def get_accounts(
    app: SandboxApp, request: Request, params: dict[str, str], ctx: ApiContext
) -> Response:
    with app.state.lock:
        items = list(app.state.ledger(ctx.org.tenant_id).chart.accounts.values())
    return _listing(app, request, "Accounts", "Account", items)


def get_tax_rates(
    app: SandboxApp, request: Request, params: dict[str, str], ctx: ApiContext
) -> Response:
    with app.state.lock:
        items = list(app.state.ledger(ctx.org.tenant_id).chart.tax_rates.values())
    return _listing(app, request, "TaxRates", "TaxRate", items)


def get_tracking(
    app: SandboxApp, request: Request, params: dict[str, str], ctx: ApiContext
) -> Response:
    """Archived categories and options only with ``includeArchived=true``, as Xero does."""
    with app.state.lock:
        items = copy.deepcopy(app.state.ledger(ctx.org.tenant_id).chart.tracking)
    if not flag(request.arg("includeArchived")):
        items = [c for c in items if c["Status"] == "ACTIVE"]
        for category in items:
            category["Options"] = [o for o in category["Options"] if o["Status"] == "ACTIVE"]
    return _listing(app, request, "TrackingCategories", "TrackingCategory", items)


def get_currencies(
    app: SandboxApp, request: Request, params: dict[str, str], ctx: ApiContext
) -> Response:
    with app.state.lock:
        items = list(app.state.ledger(ctx.org.tenant_id).chart.currencies)
    return _listing(app, request, "Currencies", "Currency", items)


def register(router: Router) -> None:
    add_api_route(router, "GET", r"Accounts/?", get_accounts, scopes=SETTINGS_READ)
    add_api_route(router, "GET", r"TaxRates/?", get_tax_rates, scopes=SETTINGS_READ)
    add_api_route(router, "GET", r"TrackingCategories/?", get_tracking, scopes=SETTINGS_READ)
    add_api_route(router, "GET", r"Currencies/?", get_currencies, scopes=SETTINGS_READ)
