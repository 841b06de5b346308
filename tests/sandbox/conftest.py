from __future__ import annotations

from collections.abc import Iterator

import pytest

from maica_xero_desktop.sandbox import Sandbox, SandboxConfig

from .books import Books, sign_in
from .helpers import Flow

MAICA = SandboxConfig().organisations[0].tenant_id
DEMO = SandboxConfig().organisations[1].tenant_id


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


@pytest.fixture
def auto_sandbox() -> Iterator[Sandbox]:
    with Sandbox(SandboxConfig(port=0, auto_consent=True)) as sb:
        yield sb


@pytest.fixture
def books(auto_sandbox: Sandbox) -> Books:
    """Accounting API calls for the Maica organisation (token for both organisations)."""
    return Books(auto_sandbox, sign_in(auto_sandbox), MAICA)


@pytest.fixture
def demo_books(books: Books) -> Books:
    return Books(books.sandbox, books.token, DEMO)
