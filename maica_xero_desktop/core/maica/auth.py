"""Signing in to the Maica org (Salesforce): the web-server flow with PKCE through the system
browser, on the same OAuth client (:mod:`..oauth`) and loopback receiver as Xero's.

- Login host: ``MAICA_XERO_SF_LOGIN_URL``, else the ``sf_login_url`` setting
  (https://login.salesforce.com, https://test.salesforce.com, a My Domain URL, or plain http to a
  loopback address for an imitation). Consumer key: ``MAICA_XERO_SF_CLIENT_ID``, else
  ``sf_client_id``. An optional consumer secret lives in the keyring (``sf_client_secret``) and is
  sent in the token form when present.
- The refresh token, the access token, the instance URL and the identity URL are kept in the
  keyring (:meth:`SecretStore.save_maica`), never in a file. Salesforce does not rotate the
  refresh token: a refresh answer without one keeps the old one.
- Renewal (:meth:`MaicaSignIn.renew`) happens when the org answers ``INVALID_SESSION_ID``; one at a
  time across processes (a file lock, after which the keyring is read again: another process may
  have renewed already). ``invalid_grant`` forgets the sign-in, marks the settings "needs
  reconnecting" and raises :class:`MaicaNeedsReconnect`.
- After the sign-in the identity URL gives the user's name and ``SELECT Name FROM Organization``
  the org's name, kept in the settings for "connected as" (display only).
"""

from __future__ import annotations

import logging
import os
import threading
import time
import webbrowser
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn
from urllib.parse import urlsplit

import requests
from filelock import FileLock, Timeout
from simple_salesforce.api import Salesforce
from simple_salesforce.exceptions import SalesforceError as SimpleSalesforceError

from .. import redact
from ..config_keys import lookup
from ..errors import (
    AuthorizationError,
    ConfigurationError,
    MaicaNeedsReconnect,
    MaicaNotConnected,
    MaicaXeroError,
    Remedy,
    SalesforceError,
    SalesforceUnavailable,
)
from ..loopback import Callback, LoopbackReceiver, SignInWords
from ..oauth import Granted, OAuthClient, OAuthProvider, check_transport, new_state
from ..secrets import SF_CLIENT_SECRET, MaicaTokens, SecretStore
from ..settings import CALLBACK_PATH, Settings, SettingsStore
from ..textsafe import printable
from .transport import MaicaHttp, Meter, instance_session

__all__ = [
    "API_VERSION",
    "CLIENT_ID_ENV",
    "LOGIN_ENV",
    "MaicaIdentity",
    "MaicaSignIn",
    "MaicaTokens",
]

log = logging.getLogger(__name__)

LOGIN_ENV = "MAICA_XERO_SF_LOGIN_URL"
CLIENT_ID_ENV = "MAICA_XERO_SF_CLIENT_ID"
#: the Salesforce REST API version the product speaks
API_VERSION = "61.0"
#: what the External Client App must allow: the REST API, and refresh tokens
SCOPES = ["api", "refresh_token"]

_process_lock = threading.Lock()

MAICA_WORDS = SignInWords(
    name="Maica",
    source="the Maica org",
    app_advice="Check the External Client App's settings in the Maica org and connect again.",
    timeout_advice=(
        "If Salesforce showed an error page, check that the consumer key is the External Client "
        "App's, that the login address is the org's (login, test or My Domain), and that the "
        "callback URL {redirect_uri} is registered exactly in the app; then connect again."
    ),
)


@dataclass(frozen=True)
class MaicaIdentity:
    """Who is signed in to which Maica org (display only)."""

    user: str
    org_name: str
    instance_url: str
    org_id: str


def org_id_from(id_url: str) -> str:
    """The org id in an identity URL ``…/id/{ORGID}/{USERID}``."""
    parts = [p for p in urlsplit(id_url).path.split("/") if p]
    if len(parts) >= 3 and parts[-3] == "id":
        return parts[-2]
    return ""


class _InvalidGrant(MaicaNeedsReconnect):
    """The token endpoint answered ``invalid_grant`` to a refresh."""


