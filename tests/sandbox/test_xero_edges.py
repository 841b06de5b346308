"""The sandbox agrees with Xero at the edges: idempotency per app with 400 on a different request
and cached internal errors; lock dates and Organisation/Actions; Retry-After only on the minute and
day limits."""

from __future__ import annotations

import base64
import hashlib
import secrets
import threading
from urllib.parse import parse_qs, urlsplit

import requests

from maica_xero_desktop.sandbox import Sandbox

from .books import REDIRECT, SCOPES, TIMEOUT, Books, invoice
from .conftest import MAICA


def _web_app_token(sb: Sandbox) -> str:
    """A token for the sandbox's *other* app (the confidential web app)."""
    config = sb.app.config
    assert config.web_client_id is not None
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
    redirect = requests.get(
        f"{sb.base_url}/identity/connect/authorize",
        params={
            "response_type": "code",
            "client_id": config.web_client_id,
            "redirect_uri": REDIRECT,
            "scope": SCOPES,
            "state": "s",
            "code_challenge": challenge.rstrip(b"=").decode(),
            "code_challenge_method": "S256",
        },
        allow_redirects=False,
        timeout=TIMEOUT,
    )
    code = parse_qs(urlsplit(redirect.headers["Location"]).query)["code"][0]
    response = requests.post(
        f"{sb.base_url}/connect/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": REDIRECT,
            "code_verifier": verifier,
        },
        auth=(config.web_client_id, config.web_client_secret),
        timeout=TIMEOUT,
    )
    assert response.status_code == 200, response.text
    return str(response.json()["access_token"])


def test_idempotency_keys_are_per_app_and_any_case(books: Books) -> None:
    body = {"Invoices": [invoice()]}
    first = books.send("PUT", "Invoices", body, headers={"Idempotency-Key": "Batch-1"})
    again = books.send("PUT", "Invoices", body, headers={"Idempotency-Key": "batch-1"})
    assert again.content == first.content
    other_app = Books(books.sandbox, _web_app_token(books.sandbox), MAICA)
    theirs = other_app.send("PUT", "Invoices", body, headers={"Idempotency-Key": "Batch-1"})
    assert theirs.status_code == 200
    assert theirs.json()["Invoices"][0]["InvoiceID"] != first.json()["Invoices"][0]["InvoiceID"]
    assert len(books.sandbox.invoices()) == 2


def test_different_request_under_a_live_key_is_400_then_new_after_six_minutes(
    books: Books,
) -> None:
    key = {"Idempotency-Key": "k1"}
    assert books.put_invoices(invoice("A"), headers=key).status_code == 200
    changed = books.put_invoices(invoice("A", Date="2026-11-27"), headers=key)
    assert changed.status_code == 400
    assert "is used with a different request" in changed.json()["Detail"]
    # another URL (query) under the key is a different request too
    other_query = books.put_invoices(invoice("A"), headers=key, summarizeErrors="false")
    assert other_query.status_code == 400
    assert len(books.sandbox.invoices()) == 1
    books.sandbox.advance_clock(361)
    assert books.put_invoices(invoice("A", Date="2026-11-27"), headers=key).status_code == 200
    assert len(books.sandbox.invoices()) == 2


def test_an_internal_error_is_cached_for_the_key_life(books: Books) -> None:
    books.sandbox.add_fault(internal_error="api.PUT.Invoices", count=1)
    key = {"Idempotency-Key": "k-500"}
    first = books.put_invoices(invoice(), headers=key)
    assert first.status_code == 500
    replayed = books.put_invoices(invoice(), headers=key)
    assert replayed.status_code == 500
    assert replayed.content == first.content
    assert books.sandbox.invoices() == []
    fresh = books.put_invoices(invoice(), headers={"Idempotency-Key": "k-501"})
    assert fresh.status_code == 200
    books.sandbox.advance_clock(361)
    assert books.put_invoices(invoice("B"), headers=key).status_code == 200


