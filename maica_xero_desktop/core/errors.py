"""Domain exceptions: each says what is wrong, the facts, and the kind of remedy.

The core names no front end: ``fact`` is what is wrong, ``remedy`` the kind of next step (a
:class:`Remedy`), ``facts`` the values a front end may need to word it. ``sentence`` is the fact
with a neutral remedy, for logs and any caller that does not word remedies itself; the CLI
(``cli_wording``) and the window (``gui.wording``) each turn the remedy into their own words
("Run maica-xero connect." / "Press Connect to Xero in Active Connections."). Nothing here may
contain a secret. Details for support (status codes, Xero's own wording, already redacted) go in
``detail``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from enum import StrEnum


class Remedy(StrEnum):
    """The kind of next step a person takes; each front end words it its own way."""

    ENABLE = "enable"
    CONNECT = "connect"
    RECONNECT = "reconnect"
    CHOOSE_ORGANISATION = "choose_organisation"
    SET_CLIENT_ID = "set_client_id"
    CHECK_CLIENT_ID = "check_client_id"
    FREE_REDIRECT_PORT = "free_redirect_port"
    SET_WEBHOOK_SITE = "set_webhook_site"
    SET_WEBHOOK_KEY = "set_webhook_key"
    CHOOSE_RECEIVER_PORT = "choose_receiver_port"
    CHOOSE_RECEIVER_HOST = "choose_receiver_host"
    SET_UP_KEYRING = "set_up_keyring"
    UNLOCK_KEYRING = "unlock_keyring"
    FIX_HOME = "fix_home"
    CHOOSE_FLOW = "choose_flow"
    CONNECT_MAICA = "connect_maica"
    RECONNECT_MAICA = "reconnect_maica"
    SET_SF_CLIENT_ID = "set_sf_client_id"
    CHECK_SF_LOGIN = "check_sf_login"
    CHECK_MAICA_MAPPING = "check_maica_mapping"
    WAIT_FOR_SF_LIMIT = "wait_for_sf_limit"


#: The remedy said without naming a front end (logs, stored messages, callers that do not word).
NEUTRAL: dict[Remedy, str] = {
    Remedy.ENABLE: "Turn the integration on first.",
    Remedy.CONNECT: "Connect to Xero first.",
    Remedy.RECONNECT: "Connect to Xero again.",
    Remedy.CHOOSE_ORGANISATION: "Choose the organisation to work with.",
    Remedy.SET_CLIENT_ID: "Save the client id of your Xero app first.",
    Remedy.CHECK_CLIENT_ID: "Check the client id saved for your Xero app, then connect again.",
    Remedy.FREE_REDIRECT_PORT: "Close the program using them, then connect again.",
    Remedy.SET_WEBHOOK_SITE: "Set the webhook site first.",
    Remedy.SET_WEBHOOK_KEY: (
        "Copy the webhook key from the Webhooks tab of your app in Xero's developer portal and "
        "save it."
    ),
    Remedy.CHOOSE_RECEIVER_PORT: "Choose another port for the receiver.",
    Remedy.CHOOSE_RECEIVER_HOST: "Choose another address for the receiver (127.0.0.1 by default).",
    Remedy.SET_UP_KEYRING: (
        "Start your desktop's keyring service (GNOME Keyring or KWallet on Linux, Keychain on "
        "macOS, Credential Manager on Windows) and try again; on a server without a desktop, "
        "follow the user guide's section “A server without a desktop keyring”."
    ),
    Remedy.UNLOCK_KEYRING: (
        "Unlock it (sign in to your desktop session or open your keyring manager) and try again; "
        "on a server without a desktop, follow the user guide's section “A server without a "
        "desktop keyring”."
    ),
    Remedy.FIX_HOME: "Then try again.",
    Remedy.CHOOSE_FLOW: "Choose one of the sync flows.",
    Remedy.CONNECT_MAICA: "Connect to the Maica org first.",
    Remedy.RECONNECT_MAICA: "Connect to the Maica org again.",
    Remedy.SET_SF_CLIENT_ID: (
        "Create an External Client App in the Maica org (scopes api and refresh_token, PKCE on, "
        "the redirect URIs registered) and save its consumer key."
    ),
    Remedy.CHECK_SF_LOGIN: (
        "Check the Maica org's login address and the consumer key saved for its External Client "
        "App, then connect again."
    ),
    Remedy.CHECK_MAICA_MAPPING: "Check the Maica field mapping and confirm it.",
    Remedy.WAIT_FOR_SF_LIMIT: (
        "The run can resume tomorrow, or as soon as a Salesforce administrator raises the limit."
    ),
}


def join(fact: str, remedy_words: str) -> str:
    """``fact`` then the remedy's words, as one message."""
    if not remedy_words:
        return fact
    if not fact:
        return remedy_words
    return f"{fact} {remedy_words}"


#: A front end's words for a remedy: a sentence, or a function of the facts giving one.
RemedyWords = Mapping[Remedy, "str | Callable[[Mapping[str, str]], str]"]


def worded(item: object, words: RemedyWords) -> str:
    """An error or notice (or plain text) with its remedy in a front end's ``words``."""
    remedy = getattr(item, "remedy", None)
    fact = getattr(item, "fact", None)
    if not isinstance(remedy, Remedy) or fact is None:
        return str(getattr(item, "sentence", item))
    said = words.get(remedy, NEUTRAL[remedy])
    text = said if isinstance(said, str) else said(getattr(item, "facts", {}))
    return join(str(fact), text)


