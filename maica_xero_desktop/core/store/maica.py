"""The Maica org's side of the store: which invoice is which Salesforce record, the pull's
high-water mark, and the journals of what was written back (invoice ids and numbers, payments).

The write-back is journalled on what the store already knows: an invoice Xero confirmed has its
link (``xero_links``: state synced, the Xero id and number) written in the same transaction as
Xero's answer, so the invoices still to write back are those whose link differs from what
``maica_writeback`` says was written. A process killed between Xero's answer and Maica's update
therefore loses nothing and sends nothing twice: the next run finds the link and writes it back
first. Payments likewise: what ``payments`` holds (webhooks, catch-up, refresh) against what
``maica_payments`` says was last upserted. Only ``synced`` links are written back: a ``changed``
one (Maica's content no longer what Xero holds) never is. Pulled records are attached by their
Salesforce Id (the invoice pulled from them before), a new one by its number only when the pull
found no other content there. Every method is one transaction; never calls anything. Past 400
lines because each journal's SQL and the rows it fills belong together.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from ..models import Invoice
from ..states import LinkState
from .db import Database
from .identity import meta, set_meta
from .invoice_import import CHANGED_MESSAGE, ImportSummary, InvoiceImport

#: how the sentence of an invoice whose Finance External ID someone else wrote before this
#: product could write its own begins
TAKEN = "Maica's own sync sent this invoice to Xero too"
#: how the sentence of an invoice whose Finance External ID (someone else's) is not this
#: invoice in Xero begins
NOT_THIS_INVOICE = "Its Finance External ID in Maica"
ELSEWHERE_MESSAGE = (
    "Sent to Xero by Maica's own sync (its Finance External ID was set there): linked, not sent "
    "again. Turn off Maica's own Xero flow while this program sends the invoices."
)
#: a link set ``changed`` with its sentence: (message, now, invoice id, tenant)
_SET_CHANGED = (
    "UPDATE xero_links SET state = 'changed', message = ?, updated_at = ? "
    "WHERE invoice_id = ? AND tenant_id = ?"
)


@dataclass(frozen=True)
class PulledRecord:
    """One pulled invoice's Salesforce side."""

    invoice_number: str
    sf_id: str
    system_modstamp: str


@dataclass(frozen=True)
class ElsewhereRecord:
    """An invoice whose Finance External ID is set in Maica (by whoever): the Xero id there."""

    sf_id: str
    finance_external_id: str
    xero_number: str = ""


@dataclass(frozen=True)
class InvoiceWriteBack:
    """An invoice to write back: its Salesforce Id and the Xero id and number Xero confirmed."""

    invoice_id: int
    invoice_number: str
    sf_id: str
    xero_invoice_id: str
    xero_invoice_number: str
    #: the Xero id this product last wrote to the record ("" when none): a Finance External ID
    #: holding it (or the one to write) is ours to overwrite
    written_id: str = ""
    #: when a pull last read the record with an empty Finance External ID (0: not known empty)
    read_empty_at: float = 0.0


@dataclass(frozen=True)
class NumberHolder:
    """A stored invoice holding a number a pulled record has: whose it is and what Xero has."""

    invoice_id: int
    invoice_number: str
    #: the Salesforce record it was pulled from ("" when imported from a file)
    sf_id: str
    participant_id: str
    participant_name: str
    total: str
    #: the fingerprints of what was sent to Xero (empty: not in Xero through this product)
    sent_fingerprints: tuple[str, ...]
    xero_numbers: tuple[str, ...]


@dataclass(frozen=True)
class PaymentWriteBack:
    """A payment to upsert: what Xero says now (``included`` False: removed in Xero)."""

    xero_payment_id: str
    invoice_id: int
    invoice_number: str
    invoice_sf_id: str
    amount: str
    date: str
    included: bool


@dataclass(frozen=True)
class WrittenPayment:
    """A payment as last upserted to Maica (for the export)."""

    xero_payment_id: str
    invoice_number: str
    invoice_sf_id: str
    sf_id: str
    amount: str
    date: str
    included: bool


