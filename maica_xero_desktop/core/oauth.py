"""One OAuth 2.0 client for both sign-ins (Xero and the Maica org), on requests-oauthlib.

:class:`OAuthClient` builds the authorization URL (``OAuth2Session(pkce="S256")``: the session
makes the code verifier and the S256 challenge), exchanges the code and refreshes, all through
requests-oauthlib; the product keeps what the library does not do: the loopback receiver
(:mod:`.loopback`), the rotation-before-use, cross-process lock and grace logic (:mod:`.tokens`,
:mod:`.maica.session`), and the wording of every refusal.

Three decisions, each made here and nowhere else:

- **Transport**: every token request leaves through the product's own transport (the ``send``
  given to the client: :meth:`XeroHttp.send` for Xero, with its Enable guard, timeouts, caps and
  redaction; the Maica transport for the Maica org). ``OAuth2Session.request`` is overridden to
  forward to it, so requests-oauthlib never opens a connection itself.
- **Plain http only for loopback, decided per URL**: :func:`check_transport` allows https, and
  http only to 127.0.0.1, ``localhost`` or ::1 (the offline sandbox and imitations run by scripts
  outside the project). oauthlib refuses any URL not starting with ``https://`` unless the
  process-wide ``OAUTHLIB_INSECURE_TRANSPORT`` is set; that variable is never set. Instead the
  library is handed the https form of a configured loopback-http URL, and the request override
  sends it over http only when the configured URL was loopback http. A non-loopback http URL is
  refused with a :class:`ConfigurationError` before any request.
- **Scope changes**: when the granted scope differs from the asked one, oauthlib raises a bare
  ``Warning`` carrying the token (unless ``OAUTHLIB_RELAX_TOKEN_SCOPE`` is set, which it never
  is). :meth:`OAuthClient._parse` catches exactly that, takes the token from it and logs the
  difference; the caller keeps the granted scopes.
"""

from __future__ import annotations

import ipaddress
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, NoReturn, Protocol
from urllib.parse import urlsplit

import requests
from oauthlib.oauth2 import OAuth2Error
from requests_oauthlib import OAuth2Session

from .errors import ConfigurationError, MaicaXeroError
from .pkce import new_state

__all__ = [
    "NEVER_SET",
    "Granted",
    "OAuthClient",
    "OAuthProvider",
    "PendingSignIn",
    "check_transport",
    "is_loopback_host",
    "is_loopback_http",
    "new_state",
]

log = logging.getLogger(__name__)

#: Environment switches of oauthlib the product never sets (tests check it).
NEVER_SET = ("OAUTHLIB_INSECURE_TRANSPORT", "OAUTHLIB_RELAX_TOKEN_SCOPE")


def is_loopback_host(host: str | None) -> bool:
    """127.0.0.0/8, ::1 or ``localhost``."""
    if not host:
        return False
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def is_loopback_http(url: str) -> bool:
    """``url`` is plain http to a loopback address (the only plain http allowed)."""
    parts = urlsplit(url)
    return parts.scheme == "http" and is_loopback_host(parts.hostname)


def check_transport(url: str, *, service: str = "The sign-in service") -> None:
    """https, or plain http to a loopback address; anything else is a
    :class:`ConfigurationError` (raised before any request)."""
    parts = urlsplit(url)
    if parts.scheme == "https" and parts.hostname:
        return
    if is_loopback_http(url):
        return
    raise ConfigurationError(
        f"{service} address {parts.scheme}://{parts.hostname or ''} is not allowed: sign-ins go "
        "over https only (plain http is accepted only for a loopback address such as 127.0.0.1, "
        "used by the offline sandbox)."
    )


def _secure_form(url: str) -> str:
    """The https form of a loopback-http URL (what oauthlib is handed); other URLs unchanged."""
    if is_loopback_http(url):
        return "https" + url[len("http") :]
    return url


@dataclass(frozen=True)
class OAuthProvider:
    """The endpoints of one provider, as configured (https, or http to a loopback address)."""

    name: str  # "Xero" | "Maica"
    authorize_url: str
    token_url: str
    revoke_url: str


class Send(Protocol):
    """The product's transport for one provider (``XeroHttp.send`` and its Maica twin)."""

    def __call__(
        self,
        method: str,
        url: str,
        *,
        headers: Mapping[str, str] | None = ...,
        data: Mapping[str, str] | None = ...,
        auth: tuple[str, str] | None = ...,
    ) -> requests.Response: ...


class Refusals(Protocol):
    """A provider's words for a failed token request (it raises; ``during`` is "sign-in",
    "refresh" or "revoke")."""

    def refused(self, response: requests.Response, during: str) -> NoReturn: ...

    def not_a_token(self, during: str) -> MaicaXeroError: ...


