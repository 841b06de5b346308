from __future__ import annotations

from collections.abc import Iterator

import pytest

from maica_xero_desktop.sandbox import Sandbox, SandboxConfig

from .helpers import Flow


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    sb = Sandbox(SandboxConfig(port=0, state_file=None, auto_consent=False))
    sb.start()
    yield sb
    sb.stop()


@pytest.fixture
def flow(sandbox: Sandbox) -> Flow:
    return Flow(sandbox)


@pytest.fixture
def tokens(flow: Flow) -> dict[str, object]:
    """A signed-in token set for both default organisations."""
    return flow.connect()
