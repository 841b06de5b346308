"""A misbehaving "Xero" on a real socket: every odd answer becomes a sentence, never a traceback."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from maica_xero_desktop.core.errors import MaicaXeroError, XeroRequestError, XeroUnavailable
from maica_xero_desktop.core.secrets import TokenSet
from maica_xero_desktop.core.service import Service, internals
from maica_xero_desktop.core.sync.xerodata import items

ANSWERS: dict[str, tuple[int, dict[str, str], bytes]] = {}
#: Answers that misbehave over time: a function that writes the whole answer itself.
BEHAVIOURS: dict[str, Callable[[BaseHTTPRequestHandler], None]] = {}
REQUESTS: list[str] = []


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        path = self.path.split("?")[0]
        REQUESTS.append(f"{self.command} {path}")
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        behaviour = BEHAVIOURS.get(path)
        if behaviour is not None:
            self.close_connection = True
            with contextlib.suppress(OSError):
                behaviour(self)
            return
        status, headers, body = ANSWERS.get(path, (404, {}, b""))
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_PUT = do_POST = do_GET


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
    internals(service).secrets.save_tokens(
        TokenSet("access-token-hostile", "refresh-token-hostile", time.time() + 3600, time.time())
    )
    ANSWERS.clear()
    BEHAVIOURS.clear()
    REQUESTS.clear()
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
        internals(hostile).xero.accounting("GET", "Accounts", "tenant")


@pytest.mark.parametrize(
    "body", [None, [], "x", {"Invoices": "x"}, {"Invoices": [1, None, {"InvoiceID": "a"}]}]
)
def test_items_of_any_shape(body: object) -> None:
    assert all(isinstance(item, dict) for item in items(body, "Invoices"))


# ----------------------------------------------------------------------------- bounded answers


def _trickle(handler: BaseHTTPRequestHandler) -> None:
    """Headers at once, then a byte every 0.1 s of a body that would take 100 s."""
    handler.send_response(200)
    handler.send_header("Content-Type", "application/json")
    handler.send_header("Content-Length", "1000")
    handler.end_headers()
    handler.wfile.flush()
    for _ in range(1000):
        handler.wfile.write(b" ")
        handler.wfile.flush()
        time.sleep(0.1)


def _endless(handler: BaseHTTPRequestHandler) -> None:
    """An answer with no length that never ends: as fast as the socket takes it."""
    handler.send_response(200)
    handler.send_header("Content-Type", "application/json")
    handler.send_header("Connection", "close")
    handler.end_headers()
    block = b"[" + b"1," * 32_768
    while True:
        handler.wfile.write(block)


def _trickle_headers(handler: BaseHTTPRequestHandler) -> None:
    """The status line, then header bytes one at a time: no read ever waits long."""
    handler.wfile.write(b"HTTP/1.1 200 OK\r\n")
    handler.wfile.flush()
    for _ in range(1000):
        handler.wfile.write(b"X")
        handler.wfile.flush()
        time.sleep(0.1)


def test_trickling_headers_end_at_the_deadline(hostile: Service) -> None:
    internals(hostile).http.deadline = 1.0
    BEHAVIOURS["/connections"] = _trickle_headers
    started = time.monotonic()
    with pytest.raises(XeroUnavailable, match="did not arrive within 1 second\\. "):
        internals(hostile).xero.get_connections()
    assert time.monotonic() - started < 2.5


def test_a_trickling_answer_ends_at_the_deadline(hostile: Service) -> None:
    internals(hostile).http.deadline = 1.0
    BEHAVIOURS["/connections"] = _trickle
    started = time.monotonic()
    with pytest.raises(XeroUnavailable, match="did not arrive within 1 second\\. "):
        internals(hostile).xero.get_connections()
    assert time.monotonic() - started < 2.5
    assert len(REQUESTS) == 1  # not retried: the caller would wait a whole deadline more


def test_an_endless_answer_is_cut_at_the_size_cap(hostile: Service) -> None:
    internals(hostile).http.max_bytes = 2_000_000
    BEHAVIOURS["/connections"] = _endless
    started = time.monotonic()
    with pytest.raises(XeroUnavailable, match=r"larger than 2 MB, so it was not read"):
        internals(hostile).xero.get_connections()
    assert time.monotonic() - started < 5
    assert len(REQUESTS) == 1  # not retried: it would be as large again


def test_a_declared_length_over_the_cap_is_not_read(hostile: Service) -> None:
    internals(hostile).http.max_bytes = 1000
    ANSWERS["/connections"] = (200, JSON, b"[" + b"1," * 1000 + b"1]")
    with pytest.raises(XeroUnavailable, match=r"larger than 0\.001 MB"):
        internals(hostile).xero.get_connections()


def test_a_slow_answer_to_a_write_is_unknown_and_not_sent_again(hostile: Service) -> None:
    internals(hostile).http.deadline = 1.0
    BEHAVIOURS["/api.xro/2.0/Invoices"] = _trickle
    started = time.monotonic()
    # XeroUnavailable, never XeroRequestError (a refusal): Xero may have created the invoices
    with pytest.raises(XeroUnavailable):
        internals(hostile).xero.accounting("PUT", "Invoices", "tenant", json={"Invoices": []})
    assert time.monotonic() - started < 2.5
    assert REQUESTS == ["PUT /api.xro/2.0/Invoices"]  # unknown: the sync looks it up instead


def test_an_answer_within_the_limits_is_read_whole(hostile: Service) -> None:
    internals(hostile).http.max_bytes = 10_000
    rows = ",".join(
        f'{{"id": "c{i}", "tenantId": "t{i}", "tenantName": "O{i}"}}' for i in range(100)
    )
    ANSWERS["/connections"] = (200, JSON, f"[{rows}]".encode())
    assert len(hostile.connections().connections) == 100


def test_xero_messages_are_escaped_in_sentences(hostile: Service) -> None:
    ANSWERS["/api.xro/2.0/Accounts"] = (
        400,
        JSON,
        b'{"Message": "Bad\\u001b[2J\\nERROR: forged line\\u202e"}',
    )
    with pytest.raises(XeroRequestError) as info:
        internals(hostile).xero.accounting("GET", "Accounts", "tenant")
    sentence = str(info.value)
    assert sentence == (
        "Xero refused the request (HTTP 400): Bad\\x1b[2J\\nERROR: forged line\\u202e."
    )
    assert all(char.isprintable() for char in sentence + info.value.detail)


def test_token_endpoint_errors_are_escaped(hostile: Service) -> None:
    ANSWERS["/connect/token"] = (
        400,
        JSON,
        b'{"error": "odd\\u001b[31m\\nINFO forged", "error_description": "x\\u202ey"}',
    )
    with pytest.raises(MaicaXeroError) as info:
        hostile._identity().exchange_code("code", "http://localhost/cb", "v", now=time.time())
    sentence = str(info.value)
    assert "odd\\x1b[31m\\nINFO forged" in sentence
    assert all(char.isprintable() for char in sentence + info.value.detail)
