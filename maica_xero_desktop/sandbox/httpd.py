"""The HTTP layer: a stdlib ThreadingHTTPServer on loopback whose handler turns each request into
a :class:`Request` for :meth:`SandboxApp.dispatch` and writes the answer back (or drops it)."""

from __future__ import annotations

import logging
import socketserver
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from .app import Outcome, SandboxApp
from .web import Request, Response, json_response, problem

log = logging.getLogger("maica_xero_desktop.sandbox")

_DISPATCHED = ("GET", "POST", "PUT", "DELETE", "PATCH")
_API_PREFIX = "/api.xro/"
#: bodies up to this size are read (and dropped) before a 413, so the client sees the answer
_DRAIN_LIMIT = 64 * 1024 * 1024


class SandboxServer(ThreadingHTTPServer):
    daemon_threads = True
    app: SandboxApp

    def server_bind(self) -> None:
        # HTTPServer.server_bind() calls socket.getfqdn(), a DNS lookup: not needed on loopback.
        socketserver.TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name = str(host)
        self.server_port = int(port)

    def handle_error(self, request: Any, client_address: Any) -> None:
        log.debug("sandbox: connection error from %s", client_address, exc_info=True)


class SandboxHandler(BaseHTTPRequestHandler):
    server: SandboxServer
    server_version = "XeroSandbox/1.0"
    sys_version = ""

    def version_string(self) -> str:
        return self.server_version

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("sandbox: %s - %s", self.address_string(), format % args)

    def __getattr__(self, name: str) -> Callable[[], None]:
        # Any other method (HEAD, OPTIONS, TRACE, FOO ...) is answered 405.
        if name.startswith("do_"):
            return self._not_allowed
        raise AttributeError(name)

    def do_GET(self) -> None:
        self._handle()

    do_POST = do_PUT = do_DELETE = do_PATCH = do_GET

    def _not_allowed(self) -> None:
        allow = ", ".join(_DISPATCHED)
        self._send(json_response(405, {"error": "method_not_allowed"}, {"Allow": allow}))

    def _handle(self) -> None:
        app = self.server.app
        try:
            outcome = self._outcome(app)
        except Exception:
            log.exception("sandbox: %s %s failed", self.command, self.path)
            outcome = Outcome(
                json_response(500, {"error": "server_error", "message": "internal error"})
            )
        if outcome.drop:
            log.debug("sandbox: dropping the response to %s %s (fault)", self.command, self.path)
            self.close_connection = True
            return
        self._send(outcome.response)

    def _outcome(self, app: SandboxApp) -> Outcome:
        if self.headers.get("Transfer-Encoding"):
            return Outcome(json_response(411, {"error": "length_required"}))
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = -1
        if length < 0:
            return Outcome(json_response(400, {"error": "bad_content_length"}))
        is_api = self.path.lower().startswith(_API_PREFIX)
        if is_api and length > app.config.api_max_body_bytes:
            self._drain(length)
            detail = f"The request body exceeds {app.config.api_max_body_bytes} bytes"
            return Outcome(problem(413, "Request Entity Too Large", detail))
        if length > app.config.max_body_bytes:
            return Outcome(json_response(413, {"error": "request_too_large"}))
        body = self.rfile.read(length) if length else b""
        parts = urlsplit(self.path)
        query = parse_qs(parts.query, keep_blank_values=True)
        return app.dispatch(Request(self.command, parts.path, query, self.headers, body))

    def _drain(self, length: int) -> None:
        left = length if length <= _DRAIN_LIMIT else 0
        while left > 0:
            chunk = self.rfile.read(min(left, 1 << 16))
            if not chunk:
                break
            left -= len(chunk)

    def _send(self, response: Response) -> None:
        self.close_connection = True
        try:
            self.send_response(response.status)
            for name, value in response.headers.items():
                self.send_header(name, value)
            if response.content_type:
                self.send_header("Content-Type", response.content_type)
            self.send_header("Content-Length", str(len(response.body)))
            self.send_header("Connection", "close")
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(response.body)
        except (BrokenPipeError, ConnectionResetError):
            log.debug("sandbox: client went away before the response was sent")
