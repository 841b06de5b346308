"""Payments back from Xero as Xero really reports them (issue 12.3, 12.4, 12.8): credits count,
a reversed payment leaves the set, Maica's status is never lowered, and the pull asks little."""

from __future__ import annotations

import csv
import dataclasses
import re
import time
import uuid
from decimal import Decimal
from pathlib import Path

import pytest

from maica_xero_desktop.core.errors import XeroRequestError
from maica_xero_desktop.core.service import Service, internals
from maica_xero_desktop.core.sync.payments import MARK
from maica_xero_desktop.sandbox import Sandbox
from tests.support.exports import DEMO, SAMPLE


def _export(tmp_path: Path, fully_paid: str = "") -> Path:
    """The sample export, with one invoice marked Fully Paid in Maica."""
    with SAMPLE.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    for row in rows:
        if row["invoice_number"] == fully_paid:
            row["status"] = "Fully Paid"
    path = tmp_path / "export.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


@pytest.fixture
def pushed(connected: Service, tmp_path: Path) -> Service:
    connected.use(DEMO)
    connected.sync.import_file(_export(tmp_path, fully_paid="INV-002404"))
    connected.sync.run()
    return connected


def _tenant(service: Service) -> str:
    return service.settings().active_tenant_id


def _row(service: Service, number: str) -> object:
    return next(r for r in service.sync.invoices() if r.invoice_number == number)


def _link(service: Service, number: str) -> tuple[int, dict[str, object]]:
    with internals(service).store.db.read() as conn:
        row = conn.execute(
            "SELECT i.id, l.* FROM xero_links l JOIN invoices i ON i.id = l.invoice_id "
            "WHERE i.invoice_number = ? AND l.tenant_id = ?",
            (number, _tenant(service)),
        ).fetchone()
    return int(row["id"]), dict(row)


def _xero(sandbox: Sandbox, tenant: str, number: str) -> dict[str, object]:
    return next(i for i in sandbox.invoices(tenant) if i["InvoiceNumber"] == number)


def test_a_credit_note_settles_an_invoice(pushed: Service, xero_env: Sandbox) -> None:
    tenant = _tenant(pushed)
    total = float(_xero(xero_env, tenant, "INV-002402")["Total"])  # type: ignore[arg-type]
    half = round(total / 2, 2)
    xero_env.credit(half, invoice_number="INV-002402", tenant_id=tenant)
    assert pushed.sync.refresh_payments() == 1
    row = _row(pushed, "INV-002402")
    assert (row.status, row.amount_paid) == ("Partially Paid", "0")  # type: ignore[attr-defined]
    invoice_id, link = _link(pushed, "INV-002402")
    assert link["xero_payment_state"] == "Partially Paid"
    assert Decimal(str(link["amount_credited"])) == Decimal(str(half))
    (entry,) = internals(pushed).store.payment_set(tenant, invoice_id)
    assert (entry[0], Decimal(entry[2])) == ("credit_note", Decimal(str(half)))
    xero_env.credit(
        round(total - half, 2), kind="PREPAYMENT", invoice_number="INV-002402", tenant_id=tenant
    )
    pushed.sync.refresh_payments()
    row = _row(pushed, "INV-002402")
    assert (row.status, row.xero_status, row.amount_due) == ("Fully Paid", "PAID", "0")  # type: ignore[attr-defined]
    assert [e[0] for e in internals(pushed).store.payment_set(tenant, invoice_id)] == [
        "credit_note",
        "prepayment",
    ]
    # Xero's total is paid + due + credited: no false "totals differ" note on the row
    assert "differ" not in row.message  # type: ignore[attr-defined]


def test_a_reversed_payment_leaves_the_set(pushed: Service, xero_env: Sandbox) -> None:
    tenant = _tenant(pushed)
    first = xero_env.pay(10, invoice_number="INV-002403", tenant_id=tenant)
    xero_env.advance_clock(86400)
    due = _xero(xero_env, tenant, "INV-002403")["AmountDue"]
    xero_env.pay(due, invoice_number="INV-002403", tenant_id=tenant)  # type: ignore[arg-type]
    pushed.sync.refresh_payments()
    invoice_id, link = _link(pushed, "INV-002403")
    assert len(internals(pushed).store.payment_set(tenant, invoice_id)) == 2
    assert _row(pushed, "INV-002403").status == "Fully Paid"  # type: ignore[attr-defined]
    later = link["last_payment_date"]
    paid_ids = xero_env.invoices(tenant)
    second_id = next(i for i in paid_ids if i["InvoiceNumber"] == "INV-002403")["PaymentIDs"][1]
    xero_env.reverse_payment(second_id, tenant_id=tenant)
    assert pushed.sync.refresh_payments() == 1
    _, link = _link(pushed, "INV-002403")
    payments = internals(pushed).store.payment_set(tenant, invoice_id)
    assert [Decimal(p[2]) for p in payments] == [Decimal(10)]
    assert link["last_payment_date"] != later
    assert link["last_payment_date"] == payments[0][3]
    assert (link["xero_status"], link["xero_payment_state"]) == ("AUTHORISED", "Partially Paid")
    # Maica's status is not lowered from Xero's figures; Xero's state is kept beside it
    row = _row(pushed, "INV-002403")
    assert (row.status, row.xero_payment_state) == ("Fully Paid", "Partially Paid")  # type: ignore[attr-defined]
    assert first["invoice"]["AmountPaid"] == 10


