"""The batch journal: written *before* a request leaves, closed after its answer is recorded.

A crash at any point leaves either a closed batch or an open one to reconcile — never an invoice
whose fate is unknown without a trace.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from ..states import BatchState
from .db import Database


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


class BatchRecords:
    """Writes and reads ``batches`` (and marks a batch's links ``sending``). Any thread."""

    db: Database

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

    def close_batch(self, batch_id: str, state: str = BatchState.RECONCILED) -> None:
        with self.db.tx() as conn:
            conn.execute(
                "UPDATE batches SET state = ?, finished_at = ? WHERE id = ?",
                (state, time.time(), batch_id),
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
