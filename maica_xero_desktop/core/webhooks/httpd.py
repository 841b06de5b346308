"""The HTTP layer of the receiver: waitress, with the guards a public endpoint needs.

waitress reads each connection on one I/O thread (``select``/``poll``) and hands a request to the
application only once the whole request — headers and body, ``Content-Length`` or chunked — is in
its buffer, so a slow or idle client occupies a socket, never one of the few worker threads. It
enforces the header and body size limits (431, 413, including chunked bodies) and a total
connection limit. What it lacks is added here, in subclasses of its server and channel:

- **deadlines**: the request's headers must arrive within ``header_timeout`` seconds of the
  connection, and its body within ``body_timeout`` seconds of the headers (waitress's own
  ``channel_timeout`` only cuts connections that send *nothing* for that long: a trickle of a
  byte a second would hold one forever). A request cut off this way is answered ``408`` with
  an empty body; a connection that sent nothing is just closed;
- **a connection limit per peer address**: connections beyond ``per_peer`` from one address are
  closed at once, so one host cannot take every connection. Loopback and private addresses
  (``exempt``, :func:`proxy_address`) are not limited this way: Xero reaches the receiver only
  through a proxy or tunnel (it delivers to https, the receiver speaks http) on this computer or
  the local network, every client behind it shares that proxy's address, and limiting it would
  let a few slow clients out there lock out Xero itself. For them the total limit and the
  deadlines hold;
- **quiet errors**: waitress's error pages (which can quote a malformed header line back) become
  an empty body with the status alone; every answer closes the connection;
- **lingering close**: after the answer the sending side is shut and what the client still sends
  is read and dropped (for at most ``LINGER_S`` seconds and ``LINGER_BYTES`` bytes), so a client
  still sending a refused body reads the answer instead of a connection reset.

Deadlines are checked by waitress's maintenance pass, which runs on the I/O thread once a second
(``cleanup_interval=1``, and the loop wakes at least once a second).
"""

from __future__ import annotations

import contextlib
import ipaddress
import logging
import select
import socket
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, cast

from waitress import wasyncore
from waitress.adjustments import Adjustments
from waitress.channel import HTTPChannel
from waitress.server import TcpWSGIServer
from waitress.task import ErrorTask, ThreadedTaskDispatcher, WSGITask

log = logging.getLogger(__name__)
# "Task queue depth is N" at every short burst: the requests are answered, nothing to act on
logging.getLogger("waitress.queue").setLevel(logging.ERROR)

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]

#: after an answer, what the client still sends is read and dropped this long / this much
LINGER_S = 2.0
LINGER_BYTES = 8 * 1024 * 1024
_TIMEOUT_ANSWER = b"HTTP/1.1 408 Request Timeout\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
#: ``select`` (Windows) handles at most 512 sockets; ``poll`` has no such limit
_HAS_POLL = hasattr(select, "poll")
DEFAULT_MAX_CONNECTIONS = 1000 if _HAS_POLL else 500


