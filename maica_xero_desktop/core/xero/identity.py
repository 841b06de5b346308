"""Xero's identity service: the authorize URL, the token endpoint and revocation, on the one
OAuth client (:mod:`..oauth`, requests-oauthlib) over Xero's transport."""

from __future__ import annotations

import base64
import binascii
import json
import logging
from dataclasses import dataclass
from typing import Any, NoReturn

import requests

from .. import redact
from ..errors import (
    AuthorizationError,
    ConfigurationError,
    MaicaXeroError,
    NeedsReconnect,
    Remedy,
    XeroRequestError,
    XeroUnavailable,
)
from ..oauth import Granted, OAuthClient, OAuthProvider, PendingSignIn
from ..secrets import ConnectedUser, TokenSet
from .endpoints import XeroEndpoints
from .http import XeroHttp, error_text, outside_text

log = logging.getLogger(__name__)


class InvalidGrant(NeedsReconnect):
    """The token endpoint answered ``invalid_grant``."""


def provider(endpoints: XeroEndpoints) -> OAuthProvider:
    """Xero's identity endpoints as the OAuth client names them."""
    return OAuthProvider(
        name="Xero",
        authorize_url=endpoints.authorize,
        token_url=endpoints.token,
        revoke_url=endpoints.revocation,
    )


def authorize_url(
    endpoints: XeroEndpoints,
    *,
    client_id: str,
    redirect_uri: str,
    scopes: list[str],
    state: str,
    code_challenge: str,
) -> str:
    """The authorization URL for a PKCE challenge made elsewhere (built by requests-oauthlib;
    :meth:`IdentityClient.begin` lets the library make the verifier too)."""
    client = OAuthClient(provider(endpoints), client_id, send=_no_send, refusals=_NoRefusals())
    return client.authorization_url(
        redirect_uri,
        scopes,
        state,
        extra={"code_challenge": code_challenge, "code_challenge_method": "S256"},
    )


def _no_send(method: str, url: str, **_: Any) -> requests.Response:
    raise AssertionError("building a URL sends nothing")


class _NoRefusals:
    def refused(self, response: requests.Response, during: str) -> NoReturn:
        raise AssertionError("building a URL sends nothing")

    def not_a_token(self, during: str) -> MaicaXeroError:
        raise AssertionError("building a URL sends nothing")


def decode_jwt_claims(token: str) -> dict[str, Any]:
    """The claims of a JWT, without checking its signature (see :func:`user_from_id_token`)."""
    try:
        payload = token.split(".")[1]
        padded = payload + "=" * (-len(payload) % 4)
        claims = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
    except (IndexError, ValueError, binascii.Error, UnicodeError):
        return {}
    return claims if isinstance(claims, dict) else {}


def user_from_id_token(id_token: str, client_id: str, now: float) -> ConnectedUser | None:
    """Who signed in, for display only.

    The id_token comes straight from the token endpoint over TLS, which OpenID Connect Core
    §3.1.3.7 accepts in place of a signature check; we still check audience and expiry, and use the
    claims only to show "connected as".
    """
    claims = decode_jwt_claims(id_token)
    if not claims:
        return None
    audience = claims.get("aud")
    audiences = audience if isinstance(audience, list) else [audience]
    if client_id not in audiences:
        log.warning("The id_token was not issued for this client id; ignoring it.")
        return None
    expires = claims.get("exp")
    if isinstance(expires, int | float) and expires + 300 < now:
        log.warning("The id_token had expired; ignoring it.")
        return None
    name = " ".join(str(claims[k]) for k in ("given_name", "family_name") if claims.get(k)) or str(
        claims.get("name", "")
    )
    return ConnectedUser(
        name=name,
        email=str(claims.get("email", "")),
        xero_userid=str(claims.get("xero_userid", claims.get("sub", ""))),
    )


class XeroSignIn:
    """One Xero sign-in between its authorization URL and the code exchange (the PKCE
    verifier stays inside requests-oauthlib's session)."""

    def __init__(self, identity: IdentityClient, pending: PendingSignIn) -> None:
        self._identity = identity
        self._pending = pending
        self.url = pending.url

    def exchange(self, code: str, now: float) -> TokenSet:
        granted = self._pending.exchange(code)
        return self._identity._token_set(granted, now, previous=None, during="sign-in")


