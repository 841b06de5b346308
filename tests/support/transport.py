"""A requests transport that fails the test if anything is sent through it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import requests
from requests.adapters import BaseAdapter


class NoNetwork(BaseAdapter):
    def __init__(self) -> None:
        super().__init__()
        self.attempts: list[str] = []

    def send(
        self,
        request: requests.PreparedRequest,
        stream: bool = False,
        timeout: float | tuple[float, float] | tuple[float, None] | None = None,
        verify: bool | str = True,
        cert: bytes | str | tuple[bytes | str, bytes | str] | None = None,
        proxies: Mapping[str, str] | None = None,
    ) -> requests.Response:
        self.attempts.append(f"{request.method} {request.url}")
        raise AssertionError(
            f"a request was sent while it must not be: {request.method} {request.url}"
        )

    def close(self) -> None:
        pass


def no_network_session() -> tuple[requests.Session, NoNetwork]:
    session = requests.Session()
    adapter = NoNetwork()
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session, adapter


def unused(*_: Any) -> bool:
    raise AssertionError("the browser must not be opened")
