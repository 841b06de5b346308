from __future__ import annotations

import pytest

from maica_xero_desktop.core.errors import ConfigurationError
from maica_xero_desktop.core.xero.endpoints import XeroEndpoints, check_transport


def test_defaults_are_xero() -> None:
    e = XeroEndpoints.from_env()
    assert e.authorize == "https://login.xero.com/identity/connect/authorize"
    assert e.token == "https://identity.xero.com/connect/token"
    assert e.revocation == "https://identity.xero.com/connect/revocation"
    assert e.connections == "https://api.xero.com/connections"
    assert e.accounting("Invoices") == "https://api.xero.com/api.xro/2.0/Invoices"
    assert not e.is_sandbox


def test_environment_overrides(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MAICA_XERO_LOGIN_URL", "http://127.0.0.1:9000/")
    monkeypatch.setenv("MAICA_XERO_IDENTITY_URL", "http://127.0.0.1:9000")
    monkeypatch.setenv("MAICA_XERO_API_URL", "http://localhost:9000")
    e = XeroEndpoints.from_env()
    assert e.authorize == "http://127.0.0.1:9000/identity/connect/authorize"
    assert e.connection("a/b") == "http://localhost:9000/connections/a%2Fb"
    assert e.is_sandbox


@pytest.mark.parametrize(
    "url", ["http://api.xero.com", "http://10.0.0.5:8000", "ftp://127.0.0.1", "http://example.com"]
)
def test_plain_http_is_refused_off_loopback(url: str) -> None:
    with pytest.raises(ConfigurationError, match="only reached over https"):
        check_transport(url)


@pytest.mark.parametrize("url", ["https://x.example", "http://127.0.0.1:1", "http://[::1]:5"])
def test_allowed_transports(url: str) -> None:
    check_transport(url)


def test_bad_environment_url_is_a_sentence(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MAICA_XERO_API_URL", "http://evil.example")
    with pytest.raises(ConfigurationError, match="MAICA_XERO_API_URL"):
        XeroEndpoints.from_env()
