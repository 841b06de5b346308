"""The receiver on a real socket: 200 only for a correctly signed delivery, stored before the
answer; 401 / 413 / 411 / 503 / 405 / 404 otherwise with nothing stored; slow clients cut off."""

from __future__ import annotations

import json
import socket
import time

import pytest

from maica_xero_desktop.core.webhooks.statusfile import read_status
from tests.webhooks.conftest import KEY, Bare, delivery, event, post, sign, wait_until


def _raw(bare: Bare, data: bytes, read: bool = True) -> bytes:
    with socket.create_connection(("127.0.0.1", bare.receiver.port), timeout=5) as sock:
        sock.sendall(data)
        if not read:
            return b""
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
        return b"".join(chunks)


def test_signed_delivery_is_stored_before_200_and_repeats_counted(bare: Bare) -> None:
    body = delivery(event(), event(category="CONTACT"))
    answer = post(bare.url, body, sign(body))
    assert answer.status == 200
    assert answer.body == b""
    assert "Set-Cookie" not in answer.headers
    assert answer.headers["Content-Length"] == "0"
    assert bare.stored() == 2  # already in the database when the answer arrived
    assert bare.woken == [1]
    again = post(bare.url, body, sign(body))
    assert again.status == 200
    assert bare.stored() == 2
    assert bare.store.webhook_deliveries() == 4
    assert all(e.status == "new" for e in bare.store.webhook_events())


def test_intent_to_receive_answers_and_is_recorded(bare: Bare) -> None:
    for signed in (True, False, True, False, False):
        body = delivery()
        answer = post(bare.url, body, sign(body) if signed else sign(body, "wrong-key-1234567890"))
        assert answer.status == (200 if signed else 401)
        assert answer.body == b""
    assert bare.stored() == 0
    bare.status.flush()
    itr = read_status(bare.status.path)["intent_to_receive"]
    assert (itr["answered_200"], itr["answered_401"]) == (2, 3)


@pytest.mark.parametrize(
    "mangle",
    [
        lambda body, sig: (body, None),  # no signature
        lambda body, sig: (body, ""),
        lambda body, sig: (body, sig[:-8]),  # truncated signature
        lambda body, sig: (body, sign(body, "forged-key-0123456789")),
        lambda body, sig: (body + b" ", sig),  # body changed after signing
        lambda body, sig: (body[:-5], sig),  # truncated body
        lambda body, sig: (body, sig.lower()),
        lambda body, sig: (body, sig + "\u00e9"),
    ],
)
def test_wrong_signatures_get_401_and_nothing_stored(bare: Bare, mangle: object) -> None:
    body = delivery(event())
    given_body, given_sig = mangle(body, sign(body))  # type: ignore[operator]
    headers = {}
    if given_sig is not None:
        headers["x-xero-signature"] = given_sig.encode("utf-8").decode("latin-1")
    answer = post(bare.url, given_body, headers=headers)
    assert answer.status == 401
    assert answer.body == b""
    assert bare.stored() == 0


@pytest.mark.parametrize(
    "body",
    [b"not json at all", b"[1, 2]", b'{"events": "x"}', b'{"events": [{"resourceId": 1}]}', b""],
)
def test_signed_but_not_a_delivery_gets_401(bare: Bare, body: bytes) -> None:
    assert post(bare.url, body, sign(body)).status == 401
    assert bare.stored() == 0


def test_two_signature_headers_get_401(bare: Bare) -> None:
    body = delivery(event())
    head = (
        f"POST /xero/webhooks HTTP/1.1\r\nHost: x\r\nContent-Length: {len(body)}\r\n"
        f"x-xero-signature: {sign(body)}\r\nx-xero-signature: {sign(body)}\r\n\r\n"
    )
    assert _raw(bare, head.encode() + body).startswith(b"HTTP/1.1 401")
    assert bare.stored() == 0


def test_oversized_bodies_get_413_before_being_read(bare: Bare) -> None:
    head = b"POST /xero/webhooks HTTP/1.1\r\nHost: x\r\nContent-Length: 10000000\r\n\r\n"
    assert _raw(bare, head).startswith(b"HTTP/1.1 413")
    big = delivery(*[event() for _ in range(400)])
    assert len(big) > 64 * 1024
    answer = post(bare.url, big, sign(big))  # sent whole: the client still reads the 413
    assert answer.status == 413
    assert bare.stored() == 0


