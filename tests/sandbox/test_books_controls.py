"""Idempotency-Key, faults (drop after commit, error rate), short rate windows, 413, stats,
reset, persistence and change listeners for the accounting data."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import requests

from maica_xero_desktop.sandbox import Sandbox, SandboxConfig
from maica_xero_desktop.sandbox.ledger import LedgerEvent

from .books import Books, invoice, sign_in
from .conftest import MAICA


def test_idempotency_key_replays_then_expires(books: Books) -> None:
    key = {"Idempotency-Key": "push-2026-11-26-batch-1"}
    first = books.send("PUT", "Invoices", {"Invoices": [invoice()]}, headers=key)
    second = books.send("PUT", "Invoices", {"Invoices": [invoice()]}, headers=key)
    assert first.status_code == second.status_code == 200
    assert first.content == second.content
    assert len(books.sandbox.invoices()) == 1
    other = books.send(
        "PUT", "Invoices", {"Invoices": [invoice("MAICA-2")]}, headers={"Idempotency-Key": "k2"}
    )
    assert other.json()["Invoices"][0]["InvoiceNumber"] == "INV-0002"
    books.sandbox.advance_clock(361)
    third = books.send("PUT", "Invoices", {"Invoices": [invoice()]}, headers=key)
    assert third.status_code == 200
    assert third.json()["Invoices"][0]["InvoiceNumber"] == "INV-0003"
    assert len(books.sandbox.invoices()) == 3
    stats = books.sandbox.stats()["tenants"][MAICA]
    assert stats["calls"]["idempotent_replays"] == 1


def test_idempotency_is_per_tenant_and_replays_400s(books: Books, demo_books: Books) -> None:
    key = {"Idempotency-Key": "same"}
    bad = invoice("x", Status="PAID")
    first = books.send("PUT", "Invoices", {"Invoices": [bad]}, headers=key)
    assert first.status_code == 400
    # the same request under the same key gets the first answer
    again = books.send("PUT", "Invoices", {"Invoices": [bad]}, headers=key)
    assert again.content == first.content
    # a fixed body under the same key is a different request: refused, not replayed
    fixed = books.send("PUT", "Invoices", {"Invoices": [invoice()]}, headers=key)
    assert fixed.status_code == 400
    assert fixed.json()["Detail"] == "Idempotency Key: same is used with a different request."
    assert (
        demo_books.send("PUT", "Invoices", {"Invoices": [invoice()]}, headers=key).status_code
        == 200
    )
    assert books.sandbox.invoices() == []


def test_idempotency_key_longer_than_128_is_400(books: Books) -> None:
    response = books.send(
        "PUT", "Invoices", {"Invoices": [invoice()]}, headers={"Idempotency-Key": "k" * 129}
    )
    assert response.status_code == 400
    assert books.sandbox.invoices() == []
    ok = books.send(
        "PUT", "Invoices", {"Invoices": [invoice()]}, headers={"Idempotency-Key": "k" * 128}
    )
    assert ok.status_code == 200


@pytest.mark.parametrize("kind", ["drop_after_commit", "drop_response"])
def test_drop_after_commit(books: Books, kind: str) -> None:
    books.admin("POST", "faults", {kind: "api.PUT.Invoices", "count": 1})
    with pytest.raises(requests.ConnectionError):
        books.put_invoices(invoice("lost"))
    assert [i["Reference"] for i in books.sandbox.invoices()] == ["lost"]
    found = books.get("Invoices", where='Reference=="lost"').json()["Invoices"]
    assert len(found) == 1
    books.sandbox.add_fault(drop_after_commit="api.PUT.Contacts")
    with pytest.raises(requests.ConnectionError):
        books.send("PUT", "Contacts", {"Contacts": [{"Name": "Kept Anyway"}]})
    assert [c["Name"] for c in books.sandbox.contacts()] == ["Adam Smith", "Kept Anyway"]


def test_error_rate_answers_without_acting(books: Books) -> None:
    books.sandbox.set_limits(enabled=False)
    books.admin(
        "POST",
        "faults",
        {"error_rate": 0.3, "status": 503, "endpoint": "api.PUT.Invoices", "seed": 1},
    )
    statuses = [books.put_invoices(invoice(f"R{n}")).status_code for n in range(40)]
    failed = statuses.count(503)
    assert 4 <= failed <= 20
    assert set(statuses) == {200, 503}
    assert len(books.sandbox.invoices()) == 40 - failed
    assert books.get("Invoices").status_code == 200  # other endpoints unaffected
    books.sandbox.clear_faults()
    assert books.put_invoices(invoice("after")).status_code == 200


def test_error_rate_is_reproducible_with_a_seed(auto_sandbox: Sandbox) -> None:
    runs = []
    for _ in range(2):
        auto_sandbox.reset()
        auto_sandbox.set_limits(enabled=False)
        books = Books(auto_sandbox, sign_in(auto_sandbox), MAICA)
        auto_sandbox.add_fault(error_rate=0.5, endpoint="api.GET", seed=7)
        runs.append([books.get("Invoices").status_code for _ in range(12)])
    assert runs[0] == runs[1]


def test_short_rate_window_and_limits_off(books: Books) -> None:
    out = books.admin("POST", "limits", {"window_seconds": 2, "minute": 3})
    assert out["limits"]["window_seconds"] == 2.0
    assert [books.get("Invoices").status_code for _ in range(4)] == [200, 200, 200, 429]
    limited = books.get("Invoices")
    assert limited.headers["X-Rate-Limit-Problem"] == "minute"
    assert int(limited.headers["Retry-After"]) <= 2
    books.sandbox.advance_clock(2)
    assert books.get("Invoices").status_code == 200
    books.admin("POST", "limits", {"enabled": False})
    assert all(books.get("Invoices").status_code == 200 for _ in range(10))
    assert books.get("Invoices").headers["X-MinLimit-Remaining"] == "3"
    books.admin("POST", "limits", {"enabled": True, "minute": 0})
    assert all(books.get("Invoices").status_code == 200 for _ in range(5))
    stats = books.sandbox.stats()["tenants"][MAICA]["calls"]
    assert stats["rate_limited.minute"] == 2
    assert stats["api.GET.Invoices"] == 4 + 1 + 1 + 11 + 5


def test_rate_window_from_config() -> None:
    with Sandbox(SandboxConfig(auto_consent=True, rate_window_seconds=5, rate_minute=2)) as sb:
        books = Books(sb, sign_in(sb), MAICA)
        assert [books.get("Accounts").status_code for _ in range(3)] == [200, 200, 429]
        sb.advance_clock(5)
        assert books.get("Accounts").status_code == 200


def test_bodies_over_3_5_mb_are_413(books: Books) -> None:
    big = {
        "Invoices": [
            invoice(f"R{n}", LineItems=[{"Description": "x" * 4000}] * 20) for n in range(45)
        ]
    }
    data = json.dumps(big).encode()
    assert len(data) > 3_500_000
    response = requests.put(
        books.url("Invoices"),
        data=data,
        headers={**books.headers(), "Content-Type": "application/json"},
        timeout=30,
    )
    assert response.status_code == 413
    assert books.sandbox.invoices() == []


def test_reset_clears_accounting_data(books: Books) -> None:
    books.put_invoices(invoice())
    assert books.sandbox.stats()["tenants"][MAICA]["invoices"] == 1
    books.admin("POST", "reset")
    assert books.sandbox.invoices() == []
    assert books.sandbox.contacts() == []


def test_state_file_keeps_books(tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    config = SandboxConfig(auto_consent=True, state_file=str(state), state_save_interval=0.05)
    with Sandbox(config) as sb:
        token = sign_in(sb)
        books = Books(sb, token, MAICA)
        books.put_invoices(invoice())
        for _ in range(100):
            if state.exists() and "MAICA-1" in state.read_text():
                break
            threading_wait(0.02)
        assert "MAICA-1" in state.read_text()  # written by the saver, before stop
        books.put_invoices(invoice("MAICA-2"))
    with Sandbox(config) as again:
        refs = [i["Reference"] for i in again.invoices()]
        assert refs == ["MAICA-1", "MAICA-2"]
        books = Books(again, token, MAICA)
        nxt = books.put_invoices(invoice("MAICA-3", Contact={"Name": "adam smith"})).json()[
            "Invoices"
        ][0]
        assert nxt["InvoiceNumber"] == "INV-0003"
        assert len(again.contacts()) == 1


def threading_wait(seconds: float) -> None:
    import threading

    threading.Event().wait(seconds)


def test_listeners_hear_changes(books: Books) -> None:
    heard: list[LedgerEvent] = []
    books.sandbox.add_listener(heard.append)
    created = books.put_invoices(invoice()).json()["Invoices"][0]
    books.sandbox.pay(10, invoice_id=created["InvoiceID"])
    kinds = [(e.category, e.event_type) for e in heard]
    assert kinds == [("CONTACT", "CREATE"), ("INVOICE", "CREATE"), ("INVOICE", "UPDATE")]
    assert heard[1].resource_id == created["InvoiceID"]
    assert heard[1].tenant_id == MAICA
