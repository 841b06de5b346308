"""The OAuth loopback receiver, over real sockets on 127.0.0.1."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator

import pytest
import requests

from maica_xero_desktop.core import loopback
from maica_xero_desktop.core.errors import (
    AuthorizationCancelled,
    AuthorizationError,
    ConfigurationError,
    MaicaXeroError,
)
from maica_xero_desktop.core.loopback import Callback, LoopbackReceiver


def _free_ports(count: int) -> list[int]:
    ports = []
    sockets = []
    for _ in range(count):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        sockets.append(s)
        ports.append(s.getsockname()[1])
    for s in sockets:
        s.close()
    return ports


@pytest.fixture
def receiver() -> Iterator[LoopbackReceiver]:
    r = LoopbackReceiver(_free_ports(1), "/callback", "the-state")
    r.start()
    yield r
    r.close()


def _get(port: int, path: str) -> requests.Response:
    return requests.get(f"http://127.0.0.1:{port}{path}", timeout=5)


def _wait_in_thread(
    r: LoopbackReceiver,
    timeout: float = 5.0,
    complete: Callable[[Callback], object] | None = None,
) -> dict[str, object]:
    outcome: dict[str, object] = {}

    def run() -> None:
        try:
            outcome["result"] = r.wait(timeout, complete=complete)
        except MaicaXeroError as exc:
            outcome["error"] = exc

    thread = threading.Thread(target=run)
    thread.start()
    outcome["thread"] = thread
    return outcome


def test_valid_callback_returns_code_and_closes(receiver: LoopbackReceiver) -> None:
    outcome = _wait_in_thread(receiver)
    response = _get(receiver.port, "/callback?code=abc123&state=the-state&scope=openid")
    assert response.status_code == 200
    assert "Sign-in received" in response.text  # not "Connected": nothing was exchanged yet
    assert response.headers["Cache-Control"] == "no-store"
    thread = outcome["thread"]
    assert isinstance(thread, threading.Thread)
    thread.join(5)
    result = outcome["result"]
    assert getattr(result, "code", None) == "abc123"
    with pytest.raises(requests.ConnectionError):
        _get(receiver.port, "/callback?code=again&state=the-state")


def test_wrong_path_and_method_are_refused(receiver: LoopbackReceiver) -> None:
    assert _get(receiver.port, "/other?code=x&state=the-state").status_code == 404
    post = requests.post(f"http://127.0.0.1:{receiver.port}/callback", timeout=5)
    assert post.status_code == 405
    # still waiting for the real callback
    _wait_in_thread(receiver)
    assert _get(receiver.port, "/callback?code=c&state=the-state").status_code == 200


def test_state_mismatch_keeps_waiting_then_explains(receiver: LoopbackReceiver) -> None:
    response = _get(receiver.port, "/callback?code=stolen&state=forged")
    assert response.status_code == 400
    assert "not recognised" in response.text
    with pytest.raises(AuthorizationError, match="state mismatch"):
        receiver.wait(0.3)


def test_state_is_single_use(receiver: LoopbackReceiver) -> None:
    outcome = _wait_in_thread(receiver)
    assert _get(receiver.port, "/callback?code=one&state=the-state").status_code == 200
    thread = outcome["thread"]
    assert isinstance(thread, threading.Thread)
    thread.join(5)
    assert getattr(outcome["result"], "code", None) == "one"


def test_error_page_is_escaped(receiver: LoopbackReceiver) -> None:
    outcome = _wait_in_thread(receiver)
    response = _get(
        receiver.port,
        "/callback?error=%3Cscript%3Ealert(1)%3C/script%3E&error_description=%3Cb%3Ex&state=the-state",
    )
    assert "<script>" not in response.text
    assert "&lt;script&gt;" in response.text
    thread = outcome["thread"]
    assert isinstance(thread, threading.Thread)
    thread.join(5)
    assert isinstance(outcome["error"], AuthorizationError)


def test_access_denied_sentence(receiver: LoopbackReceiver) -> None:
    _get(receiver.port, "/callback?error=access_denied&state=the-state")
    with pytest.raises(AuthorizationError, match="Access was not granted"):
        receiver.wait(1)


def test_timeout_names_what_to_check() -> None:
    r = LoopbackReceiver(_free_ports(1), "/callback", "s")
    port = r.start()
    started = time.monotonic()
    with pytest.raises(AuthorizationError) as info:
        r.wait(0.3)
    assert time.monotonic() - started < 2
    assert f"http://localhost:{port}/callback" in str(info.value)
    assert "client id" in str(info.value)


def test_cancel_stops_waiting() -> None:
    r = LoopbackReceiver(_free_ports(1), "/callback", "s")
    port = r.start()
    cancel = threading.Event()
    threading.Timer(0.2, cancel.set).start()
    with pytest.raises(AuthorizationCancelled, match="cancelled"):
        r.wait(30, cancel)
    with pytest.raises(requests.ConnectionError):
        _get(port, "/callback")


def test_first_free_port_is_used() -> None:
    busy, free = _free_ports(2)
    blocker = socket.socket()
    blocker.bind(("127.0.0.1", busy))
    blocker.listen()
    try:
        r = LoopbackReceiver([busy, free], "/callback", "s")
        assert r.start() == free
        r.close()
    finally:
        blocker.close()


def test_no_free_port_is_a_sentence() -> None:
    (busy,) = _free_ports(1)
    blocker = socket.socket()
    blocker.bind(("127.0.0.1", busy))
    blocker.listen()
    try:
        with pytest.raises(ConfigurationError, match="None of the registered sign-in ports"):
            LoopbackReceiver([busy], "/callback", "s").start()
    finally:
        blocker.close()


def test_binds_loopback_only(receiver: LoopbackReceiver) -> None:
    server = receiver._server
    assert server is not None
    assert server.server_address[0] == "127.0.0.1"


# ----------------------------------------------------------------------------- issue 11, item 7


def _join(outcome: dict[str, object]) -> None:
    thread = outcome["thread"]
    assert isinstance(thread, threading.Thread)
    thread.join(10)
    assert not thread.is_alive()


def test_the_page_says_connected_only_after_the_exchange(receiver: LoopbackReceiver) -> None:
    exchanged = threading.Event()

    def exchange(callback: Callback) -> str:
        time.sleep(0.5)  # the page must wait for this
        exchanged.set()
        return f"tokens for {callback.code}"

    outcome = _wait_in_thread(receiver, complete=exchange)
    response = _get(receiver.port, "/callback?code=abc123&state=the-state")
    assert exchanged.is_set()
    assert "Connected to Xero" in response.text
    _join(outcome)
    assert outcome["result"] == "tokens for abc123"


def test_a_failed_exchange_is_said_on_the_page(receiver: LoopbackReceiver) -> None:
    def exchange(callback: Callback) -> str:
        raise AuthorizationError("Xero did not accept the sign-in reply (invalid_grant).")

    outcome = _wait_in_thread(receiver, complete=exchange)
    response = _get(receiver.port, "/callback?code=abc123&state=the-state")
    assert "Connected" not in response.text
    assert "Sign-in not completed" in response.text
    assert "did not accept the sign-in reply (invalid_grant)" in response.text
    _join(outcome)
    assert isinstance(outcome["error"], AuthorizationError)


def test_the_page_waits_for_the_exchange_only_so_long(
    receiver: LoopbackReceiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(loopback, "OUTCOME_WAIT_S", 0.3)
    release = threading.Event()
    outcome = _wait_in_thread(receiver, complete=lambda callback: release.wait(5))
    response = _get(receiver.port, "/callback?code=abc123&state=the-state")
    assert "Sign-in received" in response.text
    assert "still finishing" in response.text
    release.set()
    _join(outcome)


def test_an_idle_connection_blocks_neither_the_callback_nor_the_deadline(
    receiver: LoopbackReceiver,
) -> None:
    idle = [socket.create_connection(("127.0.0.1", receiver.port)) for _ in range(3)]
    trickle = socket.create_connection(("127.0.0.1", receiver.port))
    trickle.sendall(b"GET /callback?co")
    try:
        outcome = _wait_in_thread(receiver, complete=lambda callback: callback.code)
        started = time.monotonic()
        response = _get(receiver.port, "/callback?code=abc123&state=the-state")
        assert time.monotonic() - started < 2
        assert "Connected to Xero" in response.text
        _join(outcome)
        assert outcome["result"] == "abc123"
    finally:
        for sock in [*idle, trickle]:
            sock.close()


def test_the_timeout_is_a_hard_deadline_with_idle_connections() -> None:
    r = LoopbackReceiver(_free_ports(1), "/callback", "s")
    port = r.start()
    idle = [socket.create_connection(("127.0.0.1", port)) for _ in range(3)]
    try:
        started = time.monotonic()
        with pytest.raises(AuthorizationError, match="No reply came back"):
            r.wait(1.0)
        assert time.monotonic() - started < 2.0
    finally:
        for sock in idle:
            sock.close()


def _ipv6() -> bool:
    return loopback._ipv6_usable()


@pytest.mark.skipif(not _ipv6(), reason="no IPv6 loopback on this machine")
def test_both_loopback_addresses_answer(receiver: LoopbackReceiver) -> None:
    outcome = _wait_in_thread(receiver)
    v6 = requests.get(f"http://[::1]:{receiver.port}/other", timeout=5)
    assert v6.status_code == 404
    assert _get(receiver.port, "/callback?code=c&state=the-state").status_code == 200
    _join(outcome)


@pytest.mark.skipif(not _ipv6(), reason="no IPv6 loopback on this machine")
def test_a_port_taken_on_ipv6_only_is_skipped() -> None:
    busy, free = _free_ports(2)
    blocker = socket.socket(socket.AF_INET6)
    blocker.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
    blocker.bind(("::1", busy))
    blocker.listen()
    try:
        r = LoopbackReceiver([busy, free], "/callback", "s")
        assert r.start() == free
        r.close()
        with pytest.raises(
            ConfigurationError, match=r"free on this computer \(127.0.0.1 and ::1\)"
        ):
            LoopbackReceiver([busy], "/callback", "s").start()
    finally:
        blocker.close()


def test_without_ipv6_127_0_0_1_alone_is_used(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(loopback, "_ipv6_usable", lambda: False)
    r = LoopbackReceiver(_free_ports(1), "/callback", "s")
    r.start()
    try:
        assert [s.server_address[0] for s in r._servers] == ["127.0.0.1"]
    finally:
        r.close()


def test_error_description_is_escaped_in_the_sentence(receiver: LoopbackReceiver) -> None:
    outcome = _wait_in_thread(receiver)
    _get(
        receiver.port,
        "/callback?error=unauthorized_client&state=the-state"
        "&error_description=Bad%0A2026-01-01%20INFO%20forged%1B%5B2J",
    )
    _join(outcome)
    sentence = str(outcome["error"])
    assert "Bad\\n2026-01-01 INFO forged\\x1b[2J" in sentence
    assert sentence.isprintable()
