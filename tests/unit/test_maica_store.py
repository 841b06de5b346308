"""The Maica journals in the store (core/store/maica.py), on a real SQLite file: pulled records,
the pull mark, the invoice write-back journal, payment write-back state, invoices that changed
hands."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

from maica_xero_desktop.core.models import Invoice, Line
from maica_xero_desktop.core.store import Outcome, PaymentState, Store
from maica_xero_desktop.core.store.invoice_import import sync_fingerprint
from maica_xero_desktop.core.store.maica import ElsewhereRecord, PulledRecord

T = "tenant-1"
ORG = "00D000000000001AAA"


def _invoice(number: str) -> Invoice:
    return Invoice(
        invoice_number=number,
        invoice_date=date(2026, 10, 1),
        status="Not Paid",
        funding_type="Plan Managed",
        participant_id="003000000000001AAA",
        participant_name="Adam Smith",
        lines=(Line("01_011_0107_1_1", Decimal(2), Decimal("67.56"), "Self-care"),),
    )


def _pulled(store: Store, *numbers: str, mark: str = "2026-11-27T09:00:00.000+0000") -> None:
    store.store_pull(
        ORG,
        [_invoice(n) for n in numbers],
        [PulledRecord(n, f"a0A{n[-3:]}", mark) for n in numbers],
        mark,
        T,
    )


def _sent(store: Store, number: str, xero_id: str) -> int:
    invoice_id = next(i for i, n, _ in store.maica_records().values() if n == number)
    run = store.start_run(T, "Demo", "authorised", "manual", False)
    store.record_outcomes(
        T,
        run,
        [Outcome(invoice_id, number, "created", "", xero_id, f"X-{number}")],
        {invoice_id: sync_fingerprint(_invoice(number))},
    )
    return invoice_id


def test_a_pull_keeps_the_salesforce_ids_and_the_mark(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.db")
    assert store.maica_mark(ORG) == ""
    _pulled(store, "INV-001", "INV-002")
    assert store.maica_mark(ORG) == "2026-11-27T09:00:00.000+0000"
    assert sorted(store.maica_records()) == ["a0A001", "a0A002"]


def test_the_write_back_journal_follows_the_links(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.db")
    _pulled(store, "INV-001", "INV-002")
    assert store.writeback_pending(T) == []  # nothing in Xero yet
    _sent(store, "INV-001", "xero-1")
    pending = store.writeback_pending(T)
    assert [(p.sf_id, p.xero_invoice_id, p.xero_invoice_number) for p in pending] == [
        ("a0A001", "xero-1", "X-INV-001")
    ]
    store.record_writeback(T, [], [(pending[0], "a validation rule")])
    assert len(store.writeback_pending(T)) == 1  # a refused one is tried again
    store.record_writeback(T, pending)
    assert store.writeback_pending(T) == []
    # reopening the file (another process) sees the same journal
    assert Store(tmp_path / "s.db").writeback_pending(T) == []


def test_payments_are_pending_until_written_and_again_when_removed(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.db")
    _pulled(store, "INV-001")
    _sent(store, "INV-001", "xero-1")
    state = PaymentState("xero-1", "PAID", "135.12", "0", "2026-11-01",
                         payments=(("pay-1", "135.12", "2026-11-01"),), complete=True)  # fmt: skip
    store.record_payment_states(T, [state], {})
    pending = store.payments_pending(T)
    assert [(p.xero_payment_id, p.amount, p.included) for p in pending] == [
        ("pay-1", "135.12", True)
    ]
    store.record_payment_writeback(T, [(pending[0], "a0C001")])
    assert store.payments_pending(T) == []
    # deleted in Xero: the complete answer lists none, the payment goes back with Include off
    gone = PaymentState("xero-1", "AUTHORISED", "0", "135.12", None, payments=(), complete=True)
    store.record_payment_states(T, [gone], {})
    pending = store.payments_pending(T)
    assert [(p.xero_payment_id, p.included) for p in pending] == [("pay-1", False)]
    store.record_payment_writeback(T, [(pending[0], "a0C001")])
    assert store.payments_pending(T) == []
    [written] = store.written_payments(T)
    assert (written.sf_id, written.included) == ("a0C001", False)


def test_an_invoice_that_changed_hands_is_linked_not_sent(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.db")
    _pulled(store, "INV-001", "INV-002")
    linked = store.link_elsewhere(T, [ElsewhereRecord("a0A002", "xero-other", "INV-0099")])
    assert linked == 1
    assert store.changed_hands() == ["INV-002"]
    assert store.writeback_pending(T) == []  # nothing to write: Maica has it already
    [row] = [r for r in store.list_invoices(T, None, -1, 0) if r.invoice_number == "INV-002"]
    assert row.state == "synced"
    assert row.xero_invoice_id == "xero-other"


def test_a_finance_external_id_this_product_wrote_is_not_someone_elses(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.db")
    _pulled(store, "INV-001")
    _sent(store, "INV-001", "xero-1")
    store.record_writeback(T, store.writeback_pending(T))
    assert store.link_elsewhere(T, [ElsewhereRecord("a0A001", "xero-1", "X-INV-001")]) == 0
    assert store.changed_hands() == []


def test_one_seen_before_an_organisation_was_chosen_is_linked_by_the_next_pull(
    tmp_path: Path,
) -> None:
    store = Store(tmp_path / "s.db")
    _pulled(store, "INV-001")
    assert store.link_elsewhere("", [ElsewhereRecord("a0A001", "xero-other", "INV-0099")]) == 0
    assert store.changed_hands() == ["INV-001"]
    _pulled(store, mark="2026-11-28T09:00:00.000+0000")  # nothing new; an organisation now
    [row] = store.list_invoices(T, None, -1, 0)
    assert (row.state, row.xero_invoice_id) == ("synced", "xero-other")


def test_a_finance_external_id_cleared_in_maica_is_written_again(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.db")
    _pulled(store, "INV-001")
    _sent(store, "INV-001", "xero-1")
    store.record_writeback(T, store.writeback_pending(T))
    assert store.writeback_pending(T) == []
    # the pull reads only invoices with an empty Finance External ID: this one came back
    _pulled(store, "INV-001", mark="2026-11-28T09:00:00.000+0000")
    assert [p.xero_invoice_id for p in store.writeback_pending(T)] == ["xero-1"]
