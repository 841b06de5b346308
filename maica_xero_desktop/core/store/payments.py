"""Payments: what Xero says settled each linked invoice, and the Maica status it raises."""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from .db import Database


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


class PaymentRecords:
    """Writes payment figures onto links, ``payments`` and ``invoice_credits``. Any thread."""

    db: Database

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
