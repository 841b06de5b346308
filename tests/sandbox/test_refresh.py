"""Refresh token rotation, the 30-minute grace period and the lost-response case."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from maica_xero_desktop.sandbox import Sandbox
from maica_xero_desktop.sandbox.config import DEFAULT_WEB_CLIENT_ID, DEFAULT_WEB_CLIENT_SECRET

from .helpers import Flow


def _ok(response: requests.Response) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _invalid_grant(response: requests.Response) -> None:
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"


def test_every_refresh_rotates(flow: Flow, tokens: dict[str, Any]) -> None:
    first = _ok(flow.refresh(tokens["refresh_token"]))
    assert first["refresh_token"] != tokens["refresh_token"]
    assert first["access_token"] != tokens["access_token"]
    assert first["expires_in"] == 1800
    second = _ok(flow.refresh(first["refresh_token"]))
    assert second["refresh_token"] not in (first["refresh_token"], tokens["refresh_token"])


def test_old_access_token_stays_valid_until_its_expiry(
    flow: Flow, tokens: dict[str, Any], sandbox: Sandbox
) -> None:
    _ok(flow.refresh(tokens["refresh_token"]))
    assert flow.connections(tokens["access_token"]).status_code == 200
    sandbox.advance_clock(1800)
    assert flow.connections(tokens["access_token"]).status_code == 401


def test_replay_in_grace_with_unused_successor_issues_a_new_pair(
    flow: Flow, tokens: dict[str, Any], sandbox: Sandbox
) -> None:
    lost = _ok(flow.refresh(tokens["refresh_token"]))  # the client never saw this answer
    sandbox.advance_clock(20 * 60)
    retried = _ok(flow.refresh(tokens["refresh_token"]))
    assert retried["refresh_token"] != lost["refresh_token"]
    _invalid_grant(flow.refresh(lost["refresh_token"]))  # the unused successor is gone
    assert sandbox.state.valid_refresh_count() == 1
    _ok(flow.refresh(retried["refresh_token"]))


def test_replay_after_the_successor_was_used_is_invalid_grant(
    flow: Flow, tokens: dict[str, Any]
) -> None:
    successor = _ok(flow.refresh(tokens["refresh_token"]))
    newest = _ok(flow.refresh(successor["refresh_token"]))
    _invalid_grant(flow.refresh(tokens["refresh_token"]))
    _ok(flow.refresh(newest["refresh_token"]))  # the chain itself is unharmed


def test_replay_after_grace_is_invalid_grant(
    flow: Flow, tokens: dict[str, Any], sandbox: Sandbox
) -> None:
    successor = _ok(flow.refresh(tokens["refresh_token"]))
    sandbox.advance_clock(30 * 60 + 1)
    _invalid_grant(flow.refresh(tokens["refresh_token"]))
    _ok(flow.refresh(successor["refresh_token"]))


def test_refresh_token_dies_after_60_idle_days(
    flow: Flow, tokens: dict[str, Any], sandbox: Sandbox
) -> None:
    sandbox.advance_clock(59 * 86400)
    fresh = _ok(flow.refresh(tokens["refresh_token"]))  # resets the idle timer
    sandbox.advance_clock(59 * 86400)
    newer = _ok(flow.refresh(fresh["refresh_token"]))
    sandbox.advance_clock(60 * 86400 + 1)
    _invalid_grant(flow.refresh(newer["refresh_token"]))


def test_drop_response_rotates_then_closes_without_answer(
    flow: Flow, tokens: dict[str, Any], sandbox: Sandbox
) -> None:
    flow.admin("POST", "faults", {"drop_response": "token.refresh_token", "count": 1})
    with pytest.raises(requests.ConnectionError):
        flow.refresh(tokens["refresh_token"])
    assert sandbox.calls("token.refresh_token") == 1
    # the rotation happened: the retry is a grace-period replay that still succeeds
    assert len(sandbox.state.stores.refresh) == 2
    retried = _ok(flow.refresh(tokens["refresh_token"]))
    _ok(flow.refresh(retried["refresh_token"]))


def test_status_fault_answers_without_processing(
    flow: Flow, tokens: dict[str, Any], sandbox: Sandbox
) -> None:
    sandbox.add_fault(status=503, endpoint="token.refresh_token", count=2, retry_after=3)
    for _ in range(2):
        response = flow.refresh(tokens["refresh_token"])
        assert response.status_code == 503
        assert response.headers["Retry-After"] == "3"
    assert len(sandbox.state.stores.refresh) == 1  # nothing rotated
    _ok(flow.refresh(tokens["refresh_token"]))


def test_refresh_of_another_client_is_invalid_grant(
    sandbox: Sandbox, tokens: dict[str, Any]
) -> None:
    web = Flow(sandbox, client_id=DEFAULT_WEB_CLIENT_ID)
    web.extra = {"client_secret": DEFAULT_WEB_CLIENT_SECRET}
    _invalid_grant(web.refresh(tokens["refresh_token"]))
