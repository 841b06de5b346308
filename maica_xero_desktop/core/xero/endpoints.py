"""Xero's base addresses, overridable for the sandbox, and the transport rule.

Real traffic is https only. Plain http is allowed for loopback hosts (the offline sandbox and tests)
and nowhere else; this is decided per URL (the same rule as :func:`..oauth.check_transport`), so no
process-wide switch (such as oauthlib's insecure-transport environment variable) is ever turned
on.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from urllib.parse import quote, urlsplit

from ..errors import ConfigurationError
from ..oauth import is_loopback_host

LOGIN_ENV = "MAICA_XERO_LOGIN_URL"
IDENTITY_ENV = "MAICA_XERO_IDENTITY_URL"
API_ENV = "MAICA_XERO_API_URL"

DEFAULT_LOGIN = "https://login.xero.com"
DEFAULT_IDENTITY = "https://identity.xero.com"
DEFAULT_API = "https://api.xero.com"


def check_transport(url: str) -> None:
    parts = urlsplit(url)
    if parts.scheme == "https":
        return
    if parts.scheme == "http" and is_loopback_host(parts.hostname):
        return
    raise ConfigurationError(
        f"The Xero address {parts.scheme}://{parts.hostname or ''} is not allowed: Xero is only "
        "reached over https (plain http is accepted only for the local sandbox). "
        f"Check {LOGIN_ENV}, {IDENTITY_ENV} and {API_ENV}."
    )


@dataclass(frozen=True)
class XeroEndpoints:
    login_url: str = DEFAULT_LOGIN
    identity_url: str = DEFAULT_IDENTITY
    api_url: str = DEFAULT_API

    @classmethod
    def from_env(cls) -> XeroEndpoints:
        endpoints = cls(
            login_url=(os.environ.get(LOGIN_ENV) or DEFAULT_LOGIN).rstrip("/"),
            identity_url=(os.environ.get(IDENTITY_ENV) or DEFAULT_IDENTITY).rstrip("/"),
            api_url=(os.environ.get(API_ENV) or DEFAULT_API).rstrip("/"),
        )
        for url in (endpoints.login_url, endpoints.identity_url, endpoints.api_url):
            check_transport(url)
        return endpoints

    @property
    def is_sandbox(self) -> bool:
        return any(
            is_loopback_host(urlsplit(url).hostname)
            for url in (self.login_url, self.identity_url, self.api_url)
        )

    @property
    def authorize(self) -> str:
        return f"{self.login_url}/identity/connect/authorize"

    @property
    def token(self) -> str:
        return f"{self.identity_url}/connect/token"

    @property
    def revocation(self) -> str:
        return f"{self.identity_url}/connect/revocation"

    @property
    def connections(self) -> str:
        return f"{self.api_url}/connections"

    def connection(self, connection_id: str) -> str:
        return f"{self.api_url}/connections/{quote(connection_id, safe='')}"

    def accounting(self, path: str) -> str:
        return f"{self.api_url}/api.xro/2.0/{path.lstrip('/')}"
