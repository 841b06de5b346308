"""A signed-in Accounting API client for sandbox tests (``requests`` only, no core code)."""

from __future__ import annotations

import base64
import hashlib
import secrets
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

import requests

from maica_xero_desktop.sandbox import Sandbox

SCOPES = (
    "openid profile email offline_access accounting.invoices accounting.contacts "
    "accounting.payments accounting.settings.read"
)
REDIRECT = "http://localhost:5717/callback"
TIMEOUT = 30


def sign_in(sb: Sandbox, scopes: str = SCOPES) -> str:
    """An access token for every organisation (the sandbox must auto-consent)."""
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
    params = {
        "response_type": "code",
        "client_id": sb.client_id,
        "redirect_uri": REDIRECT,
        "scope": scopes,
        "state": "s",
        "code_challenge": challenge.rstrip(b"=").decode(),
        "code_challenge_method": "S256",
    }
    redirect = requests.get(
        f"{sb.base_url}/identity/connect/authorize",
        params=params,
        allow_redirects=False,
        timeout=TIMEOUT,
    )
    code = parse_qs(urlsplit(redirect.headers["Location"]).query)["code"][0]
    response = requests.post(
        f"{sb.base_url}/connect/token",
        data={
            "grant_type": "authorization_code",
            "client_id": sb.client_id,
            "code": code,
            "redirect_uri": REDIRECT,
            "code_verifier": verifier,
        },
        timeout=TIMEOUT,
    )
    assert response.status_code == 200, response.text
    return str(response.json()["access_token"])


def line(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "Description": "Assistance with daily life",
        "Quantity": 2,
        "UnitAmount": 65.47,
        "AccountCode": "200",
        "TaxType": "EXEMPTOUTPUT",
    }
    data.update(overrides)
    return data


def invoice(reference: str = "MAICA-1", **overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "Type": "ACCREC",
        "Contact": {"Name": "Adam Smith"},
        "Date": "2026-11-26",
        "DueDate": "2026-12-10",
        "LineAmountTypes": "Exclusive",
        "Status": "AUTHORISED",
        "Reference": reference,
        "CurrencyCode": "AUD",
        "LineItems": [line()],
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


@dataclass
class Books:
    """Accounting API calls for one organisation."""

    sandbox: Sandbox
    token: str
    tenant_id: str

    def headers(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        return {
            "Authorization": f"Bearer {self.token}",
            "xero-tenant-id": self.tenant_id,
            "Accept": "application/json",
            **(extra or {}),
        }

    def url(self, path: str) -> str:
        return f"{self.sandbox.base_url}/api.xro/2.0/{path}"

    def get(self, path: str, headers: dict[str, str] | None = None, **params: Any) -> Any:
        return requests.get(
            self.url(path), headers=self.headers(headers), params=params, timeout=TIMEOUT
        )

    def send(
        self,
        method: str,
        path: str,
        body: Any,
        headers: dict[str, str] | None = None,
        **params: Any,
    ) -> requests.Response:
        return requests.request(
            method,
            self.url(path),
            headers=self.headers(headers),
            params=params,
            json=body,
            timeout=TIMEOUT,
        )

    def put_invoices(self, *invoices: dict[str, Any], **params: Any) -> requests.Response:
        return self.send("PUT", "Invoices", {"Invoices": list(invoices)}, **params)

    def admin(self, method: str, name: str, body: Any = None, **params: Any) -> Any:
        response = requests.request(
            method,
            f"{self.sandbox.base_url}/_sandbox/{name}",
            json=body,
            params=params,
            timeout=TIMEOUT,
        )
        assert response.status_code == 200, response.text
        return response.json()

    def messages(self, element: dict[str, Any]) -> list[str]:
        return [e["Message"] for e in element.get("ValidationErrors", [])]