class MaicaRecords(InvoiceImport):
    """Writes and reads the ``maica_*`` tables. Any thread; each method one transaction."""

    db: Database

    # -- what the last check found -----------------------------------------------------------

    def maica_meta(self, key: str) -> str | None:
        """A remembered Maica fact (``store_meta`` key ``maica:<key>``)."""
        return meta(self.db, f"maica:{key}")

    def set_maica_meta(self, key: str, value: str) -> None:
        set_meta(self.db, f"maica:{key}", value)

    # -- the pull ------------------------------------------------------------------------

    def maica_mark(self, org: str) -> str:
        """The org's pull high-water mark (a SystemModstamp; "" before the first pull)."""
        with self.db.read() as conn:
            row = conn.execute(
                "SELECT system_modstamp FROM maica_marks WHERE org = ?", (org,)
            ).fetchone()
        return str(row[0]) if row else ""

    def maica_orgs(self) -> list[str]:
        """The orgs (Salesforce org Ids) the stored invoices were read from."""
        with self.db.read() as conn:
            return [
                str(r[0])
                for r in conn.execute(
                    "SELECT DISTINCT org FROM maica_records WHERE org != '' ORDER BY org"
                )
            ]

    def mark_maica_gone(self, sf_ids: Sequence[str]) -> int:
        """Pulled, unsent invoices no longer in the Maica org (deleted there, or hidden from the
        API user): never sent while so; returns how many were newly marked."""
        if not sf_ids:
            return 0
        now = time.time()
        with self.db.tx() as conn:
            return sum(
                conn.execute(
                    "UPDATE maica_records SET gone_at = ? WHERE sf_id = ? AND gone_at IS NULL",
                    (now, sf_id),
                ).rowcount
                for sf_id in sf_ids
            )

    def maica_records(self) -> dict[str, tuple[int, str, str]]:
        """Every pulled invoice: Salesforce Id → (invoice id, invoice number, SystemModstamp)."""
        with self.db.read() as conn:
            return {
                r["sf_id"]: (int(r["invoice_id"]), r["invoice_number"], r["system_modstamp"])
                for r in conn.execute(
                    "SELECT m.sf_id, m.invoice_id, m.system_modstamp, i.invoice_number "
                    "FROM maica_records m JOIN invoices i ON i.id = m.invoice_id"
                )
            }

    def maica_unsent(self, tenant_id: str) -> list[str]:
        """The Salesforce Ids of pulled invoices still to send to ``tenant_id`` (pending,
        blocked or failed; never looked at yet): an incremental pull reads them again."""
        with self.db.read() as conn:
            return [
                str(r[0])
                for r in conn.execute(
                    "SELECT m.sf_id FROM maica_records m WHERE NOT EXISTS (SELECT 1 FROM "
                    "xero_links l WHERE l.invoice_id = m.invoice_id AND l.tenant_id = ? AND "
                    "l.state IN ('synced', 'changed', 'sending', 'conflict', 'not_eligible')) "
                    "ORDER BY m.sf_id",
                    (tenant_id,),
                )
            ]

    def store_pull(
        self,
        org: str,
        invoices: Sequence[Invoice],
        records: Sequence[PulledRecord],
        mark: str,
        tenant_id: str,
        elsewhere: Sequence[ElsewhereRecord] = (),
    ) -> tuple[ImportSummary, int]:
        """A pull in one transaction: the invoices (as an import), their Salesforce Ids, the new
        mark, and the invoices that changed hands linked; returns the import's summary and how
        many were linked elsewhere."""
        now = time.time()
        with self.db.tx() as conn:
            _renumber(conn, records)
            adopted = _adopted(conn, records)
            summary = self.apply_import_in(conn, invoices)
            _rebase(conn, adopted, now)
            ids = _ids_of(conn, records)
            conn.executemany(
                "INSERT INTO maica_records (invoice_id, sf_id, org, system_modstamp, pulled_at) "
                "VALUES (?, ?, ?, ?, ?) ON CONFLICT (invoice_id) DO UPDATE SET "
                "sf_id = excluded.sf_id, org = excluded.org, "
                "system_modstamp = excluded.system_modstamp, pulled_at = excluded.pulled_at, "
                "gone_at = NULL",
                [
                    (ids[r.sf_id], r.sf_id, org, r.system_modstamp, now)
                    for r in records
                    if r.sf_id in ids
                ],
            )
            # read again with an empty Finance External ID although written: someone cleared it
            # in Maica; the invoice is in Xero (never sent twice), so it is written back again
            conn.executemany(
                "DELETE FROM maica_writeback WHERE invoice_id = ? AND state = 'written'",
                [(ids[r.sf_id],) for r in records if r.sf_id in ids],
            )
            if tenant_id:  # also those seen before an organisation was chosen
                seen = {r.sf_id for r in elsewhere}
                elsewhere = [*elsewhere] + [
                    ElsewhereRecord(r[0], r[1], r[2] or "")
                    for r in conn.execute(
                        "SELECT sf_id, finance_external_id, xero_number_seen FROM maica_records "
                        "WHERE changed_hands_at IS NOT NULL AND finance_external_id IS NOT NULL"
                    )
                    if r[0] not in seen
                ]
            linked = _link_elsewhere(conn, tenant_id, elsewhere, now) if elsewhere else 0
            if mark:
                conn.execute(
                    "INSERT INTO maica_marks (org, system_modstamp, updated_at) VALUES (?, ?, ?) "
                    "ON CONFLICT (org) DO UPDATE SET system_modstamp = excluded.system_modstamp,"
                    " updated_at = excluded.updated_at",
                    (org, mark, now),
                )
        return summary, linked

    def link_elsewhere(self, tenant_id: str, records: Sequence[ElsewhereRecord]) -> int:
        """Pulled invoices now carrying a Finance External ID this product did not write: linked
        to that Xero invoice (never sent) and remembered as changed hands; returns how many."""
        with self.db.tx() as conn:
            return _link_elsewhere(conn, tenant_id, records, time.time())

    def changed_hands(self) -> list[str]:
        """Invoice numbers whose Finance External ID someone else wrote after this product
        pulled them."""
        with self.db.read() as conn:
            return [
                r[0]
                for r in conn.execute(
                    "SELECT i.invoice_number FROM maica_records m JOIN invoices i "
                    "ON i.id = m.invoice_id WHERE m.changed_hands_at IS NOT NULL "
                    "ORDER BY i.invoice_number"
                )
            ]

    def elsewhere_unchecked(self, tenant_id: str) -> list[tuple[int, str]]:
        """Invoices linked to a Finance External ID someone else wrote that nobody looked up in
        Xero yet: (invoice id, that Xero id)."""
        with self.db.read() as conn:
            return [
                (int(r[0]), str(r[1]))
                for r in conn.execute(
                    "SELECT l.invoice_id, l.xero_invoice_id FROM xero_links l "
                    "JOIN maica_records m ON m.invoice_id = l.invoice_id "
                    "JOIN maica_writeback w ON w.invoice_id = l.invoice_id "
                    "AND w.tenant_id = l.tenant_id AND w.state = 'elsewhere' "
                    "WHERE l.tenant_id = ? AND l.state = 'synced' "
                    "AND l.xero_invoice_id IS NOT NULL "
                    "AND (m.xero_checked IS NULL OR m.xero_checked != l.xero_invoice_id) "
                    "ORDER BY l.invoice_id",
                    (tenant_id,),
                )
            ]

    def elsewhere_checked(
        self, tenant_id: str, found: Iterable[tuple[int, str]], refused: Iterable[tuple[int, str]]
    ) -> None:
        """The looked-up ones: ``found`` (invoice id, Xero id) is this invoice in Xero (stays
        linked, checked); ``refused`` (invoice id, sentence) is not, or Xero does not know it:
        ``changed`` with the sentence — never sent, never written back, never ``synced``."""
        now = time.time()
        with self.db.tx() as conn:
            conn.executemany(
                "UPDATE maica_records SET xero_checked = ? WHERE invoice_id = ?",
                [(xero_id, invoice_id) for invoice_id, xero_id in found],
            )
            conn.executemany(
                _SET_CHANGED,
                [(message, now, invoice_id, tenant_id) for invoice_id, message in refused],
            )

    # -- writing back invoices -------------------------------------------------------------

    def writeback_pending(self, tenant_id: str) -> list[InvoiceWriteBack]:
        """Invoices Xero confirmed whose Xero id and number are not (all) in Maica yet. Only
        ``synced`` links: one ``changed`` (Maica's content no longer what Xero holds) or in
        conflict is never written back."""
        with self.db.read() as conn:
            rows = conn.execute(
                "SELECT l.invoice_id, i.invoice_number, m.sf_id, l.xero_invoice_id, "
                "COALESCE(l.xero_invoice_number, '') AS xero_invoice_number, "
                "CASE WHEN w.state = 'written' THEN w.xero_invoice_id ELSE '' END AS written_id, "
                "CASE WHEN COALESCE(m.finance_external_id, '') = '' THEN m.pulled_at ELSE 0 END "
                "AS read_empty_at "
                "FROM xero_links l JOIN maica_records m ON m.invoice_id = l.invoice_id "
                "JOIN invoices i ON i.id = l.invoice_id "
                "LEFT JOIN maica_writeback w ON w.invoice_id = l.invoice_id "
                "AND w.tenant_id = l.tenant_id "
                "WHERE l.tenant_id = ? AND l.state = 'synced' "
                "AND l.xero_invoice_id IS NOT NULL AND (w.invoice_id IS NULL OR "
                "w.state = 'failed' OR (w.state = 'written' AND (w.xero_invoice_id != "
                "l.xero_invoice_id OR w.xero_invoice_number != COALESCE(l.xero_invoice_number, "
                "'')))) ORDER BY i.invoice_number",
                (tenant_id,),
            ).fetchall()
        return [_invoice_writeback(r) for r in rows]

    def writeback_taken(
        self, tenant_id: str, item: InvoiceWriteBack, finance_external_id: str, xero_number: str
    ) -> str:
        """The record's Finance External ID was written by someone else (Maica's own sync) before
        this product could write its own: never overwritten. The invoice is remembered as changed
        hands and its link set to ``changed`` with the sentence (Xero has two invoices for it:
        still linked to this product's, never sent again nor written back); returns the
        sentence."""
        message = (
            f"{TAKEN} (its Finance External ID is "
            f"{finance_external_id}) after this program sent it as "
            f"{item.xero_invoice_number or item.xero_invoice_id}: Xero has two invoices for it. "
            "Void one of them in Xero, set the Finance External ID in Maica to the one kept, and "
            "turn off Maica's own Xero flow."
        )
        now = time.time()
        with self.db.tx() as conn:
            _changed_hands(conn, item.invoice_id, finance_external_id, xero_number, now)
            conn.execute(_SET_CHANGED, (message, now, item.invoice_id, tenant_id))
        return message

    def number_holders(self, numbers: Iterable[str]) -> dict[str, NumberHolder]:
        """The stored invoices holding these numbers: the Salesforce record each was pulled
        from ("" for a file import), its participant and total, and what was sent to Xero."""
        wanted = sorted(set(numbers))
        found: dict[str, NumberHolder] = {}
        with self.db.read() as conn:
            for start in range(0, len(wanted), 500):
                chunk = wanted[start : start + 500]
                marks = ", ".join("?" * len(chunk))
                query = (
                    "SELECT i.id, i.invoice_number, i.participant_id, i.total, "  # noqa: S608
                    "COALESCE(m.sf_id, '') AS sf_id, COALESCE(p.name, '') AS name "
                    "FROM invoices i LEFT JOIN maica_records m ON m.invoice_id = i.id "
                    "LEFT JOIN participants p ON p.participant_id = i.participant_id "
                    f"WHERE i.invoice_number IN ({marks})"
                )  # only placeholders spliced in
                rows = conn.execute(query, chunk).fetchall()
                for r in rows:
                    links = conn.execute(
                        "SELECT synced_fingerprint, COALESCE(xero_invoice_number, '') AS n "
                        "FROM xero_links WHERE invoice_id = ? AND state IN "
                        "('synced', 'changed', 'sending', 'conflict') "
                        "AND (xero_invoice_id IS NOT NULL OR state = 'sending')",
                        (r["id"],),
                    ).fetchall()
                    found[r["invoice_number"]] = NumberHolder(
                        int(r["id"]),
                        r["invoice_number"],
                        r["sf_id"],
                        r["participant_id"],
                        r["name"],
                        str(r["total"] or ""),
                        tuple(str(x["synced_fingerprint"] or "") for x in links),
                        tuple(str(x["n"]) for x in links if x["n"]),
                    )
        return found

    def record_writeback(
        self,
        tenant_id: str,
        written: Iterable[InvoiceWriteBack],
        failed: Iterable[tuple[InvoiceWriteBack, str]] = (),
    ) -> None:
        """What Maica accepted (written) and refused (failed, with its reason)."""
        now = time.time()
        rows: list[tuple[Any, ...]] = [
            (i.invoice_id, tenant_id, i.xero_invoice_id, i.xero_invoice_number, "written", "", now)
            for i in written
        ]
        rows += [
            (i.invoice_id, tenant_id, i.xero_invoice_id, i.xero_invoice_number, "failed", m, now)
            for i, m in failed
        ]
        with self.db.tx() as conn:
            conn.executemany(
                "INSERT INTO maica_writeback (invoice_id, tenant_id, xero_invoice_id, "
                "xero_invoice_number, state, message, attempts, updated_at) "
                "VALUES (?, ?, ?, ?, ?, ?, 1, ?) ON CONFLICT (invoice_id, tenant_id) DO UPDATE "
                "SET xero_invoice_id = excluded.xero_invoice_id, xero_invoice_number = "
                "excluded.xero_invoice_number, state = excluded.state, message = "
                "excluded.message, attempts = maica_writeback.attempts + 1, "
                "updated_at = excluded.updated_at",
                rows,
            )

    def written_invoices(self, tenant_id: str) -> list[InvoiceWriteBack]:
        """Invoices whose Xero id and number are known (written or still to write), for the
        export — imported from a file too (no Salesforce Id: "")."""
        with self.db.read() as conn:
            rows = conn.execute(
                "SELECT l.invoice_id, i.invoice_number, COALESCE(m.sf_id, '') AS sf_id, "
                "l.xero_invoice_id, COALESCE(l.xero_invoice_number, '') AS xero_invoice_number, "
                "'' AS written_id, 0 AS read_empty_at "
                "FROM xero_links l LEFT JOIN maica_records m ON m.invoice_id = l.invoice_id "
                "JOIN invoices i ON i.id = l.invoice_id WHERE l.tenant_id = ? "
                "AND l.state = 'synced' AND l.xero_invoice_id IS NOT NULL "
                "ORDER BY i.invoice_number",
                (tenant_id,),
            ).fetchall()
        return [_invoice_writeback(r) for r in rows]

    # -- writing back payments ------------------------------------------------------------

    def payments_pending(self, tenant_id: str) -> list[PaymentWriteBack]:
        """Payments not yet in Maica as they are now: new, changed, refused last time, or
        removed in Xero since they were written (sent again with Include and Paid off)."""
        with self.db.read() as conn:
            current = conn.execute(
                "SELECT p.xero_payment_id, p.invoice_id, i.invoice_number, m.sf_id, p.amount, "
                "p.date FROM payments p JOIN maica_records m ON m.invoice_id = p.invoice_id "
                "JOIN invoices i ON i.id = p.invoice_id "
                "LEFT JOIN maica_payments w ON w.tenant_id = p.tenant_id "
                "AND w.xero_payment_id = p.xero_payment_id WHERE p.tenant_id = ? AND "
                "(w.xero_payment_id IS NULL OR w.state = 'failed' OR w.included = 0 OR "
                "w.amount != p.amount OR w.date != p.date) ORDER BY p.date, p.xero_payment_id",
                (tenant_id,),
            ).fetchall()
            removed = conn.execute(
                "SELECT w.xero_payment_id, w.invoice_id, i.invoice_number, m.sf_id, w.amount, "
                "w.date FROM maica_payments w JOIN maica_records m ON m.invoice_id = w.invoice_id "
                "JOIN invoices i ON i.id = w.invoice_id WHERE w.tenant_id = ? AND "
                "(w.included = 1 OR w.state = 'failed') AND NOT EXISTS (SELECT 1 FROM payments p "
                "WHERE p.tenant_id = w.tenant_id AND p.xero_payment_id = w.xero_payment_id) "
                "ORDER BY w.date, w.xero_payment_id",
                (tenant_id,),
            ).fetchall()
        return [_payment_writeback(r, included=True) for r in current] + [
            _payment_writeback(r, included=False) for r in removed
        ]

    def record_payment_writeback(
        self,
        tenant_id: str,
        written: Iterable[tuple[PaymentWriteBack, str]],
        failed: Iterable[tuple[PaymentWriteBack, str]] = (),
    ) -> None:
        """Payments Maica accepted (with the Payment record's Id) and refused (with why)."""
        now = time.time()
        rows: list[tuple[Any, ...]] = [
            (tenant_id, p.xero_payment_id, p.invoice_id, sf_id, p.amount, p.date,
             int(p.included), "written", "", now)
            for p, sf_id in written
        ]  # fmt: skip
        rows += [
            (tenant_id, p.xero_payment_id, p.invoice_id, None, p.amount, p.date,
             int(p.included), "failed", reason, now)
            for p, reason in failed
        ]  # fmt: skip
        with self.db.tx() as conn:
            conn.executemany(
                "INSERT INTO maica_payments (tenant_id, xero_payment_id, invoice_id, sf_id, "
                "amount, date, included, state, message, updated_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (tenant_id, xero_payment_id) "
                "DO UPDATE SET invoice_id = excluded.invoice_id, "
                "sf_id = COALESCE(excluded.sf_id, maica_payments.sf_id), "
                "amount = excluded.amount, date = excluded.date, included = excluded.included, "
                "state = excluded.state, message = excluded.message, "
                "updated_at = excluded.updated_at",
                rows,
            )

    def written_payments(self, tenant_id: str) -> list[WrittenPayment]:
        """Every payment as it stands for Maica (current ones, and removed ones switched off),
        for the export — of invoices imported from a file too."""
        with self.db.read() as conn:
            rows = conn.execute(
                "SELECT p.xero_payment_id, i.invoice_number, "
                "COALESCE(m.sf_id, '') AS invoice_sf_id, "
                "COALESCE(w.sf_id, '') AS sf_id, p.amount, p.date, 1 AS included "
                "FROM payments p LEFT JOIN maica_records m ON m.invoice_id = p.invoice_id "
                "JOIN invoices i ON i.id = p.invoice_id LEFT JOIN maica_payments w "
                "ON w.tenant_id = p.tenant_id AND w.xero_payment_id = p.xero_payment_id "
                "WHERE p.tenant_id = ? UNION ALL "
                "SELECT w.xero_payment_id, i.invoice_number, m.sf_id, COALESCE(w.sf_id, ''), "
                "w.amount, w.date, 0 FROM maica_payments w JOIN maica_records m "
                "ON m.invoice_id = w.invoice_id JOIN invoices i ON i.id = w.invoice_id "
                "WHERE w.tenant_id = ? AND NOT EXISTS (SELECT 1 FROM payments p WHERE "
                "p.tenant_id = w.tenant_id AND p.xero_payment_id = w.xero_payment_id) "
                "ORDER BY 2, 6, 1",
                (tenant_id, tenant_id),
            ).fetchall()
        return [
            WrittenPayment(
                r["xero_payment_id"],
                r["invoice_number"],
                r["invoice_sf_id"],
                r["sf_id"],
                r["amount"],
                r["date"],
                bool(r["included"]),
            )
            for r in rows
        ]


