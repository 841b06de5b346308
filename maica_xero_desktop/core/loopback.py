"""The loopback receiver for the OAuth redirect.

Listens on 127.0.0.1 on the first free port of the registered list, accepts only ``GET`` on the
callback path, checks ``state`` (single use, constant-time), answers with an HTML-escaped page, and
shuts down after the first valid callback. :meth:`LoopbackReceiver.wait` ends on that callback, on a
timeout, or when the cancel event is set.
"""

from __future__ import annotations

import errno
import hmac
import html
import logging
import os
import socket
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, HTTPServer
from urllib.parse import parse_qs, urlsplit

from .errors import AuthorizationCancelled, AuthorizationError, ConfigurationError, Remedy

log = logging.getLogger(__name__)

_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<style>body{{font-family:system-ui,sans-serif;max-width:36em;margin:4em auto;padding:0 1em;
color:#1f2933}} h1{{font-size:1.4em}}</style></head>
<body><h1>{title}</h1><p>{message}</p></body></html>
"""


@dataclass(frozen=True)
class Callback:
    code: str
    scope: str


def page(title: str, message: str) -> bytes:
    return _PAGE.format(title=html.escape(title), message=html.escape(message)).encode("utf-8")


class _Server(HTTPServer):
    # POSIX: SO_REUSEADDR lets a port be bound again while old connections sit in TIME_WAIT (it
    # never lets two listeners share it). Windows: that flag would allow port hijacking, so it is
    # off there and SO_EXCLUSIVEADDRUSE is set instead.
    allow_reuse_address = os.name != "nt"
    receiver: LoopbackReceiver

    def server_bind(self) -> None:
        exclusive = getattr(socket, "SO_EXCLUSIVEADDRUSE", None)
        if exclusive is not None:
            self.socket.setsockopt(socket.SOL_SOCKET, exclusive, 1)
        super().server_bind()


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    server_version = "MaicaXeroDesktop"
    sys_version = ""

    def log_message(self, format: str, *args: object) -> None:
        # The request line carries the authorization code: never log it.
        log.debug("loopback: %s request", self.command)

    def do_GET(self) -> None:
        status, body = self.server.receiver.handle(self.path)
        self.send_response(status)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("Referrer-Policy", "no-referrer")
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)

    def _refuse(self) -> None:
        body = page("Not here", "This address only receives the Xero sign-in reply.")
        self.send_response(405)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Allow", "GET")
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)

    do_POST = do_PUT = do_DELETE = do_PATCH = _refuse


class LoopbackReceiver:
    def __init__(
        self, ports: list[int], callback_path: str, state: str, redirect_host: str = "localhost"
    ) -> None:
        self._ports = ports
        self._host = redirect_host
        self._path = callback_path
        self._state: str | None = state
        self._done = threading.Event()
        self._result: Callback | None = None
        self._error: AuthorizationError | None = None
        self._mismatches = 0
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self.port = 0

    def start(self) -> int:
        """Bind the first free port; returns it. :class:`ConfigurationError` if none is free."""
        for port in self._ports:
            try:
                server = _Server(("127.0.0.1", port), _Handler)
            except OSError as exc:
                if exc.errno in (errno.EADDRINUSE, errno.EACCES, errno.EADDRNOTAVAIL):
                    continue
                raise
            server.receiver = self
            self._server = server
            self.port = port
            self._thread = threading.Thread(
                target=server.serve_forever,
                kwargs={"poll_interval": 0.1},
                daemon=True,
                name="oauth-loopback",
            )
            self._thread.start()
            return port
        listed = ", ".join(str(p) for p in self._ports) or "none"
        raise ConfigurationError(
            f"None of the registered sign-in ports ({listed}) is free on this computer.",
            remedy=Remedy.FREE_REDIRECT_PORT,
            facts={"ports": listed},
        )

    @property
    def redirect_uri(self) -> str:
        return f"http://{self._host}:{self.port}{self._path}"

    def handle(self, raw_path: str) -> tuple[int, bytes]:
        parts = urlsplit(raw_path)
        if parts.path != self._path:
            return 404, page("Not found", "This address only receives the Xero sign-in reply.")
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
            error = query["error"]
            description = query.get("error_description", "")
            if error == "access_denied":
                self._error = AuthorizationError(
                    "Access was not granted in Xero (the consent page was cancelled). "
                    "Connect again and choose Allow access."
                )
            else:
                self._error = AuthorizationError(
                    f"Xero ended the sign-in with the error '{error}'"
                    + (f": {description}" if description else "")
                    + ". Check the app's settings in the Xero developer portal and connect again."
                )
            self._finish()
            return 200, page("Sign-in not completed", self._error.sentence)
        code = query.get("code", "")
        if not code:
            self._error = AuthorizationError(
                "Xero's reply had no authorization code. Connect again."
            )
            self._finish()
            return 400, page("Sign-in not completed", self._error.sentence)
        self._result = Callback(code=code, scope=query.get("scope", ""))
        self._finish()
        return 200, page(
            "Connected to Xero",
            "Maica Xero Desktop received the sign-in. You can close this tab and return to the "
            "app.",
        )

    def _finish(self) -> None:
        self._done.set()

    def wait(self, timeout: float, cancel: threading.Event | None = None) -> Callback:
        deadline = time.monotonic() + timeout
        try:
            while not self._done.wait(0.05):
                if cancel is not None and cancel.is_set():
                    raise AuthorizationCancelled("The Xero sign-in was cancelled.")
                if time.monotonic() >= deadline:
                    raise self._timeout_error(timeout)
        finally:
            self.close()
        if self._error is not None:
            raise self._error
        assert self._result is not None
        return self._result

    def _timeout_error(self, timeout: float) -> AuthorizationError:
        if self._mismatches:
            return AuthorizationError(
                f"No valid sign-in reply arrived within {timeout:g} seconds: a reply came back "
                "that did not match this sign-in (state mismatch), possibly from an older browser "
                "tab. Connect again and finish the sign-in in the newest tab."
            )
        return AuthorizationError(
            f"No reply came back from Xero within {timeout:g} seconds. If Xero showed an error "
            "page, check that the client id is right, that the redirect URI "
            f"{self.redirect_uri} is registered exactly in the Xero app, and that the app "
            "accepts the requested scopes (apps made since 2 March 2026 accept only granular "
            "ones such as accounting.invoices, not accounting.transactions — the scopes are a "
            "setting); then connect again."
        )

    def close(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            server.shutdown()
            server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
