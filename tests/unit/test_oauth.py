"""The one OAuth client (requests-oauthlib) of both sign-ins: the S256 authorization URL, the
code exchange and refresh over the product's transport, plain http decided per URL (loopback
only), and oauthlib's scope-change warning handled without any environment switch.

A real token endpoint on a loopback socket answers; the client sends through MaicaHttp (the
Maica sign-in's transport) or a recording transport where only the URL matters."""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import os
import threading
from collections.abc import Iterator, Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, NoReturn
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from maica_xero_desktop.core import pkce
from maica_xero_desktop.core.errors import ConfigurationError, MaicaXeroError
from maica_xero_desktop.core.maica.transport import MaicaHttp
from maica_xero_desktop.core.oauth import (
    NEVER_SET,
    OAuthClient,
    OAuthProvider,
    check_transport,
)


class _Refused(MaicaXeroError):
    pass


class Refusals:
    def refused(self, response: requests.Response, during: str) -> NoReturn:
        raise _Refused(f"refused {during} {response.status_code}")

    def not_a_token(self, during: str) -> MaicaXeroError:
        return _Refused(f"not a token ({during})")


class TokenEndpoint:
    """A token endpoint on 127.0.0.1 that records each form and answers ``answer``."""

    def __init__(self) -> None:
        self.forms: list[dict[str, str]] = []
        self.env_seen: list[set[str]] = []
        self.answer: tuple[int, dict[str, Any]] = (200, {})
        endpoint = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: object) -> None:
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                form = parse_qs(self.rfile.read(length).decode())
                endpoint.forms.append({k: v[0] for k, v in form.items()})
                endpoint.env_seen.append({n for n in NEVER_SET if n in os.environ})
                status, body = endpoint.answer
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def provider(self) -> OAuthProvider:
        return OAuthProvider(
            name="Test",
            authorize_url=f"{self.base}/authorize",
            token_url=f"{self.base}/token",
            revoke_url=f"{self.base}/revoke",
        )


@pytest.fixture
def endpoint() -> Iterator[TokenEndpoint]:
    found = TokenEndpoint()
    yield found
    found.server.shutdown()
    found.server.server_close()


def _client(endpoint: TokenEndpoint, **kwargs: Any) -> OAuthClient:
    return OAuthClient(
        endpoint.provider(), "the-client", send=MaicaHttp().send, refusals=Refusals(), **kwargs
    )


