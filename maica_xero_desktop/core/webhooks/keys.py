"""The webhook key: signature checks, and its keyring entries with rotation.

Xero signs each delivery with the app's webhook key: ``x-xero-signature`` is
base64(HMAC-SHA256(key, raw body bytes)). The key lives only in the OS keyring (entry
``webhook_key``). Saving a new key is a rotation: the old one goes to ``webhook_key_previous``
with an expiry time and is still accepted until then (default one hour, ``0`` for none), so
deliveries keep being accepted while the new key is pasted into Xero's portal. Both values are
registered with :mod:`~maica_xero_desktop.core.redact` the moment they are read or written.

Another process (``webhooks set-key``, ``forget-key``) may change the key while a receiver runs.
Each change also rewrites a small file beside the receiver's status file (:class:`KeyGeneration`,
``<data>/webhook-key.generation``: a fresh random token, no secret), and the receiver reads that
file on every request — a small read, not a keyring read — and reads the keyring again when the
token changed. A removed key or one replaced with no grace period stops working at once.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import json
import logging
import os
import secrets
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from .. import redact
from ..errors import ConfigurationError, Remedy
from ..secrets import WEBHOOK_KEY, SecretStore

log = logging.getLogger(__name__)

PREVIOUS_KEY = "webhook_key_previous"
GENERATION_FILE = "webhook-key.generation"
DEFAULT_GRACE_S = 3600.0
#: after a signature failure the keyring is read again at most this often (another process
#: may have rotated the key)
RELOAD_AFTER_FAILURE_S = 10.0
SIGNATURE_HEADER = "x-xero-signature"


def sign(key: str, body: bytes) -> str:
    digest = hmac.new(key.encode("utf-8"), body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def signature_matches(keys: Sequence[str], body: bytes, signature: str | None) -> bool:
    """Constant-time check of ``signature`` against every accepted key (no early exit)."""
    if not signature or not keys:
        return False
    given = signature.strip().encode("ascii", errors="replace")
    ok = False
    for key in keys:
        ok |= hmac.compare_digest(sign(key, body).encode("ascii"), given)
    return ok


def normalise_key(text: str) -> str:
    key = text.strip()
    if not key:
        raise ConfigurationError(
            "No webhook key was given.",
            remedy=Remedy.SET_WEBHOOK_KEY,
        )
    if any(ch.isspace() for ch in key) or not key.isprintable() or len(key) > 1024:
        raise ConfigurationError(
            "That does not look like a Xero webhook key (one line of letters, digits and symbols, "
            "without spaces). Copy it again from Xero's developer portal."
        )
    if len(key) < 16:
        raise ConfigurationError(
            "That webhook key is too short; Xero's keys are much longer. Copy the whole key from "
            "the developer portal."
        )
    return key


@dataclass(frozen=True)
class KeySet:
    current: str = field(default="", repr=False)
    previous: str = field(default="", repr=False)
    previous_until: float = 0.0

    def accepted(self, now: float) -> tuple[str, ...]:
        keys = [self.current] if self.current else []
        if self.previous and now < self.previous_until:
            keys.append(self.previous)
        return tuple(keys)


class KeyGeneration:
    """The file that tells running receivers the key changed: a random token, rewritten (temp
    file + rename) by every save and removal. Holds nothing secret."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def read(self) -> str:
        try:
            with open(self.path, "rb") as handle:
                return handle.read(128).decode("ascii", "replace").strip()
        except OSError:
            return ""

    def bump(self) -> None:
        token = f"{time.time_ns()}-{secrets.token_hex(8)}\n".encode("ascii")
        tmp = ""
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=f".{self.path.name}.", dir=self.path.parent)
            with os.fdopen(fd, "wb") as handle:
                handle.write(token)
            for attempt in range(5):
                try:
                    os.replace(tmp, self.path)
                    return
                except PermissionError:  # Windows: a receiver is reading it this instant
                    if attempt == 4:
                        raise
                    time.sleep(0.02)
        except OSError as exc:
            if tmp:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)
            log.warning(
                "webhooks: a running receiver could not be told that the key changed (%s); "
                "restart it.",
                exc.strerror or exc,
            )


