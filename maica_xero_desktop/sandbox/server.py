"""The sandbox's public face: :class:`Sandbox` (start/stop, test controls) and :func:`serve`.
The HTTP layer itself is in httpd.py."""

from __future__ import annotations

import logging
import os
import signal
import sys
import tempfile
import threading
from dataclasses import replace
from pathlib import Path
from types import FrameType
from typing import Any, TextIO

from . import admin, admin_books
from .app import SandboxApp
from .config import MAICA_NAMESPACES, MAX_PORT, SandboxConfig
from .httpd import SandboxHandler, SandboxServer
from .ledger import Listener
from .maica import controls as maica_controls
from .state import SandboxState
from .webhooks import WebhookSender

log = logging.getLogger("maica_xero_desktop.sandbox")


class Sandbox:
    """An offline Xero on 127.0.0.1: identity, connections and the Accounting API in one server.

    ``Sandbox(SandboxConfig(...))`` or ``Sandbox(port=0, ...)`` (keywords override the config).
    """

    def __init__(self, config: SandboxConfig | None = None, **overrides: Any) -> None:
        config = config or SandboxConfig()
        self.config = replace(config, **overrides) if overrides else config
        self.app = SandboxApp(self.config)
        self._server: SandboxServer | None = None
        self._thread: threading.Thread | None = None
        self._saver: threading.Thread | None = None
        self._stopping = threading.Event()

    # -- lifecycle -------------------------------------------------------------------------

    def start(self) -> Sandbox:
        """Listen and serve in a daemon thread; returns once the socket is listening."""
        if self._server is not None:
            raise RuntimeError("sandbox already started")
        server = SandboxServer((self.config.host, self.config.port), SandboxHandler)
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
        if self.config.state_file:
            self._stopping.clear()
            self._saver = threading.Thread(target=self._save_loop, name="xero-sandbox-saver")
            self._saver.daemon = True
            self._saver.start()
        return self

    def _save_loop(self) -> None:
        """Write accounting changes at most every ``state_save_interval`` seconds."""
        while not self._stopping.wait(self.config.state_save_interval):
            self._save(dirty_only=True)

    def _save(self, *, dirty_only: bool) -> None:
        """Write the state file; a failure is one log line (the server keeps serving)."""
        try:
            if dirty_only:
                self.app.state.save_if_dirty()
            else:
                self.app.state.save()
        except OSError as exc:
            log.warning(
                "could not save the state file %s: %s", self.config.state_file, _reason(exc)
            )

    def stop(self) -> None:
        """Stop serving, close the socket, join the thread, save the state (if a file is set)."""
        server, thread, saver = self._server, self._thread, self._saver
        self._server = self._thread = self._saver = None
        self._stopping.set()
        if saver is not None:
            saver.join(timeout=30)
        if server is not None:
            server.shutdown()
            server.server_close()
        if thread is not None:
            thread.join(timeout=10)
        self.app.webhooks.close()
        self._save(dirty_only=False)

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
    def sf_client_id(self) -> str:
        """The Maica org's consumer key (the External Client App, PKCE, no secret)."""
        return self.config.sf_client_id

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
            f"MAICA_XERO_SF_LOGIN_URL={url}",
            f"MAICA_XERO_SF_CLIENT_ID={self.sf_client_id}",
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

    def set_limits(self, **limits: Any) -> dict[str, Any]:
        """E.g. ``set_limits(minute=3, window_seconds=2)`` or ``set_limits(enabled=False)``."""
        return admin.set_limits(self.app, **limits)

    def set_auto_consent(self, enabled: bool) -> None:
        self.app.auto_consent = enabled

    def reset(self) -> None:
        self.app.reset()

    # -- the Maica org (the same as the /_sandbox/maica/ endpoints) --------------------------

    def maica_records(self, sobject: str) -> list[dict[str, Any]]:
        """Every record of a Maica org object (API names), e.g. ``"maica_cc__Invoice__c"``."""
        rows: list[dict[str, Any]] = maica_controls.records(self.app, sobject)["records"]
        return rows

    def maica_upsert_records(self, sobject: str, records: list[dict[str, Any]]) -> list[str]:
        """Create (no ``Id``) or update (``Id`` given) records as an admin would; their Ids."""
        ids: list[str] = maica_controls.upsert_records(self.app, sobject, records)["ids"]
        return ids

    def maica_delete(self, sobject: str, record_id: str) -> None:
        """Delete a record as a user in Maica would (an invoice's lines and payments with it)."""
        state = self.app.state
        with state.lock:
            state.maica.delete(sobject, record_id)
            state.mark_dirty()

    def maica_generate(self, invoices: int, lines_per_invoice: int = 3) -> dict[str, Any]:
        """``invoices`` more invoices (Not Paid, no Finance External ID) with their lines."""
        return maica_controls.generate(self.app, invoices, lines_per_invoice)

    def maica_add_fault(self, **spec: Any) -> None:
        """E.g. ``maica_add_fault(error="UNABLE_TO_LOCK_ROW", endpoint="composite",
        record_ids=[...])`` or ``maica_add_fault(drop_response="composite")``."""
        maica_controls.add_fault(self.app, spec)

    def maica_fields(
        self,
        sobject: str,
        *,
        hide: list[str] | None = None,
        show: list[str] | None = None,
        readonly: list[str] | None = None,
    ) -> dict[str, Any]:
        """Field-level security for the API user (``POST /_sandbox/maica/fields``): hidden
        fields vanish from describe and a query naming one is INVALID_FIELD; read-only ones are
        not updateable and refused per record on writes; ``show`` gives fields back."""
        return maica_controls.set_fields(self.app, sobject, hide, show, readonly)

    def maica_clear_faults(self) -> None:
        self.app.maica.faults.clear()

    def maica_set_limits(
        self, *, daily: int | None = None, used: int | None = None
    ) -> dict[str, Any]:
        return maica_controls.set_limits(self.app, daily, used)

    def maica_stats(self) -> dict[str, Any]:
        return maica_controls.stats(self.app)

    def maica_expire_sessions(self) -> int:
        return int(maica_controls.expire_sessions(self.app)["expired"])

    def maica_set_namespace(self, namespace: str) -> None:
        """Reseed the org with the other package namespace ("maica" or "maica_cc")."""
        maica_controls.set_namespace(self.app, namespace)

    def maica_reset(self) -> None:
        maica_controls.reset(self.app)

    # -- accounting data (the same as /_sandbox/invoices, contacts, payments, void) --------

    def invoices(self, tenant_id: str | None = None) -> list[dict[str, Any]]:
        """Every invoice of an organisation (default: the first) in creation order:
        InvoiceID, InvoiceNumber, Reference, Status, Total, AmountPaid, AmountDue, Contact..."""
        return admin_books.list_invoices(self.app, tenant_id)

    def contacts(self, tenant_id: str | None = None) -> list[dict[str, Any]]:
        return admin_books.list_contacts(self.app, tenant_id)

    def pay(
        self,
        amount: float | str,
        *,
        invoice_id: str | None = None,
        invoice_number: str | None = None,
        tenant_id: str | None = None,
    ) -> dict[str, Any]:
        body = {"tenant_id": tenant_id, "invoice_id": invoice_id, "invoice_number": invoice_number}
        return admin_books.change_invoice(self.app, {**body, "amount": amount}, "pay")

    def void(
        self,
        *,
        invoice_id: str | None = None,
        invoice_number: str | None = None,
        tenant_id: str | None = None,
    ) -> dict[str, Any]:
        body = {"tenant_id": tenant_id, "invoice_id": invoice_id, "invoice_number": invoice_number}
        return admin_books.change_invoice(self.app, body, "void")

    def credit(
        self,
        amount: float | str,
        *,
        kind: str = "CREDITNOTE",
        invoice_id: str | None = None,
        invoice_number: str | None = None,
        tenant_id: str | None = None,
    ) -> dict[str, Any]:
        """A credit note, prepayment or overpayment of ``amount`` allocated to the invoice."""
        body = {"tenant_id": tenant_id, "invoice_id": invoice_id, "invoice_number": invoice_number}
        return admin_books.credit_invoice(self.app, {**body, "amount": amount, "kind": kind})

    def reverse_payment(self, payment_id: str, tenant_id: str | None = None) -> dict[str, Any]:
        return admin_books.reverse_payment(
            self.app, {"tenant_id": tenant_id, "payment_id": payment_id}
        )

    def archive_contact(
        self, key: str, *, archived: bool = True, tenant_id: str | None = None
    ) -> dict[str, Any]:
        """Archive (or restore) a contact by ContactID or ContactNumber."""
        body = {"tenant_id": tenant_id, "contact_id": key, "archived": archived}
        return admin_books.archive_contact(self.app, body)

    def set_organisation(self, tenant_id: str | None = None, **controls: Any) -> dict[str, Any]:
        """Lock dates and denied actions (the same as ``POST /_sandbox/organisation``):
        ``period_lock_date`` / ``end_of_year_lock_date`` ("YYYY-MM-DD" or None),
        ``denied_actions`` (e.g. ["CreateApprovedInvoice"])."""
        return admin_books.set_controls(self.app, {"tenant_id": tenant_id, **controls})

    @property
    def webhooks(self) -> WebhookSender:
        """The webhook sender (the same as ``/_sandbox/webhooks``)."""
        return self.app.webhooks

    def add_listener(self, listener: Listener) -> None:
        """Call ``listener(LedgerEvent)`` after each invoice/contact change (webhook hook)."""
        self.app.state.listeners.append(listener)


