"""The OAuth ``state`` (from :mod:`secrets`), and PKCE (RFC 7636) as a reference.

The sign-ins let requests-oauthlib make the verifier and the S256 challenge
(``OAuth2Session(pkce="S256")``, :mod:`.oauth`); :func:`challenge` remains for
:func:`..xero.identity.authorize_url` callers that bring their own verifier, and the tests check
the library's challenge against it and RFC 7636's vector."""

from __future__ import annotations

import base64
import hashlib
import re
import secrets

_VERIFIER = re.compile(r"^[A-Za-z0-9\-._~]{43,128}$")


def new_verifier() -> str:
    """86 characters of base64url from 64 random bytes (within RFC 7636's 43-128)."""
    return secrets.token_urlsafe(64)


def challenge(verifier: str) -> str:
    """S256: base64url(SHA-256(verifier)) without padding."""
    if not _VERIFIER.match(verifier):
        raise ValueError("a PKCE verifier is 43-128 characters of A-Z a-z 0-9 - . _ ~")
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def new_state() -> str:
    return secrets.token_urlsafe(32)