class _Refusals:
    """The Maica org's token-endpoint refusals, as sentences."""

    def refused(self, response: requests.Response, during: str) -> NoReturn:
        if response.status_code >= 500:
            raise SalesforceUnavailable(
                "The Maica org's sign-in service answered with a server error. Try again in a "
                "few minutes.",
                detail=f"HTTP {response.status_code}",
                status=response.status_code,
            )
        body: Any
        try:
            body = response.json()
        except ValueError:
            body = {}
        error = printable(str(body.get("error", "")))[:60] if isinstance(body, dict) else ""
        said = printable(str(body.get("error_description", "")))[:200] if error else ""
        detail = f"HTTP {response.status_code} {error}: {said}".strip()
        log.info("Maica token endpoint (%s) answered %s: %s", during, response.status_code, error)
        if error in ("invalid_client_id", "invalid_client"):
            raise ConfigurationError(
                "The Maica org did not recognise the consumer key (or the consumer secret) of "
                "the External Client App.",
                detail=detail,
                remedy=Remedy.CHECK_SF_LOGIN,
            )
        if error == "invalid_grant":
            if during == "sign-in":
                raise AuthorizationError(
                    "The Maica org did not accept the sign-in reply (invalid_grant: "
                    f"{said or 'refused'}). Connect again.",
                    detail=detail,
                )
            raise _InvalidGrant(
                "The Maica org no longer accepts the saved sign-in (it expired or was revoked).",
                detail=detail,
            )
        raise SalesforceError(
            f"The Maica org's sign-in service refused the request ({error or response.status_code}"
            f"{': ' + said if said else ''}).",
            detail=detail,
            status=response.status_code,
            error_code=error,
            remedy=Remedy.CHECK_SF_LOGIN,
        )

    def not_a_token(self, during: str) -> MaicaXeroError:
        return SalesforceError(
            f"The Maica org's answer to the {during} was not a token set. Try again; if it keeps "
            "happening, check that the External Client App allows the api and refresh_token "
            "scopes."
        )


def _tokens_from(granted: Granted, previous: MaicaTokens | None, now: float) -> MaicaTokens:
    token = granted.token
    access = str(token.get("access_token", ""))
    refresh = str(token.get("refresh_token") or (previous.refresh_token if previous else ""))
    instance_url = str(token.get("instance_url") or (previous.instance_url if previous else ""))
    id_url = str(token.get("id") or (previous.id_url if previous else ""))
    redact.register(access)
    redact.register(refresh)
    if not refresh or not instance_url:
        raise SalesforceError(
            "The Maica org's sign-in answer had no refresh token or no instance address: the "
            "External Client App must allow the refresh_token scope.",
            remedy=Remedy.SET_SF_CLIENT_ID,
        )
    check_transport(instance_url.rstrip("/"), service="The Maica org's instance")
    if id_url:
        check_transport(id_url, service="The Maica org's identity")
    issued = token.get("issued_at")
    try:
        issued_at = float(issued) / 1000.0 if issued is not None else now
    except (TypeError, ValueError):
        issued_at = now
    return MaicaTokens(
        access_token=access,
        refresh_token=refresh,
        instance_url=instance_url.rstrip("/"),
        id_url=id_url,
        issued_at=issued_at,
    )


