"""The Maica org's transport: the requests under simple-salesforce and under the sign-in.

simple-salesforce builds every URL as ``https://{instance host}/…`` from the instance URL. A
real org is https, so nothing changes there; an offline imitation on a loopback address speaks
plain http. :class:`SalesforceAdapter`, mounted for exactly the instance's ``https://host:port``
prefix, sends those requests over http — only when the instance URL itself was loopback http
(checked by :func:`..oauth.check_transport`, which refuses any other plain http). Every request
through the adapter is counted and its ``Sforce-Limit-Info`` (``api-usage=USED/MAX``) kept
(:class:`Meter`), and gets the default timeouts when the caller set none.

:class:`MaicaHttp` is the sign-in's transport (token, revoke, identity URL): timeouts, no
redirects, and network failures as one sentence. Nothing here logs a token.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter

from ..errors import ConfigurationError, SalesforceUnavailable
from ..oauth import check_transport, is_loopback_http
from ..redact import redact

log = logging.getLogger(__name__)

#: (connect, read) seconds for every request to the Maica org
DEFAULT_TIMEOUT = (10.0, 120.0)
_USAGE = re.compile(r"api-usage=(\d+)/(\d+)")


class Meter:
    """REST calls counted and the last ``Sforce-Limit-Info`` seen (any thread)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._calls = 0
        self._usage: tuple[int, int] | None = None

    @property
    def calls(self) -> int:
        with self._lock:
            return self._calls

    @property
    def usage(self) -> tuple[int, int] | None:
        with self._lock:
            return self._usage

    def count(self, response: requests.Response | None) -> None:
        usage = None
        if response is not None:
            found = _USAGE.search(response.headers.get("Sforce-Limit-Info", ""))
            if found:
                usage = (int(found.group(1)), int(found.group(2)))
        with self._lock:
            self._calls += 1
            if usage is not None:
                self._usage = usage


class SalesforceAdapter(HTTPAdapter):
    """The adapter for one instance: counts calls, reads the limits header, sets default
    timeouts, and (``plain_http``: the instance is a loopback-http imitation) sends the
    ``https://`` URLs simple-salesforce builds over http."""

    def __init__(self, meter: Meter, *, plain_http: bool) -> None:
        super().__init__()
        self._meter = meter
        self._plain_http = plain_http

    def send(
        self,
        request: requests.PreparedRequest,
        stream: bool = False,
        timeout: Any = None,
        verify: bool | str = True,
        cert: Any = None,
        proxies: Mapping[str, str] | None = None,
    ) -> requests.Response:
        if self._plain_http and request.url and request.url.startswith("https://"):
            request.url = "http://" + request.url[len("https://") :]
        response: requests.Response | None = None
        try:
            response = super().send(
                request,
                stream=stream,
                timeout=timeout if timeout is not None else DEFAULT_TIMEOUT,
                verify=verify,
                cert=cert,
                proxies=proxies,
            )
            return response
        finally:
            self._meter.count(response)


def mount_instance(session: requests.Session, instance_url: str, meter: Meter) -> None:
    """Route the instance's requests (as simple-salesforce builds them) through the adapter."""
    check_transport(instance_url, service="The Maica org's")
    parts = urlsplit(instance_url)
    if ":" in (parts.hostname or ""):
        # simple-salesforce rebuilds URLs from the bare host name, which loses an IPv6
        # literal's brackets
        raise ConfigurationError(
            f"The Maica org's address {instance_url} is an IPv6 address, which the Salesforce "
            "client cannot use: give the imitation's address as 127.0.0.1 or localhost."
        )
    netloc = parts.netloc.lower()
    if parts.port == 443:  # simple-salesforce drops the default port
        netloc = netloc.rsplit(":", 1)[0]
    adapter = SalesforceAdapter(meter, plain_http=is_loopback_http(instance_url))
    session.mount(f"https://{netloc}/", adapter)


def instance_session(instance_url: str, meter: Meter) -> requests.Session:
    """A ``requests.Session`` for simple-salesforce on ``instance_url``."""
    session = requests.Session()
    mount_instance(session, instance_url, meter)
    return session


class MaicaHttp:
    """The sign-in's transport (the ``send`` of :class:`..oauth.OAuthClient`): checks the
    transport rule, applies timeouts, never follows redirects, and turns network failures into
    :class:`SalesforceUnavailable`. Holds one ``requests.Session``; any thread."""

    def __init__(
        self, session: requests.Session | None = None, timeout: tuple[float, float] = (10.0, 60.0)
    ) -> None:
        self.session = session or requests.Session()
        self.timeout = timeout

    def send(
        self,
        method: str,
        url: str,
        *,
        headers: Mapping[str, str] | None = None,
        data: Mapping[str, str] | None = None,
        auth: tuple[str, str] | None = None,
    ) -> requests.Response:
        check_transport(url, service="The Maica org's")
        all_headers = {"Accept": "application/json", **dict(headers or {})}
        try:
            return self.session.request(
                method,
                url,
                headers=all_headers,
                data=data,
                auth=auth,
                timeout=self.timeout,
                allow_redirects=False,
            )
        except requests.RequestException as exc:
            log.info("%s %s failed: %s", method, _where(url), redact(type(exc).__name__))
            raise unreachable(
                exc, "Check the internet connection and the login address, then try again."
            ) from None

    def get_json(self, url: str, access_token: str) -> Any:
        """GET ``url`` with the bearer token; the JSON answer, or None when it is not 200 JSON."""
        check_transport(url, service="The Maica org's")
        try:
            response = self.session.get(
                url,
                headers={"Authorization": f"Bearer {access_token}", "Accept": "application/json"},
                timeout=self.timeout,
                allow_redirects=False,
            )
        except requests.RequestException as exc:
            log.info("GET %s failed: %s", _where(url), type(exc).__name__)
            return None
        if response.status_code != 200:
            log.info("GET %s answered %s", _where(url), response.status_code)
            return None
        try:
            return response.json()
        except ValueError:
            return None


def unreachable(exc: requests.RequestException, advice: str) -> SalesforceUnavailable:
    """A request to the Maica org that failed on the network, as the error users read: that the
    org did not answer in time or could not be reached, then ``advice``."""
    if isinstance(exc, requests.Timeout):
        sentence = "The Maica org did not answer in time."
    else:
        sentence = "The Maica org could not be reached."
    return SalesforceUnavailable(f"{sentence} {advice}", detail=type(exc).__name__)


def _where(url: str) -> str:
    """Scheme, host and path of ``url`` (never its query)."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}{parts.path}"
