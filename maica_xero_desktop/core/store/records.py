"""What the sync writes: links per organisation, the batch journal, contacts, runs, payments.

Every method is one transaction. The batch journal is written *before* a request leaves and closed
after its answer is recorded, so a crash at any point leaves either a closed batch or an open one to
reconcile — never an invoice whose fate is unknown without a trace.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from .db import Database


@dataclass(frozen=True)
class Outcome:
    invoice_id: int
    invoice_number: str
    #: created | linked | blocked | failed | conflict | skipped | unknown | pending
    outcome: str
    message: str = ""
    xero_invoice_id: str | None = None
    xero_invoice_number: str | None = None
    #: a conflict's two sides (Maica's invoice and the Xero invoice that is not it), as JSON
    detail: dict[str, Any] | None = field(default=None, compare=False)


CHANGED_WHILE_SENDING = (
    "Changed in Maica while it was being sent: Xero has the earlier version. Update the Xero "
    "invoice by hand if Xero allows it; to replace it instead, void it there and give the "
    "invoice a new number in Maica (Xero keeps a voided invoice's number)."
)

_LINK_STATE = {
    "created": "synced",
    "linked": "synced",
    "blocked": "blocked",
    "failed": "failed",
    "conflict": "conflict",
    "unknown": "sending",
    "pending": "pending",
}


@dataclass(frozen=True)
class OpenBatch:
    id: str
    run_id: int
    invoice_ids: tuple[int, ...]
    created_at: float
    flow: str = ""
    attempted_at: float = 0.0
    #: the fingerprint each invoice had when it was sent
    fingerprints: dict[int, str] = field(default_factory=dict)
    #: what each invoice looked like when it was sent (see :func:`sent_facts`), for comparing
    #: with what Xero has; absent for batches journalled by older versions
    facts: dict[int, dict[str, Any]] = field(default_factory=dict)


@dataclass(frozen=True)
class RunRecord:
    id: int
    tenant_id: str
    tenant_name: str
    flow: str
    trigger: str
    dry_run: bool
    state: str
    started_at: float
    finished_at: float | None
    selected: int
    created: int
    linked: int
    blocked: int
    failed: int
    skipped: int
    api_calls: int
    message: str
    #: counted from the run's results (the runs table has no column for it)
    conflict: int = 0

    @property
    def duration_s(self) -> float:
        return round((self.finished_at or time.time()) - self.started_at, 3)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["run_id"] = data.pop("id")
        data["duration_s"] = self.duration_s
        return data


@dataclass(frozen=True)
class PaymentState:
    xero_invoice_id: str
    xero_status: str
    amount_paid: str
    amount_due: str
    last_payment_date: str | None
    payments: tuple[tuple[str, str, str], ...] = ()  # (payment id, amount, date)
    amount_credited: str = "0"
    #: credits applied: (credit id, applied amount, date, kind credit_note|prepayment|overpayment)
    credits: tuple[tuple[str, str, str, str], ...] = ()
    #: Not Paid / Partially Paid / Fully Paid as Xero sees it (None: voided or deleted)
    xero_payment_state: str | None = None
    xero_total: str | None = None
    #: the answer listed the invoice's payments: the stored set is replaced by this one
    #: (a payment deleted in Xero leaves it); else payments are only added
    complete: bool = False


class SyncRecords:
    db: Database

    # -- links -----------------------------------------------------------------------------

    def record_outcomes(
        self,
        tenant_id: str,
        run_id: int,
        outcomes: Sequence[Outcome],
        fingerprints: dict[int, str],
        batch_id: str | None = None,
        results_only: bool = False,
    ) -> None:
        """Each invoice's outcome on its link and in the run's results, in one transaction.

        ``results_only`` (a preview) writes the run's results and leaves the links alone.
        """
        now = time.time()
        with self.db.tx() as conn:
            for item in outcomes:
                state = None if results_only else _LINK_STATE.get(item.outcome)
                message = item.message
                if state == "synced" and fingerprints.get(item.invoice_id):
                    row = conn.execute(
                        "SELECT fingerprint FROM invoices WHERE id = ?", (item.invoice_id,)
                    ).fetchone()
                    if row is not None and row["fingerprint"] != fingerprints[item.invoice_id]:
                        state = "changed"  # re-imported while it was on its way: Xero has the old
                        message = CHANGED_WHILE_SENDING
                if state is not None:
                    synced = state in ("synced", "changed")
                    conn.execute(
                        "INSERT INTO xero_links (invoice_id, tenant_id, state, message, batch_id, "
                        "xero_invoice_id, xero_invoice_number, synced_fingerprint, updated_at, "
                        "detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                        "ON CONFLICT (invoice_id, tenant_id) DO UPDATE SET state = excluded.state,"
                        " message = excluded.message, batch_id = excluded.batch_id, "
                        # a conflict is linked to nothing: no Xero id stays on it for payments
                        "xero_invoice_id = CASE WHEN excluded.state = 'conflict' THEN NULL ELSE "
                        "COALESCE(excluded.xero_invoice_id, xero_invoice_id) END, "
                        "xero_invoice_number = CASE WHEN excluded.state = 'conflict' THEN NULL "
                        "ELSE COALESCE(excluded.xero_invoice_number, xero_invoice_number) END, "
                        "synced_fingerprint = COALESCE("
                        "excluded.synced_fingerprint, synced_fingerprint), "
                        "updated_at = excluded.updated_at, detail = excluded.detail",
                        (
                            item.invoice_id,
                            tenant_id,
                            state,
                            message,
                            batch_id if state == "sending" else None,  # "pending" clears it
                            None if state == "conflict" else item.xero_invoice_id,
                            None if state == "conflict" else item.xero_invoice_number,
                            fingerprints.get(item.invoice_id) if synced else None,
                            now,
                            json.dumps(item.detail, sort_keys=True) if item.detail else None,
                        ),
                    )
                if item.outcome == "pending":
                    continue  # back in the queue: not an outcome of this run
                conn.execute(
                    "INSERT OR REPLACE INTO run_results (run_id, invoice_id, invoice_number, "
                    "outcome, xero_invoice_id, xero_invoice_number, message) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (
                        run_id,
                        item.invoice_id,
                        item.invoice_number,
                        item.outcome,
                        None if item.outcome == "conflict" else item.xero_invoice_id,
                        None if item.outcome == "conflict" else item.xero_invoice_number,
                        item.message,
                    ),
                )
            if batch_id is not None:
                conn.execute(
                    "UPDATE batches SET state = 'done', finished_at = ? WHERE id = ?",
                    (now, batch_id),
                )

    def begin_batch(
        self,
        batch_id: str,
        run_id: int,
        tenant_id: str,
        fingerprints: dict[int, str],
        flow: str,
    ) -> None:
        """Journal a batch (its invoices, what each looked like, the flow) and mark its invoices
        ``sending``, before the request leaves."""
        now = time.time()
        invoice_ids = list(fingerprints)
        with self.db.tx() as conn:
            facts = _facts_now(conn, fingerprints)
            journal = json.dumps(
                [[i, fp, facts[i]] if i in facts else [i, fp] for i, fp in fingerprints.items()]
            )
            conn.execute(
                "INSERT INTO batches (id, run_id, tenant_id, state, invoices, created_at, flow, "
                "attempted_at) VALUES (?, ?, ?, 'sending', ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE "
                "SET state = 'sending', run_id = excluded.run_id, invoices = excluded.invoices, "
                "flow = excluded.flow, attempted_at = excluded.attempted_at",
                (batch_id, run_id, tenant_id, journal, now, flow, now),
            )
            conn.executemany(
                "INSERT INTO xero_links (invoice_id, tenant_id, state, batch_id, updated_at) "
                "VALUES (?, ?, 'sending', ?, ?) ON CONFLICT (invoice_id, tenant_id) DO UPDATE SET "
                "state = 'sending', batch_id = excluded.batch_id, message = '', "
                "updated_at = excluded.updated_at",
                [(i, tenant_id, batch_id, now) for i in invoice_ids],
            )

    def open_batches(self, tenant_id: str) -> list[OpenBatch]:
        with self.db.read() as conn:
            rows = conn.execute(
                "SELECT * FROM batches WHERE tenant_id = ? AND state IN ('sending', 'unknown') "
                "ORDER BY created_at",
                (tenant_id,),
            ).fetchall()
        batches = []
        for r in rows:
            journal = json.loads(r["invoices"])
            pairs = [
                (int(e[0]), str(e[1])) if isinstance(e, list) else (int(e), "") for e in journal
            ]
            facts = {
                int(e[0]): e[2]
                for e in journal
                if isinstance(e, list) and len(e) > 2 and isinstance(e[2], dict)
            }
            batches.append(
                OpenBatch(
                    r["id"],
                    r["run_id"],
                    tuple(i for i, _ in pairs),
                    r["created_at"],
                    flow=r["flow"],
                    attempted_at=r["attempted_at"] or r["created_at"],
                    fingerprints={i: fp for i, fp in pairs if fp},
                    facts=facts,
                )
            )
        return batches

    def mark_batch_unknown(self, batch_id: str) -> None:
        """Looked at, not settled: Xero may still be working on it."""
        with self.db.tx() as conn:
            conn.execute("UPDATE batches SET state = 'unknown' WHERE id = ?", (batch_id,))

    def close_batch(self, batch_id: str, state: str = "reconciled") -> None:
        with self.db.tx() as conn:
            conn.execute(
                "UPDATE batches SET state = ?, finished_at = ? WHERE id = ?",
                (state, time.time(), batch_id),
            )

    def reset_failed(self, tenant_id: str, invoice_ids: Iterable[int] | None = None) -> int:
        """Failed invoices back to pending (Retry failed); returns how many. A failure whose
        detail says a retry cannot mend it (this very invoice is voided in Xero, which keeps
        its number) stays failed: a retry would only be refused again."""
        with self.db.tx() as conn:
            if invoice_ids is None:
                cursor = conn.execute(
                    "UPDATE xero_links SET state = 'pending', message = '', updated_at = ? "
                    "WHERE tenant_id = ? AND state = 'failed' AND "
                    # a failure whose detail says why 'retry' cannot mend it stays failed
                    "COALESCE(json_extract(CASE WHEN json_valid(detail) THEN detail END, "
                    "'$.retry'), '') = ''",
                    (time.time(), tenant_id),
                )
                return cursor.rowcount
            total = 0
            for invoice_id in invoice_ids:
                total += conn.execute(
                    "UPDATE xero_links SET state = 'pending', message = '', updated_at = ? "
                    "WHERE tenant_id = ? AND state = 'failed' AND invoice_id = ? AND "
                    "COALESCE(json_extract(CASE WHEN json_valid(detail) THEN detail END, "
                    "'$.retry'), '') = ''",
                    (time.time(), tenant_id, invoice_id),
                ).rowcount
            return total

    def invoice_ids_in_state(self, tenant_id: str, state: str) -> list[int]:
        """The invoices whose link to ``tenant_id`` is in ``state`` (e.g. every conflict)."""
        with self.db.read() as conn:
            return [
                int(r[0])
                for r in conn.execute(
                    "SELECT invoice_id FROM xero_links WHERE tenant_id = ? AND state = ? "
                    "ORDER BY invoice_id",
                    (tenant_id, state),
                )
            ]

    def link_detail(self, tenant_id: str, invoice_id: int) -> dict[str, Any] | None:
        """The JSON detail of one link (a conflict's two sides), if any."""
        with self.db.read() as conn:
            row = conn.execute(
                "SELECT detail FROM xero_links WHERE tenant_id = ? AND invoice_id = ?",
                (tenant_id, invoice_id),
            ).fetchone()
        if row is None or not row["detail"]:
            return None
        value = json.loads(row["detail"])
        return value if isinstance(value, dict) else None

    # -- contacts --------------------------------------------------------------------------

    def contacts(self, tenant_id: str) -> dict[str, tuple[str, str]]:
        """participant id → (Xero ContactID, the name used in Xero)."""
        with self.db.read() as conn:
            return {
                r["participant_id"]: (r["xero_contact_id"], r["name_used"])
                for r in conn.execute("SELECT * FROM contacts WHERE tenant_id = ?", (tenant_id,))
            }

    def save_contacts(self, tenant_id: str, found: dict[str, tuple[str, str]]) -> None:
        with self.db.tx() as conn:
            conn.executemany(
                "INSERT OR REPLACE INTO contacts (tenant_id, participant_id, xero_contact_id, "
                "name_used) VALUES (?, ?, ?, ?)",
                [(tenant_id, pid, cid, name) for pid, (cid, name) in found.items()],
            )

    # -- runs ------------------------------------------------------------------------------

    def start_run(
        self, tenant_id: str, tenant_name: str, flow: str, trigger: str, dry_run: bool
    ) -> int:
        with self.db.tx() as conn:
            cursor = conn.execute(
                "INSERT INTO runs (tenant_id, tenant_name, flow, trigger, dry_run, state, "
                "started_at) VALUES (?, ?, ?, ?, ?, 'running', ?)",
                (tenant_id, tenant_name, flow, trigger, int(dry_run), time.time()),
            )
            return int(cursor.lastrowid or 0)

    def finish_run(self, run_id: int, state: str, counts: dict[str, int], message: str) -> None:
        with self.db.tx() as conn:
            conn.execute(
                "UPDATE runs SET state = ?, finished_at = ?, selected = ?, created = ?, "
                "linked = ?, blocked = ?, failed = ?, skipped = ?, api_calls = ?, message = ? "
                "WHERE id = ?",
                (
                    state,
                    time.time(),
                    counts.get("selected", 0),
                    counts.get("created", 0),
                    counts.get("linked", 0),
                    counts.get("blocked", 0),
                    counts.get("failed", 0),
                    counts.get("skipped", 0),
                    counts.get("api_calls", 0),
                    message,
                    run_id,
                ),
            )

    def close_abandoned_runs(self, tenant_id: str) -> None:
        """Runs left 'running' by a process that died (called while holding the run lock)."""
        with self.db.tx() as conn:
            conn.execute(
                "UPDATE runs SET state = 'failed', finished_at = COALESCE(finished_at, ?), "
                "message = 'The run was interrupted (the program stopped); its batches were "
                "checked against Xero by the next run.' WHERE tenant_id = ? AND state = 'running'",
                (time.time(), tenant_id),
            )

    def runs(self, limit: int = 20, tenant_id: str | None = None) -> list[RunRecord]:
        query = _RUNS
        params: list[Any] = []
        if tenant_id:
            query += " WHERE tenant_id = ?"
            params.append(tenant_id)
        query += " ORDER BY id DESC LIMIT ?"
        params.append(limit)
        with self.db.read() as conn:
            rows = conn.execute(query, params).fetchall()
        return [_run(r) for r in rows]

    def run(self, run_id: int) -> RunRecord | None:
        with self.db.read() as conn:
            row = conn.execute(_RUNS + " WHERE id = ?", (run_id,)).fetchone()
        return _run(row) if row else None

    def run_results(self, run_id: int, outcome: str | None = None) -> list[Outcome]:
        query = "SELECT * FROM run_results WHERE run_id = ?"
        params: list[Any] = [run_id]
        if outcome:
            query += " AND outcome = ?"
            params.append(outcome)
        with self.db.read() as conn:
            rows = conn.execute(query + " ORDER BY invoice_number", params).fetchall()
        return [
            Outcome(
                invoice_id=r["invoice_id"],
                invoice_number=r["invoice_number"],
                outcome=r["outcome"],
                message=r["message"],
                xero_invoice_id=r["xero_invoice_id"],
                xero_invoice_number=r["xero_invoice_number"],
            )
            for r in rows
        ]

    # -- payments and marks ----------------------------------------------------------------

    def synced_xero_ids(self, tenant_id: str) -> dict[str, int]:
        with self.db.read() as conn:
            return {
                r["xero_invoice_id"]: r["invoice_id"]
                for r in conn.execute(
                    "SELECT invoice_id, xero_invoice_id FROM xero_links WHERE tenant_id = ? AND "
                    "xero_invoice_id IS NOT NULL AND state IN ('synced', 'changed')",
                    (tenant_id,),
                )
            }

    def unrefreshed_xero_ids(self, tenant_id: str) -> list[str]:
        """Linked invoices whose payment state was never read (linked to an invoice Xero
        already had, rather than created by a push): a pull asks for these by id."""
        with self.db.read() as conn:
            return [
                r[0]
                for r in conn.execute(
                    "SELECT xero_invoice_id FROM xero_links WHERE tenant_id = ? AND "
                    "xero_invoice_id IS NOT NULL AND xero_status IS NULL AND "
                    "state IN ('synced', 'changed')",
                    (tenant_id,),
                )
            ]

    def count_gone(self, tenant_id: str) -> int:
        """Sent invoices whose Xero invoice is voided or deleted now."""
        with self.db.read() as conn:
            row = conn.execute(
                "SELECT COUNT(*) FROM xero_links WHERE tenant_id = ? AND state IN ('synced', "
                "'changed') AND xero_status IN ('VOIDED', 'DELETED')",
                (tenant_id,),
            ).fetchone()
        return int(row[0])

    def record_payment_states(
        self, tenant_id: str, states: Sequence[PaymentState], maica_status: dict[str, str]
    ) -> int:
        """Payment figures from Xero onto links, payments and credits; returns changes. The
        Maica status is only ever raised (Not Paid → Partially Paid → Fully Paid), never
        lowered: Xero's own state is kept beside it in ``xero_payment_state``."""
        changed = 0
        with self.db.tx() as conn:
            for state in states:
                row = conn.execute(
                    "SELECT l.invoice_id, l.amount_paid, l.amount_credited, l.xero_status, "
                    "l.detail, i.status FROM xero_links l JOIN invoices i ON i.id = l.invoice_id "
                    "WHERE l.tenant_id = ? AND l.xero_invoice_id = ? "
                    "AND l.state IN ('synced', 'changed')",
                    (tenant_id, state.xero_invoice_id),
                ).fetchone()
                if row is None:
                    continue
                before = (row["amount_paid"], row["amount_credited"] or "0", row["xero_status"])
                if before != (state.amount_paid, state.amount_credited, state.xero_status):
                    changed += 1
                if state.xero_status in _GONE and row["xero_status"] != state.xero_status:
                    conn.execute(  # never silently "synced": say what happened and what works
                        "UPDATE xero_links SET message = ? WHERE tenant_id = ? AND "
                        "xero_invoice_id = ? AND state IN ('synced', 'changed')",
                        (gone_message(state.xero_status), tenant_id, state.xero_invoice_id),
                    )
                # a complete answer sets the last payment date as it is now (a deleted payment
                # takes its date away); a partial one only adds
                conn.execute(
                    "UPDATE xero_links SET xero_status = ?, amount_paid = ?, amount_due = ?, "
                    "amount_credited = ?, xero_payment_state = ?, last_payment_date = "
                    "CASE WHEN ? THEN ? ELSE COALESCE(?, last_payment_date) END, "
                    "detail = ?, updated_at = ? WHERE tenant_id = ? AND xero_invoice_id = ? "
                    "AND state IN ('synced', 'changed')",
                    (
                        state.xero_status,
                        state.amount_paid,
                        state.amount_due,
                        state.amount_credited,
                        state.xero_payment_state,
                        state.complete,
                        state.last_payment_date,
                        state.last_payment_date,
                        _with_total(row["detail"], state.xero_total),
                        time.time(),
                        tenant_id,
                        state.xero_invoice_id,
                    ),
                )
                status = maica_status.get(state.xero_invoice_id)
                if status and _raises(row["status"], status):
                    conn.execute(
                        "UPDATE invoices SET status = ? WHERE id = ?", (status, row["invoice_id"])
                    )
                _record_settlements(conn, tenant_id, int(row["invoice_id"]), state)
        return changed

    def payment_set(self, tenant_id: str, invoice_id: int) -> list[tuple[str, str, str, str]]:
        """What settled an invoice in Xero, oldest first: (kind, Xero id, amount, date); kind
        is payment, credit_note, prepayment or overpayment."""
        with self.db.read() as conn:
            rows = conn.execute(
                "SELECT 'payment' AS kind, xero_payment_id AS id, amount, date FROM payments "
                "WHERE tenant_id = ? AND invoice_id = ? UNION ALL "
                "SELECT kind, xero_credit_id, amount, date FROM invoice_credits "
                "WHERE tenant_id = ? AND invoice_id = ? ORDER BY date, kind, id",
                (tenant_id, invoice_id, tenant_id, invoice_id),
            ).fetchall()
        return [(r["kind"], r["id"], r["amount"], r["date"]) for r in rows]

    def mark(self, tenant_id: str, name: str) -> str | None:
        with self.db.read() as conn:
            row = conn.execute(
                "SELECT value FROM sync_marks WHERE tenant_id = ? AND name = ?", (tenant_id, name)
            ).fetchone()
        return str(row["value"]) if row else None

    def set_mark(self, tenant_id: str, name: str, value: str) -> None:
        with self.db.tx() as conn:
            conn.execute(
                "INSERT OR REPLACE INTO sync_marks (tenant_id, name, value) VALUES (?, ?, ?)",
                (tenant_id, name, value),
            )


#: Maica statuses a pull may raise, in order (others, e.g. Cancelled, are never touched)
_RANK = {"Entered": 0, "Not Paid": 1, "Partially Paid": 2, "Fully Paid": 3}


def _raises(current: str, new: str) -> bool:
    return current in _RANK and new in _RANK and _RANK[new] > _RANK[current]


def _with_total(detail: str | None, total: str | None) -> str | None:
    """The link's detail with Xero's current total (what the list compares with Maica's)."""
    if total is None:
        return detail
    try:
        data = json.loads(detail) if detail else {}
    except ValueError:
        data = {}
    if not isinstance(data, dict):
        data = {}
    data["xero_total"] = total
    return json.dumps(data, sort_keys=True)


def _record_settlements(conn: Any, tenant_id: str, invoice_id: int, state: PaymentState) -> None:
    """Payments and applied credits of one invoice: added, and — when the answer listed them
    all — the ones Xero no longer lists removed."""
    if state.complete:
        kept = {p[0] for p in state.payments}
        stored = conn.execute(
            "SELECT xero_payment_id FROM payments WHERE tenant_id = ? AND invoice_id = ?",
            (tenant_id, invoice_id),
        ).fetchall()
        conn.executemany(
            "DELETE FROM payments WHERE tenant_id = ? AND xero_payment_id = ?",
            [(tenant_id, r[0]) for r in stored if r[0] not in kept],
        )
        conn.execute(
            "DELETE FROM invoice_credits WHERE tenant_id = ? AND invoice_id = ?",
            (tenant_id, invoice_id),
        )
    conn.executemany(
        "INSERT OR REPLACE INTO payments (tenant_id, xero_payment_id, invoice_id, amount, date) "
        "VALUES (?, ?, ?, ?, ?)",
        [(tenant_id, pid, invoice_id, amt, day) for pid, amt, day in state.payments],
    )
    totals: dict[tuple[str, str], tuple[Decimal, str]] = {}
    for cid, amt, day, kind in state.credits:
        # one credit applied twice to the same invoice is one row with the sum
        was, _ = totals.get((kind, cid), (Decimal(0), ""))
        totals[(kind, cid)] = (was + Decimal(amt), day)
    conn.executemany(
        "INSERT OR REPLACE INTO invoice_credits (tenant_id, invoice_id, kind, xero_credit_id, "
        "amount, date) VALUES (?, ?, ?, ?, ?, ?)",
        [
            (tenant_id, invoice_id, kind, cid, str(amt), day)
            for (kind, cid), (amt, day) in totals.items()
        ],
    )


_GONE = ("VOIDED", "DELETED")


def gone_message(xero_status: str, day: date | None = None) -> str:
    """The message of a sent invoice voided or deleted in Xero (seen on ``day``)."""
    status = "voided" if xero_status == "VOIDED" else "deleted"
    return (
        f"{status.title()} in Xero (seen {(day or date.today()).isoformat()}): it is not sent "
        f"again, and 'retry' cannot send it, because Xero keeps the number of a {status} "
        "invoice. If it should be in Xero, give it a new number in Maica and import it again."
    )


def _facts_now(conn: Any, fingerprints: dict[int, str]) -> dict[int, dict[str, Any]]:
    """What each invoice of a batch looks like as it is sent: number, participant, date,
    currency, total before tax and line count — for invoices whose content is still the one
    the batch was built from (same fingerprint)."""
    facts: dict[int, dict[str, Any]] = {}
    for invoice_id, fingerprint in fingerprints.items():
        row = conn.execute(
            "SELECT invoice_number, participant_id, invoice_date, currency, fingerprint "
            "FROM invoices i WHERE id = ?",
            (invoice_id,),
        ).fetchone()
        if row is None or row["fingerprint"] != fingerprint:
            continue
        lines = conn.execute(
            "SELECT quantity, unit_price FROM invoice_lines WHERE invoice_id = ?", (invoice_id,)
        ).fetchall()
        # The lines' sum before tax, each to the cent, as sent (the stored 'total' includes GST).
        cent = Decimal("0.01")
        before_tax = sum(
            (
                (Decimal(line["quantity"]) * Decimal(line["unit_price"])).quantize(
                    cent, ROUND_HALF_UP
                )
                for line in lines
            ),
            Decimal(0),
        )
        facts[invoice_id] = {
            "number": row["invoice_number"],
            "participant_id": row["participant_id"],
            "date": row["invoice_date"],
            "currency": row["currency"],
            "total": format(before_tax, "f"),
            "lines": len(lines),
        }
    return facts


_RUNS = (
    "SELECT *, (SELECT COUNT(*) FROM run_results r WHERE r.run_id = runs.id "
    "AND r.outcome = 'conflict') AS conflict FROM runs"
)


def _run(row: Any) -> RunRecord:
    data = dict(row)
    data["dry_run"] = bool(data["dry_run"])
    return RunRecord(**data)
