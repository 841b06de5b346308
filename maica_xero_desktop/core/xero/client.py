"""The one Xero API client: bearer tokens, tenant header, refresh on 401, rate limits, errors.

Every call after sign-in goes through :meth:`XeroClient.call`. It gets a valid access token from the
:class:`TokenManager` (refreshing if needed), adds ``xero-tenant-id`` for Accounting API calls,
retries once after a 401 with a refreshed token, waits out minute/concurrency 429s (bounded), stops
on the day limit with the time it resets, retries 5xx and timeouts only where that cannot create
anything twice (reads, deletes, and writes carrying an ``Idempotency-Key``), and maps every failure
to a domain exception with a sentence. Secrets never reach a log or an error.

Xero's idempotency keys live 6 minutes and Xero caches a 5xx under the key, so a keyed write is
re-sent only after *no* answer, and never more than KEY_RESEND_WINDOW_S after its first send;
after a 5xx, or past that window, the caller hears "unknown" (XeroUnavailable) and looks up what
Xero has instead. A 429 for the concurrent limit carries no ``Retry-After``: it is waited out with
a short doubling back-off.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any

import requests

from ..errors import (
    MaicaXeroError,
    NeedsReconnect,
    RateLimited,
    TenantUnavailable,
    XeroRequestError,
    XeroUnavailable,
)
from ..tokens import TokenManager
from .endpoints import XeroEndpoints
from .http import AnswerTooLarge, AnswerTooSlow, XeroHttp, error_text, outside_text
from .ratelimit import RateLimits, retry_after_seconds

log = logging.getLogger(__name__)

MAX_RATE_WAIT_S = 65.0
MAX_RATE_RETRIES = 5
SERVER_RETRY_DELAYS_S = (1.0, 2.0, 4.0)
#: a keyed write is not re-sent later than this after its first send (Xero keeps keys 6 minutes)
KEY_RESEND_WINDOW_S = 300.0
#: waits for the concurrent limit (Xero gives no Retry-After for it): 1, 2, 4, 8, 8 ... seconds
CONCURRENT_WAIT_S = 1.0
MAX_CONCURRENT_WAIT_S = 8.0


class XeroClient:
    """Every Xero API call after sign-in (see the module docstring for the retry rules).

    Owns the call count and the per-organisation rate-limit readings; borrows the transport
    (:class:`XeroHttp`) and the tokens (:class:`TokenManager`). Never decides what to send or
    what an answer means for an invoice (the sync does), never logs a token, and never re-sends a
    keyed write after a 5xx or past :data:`KEY_RESEND_WINDOW_S`.

    Threads: one client serves every thread of the process (a sync, the webhook worker, window
    tasks); it keeps no per-call state, and :class:`RateLimits` and the token refresh lock their
    own. ``calls`` is a rough counter for logs and benchmarks, not exact under concurrency."""

    def __init__(
        self,
        http: XeroHttp,
        endpoints: XeroEndpoints,
        tokens: TokenManager,
        limits: RateLimits | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.http = http
        self.endpoints = endpoints
        self.tokens = tokens
        self.limits = limits or RateLimits()
        self._sleep = sleep
        #: measures how long after its first send a keyed write would be re-sent
        self.clock = clock
        self.calls = 0

    # -- identity API (no tenant) ---------------------------------------------------------

    def get_connections(self, auth_event_id: str | None = None) -> list[dict[str, Any]]:
        params = {"authEventId": auth_event_id} if auth_event_id else None
        response = self.call("GET", self.endpoints.connections, params=params)
        body = _json(response)
        if not isinstance(body, list):
            raise XeroRequestError(
                "Xero sent an unexpected answer when listing the organisations. Try again.",
                status=response.status_code,
            )
        return [item for item in body if isinstance(item, dict)]

    def delete_connection(self, connection_id: str) -> bool:
        """True if Xero removed it, False if Xero no longer had it (404)."""
        response = self.call(
            "DELETE", self.endpoints.connection(connection_id), allow_statuses=(404,)
        )
        return response.status_code != 404

    # -- Accounting API -------------------------------------------------------------------

    def accounting(
        self,
        method: str,
        path: str,
        tenant_id: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        idempotency_key: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Any:
        extra = dict(headers or {})
        if idempotency_key:
            extra["Idempotency-Key"] = idempotency_key
        response = self.call(
            method,
            self.endpoints.accounting(path),
            tenant_id=tenant_id,
            params=params,
            json=json,
            headers=extra,
        )
        try:
            return _json(response)
        except XeroRequestError as exc:
            if method in ("PUT", "POST"):
                # Xero said "done" but the answer cannot be read: it may have acted.
                raise XeroUnavailable(
                    "Xero's answer could not be read, so what it did is checked before anything "
                    "is sent again.",
                    detail=exc.detail,
                ) from None
            raise

    # -- the one path every authorised request takes --------------------------------------

    def call(
        self,
        method: str,
        url: str,
        *,
        tenant_id: str | None = None,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        headers: Mapping[str, str] | None = None,
        allow_statuses: tuple[int, ...] = (),
    ) -> requests.Response:
        self.http.ensure_enabled()
        write = method in ("PUT", "POST")
        keyed = write and bool(headers and "Idempotency-Key" in headers)
        retry_safe = not write or keyed
        first_sent: float | None = None
        if tenant_id:
            self._respect_limits(tenant_id)
        token = self.tokens.access_token()
        refreshed = False
        rate_retries = 0
        server_delays = iter(SERVER_RETRY_DELAYS_S)
        # A write that got no answer, or a 5xx, may have been applied by Xero. Whatever happens
        # after that, the caller must hear "unknown" (XeroUnavailable), never "refused": a
        # refusal would let it send the invoices again.
        unanswered_write = False
        try:
            while True:
                all_headers = {"Authorization": f"Bearer {token}", **(headers or {})}
                if tenant_id:
                    all_headers["xero-tenant-id"] = tenant_id
                if keyed:
                    first_sent = self._keyed_send(first_sent)
                try:
                    self.calls += 1
                    response = self.http.send(
                        method, url, headers=all_headers, params=params, json=json
                    )
                except XeroUnavailable as exc:
                    unanswered_write = unanswered_write or write
                    # An answer over the size cap would be as large again, and one that took the
                    # whole deadline would make the caller wait minutes more: not retried.
                    retry = retry_safe and not isinstance(exc, AnswerTooLarge | AnswerTooSlow)
                    delay = next(server_delays, None) if retry else None
                    if delay is None:
                        raise
                    self._sleep(delay)
                    continue
                self.limits.record(tenant_id, response.status_code, response.headers)
                status = response.status_code
                if status < 400 or status in allow_statuses:
                    return response
                if status == 401 and not refreshed:
                    refreshed = True
                    token = self.tokens.access_token(rejected=token)
                    continue
                if status == 401:
                    raise NeedsReconnect(
                        "Xero refused the sign-in even after renewing it.",
                        detail=error_text(response),
                    )
                if status == 429:
                    wait = self._rate_wait(response, tenant_id, rate_retries)
                    rate_retries += 1
                    self._sleep(wait)
                    continue
                if status >= 500:
                    unanswered_write = unanswered_write or write
                    # Xero replays a keyed write's 5xx for the key's life: re-sending is useless.
                    delay = next(server_delays, None) if retry_safe and not keyed else None
                    if delay is None:
                        raise XeroUnavailable(
                            f"Xero answered with a server error (HTTP {status}). Try again in a "
                            "few minutes.",
                            detail=error_text(response),
                        )
                    self._sleep(delay)
                    continue
                raise self._client_error(response, tenant_id)
        except XeroUnavailable:
            raise
        except MaicaXeroError as exc:
            if not unanswered_write:
                raise
            raise XeroUnavailable(
                "Xero did not confirm a request and then stopped it from being repeated ("
                + exc.sentence.rstrip(".")
                + "). What Xero did is checked before anything is sent again.",
                detail=exc.detail,
            ) from None

    def _keyed_send(self, first_sent: float | None) -> float:
        """The first send time of a keyed write; refuses a re-send past KEY_RESEND_WINDOW_S."""
        now = self.clock()
        if first_sent is None:
            return now
        if now - first_sent > KEY_RESEND_WINDOW_S:
            raise XeroUnavailable(
                "Xero did not confirm a request within five minutes, so it is not sent again; "
                "what Xero did is checked before anything is sent again.",
                detail="idempotency key window passed",
            )
        return first_sent

    def _respect_limits(self, tenant_id: str) -> None:
        """Use what the last answers said: no call into a known-exhausted limit."""
        state = self.limits.get(tenant_id)
        wait = state.retry_at - self.limits.now()
        if state.day_remaining == 0 and state.last_problem == "day" and wait > 0:
            resets = datetime.now().astimezone() + timedelta(seconds=wait)
            raise RateLimited(
                "Xero's daily limit for this organisation has been reached; it resets around "
                f"{resets:%H:%M on %d %b}. Try again after that.",
                problem="day",
                retry_after=wait,
            )
        if 0 < wait <= MAX_RATE_WAIT_S and state.minute_remaining == 0:
            log.info("Waiting %.1fs for Xero's minute limit to reset.", wait)
            self._sleep(wait)

    def _rate_wait(self, response: requests.Response, tenant_id: str | None, retries: int) -> float:
        problem = response.headers.get("X-Rate-Limit-Problem", "").strip().lower()
        wait = retry_after_seconds(response.headers)
        if problem == "concurrent" and "Retry-After" not in response.headers:
            wait = min(CONCURRENT_WAIT_S * 2**retries, MAX_CONCURRENT_WAIT_S)
        if problem == "concurrent" and retries >= MAX_RATE_RETRIES:
            raise RateLimited(
                "Xero kept refusing calls because other programs are using this organisation at "
                "the same time (at most 5 calls at once). Try again in a few minutes.",
                problem=problem,
                retry_after=wait,
            )
        if problem == "day" or wait > MAX_RATE_WAIT_S or retries >= MAX_RATE_RETRIES:
            resets = datetime.now().astimezone() + timedelta(seconds=wait)
            what = "daily" if problem == "day" else (problem or "rate")
            raise RateLimited(
                f"Xero's {what} limit for this organisation has been reached; it resets around "
                f"{resets:%H:%M on %d %b}. Try again after that.",
                problem=problem,
                retry_after=wait,
            )
        log.info("Xero rate limit (%s) reached; waiting %.0fs.", problem or "unknown", wait)
        return wait

    def _client_error(self, response: requests.Response, tenant_id: str | None) -> XeroRequestError:
        status = response.status_code
        body = _json_or_none(response)
        detail = error_text(response)
        if status == 403 and "AuthenticationUnsuccessful" in detail:
            return TenantUnavailable(
                "Xero refused access to this organisation: it is no longer connected to this app "
                "(or, for a demo company, it was reset). Refresh the organisation list, choose the "
                "organisation again, or reconnect.",
                status=status,
                detail=detail,
            )
        if status == 403:
            return XeroRequestError(
                "Xero refused the request: the sign-in lacks a permission it needs. Connect again "
                "and allow every requested permission.",
                status=status,
                detail=detail,
            )
        message = ""
        if isinstance(body, dict):
            message = outside_text(
                body.get("Message") or body.get("Detail") or body.get("Title") or ""
            )
        return XeroRequestError(
            f"Xero refused the request (HTTP {status})"
            + (f": {message.strip().rstrip('.')}." if message.strip() else "."),
            status=status,
            detail=detail,
        )


def _json_or_none(response: requests.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def _json(response: requests.Response) -> Any:
    if response.status_code == 204 or not response.content:
        return None
    body = _json_or_none(response)
    if body is None:
        raise XeroRequestError(
            "Xero sent an answer that is not JSON. Try again; if it persists, send the log to "
            "support.",
            status=response.status_code,
        )
    return body
