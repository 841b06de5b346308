"""The pieces of the sandbox's webhook sender: settings, a delivery's body, the signed POST.

Stdlib only, nothing shared with core: the signature is computed here from Xero's description
(base64 of HMAC-SHA256 over the exact body bytes, keyed with the webhook key's text).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import http.client
import itertools
import json
import secrets
import ssl
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

CATEGORIES = ("INVOICE", "CONTACT", "CREDITNOTE", "SUBSCRIPTION")


def new_key() -> str:
    """A key shaped like the portal's: 64 random bytes, base64."""
    return base64.b64encode(secrets.token_bytes(64)).decode("ascii")


def signature(key: str, body: bytes) -> str:
    return base64.b64encode(hmac.new(key.encode("utf-8"), body, hashlib.sha256).digest()).decode()


@dataclass
class Settings:
    url: str
    key: str = field(repr=False)
    duplicate_rate: float = 0.0
    categories: tuple[str, ...] = ("INVOICE",)
    max_attempts: int = 6
    retry_base_seconds: float = 0.2
    timeout: float = 5.0
    seed: int | None = None
    #: send bodies with Transfer-Encoding: chunked, as a tunnel or proxy may re-frame them
    chunked: bool = False

    @classmethod
    def from_json(cls, body: dict[str, Any], make_key: Callable[[], str]) -> Settings:
        url = body.get("url")
        if not isinstance(url, str) or urlsplit(url).scheme not in ("http", "https"):
            raise ValueError("url must be an http(s) address")
        if not urlsplit(url).hostname:
            raise ValueError("url must name a host")
        key = body.get("key") or make_key()
        if not isinstance(key, str):
            raise ValueError("key must be text")
        rate = float(body.get("duplicate_rate", 0.0))
        if not 0.0 <= rate <= 1.0:
            raise ValueError("duplicate_rate must be between 0 and 1")
        categories = tuple(str(c).upper() for c in body.get("categories", ["INVOICE"]))
        unknown = set(categories) - set(CATEGORIES)
        if unknown or not categories:
            raise ValueError(f"categories must be some of {', '.join(CATEGORIES)}")
        attempts = int(body.get("max_attempts", 6))
        base = float(body.get("retry_base_seconds", 0.2))
        timeout = float(body.get("timeout", 5.0))
        if not 1 <= attempts <= 50 or not 0 <= base <= 3600 or not 0 < timeout <= 60:
            raise ValueError("max_attempts 1-50, retry_base_seconds 0-3600, timeout 0-60")
        seed = body.get("seed")
        chunked = body.get("chunked", False)
        if not isinstance(chunked, bool):
            raise ValueError("chunked must be true or false")
        return cls(
            url,
            key,
            rate,
            categories,
            attempts,
            base,
            timeout,
            int(seed) if seed else None,
            chunked,
        )

    def to_json(self, with_key: bool) -> dict[str, Any]:
        data: dict[str, Any] = {
            "url": self.url,
            "duplicate_rate": self.duplicate_rate,
            "categories": list(self.categories),
            "max_attempts": self.max_attempts,
            "retry_base_seconds": self.retry_base_seconds,
            "timeout": self.timeout,
            "chunked": self.chunked,
        }
        if with_key:
            data["key"] = self.key
        return data


@dataclass
class Delivery:
    events: list[dict[str, Any]]
    first: int
    last: int
    entropy: str = field(default_factory=lambda: secrets.token_hex(10).upper())
    attempts: int = 0
    duplicate: bool = False
    _body: bytes | None = field(default=None, repr=False)

    def body(self) -> bytes:
        """The exact bytes sent (and signed); the same for every retry of this delivery."""
        if self._body is None:
            data = {
                "events": self.events,
                "firstEventSequence": self.first,
                "lastEventSequence": self.last,
                "entropy": self.entropy,
            }
            self._body = json.dumps(data, separators=(",", ":")).encode("utf-8")
        return self._body


@dataclass(frozen=True)
class Attempt:
    status: int | None
    body_empty: bool = True
    cookie: bool = False
    error: str = ""

    @property
    def clean(self) -> bool:
        """A 200 the way Xero wants it: nothing in the body, no cookie."""
        return self.body_empty and not self.cookie

    def to_json(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "body_empty": self.body_empty,
            "cookie": self.cookie,
            "error": self.error,
        }


def _chunks(body: bytes) -> list[bytes]:
    """The body in a few uneven pieces (each sent as one chunk)."""
    cut = [0, min(len(body), 5), max(5, len(body) // 2), len(body)]
    return [body[a:b] for a, b in itertools.pairwise(cut) if b > a]


def post(url: str, body: bytes, signed: str, timeout: float, chunked: bool = False) -> Attempt:
    """POST ``body`` to ``url`` with the signature header (``Transfer-Encoding: chunked`` when
    ``chunked``); never raises."""
    parts = urlsplit(url)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    connection: http.client.HTTPConnection
    if parts.scheme == "https":
        context = ssl.create_default_context()
        connection = http.client.HTTPSConnection(
            parts.hostname or "", parts.port, timeout=timeout, context=context
        )
    else:
        connection = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=timeout)
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "x-xero-signature": signed,
        "User-Agent": "XeroSandbox-Webhooks/1.0",
    }
    try:
        if chunked:
            connection.request(
                "POST", path, body=iter(_chunks(body)), headers=headers, encode_chunked=True
            )
        else:
            connection.request("POST", path, body=body, headers=headers)
        response = connection.getresponse()
        content = response.read()
        return Attempt(
            status=response.status,
            body_empty=not content,
            cookie=response.getheader("Set-Cookie") is not None,
        )
    except (OSError, http.client.HTTPException) as exc:
        return Attempt(status=None, error=type(exc).__name__)
    finally:
        connection.close()
