"""The webhook receiver: a WSGI application that Xero (through the site's proxy) POSTs to, served
by waitress (:mod:`.httpd`).

The server hands a request over only when it is complete (a ``Content-Length`` body or a chunked
one, decoded), at most ``max_body`` bytes (413 otherwise), its headers within ``header_timeout``
and its body within ``body_timeout`` seconds (408 otherwise). Then, in this order: the path must
be one of the accepted paths (404); the method POST (405); ``x-xero-signature`` must be
base64(HMAC-SHA256(key, raw body)) for an accepted key (401) — the only check that refuses a
request from Xero. A correctly signed body is always answered 200, because Xero disables a
subscription whose deliveries keep failing:

- an Intent-to-Receive request (``events: []``) is recorded in the status file;
- the events are stored durably (SQLite, one transaction) *before* the 200 — also while the
  integration is off: they wait, unprocessed (nothing contacts Xero), until it is turned on;
- the store write is bounded: Xero gives a delivery 5 seconds, and a long import (in this
  process or another) can hold the database longer. The write goes to the receiver's one writer
  thread; when it has not finished within ``store_wait`` seconds the delivery is answered 503 —
  Xero sends it again — and the writer still stores it when the database is free (a repeat is
  recognised). So a 200 always means stored; a busy database never holds a delivery past 5 s;
- an event that is not shaped like Xero's (or a body that is not a delivery at all) is logged and
  skipped; the well-formed events beside it are stored.

Processing happens after, on the processor's thread (``on_accepted`` wakes it). Every answer is
empty, with no cookies, and closes the connection; no traceback ever reaches a client.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any, Protocol

from ..errors import MaicaXeroError, Remedy
from ..store.events import IncomingEvent
from ..textsafe import printable
from .httpd import DEFAULT_MAX_CONNECTIONS, GuardedServer, Limits, proxy_address
from .keys import KeyCache
from .payload import BadPayload, parse_delivery
from .site import matches_path
from .statusfile import StatusFile

log = logging.getLogger(__name__)

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 5790
MAX_BODY = 1024 * 1024
_ITR_SNIFF_LIMIT = 64 * 1024
_REASONS = {
    200: "OK",
    401: "Unauthorized",
    404: "Not Found",
    405: "Method Not Allowed",
    413: "Content Too Large",
    500: "Internal Server Error",
    503: "Service Unavailable",
}
#: how long a delivery waits for its events to be stored (Xero waits 5 s for the answer)
STORE_WAIT_S = 3.0
#: deliveries that may wait for the writer at once; more are answered 503 straight away
MAX_WAITING_WRITES = 32


class ReceiverError(MaicaXeroError):
    """The receiver could not start."""


class EventSink(Protocol):
    def add_webhook_events(
        self, delivery_id: str, events: Any, received_at: float | None = None
    ) -> tuple[int, int]: ...


class WebhookReceiver:
    """Start with :meth:`start` (returns the port), stop with :meth:`stop`; also a context
    manager. Thread-safe; ``stop`` lets requests being answered finish, closes every socket and
    joins every thread."""

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
        header_timeout: float = 5.0,
        body_timeout: float = 5.0,
        max_connections: int = DEFAULT_MAX_CONNECTIONS,
        per_peer: int = 64,
        per_peer_exempt: Callable[[str], bool] = proxy_address,
        store_wait: float = STORE_WAIT_S,
    ) -> None:
        self.keys = keys
        self._sink = sink
        self._is_enabled = is_enabled
        self.paths = paths
        self.status = status
        self._on_accepted = on_accepted
        self.host, self.port = host, port
        self.max_body = max_body
        self.limits = Limits(
            max_body=max_body,
            header_timeout=header_timeout,
            body_timeout=body_timeout,
            max_connections=max_connections,
            per_peer=per_peer,
            exempt=per_peer_exempt,
        )
        self.store_wait = store_wait
        self._writer: ThreadPoolExecutor | None = None
        self._writes = threading.BoundedSemaphore(MAX_WAITING_WRITES)
        self._server: GuardedServer | None = None
        self._threads: list[threading.Thread] = []
        self._stopping = threading.Event()

    # -- lifecycle -------------------------------------------------------------------------

    def start(self) -> int:
        if self._server is not None:
            raise RuntimeError("the webhook receiver is already running")
        try:
            server = GuardedServer(self, self.limits, self.host, self.port, self._count)
        except ValueError:  # waitress: the host is not an address of this computer
            raise ReceiverError(
                f"The webhook receiver cannot listen on {printable(self.host)}: that is not an "
                "address of this computer.",
                remedy=Remedy.CHOOSE_RECEIVER_HOST,
                facts={"host": self.host},
            ) from None
        except OSError as exc:
            raise ReceiverError(
                f"The webhook receiver could not listen on {printable(self.host)}:{self.port} "
                f"({exc.strerror or exc}): another program may use that port.",
                remedy=Remedy.CHOOSE_RECEIVER_PORT,
                facts={"port": str(self.port)},
            ) from None
        self._server = server
        self.port = server.port
        self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="webhook-store")
        self._stopping.clear()
        serve = threading.Thread(target=server.run, name="webhook-receiver", daemon=True)
        keeper = threading.Thread(
            target=self._housekeeping, name="webhook-receiver-keeper", daemon=True
        )
        self._threads = [serve, keeper]
        for thread in self._threads:
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
        serve, keeper = self._threads
        server.stop(serve)
        keeper.join(timeout=10)
        self._threads = []
        writer, self._writer = self._writer, None
        if writer is not None:
            writer.shutdown(wait=True)  # a write still waiting for the database ends first
        if self.status is not None:
            self.status.update(listening=False, stopped_at=time.time())
            self.status.flush(force=True)
        log.info("Webhook receiver stopped.")

    @property
    def running(self) -> bool:
        return self._server is not None

    def connection_stats(self) -> dict[str, int]:
        """Connections refused per peer or cut off by a deadline, since start."""
        server = self._server
        return server.stats() if server is not None else {}

    def __enter__(self) -> WebhookReceiver:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _housekeeping(self) -> None:
        while not self._stopping.wait(0.2):
            if self.status is not None:
                self.status.flush()

    # -- one request -----------------------------------------------------------------------

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        try:
            status = self.answer(environ)
        except Exception:
            log.exception("webhooks: the request could not be handled")
            status = 500
        headers = [("Content-Length", "0")]
        if status == 405:
            headers.append(("Allow", "POST"))
        start_response(f"{status} {_REASONS[status]}", headers)
        return [b""]

    def _count(self, name: str) -> None:
        if self.status is not None:
            self.status.count(name)

    def answer(self, environ: dict[str, Any]) -> int:
        if not matches_path(str(environ.get("PATH_INFO") or "/"), self.paths):
            self._count("bad")
            return 404
        if environ.get("REQUEST_METHOD") != "POST":
            self._count("bad")
            return 405
        length = int(environ.get("CONTENT_LENGTH") or 0)
        if length > self.max_body:  # the server refuses these first; kept as a second lock
            self._count("too_large")
            return 413
        body = environ["wsgi.input"].read(length) if length else b""
        signature = environ.get("HTTP_X_XERO_SIGNATURE")  # two headers arrive joined: refused
        if not self.keys.verify(body, signature):
            self._count("refused")
            self._note_refused_itr(body)
            return 401
        try:
            delivery = parse_delivery(body)
        except BadPayload as exc:
            log.warning(
                "webhooks: a signed request was not a Xero delivery (%s); answered 200, "
                "nothing stored.",
                printable(str(exc)),
            )
            self._count("odd")
            return 200
        for problem in delivery.skipped:
            log.warning("webhooks: a signed delivery held an odd event, skipped: %s", problem)
            self._count("odd")
        if delivery.is_intent_to_receive:
            if self.status is not None:
                self.status.intent_to_receive(200)
            self._count("accepted")
            return 200
        if not delivery.events:
            return 200
        if not self._store(delivery.delivery_id, delivery.events):
            self._count("busy")
            return 503
        self._count("accepted" if self._is_enabled() else "disabled")
        if self._on_accepted is not None:  # while off, the worker marks them waiting
            self._on_accepted()
        return 200

    def _store(self, delivery_id: str, events: tuple[IncomingEvent, ...]) -> bool:
        """Store the events within ``store_wait`` seconds: True when stored (answer 200)."""
        writer = self._writer
        if writer is None or not self._writes.acquire(blocking=False):
            log.warning("webhooks: too many deliveries wait for the database; answered 503.")
            return False
        received_at = time.time()

        def write() -> tuple[int, int]:
            try:
                return self._sink.add_webhook_events(delivery_id, events, received_at)
            finally:
                self._writes.release()

        try:
            pending = writer.submit(write)
        except RuntimeError:  # stopping
            self._writes.release()
            return False
        try:
            new, repeated = pending.result(timeout=self.store_wait)
        except FutureTimeout:
            log.warning(
                "webhooks: the database stayed busy for %.0f s (a long import?); the delivery "
                "was answered 503 so Xero sends it again, and is stored once the database is free.",
                self.store_wait,
            )
            return False
        log.info(
            "webhooks: %d event(s) received (%d new, %d repeated).", len(events), new, repeated
        )
        return True

    def _note_refused_itr(self, body: bytes) -> None:
        if self.status is None or len(body) > _ITR_SNIFF_LIMIT:
            return
        try:
            delivery = parse_delivery(body)
        except BadPayload:
            return
        if delivery.is_intent_to_receive:
            self.status.intent_to_receive(401)
