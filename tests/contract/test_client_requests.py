"""What the product's own client sends to Xero, checked against Xero's OpenAPI files.

The Service runs against the sandbox with a session that records every request it sends; each one
is then matched to the spec: a described path and method, only declared query parameters, every
required header parameter, and token-endpoint forms that fit the spec's token schemas.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from maica_xero_desktop.core.secrets import TokenSet
from maica_xero_desktop.core.service import Service, internals
from maica_xero_desktop.sandbox import Sandbox

from .openapi import (
    ACCOUNTING,
    IDENTITY,
    _resolve_local,
    find_path,
    load_spec,
    operation,
    validate,
)


@pytest.fixture
def recorded(
    sandbox: Sandbox, home: Path, monkeypatch: pytest.MonkeyPatch
) -> tuple[Service, list[requests.PreparedRequest]]:
    for line in sandbox.env_lines():
        name, _, value = line.partition("=")
        monkeypatch.setenv(name, value)
    sent: list[requests.PreparedRequest] = []
    session = requests.Session()

    def record(response: requests.Response, *args: Any, **kwargs: Any) -> None:
        sent.append(response.request)

    session.hooks["response"].append(record)
    service = Service(session=session, browser=lambda url: requests.get(url, timeout=10).ok)
    service.set_enabled(True)
    return service, sent


def _exercise(service: Service) -> None:
    service.connect(lambda url: None, timeout=10)
    service.connections()
    service.use("Demo Company (AU)")
    tokens = internals(service).secrets.load_tokens()
    assert tokens is not None
    internals(service).secrets.save_tokens(
        TokenSet(
            access_token=tokens.access_token,
            refresh_token=tokens.refresh_token,
            expires_at=0.0,
            obtained_at=tokens.obtained_at,
            scope=tokens.scope,
        )
    )
    service.connections()  # refreshes first
    service.disconnect("Demo Company (AU)")
    service.logout()


def declared_headers(declared: list[Any]) -> set[str]:
    return {
        str(p["name"]).lower() for p in declared if isinstance(p, dict) and p.get("in") == "header"
    }


def _check_api_request(request: requests.PreparedRequest) -> str:
    parts = urlsplit(request.url or "")
    spec = ACCOUNTING if parts.path.startswith("/api.xro/") else IDENTITY
    op = operation(spec, parts.path, request.method or "GET")
    path_item = load_spec(spec)["paths"][find_path(spec, parts.path)]
    declared = [
        _resolve_local(spec, p)
        for p in [*path_item.get("parameters", []), *op.get("parameters", [])]
    ]
    query_names = {p["name"] for p in declared if isinstance(p, dict) and p.get("in") == "query"}
    used = set(parse_qs(parts.query))
    assert used <= query_names, (
        f"{request.method} {parts.path}: undeclared query {used - query_names}"
    )
    for param in declared:
        if isinstance(param, dict) and param.get("in") == "header" and param.get("required"):
            assert param["name"].lower() in {h.lower() for h in request.headers}, (
                f"{request.method} {parts.path} lacks header {param['name']}"
            )
    if spec == ACCOUNTING:
        assert "xero-tenant-id" in declared_headers(declared)
    assert request.headers["Authorization"].startswith("Bearer ")
    assert request.headers["Accept"] == "application/json"
    return f"{request.method} {spec}"


def test_every_request_matches_the_specs(
    recorded: tuple[Service, list[requests.PreparedRequest]],
) -> None:
    service, sent = recorded
    _exercise(service)
    seen: set[str] = set()
    for request in sent:
        path = urlsplit(request.url or "").path
        if path == "/connect/token":
            form = {k: v[0] for k, v in parse_qs(str(request.body)).items()}
            if form["grant_type"] == "refresh_token":
                validate(IDENTITY, form, "RefreshToken", forbid_additional=True)
            else:
                assert set(form) == {
                    "client_id",
                    "grant_type",
                    "code",
                    "redirect_uri",
                    "code_verifier",
                }
            seen.add(f"token {form['grant_type']}")
        elif path == "/connect/revocation":
            form = {k: v[0] for k, v in parse_qs(str(request.body)).items()}
            assert set(form) == {"client_id", "token"}
            seen.add("revocation")
        else:
            seen.add(_check_api_request(request))
    assert seen >= {
        "token authorization_code",
        "token refresh_token",
        "revocation",
        f"GET {IDENTITY}",
        f"DELETE {IDENTITY}",
        f"GET {ACCOUNTING}",
    }


def test_sync_requests_match_the_accounting_spec(
    recorded: tuple[Service, list[requests.PreparedRequest]],
) -> None:
    import json as jsonlib

    from tests.support.exports import SAMPLE

    from .openapi import errors, request_body_schema

    service, sent = recorded
    service.connect(lambda url: None, timeout=10)
    service.use("Demo Company (AU)")
    service.sync.import_file(SAMPLE)
    service.sync.run()
    service.sync.refresh_payments()
    bodies = 0
    seen: set[str] = set()
    for request in sent:
        parts = urlsplit(request.url or "")
        if not parts.path.startswith("/api.xro/"):
            continue
        seen.add(f"{request.method} {parts.path.removeprefix('/api.xro/2.0')}")
        _check_api_request(request)
        if request.method in ("PUT", "POST"):
            assert len(request.headers["Idempotency-Key"]) <= 128
            schema = request_body_schema(ACCOUNTING, parts.path, request.method)
            assert schema is not None
            body = jsonlib.loads(request.body or b"{}")
            problems = errors(ACCOUNTING, schema, body, forbid_additional=True)
            assert problems == [], f"{request.method} {parts.path}: {problems[:5]}"
            bodies += 1
    assert bodies >= 2
    assert seen >= {
        "GET /Organisation",
        "GET /Organisation/Actions",
        "GET /Accounts",
        "GET /TaxRates",
        "GET /TrackingCategories",
        "GET /Currencies",
        "GET /Contacts",
        "PUT /Contacts",
        "PUT /Invoices",
        "GET /Invoices",
    }


def test_payment_and_contact_lookups_match_the_accounting_spec(
    recorded: tuple[Service, list[requests.PreparedRequest]], sandbox: Sandbox
) -> None:
    """The payment pull (pages of 1,000 since the first push, Xero's timestamp form) and the
    contact listing (archived included) use only what the spec declares."""
    import re

    from tests.support.exports import SAMPLE

    service, sent = recorded
    service.connect(lambda url: None, timeout=10)
    service.use("Demo Company (AU)")
    service.sync.import_file(SAMPLE)
    service.sync.run()
    sandbox.advance_clock(5)
    service.sync.refresh_payments()
    pulls = [
        r for r in sent if r.method == "GET" and urlsplit(r.url or "").path.endswith("/Invoices")
    ]
    contacts = [
        parse_qs(urlsplit(r.url or "").query)
        for r in sent
        if r.method == "GET" and urlsplit(r.url or "").path.endswith("/Contacts")
    ]
    for request in pulls + [
        r for r in sent if r.method == "GET" and urlsplit(r.url or "").path.endswith("/Contacts")
    ]:
        _check_api_request(request)
    (pull,) = [r for r in pulls if "If-Modified-Since" in r.headers]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d", pull.headers["If-Modified-Since"])
    query = parse_qs(urlsplit(pull.url or "").query)
    assert query["pageSize"] == ["1000"]
    assert all(q.get("includeArchived") == ["true"] for q in contacts)
