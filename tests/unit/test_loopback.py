"""The OAuth loopback receiver, over real sockets on 127.0.0.1."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import pytest
import requests

from maica_xero_desktop.core.errors import (
    AuthorizationCancelled,
    AuthorizationError,
    ConfigurationError,
)
from maica_xero_desktop.core.loopback import LoopbackReceiver


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


def _wait_in_thread(r: LoopbackReceiver, timeout: float = 5.0) -> dict[str, object]:
    outcome: dict[str, object] = {}

    def run() -> None:
        try:
            outcome["result"] = r.wait(timeout)
        except AuthorizationError as exc:
            outcome["error"] = exc

    thread = threading.Thread(target=run)
    thread.start()
    outcome["thread"] = thread
    return outcome


def test_valid_callback_returns_code_and_closes(receiver: LoopbackReceiver) -> None:
    outcome = _wait_in_thread(receiver)
    response = _get(receiver.port, "/callback?code=abc123&state=the-state&scope=openid")
    assert response.status_code == 200
    assert "Connected to Xero" in response.text
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
    assert _get(receiver.port, "/callback?code=c&state=the-state").status_code == 200


def test_state_mismatch_keeps_waiting_then_explains(receiver: LoopbackReceiver) -> None:
    response = _get(receiver.port, "/callback?code=stolen&state=forged")
    assert response.status_code == 400
    assert "not recognised" in response.text
    with pytest.raises(AuthorizationError, match="state mismatch"):
        receiver.wait(0.3)


def test_state_is_single_use(receiver: LoopbackReceiver) -> None:
    assert _get(receiver.port, "/callback?code=one&state=the-state").status_code == 200
    assert receiver.wait(1).code == "one"


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
