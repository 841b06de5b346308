"""A test-side Salesforce client for the offline Maica org, written from Salesforce's
documentation (not from core): PKCE sign-in and bearer REST calls with ``requests``."""

from __future__ import annotations

import base64
import hashlib
import secrets
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from maica_xero_desktop.sandbox import Sandbox, SandboxConfig

REDIRECT = "http://localhost:5718/callback"
TIMEOUT = 20
VERSION = "61.0"
NS = "maica_cc__"
INVOICE = NS + "Invoice__c"
LINE = NS + "Invoice_Line_Item__c"
PAYMENT = NS + "Payment__c"


def pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)[:64]
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def query_of(location: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


@dataclass
class Org:
    """One signed-in client of the Maica org."""

    sandbox: Sandbox
    tokens: dict[str, Any] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return self.sandbox.base_url

    def authorize(self, **overrides: str | None) -> tuple[requests.Response, str]:
        verifier, challenge = pkce_pair()
        params: dict[str, str | None] = {
            "response_type": "code",
            "client_id": self.sandbox.sf_client_id,
            "redirect_uri": REDIRECT,
            "code_challenge": challenge,
            "code_challenge_method": "S256",
            "state": secrets.token_urlsafe(12),
            "scope": "api refresh_token",
        }
        params.update(overrides)
        answer = requests.get(
            f"{self.url}/services/oauth2/authorize",
            params={k: v for k, v in params.items() if v is not None},
            allow_redirects=False,
            timeout=TIMEOUT,
        )
        return answer, verifier

    def exchange(self, code: str, verifier: str, **overrides: str) -> requests.Response:
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "client_id": self.sandbox.sf_client_id,
            "redirect_uri": REDIRECT,
            "code_verifier": verifier,
            **overrides,
        }
        return requests.post(f"{self.url}/services/oauth2/token", data=form, timeout=TIMEOUT)

    def sign_in(self) -> dict[str, Any]:
        answer, verifier = self.authorize()
        assert answer.status_code == 302, answer.text
        code = query_of(answer.headers["Location"])["code"]
        token = self.exchange(code, verifier)
        assert token.status_code == 200, token.text
        self.tokens = token.json()
        return self.tokens

    def refresh(self) -> requests.Response:
        form = {
            "grant_type": "refresh_token",
            "refresh_token": self.tokens["refresh_token"],
            "client_id": self.sandbox.sf_client_id,
        }
        return requests.post(f"{self.url}/services/oauth2/token", data=form, timeout=TIMEOUT)

    def call(
        self, method: str, path: str, *, headers: dict[str, str] | None = None, **kw: Any
    ) -> requests.Response:
        """``path`` under /services/data/v61.0/ (or absolute when it starts with /)."""
        url = self.url + (path if path.startswith("/") else f"/services/data/v{VERSION}/{path}")
        all_headers = {"Authorization": f"Bearer {self.tokens['access_token']}", **(headers or {})}
        return requests.request(method, url, headers=all_headers, timeout=TIMEOUT, **kw)

    def query(self, soql: str, **kw: Any) -> requests.Response:
        return self.call("GET", "query/", params={"q": soql}, **kw)

    def rows(self, soql: str) -> list[dict[str, Any]]:
        answer = self.query(soql)
        assert answer.status_code == 200, answer.text
        records: list[dict[str, Any]] = answer.json()["records"]
        return records

    def admin(self, method: str, name: str, body: Any = None) -> Any:
        answer = requests.request(
            method, f"{self.url}/_sandbox/maica/{name}", json=body, timeout=TIMEOUT
        )
        assert answer.status_code == 200, answer.text
        return answer.json()


@pytest.fixture
def maica_sandbox() -> Iterator[Sandbox]:
    with Sandbox(SandboxConfig(port=0, auto_consent=True)) as sb:
        yield sb


@pytest.fixture
def org(maica_sandbox: Sandbox) -> Org:
    client = Org(maica_sandbox)
    client.sign_in()
    return client