def _invoice_writeback(r: Any) -> InvoiceWriteBack:
    """An invoice write-back from a row with its columns by name."""
    return InvoiceWriteBack(
        int(r["invoice_id"]),
        r["invoice_number"],
        r["sf_id"],
        r["xero_invoice_id"],
        r["xero_invoice_number"],
        r["written_id"] or "",
        float(r["read_empty_at"] or 0.0),
    )


def _payment_writeback(r: Any, *, included: bool) -> PaymentWriteBack:
    """A payment write-back from a row with its columns by name."""
    return PaymentWriteBack(
        r["xero_payment_id"],
        int(r["invoice_id"]),
        r["invoice_number"],
        r["sf_id"],
        r["amount"],
        r["date"],
        included,
    )


def _changed_hands(
    conn: Any, invoice_id: int, finance_external_id: str, xero_number: str, now: float
) -> None:
    """Remember that someone else wrote the record's Finance External ID (and the Xero number
    seen with it); the first time it was seen stays."""
    conn.execute(
        "UPDATE maica_records SET finance_external_id = ?, xero_number_seen = ?, "
        "changed_hands_at = COALESCE(changed_hands_at, ?) WHERE invoice_id = ?",
        (finance_external_id, xero_number or None, now, invoice_id),
    )


def _renumber(conn: Any, records: Sequence[PulledRecord]) -> None:
    """A pulled record renumbered in Maica before it was sent (the pull refuses one already in
    Xero, or a number another invoice holds): the stored invoice takes the new number, so the
    import below finds it by its Salesforce Id's invoice, never another by the number alone."""
    for record in records:
        row = conn.execute(
            "SELECT i.id, i.invoice_number FROM maica_records m JOIN invoices i "
            "ON i.id = m.invoice_id WHERE m.sf_id = ?",
            (record.sf_id,),
        ).fetchone()
        if row is not None and row["invoice_number"] != record.invoice_number:
            conn.execute(
                "UPDATE invoices SET invoice_number = ? WHERE id = ?",
                (record.invoice_number, int(row["id"])),
            )


