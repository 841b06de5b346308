"""Settings: typed defaults merged with the saved JSON file.

Unknown keys in the file are kept (a newer version may have written them); a value of the wrong type
falls back to its default with a warning; a file that is not JSON at all is moved aside as
``settings.json.corrupt-<time>`` and reported, and the defaults are used. Every change is a
read-modify-write under a file lock, written atomically, so the GUI, the CLI and a scheduled run can
change settings at once without losing each other's changes. No secret is ever stored here.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from filelock import FileLock

from .errors import ConfigurationError, Notice, SettingsError
from .jsonfile import read_json, write_json_atomic
from .logsetup import NOTED
from .paths import AppPaths, file_problem

log = logging.getLogger(__name__)

#: Granular scopes (required for Xero apps created since 2 March 2026), no more than the product
#: uses: openid profile email (who connected), offline_access (refresh tokens),
#: accounting.invoices (GET/PUT /Invoices; payments and credits come back on the invoices),
#: accounting.contacts (GET/PUT /Contacts), accounting.settings.read (GET /Organisation,
#: /Organisation/Actions, /Accounts, /TaxRates, /TrackingCategories, /Currencies). Nothing reads
#: /Payments, so accounting.payments.read is not asked for.
DEFAULT_SCOPES: tuple[str, ...] = (
    "openid",
    "profile",
    "email",
    "offline_access",
    "accounting.invoices",
    "accounting.contacts",
    "accounting.settings.read",
)
DEFAULT_REDIRECT_PORTS: tuple[int, ...] = (5717, 5718, 5719, 5720, 5721)
CALLBACK_PATH = "/callback"


@dataclass
class Settings:
    enabled: bool = False
    client_id: str = ""
    scopes: list[str] = field(default_factory=lambda: list(DEFAULT_SCOPES))
    redirect_ports: list[int] = field(default_factory=lambda: list(DEFAULT_REDIRECT_PORTS))
    redirect_host: str = "localhost"
    active_tenant_id: str = ""
    active_tenant_name: str = ""
    needs_reconnect: bool = False
    needs_reconnect_reason: str = ""
    flow: str = "authorised"
    schedule_minutes: int = 0
    default_account_code: str = "200"
    default_tax_type: str = "EXEMPTOUTPUT"
    payment_terms_days: int = 14
    #: how Xero reads the unit prices: Exclusive (Maica's are before GST), Inclusive or NoTax
    line_amount_type: str = "Exclusive"
    webhook_site: str = ""
    #: Per organisation, the store that last sent it invoices from this home and how many it had
    #: linked there ({"tenant_id", "store_id", "pushed", "updated_at"}): a replaced, emptied or
    #: older store is noticed before it sends anything (core/sync/recovery.py).
    store_memory: list[dict[str, Any]] = field(default_factory=list)
    #: the window's background work (gui/tray.py): closing it while a schedule or the receiver
    #: is active keeps the process in the tray ("tray"), quits ("quit") or asks once ("")
    close_to_tray: str = ""
    #: a notification when a webhook records a payment (off: only what needs acting on)
    notify_payments: bool = False
    #: "host:port" of the receiver to start with the window (it ran when the window quit)
    receiver_at_start: str = ""
    #: where invoices come from: "file" (a Maica export imported by hand) or "maica" (read from the
    #: Maica org through the Salesforce API, with Xero ids and payments written back)
    source: str = "file"
    #: the Maica org's login host: https://login.salesforce.com, https://test.salesforce.com, the
    #: org's My Domain URL, or a plain-http loopback address (imitations); MAICA_XERO_SF_LOGIN_URL
    #: overrides it
    sf_login_url: str = "https://login.salesforce.com"
    #: the External Client App's consumer key (MAICA_XERO_SF_CLIENT_ID overrides it); never a secret
    sf_client_id: str = ""
    #: the Maica sign-in must be made again (the refresh token was refused), and why
    sf_needs_reconnect: bool = False
    sf_needs_reconnect_reason: str = ""
    #: who signed in to the Maica org and its name, for display only ("" until connected)
    sf_user: str = ""
    sf_org_name: str = ""
    #: the Maica package's namespace found in the org ("maica_cc" or "maica"; "" until checked)
    maica_namespace: str = ""
    #: the field mapping the administrator confirmed: "object.role" -> API name (core/maica)
    maica_mapping: dict[str, str] = field(default_factory=dict)
    #: the earliest Maica invoice date a pull reads (YYYY-MM-DD; "" = every invoice with an empty
    #: Finance External ID): keeps years of invoices paid long ago out of a first pull
    maica_since: str = ""
    #: Keys this version does not know, kept as they were.
    extra: dict[str, Any] = field(default_factory=dict)

    def redirect_uri(self, port: int) -> str:
        return f"http://{self.redirect_host}:{port}{CALLBACK_PATH}"

    def redirect_uris(self) -> list[str]:
        return [self.redirect_uri(port) for port in self.redirect_ports]

    def to_json(self) -> dict[str, Any]:
        data = {
            f.name: getattr(self, f.name) for f in dataclasses.fields(self) if f.name != "extra"
        }
        return {**self.extra, **data}


_FIELDS = {f.name: f for f in dataclasses.fields(Settings) if f.name != "extra"}


def _valid(name: str, value: Any) -> bool:
    default = getattr(Settings(), name)
    if isinstance(default, bool):
        return isinstance(value, bool)
    if isinstance(default, int):
        return isinstance(value, int) and not isinstance(value, bool)
    if isinstance(default, str):
        return isinstance(value, str)
    if isinstance(default, list):
        if not isinstance(value, list) or not default:
            return isinstance(value, list)
        kind = type(default[0])
        return all(isinstance(v, kind) and not isinstance(v, bool) for v in value)
    if isinstance(default, dict):  # maica_mapping: names to names
        return isinstance(value, dict) and all(
            isinstance(k, str) and isinstance(v, str) for k, v in value.items()
        )
    return False


def settings_from_json(data: Any) -> tuple[Settings, list[str]]:
    """Merge saved data over the defaults; returns the settings and the warnings to show.

    Each saved value is checked as ``config set`` checks it (a hand-edited port of 99999 is
    refused here, not when the sign-in tries to listen on it)."""
    from .config_keys import KEPT_WHEN_INVALID, check_saved  # names Settings in annotations only

    warnings: list[str] = []
    settings = Settings()
    if not isinstance(data, dict):
        return settings, ["The settings file did not hold a settings object; defaults are used."]
    defaults = Settings()
    for key, saved in data.items():
        if key not in _FIELDS:
            settings.extra[key] = saved
            continue
        if not _valid(key, saved):
            warnings.append(f"The saved setting '{key}' had an invalid value; its default is used.")
            continue
        value = saved
        if saved != getattr(defaults, key):
            try:
                value = check_saved(key, saved)
            except ConfigurationError as exc:
                if key in KEPT_WHEN_INVALID:
                    setattr(settings, key, saved)
                    fact = exc.fact.rstrip(".")
                    warnings.append(
                        Notice(
                            f"The saved setting '{key}' cannot be used: {fact[:1].lower()}"
                            f"{fact[1:]}, so nothing is synced until it is changed.",
                            exc.remedy,
                            exc.facts,
                        )
                    )
                    continue
                warnings.append(
                    f"The saved setting '{key}' had an invalid value ({exc.fact.rstrip('.')}); "
                    "its default is used."
                )
                continue
        setattr(settings, key, value)
    return settings, warnings


class SettingsStore:
    """Reads and changes the settings file for one set of paths.

    Owns ``settings.json`` and its lock file. Never holds secrets (they are in the keyring) and
    never caches: every :meth:`load` reads the file, so a change by another process is seen.
    Threads and processes: :meth:`update` is read-change-write under a file lock; writes are
    atomic (temp file and rename), so a reader never sees half a file."""

    def __init__(self, paths: AppPaths) -> None:
        self._path = paths.settings_file
        self._lock = FileLock(str(paths.settings_lock_file), timeout=30, mode=0o600)
        #: Each distinct warning once, however often the settings are read.
        self.warnings: list[str] = []

    def load(self) -> Settings:
        try:
            data = read_json(self._path)
        except FileNotFoundError:
            return Settings()
        except (ValueError, UnicodeDecodeError, RecursionError):
            aside = self._path.with_name(f"{self._path.name}.corrupt-{int(time.time())}")
            try:
                os.replace(self._path, aside)
            except OSError:
                aside = self._path
            message = (
                f"The settings file was damaged and could not be read; it was kept as {aside.name} "
                "and the default settings are used."
            )
            self._warn(message)
            return Settings()
        except OSError as exc:
            raise file_problem(exc, self._path) from None
        settings, warnings = settings_from_json(data)
        for message in warnings:
            self._warn(message)
        return settings

    def _warn(self, message: str) -> None:
        """Each warning once: to the log file (not the console), and into ``warnings``, which
        the front ends show (``status``, and a "Note:" before each other command)."""
        if message not in self.warnings:
            log.warning("%s", message, extra={NOTED: True})
            self.warnings.append(message)

    def update(self, change: Callable[[Settings], None]) -> Settings:
        """Apply ``change`` to the current saved settings and save them, under the lock."""
        try:
            self._lock.acquire()
        except OSError as exc:
            raise file_problem(exc, self._lock.lock_file) from None
        try:
            settings = self.load()
            change(settings)
            self.save(settings)
            return settings
        finally:
            self._lock.release()

    def save(self, settings: Settings) -> None:
        try:
            write_json_atomic(self._path, settings.to_json())
        except OSError as exc:
            problem = file_problem(
                exc, self._path, what=f"The settings could not be saved to {self._path}"
            )
            raise SettingsError(problem.fact, remedy=problem.remedy, facts=problem.facts) from exc
