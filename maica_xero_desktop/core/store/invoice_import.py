"""Applying a parsed Maica export to the store: all or nothing, and what it does to sent invoices.

A re-import never changes what Xero holds: an invoice already sent that comes back with other
content (or cancelled) is marked ``changed`` with what to do in Xero; a status change of a sent
invoice adds a note only where Xero asks for something. A file never replaces an invoice read
from the Maica org (the org is its source): such a file is refused as a whole, naming them.
"""

from __future__ import annotations

import dataclasses
import json
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from ..import_format import ImportRejected, RowError
from ..models import Invoice, Line
from ..states import LinkState
from ..totals import Pricing
from .db import Database

#: Maica's statuses of an approved invoice; once it is in Xero, its payments there decide which
PAYMENT_STATUSES = frozenset({"Not Paid", "Partially Paid", "Fully Paid"})
#: Xero statuses of an invoice approved there (or beyond)
APPROVED_IN_XERO = frozenset({"AUTHORISED", "PAID", "VOIDED", "DELETED"})

CHANGED_MESSAGE = (
    "Changed in Maica after it was sent to Xero: it is not sent again. "
    "Update the Xero invoice by hand if Xero allows it; to replace it instead, void it there "
    "and give the invoice a new number in Maica (Xero keeps a voided invoice's number)."
)
CANCELLED_MESSAGE = "Cancelled in Maica after it was sent to Xero: void it in Xero."
APPROVE_IN_XERO = (
    "Approved in Maica after it was sent to Xero as a draft: approve it in Xero "
    "(this program does not change an invoice already in Xero)."
)
UNAPPROVED_IN_MAICA = (
    "Back to Entered in Maica after it was sent to Xero: this program does not change it in "
    "Xero; check the invoice there."
)


#: how many of the invoices read from the Maica org a refused file's sentence names
NAMED = 5


class HeldByMaicaOrg(ImportRejected):
    """A file that would replace invoices read from the Maica org: nothing of it is imported."""

    def __init__(self, numbers: Sequence[str]) -> None:
        self.numbers = tuple(numbers)
        super().__init__([RowError(0, "", held_sentence(self.numbers))])


def held_sentence(numbers: Sequence[str]) -> str:
    """ "INV-1 comes from the Maica org …" for the file's rows that would replace invoices read
    from the org (the first few named, then how many more)."""
    shown = list(numbers[:NAMED])
    more = len(numbers) - len(shown)
    if more:
        named = f"{', '.join(shown)} and {more} more"
    elif len(shown) > 1:
        named = f"{', '.join(shown[:-1])} and {shown[-1]}"
    else:
        named = shown[0]
    one = len(numbers) == 1
    return (
        f"{named} {'comes' if one else 'come'} from the Maica org, which is "
        f"{'its' if one else 'their'} source, and a file must not replace "
        f"{'it' if one else 'them'}: import only invoices the Maica org does not hold, or "
        f"change {'it' if one else 'them'} in Maica and sync with the Maica org as the source"
    )


@dataclass(frozen=True)
class ImportSummary:
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    flagged: int = 0
    cancelled_after_sync: int = 0
    #: sent invoices whose Maica status changed in a way that asks for something in Xero
    status_notes: int = 0

    @property
    def total(self) -> int:
        return self.new + self.updated + self.unchanged + self.flagged


def sync_fingerprint(invoice: Invoice) -> str:
    """The digest of what a push sends: everything but Maica's own payment status."""
    return dataclasses.replace(invoice, status="").fingerprint()


def _sent_link(link: Any, fingerprint: str, old_status: str, status: str) -> tuple[str, str]:
    """The state and message of a link to an invoice in Xero after a re-import changed it."""
    if status == "Cancelled":
        return LinkState.CHANGED, CANCELLED_MESSAGE
    if fingerprint != link["synced_fingerprint"]:
        keep = link["state"] == LinkState.CHANGED and link["message"] != CANCELLED_MESSAGE
        return LinkState.CHANGED, link["message"] if keep and link["message"] else CHANGED_MESSAGE
    # the content is what Xero holds (again)
    xero_status = str(link["xero_status"] or "")
    if status == old_status:
        return LinkState.SYNCED, link["message"] if link["state"] == LinkState.SYNCED else ""
    if old_status == "Entered" and status in PAYMENT_STATUSES:
        return LinkState.SYNCED, "" if xero_status in APPROVED_IN_XERO else APPROVE_IN_XERO
    if status == "Entered" and old_status in PAYMENT_STATUSES:
        if link["message"] == APPROVE_IN_XERO or xero_status in ("DRAFT", "SUBMITTED"):
            return LinkState.SYNCED, ""  # still a draft in Xero, as it was sent
        return LinkState.SYNCED, UNAPPROVED_IN_MAICA
    return LinkState.SYNCED, ""


