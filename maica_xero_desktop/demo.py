"""Demo mode: the whole product against the built-in offline Xero and Maica org, in a throw-away
home.

:func:`start_demo` makes a temporary home, starts the sandbox in this process (auto-consent, two
Xero organisations and a Maica org seeded with the sample invoices), points the ``MAICA_XERO_*``
variables (``MAICA_XERO_SF_*`` for the Maica org) at it, keeps secrets in an in-memory keyring
(this mode only: nothing is real) and turns the integration on. With ``source="maica"`` (the
default) it makes the Maica org the source: "Connect to Maica…" signs in to the sandbox's org the
way "Connect to Xero…" signs in to its Xero, and Run Now reads the invoices there, sends them to
Xero and writes the Xero ids back; :func:`maica_payments` shows the Payment records a payment in
Xero became in the org. With ``source="file"`` it imports the sample export instead.
:meth:`DemoContext.close` undoes all of it.

Webhooks: the demo picks a free loopback port for the window's receiver, saves the site
``http://127.0.0.1:PORT`` (so the Delivery URL is the receiver itself) and points the sandbox's
webhook sender at that Delivery URL with a key it generates, saved in the demo keyring. A payment
recorded in the sandbox then reaches the window by webhook once its receiver runs
(:mod:`.gui.webhooks_demo` starts it and adds "Record a payment in the sandbox").

The sign-in's "browser" follows the authorization address with ``urllib`` in a background thread
(the sandbox consents by itself and redirects to the loopback), so the demo completes on machines
without a browser. The system browser is not opened as well: the state is single-use, so whichever
reached the loopback second would show an error page.
"""

from __future__ import annotations

import logging
import os
import shutil
import socket
import tempfile
import threading
import urllib.request
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path

import keyring
from keyring.backend import KeyringBackend
from keyring.errors import PasswordDeleteError

from .core.service import Service
from .resources import resource_path
from .sandbox import Sandbox, SandboxConfig

log = logging.getLogger(__name__)

SAMPLE = "sample-maica-export.csv"
#: the sandbox org's Payment object (namespace maica_cc, the sandbox's default)
PAYMENT_OBJECT = "maica_cc__Payment__c"


