"""The lowest layer: every request to Xero passes through :class:`XeroHttp`.

It refuses to send anything while the integration is off, enforces the transport rule, applies
timeouts, and turns network failures into sentences. Nothing it raises or logs contains a secret.

Every answer is bounded: its body is streamed with a byte cap (:data:`MAX_ANSWER_BYTES`, after
decompression) and the whole request has a wall-clock deadline (:data:`DEFAULT_DEADLINE_S`): a
timer shuts the connection down when it passes, so an answer that trickles a byte at a time ends as
surely as one that stops. Both are :class:`XeroUnavailable` (:class:`AnswerTooLarge`,
:class:`AnswerTooSlow`): to a write, an unread answer means "Xero may have done it", which the
client reports as unknown so that the sync looks it up instead of sending again.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any

import requests

from ... import __version__
from ..errors import IntegrationDisabled, XeroUnavailable
from ..redact import redact
from ..textsafe import printable
from .deadline import Watchdog, track_connections
from .endpoints import check_transport

log = logging.getLogger(__name__)

USER_AGENT = f"MaicaXeroDesktop/{__version__}"
#: (connect, read) seconds: the longest wait for a connection, and for any one read.
DEFAULT_TIMEOUT = (10.0, 60.0)
#: The longest a whole request may take, from sending it to the last byte of the answer.
DEFAULT_DEADLINE_S = 120.0
#: The largest answer read (Xero's biggest, a page of 100 invoices with their lines, is a few MB).
MAX_ANSWER_BYTES = 50_000_000
_CHUNK = 1 << 16


class AnswerTooLarge(XeroUnavailable):
    """Xero's answer was larger than the cap: it was not read (and is not worth retrying)."""


class AnswerTooSlow(XeroUnavailable):
    """Xero's answer did not arrive within the deadline."""


class XeroHttp:
    """The transport under every Xero request (API and identity alike).

    Owns the ``requests.Session`` (its connection pool), the timeouts, the deadline and the
    answer cap. Never sends while the integration is off (:class:`IntegrationDisabled`), never
    over plain http except to a loopback address, never retries (the client decides) and never
    lets a secret into a log or an error.

    Threads: shared by every thread of the process; it holds no per-request state (the deadline's
    watchdog is per request)."""

    def __init__(
        self,
        session: requests.Session,
        is_enabled: Callable[[], bool],
        timeout: tuple[float, float] = DEFAULT_TIMEOUT,
        *,
        deadline: float = DEFAULT_DEADLINE_S,
        max_bytes: int = MAX_ANSWER_BYTES,
    ) -> None:
        self.session = session
        self._is_enabled = is_enabled
        self.timeout = timeout
        self.deadline = deadline
        self.max_bytes = max_bytes
        track_connections(session)

    def ensure_enabled(self) -> None:
        if not self._is_enabled():
            raise IntegrationDisabled()

    def send(
        self,
        method: str,
        url: str,
        *,
        headers: Mapping[str, str] | None = None,
        params: Mapping[str, Any] | None = None,
        data: Mapping[str, str] | None = None,
        json: Any = None,
        auth: tuple[str, str] | None = None,
    ) -> requests.Response:
        self.ensure_enabled()
        check_transport(url)
        all_headers = {"User-Agent": USER_AGENT, "Accept": "application/json"}
        all_headers.update(headers or {})
        connect, read = self.timeout
        with Watchdog(self.deadline) as watchdog:
            try:
                response = self.session.request(
                    method,
                    url,
                    headers=all_headers,
                    params=params,
                    data=data,
                    json=json,
                    auth=auth,
                    timeout=(min(connect, self.deadline), min(read, self.deadline)),
                    allow_redirects=False,
                    stream=True,
                )
            except requests.RequestException as exc:
                if watchdog.expired.is_set():
                    raise self._too_slow(method, url) from None
                log.info("%s %s failed: %s", method, url, redact(str(exc)))
                raise XeroUnavailable(_network_sentence(exc), detail=type(exc).__name__) from None
            watchdog.attach_response(response)
            self._read_body(response, watchdog, method, url)
        log.debug("%s %s -> %s", method, url, response.status_code)
        return response

    def _read_body(
        self, response: requests.Response, watchdog: Watchdog, method: str, url: str
    ) -> None:
        """Read the answer into ``response.content``, within the byte cap and the deadline."""
        already = getattr(response, "_content", False)
        if isinstance(already, bytes):  # a transport that read the answer itself
            if len(already) > self.max_bytes:
                raise self._too_large(method, url)
            return
        declared = response.headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > self.max_bytes:
            response.close()
            raise self._too_large(method, url)
        chunks: list[bytes] = []
        size = 0
        try:
            for chunk in response.iter_content(_CHUNK):
                size += len(chunk)
                if size > self.max_bytes:
                    raise self._too_large(method, url)
                if watchdog.expired.is_set():
                    break
                chunks.append(chunk)
        except XeroUnavailable:
            watchdog.stop()
            response.close()
            raise
        except Exception as exc:  # requests, urllib3, ssl or socket errors of a cut answer
            watchdog.stop()
            response.close()
            if watchdog.expired.is_set():
                raise self._too_slow(method, url) from None
            log.info("%s %s: the answer broke off: %s", method, url, type(exc).__name__)
            raise XeroUnavailable(
                "Xero's answer broke off before it was complete. Check the internet connection "
                "and try again.",
                detail=type(exc).__name__,
            ) from None
        watchdog.stop()
        if watchdog.expired.is_set():  # an answer without a length ends when its socket does
            response.close()
            raise self._too_slow(method, url)
        response._content = b"".join(chunks)
        response._content_consumed = True  # type: ignore[attr-defined]

    def _too_large(self, method: str, url: str) -> AnswerTooLarge:
        log.warning("%s %s: the answer is over %d bytes; not read.", method, url, self.max_bytes)
        return AnswerTooLarge(
            f"Xero's answer was larger than {self.max_bytes / 1e6:g} MB, so it was not read. "
            "Try again later; if it keeps happening, send the log to support.",
            detail="answer too large",
        )

    def _too_slow(self, method: str, url: str) -> AnswerTooSlow:
        log.warning("%s %s: no complete answer within %gs.", method, url, self.deadline)
        return AnswerTooSlow(
            f"Xero's answer did not arrive within {self.deadline:g} "
            f"second{'' if self.deadline == 1 else 's'}. Check the "
            "internet connection and try again.",
            detail="answer too slow",
        )


def _network_sentence(exc: requests.RequestException) -> str:
    if isinstance(exc, requests.Timeout):
        return "Xero did not answer in time. Check the internet connection and try again."
    if isinstance(exc, requests.ConnectionError):
        return "Xero could not be reached. Check the internet connection and try again."
    return "The request to Xero failed. Try again; if it keeps failing, send the log to support."


def error_text(response: requests.Response, limit: int = 300) -> str:
    """A short, redacted and escaped excerpt of an error body, for details and logs."""
    try:
        body = response.text
    except Exception:
        body = ""
    return printable(redact(body[:limit]))


def outside_text(value: object, limit: int = 200) -> str:
    """Text from Xero (a message, an error code) as it may appear in a sentence: redacted,
    escaped, and cut when long."""
    text = printable(redact(str(value))).strip()
    return text if len(text) <= limit else text[: limit - 1] + "…"
