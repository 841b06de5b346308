"""A wall-clock deadline for one request: a timer that cuts its connection when it passes.

requests' ``timeout`` bounds each wait for the network, not the request: an answer that trickles
a byte every few seconds never trips it. :class:`Watchdog` shuts the request's socket down at the
deadline, which ends any read or write blocked on it at once, wherever the request is (sending,
waiting for the status line and headers, or reading the body).

To know the socket before the answer arrives, :func:`track_connections` mounts an adapter whose
connection pools tell the watchdog of the calling thread which connection the request took. A
session with a custom adapter (a test transport) is left alone; then the socket is known once the
headers are in (from the response), which still bounds the body.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

__all__ = ["Watchdog", "track_connections"]


class _Current(threading.local):
    watchdog: Watchdog | None = None


_current = _Current()


class Watchdog:
    """Shuts the request's connection down after ``seconds`` (unless stopped first).

    Use it as a context manager around the request, so the pools can attach the connection.
    """

    def __init__(self, seconds: float) -> None:
        self.expired = threading.Event()
        self._lock = threading.Lock()
        self._stopped = False
        self._connection: Any = None
        self._timer = threading.Timer(max(0.0, seconds), self._fire)
        self._timer.daemon = True

    def __enter__(self) -> Watchdog:
        _current.watchdog = self
        self._timer.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def attach(self, connection: Any) -> None:
        with self._lock:
            self._connection = connection

    def attach_response(self, response: requests.Response) -> None:
        """For an adapter that did not tell: the connection behind the answer."""
        if self._connection is None:
            connection = getattr(response.raw, "connection", None)
            if connection is not None:
                self.attach(connection)

    def _fire(self) -> None:
        with self._lock:
            if self._stopped:
                return
            self.expired.set()
        if not self._cut():
            # no socket yet (still connecting, or the adapter did not tell): look again shortly
            again = threading.Timer(0.05, self._fire)
            again.daemon = True
            again.start()

    def _cut(self) -> bool:
        sock = getattr(self._connection, "sock", None)
        if not isinstance(sock, socket.socket):
            return False
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)
        return True

    def stop(self) -> None:
        with self._lock:
            self._stopped = True
        self._timer.cancel()
        if _current.watchdog is self:
            _current.watchdog = None


class _TrackedHTTPPool(HTTPConnectionPool):
    def _get_conn(self, timeout: float | None = None) -> Any:
        connection = super()._get_conn(timeout)
        watchdog = _current.watchdog
        if watchdog is not None:
            watchdog.attach(connection)
        return connection


class _TrackedHTTPSPool(HTTPSConnectionPool):
    def _get_conn(self, timeout: float | None = None) -> Any:
        connection = super()._get_conn(timeout)
        watchdog = _current.watchdog
        if watchdog is not None:
            watchdog.attach(connection)
        return connection


_POOLS = {"http": _TrackedHTTPPool, "https": _TrackedHTTPSPool}


class _TrackingAdapter(HTTPAdapter):
    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = dict(_POOLS)

    def proxy_manager_for(self, proxy: str, **proxy_kwargs: Any) -> Any:
        manager = super().proxy_manager_for(proxy, **proxy_kwargs)
        if hasattr(manager, "pool_classes_by_scheme"):
            manager.pool_classes_by_scheme = dict(_POOLS)
        return manager


def track_connections(session: requests.Session) -> None:
    """Mount the tracking adapter where the session has requests' own (and only there)."""
    for prefix in ("https://", "http://"):
        if type(session.adapters.get(prefix)) is HTTPAdapter:
            session.mount(prefix, _TrackingAdapter())