#: A token answer as requests-oauthlib parses it (access_token, refresh_token, scope as a list …).
Token = dict[str, Any]


@dataclass(frozen=True)
class Granted:
    """A token answer and the scopes granted (the asked ones when the answer names none)."""

    token: Token
    scopes: tuple[str, ...]
    #: the answer itself carried a refresh token (requests-oauthlib carries the old one over
    #: into a refresh answer without one: Salesforce's way; Xero always rotates)
    new_refresh_token: bool = False


class _ProductSession(OAuth2Session):  # type: ignore[misc]  # requests-oauthlib is untyped
    """An ``OAuth2Session`` whose requests leave through the product's transport."""

    def __init__(self, owner: OAuthClient, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._owner = owner
        #: whether the last token answer itself carried a refresh token
        self.answer_had_refresh = False

    def request(
        self,
        method: str,
        url: str,
        data: Any = None,
        headers: Mapping[str, str] | None = None,
        withhold_token: bool = False,
        client_id: str | None = None,
        client_secret: str | None = None,
        files: Any = None,
        **kwargs: Any,
    ) -> requests.Response:
        # timeout, verify, proxies and cert are the transport's to decide: ignored here.
        auth = kwargs.get("auth")
        form = {str(k): str(v) for k, v in dict(data or {}).items()}
        return self._owner.send_form(method, url, form, auth if isinstance(auth, tuple) else None)


class PendingSignIn:
    """One sign-in between the authorization URL and the code exchange: the session that made
    the URL holds the PKCE verifier, and only it can finish."""

    def __init__(self, client: OAuthClient, session: _ProductSession, url: str) -> None:
        self._client = client
        self._session = session
        self.url = url

    def exchange(self, code: str) -> Granted:
        """The token answer for ``code`` (the verifier goes with it)."""
        return self._client.fetch(self._session, code)


class OAuthClient:
    """The authorization-code-with-PKCE client of one provider and app (see the module
    docstring). Holds the client id and optional secret; never stores or logs a token.
    ``secret_in`` is where a client secret goes: ``"basic"`` (HTTP Basic, as Xero's Web Apps
    expect) or ``"body"`` (Salesforce's documented form field). Every method sends through
    ``send``; nothing here opens a connection. Safe on any thread (each sign-in or refresh gets
    its own ``OAuth2Session``)."""

    def __init__(
        self,
        provider: OAuthProvider,
        client_id: str,
        *,
        send: Send,
        refusals: Refusals,
        client_secret: str | None = None,
        secret_in: str = "basic",  # noqa: S107 (where a secret goes, not a secret)
    ) -> None:
        self.provider = provider
        self.client_id = client_id
        self._send = send
        self._refusals = refusals
        self._client_secret = client_secret or None
        self._secret_in = secret_in
        #: the https forms of the configured loopback-http URLs: sent over http
        self._plain: set[str] = set()
        for url in (provider.authorize_url, provider.token_url, provider.revoke_url):
            check_transport(url, service=f"The {provider.name} sign-in")
            if is_loopback_http(url):
                self._plain.add(_secure_form(url))

    # -- the transport ---------------------------------------------------------------------

    def send_form(
        self, method: str, url: str, form: Mapping[str, str], auth: tuple[str, str] | None
    ) -> requests.Response:
        """Send a form to ``url`` (as handed to oauthlib) through the product's transport: over
        http only when it is the https form of a configured loopback-http URL."""
        real = "http" + url[len("https") :] if url in self._plain else url
        check_transport(real, service=f"The {self.provider.name} sign-in")
        return self._send(
            method,
            real,
            headers={"Content-Type": "application/x-www-form-urlencoded"},
            data=dict(form),
            auth=auth,
        )

    def _session(
        self, redirect_uri: str | None = None, scopes: list[str] | None = None, pkce: bool = False
    ) -> _ProductSession:
        return _ProductSession(
            self,
            client_id=self.client_id,
            redirect_uri=redirect_uri,
            scope=scopes,
            pkce="S256" if pkce else None,
        )

    def _credentials(self) -> tuple[tuple[str, str] | None, dict[str, str]]:
        """(HTTP Basic auth, extra form fields) that carry the client secret, if any."""
        if not self._client_secret:
            return None, {}
        if self._secret_in == "body":
            return None, {"client_secret": self._client_secret}
        return (self.client_id, self._client_secret), {}

    # -- the flow --------------------------------------------------------------------------

    def begin(self, redirect_uri: str, scopes: list[str] | None, state: str) -> PendingSignIn:
        """The authorization URL (PKCE S256 made by the session) and the pending sign-in."""
        session = self._session(redirect_uri, scopes, pkce=True)
        url, _ = session.authorization_url(_secure_form(self.provider.authorize_url), state=state)
        return PendingSignIn(self, session, self._shown(str(url)))

    def authorization_url(
        self,
        redirect_uri: str,
        scopes: list[str] | None,
        state: str,
        extra: Mapping[str, str] | None = None,
    ) -> str:
        """An authorization URL with ``extra`` parameters (e.g. a given PKCE challenge)."""
        session = self._session(redirect_uri, scopes)
        url, _ = session.authorization_url(
            _secure_form(self.provider.authorize_url), state=state, **dict(extra or {})
        )
        return self._shown(str(url))

    def _shown(self, url: str) -> str:
        """The URL the browser opens: back to http when the configured one was loopback http."""
        if is_loopback_http(self.provider.authorize_url):
            return "http" + url[len("https") :]
        return url

    def fetch(self, session: _ProductSession, code: str, **extra: str) -> Granted:
        auth, fields = self._credentials()
        session.register_compliance_hook(
            "access_token_response", lambda r: self._checked(r, "sign-in", session)
        )
        return self._parse(
            lambda: session.fetch_token(
                _secure_form(self.provider.token_url),
                code=code,
                auth=auth,
                include_client_id=True,
                **fields,
                **extra,
            ),
            session,
            "sign-in",
        )

    def exchange_code(
        self,
        code: str,
        redirect_uri: str,
        verifier: str,
        scopes: list[str] | None = None,
    ) -> Granted:
        """The code exchange for a verifier made elsewhere (an authorization URL built with
        :meth:`authorization_url`)."""
        session = self._session(redirect_uri, scopes)
        return self.fetch(session, code, code_verifier=verifier)

    def refresh(self, refresh_token: str) -> Granted:
        """A new access token for ``refresh_token``. Whether a new refresh token comes back is
        the provider's business (Xero rotates; Salesforce keeps it, and requests-oauthlib then
        carries the old one over)."""
        session = self._session()
        session.register_compliance_hook(
            "refresh_token_response", lambda r: self._checked(r, "refresh", session)
        )
        auth, fields = self._credentials()
        return self._parse(
            lambda: session.refresh_token(
                _secure_form(self.provider.token_url),
                refresh_token=refresh_token,
                auth=auth,
                client_id=self.client_id,
                **fields,
            ),
            session,
            "refresh",
        )

    def revoke(self, token: str, *, include_client_id: bool = True) -> requests.Response:
        """POST ``token=`` to the revocation endpoint (RFC 7009; not part of requests-oauthlib).
        Returns the answer, refusals included: the caller words them."""
        auth, fields = self._credentials()
        form = {"token": token, **fields}
        if include_client_id:
            form["client_id"] = self.client_id
        return self.send_form("POST", _secure_form(self.provider.revoke_url), form, auth)

    # -- answers ---------------------------------------------------------------------------

    def _checked(
        self, response: requests.Response, during: str, session: _ProductSession
    ) -> requests.Response:
        """A compliance hook: refusals are the provider's to word, before oauthlib parses."""
        if response.status_code != 200:
            self._refusals.refused(response, during)
        try:
            body = response.json()
        except ValueError:
            body = None
        session.answer_had_refresh = isinstance(body, dict) and bool(body.get("refresh_token"))
        return response

    def _parse(self, call: Callable[[], Any], session: _ProductSession, during: str) -> Granted:
        asked = [str(s) for s in (session.scope or [])]
        try:
            token = call()
        except Warning as exc:
            granted = getattr(exc, "token", None)
            if type(exc) is not Warning or not isinstance(granted, dict):
                raise  # another warning (a deprecation turned into an error): not ours
            token = granted
            log.info(
                "The %s %s granted the scopes %r where %r were asked for; the granted ones are "
                "kept.",
                self.provider.name,
                during,
                " ".join(sorted(getattr(exc, "new_scope", None) or [])),
                " ".join(sorted(asked)),
            )
        except OAuth2Error as exc:
            log.info(
                "The %s %s answer was refused by oauthlib: %s",
                self.provider.name,
                during,
                type(exc).__name__,
            )
            raise self._refusals.not_a_token(during) from None
        except ValueError:  # e.g. an expires_in that is not a number
            raise self._refusals.not_a_token(during) from None
        if not isinstance(token, dict) or not token.get("access_token"):
            raise self._refusals.not_a_token(during)
        scope = token.get("scope")
        if isinstance(scope, str):
            scopes = tuple(scope.split())
        elif isinstance(scope, list | tuple):
            scopes = tuple(str(s) for s in scope)
        else:
            scopes = tuple(asked)
        return Granted(
            token=dict(token), scopes=scopes, new_refresh_token=session.answer_had_refresh
        )
