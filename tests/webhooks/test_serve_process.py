"""``webhooks set-key`` and ``webhooks serve`` as real processes with the real Secret Service:
the key goes in through standard input, the sandbox's Intent to Receive passes against the served
receiver, a key removed by another process stops working at once, SIGTERM stops it and the
status file says so; the key is in no file and no output."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from keyring.backend import KeyringBackend

from maica_xero_desktop.core.secrets import SecretStore
from maica_xero_desktop.sandbox import Sandbox, SandboxConfig
from tests.webhooks.conftest import KEY, delivery, event, post, sign, wait_until

pytestmark = pytest.mark.secret_service


def _cli(*args: str, env: dict[str, str], stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "maica_xero_desktop", *args],
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.fixture
def env(home: Path) -> dict[str, str]:
    values = {k: v for k, v in os.environ.items() if not k.startswith("MAICA_XERO_")}
    values.pop("PYTHON_KEYRING_BACKEND", None)
    values["MAICA_XERO_HOME"] = str(home)
    return values


def test_set_key_then_serve_until_sigterm(
    env: dict[str, str], home: Path, secret_service: KeyringBackend
) -> None:
    saved = _cli("webhooks", "set-key", env=env, stdin=KEY + "\n")
    assert saved.returncode == 0, saved.stderr
    assert SecretStore(str(home)).get("webhook_key") == KEY
    assert _cli("enable", env=env).returncode == 0
    assert _cli("webhooks", "set-site", "http://127.0.0.1:5790", env=env).returncode == 0
    serve = subprocess.Popen(
        [sys.executable, "-m", "maica_xero_desktop", "webhooks", "serve", "--port", "0"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        stdin=subprocess.DEVNULL,
    )
    outputs = [saved.stdout, saved.stderr]
    try:
        assert serve.stdout is not None
        first = serve.stdout.readline()
        assert first.startswith("Webhook receiver listening on http://127.0.0.1:"), first
        url = first.split(" on ", 1)[1].split(" ", 1)[0] + "/xero/webhooks"
        with Sandbox(SandboxConfig(port=0)) as sandbox:
            sandbox.webhooks.configure({"url": url, "key": KEY})
            result = sandbox.webhooks.intent_to_receive(6)
            assert result["ok"], result
        status = wait_until(lambda: _status(env, 3))
        assert status["listening"] is True
        assert status["receiver"]["pid"] == serve.pid
        body = delivery(event())
        assert post(url, body, sign(body)).status == 200
        assert _cli("webhooks", "forget-key", env=env).returncode == 0
        assert post(url, body, sign(body)).status == 401  # the served process knows at once
    finally:
        serve.terminate()
        out, err = serve.communicate(timeout=20)
        outputs += [out, err]
    assert serve.returncode == 0, err
    assert "Webhook receiver stopped." in out
    after = json.loads(_cli("webhooks", "status", "--json", env=env).stdout)
    assert after["listening"] is False
    everything = "\n".join(outputs) + "".join(
        p.read_bytes().decode("utf-8", "replace") for p in home.rglob("*") if p.is_file()
    )
    assert KEY not in everything


def _status(env: dict[str, str], refused: int) -> dict[str, object] | None:
    shown = json.loads(_cli("webhooks", "status", "--json", env=env).stdout)
    itr = shown.get("intent_to_receive") or {}
    return shown if itr.get("answered_401") == refused else None
