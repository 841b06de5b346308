"""The list half of GET /Invoices and GET /Contacts: candidates from indexes, ``where``,
extra filters, ``If-Modified-Since`` (strictly later ``UpdatedDateUTC``), ``order``, paging."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from .accounting import envelope
from .query import (
    Fields,
    Value,
    candidates,
    matches,
    order_key,
    pagination,
    paging,
    parse_since,
    parse_where,
)
from .web import Request

if TYPE_CHECKING:
    from .app import SandboxApp

T = TypeVar("T")
Page = Callable[["SandboxApp", str, list[dict[str, Any]]], dict[str, Any]]


def listing(
    request: Request,
    records: dict[str, T],
    fields: Fields,
    type_name: str,
    indexes: Mapping[str, Callable[[Value], Iterable[T]]],
    filters: list[Callable[[T], bool]],
    seed: list[T] | None = None,
    position: Callable[[T], int] | None = None,
) -> tuple[list[T], Page]:
    """Matching records (insertion order unless ``order``) and a function that wraps their
    JSON in the envelope (with ``pagination`` when ``page`` was given). Raises QueryError."""
    where = (request.arg("where") or "").strip()
    groups = parse_where(where, fields, type_name) if where else None
    pool: Iterable[T]
    if seed is not None:
        pool = seed
    elif groups is not None:
        found = candidates(groups, indexes)
        pool = records.values() if found is None else found
    else:
        pool = records.values()
    since = parse_since(request.headers.get("If-Modified-Since"))
    if since is not None:
        cut = int(since * 1000)  # UpdatedDateUTC is reported in whole milliseconds
        filters = [*filters, lambda r: int(float(getattr(r, "updated", 0.0)) * 1000) > cut]
    if groups is not None:
        chosen = groups
        filters = [*filters, lambda r: matches(chosen, fields, r)]
    items = [r for r in pool if all(f(r) for f in filters)]
    if pool is not records.values() and position is not None:
        items.sort(key=position)  # index hits in creation order
    order = (request.arg("order") or "").strip()
    if order:
        key, reverse = order_key(order, fields, type_name)
        items.sort(key=key, reverse=reverse)
    paged = paging(request.arg("page"), request.arg("pageSize"))
    total = len(items)
    if paged is not None:
        number, per = paged
        items = items[(number - 1) * per : number * per]

    def page(app: SandboxApp, key: str, rendered: list[dict[str, Any]]) -> dict[str, Any]:
        data = envelope(app, key, rendered)
        if paged is not None:
            data["pagination"] = pagination(paged[0], paged[1], total)
        return data

    return items, page
