"""Token refresh against the sandbox: rotation, 401, lost responses, invalid_grant."""

from __future__ import annotations

import dataclasses
import time

import pytest

from maica_xero_desktop.core.errors import NeedsReconnect
from maica_xero_desktop.core.service import Service, internals

from .conftest import SandboxAdmin


def _expire_locally(service: Service) -> None:
    tokens = internals(service).secrets.load_tokens()
    assert tokens is not None
    internals(service).secrets.save_tokens(dataclasses.replace(tokens, expires_at=time.time() - 1))


def test_refresh_before_expiry_rotates_and_persists(
    connected: Service, admin: SandboxAdmin
) -> None:
    before = internals(connected).secrets.load_tokens()
    assert before is not None
    _expire_locally(connected)
    assert connected.status().token_state == "expired"
    connected.connections()
    after = internals(connected).secrets.load_tokens()
    assert after is not None
    assert after.refresh_token != before.refresh_token
    assert after.access_token != before.access_token
    assert after.user == before.user
    assert admin.count("token.refresh_token") == 1
    assert connected.status().token_state == "valid"


def test_fresh_token_is_not_refreshed(connected: Service, admin: SandboxAdmin) -> None:
    for _ in range(3):
        connected.connections()
    assert admin.count("token.refresh_token") == 0


def test_401_triggers_one_refresh_and_a_retry(connected: Service, admin: SandboxAdmin) -> None:
    admin.post("expire-access-tokens")
    view = connected.connections()
    assert len(view.connections) == 2
    assert admin.count("token.refresh_token") == 1


def test_lost_refresh_response_is_recovered_in_grace(
    connected: Service, admin: SandboxAdmin
) -> None:
    admin.post("faults", {"drop_response": "token.refresh_token", "count": 1})
    _expire_locally(connected)
    connected.connections()
    assert admin.count("token.refresh_token") == 2  # the lost one, then the retry
    # The token set we kept works, and so does the next rotation.
    _expire_locally(connected)
    connected.connections()
    assert admin.count("token.refresh_token") == 3


def test_invalid_grant_marks_needs_reconnect_without_retrying(
    connected: Service, admin: SandboxAdmin
) -> None:
    admin.advance(61 * 24 * 3600)  # an unused refresh token dies after 60 days
    with pytest.raises(NeedsReconnect, match="Connect to Xero again"):
        connected.connections()
    assert admin.count("token.refresh_token") == 1
    assert internals(connected).secrets.load_tokens() is None
    status = connected.status()
    assert status.token_state == "needs_reconnect"
    assert any("Connect to Xero again" in m for m in status.messages)
    with pytest.raises(Exception, match="not connected"):
        connected.connections()
    assert admin.count("token.refresh_token") == 1
    connected.connect(lambda url: None, timeout=10)
    assert connected.status().token_state == "valid"
