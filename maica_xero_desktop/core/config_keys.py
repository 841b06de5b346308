"""The settings a user may read and change by name (``maica-xero config get|set KEY``)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .errors import ConfigurationError

if TYPE_CHECKING:
    from .settings import Settings

_CLIENT_ID = re.compile(r"^[A-Za-z0-9_\-]{8,128}$")
_SCOPE = re.compile(r"^[a-z_.]+$")


@dataclass(frozen=True)
class ConfigKey:
    name: str
    field: str
    parse: Callable[[str], Any]
    help: str

    def show(self, settings: Settings) -> str:
        value = getattr(settings, self.field)
        if isinstance(value, list):
            return (" " if self.field == "scopes" else ",").join(str(v) for v in value)
        return str(value)


def _client_id(text: str) -> str:
    value = text.strip()
    if not value:
        raise ConfigurationError(
            "A client id cannot be empty: copy the 32-character id shown for the app in the Xero "
            "developer portal (My Apps → the app → Configuration)."
        )
    if not _CLIENT_ID.match(value):
        raise ConfigurationError(
            "That does not look like a Xero client id: copy the 32-character id shown for the "
            "app in the Xero developer portal (My Apps → the app → Configuration)."
        )
    return value


def _scopes(text: str) -> list[str]:
    scopes = [s for s in re.split(r"[\s,]+", text.strip()) if s]
    bad = [s for s in scopes if not _SCOPE.match(s)]
    if bad:
        raise ConfigurationError(f"'{bad[0]}' is not a Xero scope name.")
    if "offline_access" not in scopes:
        raise ConfigurationError(
            "The scopes must include offline_access, or Xero gives no refresh token and the "
            "connection ends after 30 minutes."
        )
    return list(dict.fromkeys(scopes))


def _ports(text: str) -> list[int]:
    ports: list[int] = []
    for part in re.split(r"[\s,]+", text.strip()):
        if not part:
            continue
        if not part.isdigit() or not 1024 <= int(part) <= 65535:
            raise ConfigurationError(
                f"'{part}' is not a usable port: give port numbers from 1024 to 65535, separated "
                "by commas, each registered in the Xero app as http://localhost:PORT/callback."
            )
        ports.append(int(part))
    if not ports:
        raise ConfigurationError("Give at least one redirect port.")
    return list(dict.fromkeys(ports))


def _host(text: str) -> str:
    value = text.strip().lower()
    if value not in ("localhost", "127.0.0.1"):
        raise ConfigurationError(
            "The redirect host is either localhost or 127.0.0.1 (Xero tells them apart: use the "
            "one registered in the app's redirect URIs)."
        )
    return value


def _int_range(low: int, high: int, what: str) -> Callable[[str], int]:
    def parse(text: str) -> int:
        value = text.strip().lower()
        if value == "off" and low == 0:
            return 0
        if not value.isdigit() or not low <= int(value) <= high:
            raise ConfigurationError(f"{what} is a whole number from {low} to {high}.")
        return int(value)

    return parse


def _code(what: str, limit: int) -> Callable[[str], str]:
    def parse(text: str) -> str:
        value = text.strip()
        if not value or len(value) > limit or any(c.isspace() for c in value):
            raise ConfigurationError(
                f"{what} is a Xero code of 1 to {limit} characters, no spaces."
            )
        return value

    return parse


def _line_amount_type(text: str) -> str:
    for known in ("Exclusive", "Inclusive", "NoTax"):
        if text.strip().lower() == known.lower():
            return known
    raise ConfigurationError(
        "The line amount type is Exclusive (Maica's unit prices are before GST: the default), "
        "Inclusive or NoTax."
    )


def _source(text: str) -> str:
    value = text.strip().lower()
    if value not in ("maica", "file"):
        raise ConfigurationError(
            "The source is 'maica' (read invoices from the Maica org and write Xero ids and "
            "payments back) or 'file' (import a Maica export by hand)."
        )
    return value


def _sf_login_url(text: str) -> str:
    from urllib.parse import urlsplit

    value = text.strip().rstrip("/")
    parts = urlsplit(value)
    loopback = parts.hostname in ("127.0.0.1", "localhost", "::1")
    if "@" in parts.netloc:
        raise ConfigurationError(
            "The Maica login URL must not carry a user name or password: give the address alone "
            "(https://login.salesforce.com or the org's My Domain URL); you sign in in the browser."
        )
    if (
        parts.scheme not in ("https", "http")
        or not parts.hostname
        or (parts.scheme == "http" and not loopback)
        or parts.path not in ("", "/")
        or parts.query
        or parts.fragment
    ):
        raise ConfigurationError(
            "The Maica login URL is https://login.salesforce.com, https://test.salesforce.com "
            "(a sandbox org) or the org's My Domain address (https://NAME.my.salesforce.com); "
            "plain http only to this computer (127.0.0.1 or localhost)."
        )
    return value


def _sf_client_id(text: str) -> str:
    value = text.strip()
    if not re.fullmatch(r"[A-Za-z0-9._\-]{10,255}", value):
        raise ConfigurationError(
            "That does not look like a Salesforce consumer key: copy the Consumer Key of the "
            "External Client App (Setup → External Client App Manager → the app → Settings → "
            "OAuth Settings)."
        )
    return value


def _since(text: str) -> str:
    from datetime import date

    value = text.strip()
    if value.lower() in ("", "off", "none"):
        return ""
    try:
        day = date.fromisoformat(value) if len(value) == 10 else None
    except ValueError:
        day = None
    if day is None:
        return _bad_since()
    if day > date.today():
        raise ConfigurationError(
            f"{day.isoformat()} is in the future, so no Maica invoice would be read: give the "
            "date of the oldest invoice to send (YYYY-MM-DD), or 'off'."
        )
    return day.isoformat()


def _bad_since() -> str:
    raise ConfigurationError(
        "The earliest invoice date is a date as YYYY-MM-DD (for example 2026-07-01), or 'off' to "
        "read every Maica invoice that is not in Xero yet."
    )


def _flow(text: str) -> str:
    from .flows import get_flow  # plug-in flows load only when a flow is checked

    return get_flow(text.strip()).name


KEYS: dict[str, ConfigKey] = {
    key.name: key
    for key in (
        ConfigKey("client-id", "client_id", _client_id, "the Xero app's client id"),
        ConfigKey("scopes", "scopes", _scopes, "OAuth scopes, space or comma separated"),
        ConfigKey("redirect-ports", "redirect_ports", _ports, "loopback ports, comma separated"),
        ConfigKey("redirect-host", "redirect_host", _host, "localhost or 127.0.0.1"),
        ConfigKey("flow", "flow", _flow, "the sync flow: what is sent, and how"),
        ConfigKey(
            "default-account-code",
            "default_account_code",
            _code("An account code", 10),
            "revenue account for lines without one",
        ),
        ConfigKey(
            "default-tax-type",
            "default_tax_type",
            _code("A tax type", 50),
            "tax type for lines without one (EXEMPTOUTPUT = GST Free Income)",
        ),
        ConfigKey(
            "payment-terms-days",
            "payment_terms_days",
            _int_range(0, 365, "Payment terms"),
            "days to the due date when an invoice has none",
        ),
        ConfigKey(
            "line-amount-type",
            "line_amount_type",
            _line_amount_type,
            "how Xero reads unit prices: Exclusive (before GST, Maica's), Inclusive or NoTax",
        ),
        ConfigKey("source", "source", _source, "where invoices come from: maica (the org) or file"),
        ConfigKey(
            "sf-login-url",
            "sf_login_url",
            _sf_login_url,
            "the Maica org's login host (login/test.salesforce.com or My Domain)",
        ),
        ConfigKey(
            "sf-client-id", "sf_client_id", _sf_client_id, "the Maica External Client App's key"
        ),
        ConfigKey(
            "maica-since",
            "maica_since",
            _since,
            "the earliest Maica invoice date a pull reads (YYYY-MM-DD, or off)",
        ),
        ConfigKey(
            "schedule",
            "schedule_minutes",
            _int_range(0, 10080, "The schedule (minutes)"),
            "minutes between automatic syncs, 0 or off to stop",
        ),
    )
}
ALIASES = {"redirect-port": "redirect-ports", "schedule-minutes": "schedule"}
SECRET_KEYS = ("client-secret",)


BY_FIELD: dict[str, ConfigKey] = {key.field: key for key in KEYS.values()}
#: Saved values kept even when invalid: another flow than the one chosen would send differently
#: (AUTHORISED instead of DRAFT, say), so a flow that is not installed stops syncs instead.
KEPT_WHEN_INVALID = frozenset({"flow"})


def check_saved(field: str, value: Any) -> Any:
    """A value read from settings.json, checked as ``config set`` checks it (ConfigurationError
    when it would be refused); returns it normalised. Fields without a key pass unchanged."""
    key = BY_FIELD.get(field)
    if key is None:
        return value
    text = " ".join(str(v) for v in value) if isinstance(value, list) else str(value)
    return key.parse(text)


def lookup(name: str) -> ConfigKey:
    key = KEYS.get(ALIASES.get(name, name))
    if key is None:
        known = ", ".join([*KEYS, *SECRET_KEYS])
        raise ConfigurationError(f"There is no setting called '{name}'. Settings: {known}.")
    return key
