"""``maica-xero webhooks …`` in-process, and the key kept out of every file, log and output."""

from __future__ import annotations

import io
import json
import logging
from pathlib import Path

import pytest

from maica_xero_desktop.cli import main
from maica_xero_desktop.core.logsetup import configure_logging
from maica_xero_desktop.core.paths import app_paths
from maica_xero_desktop.core.service import Service
from maica_xero_desktop.core.webhooks.listener import WebhookListener
from maica_xero_desktop.sandbox import Sandbox
from tests.webhooks.conftest import KEY, delivery, event, post, sign, wait_until

ROTATED = "Rotated" + KEY[7:]


def _run(
    capsys: pytest.CaptureFixture[str], *args: str, stdin: str | None = None
) -> tuple[int, str, str]:
    if stdin is not None:
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr("sys.stdin", io.StringIO(stdin))
            code = main(list(args))
    else:
        code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_site_key_status_events(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys, "webhooks", "set-site", "https://Hooks.Example.org/maica/")
    assert code == 0
    assert out.splitlines()[-1] == "https://hooks.example.org/maica/xero/webhooks"
    code, _, err = _run(capsys, "webhooks", "set-site", "http://hooks.example.org")
    assert code == 2
    assert "must start with https://" in err
    code, out, _ = _run(capsys, "webhooks", "set-key", stdin="")
    assert code == 2
    code, out, _ = _run(capsys, "webhooks", "set-key", stdin=KEY + "\n")
    assert (code, out.strip()) == (0, "Webhook key saved.")
    code, out, _ = _run(capsys, "webhooks", "set-key", "--grace-minutes", "30", stdin=ROTATED)
    assert "previous key is still accepted for 30 minutes" in out
    code, out, _ = _run(capsys, "webhooks", "status", "--json")
    status = json.loads(out)
    assert status["site"] == "https://hooks.example.org/maica"
    assert status["delivery_url"] == "https://hooks.example.org/maica/xero/webhooks"
    assert status["key_saved"] is True
    assert status["previous_key_until"] > 0
    assert status["listening"] is False
    assert status["counts"] == {"new": 0, "processed": 0, "ignored": 0, "failed": 0}
    assert status["paths"] == ["/maica/xero/webhooks", "/xero/webhooks", "/"]
    code, out, _ = _run(capsys, "webhooks", "status")
    assert "Delivery URL:       https://hooks.example.org/maica/xero/webhooks" in out
    assert "Webhook key:        saved (the previous key is still accepted until" in out
    assert "Receiver:           not running" in out
    code, out, _ = _run(capsys, "webhooks", "events", "--json")
    assert json.loads(out) == []
    code, out, _ = _run(capsys, "webhooks", "forget-key")
    code, out, _ = _run(capsys, "webhooks", "status", "--json")
    assert json.loads(out)["key_saved"] is False
    code, _, err = _run(capsys, "webhooks", "serve", "--port", "0")
    assert code == 2
    assert "No webhook key is saved" in err


def test_the_key_never_reaches_a_file_a_log_or_the_output(
    ready: Service, xero_env: Sandbox, home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    console = io.StringIO()
    configure_logging(app_paths(), console_level=logging.DEBUG, stream=console)
    _run(capsys, "webhooks", "set-site", "http://127.0.0.1:5790")
    _run(capsys, "-v", "webhooks", "set-key", stdin=KEY)
    configure_logging(app_paths(), console_level=logging.DEBUG, stream=console)
    listener: WebhookListener = ready.webhooks.listener(port=0, batch_delay=0.05)
    with listener:
        url = f"{listener.url}/xero/webhooks"
        xero_env.webhooks.configure({"url": url, "key": KEY, "duplicate_rate": 1.0})
        assert xero_env.webhooks.intent_to_receive()["ok"]
        tenant = ready.settings().active_tenant_id
        xero_env.pay("3.00", invoice_number="INV-002402", tenant_id=tenant)
        forged = delivery(event(tenant_id=tenant))
        assert post(url, forged, sign(forged, ROTATED)).status == 401
        ready.webhooks.set_key(ROTATED)  # rotation while listening: both accepted for now
        body = delivery(event(tenant_id=tenant))
        assert post(url, body, sign(body, KEY)).status == 200
        assert post(url, body, sign(body, ROTATED)).status == 200
        wait_until(lambda: ready.webhooks.status().counts["processed"] >= 1)
        wait_until(
            lambda: (ready.webhooks.status().intent_to_receive or {}).get("answered_401") == 3
        )
        _, out, _ = _run(capsys, "webhooks", "status")
        assert "listening on 127.0.0.1" in out
        assert "3 answered 200, 3 answered 401" in out
        _, out, _ = _run(capsys, "webhooks", "events")
        assert "INV-002402: Partially Paid" in out
    logging.getLogger("test").info("key in a message %s", KEY)  # redacted, never written
    for handler in logging.getLogger().handlers:
        handler.flush()
    files = [p for p in home.rglob("*") if p.is_file()]
    assert any(p.suffix == ".log" for p in files)
    assert any(p.name == "webhook-receiver.json" for p in files)
    for path in files:
        content = path.read_bytes()
        for secret in (KEY, ROTATED):
            assert secret.encode() not in content, path
    assert KEY not in console.getvalue()
    assert "[redacted]" in (home / "logs" / "maica-xero.log").read_text()


def test_key_changes_from_another_command_reach_a_running_receiver_at_once(
    ready: Service, listening: WebhookListener, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"{listening.url}/xero/webhooks"
    body = delivery(event())
    assert post(url, body, sign(body)).status == 200
    assert _run(capsys, "webhooks", "forget-key")[0] == 0  # its own Service, like a process
    assert post(url, body, sign(body)).status == 401  # not 30 s later: now
    assert "Webhook key:        not saved" in _run(capsys, "webhooks", "status")[1]
    _run(capsys, "webhooks", "set-key", stdin=KEY)
    assert post(url, body, sign(body)).status == 200
    _run(capsys, "webhooks", "set-key", "--grace-minutes", "0", stdin=ROTATED)
    assert post(url, body, sign(body)).status == 401
    assert post(url, body, sign(body, ROTATED)).status == 200
