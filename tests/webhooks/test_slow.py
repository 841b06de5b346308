"""Slow and greedy clients against the receiver on a real socket (the ``bare`` fixture: header and
body deadlines of 1 s, 8 connections per peer): trickled headers and bodies are answered 408 (never
500), idle connections closed, one address cannot take more than its share (except a local
proxy's), and genuine deliveries are answered at once while all that goes on."""

from __future__ import annotations

import contextlib
import socket
import time

import pytest

from maica_xero_desktop.core.webhooks.httpd import proxy_address
from maica_xero_desktop.core.webhooks.statusfile import read_status
from tests.webhooks.conftest import Bare, delivery, event, post, sign, wait_until


def _connect(bare: Bare, source: str = "127.0.0.1") -> socket.socket:
    return socket.create_connection(
        ("127.0.0.1", bare.receiver.port), timeout=5, source_address=(source, 0)
    )


def _closed(sock: socket.socket) -> bool:
    sock.settimeout(0.1)
    try:
        return sock.recv(65536) == b""
    except TimeoutError:
        return False
    except OSError:
        return True


def _answer(sock: socket.socket, limit: float = 5.0) -> bytes:
    """What the receiver sends until it closes (or ``limit`` seconds pass)."""
    sock.settimeout(limit)
    chunks = []
    with contextlib.suppress(OSError):
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


@pytest.fixture
def sources() -> list[str]:
    """Loopback addresses this machine can send from (all of 127/8 on Linux)."""
    found = []
    for last in range(2, 20):
        address = f"127.0.0.{last}"
        try:
            with socket.socket() as probe:
                probe.bind((address, 0))
        except OSError:
            break
        found.append(address)
    if len(found) < 3:
        pytest.skip("this system does not route 127.0.0.2 and beyond to the loopback interface")
    return found


def test_trickled_headers_get_408_after_the_header_deadline(bare: Bare) -> None:
    with _connect(bare) as slow:
        started = time.monotonic()
        slow.sendall(b"POST /xero/webhooks HTTP/1.1\r\nHost: x\r\n")
        for _ in range(4):  # a header line now and then: never idle, never done
            time.sleep(0.3)
            with contextlib.suppress(OSError):
                slow.sendall(b"X-Slow: 1\r\n")
        answer = _answer(slow)
        assert answer.startswith(b"HTTP/1.1 408 ")
        assert answer.endswith(b"\r\n\r\n")  # no body
        assert time.monotonic() - started < 4.0
    assert bare.receiver.connection_stats()["header_timeout"] == 1
    bare.status.flush(force=True)
    assert read_status(bare.status.path)["requests"]["header_timeout"] == 1  # webhooks status


def test_a_slow_body_gets_408_not_500(bare: Bare, caplog: pytest.LogCaptureFixture) -> None:
    body = delivery(event())
    with _connect(bare) as slow:
        slow.sendall(
            f"POST /xero/webhooks HTTP/1.1\r\nHost: x\r\nContent-Length: {len(body)}\r\n"
            f"x-xero-signature: {sign(body)}\r\n\r\n".encode()
        )
        for byte in range(8):  # one byte every 0.25 s: the body would take minutes
            with contextlib.suppress(OSError):
                slow.sendall(body[byte : byte + 1])
            time.sleep(0.25)
        answer = _answer(slow)
    assert answer.startswith(b"HTTP/1.1 408 ")
    assert b"Traceback" not in answer
    assert not any(r.levelname == "ERROR" for r in caplog.records)
    assert bare.stored() == 0
    assert bare.receiver.connection_stats()["body_timeout"] == 1