def _adopted(conn: Any, records: Sequence[PulledRecord]) -> list[tuple[int, str]]:
    """Records read for the first time whose number is an invoice a file import sent (the pull
    refused those with other content: these are the same invoice): (invoice id, tenant) of each
    ``synced`` link, to keep once the record's content replaces the file's."""
    found: list[tuple[int, str]] = []
    for record in records:
        if conn.execute("SELECT 1 FROM maica_records WHERE sf_id = ?", (record.sf_id,)).fetchone():
            continue
        found += [
            (int(r[0]), str(r[1]))
            for r in conn.execute(
                "SELECT l.invoice_id, l.tenant_id FROM invoices i JOIN xero_links l "
                "ON l.invoice_id = i.id LEFT JOIN maica_records m ON m.invoice_id = i.id "
                "WHERE i.invoice_number = ? AND m.sf_id IS NULL AND l.state = 'synced'",
                (record.invoice_number,),
            )
        ]
    return found


def _rebase(conn: Any, adopted: Sequence[tuple[int, str]], now: float) -> None:
    """The adopted links stay ``synced``: the record is the invoice Xero has (same participant
    and total), only written as the org writes it (its ids, descriptions), so what was sent is
    now the record's content; a cancellation still flags it."""
    for invoice_id, tenant_id in adopted:
        conn.execute(
            "UPDATE xero_links SET state = 'synced', message = '', synced_fingerprint = "
            "(SELECT fingerprint FROM invoices WHERE id = ?), updated_at = ? "
            "WHERE invoice_id = ? AND tenant_id = ? AND state = 'changed' AND message = ?",
            (invoice_id, now, invoice_id, tenant_id, CHANGED_MESSAGE),
        )