def test_framing_errors(bare: Bare) -> None:
    chunked = (
        b"POST /xero/webhooks HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"
    )
    assert _raw(bare, chunked).startswith(b"HTTP/1.1 411")
    no_length = b"POST /xero/webhooks HTTP/1.1\r\nHost: x\r\n\r\n"
    assert _raw(bare, no_length).startswith(b"HTTP/1.1 411")
    bad_length = b"POST /xero/webhooks HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n"
    assert _raw(bare, bad_length).startswith(b"HTTP/1.1 400")
    long_header = b"POST / HTTP/1.1\r\nX-Junk: " + b"a" * 70000 + b"\r\n\r\n"
    answer = _raw(bare, long_header)
    assert answer.startswith(b"HTTP/1.1 4")
    assert b"Traceback" not in answer
    assert answer.endswith(b"\r\n\r\n")  # no body
    tls_hello = _raw(bare, b"\x16\x03\x01 garbage\r\n\r\n")  # TLS to a plain receiver
    assert tls_hello == b"" or tls_hello.startswith(b"HTTP/1.1 4")
    assert _raw(bare, b"BREW /xero/webhooks HTTP/1.1\r\n\r\n").startswith(b"HTTP/1.1 405")
    assert bare.stored() == 0


def test_paths_methods_and_the_toggle(bare: Bare) -> None:
    body = delivery(event())
    port = bare.receiver.port
    for path in ("/maica/xero/webhooks", "/xero/webhooks", "/"):
        assert post(f"http://127.0.0.1:{port}{path}", delivery(), sign(delivery())).status in (
            200,
            401,
        )
        itr = delivery()
        assert post(f"http://127.0.0.1:{port}{path}", itr, sign(itr)).status == 200
    assert post(f"http://127.0.0.1:{port}/elsewhere", body, sign(body)).status == 404
    answer = post(bare.url, b"", method="GET")
    assert (answer.status, answer.headers.get("Allow")) == (405, "POST")
    assert post(bare.url, b"", method="OPTIONS").status == 405
    bare.enabled[0] = False
    answer = post(bare.url, body, sign(body))
    assert (answer.status, answer.body) == (503, b"")
    assert bare.stored() == 0
    bare.enabled[0] = True
    assert post(bare.url, body, sign(body)).status == 200


def test_slow_clients_are_cut_off_and_others_served(bare: Bare) -> None:
    slow = socket.create_connection(("127.0.0.1", bare.receiver.port), timeout=5)
    with slow:
        slow.sendall(b"POST /xero/webhooks HTTP/1.1\r\nHost: x\r\n")
        started = time.monotonic()
        body = delivery(event())
        assert post(bare.url, body, sign(body)).status == 200  # not blocked by the slow one
        for _ in range(3):  # trickle a header line now and then
            time.sleep(0.4)
            try:
                slow.sendall(b"X-Slow: 1\r\n")
            except OSError:
                break
        closed = wait_until(lambda: _closed(slow), timeout=5)
        assert closed
        assert time.monotonic() - started < 4.0
    half = socket.create_connection(("127.0.0.1", bare.receiver.port), timeout=5)
    with half:
        body = delivery(event())
        half.sendall(
            f"POST /xero/webhooks HTTP/1.1\r\nHost: x\r\nContent-Length: {len(body)}\r\n"
            f"x-xero-signature: {sign(body)}\r\n\r\n".encode()
            + body[:20]
        )
        assert wait_until(lambda: _closed(half), timeout=5)
    assert bare.stored() == 1


def _closed(sock: socket.socket) -> bool:
    sock.settimeout(0.1)
    try:
        return sock.recv(65536) == b""
    except TimeoutError:
        return False
    except OSError:
        return True


def test_status_file_while_listening_and_after(bare: Bare) -> None:
    saved = read_status(bare.status.path)
    assert saved["listening"] is True
    assert saved["port"] == bare.receiver.port
    assert saved["host"] == "127.0.0.1"
    assert "/xero/webhooks" in saved["paths"]
    bare.receiver.stop()
    saved = read_status(bare.status.path)
    assert saved["listening"] is False
    assert saved["stopped_at"] >= saved["started_at"]
    assert KEY not in bare.status.path.read_text()
    assert json.loads(bare.status.path.read_text())["pid"] > 0
