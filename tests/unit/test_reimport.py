"""Re-importing an export: status changes, links that match Xero again, exact counts."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from maica_xero_desktop.core.models import Invoice, Line
from maica_xero_desktop.core.store import Outcome, PaymentState, Store
from maica_xero_desktop.core.store.invoice_import import APPROVE_IN_XERO, CANCELLED_MESSAGE

T = "tenant-1"


def _invoice(number: str = "INV-1", status: str = "Not Paid", qty: str = "2") -> Invoice:
    return Invoice(
        invoice_number=number,
        invoice_date=date(2026, 10, 1),
        status=status,
        funding_type="Plan Managed",
        participant_id="P-1",
        participant_name="Adam Smith",
        lines=(Line("01_011_0107_1_1", Decimal(qty), Decimal("67.56"), "Self-care"),),
    )


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    opened = Store(tmp_path / "maica.db")
    yield opened
    opened.close()


def _sync(store: Store, number: str = "INV-1") -> None:
    stored = next(s for s in store.load_invoices(T) if s.invoice.invoice_number == number)
    run = store.start_run(T, "Org", "draft", "test", False)
    store.begin_batch("b-" + number, run, T, {stored.id: stored.fingerprint}, "draft")
    store.record_outcomes(
        T,
        run,
        [Outcome(stored.id, number, "created", "", "xero-" + number, number)],
        {stored.id: stored.fingerprint},
        batch_id="b-" + number,
    )


def _one(store: Store) -> tuple[str, str, str]:
    (stored,) = store.load_invoices(T)
    return stored.invoice.status, stored.state, stored.message


def _counts(store: Store, invoices: list[Invoice]) -> tuple[int, int, int, int]:
    s = store.apply_import(invoices)
    return s.new, s.updated, s.unchanged, s.flagged


def test_a_status_change_before_sync_is_an_update(store: Store) -> None:
    store.apply_import([_invoice(status="Entered")])
    assert _counts(store, [_invoice(status="Not Paid")]) == (0, 1, 0, 0)
    assert _one(store)[0] == "Not Paid"
    assert _counts(store, [_invoice(status="Not Paid")]) == (0, 0, 1, 0)


def test_a_draft_approved_in_maica_says_approve_it_in_xero(store: Store) -> None:
    store.apply_import([_invoice(status="Entered")])
    _sync(store)
    assert _counts(store, [_invoice(status="Not Paid")]) == (0, 1, 0, 0)
    assert _one(store) == ("Not Paid", "synced", APPROVE_IN_XERO)
    assert store.apply_import([_invoice(status="Not Paid")]).unchanged == 1
    assert store.list_invoices(T)[0].message == APPROVE_IN_XERO
    # once Xero has it approved, the advice goes
    approved = PaymentState("xero-INV-1", "AUTHORISED", "0", "135.12", None)
    store.record_payment_states(T, [approved], {})
    assert store.list_invoices(T)[0].message == ""


def test_back_to_entered_after_it_was_sent_approved_is_said(store: Store) -> None:
    store.apply_import([_invoice(status="Not Paid")])
    _sync(store)
    assert _counts(store, [_invoice(status="Entered")]) == (0, 1, 0, 0)
    status, state, message = _one(store)
    assert (status, state) == ("Entered", "synced")
    assert "Back to Entered in Maica" in message


def test_payment_statuses_of_a_sent_invoice_come_from_xero(store: Store) -> None:
    store.apply_import([_invoice(status="Not Paid")])
    _sync(store)
    store.record_payment_states(
        T,
        [PaymentState("xero-INV-1", "AUTHORISED", "50", "85.12", None)],
        {"xero-INV-1": "Partially Paid"},
    )
    # the export still says Not Paid: it has not heard of the payment; nothing changed
    assert _counts(store, [_invoice(status="Not Paid")]) == (0, 0, 1, 0)
    assert _one(store)[0] == "Partially Paid"


def test_a_changed_invoice_back_as_it_was_sent_is_synced_again(store: Store) -> None:
    store.apply_import([_invoice()])
    _sync(store)
    assert _counts(store, [_invoice(qty="3")]) == (0, 0, 0, 1)
    assert _one(store)[1] == "changed"
    assert _counts(store, [_invoice(qty="4")]) == (0, 0, 0, 1)
    assert _counts(store, [_invoice()]) == (0, 1, 0, 0)
    assert _one(store) == ("Not Paid", "synced", "")


def test_cancelled_then_restored_is_synced_again(store: Store) -> None:
    store.apply_import([_invoice()])
    _sync(store)
    summary = store.apply_import([_invoice(status="Cancelled")])
    assert (summary.flagged, summary.cancelled_after_sync) == (1, 1)
    assert _one(store) == ("Cancelled", "changed", CANCELLED_MESSAGE)
    assert _counts(store, [_invoice(status="Cancelled")]) == (0, 0, 1, 0)
    assert _counts(store, [_invoice()]) == (0, 1, 0, 0)
    assert _one(store) == ("Not Paid", "synced", "")
    # restored with other content: changed, with the changed sentence, not the cancelled one
    store.apply_import([_invoice(status="Cancelled")])
    assert _counts(store, [_invoice(qty="7")]) == (0, 0, 0, 1)
    status, state, message = _one(store)
    assert (status, state) == ("Not Paid", "changed")
    assert "Changed in Maica" in message


def test_counts_over_a_mixed_file_are_exact(store: Store) -> None:
    store.apply_import([_invoice("INV-1"), _invoice("INV-2"), _invoice("INV-3", "Entered")])
    _sync(store, "INV-1")
    summary = store.apply_import(
        [
            _invoice("INV-1", qty="9"),  # sent, content changed
            _invoice("INV-2", "Entered"),  # unsent, status changed
            _invoice("INV-3", "Entered"),  # as before
            _invoice("INV-4"),
        ]
    )
    counts = (summary.new, summary.updated, summary.unchanged, summary.flagged)
    assert counts == (1, 1, 1, 1)
    assert summary.total == 4


def test_a_content_round_trip_after_a_status_change_ends_synced(store: Store) -> None:
    store.apply_import([_invoice(status="Entered")])
    _sync(store)
    store.apply_import([_invoice(status="Not Paid")])
    store.apply_import([_invoice(status="Not Paid", qty="3")])
    assert _one(store)[1] == "changed"
    store.apply_import([_invoice(status="Not Paid")])
    assert _one(store)[1:] == ("synced", "")


def test_a_changed_row_names_the_maica_edit_not_a_tax_rate(store: Store) -> None:
    store.apply_import([_invoice()])
    _sync(store)
    (stored,) = store.load_invoices(T)
    predicted = store.pricing(T).totals(stored.invoice)
    store.record_xero_totals(T, {stored.id: (predicted, "135.12")})
    assert store.list_invoices(T)[0].message == ""
    store.apply_import([_invoice(qty="3")])
    (listed,) = store.list_invoices(T)
    assert (listed.state, listed.total, listed.xero_total) == ("changed", "202.68", "135.12")
    assert "Xero used other tax rates" not in listed.message
    assert listed.message.startswith("Changed in Maica after it was sent to Xero")
    assert listed.message.endswith("Xero holds 135.12, Maica now 202.68.")
    # back as it was sent: synced, and no note at all
    store.apply_import([_invoice()])
    assert store.list_invoices(T)[0].message == ""
