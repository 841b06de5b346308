"""The HTTP layer of the receiver: a stdlib ThreadingHTTPServer and its request handler.

The server admits at most the host's ``max_connections`` at once (the host tracks each socket so
that slow ones can be cut off), uses a listen backlog large enough for a burst, and logs connection
errors at debug level only. The handler serves POST only (any other method: 405), answers every
request with an empty body and ``Connection: close``, never echoes a request or a traceback, and
after refusing a body reads and drops what the client still sends (briefly), so that the client
reads the answer instead of a connection reset. What a POST means is the host's business
(:meth:`Host.answer`).
"""

from __future__ import annotations

import contextlib
import logging
import socketserver
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Protocol

log = logging.getLogger(__name__)

#: a refused body up to this size is read and dropped after the answer (so the client sees the
#: answer instead of a connection reset); anything larger is cut off
_DRAIN_LIMIT = 8 * 1024 * 1024
_DRAIN_SECONDS = 2.0


class Host(Protocol):
    """What the server asks of the receiver that owns it."""

    io_timeout: float
    max_body: int

    def admit(self, sock: Any) -> bool: ...

    def release(self, sock: Any) -> None: ...

    def answer(self, handler: ReceiverHandler) -> int: ...


class ReceiverServer(ThreadingHTTPServer):
    daemon_threads = False
    block_on_close = True
    request_queue_size = 128  # the default 5 drops SYNs in a burst (a 1 s client retry)
    receiver: Host

    def server_bind(self) -> None:
        socketserver.TCPServer.server_bind(self)  # no getfqdn() DNS lookup
        host, port = self.server_address[:2]
        self.server_name = str(host)
        self.server_port = int(port)

    def process_request(self, request: Any, client_address: Any) -> None:
        if not self.receiver.admit(request):
            self.shutdown_request(request)
            return
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        self.receiver.release(request)
        super().shutdown_request(request)

    def handle_error(self, request: Any, client_address: Any) -> None:
        log.debug("webhooks: connection error from %s", client_address, exc_info=True)


class ReceiverHandler(BaseHTTPRequestHandler):
    server: ReceiverServer
    protocol_version = "HTTP/1.1"
    server_version = "MaicaXeroWebhooks"
    sys_version = ""

    body_read = False

    def setup(self) -> None:
        super().setup()
        self.connection.settimeout(self.server.receiver.io_timeout)

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("webhooks: %s - %s", self.address_string(), format % args)

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        self._reply(code)  # malformed request line or headers: no body, no echo

    def handle_expect_100(self) -> bool:
        if (content_length(self) or 0) > self.server.receiver.max_body:
            self._reply(413)
            return False
        return super().handle_expect_100()

    def __getattr__(self, name: str) -> Callable[[], None]:
        if name.startswith("do_"):  # GET, HEAD, PUT, OPTIONS ...: only POST is served
            return self._not_allowed
        raise AttributeError(name)

    def _not_allowed(self) -> None:
        self._reply(405, {"Allow": "POST"})
        self._drain()

    def do_POST(self) -> None:
        receiver = self.server.receiver
        try:
            status = receiver.answer(self)
        except Exception:
            log.exception("webhooks: the request could not be handled")
            status = 500
        self._reply(status)
        self._drain()

    def _drain(self) -> None:
        """Read and drop what the client still sends of a refused body, briefly."""
        if self.body_read:
            return
        length = content_length(self)
        unknown = length is None or length < 0
        left = 64 * 1024 if length is None or length < 0 else length
        if left > _DRAIN_LIMIT:
            return
        deadline = time.monotonic() + _DRAIN_SECONDS
        with contextlib.suppress(OSError, ValueError):
            self.connection.settimeout(0.05 if unknown else 0.5)  # unknown: what is there now
            while left > 0 and time.monotonic() < deadline:
                chunk = self.rfile.read1(min(left, 1 << 16))
                if not chunk:
                    break
                left -= len(chunk)

    def _reply(self, status: int, headers: dict[str, str] | None = None) -> None:
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.send_response(status)
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.send_header("Content-Length", "0")
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.flush()


def content_length(handler: BaseHTTPRequestHandler) -> int | None:
    """The one Content-Length as a number; None when absent, -1 when malformed or repeated."""
    values = handler.headers.get_all("Content-Length") or []
    if not values:
        return None
    if len(values) > 1 or not values[0].strip().isdigit() or len(values[0].strip()) > 12:
        return -1
    return int(values[0].strip())
