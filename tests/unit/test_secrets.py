from __future__ import annotations

import logging
from pathlib import Path

import keyring
import pytest
from keyring.backend import KeyringBackend
from keyring.backends import fail

from maica_xero_desktop.core import redact
from maica_xero_desktop.core.errors import KeyringUnavailable
from maica_xero_desktop.core.secrets import (
    CHUNK,
    ConnectedUser,
    SecretStore,
    TokenSet,
    service_name,
)
from tests.support.memkeyring import MemoryKeyring


def _tokens(access: str = "a" * 1500, refresh: str = "refresh-token-value-1") -> TokenSet:
    return TokenSet(
        access_token=access,
        refresh_token=refresh,
        expires_at=1_000_000.0,
        obtained_at=998_200.0,
        scope=("openid", "offline_access"),
        user=ConnectedUser(name="Alex Nguyen", email="alex@example.com", xero_userid="u-1"),
    )


def test_token_set_round_trip_in_small_entries(memory_keyring: MemoryKeyring) -> None:
    store = SecretStore("/some/home")
    store.save_tokens(_tokens())
    loaded = store.load_tokens()
    assert loaded == _tokens()
    assert all(len(v) <= CHUNK for v in memory_keyring.entries.values())
    assert {k[0] for k in memory_keyring.entries} == {service_name("/some/home")}


def test_repr_never_shows_tokens() -> None:
    text = repr(_tokens(access="ACCESS-SECRET-XYZ", refresh="REFRESH-SECRET-XYZ"))
    assert "SECRET" not in text


def test_long_values_are_chunked_and_old_chunks_removed(memory_keyring: MemoryKeyring) -> None:
    store = SecretStore(None)
    long_value = "x" * (CHUNK * 3 + 5)
    store.set("webhook_key", long_value)
    assert store.get("webhook_key") == long_value
    assert max(len(v) for v in memory_keyring.entries.values()) <= CHUNK
    store.set("webhook_key", "short-value")
    assert store.get("webhook_key") == "short-value"
    assert list(memory_keyring.entries) == [("maica-xero-desktop", "webhook_key")]


def test_forget_tokens_removes_everything(memory_keyring: MemoryKeyring) -> None:
    store = SecretStore(None)
    store.save_tokens(_tokens(access="b" * 5000))
    store.forget_tokens()
    assert memory_keyring.entries == {}
    assert store.load_tokens() is None
    store.forget_tokens()  # forgetting twice is fine


def test_homes_do_not_share_entries(memory_keyring: MemoryKeyring) -> None:
    SecretStore("/home/a").save_tokens(_tokens(refresh="refresh-of-a-1234"))
    assert SecretStore("/home/b").load_tokens() is None
    assert SecretStore(None).load_tokens() is None


def test_no_backend_fails_early_with_a_sentence() -> None:
    keyring.set_keyring(fail.Keyring())
    with pytest.raises(KeyringUnavailable, match="No secure system keyring is available"):
        SecretStore(None).load_tokens()


def test_plaintext_backend_is_refused() -> None:
    class PlaintextKeyring(MemoryKeyring):
        pass

    keyring.set_keyring(PlaintextKeyring())
    with pytest.raises(KeyringUnavailable, match="cannot be kept safely"):
        SecretStore(None).set("client_secret", "s3cret-value")


def test_locked_keyring_says_unlock(memory_keyring: MemoryKeyring) -> None:
    memory_keyring.locked = True
    with pytest.raises(KeyringUnavailable, match=r"locked\. Unlock it"):
        SecretStore(None).get("client_secret")


def test_backend_error_is_a_sentence_without_the_secret(caplog: pytest.LogCaptureFixture) -> None:
    class Broken(MemoryKeyring):
        def set_password(self, service: str, username: str, password: str) -> None:
            raise RuntimeError(f"dbus exploded while storing {password}")

    keyring.set_keyring(Broken())
    caplog.set_level(logging.DEBUG)
    with pytest.raises(KeyringUnavailable) as info:
        SecretStore(None).set("client_secret", "VERY-SECRET-CLIENT-VALUE")
    assert "VERY-SECRET" not in str(info.value)
    assert "VERY-SECRET" not in info.value.detail
    assert "VERY-SECRET" not in caplog.text


def test_values_read_are_registered_for_redaction(memory_keyring: MemoryKeyring) -> None:
    memory_keyring.entries[("maica-xero-desktop", "webhook_key")] = "KEY-FROM-KEYRING-123"
    SecretStore(None).get("webhook_key")
    assert redact.redact("oops KEY-FROM-KEYRING-123 leaked") == "oops [redacted] leaked"


@pytest.mark.secret_service
def test_real_secret_service_round_trip(secret_service: KeyringBackend, tmp_path: Path) -> None:
    store = SecretStore(str(tmp_path))
    assert "SecretService" in store.check_backend()
    tokens = _tokens(access="j" * 2600)  # chunked, as on Windows-sized stores
    store.save_tokens(tokens)
    assert SecretStore(str(tmp_path)).load_tokens() == tokens
    store.set("client_secret", "secret-in-gnome-keyring")
    assert store.get("client_secret") == "secret-in-gnome-keyring"
    store.forget_tokens()
    store.delete("client_secret")
    assert store.load_tokens() is None
    assert store.get("client_secret") is None
    assert not any(tmp_path.rglob("*")), "nothing may be written to the home folder"
