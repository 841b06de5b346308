"""The receiver on a real socket: 200 for every correctly signed body (its well-formed events
stored before the answer, also while the integration is off); 401 / 413 / 405 / 404 otherwise
with nothing stored; chunked bodies decoded under the same limits. Slow clients: test_slow."""

from __future__ import annotations

import json
import socket
import threading
import time
from typing import Any

import pytest

from maica_xero_desktop.core.webhooks.keys import KeyCache, KeySet
from maica_xero_desktop.core.webhooks.receiver import ReceiverError, WebhookReceiver
from maica_xero_desktop.core.webhooks.statusfile import read_status
from tests.webhooks.conftest import KEY, Bare, delivery, event, post, sign


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
def test_signed_but_not_a_delivery_gets_200_and_nothing_stored(bare: Bare, body: bytes) -> None:
    assert post(bare.url, body, sign(body)).status == 200  # Xero's: a 401 would only be retried
    assert bare.stored() == 0
    assert bare.woken == []
    assert post(bare.url, body, sign(body, "wrong-key-1234567890")).status == 401


def test_signed_delivery_with_odd_events_keeps_the_good_ones(
    bare: Bare, caplog: pytest.LogCaptureFixture
) -> None:
    good = event()
    unknown = {**event(category="PAYRUN", event_type="FROBNICATE"), "extra": {"x": [1]}}
    missing = {k: v for k, v in event().items() if k != "resourceId"}
    control = {**event(), "tenantId": "bad\x1b[31m"}
    body = json.dumps(
        {"events": [good, unknown, missing, control, "nonsense"], "firstEventSequence": "odd"}
    ).encode()
    answer = post(bare.url, body, sign(body))
    assert answer.status == 200
    assert bare.stored() == 2  # the good one and the unknown category (processing ignores it)
    categories = sorted(e.category for e in bare.store.webhook_events())
    assert categories == ["INVOICE", "PAYRUN"]
    skipped = [r.getMessage() for r in caplog.records if "odd event" in r.getMessage()]
    assert len(skipped) == 3
    assert all("\x1b" not in line for line in skipped)


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
    no_length = b"POST /xero/webhooks HTTP/1.1\r\nHost: x\r\n\r\n"
    assert _raw(bare, no_length).startswith(b"HTTP/1.1 401")  # an empty, unsigned body
    bad_length = b"POST /xero/webhooks HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n"
    assert _raw(bare, bad_length).startswith(b"HTTP/1.1 400")
    long_header = b"POST / HTTP/1.1\r\nX-Junk: " + b"a" * 70000 + b"\r\n\r\n"
    answer = _raw(bare, long_header)
    assert answer.startswith((b"HTTP/1.1 4", b"HTTP/1.0 4"))
    assert b"Traceback" not in answer
    assert answer.endswith(b"\r\n\r\n")  # no body
    echo = _raw(bare, b"POST /xero/webhooks HTTP/1.1\r\nHost: x\r\nno colon <script>\r\n\r\n")
    assert echo.startswith((b"HTTP/1.1 400", b"HTTP/1.0 400"))
    assert b"script" not in echo  # the malformed line is not quoted back
    assert echo.endswith(b"\r\n\r\n")
    unknown_coding = b"POST /xero/webhooks HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n"
    assert _raw(bare, unknown_coding).startswith(b"HTTP/1.1 501")
    tls_hello = _raw(bare, b"\x16\x03\x01 garbage\r\n\r\n")  # TLS to a plain receiver
    assert tls_hello == b"" or tls_hello.startswith((b"HTTP/1.1 4", b"HTTP/1.0 4"))
    assert _raw(bare, b"BREW /xero/webhooks HTTP/1.1\r\n\r\n").startswith(b"HTTP/1.1 405")
    assert bare.stored() == 0


