"""The Maica org's sign-in, as Salesforce documents it: PKCE, single-use codes, exact redirect
URIs, refresh without rotation, revoke, the identity URL and the 401 shape."""

from __future__ import annotations

import re

import requests

from maica_xero_desktop.sandbox import Sandbox, SandboxConfig

from .maica_helpers import REDIRECT, TIMEOUT, Org, maica_sandbox, org, query_of

__all__ = ["maica_sandbox", "org"]


def test_sign_in_answers_salesforce_token_fields(maica_sandbox: Sandbox) -> None:
    client = Org(maica_sandbox)
    tokens = client.sign_in()
    assert tokens["instance_url"] == maica_sandbox.base_url
    assert tokens["token_type"] == "Bearer"
    assert tokens["scope"] == "api refresh_token"
    assert tokens["issued_at"].isdigit()
    assert re.fullmatch(r".+/id/00D\w{15}/005\w{15}", tokens["id"])
    assert tokens["access_token"].startswith("00D")
    assert tokens["signature"]
    identity = requests.get(
        tokens["id"], headers={"Authorization": f"Bearer {tokens['access_token']}"}, timeout=10
    ).json()
    assert identity["display_name"] == "Alex Nguyen"
    assert identity["organization_id"] == tokens["id"].split("/")[-2]
    info = client.call("GET", "/services/oauth2/userinfo").json()
    assert info["name"] == "Alex Nguyen"
    assert info["preferred_username"] == identity["username"]
    org_row = client.rows("SELECT Id, Name FROM Organization")[0]
    assert org_row["Name"] == "Maica Care Services"


def test_wrong_verifier_is_refused_and_burns_the_code(maica_sandbox: Sandbox) -> None:
    client = Org(maica_sandbox)
    answer, verifier = client.authorize()
    code = query_of(answer.headers["Location"])["code"]
    wrong = client.exchange(code, "x" * 64)
    assert wrong.status_code == 400
    assert wrong.json() == {"error": "invalid_grant", "error_description": "invalid code verifier"}
    again = client.exchange(code, verifier)
    assert again.json()["error"] == "invalid_grant"


def test_a_code_is_single_use(maica_sandbox: Sandbox) -> None:
    client = Org(maica_sandbox)
    answer, verifier = client.authorize()
    location = query_of(answer.headers["Location"])
    assert location["state"]
    assert client.exchange(location["code"], verifier).status_code == 200
    reuse = client.exchange(location["code"], verifier)
    assert reuse.status_code == 400
    assert reuse.json() == {
        "error": "invalid_grant",
        "error_description": "expired access/refresh token",
    }


def test_an_expired_code_is_refused(maica_sandbox: Sandbox) -> None:
    client = Org(maica_sandbox)
    answer, verifier = client.authorize()
    code = query_of(answer.headers["Location"])["code"]
    maica_sandbox.advance_clock(maica_sandbox.config.code_lifetime + 1)
    assert client.exchange(code, verifier).json()["error"] == "invalid_grant"


def test_redirect_mismatch_and_unknown_client_show_an_error_page(maica_sandbox: Sandbox) -> None:
    client = Org(maica_sandbox)
    answer, _ = client.authorize(redirect_uri="http://localhost:9999/callback")
    assert answer.status_code == 400
    assert "Location" not in answer.headers
    assert "redirect_uri_mismatch" in answer.text
    answer, _ = client.authorize(client_id="3MVGunknown")
    assert answer.status_code == 400
    assert "invalid_client_id" in answer.text
    answer, _ = client.authorize(code_challenge=None)
    assert answer.status_code == 400
    assert "code_challenge" in answer.text


def test_redirect_uri_must_match_at_the_token_endpoint(maica_sandbox: Sandbox) -> None:
    client = Org(maica_sandbox)
    answer, verifier = client.authorize()
    code = query_of(answer.headers["Location"])["code"]
    refused = client.exchange(code, verifier, redirect_uri="http://127.0.0.1:5718/callback")
    assert refused.json()["error"] == "redirect_uri_mismatch"


def _answer_consent(sb: Sandbox, page: requests.Response, action: str) -> requests.Response:
    """The consent page's form sent back with ``action`` (allow or deny)."""
    consent = re.search(r'name="consent_id" value="([^"]+)"', page.text)
    assert consent
    return requests.post(
        f"{sb.base_url}/services/oauth2/authorize",
        data={"consent_id": consent.group(1), "action": action},
        allow_redirects=False,
        timeout=TIMEOUT,
    )


