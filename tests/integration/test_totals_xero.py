"""Totals agree with Xero (the sandbox over HTTP), or the row says why, with both figures."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from maica_xero_desktop.core.errors import ConfigurationError
from maica_xero_desktop.core.service import Service, internals
from maica_xero_desktop.core.store import InvoiceRow
from maica_xero_desktop.sandbox import Sandbox

GST_INVOICE = "INV-002438"


def _row(service: Service, number: str = GST_INVOICE) -> InvoiceRow:
    return next(r for r in service.sync.invoices() if r.invoice_number == number)


def _in_xero(sandbox: Sandbox, service: Service, number: str = GST_INVOICE) -> dict[str, object]:
    tenant = service.settings().active_tenant_id
    return next(i for i in sandbox.invoices(tenant) if i["InvoiceNumber"] == number)


def test_gst_invoice_shows_xeros_total_before_and_after_payment(
    ready: Service, xero_env: Sandbox
) -> None:
    before = _row(ready)
    assert (before.subtotal, before.tax, before.total) == ("180.62", "4.55", "185.17")
    assert before.xero_total is None
    preview = ready.sync.run(dry_run=True)
    (entry,) = [p for p in preview.preview if p["invoice_number"] == GST_INVOICE]
    assert entry["payload"]["LineAmountTypes"] == "Exclusive"
    assert entry["totals"] == {"subtotal": "180.62", "tax": "4.55", "total": "185.17"}
    ready.sync.run()
    assert Decimal(str(_in_xero(xero_env, ready)["Total"])) == Decimal("185.17")
    synced = _row(ready)
    assert (synced.total, synced.xero_total, synced.amount_due) == ("185.17", "185.17", "185.17")
    assert "Xero total" not in synced.message
    xero_env.pay("185.17", invoice_number=GST_INVOICE, tenant_id=ready.settings().active_tenant_id)
    ready.sync.refresh_payments()
    paid = _row(ready)
    assert (paid.total, paid.status, paid.xero_status) == ("185.17", "Fully Paid", "PAID")
    assert paid.message == ""


def test_a_total_xero_computes_differently_is_on_the_row_with_both_figures(
    ready: Service, xero_env: Sandbox
) -> None:
    tenant = ready.settings().active_tenant_id
    # Xero applies 15 % where its tax rate list said 10 %: its total is not the predicted one.
    xero_env.state.ledger(tenant).chart.rates["OUTPUT"] = Decimal("0.15")
    result = ready.sync.run()
    (outcome,) = [o for o in result.outcomes if o.invoice_number == GST_INVOICE]
    assert outcome.outcome == "created"
    assert "Xero total 187.45, Maica 185.17" in outcome.message
    row = _row(ready)
    assert (row.state, row.total, row.xero_total) == ("synced", "185.17", "187.45")
    assert row.message.count("Xero total 187.45, Maica 185.17") == 1
    with internals(ready).store.db.read() as conn:
        detail = conn.execute(
            "SELECT detail FROM xero_links l JOIN invoices i ON i.id = l.invoice_id "
            "WHERE i.invoice_number = ?",
            (GST_INVOICE,),
        ).fetchone()[0]
    figures = json.loads(detail)
    assert (figures["xero_total"], figures["predicted"]["total"]) == ("187.45", "185.17")
    others = [r for r in ready.sync.invoices(state="synced") if "Xero total" in r.message]
    assert [r.invoice_number for r in others] == [GST_INVOICE]  # GST-free ones agree


def test_a_difference_after_a_payment_refresh_is_shown(ready: Service, xero_env: Sandbox) -> None:
    ready.sync.run()
    # A payment refresh reports Xero's paid and due amounts; with no pushed total on record
    # (an invoice linked by an earlier version), those are Xero's figure.
    with internals(ready).store.db.tx() as conn:
        conn.execute("UPDATE xero_links SET detail = NULL")
    tenant = ready.settings().active_tenant_id
    xero_env.pay("100.00", invoice_number=GST_INVOICE, tenant_id=tenant)
    ready.sync.refresh_payments()
    assert "Xero total" not in _row(ready).message
    ready.config_set("default-tax-type", "OUTPUT")  # now every line would carry GST here
    row = _row(ready)
    assert row.total == "198.68"
    assert row.xero_total == "185.17"
    assert "Xero total 185.17, Maica 198.68" in row.message


def test_line_amount_type_setting_is_sent_and_totals_follow(
    ready: Service, xero_env: Sandbox
) -> None:
    with pytest.raises(ConfigurationError):
        ready.config_set("line-amount-type", "gross")
    assert ready.config_get("line-amount-type") == "Exclusive"
    assert ready.config_set("line-amount-type", "inclusive") == "Inclusive"
    row = _row(ready)
    assert (row.subtotal, row.tax, row.total) == ("176.48", "4.14", "180.62")
    ready.sync.run()
    sent = _in_xero(xero_env, ready)
    assert Decimal(str(sent["Total"])) == Decimal("180.62")
    assert _row(ready).xero_total == "180.62"
    assert "Xero total" not in _row(ready).message