class DemoKeyring(KeyringBackend):
    """Secrets in memory, for the demo only (the real product refuses non-OS keyrings)."""

    priority = 1

    def __init__(self) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self._entries: dict[tuple[str, str], str] = {}
        self._lock = threading.Lock()

    def get_password(self, service: str, username: str) -> str | None:
        with self._lock:
            return self._entries.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        with self._lock:
            self._entries[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        with self._lock:
            if self._entries.pop((service, username), None) is None:
                raise PasswordDeleteError("not found")


def follow_in_background(url: str) -> bool:
    """The demo's browser: GET the authorize address (the sandbox redirects to the loopback)."""

    def follow() -> None:
        try:
            with urllib.request.urlopen(url, timeout=30) as answer:  # noqa: S310 (sandbox URL)
                answer.read()
        except OSError as exc:
            log.info("Demo browser could not follow the sign-in address: %s", exc)

    threading.Thread(target=follow, name="demo-browser", daemon=True).start()
    return True


@dataclass
class DemoContext:
    home: Path
    sandbox: Sandbox
    service: Service
    _folder: Path
    _previous_env: dict[str, str | None] = field(default_factory=dict)
    _previous_keyring: KeyringBackend | None = None
    closed: bool = False
    #: the loopback port the window's receiver should listen on, and the key the sandbox signs
    #: its deliveries with (the same key is saved in the demo keyring)
    webhook_port: int = 0
    webhook_key: str = field(default="", repr=False)

    def close(self) -> None:
        """Stop the sandbox, forget the demo's environment and keyring, delete the home."""
        if self.closed:
            return
        self.closed = True
        _RUNNING[:] = [c for c in _RUNNING if c is not self]
        self.service.close()
        self.sandbox.stop()
        for name, value in self._previous_env.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        if self._previous_keyring is not None:
            keyring.set_keyring(self._previous_keyring)
        shutil.rmtree(self._folder, ignore_errors=True)


#: the demo this process runs (at most one in practice)
_RUNNING: list[DemoContext] = []


def active_demo() -> DemoContext | None:
    """The demo this process runs, if any (the window adds its demo-only actions from it)."""
    return _RUNNING[-1] if _RUNNING else None


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def configure_webhooks(context: DemoContext) -> None:
    """The demo's "developer portal": site, Delivery URL, the sandbox sender and the key."""
    context.webhook_port = free_port()
    delivery = context.service.webhooks.set_site(f"http://127.0.0.1:{context.webhook_port}")
    context.webhook_key = str(context.sandbox.webhooks.configure({"url": delivery})["key"])
    context.service.webhooks.set_key(context.webhook_key)


def point_sender_at(context: DemoContext, receiver_url: str) -> None:
    """The window's receiver started at ``receiver_url``: deliver there (its port may differ)."""
    context.sandbox.webhooks.configure(
        {"url": f"{receiver_url.rstrip('/')}/xero/webhooks", "key": context.webhook_key}
    )


def maica_payments(context: DemoContext) -> list[dict[str, object]]:
    """The Payment records in the sandbox's Maica org, after writing back what is pending (a
    payment recorded in Xero reaches the store by webhook or refresh first). Worker thread."""
    if context.service.maica.status().connected:
        context.service.maica.write_back()
    return list(context.sandbox.maica_records(PAYMENT_OBJECT))


def _money(value: object) -> str:
    """An amount as the org holds it (a JSON number) with two decimals: 50.0 → "50.00"."""
    try:
        return f"{Decimal(str(value)):,.2f}"
    except (InvalidOperation, ValueError):
        return str(value)


def payment_lines(records: list[dict[str, object]]) -> list[str]:
    """Each Payment record in a line: its name, amount, date, the Xero PaymentID it carries."""
    fields = ("Payment_Amount__c", "Payment_Date__c", "Finance_External_ID__c", "Paid__c")
    lines = []
    for record in records:
        values = {f: record.get(f"maica_cc__{f}") for f in fields}
        lines.append(
            f"{record.get('Name')}: {_money(values['Payment_Amount__c'])} on "
            f"{str(values['Payment_Date__c'] or '')[:10]}, Xero PaymentID "
            f"{values['Finance_External_ID__c']}, paid: {'yes' if values['Paid__c'] else 'no'}"
        )
    return lines


def use_sample_file(context: DemoContext) -> None:
    """Switch the demo to the file source and import the sample export (the screenshot tour's
    later states, which show the file's deliberate mistakes). Worker thread."""
    context.service.config_set("source", "file")
    context.service.sync.import_file(resource_path(SAMPLE))


def start_demo(*, import_sample: bool = True, source: str = "maica") -> DemoContext:
    folder = Path(tempfile.mkdtemp(prefix="maica-xero-demo-"))
    home = folder / "home"
    previous_keyring = keyring.get_keyring()
    keyring.set_keyring(DemoKeyring())
    sandbox = Sandbox(SandboxConfig(port=0, auto_consent=True)).start()
    env = dict(line.split("=", 1) for line in sandbox.env_lines())
    env["MAICA_XERO_HOME"] = str(home)
    previous_env = {name: os.environ.get(name) for name in env}
    os.environ.update(env)
    service = Service(home, browser=follow_in_background)
    context = DemoContext(home, sandbox, service, folder, previous_env, previous_keyring)
    try:
        service.set_enabled(True)
        configure_webhooks(context)
        if source == "maica":
            service.config_set("source", "maica")  # the org holds the sample's invoices
        elif import_sample:
            service.sync.import_file(resource_path(SAMPLE))
    except BaseException:
        context.close()
        raise
    _RUNNING.append(context)
    log.info("Demo started against the sandbox at %s.", sandbox.base_url)
    return context
