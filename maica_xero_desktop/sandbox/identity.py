"""``/connect/token`` and ``/connect/revocation``: the identity.xero.com side.

Refresh tokens rotate on every use. The token just exchanged stays usable for a grace period
(a lost response being retried) as long as its successor has never been used; a replay then
issues a fresh pair and invalidates the unused successor.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import re
import uuid
from typing import TYPE_CHECKING
from urllib.parse import unquote

from .issuing import issue_tokens
from .routes import Router
from .tokens import s256_challenge, sha256_hex
from .web import Request, Response, empty, json_response, oauth_error

if TYPE_CHECKING:
    from .app import SandboxApp

_VERIFIER = re.compile(r"[A-Za-z0-9\-._~]{43,128}")
_GRANT_TYPES = ("authorization_code", "refresh_token")


def register(router: Router) -> None:
    router.add("POST", r"/connect/token", token, token_endpoint_name)
    router.add("POST", r"/connect/revocation", revocation, "revocation")


def token_endpoint_name(request: Request) -> str:
    grant_type = request.field("grant_type")
    return f"token.{grant_type}" if grant_type in _GRANT_TYPES else "token.other"


class ClientError(Exception):
    """Client authentication failed: answer ``invalid_client`` (or ``invalid_request``)."""

    def __init__(self, error: str, description: str) -> None:
        super().__init__(description)
        self.response = oauth_error(error, description)


def authenticate_client(app: SandboxApp, request: Request) -> str:
    """The calling app's client id, authenticated with HTTP Basic or form fields."""
    client_id = request.field("client_id")
    secret = request.field("client_secret")
    auth = request.headers.get("Authorization") or ""
    if auth[:6].lower() == "basic ":
        try:
            decoded = base64.b64decode(auth[6:].strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError) as exc:
            raise ClientError("invalid_client", "Malformed Basic authorization.") from exc
        basic_id, _, basic_secret = decoded.partition(":")
        basic_id, basic_secret = unquote(basic_id), unquote(basic_secret)
        if client_id is not None and client_id != basic_id:
            raise ClientError("invalid_client", "Two different client ids were sent.")
        client_id, secret = basic_id, basic_secret
    if not client_id or not app.config.is_known_client(client_id):
        raise ClientError("invalid_client", "Unknown client.")
    expected = app.config.client_secret(client_id)
    if expected is not None and not (
        secret and hmac.compare_digest(secret.encode(), expected.encode())
    ):
        raise ClientError("invalid_client", "The client secret is missing or wrong.")
    return client_id


def _ok(body: dict[str, object]) -> Response:
    return json_response(200, body, {"Cache-Control": "no-store", "Pragma": "no-cache"})


def token(app: SandboxApp, request: Request, params: dict[str, str]) -> Response:
    try:
        client_id = authenticate_client(app, request)
    except ClientError as exc:
        return exc.response
    grant_type = request.field("grant_type")
    if not grant_type:
        return oauth_error("invalid_request", "grant_type is required.")
    if grant_type == "authorization_code":
        return _exchange_code(app, request, client_id)
    if grant_type == "refresh_token":
        return _refresh(app, request, client_id)
    return oauth_error("unsupported_grant_type")


def _exchange_code(app: SandboxApp, request: Request, client_id: str) -> Response:
    code = request.field("code")
    if not code:
        return oauth_error("invalid_request", "code is required.")
    state = app.state
    with state.lock:
        record = state.stores.codes.get(sha256_hex(code))
        if record is None or record.used or record.client_id != client_id:
            return oauth_error("invalid_grant")
        record.used = True  # single use, whatever happens next
        state.save()
        if state.now() > record.created + app.config.code_lifetime:
            return oauth_error("invalid_grant", "The authorization code has expired.")
        if request.field("redirect_uri") != record.redirect_uri:
            return oauth_error("invalid_grant", "redirect_uri does not match.")
        if record.code_challenge is not None:
            verifier = request.field("code_verifier") or ""
            if not _VERIFIER.fullmatch(verifier) or not hmac.compare_digest(
                s256_challenge(verifier), record.code_challenge
            ):
                return oauth_error("invalid_grant", "code_verifier does not match.")
        grant = state.stores.grants.get(record.grant_key)
        if grant is None:
            return oauth_error("invalid_grant")
        state.prune()
        body, _ = issue_tokens(
            app,
            grant=grant,
            scopes=record.scopes,
            auth_event_id=record.auth_event_id,
            global_session_id=uuid.uuid4().hex,
            nonce=record.nonce,
        )
        state.save()
    return _ok(body)


def _refresh(app: SandboxApp, request: Request, client_id: str) -> Response:
    presented = request.field("refresh_token")
    if not presented:
        return oauth_error("invalid_request", "refresh_token is required.")
    state = app.state
    cfg = app.config
    with state.lock:
        now = state.now()
        record = state.stores.refresh.get(sha256_hex(presented))
        if record is None or record.client_id != client_id:
            return oauth_error("invalid_grant")
        if now >= record.issued + cfg.refresh_idle_lifetime:
            return oauth_error("invalid_grant", "The refresh token has expired.")
        grant = state.stores.grants.get(record.grant_key)
        if grant is None:
            return oauth_error("invalid_grant")
        if record.successor is not None:
            successor = state.stores.refresh.get(record.successor)
            if now >= (record.rotated_at or now) + cfg.refresh_grace:
                return oauth_error("invalid_grant", "The refresh token has been used.")
            if successor is not None and successor.used:
                return oauth_error("invalid_grant", "The refresh token has been used.")
            # A retry within the grace period: the unused successor is replaced.
            state.stores.refresh.pop(record.successor, None)
        state.prune()
        body, new_hash = issue_tokens(
            app,
            grant=grant,
            scopes=record.scopes,
            auth_event_id=record.auth_event_id,
            global_session_id=record.global_session_id,
        )
        record.used = True
        record.successor = new_hash
        if record.rotated_at is None:
            record.rotated_at = now
        state.save()
    return _ok(body)


def revocation(app: SandboxApp, request: Request, params: dict[str, str]) -> Response:
    """Revoke the whole grant behind a token: every token and every connection of that
    user to that app. Unknown tokens also get 200 (RFC 7009)."""
    try:
        client_id = authenticate_client(app, request)
    except ClientError as exc:
        return exc.response
    presented = request.field("token")
    if not presented:
        return oauth_error("invalid_request", "token is required.")
    state = app.state
    with state.lock:
        digest = sha256_hex(presented)
        found = state.stores.refresh.get(digest) or state.stores.access.get(digest)
        if found is not None and found.client_id == client_id:
            state.remove_grant(found.grant_key)
    return empty(200, {"Cache-Control": "no-store"})