class MaicaXeroError(Exception):
    """Base of every error the user is meant to read."""

    #: Process exit code the CLI uses for this kind of error.
    exit_code = 2

    def __init__(
        self,
        sentence: str,
        *,
        detail: str = "",
        remedy: Remedy | None = None,
        facts: Mapping[str, str] | None = None,
    ) -> None:
        self.fact = sentence
        self.remedy = remedy
        self.facts: dict[str, str] = dict(facts or {})
        self.sentence = join(sentence, NEUTRAL[remedy] if remedy else "")
        super().__init__(self.sentence)
        self.detail = detail

    @property
    def code(self) -> str:
        """A stable name for the kind of error (its class)."""
        return type(self).__name__


class Notice(str):
    """A message (not an error) that carries a remedy: a ``str`` holding the neutral sentence,
    so it still joins, prints and serialises like text; front ends word ``remedy`` themselves."""

    fact: str
    remedy: Remedy | None
    facts: dict[str, str]

    def __new__(
        cls, fact: str, remedy: Remedy | None = None, facts: Mapping[str, str] | None = None
    ) -> Notice:
        notice = super().__new__(cls, join(fact, NEUTRAL[remedy] if remedy else ""))
        notice.fact, notice.remedy, notice.facts = fact, remedy, dict(facts or {})
        return notice

    @classmethod
    def of(cls, error: MaicaXeroError) -> Notice:
        """An error reported as a message (a status note), remedy and all."""
        return cls(error.fact, error.remedy, error.facts)


class IntegrationDisabled(MaicaXeroError):
    def __init__(self) -> None:
        super().__init__(
            "The Xero integration is turned off, so nothing is sent to Xero.",
            remedy=Remedy.ENABLE,
        )


class ConfigurationError(MaicaXeroError):
    """A setting is missing or invalid."""


class KeyringUnavailable(MaicaXeroError):
    """No usable secure keyring, or it is locked."""


class SettingsError(MaicaXeroError):
    """The settings file could not be written."""


class HomeError(MaicaXeroError):
    """A file or folder of the product's own (settings, database, log, lock) cannot be used."""


class AuthorizationError(MaicaXeroError):
    """The browser sign-in did not complete (denied, timed out, cancelled, mismatched)."""


class AuthorizationCancelled(AuthorizationError):
    pass


class NotConnected(MaicaXeroError):
    def __init__(self) -> None:
        super().__init__("This computer is not connected to Xero.", remedy=Remedy.CONNECT)


class NeedsReconnect(MaicaXeroError):
    """Xero no longer accepts the saved sign-in (invalid_grant): the user must connect again."""

    def __init__(self, sentence: str, *, detail: str = "") -> None:
        super().__init__(sentence, detail=detail, remedy=Remedy.RECONNECT)


class XeroUnavailable(MaicaXeroError):
    """Xero could not be reached or answered with a server error."""


class XeroRequestError(MaicaXeroError):
    """Xero refused a request (4xx other than the cases below)."""

    def __init__(self, sentence: str, *, status: int = 0, detail: str = "") -> None:
        super().__init__(sentence, detail=detail)
        self.status = status


class TenantUnavailable(XeroRequestError):
    """403 AuthenticationUnsuccessful: the organisation is not (or no longer) connected."""


class RateLimited(XeroRequestError):
    """429 that we did not (or could not) wait out."""

    def __init__(
        self, sentence: str, *, problem: str, retry_after: float, status: int = 429
    ) -> None:
        super().__init__(sentence, status=status)
        self.problem = problem
        self.retry_after = retry_after


class NoActiveOrganisation(MaicaXeroError):
    def __init__(self) -> None:
        super().__init__("No Xero organisation is selected.", remedy=Remedy.CHOOSE_ORGANISATION)


class UnknownOrganisation(MaicaXeroError):
    pass


class MaicaNotConnected(MaicaXeroError):
    """No Maica sign-in is kept on this computer."""

    def __init__(self) -> None:
        super().__init__(
            "This computer is not connected to the Maica org.", remedy=Remedy.CONNECT_MAICA
        )


class MaicaNeedsReconnect(MaicaXeroError):
    """The Maica org no longer accepts the saved sign-in (invalid_grant): connect again."""

    def __init__(self, sentence: str, *, detail: str = "") -> None:
        super().__init__(sentence, detail=detail, remedy=Remedy.RECONNECT_MAICA)


class SalesforceError(MaicaXeroError):
    """The Maica org (Salesforce) refused a request; ``error_code`` is Salesforce's own code
    (``INVALID_FIELD``, ``UNABLE_TO_LOCK_ROW`` …) when it sent one."""

    def __init__(
        self,
        sentence: str,
        *,
        detail: str = "",
        status: int = 0,
        error_code: str = "",
        remedy: Remedy | None = None,
        facts: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(sentence, detail=detail, remedy=remedy, facts=facts)
        self.status = status
        self.error_code = error_code


class SalesforceUnavailable(SalesforceError):
    """The Maica org could not be reached, or answered with a server error."""


class SalesforceLimitExceeded(SalesforceError):
    """REQUEST_LIMIT_EXCEEDED: the org's daily API budget is used up."""

    def __init__(
        self, used: int | None = None, limit: int | None = None, *, detail: str = ""
    ) -> None:
        usage = f" ({used} of {limit} calls)" if used is not None and limit is not None else ""
        super().__init__(
            f"The Maica org's daily Salesforce API budget is used up{usage}; the run stopped "
            "and nothing was half-written.",
            detail=detail,
            status=403,
            error_code="REQUEST_LIMIT_EXCEEDED",
            remedy=Remedy.WAIT_FOR_SF_LIMIT,
            facts={"used": str(used or ""), "limit": str(limit or "")},
        )
        self.used = used
        self.limit = limit