def proxy_address(peer: str) -> bool:
    """Whether ``peer`` may be the site's proxy or tunnel: loopback, private or link-local."""
    try:
        address = ipaddress.ip_address(peer.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_loopback or address.is_private or address.is_link_local


@dataclass(frozen=True)
class Limits:
    max_body: int
    header_timeout: float = 5.0
    body_timeout: float = 5.0
    max_connections: int = DEFAULT_MAX_CONNECTIONS
    per_peer: int = 64
    #: peers the per-peer limit does not apply to: a proxy or tunnel speaks for everyone
    exempt: Callable[[str], bool] = proxy_address
    max_header: int = 64 * 1024
    threads: int = 4


class _ClosingTask(WSGITask):
    """The application's answer, with ``Connection: close`` (WSGI apps may not set it)."""

    def execute(self) -> None:
        self.set_close_on_finish()
        super().execute()


class _QuietErrorTask(ErrorTask):
    """waitress's own refusals (400, 413, 431, 501 ...): the status line alone, no body."""

    def execute(self) -> None:
        request: Any = self.request
        error = request.error
        self.status = f"{error.code} {error.reason}"
        self.set_close_on_finish()
        self.content_length = 0
        self.write(b"")


class GuardedChannel(HTTPChannel):
    """One client connection (one request: every answer closes it)."""

    task_class = _ClosingTask
    error_task_class = _QuietErrorTask
    server: GuardedServer
    requests_lock: threading.Lock  # waitress's own (not in its type stubs)

    def __init__(
        self, server: GuardedServer, sock: socket.socket, addr: Any, adj: Any, map: Any = None
    ) -> None:
        self.accepted_at = time.monotonic()
        self.headers_at: float | None = None
        self.got_bytes = False
        self.linger_until = 0.0
        self.linger_over = False
        self.lingered = 0
        self.peer = str(addr[0]) if isinstance(addr, tuple) and addr else ""
        self._counted = True
        super().__init__(server, sock, addr, adj, map)

    # -- deadlines -------------------------------------------------------------------------

    def received(self, data: bytes) -> bool:
        if data:
            self.got_bytes = True
        result: bool = super().received(data)
        if self.headers_at is None:
            request = self.request
            if self.requests or (request is not None and request.headers_finished):
                self.headers_at = time.monotonic()
        return result

    def check_deadline(self, now: float) -> str:
        """Called on the I/O thread: '' or what was cut off ('header', 'body', 'linger')."""
        if self.linger_until:
            if now >= self.linger_until and not self.linger_over:
                self.linger_over = True  # closed by handle_write, outside the map's iteration
                return "linger"
            return ""
        if self.requests or self.will_close or self.close_when_flushed:
            return ""  # being answered, or closing already
        limits = self.server.limits
        if self.headers_at is None:
            if now - self.accepted_at <= limits.header_timeout:
                return ""
            self._time_out(answer=self.got_bytes)
            return "header"
        if now - self.headers_at <= limits.body_timeout:
            return ""
        self._time_out(answer=True)
        return "body"

    def _time_out(self, answer: bool) -> None:
        with self.requests_lock:
            if self.request is not None:
                self.request.close()
                self.request = None
            if answer:
                with self.outbuf_lock:
                    self.outbufs[-1].append(_TIMEOUT_ANSWER)
                    self.current_outbuf_count += len(_TIMEOUT_ANSWER)
                    self.total_outbufs_len += len(_TIMEOUT_ANSWER)
            self.close_when_flushed = True

    # -- lingering close -------------------------------------------------------------------

    def readable(self) -> bool:
        if self.linger_until:
            return not self.linger_over
        return bool(super().readable())

    def writable(self) -> bool:
        if self.linger_until:
            return self.linger_over
        return bool(super().writable())

    def handle_read(self) -> None:
        if not self.linger_until:
            super().handle_read()
            return
        try:
            data = self.socket.recv(65536) if self.socket is not None else b""
        except BlockingIOError:
            return
        except OSError:
            data = b""
        self.lingered += len(data)
        if not data or self.lingered > LINGER_BYTES:
            self._close_now()

    def handle_write(self) -> None:
        if self.linger_until:
            self._close_now()
            return
        super().handle_write()

    def handle_close(self) -> None:
        sock = self.socket
        if self.linger_until or not self.got_bytes or self.requests or not self.connected:
            self._close_now()
            return
        try:
            if sock is None:
                raise OSError("no socket")
            sock.shutdown(socket.SHUT_WR)
        except OSError:
            self._close_now()
            return
        self.will_close = self.close_when_flushed = False
        self.linger_until = time.monotonic() + LINGER_S

    def _close_now(self) -> None:
        super().handle_close()

    def del_channel(self, map: Any = None) -> None:
        if self._counted:
            self._counted = False
            self.server.peer_left(self.peer)
        super().del_channel(map)


class GuardedServer(TcpWSGIServer):
    """waitress's TCP server with per-peer limits, deadlines and a clean stop."""

    channel_class = GuardedChannel
    limits: Limits
    # waitress's own attributes, missing from (or mistyped in) its type stubs
    effective_port: Any
    _map: dict[int, Any]

    def __init__(
        self,
        app: WSGIApp,
        limits: Limits,
        host: str,
        port: int,
        on_cut: Callable[[str], None] | None = None,
    ) -> None:
        self.limits = limits
        self._on_cut = on_cut
        self.peers: Counter[str] = Counter()
        self.cut: Counter[str] = Counter()
        self._stats_lock = threading.Lock()
        where = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
        adj = Adjustments(
            listen=where,
            threads=limits.threads,
            connection_limit=limits.max_connections,
            cleanup_interval=1,
            # waitress's own idle cut-off: a backstop behind the deadlines above
            channel_timeout=max(1, int(limits.header_timeout + limits.body_timeout + 1)),
            max_request_header_size=limits.max_header,
            # waitress refuses a body of *at least* this size; ours may be max_body long
            max_request_body_size=limits.max_body + 1,
            asyncore_use_poll=_HAS_POLL,
            backlog=1024,
            ident="MaicaXeroWebhooks",
            log_socket_errors=False,
            expose_tracebacks=False,
        )
        dispatcher = ThreadedTaskDispatcher()
        dispatcher.set_thread_count(limits.threads)
        sockinfo: Any = adj.listen[0]
        sockets: dict[int, Any] = {}
        try:
            super().__init__(app, map=sockets, dispatcher=dispatcher, adj=adj, sockinfo=sockinfo)
        except BaseException:  # e.g. the port is taken: nothing may stay open
            wasyncore.close_all(sockets, ignore_all=True)
            dispatcher.shutdown(timeout=1)
            raise
        self.port = int(self.effective_port)

    def set_reuse_addr(self) -> None:
        if sys.platform == "win32":  # SO_REUSEADDR there lets another program take the port
            with contextlib.suppress(OSError, AttributeError):
                exclusive = socket.SO_EXCLUSIVEADDRUSE  # type: ignore[attr-defined]
                self.socket.setsockopt(socket.SOL_SOCKET, exclusive, 1)
            return
        super().set_reuse_addr()

    # -- connections -----------------------------------------------------------------------

    def handle_accept(self) -> None:
        try:
            pair = self.accept()
        except OSError:
            return
        if pair is None:
            return
        conn, addr = pair
        peer = str(addr[0]) if isinstance(addr, tuple) and addr else ""
        if self.peers[peer] >= self.limits.per_peer and not self.limits.exempt(peer):
            self._note("per_peer")
            with contextlib.suppress(OSError):
                conn.close()
            return
        try:
            self.set_socket_options(conn)
        except OSError:
            with contextlib.suppress(OSError):
                conn.close()
            return
        self.peers[peer] += 1
        try:
            self.channel_class(self, conn, self.fix_addr(addr), self.adj, map=self._map)
        except OSError:  # the client left already: never let it reach the server's own socket
            self.peer_left(peer)
            with contextlib.suppress(OSError):
                conn.close()

    def peer_left(self, peer: str) -> None:
        self.peers[peer] -= 1
        if self.peers[peer] <= 0:
            del self.peers[peer]

    def maintenance(self, now: float) -> None:
        super().maintenance(int(now))  # waitress's idle cut-off: a backstop
        clock = time.monotonic()
        channels = cast("dict[int, Any]", self.active_channels)
        for channel in list(channels.values()):
            if isinstance(channel, GuardedChannel):
                what = channel.check_deadline(clock)
                if what and what != "linger":
                    self._note(f"{what}_timeout")

    def _note(self, name: str) -> None:
        with self._stats_lock:
            self.cut[name] += 1
        if self._on_cut is not None:
            self._on_cut(name)

    def stats(self) -> dict[str, int]:
        """Connections refused or cut off so far: per_peer, header_timeout, body_timeout."""
        with self._stats_lock:
            return dict(self.cut)

    # -- running ---------------------------------------------------------------------------

    def stop(self, thread: threading.Thread, timeout: float = 5.0) -> None:
        """Stop accepting, let requests being answered finish (``timeout``), close the rest,
        and wait for the I/O thread (``thread``, which runs :meth:`run`)."""
        trigger = cast(Any, self.trigger)
        with contextlib.suppress(OSError):
            trigger.pull_trigger(self._stop_accepting)
        self.task_dispatcher.shutdown(cancel_pending=True, timeout=max(1, int(timeout)))
        with contextlib.suppress(OSError):
            trigger.pull_trigger(lambda: wasyncore.close_all(self._map, ignore_all=True))
        thread.join(timeout=timeout)

    def _stop_accepting(self) -> None:
        self.accepting = False
        with contextlib.suppress(OSError):
            self.del_channel()
            if self.socket is not None:
                self.socket.close()
