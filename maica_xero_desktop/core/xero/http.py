"""The lowest layer: every request to Xero passes through :class:`XeroHttp`.

It refuses to send anything while the integration is off, enforces the transport rule, applies
timeouts, and turns network failures into sentences. Nothing it raises or logs contains a secret.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any

import requests

from ... import __version__
from ..errors import IntegrationDisabled, XeroUnavailable
from ..redact import redact
from .endpoints import check_transport

log = logging.getLogger(__name__)

USER_AGENT = f"MaicaXeroDesktop/{__version__}"
#: (connect, read) seconds.
DEFAULT_TIMEOUT = (10.0, 60.0)


class XeroHttp:
    def __init__(
        self,
        session: requests.Session,
        is_enabled: Callable[[], bool],
        timeout: tuple[float, float] = DEFAULT_TIMEOUT,
    ) -> None:
        self.session = session
        self._is_enabled = is_enabled
        self.timeout = timeout

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
        try:
            response = self.session.request(
                method,
                url,
                headers=all_headers,
                params=params,
                data=data,
                json=json,
                auth=auth,
                timeout=self.timeout,
                allow_redirects=False,
            )
        except requests.RequestException as exc:
            log.info("%s %s failed: %s", method, url, redact(str(exc)))
            raise XeroUnavailable(_network_sentence(exc), detail=type(exc).__name__) from None
        log.debug("%s %s -> %s", method, url, response.status_code)
        return response


def _network_sentence(exc: requests.RequestException) -> str:
    if isinstance(exc, requests.Timeout):
        return "Xero did not answer in time. Check the internet connection and try again."
    if isinstance(exc, requests.ConnectionError):
        return "Xero could not be reached. Check the internet connection and try again."
    return "The request to Xero failed. Try again; if it keeps failing, send the log to support."


def error_text(response: requests.Response, limit: int = 300) -> str:
    """A short, redacted excerpt of an error body, for details and logs."""
    try:
        body = response.text
    except Exception:
        body = ""
    return redact(body[:limit])
