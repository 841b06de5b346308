"""After a full session no secret is in any file, log or output, and every file is private."""

from __future__ import annotations

import io
import os
import stat
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from maica_xero_desktop.cli import main
from maica_xero_desktop.core.service import Service
from maica_xero_desktop.sandbox import Sandbox
from tests.support.exports import SAMPLE
from tests.support.memkeyring import MemoryKeyring

ROOT = Path(__file__).resolve().parents[2]


def test_full_session_leaks_nothing(
    make_service: Callable[..., Service],
    xero_env: Sandbox,
    home: Path,
    memory_keyring: MemoryKeyring,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    service = make_service()
    outputs: list[str] = []
    seen_secrets: set[str] = set()

    def cli(*args: str, stdin: str = "") -> int:
        monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
        code = main(["-v", *args])
        captured = capsys.readouterr()
        outputs.extend([captured.out, captured.err])
        seen_secrets.update(v for v in memory_keyring.entries.values() if len(v) > 8)
        return code

    web_secret = "a-client-secret-that-must-never-leak-42"
    assert cli("config", "set", "client-secret", stdin=web_secret + "\n") == 0
    assert cli("config", "set", "client-secret", stdin="\n") == 0  # PKCE app: no secret
    service.connect(lambda url: None, timeout=10)
    seen_secrets.update(v for v in memory_keyring.entries.values() if len(v) > 8)
    assert cli("use", "Demo Company (AU)") == 0
    assert cli("import", str(SAMPLE)) == 0
    xero_env.expire_access_tokens()  # the next call refreshes: a second token set to hide
    assert cli("sync") == 1  # one invoice is blocked in the sample
    assert cli("payments") == 0
    assert cli("status", "--json") == 0
    assert cli("history") == 0
    assert cli("logout") == 0
    secrets = {s for s in seen_secrets if not s.startswith("{")}  # JSON entries hold metadata
    secrets |= {_json_token(s) for s in seen_secrets if s.startswith("{")} - {""}
    secrets.add(web_secret)
    assert len(secrets) >= 5  # access and refresh tokens of two sets, the client secret

    everything = "\n".join(outputs)
    for path in home.rglob("*"):
        if path.is_file():
            everything += path.read_bytes().decode("utf-8", "replace")
    leaked = [secret[:4] for secret in secrets if secret in everything]
    if leaked:  # never print the secret itself, even a test one
        pytest.fail(f"{len(leaked)} secrets reached a file, a log or the output")

    for path in [home, *home.rglob("*")]:
        mode = stat.S_IMODE(path.stat().st_mode)
        if path.is_dir():
            assert mode == 0o700, f"{path} is {oct(mode)}"
        else:
            assert mode & 0o077 == 0, f"{path} is {oct(mode)}"


def _json_token(text: str) -> str:
    import json

    try:
        value = json.loads(text)
    except ValueError:
        return ""
    return str(value.get("token", "")) if isinstance(value, dict) else ""


def test_insecure_transport_switch_is_never_set_by_the_product() -> None:
    hits = subprocess.run(
        ["grep", "-rl", "OAUTHLIB_INSECURE_TRANSPORT", str(ROOT / "maica_xero_desktop")],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.split()
    assert hits == []
    assert "OAUTHLIB_INSECURE_TRANSPORT" not in os.environ
