"""A tiny path router: each area of the sandbox (identity, connections, accounting, admin)
registers its routes on one :class:`Router`."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .web import Request, Response

if TYPE_CHECKING:
    from .app import SandboxApp

Handler = Callable[["SandboxApp", Request, dict[str, str]], Response]
#: A route's endpoint name for stats and faults: fixed, or computed from the request
#: (the token endpoint is named after its grant type).
EndpointName = str | Callable[[Request], str]


@dataclass(frozen=True)
class Route:
    method: str
    pattern: re.Pattern[str]
    handler: Handler
    name: EndpointName
    #: the handler applies "delay" faults itself (inside its rate-limit slot)
    handles_delay: bool = False

    def endpoint(self, request: Request) -> str:
        return self.name if isinstance(self.name, str) else self.name(request)


@dataclass(frozen=True)
class Match:
    route: Route | None
    params: dict[str, str]
    allowed: tuple[str, ...]


class Router:
    def __init__(self) -> None:
        self._routes: list[Route] = []

    def add(
        self,
        method: str,
        path: str,
        handler: Handler,
        name: EndpointName,
        *,
        handles_delay: bool = False,
    ) -> None:
        """Register ``path`` (a regex, matched whole and case-insensitively, with named groups)."""
        pattern = re.compile(path, re.IGNORECASE)
        self._routes.append(Route(method.upper(), pattern, handler, name, handles_delay))

    def match(self, method: str, path: str) -> Match:
        allowed: list[str] = []
        for route in self._routes:
            found = route.pattern.fullmatch(path)
            if not found:
                continue
            if route.method == method:
                return Match(route, found.groupdict(), ())
            allowed.append(route.method)
        return Match(None, {}, tuple(allowed))
