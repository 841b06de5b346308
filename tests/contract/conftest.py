from __future__ import annotations

import base64
import hashlib
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from maica_xero_desktop.sandbox import Sandbox, SandboxConfig

REDIRECT = "http://127.0.0.1:5718/callback"
SCOPES = "openid profile email offline_access accounting.settings.read"


@dataclass
class Session:
    """A signed-in token set at an auto-consent sandbox, plus what was sent to get it."""

    sandbox: Sandbox
    token_response: dict[str, Any]
    refresh_request: dict[str, str]

    @property
    def bearer(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token_response['access_token']}"}


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(SandboxConfig(port=0, auto_consent=True)) as sb:
        yield sb


def sign_in(sb: Sandbox) -> dict[str, Any]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
    params = {
        "response_type": "code",
        "client_id": sb.client_id,
        "redirect_uri": REDIRECT,
        "scope": SCOPES,
        "state": secrets.token_urlsafe(8),
        "code_challenge": challenge.rstrip(b"=").decode(),
        "code_challenge_method": "S256",
    }
    redirect = requests.get(
        f"{sb.base_url}/identity/connect/authorize",
        params=params,
        allow_redirects=False,
        timeout=10,
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
        timeout=10,
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


@pytest.fixture
def session(sandbox: Sandbox) -> Session:
    first = sign_in(sandbox)
    refresh_request = {
        "grant_type": "refresh_token",
        "client_id": sandbox.client_id,
        "refresh_token": first["refresh_token"],
    }
    response = requests.post(f"{sandbox.base_url}/connect/token", data=refresh_request, timeout=10)
    assert response.status_code == 200, response.text
    return Session(sandbox, response.json(), refresh_request)
