"""GET /api.xro/2.0/Organisation: tenant checks, scopes and rate limits."""

from __future__ import annotations

import threading
from typing import Any

import requests

from maica_xero_desktop.sandbox import Sandbox, SandboxConfig

from .helpers import Flow

MAICA = SandboxConfig().organisations[0].tenant_id
DEMO = SandboxConfig().organisations[1].tenant_id


def _forbidden(response: requests.Response) -> None:
    assert response.status_code == 403
    body = response.json()
    assert body["Title"] == "Forbidden"
    assert body["Detail"] == "AuthenticationUnsuccessful"
    assert body["Type"] is None
    assert body["Extensions"] == {}
    assert body["Instance"]


def test_organisation(flow: Flow, tokens: dict[str, Any]) -> None:
    response = flow.api(tokens["access_token"], MAICA)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/json")
    assert response.headers["X-MinLimit-Remaining"] == "59"
    assert response.headers["X-DayLimit-Remaining"] == "4999"
    assert response.headers["X-AppMinLimit-Remaining"] == "9999"
    body = response.json()
    assert body["Status"] == "OK"
    assert body["DateTimeUTC"].startswith("/Date(")
    (org,) = body["Organisations"]
    assert org["OrganisationID"] == MAICA
    assert org["Name"] == "Maica Care Services Pty Ltd"
    assert (org["BaseCurrency"], org["CountryCode"], org["Version"]) == ("AUD", "AU", "AU")
    assert org["IsDemoCompany"] is False
    assert org["OrganisationStatus"] == "ACTIVE"
    demo = flow.api(tokens["access_token"], DEMO).json()["Organisations"][0]
    assert demo["IsDemoCompany"] is True
    # paths are case-insensitive, as Xero's are
    assert flow.api(tokens["access_token"], MAICA, "organisation").status_code == 200


def test_tenant_header_problems_are_403(flow: Flow, sandbox: Sandbox) -> None:
    body = flow.connect(tenants=[MAICA])
    token = body["access_token"]
    _forbidden(flow.api(token, None))
    _forbidden(flow.api(token, "not-a-uuid"))
    _forbidden(flow.api(token, "00000000-0000-0000-0000-000000000000"))
    _forbidden(flow.api(token, DEMO))  # exists, but this user did not connect it
    assert flow.api(token, MAICA).status_code == 200
    assert flow.api(token, MAICA.upper()).status_code == 200


def test_reset_demo_changes_the_tenant_id(flow: Flow, tokens: dict[str, Any]) -> None:
    changed = flow.admin("POST", "reset-demo")
    assert changed["old_tenant_id"] == DEMO
    assert changed["tenant_id"] != DEMO
    _forbidden(flow.api(tokens["access_token"], DEMO))
    _forbidden(flow.api(tokens["access_token"], changed["tenant_id"]))  # not connected yet
    names = [c["tenantName"] for c in flow.connections(tokens["access_token"]).json()]
    assert names == ["Maica Care Services Pty Ltd"]
    again = flow.connect()
    assert flow.api(again["access_token"], changed["tenant_id"]).status_code == 200


def test_missing_scope_is_401(flow: Flow) -> None:
    body = flow.connect(scope="openid offline_access accounting.invoices")
    response = flow.api(body["access_token"], MAICA)
    assert response.status_code == 401
    assert response.json()["Detail"] == "AuthorizationUnsuccessful"


def test_expired_token_is_401(flow: Flow, tokens: dict[str, Any], sandbox: Sandbox) -> None:
    sandbox.expire_access_tokens()
    response = flow.api(tokens["access_token"], MAICA)
    assert response.status_code == 401
    assert response.json()["Detail"].startswith("TokenExpired")


