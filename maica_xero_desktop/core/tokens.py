"""The token lifecycle: one valid access token on demand, refreshed safely.

- Refresh happens before expiry (with a margin) and when Xero answers 401.
- One refresh at a time across processes: the GUI, the CLI and a scheduled run share a file lock,
  and after taking it each re-reads the keyring, since another process may have refreshed already.
- Xero rotates the refresh token on every refresh: the new set is saved to the keyring before the
  new access token is used.
- A refresh whose response is lost (timeout, dropped connection) is retried with the same refresh
  token; Xero accepts it again for 30 minutes.
- Xero ends a sign-in whose refresh token goes unused for 60 days. The token set's
  ``obtained_at`` (kept with it in the keyring's metadata, not a secret) is the time of the last
  renewal; :func:`renewal_notice` warns from day 50 (status), and a renewal that late is logged.
- ``invalid_grant`` forgets the dead token set, marks the connection "needs reconnecting", and
  raises :class:`NeedsReconnect` at once (no retry loop).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path

from filelock import FileLock, Timeout

from .errors import NeedsReconnect, NotConnected, Notice, Remedy, XeroUnavailable
from .secrets import SecretStore, TokenSet
from .xero.identity import IdentityClient, InvalidGrant

log = logging.getLogger(__name__)

#: Refresh this long before the access token expires.
EXPIRY_MARGIN_S = 120.0
#: How long one refresh may keep retrying after a lost response (inside Xero's 30-minute grace).
RETRY_WINDOW_S = 120.0
RETRY_DELAYS_S = (0.5, 1.0, 2.0, 4.0, 8.0)

#: Xero ends a sign-in whose refresh token has not been used for this many days
SIGN_IN_LIFE_DAYS = 60
#: from this many days without a renewal, status warns
RENEWAL_WARNING_DAYS = 50
DAY_S = 86400.0

_process_lock = threading.Lock()


def days_since_renewal(tokens: TokenSet, now: float) -> int | None:
    """Whole days since the sign-in was last renewed (None when unknown)."""
    if tokens.obtained_at <= 0:
        return None
    return max(0, int((now - tokens.obtained_at) // DAY_S))


def renewal_notice(tokens: TokenSet | None, now: float) -> Notice | None:
    """A warning once the sign-in has gone RENEWAL_WARNING_DAYS without a renewal."""
    days = None if tokens is None else days_since_renewal(tokens, now)
    if days is None or days < RENEWAL_WARNING_DAYS:
        return None
    left = SIGN_IN_LIFE_DAYS - days
    when = f"in {left} day{'' if left == 1 else 's'}" if left > 0 else "about now"
    return Notice(
        f"The Xero sign-in has not been renewed for {days} days; Xero ends a sign-in left "
        f"{SIGN_IN_LIFE_DAYS} days without renewal ({when}). A sync or payment refresh renews it "
        "until then.",
        Remedy.RECONNECT,
        {"days": str(days)},
    )


class TokenManager:
    """One valid access token on demand (see the module docstring for the refresh rules).

    Owns the token lifecycle and the refresh lock file; the token set itself lives in the keyring
    (:class:`SecretStore`), which is re-read rather than cached, so another process's refresh is
    seen. Never returns an expired token knowingly, never logs one, and never retries an
    ``invalid_grant``.

    Threads: any thread may ask; a refresh takes a process-wide thread lock, then the file lock
    shared with the other processes (GUI, CLI, a scheduled run)."""

    def __init__(
        self,
        secrets: SecretStore,
        identity: Callable[[], IdentityClient],
        lock_path: Path,
        on_needs_reconnect: Callable[[str], None],
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
        lock_timeout: float = 90.0,
    ) -> None:
        self._secrets = secrets
        self._identity = identity
        self._lock = FileLock(str(lock_path), timeout=lock_timeout, mode=0o600)
        self._on_needs_reconnect = on_needs_reconnect
        self._clock = clock
        self._sleep = sleep

    def current(self) -> TokenSet:
        tokens = self._secrets.load_tokens()
        if tokens is None:
            raise NotConnected()
        return tokens

    def is_fresh(self, tokens: TokenSet) -> bool:
        return bool(tokens.access_token) and tokens.expires_at - EXPIRY_MARGIN_S > self._clock()

    def access_token(self, rejected: str | None = None) -> str:
        """A valid access token; ``rejected`` is one Xero just answered 401 to."""
        tokens = self.current()
        if rejected is None and self.is_fresh(tokens):
            return tokens.access_token
        return self.refresh(rejected=rejected or tokens.access_token).access_token

    def refresh(self, rejected: str | None = None) -> TokenSet:
        """Refresh under the cross-process lock, unless someone else already did."""
        with _process_lock:
            try:
                self._lock.acquire()
            except Timeout:
                raise XeroUnavailable(
                    "Another Maica Xero Desktop process has been renewing the Xero sign-in for too "
                    "long. Try again in a minute."
                ) from None
            try:
                tokens = self.current()
                if tokens.access_token != rejected and self.is_fresh(tokens):
                    log.info("Token already refreshed by another process.")
                    return tokens
                return self._refresh_locked(tokens)
            finally:
                self._lock.release()

    def _refresh_locked(self, tokens: TokenSet) -> TokenSet:
        days = days_since_renewal(tokens, self._clock())
        if days is not None and days >= RENEWAL_WARNING_DAYS:
            log.warning(
                "Renewing a Xero sign-in unrenewed for %d days (Xero ends it after %d).",
                days,
                SIGN_IN_LIFE_DAYS,
            )
        identity = self._identity()
        started = self._clock()
        delays = iter(RETRY_DELAYS_S)
        while True:
            try:
                fresh = identity.refresh(tokens, now=self._clock())
                break
            except InvalidGrant as exc:
                log.warning("Refresh refused by Xero (invalid_grant); the sign-in is forgotten.")
                self._secrets.forget_tokens()
                self._on_needs_reconnect(exc.fact)
                raise NeedsReconnect(exc.fact, detail=exc.detail) from None
            except XeroUnavailable:
                delay = next(delays, None)
                if delay is None or self._clock() - started > RETRY_WINDOW_S:
                    raise
                log.info("Refresh got no answer; retrying with the same token in %.1fs.", delay)
                self._sleep(delay)
        self._secrets.save_tokens(fresh)  # persisted before anyone uses it
        log.info("Xero sign-in renewed; access token valid for %.0fs.", fresh.expires_at - started)
        return fresh
