"""The webhook receiver: a small stdlib HTTP server that Xero (through the site's proxy) POSTs to.

Per request, in this order: the path must be one of the accepted paths (404); the integration
must be on (503, nothing read or stored); no ``Transfer-Encoding`` (411), one numeric
``Content-Length`` (411/400) of at most ``max_body`` bytes (413, read before the body); the body
is read under a socket timeout; ``x-xero-signature`` must be base64(HMAC-SHA256(key, raw body))
for an accepted key (401); the body must be a Xero delivery (401 otherwise, even when signed).
An Intent-to-Receive request (``events: []``) is answered 200 and recorded in the status file.
Events are stored durably (SQLite, one transaction) *before* the 200; processing happens after,
on the processor's thread (``on_accepted`` wakes it). Every answer is empty, with no cookies, and
closes the connection; no traceback ever reaches a client.

Slow clients: each socket read times out after ``io_timeout`` seconds, a housekeeping thread cuts
any connection older than ``request_timeout`` seconds, and at most ``max_connections`` are served
at once (more are closed at once).
"""

from __future__ import annotations

import contextlib
import logging
import socket
import threading
import time
from collections.abc import Callable
from typing import Any, Protocol

from ..errors import MaicaXeroError, Remedy
from ..store.events import IncomingEvent
from .httpd import ReceiverHandler, ReceiverServer, content_length
from .keys import SIGNATURE_HEADER, KeyCache
from .payload import BadPayload, parse_delivery
from .site import matches_path
from .statusfile import StatusFile

log = logging.getLogger(__name__)

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 5790
MAX_BODY = 1024 * 1024
_ITR_SNIFF_LIMIT = 64 * 1024


class ReceiverError(MaicaXeroError):
    """The receiver could not start."""


class EventSink(Protocol):
    def add_webhook_events(
        self, delivery_id: str, events: Any, received_at: float | None = None
    ) -> tuple[int, int]: ...


class WebhookReceiver:
    """Start with :meth:`start` (returns the port), stop with :meth:`stop`; also a context
    manager. Thread-safe; ``stop`` closes every socket and joins every thread."""

    def __init__(
        self,
        *,
        keys: KeyCache,
        sink: EventSink,
        is_enabled: Callable[[], bool],
        paths: tuple[str, ...],
        status: StatusFile | None = None,
        on_accepted: Callable[[], None] | None = None,
        host: str = DEFAULT_HOST,
        port: int = DEFAULT_PORT,
        max_body: int = MAX_BODY,
        io_timeout: float = 5.0,
        request_timeout: float = 10.0,
        max_connections: int = 64,
    ) -> None:
        self.keys = keys
        self._sink = sink
        self._is_enabled = is_enabled
        self.paths = paths
        self.status = status
        self._on_accepted = on_accepted
        self.host, self.port = host, port
        self.max_body, self.io_timeout = max_body, io_timeout
        self.request_timeout, self.max_connections = request_timeout, max_connections
        self._lock = threading.Lock()
        self._open: dict[Any, float] = {}
        self._server: ReceiverServer | None = None
        self._threads: list[threading.Thread] = []
        self._stopping = threading.Event()

    # -- lifecycle -------------------------------------------------------------------------

    def start(self) -> int:
        if self._server is not None:
            raise RuntimeError("the webhook receiver is already running")
        try:
            server = ReceiverServer((self.host, self.port), ReceiverHandler)
        except OSError as exc:
            raise ReceiverError(
                f"The webhook receiver could not listen on {self.host}:{self.port} "
                f"({exc.strerror or exc}): another program may use that port.",
                remedy=Remedy.CHOOSE_RECEIVER_PORT,
                facts={"port": str(self.port)},
            ) from None
        server.receiver = self
        self._server = server
        self.port = server.server_port
        self._stopping.clear()
        serve = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.1}, name="webhook-receiver"
        )
        keeper = threading.Thread(target=self._housekeeping, name="webhook-receiver-keeper")
        self._threads = [serve, keeper]
        for thread in self._threads:
            thread.daemon = True
            thread.start()
        if self.status is not None:
            self.status.update(
                listening=True,
                host=self.host,
                port=self.port,
                paths=list(self.paths),
                started_at=time.time(),
                stopped_at=None,
            )
            self.status.flush(force=True)
        log.info("Webhook receiver listening on %s:%s.", self.host, self.port)
        return self.port

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is None:
            return
        self._stopping.set()
        server.shutdown()
        with self._lock:
            for sock in list(self._open):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
        server.server_close()  # joins the request threads
        for thread in self._threads:
            thread.join(timeout=10)
        self._threads = []
        if self.status is not None:
            self.status.update(listening=False, stopped_at=time.time())
            self.status.flush(force=True)
        log.info("Webhook receiver stopped.")

    @property
    def running(self) -> bool:
        return self._server is not None

    def __enter__(self) -> WebhookReceiver:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- connections -----------------------------------------------------------------------

    def admit(self, sock: Any) -> bool:
        with self._lock:
            if len(self._open) >= self.max_connections:
                return False
            self._open[sock] = time.monotonic() + self.request_timeout
            return True

    def release(self, sock: Any) -> None:
        with self._lock:
            self._open.pop(sock, None)

    def _housekeeping(self) -> None:
        while not self._stopping.wait(0.2):
            now = time.monotonic()
            with self._lock:
                overdue = [s for s, deadline in self._open.items() if deadline < now]
            for sock in overdue:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
            if self.status is not None:
                self.status.flush()

    # -- one request -----------------------------------------------------------------------

    def _count(self, name: str) -> None:
        if self.status is not None:
            self.status.count(name)

    def answer(self, handler: ReceiverHandler) -> int:
        if not matches_path(handler.path, self.paths):
            self._count("bad")
            return 404
        if not self._is_enabled():
            self._count("disabled")
            return 503
        if handler.headers.get("Transfer-Encoding") is not None:
            self._count("bad")
            return 411
        length = content_length(handler)
        if length is None or length < 0:
            self._count("bad")
            return 411 if length is None else 400
        if length > self.max_body:
            self._count("too_large")
            return 413
        body = handler.rfile.read(length) if length else b""
        handler.body_read = True
        if len(body) != length:  # the client stopped early: a truncated body
            self._count("refused")
            return 401
        signatures = handler.headers.get_all(SIGNATURE_HEADER) or []
        signature = signatures[0] if len(signatures) == 1 else None
        if not self.keys.verify(body, signature):
            self._count("refused")
            self._note_refused_itr(body)
            return 401
        try:
            delivery = parse_delivery(body)
        except BadPayload as exc:
            log.info("webhooks: a signed request was not a Xero delivery (%s).", exc)
            self._count("refused")
            return 401
        if delivery.is_intent_to_receive:
            if self.status is not None:
                self.status.intent_to_receive(200)
            self._count("accepted")
            return 200
        self._store(delivery.delivery_id, delivery.events)
        self._count("accepted")
        if self._on_accepted is not None:
            self._on_accepted()
        return 200

    def _store(self, delivery_id: str, events: tuple[IncomingEvent, ...]) -> None:
        new, repeated = self._sink.add_webhook_events(delivery_id, events)
        log.info(
            "webhooks: %d event(s) received (%d new, %d repeated).", len(events), new, repeated
        )

    def _note_refused_itr(self, body: bytes) -> None:
        if self.status is None or len(body) > _ITR_SNIFF_LIMIT:
            return
        with contextlib.suppress(BadPayload):
            if parse_delivery(body).is_intent_to_receive:
                self.status.intent_to_receive(401)