def _reason(exc: OSError) -> str:
    return str(exc.strerror or exc)


def state_file_problem(state_file: str) -> str | None:
    """Why the sandbox could not keep its state in ``state_file`` (one sentence), or None.

    Writes and removes a scratch file next to it, as the saver will, so that an unwritable or
    impossible folder is refused before serving rather than failing silently later."""
    target = Path(state_file)
    if target.is_dir():
        return f"The sandbox state file {state_file} is a folder: give --state a file name."
    if target.parent.exists() and not target.parent.is_dir():
        return f"{target.parent} is a file, not a folder: give --state a file in a folder."
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, scratch = tempfile.mkstemp(prefix=".sandbox-state-", dir=str(target.parent))
        os.close(fd)
        os.unlink(scratch)
    except OSError as exc:
        return (
            f"The sandbox cannot keep its state in {state_file}: the folder {target.parent} "
            f"cannot be written ({_reason(exc)}); give --state a file in a folder you can write to."
        )
    return None


def serve(
    port: int,
    state_file: str | None,
    auto_consent: bool,
    out: TextIO | None = None,
    *,
    maica_namespace: str = "maica_cc",
) -> int:
    """Run a sandbox until interrupted (Ctrl+C or SIGTERM). Prints the six
    ``export MAICA_XERO_*=…`` lines (Xero's four, then the Maica org's login URL and consumer key)
    to ``out`` (standard output by default) once listening, then a ``#`` comment saying what to
    do with them. ``maica_namespace`` is the Maica org's package prefix ("maica_cc" or "maica").
    Returns the exit code: 2 for a bad port, namespace or state file, 1 when the port is busy or
    the state file cannot be read."""
    stream = out if out is not None else sys.stdout
    if not 0 <= port <= MAX_PORT:
        print(f"{port} is not a port: use a whole number from 0 to {MAX_PORT}.", file=sys.stderr)
        return 2
    if maica_namespace not in MAICA_NAMESPACES:
        print(
            f"{maica_namespace!r} is not a Maica namespace: use {' or '.join(MAICA_NAMESPACES)}.",
            file=sys.stderr,
        )
        return 2
    problem = state_file_problem(state_file) if state_file else None
    if problem:
        print(problem, file=sys.stderr)
        return 2
    try:
        sandbox = Sandbox(
            SandboxConfig(
                port=port,
                state_file=state_file,
                auto_consent=auto_consent,
                maica_namespace=maica_namespace,
            )
        )
    except (OSError, ValueError) as exc:
        reason = _reason(exc) if isinstance(exc, OSError) else str(exc)
        print(f"The sandbox state file could not be read: {reason}.", file=sys.stderr)
        return 1
    try:
        sandbox.start()
    except OSError as exc:
        print(f"The sandbox could not start on 127.0.0.1:{port}: {_reason(exc)}.", file=sys.stderr)
        return 1
    for line in sandbox.env_lines():
        stream.write(f"export {line}\n")
    stream.write(
        "# Leave this running; paste the lines above into another terminal, then use maica-xero "
        "there (Ctrl+C here stops the sandbox).\n"
    )
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
