"""The SQLite store: import semantics, the batch journal, runs and payments, on a real file."""

from __future__ import annotations

import dataclasses
import sqlite3
import stat
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from maica_xero_desktop.core.models import Invoice, Line
from maica_xero_desktop.core.store import Outcome, PaymentState, Store, StoreError
from maica_xero_desktop.core.store.invoice_import import sync_fingerprint
from maica_xero_desktop.core.store.schema import MIGRATIONS

T = "tenant-1"


def _invoice(number: str = "INV-1", participant: str = "P-1", qty: str = "2") -> Invoice:
    return Invoice(
        invoice_number=number,
        invoice_date=date(2026, 10, 1),
        status="Not Paid",
        funding_type="Plan Managed",
        participant_id=participant,
        participant_name="Adam Smith",
        lines=(
            Line("01_011_0107_1_1", Decimal(qty), Decimal("67.56"), "Self-care"),
            Line(
                "07_001_0106_8_3",
                Decimal("1"),
                Decimal("100.1400"),
                tracking=(("Region", "North"),),
            ),
        ),
        ndis_number="431234567",
    )


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return Store(tmp_path / "maica.db")


def test_file_is_private_wal_and_versioned(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "maica.db"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
    conn.close()


def test_newer_schema_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "maica.db"
    Store(path).close()
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA user_version = 99")
    conn.close()
    with pytest.raises(StoreError, match="newer version"):
        Store(path)


def test_import_round_trip(store: Store) -> None:
    summary = store.apply_import([_invoice("INV-1"), _invoice("INV-2", "P-2")])
    assert (summary.new, summary.updated, summary.unchanged) == (2, 0, 0)
    loaded = store.load_invoices(T)
    assert [s.invoice for s in loaded] == [_invoice("INV-1"), _invoice("INV-2", "P-2")]
    assert all(s.state == "pending" for s in loaded)
    rows = store.list_invoices(T)
    assert rows[0].total == "235.26"
    assert store.count_invoices(T, "pending") == 2
    assert store.shared_participant_names() == {"adam smith"}


def test_reimport_same_is_unchanged_and_unsent_change_updates(store: Store) -> None:
    store.apply_import([_invoice()])
    assert store.apply_import([_invoice()]).unchanged == 1
    summary = store.apply_import([_invoice(qty="3")])
    assert summary.updated == 1
    assert store.load_invoices(T)[0].invoice.lines[0].quantity == Decimal("3")


def _sync(store: Store, invoice_id: int, fingerprint: str) -> None:
    run = store.start_run(T, "Org", "authorised", "test", False)
    store.begin_batch("b1", run, T, {invoice_id: fingerprint}, "authorised")
    store.record_outcomes(
        T,
        run,
        [Outcome(invoice_id, "INV-1", "created", "", "xero-id-1", "INV-1")],
        {invoice_id: fingerprint},
        batch_id="b1",
    )


def test_changed_after_sync_is_flagged_not_requeued(store: Store) -> None:
    store.apply_import([_invoice()])
    stored = store.load_invoices(T)[0]
    _sync(store, stored.id, stored.fingerprint)
    assert store.load_invoices(T)[0].state == "synced"
    summary = store.apply_import([_invoice(qty="5")])
    assert summary.flagged == 1
    after = store.load_invoices(T)[0]
    assert after.state == "changed"
    assert "not sent again" in after.message
    assert after.synced_fingerprint == stored.fingerprint != after.fingerprint


def test_status_only_change_of_synced_invoice_is_not_a_change(store: Store) -> None:
    store.apply_import([_invoice()])
    stored = store.load_invoices(T)[0]
    _sync(store, stored.id, stored.fingerprint)
    paid = dataclasses.replace(_invoice(), status="Fully Paid")
    assert sync_fingerprint(paid) == stored.fingerprint
    assert store.apply_import([paid]).unchanged == 1
    assert store.load_invoices(T)[0].state == "synced"


def test_cancelled_after_sync_says_void_it(store: Store) -> None:
    store.apply_import([_invoice()])
    stored = store.load_invoices(T)[0]
    _sync(store, stored.id, stored.fingerprint)
    summary = store.apply_import([dataclasses.replace(_invoice(), status="Cancelled")])
    assert summary.cancelled_after_sync == 1
    assert "void it in Xero" in store.load_invoices(T)[0].message


def test_import_failing_midway_leaves_nothing(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    store.apply_import([_invoice("INV-1")])
    calls = []
    original = Store._upsert_participant

    def flaky(conn: sqlite3.Connection, invoice: Invoice) -> None:
        calls.append(invoice.invoice_number)
        if len(calls) == 3:
            raise sqlite3.OperationalError("database or disk is full")
        original(conn, invoice)

    monkeypatch.setattr(Store, "_upsert_participant", staticmethod(flaky))
    with pytest.raises(StoreError, match="is full"):
        store.apply_import([_invoice("INV-2", "P-2"), _invoice("INV-3", "P-3"), _invoice("INV-4")])
    assert [s.invoice.invoice_number for s in store.load_invoices(T)] == ["INV-1"]


def test_batch_journal_and_requeue(store: Store) -> None:
    store.apply_import([_invoice("INV-1"), _invoice("INV-2", "P-2")])
    ids = [s.id for s in store.load_invoices(T)]
    run = store.start_run(T, "Org", "authorised", "test", False)
    store.begin_batch("batch-a", run, T, {i: f"fp{i}" for i in ids}, "classic")
    assert [s.state for s in store.load_invoices(T)] == ["sending", "sending"]
    (open_batch,) = store.open_batches(T)
    assert open_batch.invoice_ids == tuple(ids)
    assert open_batch.flow == "classic"
    assert open_batch.fingerprints == {i: f"fp{i}" for i in ids}
    assert open_batch.attempted_at > 0
    store.requeue(T, ids)
    store.close_batch("batch-a")
    assert store.open_batches(T) == []
    assert [s.state for s in store.load_invoices(T)] == ["pending", "pending"]


def test_runs_results_and_abandoned(store: Store) -> None:
    run = store.start_run(T, "Org", "authorised", "cli", False)
    store.close_abandoned_runs(T)
    record = store.run(run)
    assert record is not None
    assert record.state == "failed"
    assert "interrupted" in record.message
    other = store.start_run(T, "Org", "draft", "cli", True)
    store.finish_run(other, "finished", {"selected": 3, "created": 2, "api_calls": 7}, "ok")
    latest = store.runs(limit=1)[0]
    assert latest.to_json()["run_id"] == other
    assert latest.created == 2
    assert latest.dry_run is True


def test_payment_states_update_links_and_status(store: Store) -> None:
    store.apply_import([_invoice()])
    stored = store.load_invoices(T)[0]
    _sync(store, stored.id, stored.fingerprint)
    state = PaymentState(
        "xero-id-1",
        "AUTHORISED",
        "100.00",
        "135.26",
        "2026-11-02",
        (("pay-1", "100.00", "2026-11-02"),),
    )
    assert store.record_payment_states(T, [state], {"xero-id-1": "Partially Paid"}) == 1
    assert store.record_payment_states(T, [state], {"xero-id-1": "Partially Paid"}) == 0
    row = store.list_invoices(T)[0]
    assert (row.amount_paid, row.amount_due, row.status) == ("100.00", "135.26", "Partially Paid")


def test_disk_full_is_a_sentence(store: Store) -> None:
    def write_then_fail() -> None:
        with store.db.tx() as conn:
            conn.execute("INSERT INTO sync_marks VALUES ('t', 'n', 'v')")
            raise sqlite3.OperationalError("database or disk is full")

    with pytest.raises(StoreError, match="is full: nothing was changed"):
        write_then_fail()
    assert store.mark("t", "n") is None


def test_an_older_database_is_migrated_keeping_its_data(tmp_path: Path) -> None:
    from maica_xero_desktop.core.store.db import _statements

    path = tmp_path / "old.db"
    conn = sqlite3.connect(path)
    for statement in _statements(MIGRATIONS[0]):
        conn.execute(statement)
    conn.execute("PRAGMA user_version = 1")
    conn.execute("INSERT INTO participants (participant_id, name) VALUES ('P-1', 'Ann')")
    conn.execute(
        "INSERT INTO invoices (invoice_number, invoice_date, status, funding_type, "
        "participant_id, currency, total, fingerprint, imported_at, updated_at) "
        "VALUES ('INV-OLD', '2026-01-01', 'Not Paid', 'Plan Managed', 'P-1', 'AUD', '1', 'f', 0, 0)"
    )
    conn.commit()
    conn.close()
    store = Store(path)
    assert [r.invoice_number for r in store.list_invoices(T)] == ["INV-OLD"]
    check = sqlite3.connect(path)
    assert check.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
    columns = {row[1] for row in check.execute("PRAGMA table_info(run_results)")}
    assert "xero_invoice_number" in columns
    check.close()
    store.close()


def test_a_transaction_sqlite_already_rolled_back_is_still_a_sentence(store: Store) -> None:
    """A full disk during COMMIT makes SQLite roll back by itself; no second error may follow."""

    def write() -> None:
        with store.db.tx() as conn:
            conn.execute("INSERT INTO sync_marks VALUES ('t', 'n', 'v')")
            conn.execute("ROLLBACK")  # what SQLite does on SQLITE_FULL
            raise sqlite3.OperationalError("database or disk is full")

    with pytest.raises(StoreError, match="is full"):
        write()
    assert store.mark("t", "n") is None
    store.set_mark("t", "n", "after")  # the connection is usable again
    assert store.mark("t", "n") == "after"


def test_the_payment_set_follows_xero_and_maica_status_only_rises(store: Store) -> None:
    store.apply_import([_invoice()])
    stored = store.load_invoices(T)[0]
    _sync(store, stored.id, stored.fingerprint)

    def state(payments: tuple[tuple[str, str, str], ...], due: str, complete: bool) -> PaymentState:
        return PaymentState(
            "xero-id-1",
            "AUTHORISED",
            str(sum(float(p[1]) for p in payments)),
            due,
            max((p[2] for p in payments), default=None),
            payments,
            amount_credited="20",
            credits=(("cn-1", "20", "2026-11-01", "credit_note"),),
            xero_payment_state="Partially Paid",
            complete=complete,
        )

    both = (("pay-1", "50", "2026-11-02"), ("pay-2", "30", "2026-11-05"))
    store.record_payment_states(T, [state(both, "135.26", True)], {"xero-id-1": "Fully Paid"})
    assert [e[1] for e in store.payment_set(T, stored.id)] == ["cn-1", "pay-1", "pay-2"]
    store.record_payment_states(
        T, [state(both[:1], "165.26", True)], {"xero-id-1": "Partially Paid"}
    )
    assert [e[1] for e in store.payment_set(T, stored.id)] == ["cn-1", "pay-1"]
    with store.db.read() as conn:
        last = conn.execute("SELECT last_payment_date FROM xero_links").fetchone()[0]
    assert last == "2026-11-02"  # the deleted payment's date went with it
    assert store.list_invoices(T)[0].status == "Fully Paid"  # never lowered
    # an answer that did not list the payments only adds
    store.record_payment_states(T, [state((), "165.26", False)], {})
    assert [e[1] for e in store.payment_set(T, stored.id)] == ["cn-1", "pay-1"]