def _kept_status(sent: bool, old_status: str, status: str) -> str:
    """The status stored for a re-imported invoice: between the payment statuses of one sent
    to Xero, Xero's payments decide it (the stored one stays), not the export."""
    if sent and old_status in PAYMENT_STATUSES and status in PAYMENT_STATUSES:
        return old_status
    return status


def _held_by_maica_org(conn: Any, invoices: Sequence[Invoice]) -> list[str]:
    """The numbers of the file's invoices that would replace an invoice read from the Maica org
    (other content or another status; the same one changes nothing and is let through)."""
    pulled = {
        row["invoice_number"]: row
        for row in conn.execute(
            "SELECT i.id, i.invoice_number, i.fingerprint, i.status, EXISTS (SELECT 1 FROM "
            "xero_links l WHERE l.invoice_id = i.id AND l.state IN ('synced', 'changed')) AS sent "
            "FROM invoices i JOIN maica_records m ON m.invoice_id = i.id"
        )
    }
    if not pulled:
        return []
    held: list[str] = []
    for invoice in invoices:
        row = pulled.get(invoice.invoice_number)
        if row is None:
            continue
        status = _kept_status(bool(row["sent"]), row["status"], invoice.status)
        if sync_fingerprint(invoice) != row["fingerprint"] or status != row["status"]:
            held.append(invoice.invoice_number)
    return held


def invoice_total(invoice: Invoice, pricing: Pricing | None = None) -> Decimal:
    """The total Xero computes for the invoice (GST included) — see :mod:`..totals`."""
    return (pricing or Pricing()).totals(invoice).total