class WebhookKeys:
    """The keyring entries of the webhook key (current and, during a rotation, previous)."""

    def __init__(
        self,
        secrets: SecretStore,
        clock: Callable[[], float] = time.time,
        generation: KeyGeneration | None = None,
    ) -> None:
        self._secrets = secrets
        self._clock = clock
        self.generation = generation

    def load(self) -> KeySet:
        current = self._secrets.get(WEBHOOK_KEY) or ""
        previous, until = "", 0.0
        stored = self._secrets.get(PREVIOUS_KEY)
        if stored:
            try:
                data = json.loads(stored)
                previous, until = str(data["key"]), float(data["until"])
            except (ValueError, KeyError, TypeError):
                previous, until = "", 0.0
            redact.register(previous)
            if until <= self._clock():
                self._secrets.delete(PREVIOUS_KEY)
                previous, until = "", 0.0
        return KeySet(current, previous, until)

    def has_key(self) -> bool:
        return bool(self._secrets.get(WEBHOOK_KEY))

    def save(self, key: str, grace_s: float = DEFAULT_GRACE_S) -> KeySet:
        """Save a new key; the one it replaces stays valid for ``grace_s`` seconds."""
        key = normalise_key(key)
        redact.register(key)
        old = self._secrets.get(WEBHOOK_KEY) or ""
        if old and old != key and grace_s > 0:
            until = self._clock() + grace_s
            self._secrets.set(PREVIOUS_KEY, json.dumps({"key": old, "until": until}))
        elif old != key:
            self._secrets.delete(PREVIOUS_KEY)
        self._secrets.set(WEBHOOK_KEY, key)
        self._changed()
        return self.load()

    def forget(self) -> None:
        self._secrets.delete(PREVIOUS_KEY)
        self._secrets.delete(WEBHOOK_KEY)
        self._changed()

    def _changed(self) -> None:
        if self.generation is not None:
            self.generation.bump()


class KeyCache:
    """What the receiver checks against: read at start; again whenever the generation file
    changed (checked per request), after a rotation in this process (:meth:`reload`), and (at
    most every :data:`RELOAD_AFTER_FAILURE_S`) after a failed check. When the keyring cannot be
    read after a change, no key is accepted until it can (tried again every second)."""

    def __init__(
        self,
        load: Callable[[], KeySet],
        clock: Callable[[], float] = time.time,
        generation: KeyGeneration | None = None,
    ) -> None:
        self._load = load
        self._clock = clock
        self._generation = generation
        self._lock = threading.Lock()
        self._token = generation.read() if generation is not None else ""
        self._keys = load()
        self._loaded_at = clock()
        self._retry_at = 0.0

    def reload(self) -> KeySet:
        token = self._generation.read() if self._generation is not None else ""
        keys = self._load()
        with self._lock:
            self._keys, self._token = keys, token
            self._loaded_at = self._clock()
        return keys

    @property
    def keys(self) -> KeySet:
        with self._lock:
            return self._keys

    def _follow_generation(self, now: float) -> None:
        if self._generation is None:
            return
        token = self._generation.read()
        with self._lock:
            if token == self._token or now < self._retry_at:
                return
            try:
                keys = self._load()
            except Exception:
                log.warning("webhooks: the key changed but the keyring could not be read.")
                self._keys, self._retry_at = KeySet(), now + 1.0  # fail closed
                return
            self._keys, self._token, self._loaded_at = keys, token, now

    def verify(self, body: bytes, signature: str | None) -> bool:
        now = self._clock()
        self._follow_generation(now)
        if signature_matches(self.keys.accepted(now), body, signature):
            return True
        with self._lock:
            stale = now - self._loaded_at >= RELOAD_AFTER_FAILURE_S
            if stale:
                self._loaded_at = now
        if not stale or not signature:
            return False
        try:
            keys = self._load()
        except Exception:  # keyring trouble: keep what we had
            return False
        with self._lock:
            self._keys = keys
        return signature_matches(keys.accepted(now), body, signature)
