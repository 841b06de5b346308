"""Core against the offline Xero sandbox, over real sockets."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from maica_xero_desktop.core.service import Service
from maica_xero_desktop.sandbox import Sandbox, SandboxConfig
from tests.support.exports import DEMO, SAMPLE


class SandboxAdmin:
    """The sandbox's test-only endpoints, as a test would call them over HTTP."""

    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox
        self.url = sandbox.base_url

    def post(self, path: str, body: dict[str, Any] | None = None) -> Any:
        response = requests.post(f"{self.url}/_sandbox/{path}", json=body or {}, timeout=10)
        response.raise_for_status()
        return response.json() if response.content else None

    def stats(self) -> dict[str, Any]:
        response = requests.get(f"{self.url}/_sandbox/stats", timeout=10)
        response.raise_for_status()
        result: dict[str, Any] = response.json()
        return result

    def count(self, name: str) -> int:
        calls = self.stats().get("calls", {})
        return int(calls.get(name, 0))

    def advance(self, seconds: float) -> None:
        self.post("clock", {"advance_seconds": seconds})


def follow(url: str) -> bool:
    """A browser with auto-consent: follow the authorize URL through to the loopback."""
    requests.get(url, timeout=10)
    return True


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    sb = Sandbox(SandboxConfig(port=0, auto_consent=True))
    sb.start()
    yield sb
    sb.stop()


@pytest.fixture
def admin(sandbox: Sandbox) -> SandboxAdmin:
    return SandboxAdmin(sandbox)


@pytest.fixture
def xero_env(sandbox: Sandbox, home: Path, monkeypatch: pytest.MonkeyPatch) -> Sandbox:
    for line in sandbox.env_lines():
        name, _, value = line.partition("=")
        monkeypatch.setenv(name, value)
    return sandbox


@pytest.fixture
def make_service(xero_env: Sandbox) -> Callable[..., Service]:
    def make(**kwargs: Any) -> Service:
        kwargs.setdefault("browser", follow)
        kwargs.setdefault("sleep", lambda seconds: None)
        service = Service(**kwargs)
        service.set_enabled(True)
        return service

    return make


@pytest.fixture
def service(make_service: Callable[..., Service]) -> Service:
    return make_service()


@pytest.fixture
def connected(service: Service) -> Service:
    service.connect(lambda url: None, timeout=10)
    return service


@pytest.fixture
def no_rate_limits(xero_env: Sandbox) -> None:
    """The sandbox's rate limits off: for tests that make many calls with a clock that never
    waits (``pytestmark = pytest.mark.usefixtures("no_rate_limits")``)."""
    xero_env.set_limits(enabled=False)


@pytest.fixture
def ready(connected: Service) -> Service:
    """Connected, the demo organisation chosen and the sample export imported."""
    connected.use(DEMO)
    connected.sync.import_file(SAMPLE)
    return connected


@pytest.fixture
def second_home(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, xero_env: Sandbox
) -> Callable[[Service, str], Service]:
    """Another installation (a new home named ``name``) signed in to the same Xero, the demo
    organisation chosen and the sample imported; the sandbox's clock moved past the
    Idempotency-Key's life, so only a lookup protects what the first one sent."""

    def make(first: Service, name: str) -> Service:
        monkeypatch.setenv("MAICA_XERO_HOME", str(tmp_path / name))
        other = Service(browser=first._browser, sleep=lambda s: None)
        other.set_enabled(True)
        other.connect(lambda url: None, timeout=10)
        other.use(DEMO)
        other.sync.import_file(SAMPLE)
        xero_env.advance_clock(400)
        return other

    return make
