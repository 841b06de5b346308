"""Sign-in through the loopback against the sandbox: success and every way it can fail."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import requests

from maica_xero_desktop.core.errors import (
    AuthorizationCancelled,
    AuthorizationError,
    ConfigurationError,
    IntegrationDisabled,
)
from maica_xero_desktop.core.service import Service, internals
from maica_xero_desktop.sandbox import Sandbox

from .conftest import SandboxAdmin


def _files_text(folder: Path) -> str:
    return "\n".join(
        p.read_bytes().decode("utf-8", "replace") for p in folder.rglob("*") if p.is_file()
    )


def test_connect_lists_organisations_and_keeps_tokens_only_in_keyring(
    service: Service, home: Path, admin: SandboxAdmin
) -> None:
    shown: list[str] = []
    result = service.connect(shown.append, timeout=10)
    assert len(shown) == 1
    query = parse_qs(urlsplit(shown[0]).query)
    assert query["code_challenge_method"] == ["S256"]
    assert query["response_type"] == ["code"]
    assert "offline_access" in query["scope"][0].split()
    assert result.user is not None
    assert result.user.email == "admin@maica-care.example"
    names = {c.tenant_name for c in result.view.connections}
    assert names == {"Maica Care Services Pty Ltd", "Demo Company (AU)"}
    assert any("Choose the organisation" in m for m in result.view.messages)
    tokens = internals(service).secrets.load_tokens()
    assert tokens is not None
    assert tokens.expires_at > tokens.obtained_at + 1700
    text = _files_text(home)
    assert tokens.access_token not in text
    assert tokens.refresh_token not in text
    status = service.status()
    assert status.token_state == "valid"
    assert status.connected_as is not None
    assert admin.count("token.authorization_code") == 1


def test_use_by_name_then_by_id(connected: Service) -> None:
    chosen = connected.use("Demo Company (AU)")
    assert chosen["tenantName"] == "Demo Company (AU)"
    assert chosen["baseCurrency"] == "AUD"
    status = connected.status()
    assert status.active_tenant_name == "Demo Company (AU)"
    assert status.active_tenant_state == "ok"
    other = next(
        c for c in connected.connections().connections if c.tenant_name != "Demo Company (AU)"
    )
    connected.use(other.tenant_id.upper())
    assert connected.settings().active_tenant_id == other.tenant_id
    view = connected.connections()
    assert [c.tenant_id for c in view.connections if c.tenant_id == view.active_tenant_id]


def test_use_unknown_organisation_is_a_sentence(connected: Service) -> None:
    with pytest.raises(Exception, match="No connected Xero organisation matches 'Nope'"):
        connected.use("Nope")


def test_reconnect_keeps_the_active_organisation(connected: Service) -> None:
    connected.use("Demo Company (AU)")
    connected.connect(lambda url: None, timeout=10)
    assert connected.settings().active_tenant_name == "Demo Company (AU)"


def test_wrong_client_id_times_out_with_what_to_check(
    service: Service, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MAICA_XERO_CLIENT_ID", "0123456789ABCDEF0123456789ABCDEF")
    pages: list[requests.Response] = []

    def browser(url: str) -> bool:
        pages.append(requests.get(url, timeout=10))
        return True

    service._browser = browser
    with pytest.raises(AuthorizationError, match="check that the client id is right"):
        service.connect(lambda url: None, timeout=1.5)
    assert pages[0].status_code >= 400  # an error page at "Xero", never a redirect back
    assert internals(service).secrets.load_tokens() is None


def test_unregistered_redirect_port_times_out_naming_the_uri(service: Service) -> None:
    service.config_set("redirect-ports", "5799")
    service._browser = lambda url: requests.get(url, timeout=10).status_code >= 400
    with pytest.raises(AuthorizationError, match=r"http://localhost:5799/callback is registered"):
        service.connect(lambda url: None, timeout=1.5)


def test_broad_scopes_time_out_naming_the_scopes(service: Service) -> None:
    service.config_set(
        "scopes", "openid profile email offline_access accounting.transactions accounting.contacts"
    )
    service._browser = lambda url: requests.get(url, timeout=10).status_code >= 400
    with pytest.raises(AuthorizationError) as caught:
        service.connect(lambda url: None, timeout=1.5)
    assert "accepts the requested scopes" in caught.value.sentence
    assert "only granular ones" in caught.value.sentence
    assert "the scopes are a setting" in caught.value.sentence


def test_state_mismatch_is_explained(service: Service) -> None:
    def tampering_browser(url: str) -> bool:
        parts = urlsplit(url)
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        query["state"] = "forged-state"
        requests.get(parts._replace(query=urlencode(query)).geturl(), timeout=10)
        return True

    service._browser = tampering_browser
    with pytest.raises(AuthorizationError, match="state mismatch"):
        service.connect(lambda url: None, timeout=1.5)


def test_cancel_while_waiting(service: Service) -> None:
    service._browser = lambda url: True
    cancel = threading.Event()
    threading.Timer(0.3, cancel.set).start()
    with pytest.raises(AuthorizationCancelled):
        service.connect(lambda url: None, timeout=30, cancel=cancel)


def test_browser_failure_still_shows_the_url(service: Service) -> None:
    shown: list[str] = []

    def broken_browser(url: str) -> bool:
        raise OSError("no browser here")

    service._browser = broken_browser
    cancel = threading.Event()
    threading.Timer(0.3, cancel.set).start()
    with pytest.raises(AuthorizationCancelled):
        service.connect(shown.append, timeout=30, cancel=cancel)
    assert len(shown) == 1
    assert shown[0].startswith(internals(service).endpoints.authorize)


def test_missing_client_id_lists_redirect_uris(
    service: Service, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("MAICA_XERO_CLIENT_ID")
    with pytest.raises(ConfigurationError) as info:
        service.connect(lambda url: pytest.fail("no URL without a client id"), timeout=1)
    assert "http://localhost:5717/callback" in str(info.value)
    assert "Auth Code with PKCE" in str(info.value)


def test_disabled_refuses_before_anything(service: Service, admin: SandboxAdmin) -> None:
    service.set_enabled(False)
    with pytest.raises(IntegrationDisabled):
        service.connect(lambda url: None, timeout=1)
    assert admin.count("token.authorization_code") == 0


def test_logout_revokes_and_forgets(connected: Service, admin: SandboxAdmin) -> None:
    old = internals(connected).secrets.load_tokens()
    assert old is not None
    connected.use("Demo Company (AU)")
    assert connected.logout() is True
    assert admin.count("revocation") == 1
    assert internals(connected).secrets.load_tokens() is None
    status = connected.status()
    assert status.token_state == "none"
    assert status.active_tenant_id == ""
    # Xero dropped the grant: the old refresh token is dead.
    response = requests.post(
        internals(connected).endpoints.token,
        data={
            "grant_type": "refresh_token",
            "refresh_token": old.refresh_token,
            "client_id": connected.client_id(),
        },
        timeout=10,
    )
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"


def test_web_app_with_client_secret(
    make_service: Callable[..., Service], xero_env: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    web_id, web_secret = xero_env.config.web_client_id, xero_env.config.web_client_secret
    assert web_id
    assert web_secret
    monkeypatch.setenv("MAICA_XERO_CLIENT_ID", web_id)
    service = make_service()
    with pytest.raises(ConfigurationError, match=r"no client secret is saved"):
        service.connect(lambda url: None, timeout=10)
    service.set_client_secret(web_secret)
    assert service.config_get("client-secret") == "set"
    result = service.connect(lambda url: None, timeout=10)
    assert len(result.view.connections) == 2
