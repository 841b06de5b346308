"""GET/DELETE /connections, bearer errors and revocation."""

from __future__ import annotations

import re
from typing import Any

import requests

from maica_xero_desktop.sandbox import Sandbox
from maica_xero_desktop.sandbox.config import DEFAULT_WEB_CLIENT_ID, DEFAULT_WEB_CLIENT_SECRET

from .helpers import Flow, jwt_claims

ZONELESS_UTC = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{7}")


def test_lists_connections_with_xeros_fields(
    flow: Flow, tokens: dict[str, Any], sandbox: Sandbox
) -> None:
    response = flow.connections(tokens["access_token"])
    assert response.status_code == 200
    assert response.headers["X-AppMinLimit-Remaining"] == "9999"
    assert "X-MinLimit-Remaining" not in response.headers
    body = response.json()
    assert [c["tenantName"] for c in body] == ["Maica Care Services Pty Ltd", "Demo Company (AU)"]
    event = jwt_claims(tokens["access_token"])["authentication_event_id"]
    for conn in body:
        assert set(conn) == {
            "id",
            "tenantId",
            "tenantType",
            "tenantName",
            "authEventId",
            "createdDateUtc",
            "updatedDateUtc",
        }
        assert conn["tenantType"] == "ORGANISATION"
        assert conn["authEventId"] == event
        assert ZONELESS_UTC.fullmatch(conn["createdDateUtc"])
    assert {c["tenantId"] for c in body} == set(sandbox.state.orgs)


def test_new_consent_updates_existing_connections_and_auth_event_filter(
    flow: Flow, sandbox: Sandbox
) -> None:
    maica, demo = (o.tenant_id for o in sandbox.config.organisations)
    first = flow.connect(tenants=[maica])
    before = flow.connections(first["access_token"]).json()
    sandbox.advance_clock(60)
    second = flow.connect(tenants=[maica, demo])
    after = flow.connections(second["access_token"]).json()
    assert len(after) == 2
    assert after[0]["id"] == before[0]["id"]
    assert after[0]["createdDateUtc"] == before[0]["createdDateUtc"]
    assert after[0]["updatedDateUtc"] > before[0]["updatedDateUtc"]
    assert after[0]["authEventId"] != before[0]["authEventId"]
    # one token set covers every organisation the user connected
    assert len(flow.connections(first["access_token"]).json()) == 2
    event = after[1]["authEventId"]
    only = flow.connections(second["access_token"], authEventId=event).json()
    assert {c["tenantId"] for c in only} == {maica, demo}
    stale = flow.connections(second["access_token"], authEventId=before[0]["authEventId"])
    assert stale.json() == []


def test_delete_connection(flow: Flow, tokens: dict[str, Any]) -> None:
    conns = flow.connections(tokens["access_token"]).json()
    url = f"{flow.url}/connections/{conns[0]['id']}"
    headers = {"Authorization": f"Bearer {tokens['access_token']}"}
    response = requests.delete(url, headers=headers, timeout=10)
    assert response.status_code == 204
    assert response.content == b""
    assert requests.delete(url, headers=headers, timeout=10).status_code == 404
    unknown = f"{flow.url}/connections/00000000-0000-0000-0000-000000000000"
    assert requests.delete(unknown, headers=headers, timeout=10).status_code == 404
    assert [c["id"] for c in flow.connections(tokens["access_token"]).json()] == [conns[1]["id"]]
    requests.delete(f"{flow.url}/connections/{conns[1]['id']}", headers=headers, timeout=10)
    left = flow.connections(tokens["access_token"])
    assert (left.status_code, left.json()) == (200, [])  # token still valid, nothing connected


def test_missing_bad_and_expired_tokens_get_401(
    flow: Flow, tokens: dict[str, Any], sandbox: Sandbox
) -> None:
    plain = requests.get(f"{flow.url}/connections", timeout=10)
    assert plain.status_code == 401
    assert plain.headers["WWW-Authenticate"] == 'Bearer error="invalid_token"'
    assert plain.json()["Title"] == "Unauthorized"
    forged = tokens["access_token"][:-4] + "AAAA"
    assert flow.connections(forged).status_code == 401
    sandbox.advance_clock(1801)
    expired = flow.connections(tokens["access_token"])
    assert expired.status_code == 401
    body = expired.json()
    assert body["Status"] == 401
    assert body["Type"] is None
    assert body["Detail"].startswith("TokenExpired: token expired at ")
    assert expired.headers["WWW-Authenticate"] == 'Bearer error="invalid_token"'


def test_expire_access_tokens_admin(flow: Flow, tokens: dict[str, Any]) -> None:
    assert flow.admin("POST", "expire-access-tokens")["expired"] == 1
    assert flow.connections(tokens["access_token"]).status_code == 401
    fresh = flow.refresh(tokens["refresh_token"]).json()
    assert flow.connections(fresh["access_token"]).status_code == 200


def test_revocation_kills_tokens_and_connections(
    flow: Flow, tokens: dict[str, Any], sandbox: Sandbox
) -> None:
    other = flow.connect()  # a second token set of the same user and app
    response = flow.revoke(tokens["refresh_token"])
    assert response.status_code == 200
    assert response.content == b""
    for token_set in (tokens, other):
        assert flow.connections(token_set["access_token"]).status_code == 401
        assert flow.refresh(token_set["refresh_token"]).json()["error"] == "invalid_grant"
    assert not sandbox.state.connections
    assert sandbox.state.valid_refresh_count() == 0
    assert sandbox.calls("revocation") == 1
    # after connecting again the list starts empty of old ids
    again = flow.connect()
    assert len(flow.connections(again["access_token"]).json()) == 2


def test_revocation_of_unknown_token_is_200(flow: Flow) -> None:
    assert flow.revoke("no-such-token").status_code == 200
    assert flow.revoke("").json()["error"] == "invalid_request"


def test_revocation_by_web_app_needs_its_secret(sandbox: Sandbox) -> None:
    web = Flow(sandbox, client_id=DEFAULT_WEB_CLIENT_ID)
    web.extra = {"client_secret": DEFAULT_WEB_CLIENT_SECRET}
    body = web.connect()
    web.extra = {}
    assert web.revoke(body["refresh_token"]).json()["error"] == "invalid_client"
    web.extra = {"client_secret": DEFAULT_WEB_CLIENT_SECRET}
    assert web.revoke(body["refresh_token"]).status_code == 200
    assert web.connections(body["access_token"]).status_code == 401


def test_revocation_by_another_app_does_nothing(
    flow: Flow, tokens: dict[str, Any], sandbox: Sandbox
) -> None:
    web = Flow(sandbox, client_id=DEFAULT_WEB_CLIENT_ID)
    web.extra = {"client_secret": DEFAULT_WEB_CLIENT_SECRET}
    assert web.revoke(tokens["refresh_token"]).status_code == 200
    assert flow.connections(tokens["access_token"]).status_code == 200
