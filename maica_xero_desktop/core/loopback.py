"""The loopback receiver for the OAuth redirect.

Listens on the first port of the registered list that is free on both 127.0.0.1 and ::1 (a
browser may resolve ``localhost`` to either; where the machine has no IPv6, 127.0.0.1 alone),
accepts only ``GET`` on the callback path, checks ``state`` (single use, constant-time), and
answers with an HTML-escaped page. Each connection is served on its own thread with a read
timeout, so an idle or slow connection delays nothing else. :meth:`LoopbackReceiver.wait` ends on
the first valid callback, at the timeout (a hard deadline), or when the cancel event is set; given
``complete`` (the code exchange) it runs it while the browser's page waits for the outcome, so
the page says "Connected" only once the sign-in really succeeded, and what went wrong otherwise
(a reply that arrives before anyone waits, or with no ``complete``, gets "Sign-in received").

Past 400 lines on purpose: the listeners, the per-connection handler and the wait share one small
state machine (the state, the outcome, the page that waits for it); split, each part would need
the others' internals.
"""

from __future__ import annotations

import errno
import hmac
import html
import logging
import os
import socket
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TypeVar, overload
from urllib.parse import parse_qs, urlsplit

from .errors import (
    AuthorizationCancelled,
    AuthorizationError,
    ConfigurationError,
    MaicaXeroError,
    Remedy,
)
from .textsafe import printable

log = logging.getLogger(__name__)

T = TypeVar("T")

#: Seconds a connection may take to send its request before it is dropped.
REQUEST_TIMEOUT_S = 10.0
#: Connections served at once (a browser opens a few); more are closed at once.
MAX_CONNECTIONS = 64
#: The longest the browser's page waits for the outcome of the code exchange.
OUTCOME_WAIT_S = 60.0
_IN_USE = (errno.EADDRINUSE, errno.EACCES)
_NO_IPV6 = (errno.EADDRNOTAVAIL, errno.EAFNOSUPPORT, getattr(errno, "EPROTONOSUPPORT", -1))

