"""The token endpoint: authorization code exchange, PKCE and client authentication."""

from __future__ import annotations

import base64
import time

import requests

from maica_xero_desktop.sandbox import Sandbox
from maica_xero_desktop.sandbox.config import DEFAULT_WEB_CLIENT_ID, DEFAULT_WEB_CLIENT_SECRET

from .helpers import Flow, jwt_claims


def test_code_exchange_returns_xeros_token_response(flow: Flow, sandbox: Sandbox) -> None:
    callback = flow.code()
    before = int(time.time())
    response = flow.exchange(callback["code"])
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    body = response.json()
    assert set(body) == {
        "id_token",
        "access_token",
        "expires_in",
        "token_type",
        "refresh_token",
        "scope",
    }
    assert body["expires_in"] == 1800
    assert body["token_type"] == "Bearer"
    assert body["scope"] == callback["scope"]

    access = jwt_claims(body["access_token"])
    assert access["client_id"] == sandbox.client_id
    assert access["xero_userid"] == sandbox.config.user.user_id
    assert access["iss"] == sandbox.base_url
    assert access["scope"] == callback["scope"].split()
    assert before - 1 <= access["nbf"] <= int(time.time())
    assert access["exp"] == access["nbf"] + 1800
    for claim in ("aud", "sub", "global_session_id", "authentication_event_id"):
        assert access[claim]
    assert access["sub"] != access["xero_userid"]

    ident = jwt_claims(body["id_token"])
    assert ident["aud"] == sandbox.client_id
    assert ident["email"] == "admin@maica-care.example"
    assert (ident["given_name"], ident["family_name"]) == ("Alex", "Nguyen")
    assert ident["xero_userid"] == sandbox.config.user.user_id
    assert ident["global_session_id"] == access["global_session_id"]
    assert ident["exp"] > ident["iat"]


def test_tokens_are_stored_hashed(flow: Flow, sandbox: Sandbox) -> None:
    body = flow.connect()
    text = str(sandbox.state.to_json())
    assert body["refresh_token"] not in text
    assert body["access_token"] not in text


def test_no_offline_access_no_refresh_token(flow: Flow) -> None:
    body = flow.connect(scope="openid accounting.settings.read")
    assert "refresh_token" not in body
    assert "email" not in jwt_claims(body["id_token"])
    body = flow.connect(scope="accounting.settings.read")
    assert "id_token" not in body


def test_code_is_single_use_and_replay_leaves_tokens_alone(flow: Flow) -> None:
    code = flow.code()["code"]
    first = flow.exchange(code)
    assert first.status_code == 200
    replay = flow.exchange(code)
    assert replay.status_code == 400
    assert replay.json()["error"] == "invalid_grant"
    conns = flow.connections(first.json()["access_token"])
    assert conns.status_code == 200
    assert flow.refresh(first.json()["refresh_token"]).status_code == 200


def test_code_expires_after_five_minutes(flow: Flow, sandbox: Sandbox) -> None:
    code = flow.code()["code"]
    sandbox.advance_clock(301)
    response = flow.exchange(code)
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"


def test_code_just_inside_its_lifetime_works(flow: Flow, sandbox: Sandbox) -> None:
    code = flow.code()["code"]
    sandbox.advance_clock(290)
    assert flow.exchange(code).status_code == 200


def test_pkce_mismatch_is_invalid_grant(flow: Flow) -> None:
    code = flow.code()["code"]
    response = flow.exchange(code, code_verifier="x" * 43)
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"


def test_missing_verifier_is_invalid_grant(flow: Flow) -> None:
    code = flow.code()["code"]
    data = {
        "grant_type": "authorization_code",
        "client_id": flow.client_id,
        "code": code,
        "redirect_uri": flow.redirect_uri,
    }
    assert flow.token(data).json()["error"] == "invalid_grant"


def test_redirect_uri_must_match_the_authorize_one(flow: Flow) -> None:
    code = flow.code()["code"]
    response = flow.exchange(code, redirect_uri="http://127.0.0.1:5717/callback")
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"


def test_code_of_another_client_is_invalid_grant(flow: Flow, sandbox: Sandbox) -> None:
    code = flow.code()["code"]
    other = Flow(sandbox, client_id=DEFAULT_WEB_CLIENT_ID)
    other.verifier = flow.verifier
    response = other.exchange(code, client_secret=DEFAULT_WEB_CLIENT_SECRET)
    assert response.json()["error"] == "invalid_grant"


def test_errors_for_client_grant_type_and_missing_fields(flow: Flow) -> None:
    unknown = flow.token(
        {"grant_type": "refresh_token", "client_id": "F" * 32, "refresh_token": "x"}
    )
    assert (unknown.status_code, unknown.json()["error"]) == (400, "invalid_client")
    no_client = flow.token({"grant_type": "refresh_token", "refresh_token": "x"})
    assert no_client.json()["error"] == "invalid_client"
    grant = flow.token({"grant_type": "client_credentials", "client_id": flow.client_id})
    assert (grant.status_code, grant.json()["error"]) == (400, "unsupported_grant_type")
    missing = flow.token({"grant_type": "authorization_code", "client_id": flow.client_id})
    assert missing.json()["error"] == "invalid_request"
    assert flow.token({"client_id": flow.client_id}).json()["error"] == "invalid_request"
    unknown_token = flow.refresh("not-a-token")
    assert unknown_token.json()["error"] == "invalid_grant"


def test_web_app_must_send_its_secret(sandbox: Sandbox) -> None:
    web = Flow(sandbox, client_id=DEFAULT_WEB_CLIENT_ID)
    code = web.code()["code"]
    missing = web.exchange(code)
    assert missing.json()["error"] == "invalid_client"
    code = web.code()["code"]
    wrong = web.exchange(code, client_secret="wrong")
    assert wrong.json()["error"] == "invalid_client"
    code = web.code()["code"]
    ok = web.exchange(code, client_secret=DEFAULT_WEB_CLIENT_SECRET)
    assert ok.status_code == 200, ok.text


def test_web_app_may_use_http_basic(sandbox: Sandbox) -> None:
    web = Flow(sandbox, client_id=DEFAULT_WEB_CLIENT_ID)
    tokens = web.exchange(web.code()["code"], client_secret=DEFAULT_WEB_CLIENT_SECRET).json()
    basic = base64.b64encode(f"{DEFAULT_WEB_CLIENT_ID}:{DEFAULT_WEB_CLIENT_SECRET}".encode())
    response = requests.post(
        f"{sandbox.base_url}/connect/token",
        data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
        headers={"Authorization": f"Basic {basic.decode()}"},
        timeout=10,
    )
    assert response.status_code == 200, response.text
    bad = requests.post(
        f"{sandbox.base_url}/connect/token",
        data={"grant_type": "refresh_token", "refresh_token": response.json()["refresh_token"]},
        auth=(DEFAULT_WEB_CLIENT_ID, "nope"),
        timeout=10,
    )
    assert bad.json()["error"] == "invalid_client"


def test_pkce_app_needs_no_secret(flow: Flow) -> None:
    body = flow.connect()
    assert flow.refresh(body["refresh_token"]).status_code == 200


def test_stats_count_grant_types(flow: Flow, sandbox: Sandbox) -> None:
    body = flow.connect()
    flow.refresh(body["refresh_token"])
    assert sandbox.calls("token.authorization_code") == 1
    assert sandbox.calls("token.refresh_token") == 1
    assert flow.admin("GET", "stats")["calls"]["authorize.post"] == 1