def test_lock_dates_are_reported_and_enforced_on_approved_invoices(books: Books) -> None:
    organisation = books.get("Organisation").json()["Organisations"][0]
    assert "PeriodLockDate" not in organisation
    books.sandbox.set_organisation(period_lock_date="2026-10-31")
    books.admin("POST", "organisation", {"end_of_year_lock_date": "2026-06-30"})
    organisation = books.get("Organisation").json()["Organisations"][0]
    assert organisation["PeriodLockDate"] == "/Date(1793404800000+0000)/"  # 2026-10-31
    assert organisation["EndOfYearLockDate"] == "/Date(1782777600000+0000)/"  # 2026-06-30
    answer = books.put_invoices(
        invoice("on-lock", Date="2026-10-31"),
        invoice("open", Date="2026-11-01"),
        invoice("draft", Date="2026-10-01", Status="DRAFT"),
        summarizeErrors="false",
    )
    on_lock, open_, draft = answer.json()["Invoices"]
    assert [m["Message"] for m in on_lock["ValidationErrors"]] == [
        "The document date cannot be before the period lock date, currently set at 31-Oct-2026"
    ]
    assert not open_["HasErrors"]
    assert not draft["HasErrors"]  # drafts may be saved in a locked period
    year_end = books.put_invoices(invoice("old", Date="2026-06-01"), summarizeErrors="false")
    messages = [m["Message"] for m in year_end.json()["Invoices"][0]["ValidationErrors"]]
    assert any("end of year lock date, currently set at 30-Jun-2026" in m for m in messages)
    books.sandbox.set_organisation(period_lock_date=None, end_of_year_lock_date=None)
    assert "PeriodLockDate" not in books.get("Organisation").json()["Organisations"][0]


def test_organisation_actions(books: Books) -> None:
    actions = books.get("Organisation/Actions").json()["Actions"]
    assert {"Name": "CreateApprovedInvoice", "Status": "ALLOWED"} in actions
    books.sandbox.set_organisation(denied_actions=["CreateApprovedInvoice"])
    actions = books.get("Organisation/Actions").json()["Actions"]
    assert {"Name": "CreateApprovedInvoice", "Status": "NOT-ALLOWED"} in actions
    refused = books.put_invoices(invoice(), summarizeErrors="false").json()["Invoices"][0]
    assert refused["HasErrors"]
    draft = books.put_invoices(invoice("d", Status="DRAFT"), summarizeErrors="false")
    assert not draft.json()["Invoices"][0]["HasErrors"]
    bad = requests.post(
        f"{books.sandbox.base_url}/_sandbox/organisation",
        json={"denied_actions": ["FlyToTheMoon"]},
        timeout=TIMEOUT,
    )
    assert bad.status_code == 400
    assert "denied_actions" in bad.json()["message"]


def test_retry_after_only_on_minute_and_day_limits(books: Books) -> None:
    books.sandbox.set_limits(minute=2, concurrent=1)
    books.sandbox.add_fault(delay_seconds=0.5, endpoint="api.GET.Organisation", count=1)
    slow = threading.Thread(target=lambda: books.get("Organisation"))
    slow.start()
    for _ in range(200):
        if books.sandbox.calls("api.GET.Organisation") == 1:
            break
        threading.Event().wait(0.01)
    concurrent = books.get("Invoices")
    slow.join()
    assert concurrent.status_code == 429
    assert concurrent.headers["X-Rate-Limit-Problem"] == "concurrent"
    assert "Retry-After" not in concurrent.headers
    books.get("Invoices")
    minute = books.get("Invoices")
    assert minute.status_code == 429
    assert minute.headers["X-Rate-Limit-Problem"] == "minute"
    assert int(minute.headers["Retry-After"]) >= 1
    books.sandbox.set_limits(minute=0, day=1, app_minute=0)
    books.get("Invoices")
    day = books.get("Invoices")
    assert day.headers["X-Rate-Limit-Problem"] == "day"
    assert "Retry-After" in day.headers
    books.sandbox.set_limits(day=0, app_minute=1)
    books.get("Invoices")
    app = books.get("Invoices")
    assert app.headers["X-Rate-Limit-Problem"] == "appminute"
    assert "Retry-After" not in app.headers