_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<style>body{{font-family:system-ui,sans-serif;max-width:36em;margin:4em auto;padding:0 1em;
color:#1f2933}} h1{{font-size:1.4em}}</style></head>
<body><h1>{title}</h1><p>{message}</p></body></html>
"""


@dataclass(frozen=True)
class SignInWords:
    """What the receiver's pages and sentences call the provider (Xero, or the Maica org)."""

    #: before "sign-in": "the Xero sign-in", "the Maica sign-in"
    name: str = "Xero"
    #: the one who answers: "Xero", "the Maica org"
    source: str = "Xero"
    #: the next step after an error reply
    app_advice: str = "Check the app's settings in the Xero developer portal and connect again."
    #: after "No reply came back from … within N seconds." ({redirect_uri} is filled in)
    timeout_advice: str = (
        "If Xero showed an error page, check that the client id is right, that the redirect URI "
        "{redirect_uri} is registered exactly in the Xero app, and that the app accepts the "
        "requested scopes (apps made since 2 March 2026 accept only granular ones such as "
        "accounting.invoices, not accounting.transactions — the scopes are a setting); then "
        "connect again."
    )


XERO_WORDS = SignInWords()


@dataclass(frozen=True)
class Callback:
    code: str
    scope: str


def page(title: str, message: str) -> bytes:
    return _PAGE.format(title=html.escape(title), message=html.escape(message)).encode("utf-8")


class _Server(ThreadingHTTPServer):
    # POSIX: SO_REUSEADDR lets a port be bound again while old connections sit in TIME_WAIT (it
    # never lets two listeners share it). Windows: that flag would allow port hijacking, so it is
    # off there and SO_EXCLUSIVEADDRUSE is set instead.
    allow_reuse_address = os.name != "nt"
    daemon_threads = True
    block_on_close = False  # closing never waits for a connection that hangs
    receiver: LoopbackReceiver

    def __init__(self, address: tuple[str, int], family: socket.AddressFamily) -> None:
        self.address_family = family
        self.slots = threading.BoundedSemaphore(MAX_CONNECTIONS)
        super().__init__(address, _Handler)

    def server_bind(self) -> None:
        exclusive = getattr(socket, "SO_EXCLUSIVEADDRUSE", None)
        if exclusive is not None:
            self.socket.setsockopt(socket.SOL_SOCKET, exclusive, 1)
        if self.address_family == socket.AF_INET6:
            self.socket.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        # not HTTPServer.server_bind: it looks the host name up, which loopback does not need
        if self.allow_reuse_address:
            self.socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.socket.bind(self.server_address)
        self.server_address = self.socket.getsockname()[:2]
        self.server_name = str(self.server_address[0])
        self.server_port = int(self.server_address[1])

    def handle_error(self, request: object, client_address: object) -> None:
        # A browser that went away mid-answer, a dropped idle connection: nothing to print.
        log.debug("loopback: a connection ended early (%s)", sys.exc_info()[0])

    def process_request(self, request: socket.socket, client_address: object) -> None:  # type: ignore[override]
        if not self.slots.acquire(blocking=False):
            self.shutdown_request(request)
            return
        super().process_request(request, client_address)

    def process_request_thread(self, request: socket.socket, client_address: object) -> None:  # type: ignore[override]
        try:
            super().process_request_thread(request, client_address)
        finally:
            self.slots.release()


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    server_version = "MaicaXeroDesktop"
    sys_version = ""
    timeout = REQUEST_TIMEOUT_S

    def log_message(self, format: str, *args: object) -> None:
        # The request line carries the authorization code: never log it.
        log.debug("loopback: %s request", self.command)

    def do_GET(self) -> None:
        status, body = self.server.receiver.handle(self.path)
        self._send(status, body)

    def _send(self, status: int, body: bytes, allow: str = "") -> None:
        self.send_response(status)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("Referrer-Policy", "no-referrer")
        if allow:
            self.send_header("Allow", allow)
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)

    def _refuse(self) -> None:
        words = self.server.receiver.words
        body = page("Not here", f"This address only receives the {words.name} sign-in reply.")
        self._send(405, body, allow="GET")

    do_POST = do_PUT = do_DELETE = do_PATCH = _refuse


def _ipv6_usable() -> bool:
    if not socket.has_ipv6:
        return False
    try:
        probe = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    except OSError:
        return False
    with probe:
        try:
            probe.bind(("::1", 0))
        except OSError:
            return False
    return True


class LoopbackReceiver:
    """The OAuth redirect receiver of one sign-in (see the module docstring).

    Owns its listening sockets and a thread per connection, from :meth:`start` until the wait
    ends. Never exchanges the code itself (``complete``, given by the caller, does), never logs
    the code or the state, and accepts the state once. Threads: :meth:`wait` runs on the
    caller's thread; the connection threads only hand over the callback and write pages."""

    def __init__(
        self,
        ports: list[int],
        callback_path: str,
        state: str,
        redirect_host: str = "localhost",
        words: SignInWords = XERO_WORDS,
    ) -> None:
        self.words = words
        self._ports = ports
        self._host = redirect_host
        self._path = callback_path
        self._state: str | None = state
        self._done = threading.Event()
        self._result: Callback | None = None
        self._error: AuthorizationError | None = None
        self._mismatches = 0
        self._servers: list[_Server] = []
        self._threads: list[threading.Thread] = []
        #: the page for the valid callback, once the outcome of the sign-in is known
        self._outcome: tuple[str, str] | None = None
        self._outcome_known = threading.Event()
        #: set while wait() runs with a ``complete``: the page then waits for its outcome
        self._confirming = threading.Event()
        self._page_waiting = False
        self._page_sent = threading.Event()
        self.port = 0

    @property
    def _server(self) -> _Server | None:
        return self._servers[0] if self._servers else None

    def start(self) -> int:
        """Bind the first port free on every loopback address; returns it.

        :class:`ConfigurationError` if none is free.
        """
        ipv6 = _ipv6_usable()
        for port in self._ports:
            servers = self._bind(port, ipv6)
            if not servers:
                continue
            self._servers = servers
            self.port = port
            for server in servers:
                server.receiver = self
                thread = threading.Thread(
                    target=server.serve_forever,
                    kwargs={"poll_interval": 0.1},
                    daemon=True,
                    name="oauth-loopback",
                )
                thread.start()
                self._threads.append(thread)
            return port
        listed = ", ".join(str(p) for p in self._ports) or "none"
        where = "127.0.0.1 and ::1" if ipv6 else "127.0.0.1"
        raise ConfigurationError(
            f"None of the registered sign-in ports ({listed}) is free on this computer ({where}).",
            remedy=Remedy.FREE_REDIRECT_PORT,
            facts={"ports": listed},
        )

    @staticmethod
    def _bind(port: int, ipv6: bool) -> list[_Server]:
        """Listeners on ``port`` for 127.0.0.1 (and ::1), or none when either is taken."""
        addresses = [("127.0.0.1", socket.AF_INET)]
        if ipv6:
            addresses.append(("::1", socket.AF_INET6))
        servers: list[_Server] = []
        for host, family in addresses:
            try:
                servers.append(_Server((host, port), family))
            except OSError as exc:
                if family == socket.AF_INET6 and exc.errno in _NO_IPV6:
                    log.info("IPv6 loopback unavailable; listening on 127.0.0.1 only.")
                    break
                for server in servers:
                    server.server_close()
                if exc.errno in (*_IN_USE, errno.EADDRNOTAVAIL):
                    return []
                raise
        return servers

    @property
    def redirect_uri(self) -> str:
        return f"http://{self._host}:{self.port}{self._path}"

    def handle(self, raw_path: str) -> tuple[int, bytes]:
        parts = urlsplit(raw_path)
        if parts.path != self._path:
            return 404, page(
                "Not found", f"This address only receives the {self.words.name} sign-in reply."
            )
        query = {k: v[0] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
        expected = self._state
        got = query.get("state", "")
        if expected is None or self._done.is_set():
            return 400, page(
                "Sign-in already finished",
                "This sign-in reply was already received. You can close this tab.",
            )
        if not hmac.compare_digest(got.encode("utf-8"), expected.encode("utf-8")):
            self._mismatches += 1
            return 400, page(
                "Sign-in reply not recognised",
                "This reply does not belong to the sign-in Maica Xero Desktop is waiting for "
                "(perhaps an older tab). Close this tab and use the latest sign-in window.",
            )
        self._state = None  # single use
        if "error" in query:
            self._error = _error_from(
                query["error"], query.get("error_description", ""), self.words
            )
            self._finish()
            return 200, page("Sign-in not completed", self._error.sentence)
        code = query.get("code", "")
        if not code:
            self._error = AuthorizationError(
                f"The reply from {self.words.source} had no authorization code. Connect again."
            )
            self._finish()
            return 400, page("Sign-in not completed", self._error.sentence)
        self._result = Callback(code=code, scope=query.get("scope", ""))
        self._finish()
        if not self._confirming.is_set():
            return 200, page(
                "Sign-in received",
                "Maica Xero Desktop received the sign-in. Return to the app to see the result; "
                "you can close this tab.",
            )
        # The page waits (bounded) for what the app makes of the reply: the code exchange.
        self._page_waiting = True
        if not self._outcome_known.wait(OUTCOME_WAIT_S) or self._outcome is None:
            title, message = (
                "Sign-in received",
                "Maica Xero Desktop received the sign-in reply and is still finishing it. "
                "Return to the app to see the result.",
            )
        else:
            title, message = self._outcome
        self._page_sent.set()
        return 200, page(title, message)

    def _finish(self) -> None:
        self._done.set()

    def _settle(self, title: str, message: str) -> None:
        """The outcome the waiting page shows; then give it a moment to reach the browser."""
        self._outcome = (title, message)
        self._outcome_known.set()
        if self._page_waiting:
            self._page_sent.wait(2.0)

    @overload
    def wait(
        self, timeout: float, cancel: threading.Event | None = None, complete: None = None
    ) -> Callback: ...

    @overload
    def wait(
        self, timeout: float, cancel: threading.Event | None, complete: Callable[[Callback], T]
    ) -> T: ...

    @overload
    def wait(
        self,
        timeout: float,
        cancel: threading.Event | None = None,
        *,
        complete: Callable[[Callback], T],
    ) -> T: ...

    def wait(
        self,
        timeout: float,
        cancel: threading.Event | None = None,
        complete: Callable[[Callback], T] | None = None,
    ) -> Callback | T:
        """The callback (or, given ``complete``, what ``complete(callback)`` returns).

        ``timeout`` is a hard deadline for the reply. ``complete`` runs while the browser's page
        waits: it says "Connected" when ``complete`` returns, and the error's sentence when it
        raises (the error is raised here too).
        """
        deadline = time.monotonic() + timeout
        if complete is not None:
            self._confirming.set()
        try:
            while not self._done.wait(min(0.05, max(0.0, deadline - time.monotonic()))):
                if cancel is not None and cancel.is_set():
                    raise AuthorizationCancelled(f"The {self.words.name} sign-in was cancelled.")
                if time.monotonic() >= deadline:
                    raise self._timeout_error(timeout)
            if self._error is not None:
                raise self._error
            assert self._result is not None
            if complete is None:
                return self._result
            try:
                outcome = complete(self._result)
            except MaicaXeroError as exc:
                self._settle("Sign-in not completed", exc.sentence)
                raise
            except BaseException:
                self._settle(
                    "Sign-in not completed",
                    "Maica Xero Desktop could not finish the sign-in. Return to the app for "
                    "details.",
                )
                raise
            self._settle(
                f"Connected to {self.words.source}",
                "Maica Xero Desktop is connected. You can close this tab and return to the app.",
            )
            return outcome
        finally:
            self.close()

    def _timeout_error(self, timeout: float) -> AuthorizationError:
        waited = f"{timeout:g} second{'' if timeout == 1 else 's'}"
        if self._mismatches:
            return AuthorizationError(
                f"No valid sign-in reply arrived within {waited}: a reply came back "
                "that did not match this sign-in (state mismatch), possibly from an older browser "
                "tab. Connect again and finish the sign-in in the newest tab."
            )
        advice = self.words.timeout_advice.replace("{redirect_uri}", self.redirect_uri)
        return AuthorizationError(
            f"No reply came back from {self.words.source} within {waited}. {advice}"
        )

    def close(self) -> None:
        if not self._outcome_known.is_set():  # release a page still waiting
            self._outcome_known.set()
        servers, self._servers = self._servers, []
        for server in servers:
            server.shutdown()
            server.server_close()
        for thread in self._threads:
            thread.join(timeout=5)
        self._threads = []


def _error_from(
    error: str, description: str, words: SignInWords = XERO_WORDS
) -> AuthorizationError:
    """The sentence for an ``error`` reply; the provider's words escaped and cut short."""
    if error == "access_denied":
        return AuthorizationError(
            f"Access was not granted in {words.source} (the consent page was cancelled). "
            "Connect again and choose Allow access."
        )
    said = printable(description.strip())[:300]
    return AuthorizationError(
        f"{words.source[:1].upper()}{words.source[1:]} ended the sign-in with the error "
        f"'{printable(error)[:60]}'" + (f": {said}" if said else "") + f". {words.app_advice}"
    )
