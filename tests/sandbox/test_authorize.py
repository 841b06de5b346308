"""The authorize page: validation errors stay at the sandbox; consent allow / cancel."""

from __future__ import annotations

import pytest

from maica_xero_desktop.sandbox import Sandbox, SandboxConfig
from maica_xero_desktop.sandbox.config import DEFAULT_WEB_CLIENT_ID

from .helpers import Flow, query_of, tenant_values


@pytest.mark.parametrize(
    ("overrides", "error"),
    [
        ({"client_id": "0" * 32}, "unauthorized_client"),
        ({"client_id": None}, "unauthorized_client"),
        ({"redirect_uri": "http://127.0.0.1:5717/callback/"}, "invalid_request"),
        ({"redirect_uri": "http://localhost:5799/callback"}, "invalid_request"),
        ({"redirect_uri": "https://evil.example/callback"}, "invalid_request"),
        ({"scope": "openid accounting.transactions offline_access"}, "invalid_scope"),
        ({"scope": "openid accounting.everything"}, "invalid_scope"),
        ({"scope": ""}, "invalid_scope"),
        ({"code_challenge": None}, "invalid_request"),
        ({"code_challenge_method": "plain"}, "invalid_request"),
        ({"code_challenge": "short"}, "invalid_request"),
        ({"response_type": "token"}, "unsupported_response_type"),
    ],
)
def test_invalid_requests_get_an_error_page_and_no_redirect(
    flow: Flow, overrides: dict[str, str | None], error: str
) -> None:
    response = flow.authorize(flow.authorize_params(**overrides))
    assert response.status_code == 400
    assert "Location" not in response.headers
    assert response.headers["Content-Type"].startswith("text/html")
    assert f"Error: {error}" in response.text


def test_localhost_and_loopback_ip_are_different_redirects(sandbox: Sandbox) -> None:
    for uri in ("http://localhost:5721/callback", "http://127.0.0.1:5719/callback"):
        assert Flow(sandbox, redirect_uri=uri).code()["code"]
    assert "http://localhost:5717/callback" in sandbox.config.redirect_uris


def test_broad_scopes_allowed_for_an_older_app() -> None:
    with Sandbox(SandboxConfig(allow_broad_scopes=True)) as sb:
        callback = Flow(sb).code(scope="openid offline_access accounting.transactions")
        assert callback["scope"] == "openid offline_access accounting.transactions"


def test_consent_page_escapes_reflected_values(flow: Flow) -> None:
    params = flow.authorize_params(state='<script>alert("x")</script>')
    page = flow.authorize(params)
    assert page.status_code == 200
    assert "<script>" not in page.text
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page.text
    assert page.headers["Cache-Control"] == "no-store"
    assert "Maica Care Services Pty Ltd" in page.text
    assert "Demo Company (AU)" in page.text
    assert "Allow access" in page.text
    assert "Cancel" in page.text
    # the state comes back untouched in the redirect
    allowed = flow.submit(page)
    assert query_of(allowed.headers["Location"])["state"] == '<script>alert("x")</script>'


def test_allow_redirects_with_code_state_and_scope(flow: Flow, sandbox: Sandbox) -> None:
    params = flow.authorize_params()
    page = flow.authorize(params)
    maica = sandbox.config.organisations[0].tenant_id
    response = flow.submit(page, tenants=[maica])
    assert response.status_code == 302
    location = response.headers["Location"]
    assert location.startswith(f"{flow.redirect_uri}?")
    callback = query_of(location)
    assert callback["state"] == params["state"]
    assert callback["scope"] == params["scope"]
    assert len(callback["code"]) >= 32
    assert [c.tenant_id for c in sandbox.state.connections.values()] == [maica]


def test_cancel_redirects_with_access_denied(flow: Flow, sandbox: Sandbox) -> None:
    params = flow.authorize_params()
    response = flow.submit(flow.authorize(params), action="cancel")
    assert response.status_code == 302
    assert query_of(response.headers["Location"]) == {
        "error": "access_denied",
        "state": params["state"],
    }
    assert not sandbox.state.connections


def test_nothing_ticked_shows_the_page_again(flow: Flow) -> None:
    page = flow.authorize(flow.authorize_params())
    again = flow.submit(page, tenants=[])
    assert again.status_code == 200
    assert "Select at least one organisation" in again.text
    assert flow.submit(again).status_code == 302  # the same consent can still be answered


def test_consent_id_is_single_use_and_params_are_not_trusted(flow: Flow) -> None:
    page = flow.authorize(flow.authorize_params())
    assert flow.submit(page).status_code == 302
    replay = flow.submit(page)
    assert replay.status_code == 400
    assert "Location" not in replay.headers
    forged = flow.submit(page, tenants=tenant_values(page.text))
    assert forged.status_code == 400


def test_unknown_tenant_ids_are_ignored(flow: Flow) -> None:
    page = flow.authorize(flow.authorize_params())
    again = flow.submit(page, tenants=["00000000-0000-0000-0000-000000000000"])
    assert again.status_code == 200
    assert "Select at least one organisation" in again.text


def test_auto_consent_redirects_at_once_with_every_organisation() -> None:
    with Sandbox(SandboxConfig(auto_consent=True)) as sb:
        flow = Flow(sb)
        response = flow.authorize(flow.authorize_params())
        assert response.status_code == 302
        assert "code" in query_of(response.headers["Location"])
        assert {c.tenant_id for c in sb.state.connections.values()} == set(sb.state.orgs)


def test_auto_consent_can_be_switched_on_at_run_time(flow: Flow) -> None:
    flow.admin("POST", "auto-consent", {"enabled": True})
    assert flow.authorize(flow.authorize_params()).status_code == 302


def test_web_app_may_skip_pkce(sandbox: Sandbox) -> None:
    flow = Flow(sandbox, client_id=DEFAULT_WEB_CLIENT_ID)
    page = flow.authorize(flow.authorize_params(code_challenge=None, code_challenge_method=None))
    assert page.status_code == 200
