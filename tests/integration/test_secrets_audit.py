"""After a full session no secret is in any file, log or output, and every file is private."""

from __future__ import annotations

import io
import os
import stat
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import requests

from maica_xero_desktop.cli import main
from maica_xero_desktop.core.errors import ConfigurationError
from maica_xero_desktop.core.oauth import NEVER_SET
from maica_xero_desktop.core.service import Service, internals
from maica_xero_desktop.core.xero.endpoints import XeroEndpoints
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


class WatchingSession(requests.Session):
    """The transport library's session, noting what each request sees: its URL, and which of
    oauthlib's process-wide switches are set in the environment at that moment."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.switches: list[set[str]] = []

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> Any:
        self.urls.append(str(url))
        self.switches.append({name for name in NEVER_SET if name in os.environ})
        return super().request(method, url, *args, **kwargs)


def test_plain_http_only_to_loopback_and_no_process_wide_switch(
    make_service: Callable[..., Service], xero_env: Sandbox, home: Path
) -> None:
    """Sign-in and refresh over plain http work against the loopback sandbox without ever
    setting OAUTHLIB_INSECURE_TRANSPORT or OAUTHLIB_RELAX_TOKEN_SCOPE; the same to a real host
    over http is refused before any request is made."""
    watching = WatchingSession()
    service = make_service(session=watching)
    service.connect(lambda url: None, timeout=10)
    xero_env.expire_access_tokens()
    tokens = internals(service).tokens
    tokens.refresh(rejected=tokens.current().access_token)  # a refresh over loopback http
    token_calls = [u for u in watching.urls if u.endswith("/connect/token")]
    assert len(token_calls) == 2
    assert all(u.startswith("http://127.0.0.1:") for u in token_calls)
    assert watching.switches
    assert all(seen == set() for seen in watching.switches)
    for name in NEVER_SET:
        assert name not in os.environ

    real = XeroEndpoints(
        login_url="https://login.xero.com",
        identity_url="http://identity.xero.com",  # a real host over plain http
        api_url=xero_env.base_url,
    )
    refused = WatchingSession()
    other = make_service(session=refused, endpoints=real)
    before = xero_env.stats()["calls"]
    with pytest.raises(ConfigurationError, match="https only"):
        other.connect(lambda url: pytest.fail("no URL may be shown"), timeout=5)
    with pytest.raises(ConfigurationError, match="https only"):
        internals(other).tokens.refresh(rejected=tokens.current().access_token)  # same home
    with pytest.raises(ConfigurationError, match="only reached over https"):
        internals(other).http.send("POST", "http://identity.xero.com/connect/token")
    assert refused.urls == []
    assert xero_env.stats()["calls"] == before
    for name in NEVER_SET:
        assert name not in os.environ


def test_the_product_never_writes_oauthlibs_switches() -> None:
    """No module assigns, exports or relaxes either switch (reading the names to check them is
    fine): the loopback exception is decided per URL in core/oauth.py."""
    pattern = r"(environ\[|setenv|putenv|environ\.setdefault|environ\.update).*OAUTHLIB_"
    hits = subprocess.run(
        ["grep", "-rEn", pattern, str(ROOT / "maica_xero_desktop")],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.split("\n")
    assert [hit for hit in hits if hit] == []
