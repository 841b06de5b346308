"""Creating what a consent and a token call hand out: connections, codes and token sets.

Callers hold ``state.lock`` and save the state afterwards.
"""

from __future__ import annotations

import hashlib
import uuid
from typing import TYPE_CHECKING, Any

from .records import AccessRecord, Code, Connection, Grant, RefreshRecord
from .tokens import jwt_encode, opaque_token, sha256_hex

if TYPE_CHECKING:
    from .app import SandboxApp


def grant_key(user_id: str, client_id: str) -> str:
    return f"{user_id}:{client_id}"


def subject(user_id: str) -> str:
    """Xero's ``sub`` differs from ``xero_userid``: a stable opaque id per user."""
    return hashlib.sha256(user_id.encode("utf-8")).hexdigest()[:32]


def connect(
    app: SandboxApp,
    *,
    client_id: str,
    tenant_ids: list[str],
    scopes: list[str],
    redirect_uri: str,
    code_challenge: str | None,
    nonce: str | None,
) -> str:
    """The user allowed access: record the grant and connections, return a fresh code."""
    state = app.state
    now = state.now()
    user_id = app.config.user.user_id
    key = grant_key(user_id, client_id)
    auth_event_id = str(uuid.uuid4())
    grant = state.stores.grants.get(key)
    if grant is None:
        grant = Grant(key, user_id, client_id, [], now)
        state.stores.grants[key] = grant
    grant.scopes = sorted(set(grant.scopes) | set(scopes))
    existing = {c.tenant_id: c for c in state.stores.connections.values() if c.grant_key == key}
    for tenant_id in tenant_ids:
        conn = existing.get(tenant_id)
        if conn is None:
            conn = Connection(str(uuid.uuid4()), key, tenant_id, auth_event_id, now, now)
            state.stores.connections[conn.id] = conn
        else:
            conn.updated = now
            conn.auth_event_id = auth_event_id
    code = opaque_token(32)
    state.stores.codes[sha256_hex(code)] = Code(
        hash=sha256_hex(code),
        client_id=client_id,
        redirect_uri=redirect_uri,
        code_challenge=code_challenge,
        grant_key=key,
        tenant_ids=list(tenant_ids),
        scopes=list(scopes),
        auth_event_id=auth_event_id,
        nonce=nonce,
        created=now,
    )
    return code


def issue_tokens(
    app: SandboxApp,
    *,
    grant: Grant,
    scopes: list[str],
    auth_event_id: str,
    global_session_id: str,
    nonce: str | None = None,
) -> tuple[dict[str, Any], str | None]:
    """A token response body and the hash of its refresh token (None without offline_access)."""
    state = app.state
    cfg = app.config
    user = cfg.user
    now = int(state.now())
    exp = now + cfg.access_token_lifetime
    access_claims: dict[str, Any] = {
        "nbf": now,
        "exp": exp,
        "iss": app.base_url,
        "aud": f"{app.base_url}/resources",
        "client_id": grant.client_id,
        "sub": subject(user.user_id),
        "auth_time": now,
        "xero_userid": user.user_id,
        "global_session_id": global_session_id,
        "sid": global_session_id,
        "jti": uuid.uuid4().hex,
        "authentication_event_id": auth_event_id,
        "scope": list(scopes),
        "amr": ["pwd"],
    }
    access_token = jwt_encode(access_claims, state.signing_key)
    state.stores.access[sha256_hex(access_token)] = AccessRecord(
        sha256_hex(access_token), grant.key, grant.client_id, list(scopes), float(exp)
    )
    body: dict[str, Any] = {}
    if "openid" in scopes:
        id_claims: dict[str, Any] = {
            "nbf": now,
            "exp": now + 300,
            "iss": app.base_url,
            "aud": grant.client_id,
            "iat": now,
            "at_hash": sha256_hex(access_token)[:32],
            "sid": global_session_id,
            "sub": subject(user.user_id),
            "auth_time": now,
            "xero_userid": user.user_id,
            "global_session_id": global_session_id,
        }
        if nonce:
            id_claims["nonce"] = nonce
        if "email" in scopes:
            id_claims["email"] = user.email
        if "profile" in scopes:
            id_claims["given_name"] = user.given_name
            id_claims["family_name"] = user.family_name
            id_claims["preferred_username"] = user.email
        body["id_token"] = jwt_encode(id_claims, state.signing_key)
    body.update(
        {
            "access_token": access_token,
            "expires_in": cfg.access_token_lifetime,
            "token_type": "Bearer",
        }
    )
    refresh_hash: str | None = None
    if "offline_access" in scopes:
        refresh_token = opaque_token(32)
        refresh_hash = sha256_hex(refresh_token)
        state.stores.refresh[refresh_hash] = RefreshRecord(
            hash=refresh_hash,
            grant_key=grant.key,
            client_id=grant.client_id,
            scopes=list(scopes),
            auth_event_id=auth_event_id,
            global_session_id=global_session_id,
            issued=float(now),
        )
        body["refresh_token"] = refresh_token
    body["scope"] = " ".join(scopes)
    return body, refresh_hash
