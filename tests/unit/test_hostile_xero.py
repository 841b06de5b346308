"""A misbehaving "Xero" on a real socket: every odd answer becomes a sentence, never a traceback."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from maica_xero_desktop.core.errors import MaicaXeroError, XeroRequestError
from maica_xero_desktop.core.secrets import TokenSet
from maica_xero_desktop.core.service import Service
from maica_xero_desktop.core.sync.xerodata import items

ANSWERS: dict[str, tuple[int, dict[str, str], bytes]] = {}


class _Handler(BaseHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        status, headers, body = ANSWERS.get(self.path.split("?")[0], (404, {}, b""))
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def hostile(home: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Service]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    for name in ("LOGIN", "IDENTITY", "API"):
        monkeypatch.setenv(f"MAICA_XERO_{name}_URL", base)
    monkeypatch.setenv("MAICA_XERO_CLIENT_ID", "HOSTILECLIENT0001")
    service = Service(sleep=lambda s: None)
    service.set_enabled(True)
    service.secrets.save_tokens(
        TokenSet("access-token-hostile", "refresh-token-hostile", time.time() + 3600, time.time())
    )
    ANSWERS.clear()
    yield service
    server.shutdown()
    server.server_close()
    thread.join(5)


JSON = {"Content-Type": "application/json"}


@pytest.mark.parametrize(
    "answer",
    [
        (200, JSON, b"<html>not json</html>"),
        (200, JSON, b'{"not": "a list"}'),
        (200, JSON, b"\xff\xfe\x00garbage"),
        (400, JSON, b'{"Message": "Something odd"}'),
        (418, {}, b""),
        (503, {}, b"down"),
    ],
)
def test_odd_connection_answers_are_sentences(
    hostile: Service, answer: tuple[int, dict[str, str], bytes]
) -> None:
    ANSWERS["/connections"] = answer
    with pytest.raises(MaicaXeroError) as info:
        hostile.connections()
    sentence = str(info.value)
    assert sentence.endswith(".")
    assert "Traceback" not in sentence
    assert "access-token-hostile" not in sentence + info.value.detail


def test_odd_items_are_skipped_not_fatal(hostile: Service) -> None:
    ANSWERS["/connections"] = (
        200,
        JSON,
        b'[1, "x", null, {"id": "c1"}, {"id": "c2", "tenantId": "t2", "tenantName": null}]',
    )
    view = hostile.connections()
    assert [(c.id, c.tenant_name) for c in view.connections] == [("c2", "(unnamed organisation)")]


def test_huge_page_is_handled(hostile: Service) -> None:
    rows = ",".join(
        f'{{"id": "c{i}", "tenantId": "t{i}", "tenantName": "Org {i}"}}' for i in range(20_000)
    )
    ANSWERS["/connections"] = (200, JSON, f"[{rows}]".encode())
    assert len(hostile.connections().connections) == 20_000


def test_accounting_body_that_is_not_json(hostile: Service) -> None:
    ANSWERS["/api.xro/2.0/Accounts"] = (200, JSON, b"{truncated")
    with pytest.raises(XeroRequestError, match="not JSON"):
        hostile.xero.accounting("GET", "Accounts", "tenant")


@pytest.mark.parametrize(
    "body", [None, [], "x", {"Invoices": "x"}, {"Invoices": [1, None, {"InvoiceID": "a"}]}]
)
def test_items_of_any_shape(body: object) -> None:
    assert all(isinstance(item, dict) for item in items(body, "Invoices"))
