"""Opaque tokens, hashing and JWT-shaped tokens signed with HMAC-SHA256 over a sandbox key."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import secrets
from typing import Any

_JWT_HEADER = {"alg": "HS256", "typ": "JWT", "kid": "maica-xero-sandbox"}


def sha256_hex(value: str) -> str:
    """How the sandbox stores every code and token: never the raw value."""
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


def opaque_token(nbytes: int = 32) -> str:
    return secrets.token_urlsafe(nbytes)


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def s256_challenge(verifier: str) -> str:
    """RFC 7636 S256: base64url(sha256(ascii(verifier))) without padding."""
    return b64url(hashlib.sha256(verifier.encode("ascii")).digest())


def jwt_encode(claims: dict[str, Any], key: str) -> str:
    header = b64url(json.dumps(_JWT_HEADER, separators=(",", ":")).encode())
    payload = b64url(json.dumps(claims, separators=(",", ":")).encode())
    signing_input = f"{header}.{payload}".encode("ascii")
    signature = hmac.new(key.encode("utf-8"), signing_input, hashlib.sha256).digest()
    return f"{header}.{payload}.{b64url(signature)}"


def jwt_decode(token: str, key: str) -> dict[str, Any] | None:
    """The claims of a token signed with ``key``, or None if it is malformed or forged.
    Expiry is not checked here: the caller uses the sandbox clock."""
    parts = token.split(".")
    if len(parts) != 3:
        return None
    header, payload, signature = parts
    expected = hmac.new(
        key.encode("utf-8"), f"{header}.{payload}".encode("ascii", "replace"), hashlib.sha256
    ).digest()
    try:
        given = b64url_decode(signature)
        claims = json.loads(b64url_decode(payload))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        return None
    if not hmac.compare_digest(expected, given) or not isinstance(claims, dict):
        return None
    return claims
