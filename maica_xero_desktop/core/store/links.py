"""Links: where each Maica invoice stands in one Xero organisation, and what a run did with it.

Every method is one transaction. A run's outcomes are written onto the links and into the run's
results together, and the batch that carried them is closed in the same transaction.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..states import LINK_STATE_OF, LinkState, RunOutcome
from .db import Database


@dataclass(frozen=True)
class Outcome:
    invoice_id: int
    invoice_number: str
    #: a :class:`RunOutcome` (kept a ``str``: a member equals its value)
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


#: the states of a link to an invoice that is in Xero
_SENT = (LinkState.SYNCED, LinkState.CHANGED)


class LinkRecords:
    """Writes and reads ``xero_links`` and ``run_results``; never calls Xero. Any thread: each
    method opens its own transaction."""

    db: Database

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
                state = None if results_only else LINK_STATE_OF.get(item.outcome)
                message = item.message
                if state == LinkState.SYNCED and fingerprints.get(item.invoice_id):
                    row = conn.execute(
                        "SELECT fingerprint FROM invoices WHERE id = ?", (item.invoice_id,)
                    ).fetchone()
                    if row is not None and row["fingerprint"] != fingerprints[item.invoice_id]:
                        # re-imported while it was on its way: Xero has the old
                        state = LinkState.CHANGED
                        message = CHANGED_WHILE_SENDING
                if state is not None:
                    synced = state in _SENT
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
                            batch_id if state == LinkState.SENDING else None,  # "pending" clears it
                            None if state == LinkState.CONFLICT else item.xero_invoice_id,
                            None if state == LinkState.CONFLICT else item.xero_invoice_number,
                            fingerprints.get(item.invoice_id) if synced else None,
                            now,
                            json.dumps(item.detail, sort_keys=True) if item.detail else None,
                        ),
                    )
                if item.outcome == RunOutcome.PENDING:
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
                        None if item.outcome == RunOutcome.CONFLICT else item.xero_invoice_id,
                        None if item.outcome == RunOutcome.CONFLICT else item.xero_invoice_number,
                        item.message,
                    ),
                )
            if batch_id is not None:
                conn.execute(
                    "UPDATE batches SET state = 'done', finished_at = ? WHERE id = ?",
                    (now, batch_id),
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
