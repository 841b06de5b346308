"""The webhook *site* and the Delivery URL derived from it.

The site is the public HTTPS base the organisation exposes (a reverse proxy, a tunnel, a small
server) that forwards to this product's receiver. The Delivery URL to paste into Xero's developer
portal is always ``<site>`` + :data:`DELIVERY_PATH`, for example ``https://hooks.example.org`` →
``https://hooks.example.org/xero/webhooks``, and ``https://example.org/maica`` →
``https://example.org/maica/xero/webhooks``.

Proxies differ in what they pass on, so the receiver accepts a POST on any of:

- the full path of the Delivery URL (the proxy forwards the path unchanged),
- :data:`DELIVERY_PATH` (the proxy strips the site's own path prefix),
- ``/`` (the proxy maps the Delivery URL onto the receiver's root).

Rules for the site: ``https://`` (Xero delivers only to public HTTPS on port 443; plain
``http://`` is accepted for ``localhost``, ``127.0.0.1`` and ``::1``, to test with a local
sender); a host; no user name or password, query or fragment. A pasted Delivery URL is accepted
as the site it was derived from.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit, urlunsplit

from ..errors import ConfigurationError

DELIVERY_PATH = "/xero/webhooks"
LOOPBACK_HOSTS = ("localhost", "127.0.0.1", "::1")


def _is_loopback(host: str) -> bool:
    if host in LOOPBACK_HOSTS:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def normalise_site(text: str) -> str:
    """The site in its canonical form, or :class:`ConfigurationError` with the reason."""
    raw = text.strip()
    if not raw:
        raise ConfigurationError(
            "Give the webhook site as an address such as https://hooks.example.org."
        )
    if any(ch.isspace() for ch in raw) or any(ord(ch) < 32 for ch in raw):
        raise ConfigurationError("The webhook site must not contain spaces.")
    try:
        parts = urlsplit(raw)
        port = parts.port
    except ValueError:
        raise ConfigurationError(
            f"'{raw}' is not a web address. Give it as https://hooks.example.org."
        ) from None
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if scheme not in ("https", "http") or not host:
        raise ConfigurationError(
            f"'{raw}' is not a web address. Give it as https://hooks.example.org."
        )
    if scheme == "http" and not _is_loopback(host):
        raise ConfigurationError(
            "The webhook site must start with https:// — Xero delivers only to HTTPS. Plain "
            "http:// is accepted only for localhost or 127.0.0.1, for testing."
        )
    if parts.username is not None or parts.password is not None:
        raise ConfigurationError("The webhook site must not contain a user name or password.")
    if parts.query or parts.fragment or raw.endswith(("?", "#")):
        raise ConfigurationError(
            "The webhook site must not have a query (?...) or a fragment (#...): give only the "
            "address, such as https://hooks.example.org."
        )
    if scheme == "https" and port not in (None, 443) and not _is_loopback(host):
        raise ConfigurationError(
            f"Xero delivers webhooks only to port 443; the site names port {port}. Let the "
            "proxy listen on 443 and forward to this computer's receiver."
        )
    path = parts.path.rstrip("/")
    if path.lower().endswith(DELIVERY_PATH):
        path = path[: -len(DELIVERY_PATH)]  # the Delivery URL itself was pasted
    if "//" in path or any(seg in (".", "..") for seg in path.split("/")):
        raise ConfigurationError("The webhook site's path must not contain '//', '.' or '..'.")
    shown_host = f"[{host}]" if ":" in host else host
    default_port = port is None or (scheme, port) in (("https", 443), ("http", 80))
    netloc = shown_host if default_port else f"{shown_host}:{port}"
    return urlunsplit((scheme, netloc, path, "", ""))


def delivery_url(site: str) -> str:
    """The exact URL to paste into Xero's developer portal ('' when no site is set)."""
    return f"{site.rstrip('/')}{DELIVERY_PATH}" if site else ""


def receiver_paths(site: str) -> tuple[str, ...]:
    """Request paths the receiver answers (lower-case, without a trailing slash, '/' kept)."""
    paths = [DELIVERY_PATH, "/"]
    if site:
        prefix = urlsplit(site).path.rstrip("/")
        if prefix:
            paths.insert(0, f"{prefix}{DELIVERY_PATH}".lower())
    return tuple(paths)


def matches_path(path: str, accepted: tuple[str, ...]) -> bool:
    """Whether a request path (query ignored) is one the receiver answers."""
    bare = path.split("?", 1)[0].split("#", 1)[0]
    if bare != "/":
        bare = bare.rstrip("/")
    return (bare.lower() or "/") in accepted