def test_consent_page_allow_and_deny() -> None:
    with Sandbox(SandboxConfig(port=0, auto_consent=False)) as sb:
        client = Org(sb)
        page, verifier = client.authorize(state="s1")
        assert page.status_code == 200
        allowed = _answer_consent(sb, page, "allow")
        assert allowed.status_code == 302
        back = query_of(allowed.headers["Location"])
        assert back["state"] == "s1"
        assert allowed.headers["Location"].startswith(REDIRECT)
        assert client.exchange(back["code"], verifier).status_code == 200
        page, _ = client.authorize(state="s2")
        denied = _answer_consent(sb, page, "deny")
        assert query_of(denied.headers["Location"]) == {
            "error": "access_denied",
            "error_description": "end-user denied authorization",
            "state": "s2",
        }


def test_refresh_keeps_the_refresh_token(org: Org) -> None:
    first = org.tokens["access_token"]
    answer = org.refresh()
    assert answer.status_code == 200
    body = answer.json()
    assert "refresh_token" not in body
    assert body["access_token"] != first
    assert body["instance_url"] == org.url
    assert org.refresh().status_code == 200  # the same refresh token works again
    stats = org.admin("GET", "stats")
    assert stats["calls"]["token.refresh_token"] == 2
    assert stats["calls"]["token.authorization_code"] == 1


def test_revoke_ends_the_refresh_token_and_its_sessions(org: Org) -> None:
    revoke = requests.post(
        f"{org.url}/services/oauth2/revoke", data={"token": org.tokens["refresh_token"]}, timeout=10
    )
    assert revoke.status_code == 200
    assert org.refresh().json() == {
        "error": "invalid_grant",
        "error_description": "expired access/refresh token",
    }
    assert org.call("GET", "sobjects/").status_code == 401
    unknown = requests.post(f"{org.url}/services/oauth2/revoke", data={"token": "nope"}, timeout=10)
    assert unknown.status_code == 400
    assert unknown.json()["error"] == "invalid_token"


def test_an_expired_session_answers_salesforce_401(org: Org) -> None:
    assert org.call("GET", "sobjects/").status_code == 200
    assert org.admin("POST", "expire-sessions")["expired"] == 1
    answer = org.call("GET", "sobjects/")
    assert answer.status_code == 401
    assert answer.json() == [
        {"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}
    ]
    org.tokens["access_token"] = org.refresh().json()["access_token"]
    assert org.call("GET", "sobjects/").status_code == 200


def test_unknown_client_and_grant_at_the_token_endpoint(org: Org) -> None:
    url = f"{org.url}/services/oauth2/token"
    bad_client = requests.post(
        url,
        data={"grant_type": "refresh_token", "refresh_token": "x", "client_id": "3MVGnope"},
        timeout=10,
    )
    assert bad_client.json() == {
        "error": "invalid_client_id",
        "error_description": "client identifier invalid",
    }
    bad_grant = requests.post(url, data={"grant_type": "password"}, timeout=10)
    assert bad_grant.json()["error"] == "unsupported_grant_type"


def test_tokens_are_kept_only_hashed(org: Org) -> None:
    text = str(org.sandbox.state.to_json())
    assert org.tokens["access_token"] not in text
    assert org.tokens["refresh_token"] not in text


def test_client_credentials_in_a_basic_header_are_accepted(org: Org) -> None:
    answer = requests.post(
        f"{org.url}/services/oauth2/token",
        data={"grant_type": "refresh_token", "refresh_token": org.tokens["refresh_token"]},
        auth=(org.sandbox.sf_client_id, ""),
        timeout=TIMEOUT,
    )
    assert answer.status_code == 200
    assert "refresh_token" not in answer.json()


def test_faults_on_revoke_and_userinfo(org: Org) -> None:
    org.sandbox.maica_add_fault(error="SERVER_ERROR", endpoint="revoke")
    failed = requests.post(
        f"{org.url}/services/oauth2/revoke", data={"token": org.tokens["refresh_token"]}, timeout=10
    )
    assert failed.status_code == 500
    assert org.refresh().status_code == 200
    org.sandbox.maica_add_fault(error="INVALID_SESSION_ID", endpoint="userinfo")
    assert org.call("GET", "/services/oauth2/userinfo").status_code == 401
    assert org.call("GET", "/services/oauth2/userinfo").status_code == 200
