"""The one wrapper around the OS keyring.

Holds the Xero token set, the optional client secret, the webhook key, and the Maica org's sign-in
(refresh token, access token, instance and identity URLs) and optional consumer secret, as small
separate entries
(Windows Credential Manager keeps only about 2.5 KB per secret; longer values are split). It
refuses to work without a real backend — there is no silent plaintext fallback — and turns every
keyring failure into one sentence that says what to do. Values are registered with :mod:`redact`
and never logged.

The service name is namespaced by ``MAICA_XERO_HOME`` when that is set, so a demo or test home
never touches the real sign-in kept in the same OS keyring.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import keyring
import keyring.errors
from keyring.backend import KeyringBackend

from . import redact
from .errors import KeyringUnavailable, Remedy

log = logging.getLogger(__name__)

SERVICE = "maica-xero-desktop"
CHUNK = 2000
_CHUNK_MARK = "chunks:"

REFRESH = "refresh_token"
ACCESS = "access_token"
META = "token_meta"
CLIENT_SECRET = "client_secret"
WEBHOOK_KEY = "webhook_key"
#: the Maica org (Salesforce): the sign-in's entries and the External Client App's optional secret
SF_REFRESH = "sf_refresh_token"
SF_ACCESS = "sf_access_token"
SF_META = "sf_meta"
SF_CLIENT_SECRET = "sf_client_secret"

T = TypeVar("T")

_INSECURE_BACKENDS = ("PlaintextKeyring", "fail.Keyring", "null.Keyring")


def service_name(home: str | None) -> str:
    if not home:
        return SERVICE
    digest = hashlib.sha256(home.encode("utf-8")).hexdigest()[:12]
    return f"{SERVICE}:{digest}"


@dataclass(frozen=True)
class ConnectedUser:
    name: str
    email: str
    xero_userid: str


@dataclass(frozen=True)
class TokenSet:
    access_token: str = field(repr=False)
    refresh_token: str = field(repr=False)
    expires_at: float
    obtained_at: float
    scope: tuple[str, ...] = ()
    token_type: str = "Bearer"
    user: ConnectedUser | None = None


@dataclass(frozen=True)
class MaicaTokens:
    """The Maica org's sign-in: kept in the keyring only, never in a file. ``issued_at`` is when
    the access token was issued (seconds since the epoch)."""

    access_token: str = field(repr=False)
    refresh_token: str = field(repr=False)
    instance_url: str
    id_url: str
    issued_at: float


def backend_description(backend: KeyringBackend | None = None) -> str:
    backend = backend or keyring.get_keyring()
    cls = type(backend)
    return f"{cls.__module__}.{cls.__qualname__}"


def _is_usable(backend: KeyringBackend) -> bool:
    description = backend_description(backend)
    if any(description.endswith(name) for name in _INSECURE_BACKENDS):
        return False
    children = getattr(backend, "backends", None)
    if children is not None:  # the chainer: usable only if it chains something usable
        return any(_is_usable(child) for child in children)
    return True


class SecretStore:
    """Reads and writes this product's entries in the OS keyring: the token set (split into
    entries under 2,000 characters, refresh token first), the client secret and the webhook key.

    Owns the keyring service name (suffixed per ``MAICA_XERO_HOME``, so a test or demo home never
    touches the real sign-in). Never writes a secret anywhere else, never logs one, and turns
    every keyring failure into one sentence. Holds no state besides the name, so one object may
    be used from any thread."""

    def __init__(self, home: str | None = None) -> None:
        self.service = service_name(home)

    # -- checks ---------------------------------------------------------------------------

    def check_backend(self) -> str:
        """The backend's name; :class:`KeyringUnavailable` when there is no secure one."""
        try:
            backend = keyring.get_keyring()
        except Exception as exc:
            raise self._unavailable(exc) from None
        if not _is_usable(backend):
            raise KeyringUnavailable(
                "No secure system keyring is available, so the Xero sign-in cannot be kept safely.",
                detail=backend_description(backend),
                remedy=Remedy.SET_UP_KEYRING,
            )
        return backend_description(backend)

    def _unavailable(self, exc: BaseException) -> KeyringUnavailable:
        if isinstance(exc, keyring.errors.KeyringLocked):
            return KeyringUnavailable(
                "The system keyring is locked.",
                detail=type(exc).__name__,
                remedy=Remedy.UNLOCK_KEYRING,
            )
        return KeyringUnavailable(
            "The system keyring could not be used.",
            detail=type(exc).__name__,
            remedy=Remedy.SET_UP_KEYRING,
        )

    def _call(self, action: Callable[..., T], *args: str) -> T:
        self.check_backend()
        try:
            return action(*args)
        except keyring.errors.PasswordDeleteError:
            raise
        except Exception as exc:
            log.warning("Keyring operation failed: %s", type(exc).__name__)
            raise self._unavailable(exc) from None

    # -- raw entries ----------------------------------------------------------------------

    def get(self, name: str) -> str | None:
        value = self._call(keyring.get_password, self.service, name)
        if value is not None and value.startswith(_CHUNK_MARK):
            count = int(value[len(_CHUNK_MARK) :])
            parts = [
                self._call(keyring.get_password, self.service, f"{name}#{i}") for i in range(count)
            ]
            if any(part is None for part in parts):
                return None
            value = "".join(p for p in parts if p is not None)
        redact.register(value)
        return value

    def set(self, name: str, value: str) -> None:
        redact.register(value)
        old_chunks = self._chunk_count(name)
        if len(value) <= CHUNK and not value.startswith(_CHUNK_MARK):
            self._call(keyring.set_password, self.service, name, value)
            count = 0
        else:
            pieces = [value[i : i + CHUNK] for i in range(0, len(value), CHUNK)]
            for i, piece in enumerate(pieces):
                self._call(keyring.set_password, self.service, f"{name}#{i}", piece)
            self._call(keyring.set_password, self.service, name, f"{_CHUNK_MARK}{len(pieces)}")
            count = len(pieces)
        for i in range(count, old_chunks):
            self._delete_one(f"{name}#{i}")

    def delete(self, name: str) -> None:
        chunks = self._chunk_count(name)
        self._delete_one(name)
        for i in range(chunks):
            self._delete_one(f"{name}#{i}")

    def _chunk_count(self, name: str) -> int:
        value = self._call(keyring.get_password, self.service, name)
        if value is not None and value.startswith(_CHUNK_MARK):
            return int(value[len(_CHUNK_MARK) :])
        return 0

    def _delete_one(self, name: str) -> None:
        with contextlib.suppress(keyring.errors.PasswordDeleteError):  # already absent
            self._call(keyring.delete_password, self.service, name)

    # -- the token set --------------------------------------------------------------------

    def load_tokens(self) -> TokenSet | None:
        refresh_token = self.get(REFRESH)
        if not refresh_token:
            return None
        access = _loads(self.get(ACCESS))
        meta = _loads(self.get(META))
        user = None
        if meta.get("email") or meta.get("name"):
            user = ConnectedUser(
                name=str(meta.get("name", "")),
                email=str(meta.get("email", "")),
                xero_userid=str(meta.get("xero_userid", "")),
            )
        return TokenSet(
            access_token=str(access.get("token", "")),
            refresh_token=refresh_token,
            expires_at=float(access.get("expires_at", 0.0)),
            obtained_at=float(meta.get("obtained_at", 0.0)),
            scope=tuple(str(s) for s in meta.get("scope", [])),
            token_type=str(meta.get("token_type", "Bearer")),
            user=user,
        )

    def save_tokens(self, tokens: TokenSet) -> None:
        """Persist a token set; the refresh token first, since losing it loses the connection."""
        self.set(REFRESH, tokens.refresh_token)
        self.set(
            ACCESS, json.dumps({"token": tokens.access_token, "expires_at": tokens.expires_at})
        )
        meta: dict[str, Any] = {
            "obtained_at": tokens.obtained_at,
            "scope": list(tokens.scope),
            "token_type": tokens.token_type,
        }
        if tokens.user is not None:
            meta.update(
                name=tokens.user.name, email=tokens.user.email, xero_userid=tokens.user.xero_userid
            )
        self.set(META, json.dumps(meta))

    def forget_tokens(self) -> None:
        for name in (ACCESS, META, REFRESH):
            self.delete(name)

    # -- the Maica org's sign-in ------------------------------------------------------------

    def load_maica(self) -> MaicaTokens | None:
        """The Maica sign-in, or None when there is none (no refresh token or no instance)."""
        refresh_token = self.get(SF_REFRESH)
        if not refresh_token:
            return None
        meta = _loads(self.get(SF_META))
        instance_url = str(meta.get("instance_url", ""))
        if not instance_url:
            return None
        try:
            issued_at = float(meta.get("issued_at", 0.0))
        except (TypeError, ValueError):
            issued_at = 0.0
        return MaicaTokens(
            access_token=self.get(SF_ACCESS) or "",
            refresh_token=refresh_token,
            instance_url=instance_url,
            id_url=str(meta.get("id_url", "")),
            issued_at=issued_at,
        )

    def save_maica(self, tokens: MaicaTokens) -> None:
        """Persist the Maica sign-in; the refresh token first."""
        self.set(SF_REFRESH, tokens.refresh_token)
        self.set(SF_ACCESS, tokens.access_token)
        meta = {
            "instance_url": tokens.instance_url,
            "id_url": tokens.id_url,
            "issued_at": tokens.issued_at,
        }
        self.set(SF_META, json.dumps(meta))

    def forget_maica(self) -> None:
        for name in (SF_ACCESS, SF_META, SF_REFRESH):
            self.delete(name)


def _loads(text: str | None) -> dict[str, Any]:
    if not text:
        return {}
    try:
        value = json.loads(text)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}
