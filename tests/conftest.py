"""Fixtures shared by every test: a private home, an in-memory keyring, a real Secret Service."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import keyring
import pytest
from keyring.backend import KeyringBackend

from tests.support.memkeyring import MemoryKeyring

CONTRACT_ENV = (
    "MAICA_XERO_HOME",
    "MAICA_XERO_CLIENT_ID",
    "MAICA_XERO_LOGIN_URL",
    "MAICA_XERO_IDENTITY_URL",
    "MAICA_XERO_API_URL",
    "MAICA_XERO_SF_LOGIN_URL",
    "MAICA_XERO_SF_CLIENT_ID",
    "PYTHON_KEYRING_BACKEND",
)


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in CONTRACT_ENV:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(autouse=True)
def memory_keyring(request: pytest.FixtureRequest) -> Iterator[MemoryKeyring | None]:
    """Unit tests get a fresh in-memory keyring, unless they ask for the real Secret Service."""
    if request.node.get_closest_marker("secret_service"):
        yield None
        return
    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "home"
    monkeypatch.setenv("MAICA_XERO_HOME", str(folder))
    return folder


def _secret_service_backend() -> KeyringBackend | None:
    if not os.environ.get("DBUS_SESSION_BUS_ADDRESS"):
        return None
    try:
        from keyring.backends import SecretService

        backend = SecretService.Keyring()
        if backend.priority <= 0:
            return None
        backend.set_password("maica-xero-desktop-test", "probe", "probe")
        backend.delete_password("maica-xero-desktop-test", "probe")
    except Exception:
        return None
    return backend


@pytest.fixture
def secret_service() -> Iterator[KeyringBackend]:
    """The real Secret Service (gnome-keyring in scripts/test's D-Bus session) as the keyring."""
    backend = _secret_service_backend()
    if backend is None:
        message = "no unlocked Secret Service on the session bus (run the tests with scripts/test)"
        if os.environ.get("MAICA_XERO_REQUIRE_SECRET_SERVICE"):
            pytest.fail(message)
        pytest.skip(message)
    previous = keyring.get_keyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)


@pytest.fixture(autouse=True)
def _drop_log_handlers() -> Iterator[None]:
    """main() installs the product's log handlers on the root logger; take them off after."""
    yield
    import logging

    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, "_maica", False):
            root.removeHandler(handler)
            handler.close()