def _ids_of(conn: Any, records: Sequence[PulledRecord]) -> dict[str, int]:
    """Salesforce Id → stored invoice: the one pulled from that record before, else (a record
    read for the first time) the invoice the import just stored under its number."""
    found: dict[str, int] = {}
    for record in records:
        row = conn.execute(
            "SELECT invoice_id FROM maica_records WHERE sf_id = ?", (record.sf_id,)
        ).fetchone()
        if row is None:
            row = conn.execute(
                "SELECT i.id AS invoice_id FROM invoices i LEFT JOIN maica_records m "
                "ON m.invoice_id = i.id WHERE i.invoice_number = ? AND m.sf_id IS NULL",
                (record.invoice_number,),
            ).fetchone()
        if row is not None:
            found[record.sf_id] = int(row["invoice_id"])
    return found


def _link_elsewhere(
    conn: Any, tenant_id: str, records: Sequence[ElsewhereRecord], now: float
) -> int:
    """Link each pulled invoice whose Finance External ID someone else wrote. One this product
    wrote itself (its journal says so) is not "elsewhere" and is left alone."""
    linked = 0
    for record in records:
        row = conn.execute(
            "SELECT m.invoice_id, m.finance_external_id FROM maica_records m WHERE m.sf_id = ?",
            (record.sf_id,),
        ).fetchone()
        if row is None:
            continue
        invoice_id = int(row["invoice_id"])
        ours = conn.execute(
            "SELECT 1 FROM maica_writeback WHERE invoice_id = ? AND xero_invoice_id = ? "
            "AND state = 'written'",
            (invoice_id, record.finance_external_id),
        ).fetchone()
        if ours is not None:
            continue
        link = conn.execute(
            "SELECT state, message, xero_invoice_id FROM xero_links WHERE invoice_id = ? "
            "AND tenant_id = ?",
            (invoice_id, tenant_id),
        ).fetchone()
        first_time = row["finance_external_id"] != record.finance_external_id
        _changed_hands(conn, invoice_id, record.finance_external_id, record.xero_number, now)
        if not tenant_id:
            continue
        relink = (
            link is not None
            and link["state"] == LinkState.CHANGED
            and str(link["message"] or "").startswith(NOT_THIS_INVOICE)
            and link["xero_invoice_id"] != record.finance_external_id
        )  # a Finance External ID Xero did not know, corrected in Maica: looked up again
        if (
            not relink
            and link is not None
            and link["state"]
            in (
                LinkState.SYNCED,
                LinkState.CHANGED,
            )
        ):
            continue  # in Xero already through this product: the check reports the clash
        if link is not None and link["state"] == LinkState.SENDING:
            continue  # its batch is settled against Xero first
        if link is not None and link["state"] == LinkState.CONFLICT and link["xero_invoice_id"]:
            continue  # this product's Xero invoice and Maica's: the row says what to do
        conn.execute(
            "INSERT INTO xero_links (invoice_id, tenant_id, state, message, xero_invoice_id, "
            "xero_invoice_number, synced_fingerprint, updated_at) SELECT id, ?, 'synced', ?, ?, "
            "?, fingerprint, ? FROM invoices WHERE id = ? ON CONFLICT (invoice_id, tenant_id) "
            "DO UPDATE SET state = 'synced', message = excluded.message, "
            "xero_invoice_id = excluded.xero_invoice_id, "
            "xero_invoice_number = excluded.xero_invoice_number, "
            "synced_fingerprint = excluded.synced_fingerprint, batch_id = NULL, "
            "updated_at = excluded.updated_at",
            (
                tenant_id,
                ELSEWHERE_MESSAGE,
                record.finance_external_id,
                record.xero_number or None,
                now,
                invoice_id,
            ),
        )
        conn.execute(
            "INSERT INTO maica_writeback (invoice_id, tenant_id, xero_invoice_id, "
            "xero_invoice_number, state, message, updated_at) VALUES (?, ?, ?, ?, 'elsewhere', "
            "'', ?) ON CONFLICT (invoice_id, tenant_id) DO UPDATE SET state = 'elsewhere', "
            "xero_invoice_id = excluded.xero_invoice_id, "
            "xero_invoice_number = excluded.xero_invoice_number, updated_at = excluded.updated_at",
            (invoice_id, tenant_id, record.finance_external_id, record.xero_number, now),
        )
        if first_time or link is None or link["xero_invoice_id"] != record.finance_external_id:
            linked += 1
    return linked
