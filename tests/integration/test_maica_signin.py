"""The Maica org's sign-in and session against the sandbox's offline org, over real sockets:
connect through the browser (auto-consent), the session on simple-salesforce, renewal on an
expired session (once, even for two at once), invalid_grant, a wrong consumer key, the limit,
revoke on disconnect, and no token in any file."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import requests
from simple_salesforce.api import Salesforce

from maica_xero_desktop.core.errors import (
    AuthorizationError,
    ConfigurationError,
    MaicaNeedsReconnect,
    MaicaNotConnected,
    Remedy,
    SalesforceError,
    SalesforceLimitExceeded,
)
from maica_xero_desktop.core.maica.auth import MaicaSignIn
from maica_xero_desktop.core.maica.session import MaicaSession
from maica_xero_desktop.core.maica.transport import MaicaHttp
from maica_xero_desktop.core.oauth import NEVER_SET
from maica_xero_desktop.core.secrets import SF_ACCESS, SF_META, SF_REFRESH
from maica_xero_desktop.core.service import Service, internals
from maica_xero_desktop.sandbox import Sandbox
from tests.integration.conftest import follow
from tests.support.memkeyring import MemoryKeyring


class Maica:
    """A Maica sign-in and session on the service's home (as Service wires them)."""

    def __init__(self, service: Service, browser: Callable[[str], bool] = follow) -> None:
        parts = internals(service)
        self.signin = MaicaSignIn(
            parts.settings_store,
            parts.secrets,
            service.paths.data_dir / "maica-token.lock",
            browser=browser,
        )
        self.session = MaicaSession(self.signin)
        self.service = service


@pytest.fixture
def maica(service: Service) -> Maica:
    return Maica(service)


@pytest.fixture
def signed_in(maica: Maica) -> Maica:
    maica.signin.connect(lambda url: None, timeout=10)
    return maica


def _count(sandbox: Sandbox, name: str) -> int:
    return int(sandbox.maica_stats()["calls"].get(name, 0))


def _invoice_ids(sf: Salesforce) -> list[str]:
    found = sf.query_all("SELECT Id, Name FROM maica_cc__Invoice__c")
    return [str(r["Id"]) for r in found["records"]]


def test_connect_keeps_the_sign_in_in_the_keyring_and_shows_who(
    maica: Maica, xero_env: Sandbox, memory_keyring: MemoryKeyring, home: Path
) -> None:
    urls: list[str] = []
    identity = maica.signin.connect(urls.append, timeout=10)
    assert urls[0].startswith(f"{xero_env.base_url}/services/oauth2/authorize?")
    assert "code_challenge_method=S256" in urls[0]
    assert identity.user == "Alex Nguyen"
    assert identity.org_name == "Maica Care Services"
    assert identity.instance_url == xero_env.base_url
    assert identity.org_id.startswith("00D")
    settings = maica.service.settings()
    assert (settings.sf_user, settings.sf_org_name) == ("Alex Nguyen", "Maica Care Services")
    assert maica.signin.identity() == identity
    names = {name for (_, name) in memory_keyring.entries}
    assert {SF_REFRESH, SF_ACCESS, SF_META} <= names
    assert _count(xero_env, "token.authorization_code") == 1

    ids = maica.session.run(_invoice_ids)
    assert ids
    assert maica.session.calls >= 1
    usage = maica.session.api_usage()
    assert usage is not None
    assert usage[1] == 15000

    tokens = [v for (_, name), v in memory_keyring.entries.items() if name != SF_META]
    everything = "".join(
        p.read_bytes().decode("utf-8", "replace") for p in home.rglob("*") if p.is_file()
    )
    assert tokens
    assert not [t[:4] for t in tokens if len(t) > 8 and t in everything]
    for name in NEVER_SET:
        assert name not in __import__("os").environ


