"""The sandbox's HTTP server (stdlib ThreadingHTTPServer on loopback) and its public face,
:class:`Sandbox` and :func:`serve`."""

from __future__ import annotations

import logging
import signal
import socketserver
import sys
import threading
from collections.abc import Callable
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import FrameType
from typing import Any, TextIO
from urllib.parse import parse_qs, urlsplit

from . import admin
from .app import Outcome, SandboxApp
from .config import SandboxConfig
from .state import SandboxState
from .web import Request, Response, json_response

log = logging.getLogger("maica_xero_desktop.sandbox")

_DISPATCHED = ("GET", "POST", "PUT", "DELETE", "PATCH")


class _Server(ThreadingHTTPServer):
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


class _Handler(BaseHTTPRequestHandler):
    server: _Server
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
        if length > app.config.max_body_bytes:
            return Outcome(json_response(413, {"error": "request_too_large"}))
        body = self.rfile.read(length) if length else b""
        parts = urlsplit(self.path)
        query = parse_qs(parts.query, keep_blank_values=True)
        return app.dispatch(Request(self.command, parts.path, query, self.headers, body))

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


class Sandbox:
    """An offline Xero on 127.0.0.1: identity, connections and the Accounting API in one server.

    ``Sandbox(SandboxConfig(...))`` or ``Sandbox(port=0, ...)`` (keywords override the config).
    """

    def __init__(self, config: SandboxConfig | None = None, **overrides: Any) -> None:
        config = config or SandboxConfig()
        self.config = replace(config, **overrides) if overrides else config
        self.app = SandboxApp(self.config)
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle -------------------------------------------------------------------------

    def start(self) -> Sandbox:
        """Listen and serve in a daemon thread; returns once the socket is listening."""
        if self._server is not None:
            raise RuntimeError("sandbox already started")
        server = _Server((self.config.host, self.config.port), _Handler)
        server.app = self.app
        self.app.base_url = f"http://{self.config.host}:{server.server_port}"
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.02},
            name="xero-sandbox",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, close the socket, join the thread, save the state (if a file is set)."""
        server, thread = self._server, self._thread
        self._server = self._thread = None
        if server is not None:
            server.shutdown()
            server.server_close()
        if thread is not None:
            thread.join(timeout=10)
        self.app.state.save()

    def __enter__(self) -> Sandbox:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- what clients need -----------------------------------------------------------------

    @property
    def base_url(self) -> str:
        return self.app.base_url

    @property
    def port(self) -> int:
        return int(self.base_url.rsplit(":", 1)[1])

    @property
    def client_id(self) -> str:
        return self.config.client_id

    @property
    def state(self) -> SandboxState:
        return self.app.state

    def env_lines(self) -> list[str]:
        url = self.base_url
        return [
            f"MAICA_XERO_LOGIN_URL={url}",
            f"MAICA_XERO_IDENTITY_URL={url}",
            f"MAICA_XERO_API_URL={url}",
            f"MAICA_XERO_CLIENT_ID={self.client_id}",
        ]

    # -- test controls (the same as the /_sandbox/ endpoints) ------------------------------

    def stats(self) -> dict[str, Any]:
        return admin.stats(self.app)

    def calls(self, endpoint: str) -> int:
        return self.app.stats.get(endpoint)

    def advance_clock(self, seconds: float) -> float:
        return self.app.state.advance_clock(seconds)

    def add_fault(self, **spec: Any) -> None:
        """E.g. ``add_fault(drop_response="token.refresh_token")``,
        ``add_fault(status=503, endpoint="connections.get", count=2)``."""
        from .faults import fault_from_json

        self.app.faults.add(fault_from_json(spec))

    def clear_faults(self) -> None:
        self.app.faults.clear()

    def reset_demo(self) -> dict[str, Any]:
        return admin.reset_demo(self.app)

    def expire_access_tokens(self) -> int:
        return int(admin.expire_access_tokens(self.app)["expired"])

    def add_practice(self) -> str:
        return str(admin.add_practice(self.app)["tenant_id"])

    def set_limits(self, **limits: int) -> dict[str, Any]:
        return admin.set_limits(self.app, **limits)

    def set_auto_consent(self, enabled: bool) -> None:
        self.app.auto_consent = enabled

    def reset(self) -> None:
        self.app.reset()


def serve(port: int, state_file: str | None, auto_consent: bool, out: TextIO | None = None) -> int:
    """Run a sandbox until interrupted (Ctrl+C or SIGTERM). Prints the four ``MAICA_XERO_*``
    lines to ``out`` (standard output by default) once listening. Returns the exit code."""
    stream = out if out is not None else sys.stdout
    try:
        sandbox = Sandbox(
            SandboxConfig(port=port, state_file=state_file, auto_consent=auto_consent)
        )
        sandbox.start()
    except OSError as exc:
        print(
            f"The sandbox could not start on 127.0.0.1:{port}: {exc.strerror or exc}.",
            file=sys.stderr,
        )
        return 1
    except ValueError as exc:
        print(f"The sandbox state file could not be read: {exc}.", file=sys.stderr)
        return 1
    for line in sandbox.env_lines():
        stream.write(line + "\n")
    stream.flush()
    stop = threading.Event()

    def on_sigterm(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous: Any = None
    in_main = threading.current_thread() is threading.main_thread()
    if in_main:
        previous = signal.signal(signal.SIGTERM, on_sigterm)
    try:
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        if in_main:
            signal.signal(signal.SIGTERM, previous)
        sandbox.stop()
    return 0
