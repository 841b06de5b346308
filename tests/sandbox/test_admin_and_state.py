"""Admin endpoints, persistence to a state file, and the server's robustness."""

from __future__ import annotations

import json
import logging
import socket
from pathlib import Path
from typing import Any

import pytest
import requests

from maica_xero_desktop.sandbox import Sandbox, SandboxConfig

from .helpers import Flow


def test_state_file_survives_a_restart(tmp_path: Path) -> None:
    state_file = tmp_path / "sub" / "state.json"
    with Sandbox(SandboxConfig(state_file=str(state_file))) as first:
        flow = Flow(first)
        tokens = flow.connect()
        demo = first.reset_demo()["tenant_id"]
        first.advance_clock(100)
    saved = state_file.read_text(encoding="utf-8")
    assert tokens["refresh_token"] not in saved
    assert tokens["access_token"] not in saved
    assert not list(state_file.parent.glob(".sandbox-state-*"))  # no temp files left
    with Sandbox(SandboxConfig(state_file=str(state_file))) as second:
        flow = Flow(second)
        assert second.state.clock_offset == pytest.approx(100)
        assert demo in second.state.orgs
        conns = flow.connections(tokens["access_token"])
        assert conns.status_code == 200
        assert len(conns.json()) == 1  # the demo connection vanished with the reset
        refreshed = flow.refresh(tokens["refresh_token"])
        assert refreshed.status_code == 200, refreshed.text


def test_state_is_written_on_every_mutation(tmp_path: Path) -> None:
    state_file = tmp_path / "state.json"
    with Sandbox(state_file=str(state_file)) as sb:
        Flow(sb).connect()
        data = json.loads(state_file.read_text(encoding="utf-8"))
        assert len(data["grants"]) == 1
        assert len(data["connections"]) == 2
        assert len(data["refresh"]) == 1


def test_corrupt_state_file_is_an_error(tmp_path: Path) -> None:
    state_file = tmp_path / "state.json"
    state_file.write_text('{"format": 99}', encoding="utf-8")
    with pytest.raises(ValueError, match="format"):
        Sandbox(state_file=str(state_file))


def test_admin_endpoints(flow: Flow, tokens: dict[str, Any], sandbox: Sandbox) -> None:
    stats = flow.admin("GET", "stats")
    assert stats["valid_refresh_tokens"] == 1
    assert stats["calls"]["token.authorization_code"] == 1
    (grant,) = stats["grants"]
    assert grant["client_id"] == sandbox.client_id
    assert len(grant["connections"]) == 2
    info = flow.admin("GET", "info")
    assert info["client_id"] == sandbox.client_id
    assert "http://localhost:5717/callback" in info["redirect_uris"]

    clock = flow.admin("POST", "clock", {"advance_seconds": 90})
    assert clock["clock_offset"] == 90
    faults = flow.admin("POST", "faults", {"status": 500, "endpoint": "connections", "count": 3})
    assert faults["faults"][0]["endpoint"] == "connections"
    assert flow.connections(tokens["access_token"]).status_code == 500
    assert len(flow.admin("GET", "faults")["faults"]) == 1
    assert flow.admin("DELETE", "faults") == {"faults": []}
    assert flow.connections(tokens["access_token"]).status_code == 200

    flow.admin("POST", "reset")
    assert sandbox.state.clock_offset == 0
    assert not sandbox.state.grants
    assert flow.connections(tokens["access_token"]).status_code == 401
    assert flow.admin("GET", "stats")["calls"] == {"connections.get": 1, "admin.stats": 1}


def test_admin_rejects_bad_input(flow: Flow) -> None:
    bad = [
        ("clock", {}),
        ("faults", {"endpoint": "x"}),
        ("faults", {"status": 200, "endpoint": "x"}),
        ("faults", {"drop_response": "x", "count": 0}),
        ("limits", {"hourly": 5}),
    ]
    for name, body in bad:
        response = requests.post(f"{flow.url}/_sandbox/{name}", json=body, timeout=10)
        assert response.status_code == 400, name
        assert response.json()["error"] == "bad_request"
    garbage = requests.post(f"{flow.url}/_sandbox/clock", data=b"{nope", timeout=10)
    assert garbage.status_code == 400


def test_methods_paths_and_sizes(flow: Flow, sandbox: Sandbox) -> None:
    assert requests.head(f"{flow.url}/connections", timeout=10).status_code == 405
    assert requests.options(f"{flow.url}/connect/token", timeout=10).status_code == 405
    put = requests.put(f"{flow.url}/connect/token", timeout=10)
    assert put.status_code == 405
    assert put.headers["Allow"] == "POST"
    assert requests.get(f"{flow.url}/nothing/here", timeout=10).status_code == 404
    big = requests.post(
        f"{flow.url}/connect/token", data=b"x" * (sandbox.config.max_body_bytes + 1), timeout=10
    )
    assert big.status_code == 413


def test_internal_errors_are_500_json_without_traceback(
    flow: Flow, sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken() -> int:
        raise RuntimeError("boom")

    monkeypatch.setattr(sandbox.state, "valid_refresh_count", broken)
    with caplog.at_level(logging.ERROR, logger="maica_xero_desktop.sandbox"):
        response = requests.get(f"{flow.url}/_sandbox/stats", timeout=10)
    assert response.status_code == 500
    assert response.json() == {"error": "server_error", "message": "internal error"}
    assert "Traceback" not in response.text
    assert "boom" in caplog.text


def test_garbage_on_the_socket_does_not_hurt(flow: Flow) -> None:
    with socket.create_connection((flow.sandbox.config.host, flow.sandbox.port), timeout=5) as s:
        s.sendall(b"\x00\x01garbage\r\n\r\n")
        s.recv(1024)
    assert requests.get(f"{flow.url}/_sandbox/info", timeout=10).status_code == 200


def test_sandbox_keyword_overrides_and_env_lines() -> None:
    with Sandbox(port=0, auto_consent=True) as sb:
        assert sb.config.auto_consent
        url = sb.base_url
        assert url.startswith("http://127.0.0.1:")
        assert sb.env_lines() == [
            f"MAICA_XERO_LOGIN_URL={url}",
            f"MAICA_XERO_IDENTITY_URL={url}",
            f"MAICA_XERO_API_URL={url}",
            f"MAICA_XERO_CLIENT_ID={sb.client_id}",
            f"MAICA_XERO_SF_LOGIN_URL={url}",
            f"MAICA_XERO_SF_CLIENT_ID={sb.sf_client_id}",
        ]
        assert len(sb.client_id) == 32
        assert sb.client_id == sb.client_id.upper()