def test_an_expired_session_is_renewed_once_and_the_call_repeated(
    signed_in: Maica, xero_env: Sandbox, memory_keyring: MemoryKeyring
) -> None:
    before = signed_in.signin.tokens()
    assert signed_in.session.run(_invoice_ids)
    xero_env.maica_expire_sessions()
    seen: list[int] = []

    def query(sf: Salesforce) -> list[str]:
        seen.append(1)
        return _invoice_ids(sf)

    assert signed_in.session.run(query)
    assert len(seen) == 2  # refused once, then repeated with the renewed session
    after = signed_in.signin.tokens()
    assert after.access_token != before.access_token
    assert after.refresh_token == before.refresh_token  # Salesforce does not rotate it
    assert _count(xero_env, "token.refresh_token") == 1


def test_two_sessions_on_one_sign_in_renew_once(signed_in: Maica, xero_env: Sandbox) -> None:
    other = Maica(signed_in.service)
    assert signed_in.session.run(_invoice_ids)
    assert other.session.run(_invoice_ids)
    xero_env.maica_expire_sessions()
    start = threading.Barrier(2)
    results: list[Any] = []

    def work(session: MaicaSession) -> None:
        start.wait()
        try:
            results.append(session.run(_invoice_ids))
        except Exception as exc:
            results.append(exc)

    threads = [threading.Thread(target=work, args=(m.session,)) for m in (signed_in, other)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert all(isinstance(r, list) and r for r in results), results
    assert _count(xero_env, "token.refresh_token") == 1


def test_a_refused_refresh_token_asks_to_reconnect(
    signed_in: Maica, xero_env: Sandbox, memory_keyring: MemoryKeyring
) -> None:
    refresh_token = signed_in.signin.tokens().refresh_token
    answer = requests.post(
        f"{xero_env.base_url}/services/oauth2/revoke", data={"token": refresh_token}, timeout=10
    )
    assert answer.status_code == 200  # revoked behind the product's back
    with pytest.raises(MaicaNeedsReconnect) as caught:
        signed_in.session.run(_invoice_ids)
    assert caught.value.remedy is Remedy.RECONNECT_MAICA
    assert "no longer accepts" in caught.value.sentence
    settings = signed_in.service.settings()
    assert settings.sf_needs_reconnect
    assert settings.sf_needs_reconnect_reason
    assert signed_in.signin.identity() is None
    assert not [name for (_, name) in memory_keyring.entries if name.startswith("sf_")]
    with pytest.raises(MaicaNeedsReconnect, match="no longer accepts"):  # until connected again
        signed_in.session.run(_invoice_ids)
    signed_in.signin.connect(lambda url: None, timeout=10)
    assert not signed_in.service.settings().sf_needs_reconnect
    assert signed_in.session.run(_invoice_ids)


def test_not_connected_says_so(maica: Maica, xero_env: Sandbox) -> None:
    with pytest.raises(MaicaNotConnected) as caught:
        maica.session.run(_invoice_ids)
    assert caught.value.remedy is Remedy.CONNECT_MAICA
    assert maica.signin.identity() is None
    assert not any(xero_env.maica_stats()["calls"].values())  # nothing was sent


def test_a_wrong_consumer_key_times_out_saying_what_to_check(
    maica: Maica, xero_env: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MAICA_XERO_SF_CLIENT_ID", "3MVG9NotTheRightKeyAtAll0000")
    pages: list[int] = []

    def browser(url: str) -> bool:
        pages.append(requests.get(url, timeout=10).status_code)  # Salesforce's error page
        return True

    maica.signin = Maica(maica.service, browser=browser).signin
    with pytest.raises(AuthorizationError) as caught:
        maica.signin.connect(lambda url: None, timeout=1.5)
    sentence = caught.value.sentence
    assert sentence.startswith("No reply came back from the Maica org within 1.5 seconds.")
    assert "consumer key" in sentence
    assert re.search(
        r"callback URL http://localhost:57(1[7-9]|2[01])/callback is registered", sentence
    )
    assert pages == [400]
    assert maica.signin.identity() is None


def test_without_a_consumer_key_the_remedy_is_to_create_the_app(
    maica: Maica, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("MAICA_XERO_SF_CLIENT_ID")
    with pytest.raises(ConfigurationError) as caught:
        maica.signin.connect(lambda url: pytest.fail("no URL without a key"), timeout=5)
    assert caught.value.remedy is Remedy.SET_SF_CLIENT_ID
    assert "http://localhost:5717/callback" in caught.value.sentence
    assert "External Client App" in caught.value.sentence


def test_a_real_login_host_over_http_is_refused_before_anything(
    maica: Maica, xero_env: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = xero_env.maica_stats()["calls"]
    for url in ("http://login.salesforce.com", "http://example.com"):
        with pytest.raises(ConfigurationError, match="https only"):
            maica.signin.connect(lambda url: pytest.fail("no URL"), login_url=url, timeout=5)
    monkeypatch.setenv("MAICA_XERO_SF_LOGIN_URL", "http://my-org.my.salesforce.com")
    with pytest.raises(ConfigurationError, match="https only"):
        maica.signin.connect(lambda url: pytest.fail("no URL"), timeout=5)
    # a path, query or fragment would make a broken authorization URL: refused the same way
    for url in (
        "https://login.salesforce.com?next=1",
        "https://login.salesforce.com/#x",
        "https://acme.my.salesforce.com/services/oauth2",
    ):
        monkeypatch.setenv("MAICA_XERO_SF_LOGIN_URL", url)
        with pytest.raises(ConfigurationError, match="My Domain"):
            maica.signin.connect(lambda url: pytest.fail("no URL"), timeout=5)
    assert xero_env.maica_stats()["calls"] == before


def test_the_daily_limit_stops_with_a_sentence(signed_in: Maica, xero_env: Sandbox) -> None:
    assert signed_in.session.run(_invoice_ids)
    xero_env.maica_set_limits(daily=100, used=100)
    with pytest.raises(SalesforceLimitExceeded) as caught:
        signed_in.session.run(_invoice_ids)
    assert "daily Salesforce API budget is used up" in caught.value.sentence
    assert caught.value.remedy is Remedy.WAIT_FOR_SF_LIMIT


def test_other_refusals_are_one_sentence_with_salesforces_code(signed_in: Maica) -> None:
    with pytest.raises(SalesforceError) as caught:
        signed_in.session.run(
            lambda sf: sf.query("SELECT No_Such_Field__c FROM maica_cc__Invoice__c")
        )
    assert caught.value.error_code == "INVALID_FIELD"
    assert caught.value.sentence.startswith("The Maica org refused the request (INVALID_FIELD)")
    assert "\n" not in caught.value.sentence


def test_disconnect_revokes_and_forgets(
    signed_in: Maica, xero_env: Sandbox, memory_keyring: MemoryKeyring
) -> None:
    refresh_token = signed_in.signin.tokens().refresh_token
    assert signed_in.signin.disconnect() is None
    assert _count(xero_env, "revoke") == 1
    assert signed_in.signin.identity() is None
    assert not [name for (_, name) in memory_keyring.entries if name.startswith("sf_")]
    settings = signed_in.service.settings()
    assert (settings.sf_user, settings.sf_org_name) == ("", "")
    refused = requests.post(
        f"{xero_env.base_url}/services/oauth2/token",
        data={
            "grant_type": "refresh_token",
            "refresh_token": refresh_token,
            "client_id": xero_env.config.sf_client_id,
        },
        timeout=10,
    )
    assert refused.status_code == 400
    assert refused.json()["error"] == "invalid_grant"


def test_disconnect_signs_out_here_even_when_the_org_is_unreachable(
    signed_in: Maica, xero_env: Sandbox, memory_keyring: MemoryKeyring
) -> None:
    xero_env.stop()
    problem = signed_in.signin.disconnect()
    assert problem is not None
    assert problem.startswith("The Maica org could not be reached.")
    assert "forgot the sign-in anyway" in problem
    assert signed_in.signin.identity() is None
    assert not [name for (_, name) in memory_keyring.entries if name.startswith("sf_")]


@pytest.mark.secret_service
def test_the_sign_in_lives_in_the_real_secret_service(
    secret_service: Any, service: Service, xero_env: Sandbox
) -> None:
    maica = Maica(service)
    maica.signin.connect(lambda url: None, timeout=10)
    try:
        keyring_name = internals(service).secrets.service
        assert secret_service.get_password(keyring_name, SF_REFRESH)
        assert maica.session.run(_invoice_ids)
    finally:
        maica.signin.disconnect()
    assert secret_service.get_password(keyring_name, SF_REFRESH) is None


class FormWatcher(requests.Session):
    """The transport library's session, noting each form the sign-in posts."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict[str, str]] = []

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> Any:
        if isinstance(kwargs.get("data"), dict):
            self.forms.append(dict(kwargs["data"]))
        return super().request(method, url, *args, **kwargs)


def test_an_optional_consumer_secret_goes_in_the_token_form_from_the_keyring(
    service: Service, xero_env: Sandbox, home: Path
) -> None:
    watcher = FormWatcher()
    parts = internals(service)
    signin = MaicaSignIn(
        parts.settings_store,
        parts.secrets,
        service.paths.data_dir / "maica-token.lock",
        http=MaicaHttp(watcher),
        browser=follow,
    )
    secret = "sf-consumer-secret-that-never-leaks-77"
    signin.set_client_secret(secret)
    assert signin.has_client_secret()
    signin.connect(lambda url: None, timeout=10)
    exchange = [f for f in watcher.forms if f.get("grant_type") == "authorization_code"]
    assert exchange[0]["client_secret"] == secret
    assert exchange[0]["code_verifier"]
    signin.set_client_secret(None)
    assert not signin.has_client_secret()
    assert not any(
        secret in p.read_bytes().decode("utf-8", "replace") for p in home.rglob("*") if p.is_file()
    )


def test_a_server_error_while_renewing_keeps_the_sign_in(
    signed_in: Maica, xero_env: Sandbox
) -> None:
    assert signed_in.session.run(_invoice_ids)
    xero_env.maica_expire_sessions()
    xero_env.maica_add_fault(error="SERVER_ERROR", endpoint="token", count=1)
    with pytest.raises(SalesforceError) as caught:
        signed_in.session.run(_invoice_ids)
    assert caught.value.sentence == (
        "The Maica org's sign-in service answered with a server error. Try again in a few minutes."
    )
    assert signed_in.signin.identity() is not None  # nothing forgotten
    assert not signed_in.service.settings().sf_needs_reconnect
    assert signed_in.session.run(_invoice_ids)  # the next try renews
    assert _count(xero_env, "token.refresh_token") == 2


def test_a_server_error_on_a_call_is_a_sentence(signed_in: Maica, xero_env: Sandbox) -> None:
    xero_env.maica_add_fault(error="SERVER_ERROR", endpoint="query", count=1)
    with pytest.raises(SalesforceError) as caught:
        signed_in.session.run(_invoice_ids)
    assert caught.value.sentence == (
        "The Maica org answered with a server error (UNKNOWN_EXCEPTION). Try again in a few "
        "minutes."
    )
    assert caught.value.status == 500


def test_a_refused_revoke_is_a_sentence_and_the_sign_out_happens(
    signed_in: Maica, xero_env: Sandbox, memory_keyring: MemoryKeyring
) -> None:
    xero_env.maica_add_fault(error="SERVER_ERROR", endpoint="revoke", count=1)
    problem = signed_in.signin.disconnect()
    assert problem == (
        "The Maica org did not confirm the sign-out (HTTP 500); this computer forgot the sign-in "
        "anyway."
    )
    assert signed_in.signin.identity() is None
    assert not [name for (_, name) in memory_keyring.entries if name.startswith("sf_")]
