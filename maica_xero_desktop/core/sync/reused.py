"""A number Maica reused for another participant after the invoice was sent to Xero.

A sent invoice re-imported with other content is ``changed``: it is not sent again, and the advice
is to update the Xero invoice by hand. When the re-imported invoice belongs to **another
participant**, that advice would overwrite a real invoice of the first participant in Xero: the
number was reused in Maica. Xero keeps every invoice number (even a voided one's), so the only
way forward is a new number in Maica. The participant sent is the one the batch journal recorded
when the invoice left; invoices linked by a lookup, never sent by this store, have no such record
and keep the general advice.
"""

from __future__ import annotations

import json
import time
from typing import Any

from ..store import Store
from ..textsafe import printable


def reused_message(sent_to: str, now_for: str) -> str:
    return (
        f"This number was reused in Maica for another participant ({printable(now_for)}; the "
        f"invoice in Xero is for {printable(sent_to)}): it is not sent again, and the Xero "
        "invoice must not be changed to match. Give the new invoice a new number in Maica and "
        "import it again (it is then sent as a new invoice)."
    )


def flag_reused_numbers(store: Store, tenant_id: str) -> int:
    """Reword every ``changed`` link whose invoice is now for another participant than the one
    sent; returns how many were reworded. Store only: no call to Xero."""
    if not tenant_id:
        return 0
    with store.db.read() as conn:
        changed = {
            int(r["invoice_id"]): (str(r["participant_id"]), str(r["message"] or ""))
            for r in conn.execute(
                "SELECT l.invoice_id, i.participant_id, l.message FROM xero_links l "
                "JOIN invoices i ON i.id = l.invoice_id WHERE l.tenant_id = ? "
                "AND l.state = 'changed' AND COALESCE(l.xero_status, '') NOT IN "
                "('VOIDED', 'DELETED')",
                (tenant_id,),
            )
        }
        if not changed:
            return 0
        sent = _sent_participants(conn, tenant_id, set(changed))
    reworded = {
        invoice_id: reused_message(sent[invoice_id], now_for)
        for invoice_id, (now_for, message) in changed.items()
        if invoice_id in sent
        and sent[invoice_id].casefold() != now_for.casefold()
        and message != reused_message(sent[invoice_id], now_for)
    }
    if reworded:
        with store.db.tx() as conn:
            conn.executemany(
                "UPDATE xero_links SET message = ?, updated_at = ? WHERE tenant_id = ? "
                "AND invoice_id = ? AND state = 'changed'",
                [(text, time.time(), tenant_id, i) for i, text in reworded.items()],
            )
    return len(reworded)


def _sent_participants(conn: Any, tenant_id: str, wanted: set[int]) -> dict[int, str]:
    """Invoice id → the participant id it had when it was last sent (batch journal)."""
    found: dict[int, str] = {}
    for row in conn.execute(
        "SELECT invoices FROM batches WHERE tenant_id = ? ORDER BY created_at", (tenant_id,)
    ):
        try:
            journal = json.loads(row["invoices"])
        except ValueError:
            continue
        for entry in journal if isinstance(journal, list) else []:
            if (
                isinstance(entry, list)
                and len(entry) > 2
                and isinstance(entry[2], dict)
                and entry[0] in wanted
                and entry[2].get("participant_id")
            ):
                found[int(entry[0])] = str(entry[2]["participant_id"])
    return found
