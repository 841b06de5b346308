"""The session with the Maica org: simple-salesforce on the tokens of :class:`MaicaSignIn`.

:meth:`MaicaSession.run` hands a ``simple_salesforce.Salesforce`` to a callback. When the org
answers ``INVALID_SESSION_ID`` (401), it renews the access token once (under the cross-process
lock of :meth:`MaicaSignIn.renew`) and calls the callback once more; a refused renewal is
:class:`MaicaNeedsReconnect`. Salesforce's refusals that escape the callback become the product's
errors: ``REQUEST_LIMIT_EXCEEDED`` is :class:`SalesforceLimitExceeded`, a network failure
:class:`SalesforceUnavailable`, any other :class:`SalesforceError` with Salesforce's code and
message. Every REST call is counted (:attr:`MaicaSession.calls`) and the last
``Sforce-Limit-Info`` kept (:meth:`MaicaSession.api_usage`).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any, TypeVar

import requests
from simple_salesforce.api import Salesforce
from simple_salesforce.exceptions import SalesforceError as SimpleSalesforceError
from simple_salesforce.exceptions import SalesforceExpiredSession

from ..errors import (
    MaicaNeedsReconnect,
    SalesforceError,
    SalesforceLimitExceeded,
    SalesforceUnavailable,
)
from ..secrets import MaicaTokens
from ..textsafe import printable
from .auth import API_VERSION, MaicaSignIn
from .text import outside
from .transport import Meter, mount_instance, unreachable

__all__ = ["MaicaSession", "salesforce_error"]

log = logging.getLogger(__name__)

T = TypeVar("T")


class MaicaSession:
    """simple-salesforce on the Maica sign-in's tokens; one per :class:`Service`.

    Owns one ``requests.Session`` (its connection pool, with the instance's adapter mounted) and
    the call meter; reads the tokens from the keyring through the sign-in and never stores one.
    Threads: any; the ``Salesforce`` object is rebuilt when the access token or the instance
    changes (under a lock), and a renewal is serialised by the sign-in."""

    def __init__(self, signin: MaicaSignIn) -> None:
        self._signin = signin
        self._meter = Meter()
        self._lock = threading.Lock()
        self._session = requests.Session()
        self._mounted = ""
        self._client: tuple[str, str, Salesforce] | None = None

    @property
    def calls(self) -> int:
        """REST calls made through this session so far (all threads); never goes down."""
        return self._meter.calls

    def api_usage(self) -> tuple[int, int] | None:
        """The org's API usage as last reported: (used, max) from ``Sforce-Limit-Info``."""
        return self._meter.usage

    def raw(self) -> requests.Session:
        """The transport under simple-salesforce (the instance's adapter mounted; no token:
        callers add ``Authorization`` themselves). For what simple-salesforce lacks."""
        self._salesforce(self._signin.tokens())
        return self._session

    def _salesforce(self, tokens: MaicaTokens) -> Salesforce:
        with self._lock:
            if self._mounted != tokens.instance_url:
                mount_instance(self._session, tokens.instance_url, self._meter)
                self._mounted = tokens.instance_url
            cached = self._client
            if cached and cached[0] == tokens.instance_url and cached[1] == tokens.access_token:
                return cached[2]
            client = Salesforce(
                instance_url=tokens.instance_url,
                session_id=tokens.access_token,
                version=API_VERSION,
                session=self._session,
            )
            self._client = (tokens.instance_url, tokens.access_token, client)
            return client

    def run(self, fn: Callable[[Salesforce], T]) -> T:
        """``fn(salesforce)``, renewing the session once on ``INVALID_SESSION_ID``."""
        tokens = self._signin.tokens()
        try:
            try:
                return fn(self._salesforce(tokens))
            except SalesforceExpiredSession:
                log.info("The Maica org ended the session; renewing it once.")
            fresh = self._signin.renew(rejected=tokens.access_token)
            try:
                return fn(self._salesforce(fresh))
            except SalesforceExpiredSession as exc:
                raise MaicaNeedsReconnect(
                    "The Maica org refused the renewed session too.",
                    detail=_detail(exc),
                ) from None
        except SimpleSalesforceError as exc:
            raise salesforce_error(exc, self._meter.usage) from None
        except requests.RequestException as exc:
            log.info("A request to the Maica org failed: %s", type(exc).__name__)
            raise unreachable(exc, "Check the internet connection and try again.") from None


def _errors(exc: SimpleSalesforceError) -> list[dict[str, Any]]:
    content: Any = exc.content  # typed bytes; simple-salesforce passes the parsed JSON
    if isinstance(content, dict):
        content = [content]
    if isinstance(content, list):
        return [item for item in content if isinstance(item, dict)]
    return []


def _detail(exc: SimpleSalesforceError) -> str:
    found = _errors(exc)
    code = str(found[0].get("errorCode", "")) if found else ""
    return printable(f"HTTP {exc.status} {code} {exc.resource_name}".strip())[:300]


def salesforce_error(
    exc: SimpleSalesforceError, usage: tuple[int, int] | None = None
) -> SalesforceError:
    """The product's error for a refusal simple-salesforce raised (one sentence, Salesforce's
    message escaped and cut short)."""
    found = _errors(exc)
    code = outside(found[0].get("errorCode", ""), 80) if found else ""
    message = outside(found[0].get("message", ""), 300).rstrip(".") if found else ""
    detail = _detail(exc)
    if code == "REQUEST_LIMIT_EXCEEDED":
        used, limit = usage if usage else (None, None)
        return SalesforceLimitExceeded(used, limit, detail=detail)
    status = int(exc.status or 0)
    if status >= 500:
        return SalesforceUnavailable(
            "The Maica org answered with a server error"
            f"{f' ({code})' if code else ''}. Try again in a few minutes.",
            detail=detail,
            status=status,
            error_code=code,
        )
    said = f": {message}" if message else ""
    return SalesforceError(
        f"The Maica org refused the request ({code or f'HTTP {status}'}){said}.",
        detail=detail,
        status=status,
        error_code=code,
    )
