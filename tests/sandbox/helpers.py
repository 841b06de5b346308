"""A test-side OAuth client for the sandbox, written from Xero's documentation (not from core):
PKCE, the consent form, the token calls and bearer API calls, all with ``requests``."""

from __future__ import annotations

import base64
import hashlib
import json
import re
import secrets
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

import requests

from maica_xero_desktop.sandbox import Sandbox

REDIRECT = "http://localhost:5717/callback"
SCOPES = "openid profile email offline_access accounting.invoices accounting.settings.read"
TIMEOUT = 10


def pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(64)[:64]
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def query_of(location: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


def jwt_claims(token: str) -> dict[str, Any]:
    payload = token.split(".")[1]
    decoded = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    claims: dict[str, Any] = json.loads(decoded)
    return claims


def consent_id(html: str) -> str:
    found = re.search(r'name="consent_id" value="([^"]+)"', html)
    assert found, "no consent form in the page"
    return found.group(1)


def tenant_values(html: str) -> list[str]:
    return re.findall(r'name="tenant" value="([^"]+)"', html)


@dataclass
class Flow:
    """One app's view of the sandbox. ``verifier`` is the last authorize call's PKCE verifier."""

    sandbox: Sandbox
    client_id: str = ""
    redirect_uri: str = REDIRECT
    verifier: str = ""
    extra: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.client_id = self.client_id or self.sandbox.client_id

    @property
    def url(self) -> str:
        return self.sandbox.base_url

    def authorize_params(self, **overrides: str | None) -> dict[str, str]:
        self.verifier, challenge = pkce_pair()
        params: dict[str, str | None] = {
            "response_type": "code",
            "client_id": self.client_id,
            "redirect_uri": self.redirect_uri,
            "scope": SCOPES,
            "state": secrets.token_urlsafe(16),
            "code_challenge": challenge,
            "code_challenge_method": "S256",
        }
        params.update(overrides)
        return {k: v for k, v in params.items() if v is not None}

    def authorize(self, params: dict[str, str]) -> requests.Response:
        return requests.get(
            f"{self.url}/identity/connect/authorize",
            params=params,
            allow_redirects=False,
            timeout=TIMEOUT,
        )

    def submit(
        self, page: requests.Response, action: str = "allow", tenants: list[str] | None = None
    ) -> requests.Response:
        chosen = tenant_values(page.text) if tenants is None else tenants
        return requests.post(
            f"{self.url}/identity/connect/authorize",
            data={"consent_id": consent_id(page.text), "action": action, "tenant": chosen},
            allow_redirects=False,
            timeout=TIMEOUT,
        )

    def code(self, tenants: list[str] | None = None, **overrides: str | None) -> dict[str, str]:
        """Authorize and allow: the callback's query (code, state, scope)."""
        params = self.authorize_params(**overrides)
        page = self.authorize(params)
        if page.status_code == 200:
            page = self.submit(page, "allow", tenants)
        assert page.status_code == 302, page.text
        callback = query_of(page.headers["Location"])
        assert callback.get("state") == params.get("state")
        return callback

    def token(self, data: dict[str, str], **kwargs: Any) -> requests.Response:
        return requests.post(f"{self.url}/connect/token", data=data, timeout=TIMEOUT, **kwargs)

    def exchange(self, code: str, **overrides: str) -> requests.Response:
        data = {
            "grant_type": "authorization_code",
            "client_id": self.client_id,
            "code": code,
            "redirect_uri": self.redirect_uri,
            "code_verifier": self.verifier,
            **self.extra,
        }
        data.update(overrides)
        return self.token(data)

    def connect(self, tenants: list[str] | None = None, **overrides: str | None) -> dict[str, Any]:
        """The whole sign-in: a token response."""
        response = self.exchange(self.code(tenants, **overrides)["code"])
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    def refresh(self, refresh_token: str) -> requests.Response:
        data = {"grant_type": "refresh_token", "client_id": self.client_id}
        data.update(self.extra)
        data["refresh_token"] = refresh_token
        return self.token(data)

    def revoke(self, token: str) -> requests.Response:
        data = {"token": token, "client_id": self.client_id, **self.extra}
        return requests.post(f"{self.url}/connect/revocation", data=data, timeout=TIMEOUT)

    def connections(self, access_token: str, **params: str) -> requests.Response:
        headers = {"Authorization": f"Bearer {access_token}"}
        return requests.get(
            f"{self.url}/connections", headers=headers, params=params, timeout=TIMEOUT
        )

    def api(
        self, access_token: str, tenant_id: str | None, path: str = "Organisation"
    ) -> requests.Response:
        headers = {"Authorization": f"Bearer {access_token}", "Accept": "application/json"}
        if tenant_id is not None:
            headers["xero-tenant-id"] = tenant_id
        return requests.get(f"{self.url}/api.xro/2.0/{path}", headers=headers, timeout=TIMEOUT)

    def admin(self, method: str, name: str, body: dict[str, Any] | None = None) -> Any:
        response = requests.request(
            method, f"{self.url}/_sandbox/{name}", json=body, timeout=TIMEOUT
        )
        assert response.status_code == 200, response.text
        return response.json()