class MaicaSignIn:
    """Connect, renew and disconnect the Maica org (see the module docstring).

    Owns the Maica keyring entries (through :class:`SecretStore`), the ``sf_*`` sign-in settings
    and the renewal lock file. Never writes a token to a file or a log. Threads: any; a renewal
    takes a process-wide thread lock, then the file lock shared with the other processes."""

    def __init__(
        self,
        settings_store: SettingsStore,
        secrets: SecretStore,
        lock_path: Path,
        *,
        http: MaicaHttp | None = None,
        clock: Callable[[], float] = time.time,
        browser: Callable[[str], bool] = webbrowser.open,
        lock_timeout: float = 90.0,
    ) -> None:
        self._settings_store = settings_store
        self._secrets = secrets
        self._lock = FileLock(str(lock_path), timeout=lock_timeout, mode=0o600)
        self.http = http or MaicaHttp()
        self._clock = clock
        self._browser = browser

    # -- configuration ---------------------------------------------------------------------

    @staticmethod
    def login_url(settings: Settings) -> str:
        """``MAICA_XERO_SF_LOGIN_URL``, else the setting (not checked here, so a status can
        show it; :meth:`connect` refuses it unless https, or http to a loopback address)."""
        return (os.environ.get(LOGIN_ENV, "").strip() or settings.sf_login_url).rstrip("/")

    @staticmethod
    def client_id(settings: Settings) -> str:
        return os.environ.get(CLIENT_ID_ENV, "").strip() or settings.sf_client_id

    def set_client_secret(self, secret: str | None) -> None:
        """Keep (or with ``None``/empty, remove) the External Client App's optional consumer
        secret in the keyring; sent on token requests when present."""
        if secret and secret.strip():
            self._secrets.set(SF_CLIENT_SECRET, secret.strip())
        else:
            self._secrets.delete(SF_CLIENT_SECRET)

    def has_client_secret(self) -> bool:
        return bool(self._secrets.get(SF_CLIENT_SECRET))

    def _client(self, base_url: str, client_id: str) -> OAuthClient:
        base = base_url.rstrip("/")
        provider = OAuthProvider(
            name="Maica",
            authorize_url=f"{base}/services/oauth2/authorize",
            token_url=f"{base}/services/oauth2/token",
            revoke_url=f"{base}/services/oauth2/revoke",
        )
        secret = self._secrets.get(SF_CLIENT_SECRET)
        return OAuthClient(
            provider,
            client_id,
            send=self.http.send,
            refusals=_Refusals(),
            client_secret=secret or None,
            secret_in="body",  # Salesforce documents the secret as a form field
        )

    def _require_client_id(self, settings: Settings) -> str:
        client_id = self.client_id(settings)
        if not client_id:
            uris = ", ".join(settings.redirect_uris())
            raise ConfigurationError(
                "No consumer key is set for the Maica org: create an External Client App in the "
                f"org with the callback URLs {uris}.",
                remedy=Remedy.SET_SF_CLIENT_ID,
                facts={"redirect_uris": uris},
            )
        return client_id

    # -- connect ---------------------------------------------------------------------------

    def connect(
        self,
        on_url: Callable[[str], None],
        *,
        login_url: str | None = None,
        open_browser: bool = True,
        timeout: float = 300.0,
        cancel: threading.Event | None = None,
    ) -> MaicaIdentity:
        """Sign in through the browser; saves the tokens (keyring) and who/which org
        (settings). ``on_url`` gets the authorization URL before the browser is asked."""
        settings = self._settings_store.load()
        client_id = self._require_client_id(settings)
        base = (login_url or "").strip().rstrip("/") or self.login_url(settings)
        # the environment's or --login-url's address, checked as `config set sf-login-url` checks
        # the setting (no path, query, fragment or credentials; https, or http to loopback)
        check_transport(base, service="The Maica login")
        base = lookup("sf-login-url").parse(base)
        self._secrets.check_backend()  # fail before the browser opens, not after the sign-in
        oauth = self._client(base, client_id)
        state = new_state()
        receiver = LoopbackReceiver(
            settings.redirect_ports,
            CALLBACK_PATH,
            state,
            settings.redirect_host,
            words=MAICA_WORDS,
        )
        port = receiver.start()
        redirect_uri = settings.redirect_uri(port)
        pending = oauth.begin(redirect_uri, SCOPES, state)

        def finish(callback: Callback) -> MaicaTokens:
            tokens = _tokens_from(pending.exchange(callback.code), None, self._clock())
            self._secrets.save_maica(tokens)
            return tokens

        try:
            on_url(pending.url)
            if open_browser:
                try:
                    self._browser(pending.url)
                except Exception as exc:  # a missing browser is not an error: the URL is shown
                    log.info("Could not open a browser: %s", type(exc).__name__)
            tokens = receiver.wait(timeout, cancel, complete=finish)
        finally:
            receiver.close()
        user, org_name = self._who(tokens)

        def change(s: Settings) -> None:
            s.sf_user = user
            s.sf_org_name = org_name
            s.sf_needs_reconnect = False
            s.sf_needs_reconnect_reason = ""

        self._settings_store.update(change)
        log.info("Connected to the Maica org.")
        return MaicaIdentity(user, org_name, tokens.instance_url, org_id_from(tokens.id_url))

    def _who(self, tokens: MaicaTokens) -> tuple[str, str]:
        """The signed-in user's name (identity URL) and the org's name (SOQL); "" when unknown."""
        user = ""
        if tokens.id_url:
            about = self.http.get_json(tokens.id_url, tokens.access_token)
            if isinstance(about, dict):
                for key in ("display_name", "name", "username", "preferred_username"):
                    if isinstance(about.get(key), str) and about[key].strip():
                        user = printable(about[key].strip())[:200]
                        break
        org_name = ""
        try:
            with instance_session(tokens.instance_url, Meter()) as session:
                sf = Salesforce(
                    instance_url=tokens.instance_url,
                    session_id=tokens.access_token,
                    version=API_VERSION,
                    session=session,
                )
                found = sf.query("SELECT Name FROM Organization")
            records = found.get("records") or []
            if records and isinstance(records[0].get("Name"), str):
                org_name = printable(records[0]["Name"].strip())[:200]
        except (SimpleSalesforceError, requests.RequestException, ValueError) as exc:
            log.info("The Maica org's name could not be read: %s", type(exc).__name__)
        return user, org_name

    # -- state -----------------------------------------------------------------------------

    def identity(self) -> MaicaIdentity | None:
        """Who is connected (settings and keyring; no network), or None."""
        tokens = self._secrets.load_maica()
        if tokens is None:
            return None
        settings = self._settings_store.load()
        return MaicaIdentity(
            settings.sf_user, settings.sf_org_name, tokens.instance_url, org_id_from(tokens.id_url)
        )

    def tokens(self) -> MaicaTokens:
        """The saved sign-in; :class:`MaicaNeedsReconnect` (with the reason) when the org
        refused it, :class:`MaicaNotConnected` when there is none."""
        tokens = self._secrets.load_maica()
        if tokens is None:
            settings = self._settings_store.load()
            if settings.sf_needs_reconnect:
                raise MaicaNeedsReconnect(
                    settings.sf_needs_reconnect_reason
                    or "The Maica org no longer accepts the saved sign-in."
                )
            raise MaicaNotConnected()
        return tokens

    # -- renew -----------------------------------------------------------------------------

    def renew(self, rejected: str) -> MaicaTokens:
        """A new access token after ``rejected`` was refused (INVALID_SESSION_ID), under the
        cross-process lock; unless another process renewed it already."""
        with _process_lock:
            try:
                self._lock.acquire()
            except Timeout:
                raise SalesforceUnavailable(
                    "Another Maica Xero Desktop process has been renewing the Maica sign-in for "
                    "too long. Try again in a minute."
                ) from None
            try:
                tokens = self.tokens()
                if tokens.access_token and tokens.access_token != rejected:
                    log.info("Maica session already renewed by another process.")
                    return tokens
                return self._renew_locked(tokens)
            finally:
                self._lock.release()

    def _renew_locked(self, tokens: MaicaTokens) -> MaicaTokens:
        settings = self._settings_store.load()
        oauth = self._client(tokens.instance_url, self.client_id(settings))
        try:
            granted = oauth.refresh(tokens.refresh_token)
        except _InvalidGrant as exc:
            log.warning("Maica refresh refused (invalid_grant); the sign-in is forgotten.")
            self._secrets.forget_maica()
            self._mark_needs_reconnect(exc.fact)
            raise MaicaNeedsReconnect(exc.fact, detail=exc.detail) from None
        fresh = _tokens_from(granted, tokens, self._clock())
        self._secrets.save_maica(fresh)  # persisted before anyone uses it
        log.info("Maica session renewed.")
        return fresh

    def _mark_needs_reconnect(self, reason: str) -> None:
        def change(s: Settings) -> None:
            s.sf_needs_reconnect = True
            s.sf_needs_reconnect_reason = reason

        self._settings_store.update(change)

    # -- disconnect ------------------------------------------------------------------------

    def disconnect(self) -> str | None:
        """Revoke the sign-in at the org (best effort) and forget it here. Returns None when
        the org revoked it, else the sentence saying why it could not (the local sign-out
        happened all the same)."""
        tokens = self._secrets.load_maica()
        problem: str | None = None
        if tokens is not None:
            settings = self._settings_store.load()
            try:
                oauth = self._client(tokens.instance_url, self.client_id(settings))
                response = oauth.revoke(tokens.refresh_token, include_client_id=False)
                if response.status_code != 200:
                    problem = (
                        "The Maica org did not confirm the sign-out (HTTP "
                        f"{response.status_code}); this computer forgot the sign-in anyway."
                    )
            except MaicaXeroError as exc:
                problem = f"{exc.fact} This computer forgot the sign-in anyway."
        if problem:
            log.info("%s", problem)
        self._secrets.forget_maica()

        def change(s: Settings) -> None:
            s.sf_user = ""
            s.sf_org_name = ""
            s.sf_needs_reconnect = False
            s.sf_needs_reconnect_reason = ""

        self._settings_store.update(change)
        log.info("Signed out of the Maica org.")
        return problem