def test_practice_tenant_is_listed_but_not_an_accounting_tenant(flow: Flow) -> None:
    practice = flow.admin("POST", "practice")["tenant_id"]
    body = flow.connect()
    conns = flow.connections(body["access_token"]).json()
    assert {c["tenantType"] for c in conns} == {"ORGANISATION", "PRACTICE"}
    _forbidden(flow.api(body["access_token"], practice))


def test_unknown_api_path_is_404_json(flow: Flow, tokens: dict[str, Any]) -> None:
    response = flow.api(tokens["access_token"], MAICA, "NoSuchThing")
    assert response.status_code == 404
    assert response.json()["Status"] == 404


def test_minute_limit_then_reset_after_the_window(
    flow: Flow, tokens: dict[str, Any], sandbox: Sandbox
) -> None:
    token = tokens["access_token"]
    for i in range(60):
        response = flow.api(token, MAICA)
        assert response.status_code == 200
        assert response.headers["X-MinLimit-Remaining"] == str(59 - i)
    limited = flow.api(token, MAICA)
    assert limited.status_code == 429
    assert limited.headers["X-Rate-Limit-Problem"] == "minute"
    retry_after = int(limited.headers["Retry-After"])
    assert 1 <= retry_after <= 60
    assert limited.headers["X-MinLimit-Remaining"] == "0"
    # other tenants have their own minute
    assert flow.api(token, DEMO).status_code == 200
    sandbox.advance_clock(retry_after)
    again = flow.api(token, MAICA)
    assert again.status_code == 200
    assert again.headers["X-MinLimit-Remaining"] == "59"
    assert again.headers["X-DayLimit-Remaining"] == str(5000 - 61)


def test_day_limit() -> None:
    with Sandbox(SandboxConfig(rate_day=3)) as sb:
        flow = Flow(sb)
        body = flow.connect()
        token = body["access_token"]
        for _ in range(3):
            assert flow.api(token, MAICA).status_code == 200
        sb.advance_clock(120)
        limited = flow.api(token, MAICA)
        assert limited.status_code == 429
        assert limited.headers["X-Rate-Limit-Problem"] == "day"
        assert 86000 < int(limited.headers["Retry-After"]) <= 86400 - 120
        sb.advance_clock(86400)
        token = flow.refresh(body["refresh_token"]).json()["access_token"]
        assert flow.api(token, MAICA).status_code == 200


def test_app_minute_limit_set_at_run_time(flow: Flow, tokens: dict[str, Any]) -> None:
    flow.admin("POST", "limits", {"app_minute": 2})
    assert flow.api(tokens["access_token"], MAICA).status_code == 200
    assert flow.connections(tokens["access_token"]).status_code == 200
    limited = flow.api(tokens["access_token"], DEMO)
    assert limited.status_code == 429
    assert limited.headers["X-Rate-Limit-Problem"] == "appminute"
    conns = flow.connections(tokens["access_token"])
    assert conns.status_code == 429
    assert conns.headers["X-AppMinLimit-Remaining"] == "0"


def test_five_concurrent_calls_per_tenant(
    flow: Flow, tokens: dict[str, Any], sandbox: Sandbox
) -> None:
    sandbox.add_fault(delay_seconds=0.6, endpoint="api.GET.Organisation", count=5)
    results: list[requests.Response] = []
    lock = threading.Lock()

    def call() -> None:
        response = flow.api(tokens["access_token"], MAICA)
        with lock:
            results.append(response)

    threads = [threading.Thread(target=call) for _ in range(5)]
    for thread in threads:
        thread.start()
    # wait until all five are inside the server
    for _ in range(200):
        if sandbox.calls("api.GET.Organisation") == 5:
            break
        threading.Event().wait(0.01)
    sixth = flow.api(tokens["access_token"], MAICA)
    for thread in threads:
        thread.join()
    assert sixth.status_code == 429
    assert sixth.headers["X-Rate-Limit-Problem"] == "concurrent"
    assert [r.status_code for r in results] == [200] * 5
    assert flow.api(tokens["access_token"], MAICA).status_code == 200