@dataclass
class IdentityClient:
    """Xero's identity endpoints: the authorization URL, the code exchange, the refresh and
    revocation, through the one OAuth client (:class:`..oauth.OAuthClient`, requests-oauthlib)
    sending over :class:`XeroHttp` (its Enable guard, timeouts, caps and redaction). Holds the
    client id and the optional secret, and borrows the transport; never stores a token (the
    caller saves what it returns) and never logs one. No state changes after construction: safe
    on any thread."""

    http: XeroHttp
    endpoints: XeroEndpoints
    client_id: str
    client_secret: str | None = None

    def _oauth(self) -> OAuthClient:
        if not self.client_id:
            raise ConfigurationError(
                "No Xero client id is set: create an app of type 'Auth Code with PKCE' in the "
                "Xero developer portal.",
                remedy=Remedy.SET_CLIENT_ID,
            )
        return OAuthClient(
            provider(self.endpoints),
            self.client_id,
            send=self.http.send,
            refusals=_Refusals(self),
            client_secret=self.client_secret,
            secret_in="basic",  # a Xero Web App's secret goes in HTTP Basic
        )

    def begin(self, redirect_uri: str, scopes: list[str], state: str) -> XeroSignIn:
        """The authorization URL (PKCE S256 by requests-oauthlib) and the pending sign-in."""
        return XeroSignIn(self, self._oauth().begin(redirect_uri, scopes, state))

    def exchange_code(self, code: str, redirect_uri: str, verifier: str, now: float) -> TokenSet:
        self.http.ensure_enabled()
        granted = self._oauth().exchange_code(code, redirect_uri, verifier)
        return self._token_set(granted, now, previous=None, during="sign-in")

    def refresh(self, previous: TokenSet, now: float) -> TokenSet:
        self.http.ensure_enabled()
        granted = self._oauth().refresh(previous.refresh_token)
        return self._token_set(granted, now, previous=previous, during="refresh")

    def revoke(self, refresh_token: str) -> None:
        self.http.ensure_enabled()
        response = self._oauth().revoke(refresh_token)
        if response.status_code >= 500:
            raise XeroUnavailable(
                "Xero could not revoke the sign-in just now (a server error). Try again later.",
                detail=f"HTTP {response.status_code}",
            )
        if response.status_code >= 400:
            self._raise_token_error(response, during="revoke")

    def _token_set(
        self, granted: Granted, now: float, previous: TokenSet | None, during: str
    ) -> TokenSet:
        body = granted.token
        if not body.get("access_token") or not granted.new_refresh_token:
            raise self._not_a_token()
        access_token = str(body["access_token"])
        refresh_token = str(body["refresh_token"])
        redact.register(access_token)
        redact.register(refresh_token)
        id_token = body.get("id_token")
        if isinstance(id_token, str):
            redact.register(id_token)
        user = None
        if isinstance(id_token, str):
            user = user_from_id_token(id_token, self.client_id, now)
        if user is None and previous is not None:
            user = previous.user
        try:
            expires_in = float(body.get("expires_in", 1800))
        except (TypeError, ValueError):
            expires_in = 1800.0
        if "scope" in body and granted.scopes:
            scopes = granted.scopes
        else:
            scopes = previous.scope if previous else granted.scopes
        return TokenSet(
            access_token=access_token,
            refresh_token=refresh_token,
            expires_at=now + expires_in,
            obtained_at=now,
            scope=scopes,
            token_type=str(body.get("token_type", "Bearer")),
            user=user,
        )

    @staticmethod
    def _not_a_token() -> XeroRequestError:
        return XeroRequestError(
            "Xero's sign-in service sent an answer that is not a token set. Try again; make "
            "sure the scopes include offline_access.",
            status=200,
        )

    def _raise_token_error(self, response: requests.Response, during: str) -> NoReturn:
        if response.status_code >= 500:
            raise XeroUnavailable(
                "Xero's sign-in service answered with a server error. Try again in a few minutes.",
                detail=f"HTTP {response.status_code}",
            )
        try:
            body = response.json()
        except ValueError:
            body = {}
        error = outside_text(body.get("error", ""), 60) if isinstance(body, dict) else ""
        log.info("Token endpoint (%s) answered %s: %s", during, response.status_code, error)
        if error == "invalid_client":
            secret = (
                "or client secret"
                if self.client_secret
                else "(or, for a Xero 'Web App', no client secret is saved)"
            )
            raise ConfigurationError(
                f"Xero did not recognise this app's client id {secret}: copy the client id from "
                "the app in the Xero developer portal.",
                detail=error_text(response),
                remedy=Remedy.CHECK_CLIENT_ID,
            )
        if error == "invalid_grant":
            if during == "sign-in":
                raise AuthorizationError(
                    "Xero did not accept the sign-in reply (invalid_grant): it may have expired or "
                    "been used already. Connect again.",
                    detail=error_text(response),
                )
            raise InvalidGrant(
                "Xero no longer accepts the saved sign-in (it expired, was revoked, or was "
                "renewed elsewhere).",
                detail=error_text(response),
            )
        raise XeroRequestError(
            f"Xero's sign-in service refused the request ({error or response.status_code}). "
            "Check the app's settings in the Xero developer portal and try again.",
            status=response.status_code,
            detail=error_text(response),
        )


class _Refusals:
    """Xero's token-endpoint refusals, worded by :class:`IdentityClient`."""

    def __init__(self, identity: IdentityClient) -> None:
        self._identity = identity

    def refused(self, response: requests.Response, during: str) -> NoReturn:
        self._identity._raise_token_error(response, during)

    def not_a_token(self, during: str) -> MaicaXeroError:
        return self._identity._not_a_token()
