"""The CLI and the sandbox as separate processes, with the real Secret Service in between."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from keyring.backend import KeyringBackend

from maica_xero_desktop.core.secrets import SecretStore
from tests.support.cli import run_cli, served_sandbox

pytestmark = pytest.mark.secret_service


def _cli(*args: str, env: dict[str, str], timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return run_cli(*args, env=env, timeout=timeout)


@pytest.fixture
def sandbox_process(tmp_path: Path) -> Iterator[dict[str, str]]:
    with served_sandbox("--state", str(tmp_path / "sandbox-state.json")) as (lines, env_lines):
        assert len(lines) == 7
        assert all(line.startswith("export MAICA_XERO_") for line in lines[:6])
        assert lines[6].startswith(
            "# Leave this running; paste the lines above into another terminal"
        )
        # the Xero lines, then the Maica org's (issue 13)
        assert list(env_lines)[4:] == ["MAICA_XERO_SF_LOGIN_URL", "MAICA_XERO_SF_CLIENT_ID"]
        assert sorted(env_lines)[:4] == [
            "MAICA_XERO_API_URL",
            "MAICA_XERO_CLIENT_ID",
            "MAICA_XERO_IDENTITY_URL",
            "MAICA_XERO_LOGIN_URL",
        ]
        yield env_lines


@pytest.fixture
def cli_env(sandbox_process: dict[str, str], home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAICA_XERO_")}
    env.pop("PYTHON_KEYRING_BACKEND", None)
    env.update(sandbox_process)
    env["MAICA_XERO_HOME"] = str(home)
    return env


def _all_text(folder: Path) -> str:
    return "\n".join(
        p.read_bytes().decode("utf-8", "replace") for p in folder.rglob("*") if p.is_file()
    )


def _connect_following_the_url(env: dict[str, str]) -> tuple[str, str, list[str]]:
    """`connect --no-browser` as a process; a "browser" follows the URL it prints.

    Returns the URL, the rest of standard output, and everything it printed."""
    connect = subprocess.Popen(
        [sys.executable, "-m", "maica_xero_desktop", "connect", "--no-browser", "--timeout", "30"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        stdin=subprocess.DEVNULL,
    )
    assert connect.stdout is not None
    outputs: list[str] = []
    url = ""
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and not url:
        line = connect.stdout.readline()
        assert line, "connect ended before printing the URL"
        outputs.append(line)
        if line.startswith("http"):
            url = line.strip()
    page = requests.get(url, timeout=10)
    assert page.status_code == 200
    rest, err = connect.communicate(timeout=30)
    outputs += [rest, err]
    assert connect.returncode == 0, err
    return url, rest, outputs


def test_connect_no_browser_end_to_end(
    cli_env: dict[str, str], home: Path, secret_service: KeyringBackend
) -> None:
    assert _cli("enable", env=cli_env).returncode == 0
    url, rest, outputs = _connect_following_the_url(cli_env)
    assert url.startswith(cli_env["MAICA_XERO_LOGIN_URL"] + "/identity/connect/authorize?")
    assert "Maica Care Services Pty Ltd" in rest
    assert "Demo Company (AU)" in rest

    listed = _cli("connections", "--json", env=cli_env)
    assert listed.returncode == 0, listed.stderr
    organisations = json.loads(listed.stdout)
    assert {o["tenantName"] for o in organisations} == {
        "Maica Care Services Pty Ltd",
        "Demo Company (AU)",
    }
    assert not any(o["active"] for o in organisations)
    demo = next(o for o in organisations if o["tenantName"] == "Demo Company (AU)")
    used = _cli("use", demo["tenantId"], env=cli_env)
    assert used.returncode == 0, used.stderr
    status = _cli("status", "--json", env=cli_env)
    state = json.loads(status.stdout)
    assert state["active_tenant_id"] == demo["tenantId"]
    assert state["token_state"] == "valid"
    assert state["enabled"] is True
    outputs += [listed.stdout, listed.stderr, used.stdout, used.stderr, status.stdout]

    tokens = SecretStore(str(home)).load_tokens()
    assert tokens is not None, "the token set must be in the Secret Service"
    everything = _all_text(home) + "\n".join(outputs)
    for secret in (tokens.access_token, tokens.refresh_token):
        assert secret not in everything
    assert (home / "logs" / "maica-xero.log").exists()

    logout = _cli("logout", env=cli_env)
    assert logout.returncode == 0, logout.stderr
    assert SecretStore(str(home)).load_tokens() is None


def test_no_keyring_backend_is_one_sentence(cli_env: dict[str, str]) -> None:
    cli_env["PYTHON_KEYRING_BACKEND"] = "keyring.backends.fail.Keyring"
    assert _cli("enable", env=cli_env).returncode == 0
    result = _cli("connect", "--no-browser", "--timeout", "10", env=cli_env)
    assert result.returncode == 2
    assert "No secure system keyring is available" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert "http" not in result.stdout  # failed before any sign-in started


def test_errors_are_sentences_with_exit_codes(cli_env: dict[str, str]) -> None:
    off = _cli("connections", env=cli_env)
    assert off.returncode == 2
    assert "turned off" in off.stderr
    assert "Traceback" not in off.stderr
    bad = _cli("config", "set", "redirect-ports", "80", env=cli_env)
    assert bad.returncode == 2
    assert "not a usable port" in bad.stderr
    secret_on_argv = _cli("config", "set", "client-secret", "abc", env=cli_env)
    assert secret_on_argv.returncode == 2
    assert "not given on the command line" in secret_on_argv.stderr


def test_two_processes_refresh_at_once_without_invalid_grant(
    cli_env: dict[str, str], home: Path, secret_service: KeyringBackend, tmp_path: Path
) -> None:
    """Both find the token expired at the same moment; the lock lets exactly one refresh."""
    assert _cli("enable", env=cli_env).returncode == 0
    _connect_following_the_url(cli_env)

    script = """
import dataclasses, sys, time
from pathlib import Path
from maica_xero_desktop.core.service import Service, internals
service = Service()
tokens = internals(service).secrets.load_tokens()
go = Path(sys.argv[1])
while not go.exists():
    time.sleep(0.005)
internals(service).tokens.access_token(rejected=tokens.access_token)
print(len(service.connections().connections))
"""
    go = tmp_path / "go"
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", script, str(go)],
            env=cli_env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(3)
    ]
    time.sleep(1.5)  # all three have read the same token set
    go.touch()
    results = [p.communicate(timeout=60) for p in procs]
    for proc, (out, err) in zip(procs, results, strict=True):
        assert proc.returncode == 0, err
        assert out.strip() == "2"
    stats = requests.get(cli_env["MAICA_XERO_API_URL"] + "/_sandbox/stats", timeout=10).json()
    assert stats["calls"].get("token.refresh_token", 0) == 1
    status = json.loads(_cli("status", "--json", env=cli_env).stdout)
    assert status["token_state"] == "valid"