def test_idle_connections_are_closed_and_others_served(bare: Bare) -> None:
    with _connect(bare) as idle, _connect(bare) as half:
        body = delivery(event())
        half.sendall(
            f"POST /xero/webhooks HTTP/1.1\r\nHost: x\r\nContent-Length: {len(body)}\r\n"
            f"x-xero-signature: {sign(body)}\r\n\r\n".encode()
            + body[:20]
        )
        assert post(bare.url, body, sign(body)).status == 200  # not blocked by either
        assert wait_until(lambda: _closed(idle), timeout=5)
        assert _answer(half).startswith(b"HTTP/1.1 408 ")
    assert bare.stored() == 1


def test_one_peer_cannot_take_every_connection(bare: Bare, sources: list[str]) -> None:
    greedy = [_connect(bare, sources[1]) for _ in range(8)]
    try:
        time.sleep(0.2)  # accepted
        body = delivery(event())
        with _connect(bare, sources[1]) as ninth:
            with contextlib.suppress(OSError):
                ninth.sendall(
                    f"POST /xero/webhooks HTTP/1.1\r\nHost: x\r\nContent-Length: {len(body)}\r\n"
                    f"x-xero-signature: {sign(body)}\r\n\r\n".encode()
                    + body
                )
            assert _answer(ninth, 2.0) == b""  # closed at once, unanswered
        assert bare.stored() == 0
        assert post(bare.url, body, sign(body), source=sources[0]).status == 200
        assert bare.receiver.connection_stats()["per_peer"] >= 1
    finally:
        for sock in greedy:
            sock.close()
    body = delivery(event())
    assert wait_until(lambda: _accepted(bare, body, sources[1]), timeout=5)  # free again


def _accepted(bare: Bare, body: bytes, source: str) -> bool:
    try:
        return post(bare.url, body, sign(body), source=source).status == 200
    except OSError:  # the receiver has not seen those closes yet
        return False


def test_the_local_proxy_address_is_not_limited_per_peer(bare: Bare) -> None:
    """Behind a proxy or tunnel every client is 127.0.0.1: slow ones there must not lock Xero
    out (the deadlines and the total limit hold them instead)."""
    slow = [_connect(bare) for _ in range(100)]  # far over the 8 per peer (and 64 in all)
    try:
        for sock in slow[::2]:
            sock.sendall(b"POST /xero/webhooks HTTP/1.1\r\nHost: x\r\n")
        for _ in range(3):
            body = delivery(event())
            started = time.monotonic()
            assert post(bare.url, body, sign(body)).status == 200
            assert time.monotonic() - started < 1.0
        assert "per_peer" not in bare.receiver.connection_stats()
    finally:
        for sock in slow:
            sock.close()


def test_genuine_deliveries_answered_within_a_second_among_slow_connections(
    bare: Bare, sources: list[str]
) -> None:
    slow: list[socket.socket] = []
    try:
        for source in sources[1:]:
            for number in range(8):
                sock = _connect(bare, source)
                if number % 2:
                    sock.sendall(b"POST /xero/webhooks HTTP/1.1\r\nContent-Length: 999\r\n")
                slow.append(sock)
        seconds = []
        for _ in range(10):
            body = delivery(event())
            started = time.monotonic()
            assert post(bare.url, body, sign(body), source=sources[0]).status == 200
            seconds.append(time.monotonic() - started)
            for sock in slow[1::2]:
                with contextlib.suppress(OSError):
                    sock.sendall(b"X: y\r\n")
        assert max(seconds) < 1.0, seconds
        assert bare.stored() == 10
    finally:
        for sock in slow:
            sock.close()


@pytest.mark.parametrize(
    ("peer", "proxy"),
    [
        ("127.0.0.1", True),
        ("::1", True),
        ("::ffff:127.0.0.1", True),
        ("10.0.0.25", True),
        ("192.168.1.7", True),
        ("fe80::1%eth0", True),
        ("8.8.4.4", False),
        ("2001:4860::8888", False),
        ("", False),
    ],
)
def test_which_peers_may_be_the_sites_proxy(peer: str, proxy: bool) -> None:
    assert proxy_address(peer) is proxy