def _s256(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def test_the_authorization_url_carries_an_s256_challenge_of_the_verifier_sent_later(
    endpoint: TokenEndpoint,
) -> None:
    client = _client(endpoint)
    pending = client.begin("http://localhost:5717/callback", ["api", "refresh_token"], "st4te")
    parts = urlsplit(pending.url)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    # the loopback-http authorize URL is shown as configured: http, never an https it lacks
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == f"{endpoint.base}/authorize"
    assert query["response_type"] == "code"
    assert query["client_id"] == "the-client"
    assert query["redirect_uri"] == "http://localhost:5717/callback"
    assert query["scope"] == "api refresh_token"
    assert query["state"] == "st4te"
    assert query["code_challenge_method"] == "S256"

    endpoint.answer = (
        200,
        {
            "access_token": "at-1",
            "refresh_token": "rt-1",
            "scope": "api refresh_token",
            "token_type": "Bearer",
        },
    )
    granted = pending.exchange("the-code")
    form = endpoint.forms[-1]
    assert form["grant_type"] == "authorization_code"
    assert form["code"] == "the-code"
    assert form["redirect_uri"] == "http://localhost:5717/callback"
    assert form["client_id"] == "the-client"
    assert "client_secret" not in form
    verifier = form["code_verifier"]
    assert 43 <= len(verifier) <= 128
    assert _s256(verifier) == query["code_challenge"] == pkce.challenge(verifier)
    assert granted.token["access_token"] == "at-1"
    assert granted.scopes == ("api", "refresh_token")
    assert granted.new_refresh_token


def test_each_sign_in_gets_its_own_verifier(endpoint: TokenEndpoint) -> None:
    client = _client(endpoint)
    challenges = {
        parse_qs(urlsplit(client.begin("http://localhost/cb", None, f"s{i}").url).query)[
            "code_challenge"
        ][0]
        for i in range(5)
    }
    assert len(challenges) == 5


def test_the_rfc7636_vector_through_oauthlib() -> None:
    from oauthlib.oauth2 import WebApplicationClient

    verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
    made = WebApplicationClient("x").create_code_challenge(verifier, "S256")
    assert made == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"


def test_a_secret_goes_where_the_provider_wants_it(endpoint: TokenEndpoint) -> None:
    endpoint.answer = (200, {"access_token": "at", "token_type": "Bearer"})
    _client(endpoint, client_secret="s3cr3t", secret_in="body").refresh("rt-0")
    assert endpoint.forms[-1]["client_secret"] == "s3cr3t"
    assert endpoint.forms[-1]["grant_type"] == "refresh_token"
    assert endpoint.forms[-1]["refresh_token"] == "rt-0"
    _client(endpoint, client_secret="s3cr3t").refresh("rt-0")  # HTTP Basic
    assert "client_secret" not in endpoint.forms[-1]
    assert endpoint.forms[-1]["client_id"] == "the-client"


def test_a_refresh_answer_without_a_refresh_token_keeps_the_old_one(
    endpoint: TokenEndpoint,
) -> None:
    endpoint.answer = (200, {"access_token": "at-2", "token_type": "Bearer", "instance_url": "x"})
    granted = _client(endpoint).refresh("rt-keep")
    assert granted.token["refresh_token"] == "rt-keep"
    assert not granted.new_refresh_token
    assert granted.token["instance_url"] == "x"


def test_a_granted_scope_other_than_asked_is_kept_and_logged(
    endpoint: TokenEndpoint, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="maica_xero_desktop.core.oauth")
    client = _client(endpoint)
    pending = client.begin(
        "http://localhost/cb", ["openid", "offline_access", "accounting.invoices"], "s"
    )
    endpoint.answer = (
        200,
        {
            "access_token": "at-scoped-7",
            "refresh_token": "rt-scoped-7",
            "token_type": "Bearer",
            "scope": "openid offline_access",
        },
    )
    granted = pending.exchange("code")
    assert granted.scopes == ("openid", "offline_access")
    assert granted.token["access_token"] == "at-scoped-7"
    logged = [r.getMessage() for r in caplog.records if r.name.endswith("oauth")]
    assert any("granted the scopes" in m and "accounting.invoices" in m for m in logged)
    assert not any("at-scoped-7" in m or "rt-scoped-7" in m for m in logged)  # no token logged
    assert endpoint.env_seen == [set()]  # neither switch set while the request was made
    for name in NEVER_SET:
        assert name not in os.environ


def test_a_refusal_is_the_providers_to_word(endpoint: TokenEndpoint) -> None:
    endpoint.answer = (400, {"error": "invalid_grant"})
    with pytest.raises(_Refused, match="refused refresh 400"):
        _client(endpoint).refresh("rt")
    endpoint.answer = (200, {"token_type": "Bearer"})  # no access token
    with pytest.raises(_Refused, match="not a token"):
        _client(endpoint).refresh("rt")
    endpoint.answer = (200, {"access_token": "a", "expires_in": "soon"})
    with pytest.raises(_Refused, match="not a token"):
        _client(endpoint).refresh("rt")


# -- the transport rule, per URL --------------------------------------------------------------


class Recorder:
    def __init__(self) -> None:
        self.urls: list[str] = []

    def send(
        self,
        method: str,
        url: str,
        *,
        headers: Mapping[str, str] | None = None,
        data: Mapping[str, str] | None = None,
        auth: tuple[str, str] | None = None,
    ) -> requests.Response:
        self.urls.append(url)
        response = requests.Response()
        response.status_code = 200
        response._content = b'{"access_token": "a", "token_type": "Bearer"}'
        return response


def _recording(base: str, token_base: str | None = None) -> tuple[OAuthClient, Recorder]:
    recorder = Recorder()
    token = token_base or base
    provider = OAuthProvider("Test", f"{base}/authorize", f"{token}/token", f"{token}/revoke")
    return OAuthClient(provider, "id", send=recorder.send, refusals=Refusals()), recorder


@pytest.mark.parametrize(
    "url",
    [
        "http://example.com",
        "http://login.salesforce.com",
        "http://10.1.2.3:8080",
        "http://127.0.0.1.example.com",
        "http://localhost.example.com",
        "ftp://127.0.0.1",
    ],
)
def test_plain_http_to_a_real_host_is_refused_before_any_request(url: str) -> None:
    with pytest.raises(ConfigurationError, match="https only"):
        check_transport(url)
    with pytest.raises(ConfigurationError, match="https only"):
        _recording(url)


@pytest.mark.parametrize(
    ("base", "sent"),
    [
        ("https://127.0.0.1:8443", "https://127.0.0.1:8443/token"),
        ("http://127.0.0.1:8080", "http://127.0.0.1:8080/token"),
        ("http://localhost:8080", "http://localhost:8080/token"),
        ("http://[::1]:8080", "http://[::1]:8080/token"),
        ("https://login.salesforce.com", "https://login.salesforce.com/token"),
    ],
)
def test_each_url_keeps_its_own_scheme(base: str, sent: str) -> None:
    client, recorder = _recording(base)
    client.refresh("rt")
    assert recorder.urls == [sent]
    assert client.begin("http://localhost/cb", None, "s").url.startswith(f"{base}/authorize?")


def test_loopback_http_for_one_url_does_not_make_another_plain() -> None:
    """The authorize page on a loopback imitation, the token endpoint real: the token request
    stays https, and an https URL that was never configured as http is never downgraded."""
    client, recorder = _recording("http://127.0.0.1:9000", "https://login.example.org")
    client.refresh("rt")
    assert recorder.urls == ["https://login.example.org/token"]
    client.send_form("POST", "https://127.0.0.1:9001/other", {}, None)
    assert recorder.urls[-1] == "https://127.0.0.1:9001/other"
    with pytest.raises(ConfigurationError):
        client.send_form("POST", "http://example.com/token", {}, None)
    assert len(recorder.urls) == 2


def test_xero_keeps_the_granted_scopes_and_sends_through_xerohttp(endpoint: TokenEndpoint) -> None:
    from maica_xero_desktop.core.errors import IntegrationDisabled
    from maica_xero_desktop.core.xero.endpoints import XeroEndpoints
    from maica_xero_desktop.core.xero.http import XeroHttp
    from maica_xero_desktop.core.xero.identity import IdentityClient

    enabled = [True]
    http = XeroHttp(requests.Session(), is_enabled=lambda: enabled[0])
    where = XeroEndpoints(
        login_url=endpoint.base, identity_url=endpoint.base, api_url=endpoint.base
    )
    identity = IdentityClient(http, where, "xero-client")
    asked = ["openid", "offline_access", "accounting.invoices", "accounting.contacts"]
    sign_in = identity.begin("http://localhost:5717/callback", asked, "state-1")
    assert sign_in.url.startswith(f"{endpoint.base}/identity/connect/authorize?")
    endpoint.answer = (
        200,
        {
            "access_token": "xero-at-1",
            "refresh_token": "xero-rt-1",
            "expires_in": 1800,
            "token_type": "Bearer",
            "scope": " ".join([*asked, "accounting.settings.read"]),
        },
    )
    tokens = sign_in.exchange("code-1", now=1000.0)
    assert set(tokens.scope) == {*asked, "accounting.settings.read"}  # granted, not asked
    assert tokens.expires_at == 2800.0
    assert endpoint.forms[-1]["code_verifier"]

    endpoint.answer = (
        200,
        {"access_token": "xero-at-2", "token_type": "Bearer", "expires_in": 1800},
    )
    with pytest.raises(MaicaXeroError, match="not a token set"):  # Xero always rotates
        identity.refresh(tokens, now=2000.0)

    enabled[0] = False
    sent = len(endpoint.forms)
    with pytest.raises(IntegrationDisabled):
        identity.refresh(tokens, now=2000.0)
    with pytest.raises(IntegrationDisabled):
        identity.exchange_code("c", "http://localhost/cb", "v" * 43, now=2000.0)
    assert len(endpoint.forms) == sent  # disabled: no request at all
