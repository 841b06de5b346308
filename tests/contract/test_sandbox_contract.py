"""The sandbox's answers against Xero's OpenAPI files (not against the client's code)."""

from __future__ import annotations

import requests

from maica_xero_desktop.sandbox import Sandbox

from . import openapi
from .conftest import Session, sign_in


def test_connections_answer_matches_the_identity_spec(session: Session) -> None:
    response = requests.get(
        f"{session.sandbox.base_url}/connections", headers=session.bearer, timeout=10
    )
    assert response.status_code == 200
    assert str(response.status_code) in openapi.response_statuses(
        openapi.IDENTITY, "/connections", "GET"
    )
    body = response.json()
    assert len(body) == 2
    openapi.validate_response(
        openapi.IDENTITY, "/connections", "GET", 200, body, forbid_additional=True
    )


def test_connections_filter_parameter_is_the_documented_one(session: Session) -> None:
    op = openapi.operation(openapi.IDENTITY, "/Connections", "get")
    (param,) = op["parameters"]
    assert param["name"] == "authEventId"
    body = requests.get(
        f"{session.sandbox.base_url}/connections", headers=session.bearer, timeout=10
    ).json()
    event = body[0]["authEventId"]
    openapi.assert_valid(openapi.IDENTITY, param["schema"], event)
    filtered = requests.get(
        f"{session.sandbox.base_url}/connections",
        headers=session.bearer,
        params={"authEventId": event},
        timeout=10,
    )
    openapi.validate_response(openapi.IDENTITY, "/connections", "GET", 200, filtered.json())


def test_delete_connection_statuses_are_listed_in_the_spec(session: Session) -> None:
    base = session.sandbox.base_url
    conn_id = requests.get(f"{base}/connections", headers=session.bearer, timeout=10).json()[0][
        "id"
    ]
    path = f"/connections/{conn_id}"
    allowed = openapi.response_statuses(openapi.IDENTITY, path, "DELETE")
    first = requests.delete(f"{base}{path}", headers=session.bearer, timeout=10)
    second = requests.delete(f"{base}{path}", headers=session.bearer, timeout=10)
    assert (first.status_code, second.status_code) == (204, 404)
    assert {str(first.status_code), str(second.status_code)} <= allowed
    assert openapi.response_schema(openapi.IDENTITY, path, "DELETE", 204) is None


def test_token_response_matches_access_token(sandbox: Sandbox, session: Session) -> None:
    for body in (sign_in(sandbox), session.token_response):
        openapi.validate(openapi.IDENTITY, body, "AccessToken")
        declared = openapi.load_spec(openapi.IDENTITY)["components"]["schemas"]["AccessToken"]
        # the spec does not list "scope", which Xero's token response carries as well
        assert set(body) - set(declared["properties"]) == {"scope"}


def test_refresh_request_matches_refresh_token(session: Session) -> None:
    openapi.validate(
        openapi.IDENTITY, session.refresh_request, "RefreshToken", forbid_additional=True
    )


def test_organisation_answer_matches_the_accounting_spec(session: Session) -> None:
    sb = session.sandbox
    for org in sb.state.orgs.values():
        response = requests.get(
            f"{sb.base_url}/api.xro/2.0/Organisation",
            headers={
                **session.bearer,
                "xero-tenant-id": org.tenant_id,
                "Accept": "application/json",
            },
            timeout=10,
        )
        assert response.status_code == 200
        body = response.json()
        openapi.validate_response(openapi.ACCOUNTING, "/api.xro/2.0/Organisation", "GET", 200, body)
        openapi.validate(openapi.ACCOUNTING, body, "Organisations")
        for item in body["Organisations"]:
            openapi.validate(openapi.ACCOUNTING, item, "Organisation", forbid_additional=True)


def test_lock_dates_and_actions_match_the_accounting_spec(session: Session) -> None:
    sb = session.sandbox
    org = next(iter(sb.state.orgs.values()))
    sb.set_organisation(
        org.tenant_id, period_lock_date="2026-09-30", end_of_year_lock_date="2026-06-30"
    )
    headers = {**session.bearer, "xero-tenant-id": org.tenant_id, "Accept": "application/json"}
    try:
        body = requests.get(
            f"{sb.base_url}/api.xro/2.0/Organisation", headers=headers, timeout=10
        ).json()
        (item,) = body["Organisations"]
        assert item["PeriodLockDate"].startswith("/Date(")
        openapi.validate(openapi.ACCOUNTING, item, "Organisation", forbid_additional=True)
        path = "/api.xro/2.0/Organisation/Actions"
        actions = requests.get(f"{sb.base_url}{path}", headers=headers, timeout=10)
        assert actions.status_code == 200
        openapi.validate_response(openapi.ACCOUNTING, path, "GET", 200, actions.json())
        openapi.validate(openapi.ACCOUNTING, actions.json(), "Actions", forbid_additional=False)
        for action in actions.json()["Actions"]:
            openapi.validate(openapi.ACCOUNTING, action, "Action", forbid_additional=True)
    finally:
        sb.set_organisation(org.tenant_id, period_lock_date=None, end_of_year_lock_date=None)
