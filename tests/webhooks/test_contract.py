"""What the sandbox sends validates against Xero's xero-webhooks.yaml (WebhookEvent).

xero-webhooks.yaml is OpenAPI 3.1, whose schemas are JSON Schema 2020-12: its enumerations are
``oneOf`` lists of ``const`` s. tests.contract.openapi validates as OpenAPI 3.0 (draft 4), which
does not know ``const`` — every branch would match and every ``oneOf`` fail — so the schema is
checked here with a 2020-12 validator over the same loaded file and the same format checks.
"""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from referencing import Registry
from referencing.jsonschema import DRAFT202012

from maica_xero_desktop.sandbox import Sandbox
from tests.contract.openapi import FORMATS, WEBHOOKS, load_spec
from tests.webhooks.conftest import KEY, sign, wait_until

_URI = "urn:xero-webhooks"


def problems(instance: Any, schema: str = "WebhookEvent") -> list[str]:
    registry: Registry[Any] = Registry().with_resource(
        _URI, DRAFT202012.create_resource(load_spec(WEBHOOKS))
    )
    validator = Draft202012Validator(
        {"$ref": f"{_URI}#/components/schemas/{schema}"},
        registry=registry,
        format_checker=FORMATS,
    )
    found = validator.iter_errors(instance)
    return [f"{'/'.join(map(str, e.absolute_path)) or '<root>'}: {e.message}" for e in found]


def test_the_check_rejects_what_xero_would_not_send() -> None:
    bad = {"events": [{"eventCategory": "PAYMENT"}], "entropy": "X"}
    found = " ".join(problems(bad))
    assert "firstEventSequence" in found
    assert "resourceId" in found
    assert "eventCategory" in found


class _Capture(ThreadingHTTPServer):
    daemon_threads = True
    bodies: list[bytes]
    signatures: list[str]


class _Handler(BaseHTTPRequestHandler):
    server: _Capture

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.server.bodies.append(body)
        self.server.signatures.append(self.headers.get("x-xero-signature", ""))
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def capture() -> Iterator[_Capture]:
    server = _Capture(("127.0.0.1", 0), _Handler)
    server.bodies, server.signatures = [], []
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join()


def test_event_deliveries_validate(sandbox: Sandbox, capture: _Capture) -> None:
    url = f"http://127.0.0.1:{capture.server_port}/xero/webhooks"
    sandbox.webhooks.configure(
        {"url": url, "key": KEY, "categories": ["INVOICE", "CONTACT"], "duplicate_rate": 0.5}
    )
    tenant = sandbox.config.organisations[0].tenant_id
    _make_invoice(sandbox, tenant)
    assert sandbox.webhooks.wait_idle(10)
    wait_until(lambda: capture.bodies)
    categories = set()
    for body, signature in zip(capture.bodies, capture.signatures, strict=True):
        assert signature == sign(body)
        payload = json.loads(body)
        assert problems(payload) == []
        assert payload["events"]
        assert payload["firstEventSequence"] <= payload["lastEventSequence"]
        for item in payload["events"]:
            categories.add(item["eventCategory"])
            assert item["tenantId"] == tenant
            assert "Z" not in item["eventDateUtc"]  # UTC without a zone, like Xero
    assert categories == {"INVOICE", "CONTACT"}


def test_intent_to_receive_bodies_differ_from_the_schema_only_in_sequence(
    sandbox: Sandbox, capture: _Capture
) -> None:
    url = f"http://127.0.0.1:{capture.server_port}/"
    sandbox.webhooks.configure({"url": url, "key": KEY})
    result = sandbox.webhooks.intent_to_receive(6)
    assert result["ok"] is False  # this capture server answers 200 to everything
    assert len(capture.bodies) == 6
    for body in capture.bodies:
        payload = json.loads(body)
        assert payload["events"] == []
        # Xero's Intent to Receive sends sequence 0, which the schema's minimum (1) does not
        # allow: the only disagreement, and a documented one (xero-platform.md §3).
        found = problems(payload)
        assert len(found) == 2, found
        assert all("Sequence" in p and "minimum" in p for p in found), found


def _make_invoice(sandbox: Sandbox, tenant: str) -> None:
    """A contact and an invoice through the Accounting API's own code path (events fire)."""
    from maica_xero_desktop.sandbox.ledger import LedgerEvent

    now = sandbox.state.now()
    contact_id = "11111111-2222-3333-4444-555555555555"
    invoice_id = "66666666-7777-8888-9999-000000000000"
    sandbox.state.notify(
        [
            LedgerEvent(tenant, "CONTACT", "CREATE", contact_id, now),
            LedgerEvent(tenant, "INVOICE", "CREATE", invoice_id, now),
            LedgerEvent(tenant, "INVOICE", "UPDATE", invoice_id, now),
        ]
    )


def test_the_sandbox_sends_chunked_when_asked(sandbox: Sandbox) -> None:
    heads: list[bytes] = []
    with socket.create_server(("127.0.0.1", 0)) as server:
        server.settimeout(10)

        def answer_two() -> None:
            for _ in range(2):
                conn, _ = server.accept()
                with conn:
                    conn.settimeout(10)
                    raw = b""
                    while not raw.partition(b"\r\n\r\n")[2].endswith(b"\r\n0\r\n\r\n"):
                        chunk = conn.recv(65536)
                        if not chunk:
                            break
                        raw += chunk
                    heads.append(raw)
                    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")

        thread = threading.Thread(target=answer_two)
        thread.start()
        url = f"http://127.0.0.1:{server.getsockname()[1]}/"
        sandbox.webhooks.configure({"url": url, "key": KEY, "chunked": True})
        sandbox.webhooks.intent_to_receive(2)
        thread.join(10)
    assert len(heads) == 2
    for raw in heads:
        head, _, chunked = raw.partition(b"\r\n\r\n")
        assert b"transfer-encoding: chunked" in head.lower()
        assert b"content-length" not in head.lower()
        assert chunked.count(b"\r\n") > 4  # more than one chunk
