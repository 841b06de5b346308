"""Xero's identity service: the authorize URL, the token endpoint and revocation."""

from __future__ import annotations

import base64
import binascii
import json
import logging
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import requests

from .. import redact
from ..errors import (
    AuthorizationError,
    ConfigurationError,
    NeedsReconnect,
    Remedy,
    XeroRequestError,
    XeroUnavailable,
)
from ..secrets import ConnectedUser, TokenSet
from .endpoints import XeroEndpoints
from .http import XeroHttp, error_text, outside_text

log = logging.getLogger(__name__)


class InvalidGrant(NeedsReconnect):
    """The token endpoint answered ``invalid_grant``."""


def authorize_url(
    endpoints: XeroEndpoints,
    *,
    client_id: str,
    redirect_uri: str,
    scopes: list[str],
    state: str,
    code_challenge: str,
) -> str:
    query = {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": redirect_uri,
        "scope": " ".join(scopes),
        "state": state,
        "code_challenge": code_challenge,
        "code_challenge_method": "S256",
    }
    return f"{endpoints.authorize}?{urlencode(query)}"


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


@dataclass
class IdentityClient:
    """Xero's identity endpoints: the code exchange, the refresh and revocation (three form POSTs
    over :class:`XeroHttp`). Holds the client id and the optional secret, and borrows the
    transport; never stores a token (the caller saves what it returns) and never logs one.
    No state changes after construction: safe on any thread."""

    http: XeroHttp
    endpoints: XeroEndpoints
    client_id: str
    client_secret: str | None = None

    def _post(self, url: str, form: dict[str, str]) -> requests.Response:
        if not self.client_id:
            raise ConfigurationError(
                "No Xero client id is set: create an app of type 'Auth Code with PKCE' in the "
                "Xero developer portal.",
                remedy=Remedy.SET_CLIENT_ID,
            )
        form = {"client_id": self.client_id, **form}
        auth = None
        if self.client_secret:
            auth = (self.client_id, self.client_secret)
        return self.http.send(
            "POST",
            url,
            data=form,
            auth=auth,
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )

    def exchange_code(self, code: str, redirect_uri: str, verifier: str, now: float) -> TokenSet:
        response = self._post(
            self.endpoints.token,
            {
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": redirect_uri,
                "code_verifier": verifier,
            },
        )
        return self._token_set(response, now, previous=None, during="sign-in")

    def refresh(self, previous: TokenSet, now: float) -> TokenSet:
        response = self._post(
            self.endpoints.token,
            {"grant_type": "refresh_token", "refresh_token": previous.refresh_token},
        )
        return self._token_set(response, now, previous=previous, during="refresh")

    def revoke(self, refresh_token: str) -> None:
        response = self._post(self.endpoints.revocation, {"token": refresh_token})
        if response.status_code >= 500:
            raise XeroUnavailable(
                "Xero could not revoke the sign-in just now (a server error). Try again later.",
                detail=f"HTTP {response.status_code}",
            )
        if response.status_code >= 400:
            self._raise_token_error(response, during="revoke")

    def _token_set(
        self, response: requests.Response, now: float, previous: TokenSet | None, during: str
    ) -> TokenSet:
        if response.status_code >= 500:
            raise XeroUnavailable(
                "Xero's sign-in service answered with a server error. Try again in a few minutes.",
                detail=f"HTTP {response.status_code}",
            )
        if response.status_code != 200:
            self._raise_token_error(response, during=during)
        try:
            body = response.json()
        except ValueError:
            body = None
        if (
            not isinstance(body, dict)
            or not body.get("access_token")
            or not body.get("refresh_token")
        ):
            raise XeroRequestError(
                "Xero's sign-in service sent an answer that is not a token set. Try again; make "
                "sure the scopes include offline_access.",
                status=response.status_code,
            )
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
        scope = body.get("scope", "")
        scopes = tuple(str(scope).split()) if scope else (previous.scope if previous else ())
        return TokenSet(
            access_token=access_token,
            refresh_token=refresh_token,
            expires_at=now + expires_in,
            obtained_at=now,
            scope=scopes,
            token_type=str(body.get("token_type", "Bearer")),
            user=user,
        )

    def _raise_token_error(self, response: requests.Response, during: str) -> None:
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
