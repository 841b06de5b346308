"""Small request/response types shared by the sandbox's route modules (no HTTP server here)."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from email.message import Message
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: Message
    body: bytes = b""
    endpoint: str = ""
    _form: dict[str, list[str]] | None = field(default=None, repr=False)

    def arg(self, name: str) -> str | None:
        """First value of a query parameter, or None."""
        values = self.query.get(name)
        return values[0] if values else None

    @property
    def form(self) -> dict[str, list[str]]:
        """The body parsed as application/x-www-form-urlencoded (empty for other types)."""
        if self._form is None:
            ctype = (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()
            if ctype == "application/x-www-form-urlencoded" and self.body:
                text = self.body.decode("utf-8", errors="replace")
                self._form = parse_qs(text, keep_blank_values=True)
            else:
                self._form = {}
        return self._form

    def field(self, name: str) -> str | None:
        values = self.form.get(name)
        return values[0] if values else None

    def json(self) -> Any:
        """The body parsed as JSON; an empty body is an empty object."""
        if not self.body.strip():
            return {}
        return json.loads(self.body.decode("utf-8"))


@dataclass
class Response:
    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str | None = None


def json_response(status: int, data: Any, headers: dict[str, str] | None = None) -> Response:
    body = json.dumps(data, separators=(",", ":")).encode("utf-8")
    return Response(status, body, dict(headers or {}), "application/json; charset=utf-8")


def html_response(status: int, html: str, headers: dict[str, str] | None = None) -> Response:
    all_headers = {
        "Cache-Control": "no-store",
        "X-Frame-Options": "DENY",
        "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'",
        **(headers or {}),
    }
    return Response(status, html.encode("utf-8"), all_headers, "text/html; charset=utf-8")


def empty(status: int, headers: dict[str, str] | None = None) -> Response:
    return Response(status, b"", dict(headers or {}))


def redirect(base: str, params: dict[str, str]) -> Response:
    """302 to ``base`` with ``params`` added to its query string."""
    parts = urlsplit(base)
    query = parts.query + ("&" if parts.query and params else "") + urlencode(params)
    location = urlunsplit((parts.scheme, parts.netloc, parts.path, query, ""))
    return Response(302, b"", {"Location": location, "Cache-Control": "no-store"})


def problem(
    status: int, title: str, detail: str, headers: dict[str, str] | None = None
) -> Response:
    """The problem-details JSON body the Xero API answers with (401, 403, 404, 429 ...)."""
    data: dict[str, Any] = {
        "Type": None,
        "Title": title,
        "Status": status,
        "Detail": detail,
        "Instance": str(uuid.uuid4()),
        "Extensions": {},
    }
    return json_response(status, data, headers)


def oauth_error(error: str, description: str | None = None, status: int = 400) -> Response:
    """The token/revocation endpoints' error body: ``{"error": ...}``."""
    data: dict[str, str] = {"error": error}
    if description:
        data["error_description"] = description
    return json_response(status, data, {"Cache-Control": "no-store", "Pragma": "no-cache"})