def _chunked(body: bytes, signature: str, sizes: tuple[int, ...] = (7, 100, 3)) -> bytes:
    head = (
        "POST /xero/webhooks HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
        f"x-xero-signature: {signature}\r\n\r\n"
    ).encode()
    out, rest, turn = [head], body, 0
    while rest:
        piece, rest = rest[: sizes[turn % len(sizes)]], rest[sizes[turn % len(sizes)] :]
        out.append(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
        turn += 1
    out.append(b"0\r\n\r\n")
    return b"".join(out)


def test_chunked_deliveries_and_intent_to_receive_are_decoded(bare: Bare) -> None:
    body = delivery(event(), event())
    assert _raw(bare, _chunked(body, sign(body))).startswith(b"HTTP/1.1 200")
    assert bare.stored() == 2
    itr = delivery()
    assert _raw(bare, _chunked(itr, sign(itr))).startswith(b"HTTP/1.1 200")
    assert _raw(bare, _chunked(itr, sign(itr, "wrong-key-1234567890"))).startswith(b"HTTP/1.1 401")
    bare.status.flush(force=True)
    saved = read_status(bare.status.path)["intent_to_receive"]
    assert (saved["answered_200"], saved["answered_401"]) == (1, 1)
    big = delivery(*[event() for _ in range(400)])  # over the 64 KiB cap, in chunks
    assert len(big) > 64 * 1024
    assert _raw(bare, _chunked(big, sign(big), (4096,))).startswith(b"HTTP/1.1 413")
    garbled = _chunked(body, sign(body)).replace(b"\r\n7\r\n", b"\r\nzz\r\n", 1)
    assert _raw(bare, garbled).startswith(b"HTTP/1.1 400")
    assert bare.stored() == 2


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
    assert bare.stored() == 0


def test_while_the_integration_is_off_signed_deliveries_wait(bare: Bare) -> None:
    bare.enabled[0] = False
    body = delivery(event())
    answer = post(bare.url, body, sign(body))
    assert (answer.status, answer.body) == (200, b"")  # not 503: Xero would disable the hook
    assert [e.status for e in bare.store.webhook_events()] == ["new"]  # waiting, not processed
    assert post(bare.url, body, sign(body, "wrong-key-1234567890")).status == 401
    itr = delivery()
    assert post(bare.url, itr, sign(itr)).status == 200
    bare.status.flush(force=True)
    assert read_status(bare.status.path)["requests"]["disabled"] == 1
    bare.enabled[0] = True
    other = delivery(event())
    assert post(bare.url, other, sign(other)).status == 200
    assert bare.stored() == 2


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


def test_a_bad_host_or_a_taken_port_is_one_sentence(bare: Bare) -> None:
    def receiver(host: str, port: int) -> WebhookReceiver:
        return WebhookReceiver(
            keys=KeyCache(lambda: KeySet(KEY)),
            sink=bare.store,
            is_enabled=lambda: True,
            paths=("/",),
            host=host,
            port=port,
        )

    with pytest.raises(ReceiverError, match="not an address of this computer"):
        receiver("300.1.1.1", 0).start()
    with pytest.raises(ReceiverError, match=r"(?i)another program may use that port"):
        receiver("127.0.0.1", bare.receiver.port).start()


def test_stop_lets_a_delivery_being_stored_finish(bare: Bare) -> None:
    class SlowSink:
        def __init__(self) -> None:
            self.entered = threading.Event()
            self.stored = 0

        def add_webhook_events(
            self, delivery_id: str, events: Any, received_at: float | None = None
        ) -> tuple[int, int]:
            self.entered.set()
            time.sleep(0.5)
            self.stored += len(events)
            return len(events), 0

    sink = SlowSink()
    receiver = WebhookReceiver(
        keys=KeyCache(lambda: KeySet(KEY)), sink=sink, is_enabled=lambda: True, paths=("/",), port=0
    )
    port = receiver.start()
    body = delivery(event())
    answers: list[int] = []
    sender = threading.Thread(
        target=lambda: answers.append(post(f"http://127.0.0.1:{port}/", body, sign(body)).status)
    )
    sender.start()
    assert sink.entered.wait(5)
    started = time.monotonic()
    receiver.stop()
    sender.join(5)
    assert (answers, sink.stored) == ([200], 1)  # answered, not cut off by the stop
    assert time.monotonic() - started < 3.0
    with pytest.raises(ConnectionRefusedError):
        post(f"http://127.0.0.1:{port}/", body, sign(body))  # nothing listens any more