class InvoiceImport:
    """The import half of :class:`.invoices.InvoiceStore`: one transaction per export. Never
    parses a file (``importing`` does) and never calls Xero."""

    db: Database

    def apply_import(self, invoices: Sequence[Invoice]) -> ImportSummary:
        """Store a parsed export in one transaction.

        New invoices are added; unsent ones are updated and go back to pending. For one already
        sent to an organisation the link follows the content: ``changed`` (never re-sent as a
        second invoice) while it differs from what was sent, ``synced`` again once it matches it;
        a Maica status change is applied and, when it asks for something in Xero, said on the row.
        Between the payment statuses (Not Paid, Partially Paid, Fully Paid) of a sent invoice Xero
        is the record — the payments refresh sets them — so the export's stale one is ignored.

        An invoice read from the Maica org (it has a ``maica_records`` row) is never replaced:
        a file with other content (or another status) for one is refused as a whole
        (:class:`HeldByMaicaOrg`), in the same transaction, and nothing is stored.
        """
        with self.db.tx() as conn:
            held = _held_by_maica_org(conn, invoices)
            if held:
                raise HeldByMaicaOrg(held)
            return self.apply_import_in(conn, invoices)

    def apply_import_in(self, conn: Any, invoices: Sequence[Invoice]) -> ImportSummary:
        """:meth:`apply_import` inside the caller's transaction (a Maica pull stores its
        Salesforce ids and its mark in the same one)."""
        now = time.time()
        counts: Counter[str] = Counter()
        existing = {
            row["invoice_number"]: (row["id"], row["fingerprint"], row["status"])
            for row in conn.execute("SELECT id, invoice_number, fingerprint, status FROM invoices")
        }
        for invoice in invoices:
            self._upsert_participant(conn, invoice)
            fingerprint = sync_fingerprint(invoice)
            found = existing.get(invoice.invoice_number)
            if found is None:
                invoice_id = self._insert(conn, invoice, fingerprint, now)
                existing[invoice.invoice_number] = (invoice_id, fingerprint, invoice.status)
                counts["new"] += 1
                continue
            invoice_id, old_fingerprint, old_status = found
            links = conn.execute(
                "SELECT tenant_id, state, message, synced_fingerprint, xero_status "
                "FROM xero_links WHERE invoice_id = ? AND state IN ('synced', 'changed')",
                (invoice_id,),
            ).fetchall()
            status = _kept_status(bool(links), old_status, invoice.status)
            if fingerprint == old_fingerprint and status == old_status:
                counts["unchanged"] += 1
                continue
            self._replace(conn, invoice_id, invoice, fingerprint, status, now)
            existing[invoice.invoice_number] = (invoice_id, fingerprint, status)
            if not links:
                # unsent (or on its way): the flow decides again at the next look
                conn.execute(
                    "UPDATE xero_links SET state = 'pending', message = '', updated_at = ? "
                    "WHERE invoice_id = ? AND state IN ('blocked', 'failed', 'pending', "
                    "'not_eligible')",
                    (now, invoice_id),
                )
                counts["updated"] += 1
                continue
            outcome = "updated"
            for link in links:
                state, message = _sent_link(link, fingerprint, old_status, status)
                conn.execute(
                    "UPDATE xero_links SET state = ?, message = ?, updated_at = ? "
                    "WHERE invoice_id = ? AND tenant_id = ?",
                    (state, message, now, invoice_id, link["tenant_id"]),
                )
                if state == LinkState.CHANGED:
                    outcome = "flagged"
                elif message:
                    counts["status_notes"] += 1
            counts[outcome] += 1
            if outcome == "flagged" and status == "Cancelled" != old_status:
                counts["cancelled"] += 1
        return ImportSummary(
            new=counts["new"],
            updated=counts["updated"],
            unchanged=counts["unchanged"],
            flagged=counts["flagged"],
            cancelled_after_sync=counts["cancelled"],
            status_notes=counts["status_notes"],
        )

    @staticmethod
    def _upsert_participant(conn: Any, invoice: Invoice) -> None:
        conn.execute(
            "INSERT INTO participants (participant_id, name, ndis_number, bill_to_name, "
            "bill_to_email) VALUES (?, ?, ?, ?, ?) ON CONFLICT (participant_id) DO UPDATE SET "
            "name = excluded.name, ndis_number = excluded.ndis_number, "
            "bill_to_name = excluded.bill_to_name, bill_to_email = excluded.bill_to_email",
            (
                invoice.participant_id,
                invoice.participant_name,
                invoice.ndis_number,
                invoice.bill_to_name,
                invoice.bill_to_email,
            ),
        )

    def _insert(self, conn: Any, invoice: Invoice, fingerprint: str, now: float) -> int:
        cursor = conn.execute(
            "INSERT INTO invoices (invoice_number, invoice_date, due_date, status, funding_type, "
            "participant_id, currency, total, fingerprint, imported_at, updated_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                invoice.invoice_number,
                invoice.invoice_date.isoformat(),
                invoice.due_date.isoformat() if invoice.due_date else None,
                invoice.status,
                invoice.funding_type,
                invoice.participant_id,
                invoice.currency,
                str(invoice_total(invoice)),
                fingerprint,
                now,
                now,
            ),
        )
        invoice_id = int(cursor.lastrowid or 0)
        self._insert_lines(conn, invoice_id, invoice.lines)
        return invoice_id

    def _replace(
        self,
        conn: Any,
        invoice_id: int,
        invoice: Invoice,
        fingerprint: str,
        status: str,
        now: float,
    ) -> None:
        conn.execute(
            "UPDATE invoices SET invoice_date = ?, due_date = ?, status = ?, funding_type = ?, "
            "participant_id = ?, currency = ?, total = ?, fingerprint = ?, updated_at = ? "
            "WHERE id = ?",
            (
                invoice.invoice_date.isoformat(),
                invoice.due_date.isoformat() if invoice.due_date else None,
                status,
                invoice.funding_type,
                invoice.participant_id,
                invoice.currency,
                str(invoice_total(invoice)),
                fingerprint,
                now,
                invoice_id,
            ),
        )
        conn.execute("DELETE FROM invoice_lines WHERE invoice_id = ?", (invoice_id,))
        self._insert_lines(conn, invoice_id, invoice.lines)

    @staticmethod
    def _insert_lines(conn: Any, invoice_id: int, lines: Iterable[Line]) -> None:
        rows = []
        for number, line in enumerate(lines, start=1):
            rows.append(
                (
                    invoice_id,
                    number,
                    line.support_item_number,
                    line.support_item_name,
                    line.description,
                    str(line.quantity),
                    str(line.unit_price),
                    line.service_date.isoformat() if line.service_date else None,
                    line.account_code,
                    line.tax_type,
                    json.dumps([list(pair) for pair in line.tracking]),
                )
            )
            conn.execute(
                "INSERT INTO support_items (item_number, name) VALUES (?, ?) "
                "ON CONFLICT (item_number) DO UPDATE SET name = CASE WHEN excluded.name != '' "
                "THEN excluded.name ELSE support_items.name END",
                (line.support_item_number, line.support_item_name),
            )
        conn.executemany(
            "INSERT INTO invoice_lines (invoice_id, line_no, support_item_number, "
            "support_item_name, description, quantity, unit_price, service_date, account_code, "
            "tax_type, tracking) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            rows,
        )