def test_a_fully_paid_maica_invoice_stays_fully_paid(pushed: Service, xero_env: Sandbox) -> None:
    tenant = _tenant(pushed)
    assert _xero(xero_env, tenant, "INV-002404")["AmountPaid"] == 0
    xero_env.pay(1, invoice_number="INV-002402", tenant_id=tenant)  # something to pull
    pushed.sync.refresh_payments()
    assert _row(pushed, "INV-002404").status == "Fully Paid"  # type: ignore[attr-defined]
    _, link = _link(pushed, "INV-002404")
    assert link["xero_payment_state"] in (None, "Not Paid")


def test_the_pull_starts_at_the_first_push_in_xeros_form(
    pushed: Service, xero_env: Sandbox
) -> None:
    tenant = _tenant(pushed)
    mark = internals(pushed).store.mark(tenant, MARK)
    assert mark is not None
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d", mark)
    xero_env.pay(1, invoice_number="INV-002402", tenant_id=tenant)
    before = xero_env.app.stats.tenant_snapshot(tenant)["calls"]
    pushed.sync.refresh_payments()
    after = xero_env.app.stats.tenant_snapshot(tenant)["calls"]
    asked = {k: after[k] - before.get(k, 0) for k in after if after[k] != before.get(k, 0)}
    assert sum(asked.values()) == 1  # one page of 1,000 holds every change since the push
    assert _row(pushed, "INV-002402").status == "Partially Paid"  # type: ignore[attr-defined]


def _touch_others(sandbox: Sandbox, tenant: str, count: int) -> None:
    """``count`` more sales invoices in the organisation, all changed now (not ours)."""
    state = sandbox.state
    with state.lock:
        ledger = state.ledger(tenant)
        template = next(iter(ledger.invoices.values()))
        now = state.now()
        for n in range(count):
            ledger.put_invoice(
                dataclasses.replace(
                    template,
                    invoice_id=str(uuid.uuid4()),
                    number=f"OTHER-{n:05d}",
                    payment_ids=[],
                    credits=[],
                    created=now,
                    updated=now,
                )
            )


def test_an_interrupted_pull_resumes_at_its_page(
    pushed: Service, xero_env: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    tenant = _tenant(pushed)
    _touch_others(xero_env, tenant, 2100)  # with ours: 3 pages of 1,000
    xero_env.pay(1, invoice_number="INV-002402", tenant_id=tenant)
    xero_env.advance_clock(2)  # the mark is kept to the second, as Xero's form has it
    client = internals(pushed).xero
    real = client.accounting
    asked: list[dict[str, object]] = []

    def accounting(method: str, path: str, tenant_id: str, **kwargs: object) -> object:
        asked.append(dict(kwargs.get("params") or {}))  # type: ignore[call-overload]
        if len(asked) == 3:
            xero_env.add_fault(status=400, endpoint="api.GET.Invoices")
        return real(method, path, tenant_id, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(client, "accounting", accounting)
    with pytest.raises(XeroRequestError):
        pushed.sync.refresh_payments()
    assert [a["page"] for a in asked] == [1, 2, 3]
    assert {a["pageSize"] for a in asked} == {1000}
    asked.clear()
    pushed.sync.refresh_payments()
    assert [a["page"] for a in asked] == [3]  # pages 1 and 2 are not asked again
    asked.clear()
    pushed.sync.refresh_payments()
    assert [a["page"] for a in asked] == [1]  # the next pull starts afresh from the new mark


def test_a_linked_invoice_paid_before_the_mark_is_read_by_id(
    pushed: Service, xero_env: Sandbox
) -> None:
    """An invoice linked to one Xero already had (no push answer gave its figures) may have been
    paid before the pull mark: the pull asks for it by id."""
    tenant = _tenant(pushed)
    due = _xero(xero_env, tenant, "INV-002402")["AmountDue"]
    xero_env.pay(due, invoice_number="INV-002402", tenant_id=tenant)  # type: ignore[arg-type]
    xero_env.advance_clock(5)
    now = xero_env.state.now()
    internals(pushed).store.set_mark(
        tenant, MARK, time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now))
    )
    with internals(
        pushed
    ).store.db.tx() as conn:  # as a link made by a lookup looks: no figures yet
        conn.execute(
            "UPDATE xero_links SET xero_status = NULL, amount_paid = NULL, amount_due = NULL "
            "WHERE xero_invoice_number = 'INV-002402'"
        )
    pushed.sync.refresh_payments()
    row = _row(pushed, "INV-002402")
    assert (row.status, row.xero_status) == ("Fully Paid", "PAID")  # type: ignore[attr-defined]
    assert internals(pushed).store.unrefreshed_xero_ids(tenant) == []
