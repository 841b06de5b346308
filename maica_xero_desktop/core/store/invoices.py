"""Maica invoices in the store: reading back, listing for the views, eligibility, rates and the
support-item mappings (applying an import is :mod:`.invoice_import`). Just past 400 lines because
the listing's SQL and the row model it fills belong together."""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from ..models import Invoice, Line
from ..states import LinkState
from ..totals import (
    RATES_MARK,
    Pricing,
    Totals,
    changed_note,
    difference_note,
    rates_from_json,
    rates_json,
)
from .db import Database
from .invoice_import import (
    APPROVE_IN_XERO,
    APPROVED_IN_XERO,
    InvoiceImport,
)

SENT_STATES = (LinkState.SYNCED, LinkState.SENDING, LinkState.CHANGED)
#: link states of an invoice that is not (yet) in the organisation: a flow may (re)consider it
UNSENT_STATES = (
    LinkState.PENDING,
    LinkState.BLOCKED,
    LinkState.FAILED,
    LinkState.NOT_ELIGIBLE,
)


@dataclass(frozen=True)
class SupportItem:
    item_number: str
    name: str = ""
    xero_description: str = ""
    account_code: str = ""
    tax_type: str = ""


@dataclass(frozen=True)
class StoredInvoice:
    id: int
    invoice: Invoice
    fingerprint: str
    state: str
    message: str
    xero_invoice_id: str | None
    xero_invoice_number: str | None
    synced_fingerprint: str | None
    #: the Salesforce record it was read from ("" when imported from a file)
    sf_id: str = ""
    #: a pull found that record no longer in the Maica org (deleted, or hidden from the API user)
    maica_gone: bool = False


@dataclass(frozen=True)
class InvoiceRow:
    """One line of the invoice list (CLI ``invoices``, the window's table)."""

    id: int
    invoice_number: str
    invoice_date: str
    participant_name: str
    total: str
    status: str
    state: str
    message: str
    xero_invoice_id: str | None
    xero_invoice_number: str | None
    amount_paid: str | None
    amount_due: str | None
    xero_status: str | None
    #: ``total`` is Maica's figure — the one Xero computes (or will compute) for the invoice as it
    #: is now in Maica — and these are its parts; once the invoice was changed in Maica after it
    #: was sent, Xero's own figure is ``xero_total``
    subtotal: str = ""
    tax: str = ""
    #: Xero's own total once it has the invoice (None before)
    xero_total: str | None = None
    #: Not Paid / Partially Paid / Fully Paid as Xero's figures say (credits count); shown beside
    #: Maica's status, which a payment pull only ever raises
    xero_payment_state: str | None = None

    def to_json(self) -> dict[str, Any]:
        """One entry of ``invoices --json`` (README: invoice states and fields in ``--json``)."""
        return {
            "invoice_number": self.invoice_number,
            "state": self.state,
            "xero_invoice_id": self.xero_invoice_id,
            "message": self.message,
            "xero_invoice_number": self.xero_invoice_number,
            "invoice_date": self.invoice_date,
            "participant": self.participant_name,
            "subtotal": self.subtotal,
            "tax": self.tax,
            "total": self.total,
            "xero_total": self.xero_total,
            "status": self.status,
            "amount_paid": self.amount_paid,
            "amount_due": self.amount_due,
            "xero_status": self.xero_status,
            "xero_payment_state": self.xero_payment_state,
        }


class InvoiceStore(InvoiceImport):
    """Maica invoices in the store (mixed into :class:`Store`): an import applied all or nothing,
    the invoices read back for a run, the lists and counts the views page through, eligibility,
    the organisation's rates for local totals, and the support-item mappings.

    Never parses an export (``importing`` does) and never calls Xero. Threads: each method is
    one transaction on the shared :class:`Database`, which serialises them."""

    db: Database

    # -- reading ---------------------------------------------------------------------------

    def load_invoices(
        self, tenant_id: str, ids: Sequence[int] | None = None
    ) -> list[StoredInvoice]:
        """Invoices with their link to ``tenant_id`` (all, or those with the given ids)."""
        with self.db.read() as conn:
            where = ""
            params: list[Any] = [tenant_id]
            if ids is not None:
                if not ids:
                    return []
                conn.execute("CREATE TEMP TABLE IF NOT EXISTS wanted (id INTEGER PRIMARY KEY)")
                conn.execute("DELETE FROM wanted")
                conn.executemany(
                    "INSERT OR IGNORE INTO wanted (id) VALUES (?)", [(i,) for i in ids]
                )
                where = "WHERE i.id IN (SELECT id FROM wanted)"
            # `where` is one of two constants, never user input.
            heads = conn.execute(
                "SELECT i.*, p.name AS participant_name, p.ndis_number, p.bill_to_name, "  # noqa: S608
                "p.bill_to_email, l.state, l.message, l.xero_invoice_id, l.xero_invoice_number, "
                "l.synced_fingerprint, m.sf_id AS maica_sf_id, m.gone_at AS maica_gone_at "
                "FROM invoices i "
                "JOIN participants p ON p.participant_id = i.participant_id "
                "LEFT JOIN xero_links l ON l.invoice_id = i.id AND l.tenant_id = ? "
                "LEFT JOIN maica_records m ON m.invoice_id = i.id "
                f"{where} ORDER BY i.id",
                params,
            ).fetchall()
            lines: dict[int, list[Line]] = {}
            line_query = "SELECT * FROM invoice_lines "
            line_query += "WHERE invoice_id IN (SELECT id FROM wanted) " if ids is not None else ""
            for row in conn.execute(line_query + "ORDER BY invoice_id, line_no"):
                lines.setdefault(row["invoice_id"], []).append(_line(row))
        return [
            StoredInvoice(
                id=row["id"],
                invoice=_invoice(row, tuple(lines.get(row["id"], ()))),
                fingerprint=row["fingerprint"],
                state=row["state"] or LinkState.PENDING,
                message=row["message"] or "",
                xero_invoice_id=row["xero_invoice_id"],
                xero_invoice_number=row["xero_invoice_number"],
                synced_fingerprint=row["synced_fingerprint"],
                sf_id=row["maica_sf_id"] or "",
                maica_gone=row["maica_gone_at"] is not None,
            )
            for row in heads
        ]

    def invoice_ids(self) -> list[int]:
        with self.db.read() as conn:
            return [int(row[0]) for row in conn.execute("SELECT id FROM invoices ORDER BY id")]

    def count_invoices(self, tenant_id: str, state: str | None = None) -> int:
        query, params = _list_query(tenant_id, state, "SELECT COUNT(*)")
        with self.db.read() as conn:
            return int(conn.execute(query, params).fetchone()[0])

    def list_invoices(
        self,
        tenant_id: str,
        state: str | None = None,
        limit: int = -1,
        offset: int = 0,
        pricing: Pricing | None = None,
    ) -> list[InvoiceRow]:
        """One page of the invoice list; each total is the one Xero computes (``pricing``: the
        settings' line amount type and default tax type, else Exclusive and EXEMPTOUTPUT)."""
        query, params = _list_query(
            tenant_id,
            state,
            "SELECT i.id, i.invoice_number, i.invoice_date, p.name AS participant_name, i.total, "
            "i.status, COALESCE(l.state, 'pending') AS state, COALESCE(l.message, '') AS message, "
            "l.xero_invoice_id, l.xero_invoice_number, l.amount_paid, l.amount_due, l.xero_status, "
            "l.detail, l.xero_payment_state",
        )
        query += " ORDER BY i.invoice_date, i.invoice_number LIMIT ? OFFSET ?"
        pricing = pricing or self.pricing(tenant_id)
        with self.db.read() as conn:
            rows = conn.execute(query, [*params, limit, offset]).fetchall()
            lines = _lines_of(conn, [row["id"] for row in rows])
        return [_row(row, lines.get(row["id"], []), pricing) for row in rows]

    def set_eligibility(
        self, tenant_id: str, not_eligible: dict[int, str], eligible: Sequence[int]
    ) -> None:
        """Unsent invoices the flow leaves alone become ``not_eligible`` with the reason; those it
        takes again go back to ``pending``. Sent invoices are never touched."""
        now = time.time()
        with self.db.tx() as conn:
            conn.executemany(
                "INSERT INTO xero_links (invoice_id, tenant_id, state, message, updated_at) "
                "VALUES (?, ?, 'not_eligible', ?, ?) ON CONFLICT (invoice_id, tenant_id) DO UPDATE "
                "SET state = 'not_eligible', message = excluded.message, batch_id = NULL, "
                "updated_at = excluded.updated_at WHERE xero_links.state IN "
                "('pending', 'blocked', 'failed', 'not_eligible')",
                [(i, tenant_id, reason, now) for i, reason in not_eligible.items()],
            )
            conn.executemany(
                "UPDATE xero_links SET state = 'pending', message = '', updated_at = ? "
                "WHERE tenant_id = ? AND invoice_id = ? AND state = 'not_eligible'",
                [(now, tenant_id, i) for i in eligible],
            )

    def pricing(
        self, tenant_id: str, amount_type: str = "Exclusive", default_tax_type: str = "EXEMPTOUTPUT"
    ) -> Pricing:
        """How local totals are computed for ``tenant_id``: its rates as pre-flight last read them
        (Xero's standard Australian ones before that) and the support items' tax types."""
        with self.db.read() as conn:
            found = conn.execute(
                "SELECT value FROM sync_marks WHERE tenant_id = ? AND name = ?",
                (tenant_id, RATES_MARK),
            ).fetchone()
            items = {
                str(r["item_number"]): str(r["tax_type"])
                for r in conn.execute("SELECT item_number, tax_type FROM support_items")
                if r["tax_type"]
            }
        return Pricing(
            amount_type=amount_type,
            rates=rates_from_json(found["value"] if found else None),
            item_tax_types=items,
            default_tax_type=default_tax_type,
        )

    def remember_rates(self, tenant_id: str, rates: dict[str, Decimal]) -> None:
        """The organisation's tax rates (percent), for local totals until the next pre-flight."""
        with self.db.tx() as conn:
            conn.execute(
                "INSERT OR REPLACE INTO sync_marks (tenant_id, name, value) VALUES (?, ?, ?)",
                (tenant_id, RATES_MARK, rates_json(rates)),
            )

    def record_xero_totals(self, tenant_id: str, figures: dict[int, tuple[Totals, str]]) -> None:
        """Both figures on each link's detail: what was predicted here and Xero's own total."""
        with self.db.tx() as conn:
            for invoice_id, (predicted, xero_total) in figures.items():
                row = conn.execute(
                    "SELECT detail FROM xero_links WHERE invoice_id = ? AND tenant_id = ?",
                    (invoice_id, tenant_id),
                ).fetchone()
                if row is None:
                    continue
                detail = _detail(row["detail"])
                detail.update(predicted=predicted.to_json(), xero_total=xero_total)
                conn.execute(
                    "UPDATE xero_links SET detail = ? WHERE invoice_id = ? AND tenant_id = ?",
                    (json.dumps(detail, sort_keys=True), invoice_id, tenant_id),
                )

    def shared_participant_names(self) -> set[str]:
        """Names (lower case) that more than one participant has."""
        with self.db.read() as conn:
            return {
                str(row[0])
                for row in conn.execute(
                    "SELECT lower(name) FROM participants GROUP BY lower(name) HAVING COUNT(*) > 1"
                )
            }

    def requeue(self, tenant_id: str, invoice_ids: Sequence[int]) -> None:
        """Links back to pending: the batch they were in never reached Xero."""
        with self.db.tx() as conn:
            conn.executemany(
                "UPDATE xero_links SET state = 'pending', batch_id = NULL, updated_at = ? "
                "WHERE tenant_id = ? AND invoice_id = ? AND state = 'sending'",
                [(time.time(), tenant_id, i) for i in invoice_ids],
            )

    def support_items(self) -> dict[str, SupportItem]:
        with self.db.read() as conn:
            return {
                row["item_number"]: SupportItem(**dict(row))
                for row in conn.execute("SELECT * FROM support_items")
            }

    def set_support_item(self, item: SupportItem) -> None:
        with self.db.tx() as conn:
            conn.execute(
                "INSERT INTO support_items (item_number, name, xero_description, account_code, "
                "tax_type) VALUES (?, ?, ?, ?, ?) ON CONFLICT (item_number) DO UPDATE SET "
                "name = excluded.name, xero_description = excluded.xero_description, "
                "account_code = excluded.account_code, tax_type = excluded.tax_type",
                (
                    item.item_number,
                    item.name,
                    item.xero_description,
                    item.account_code,
                    item.tax_type,
                ),
            )


def _list_query(tenant_id: str, state: str | None, select: str) -> tuple[str, list[Any]]:
    query = (
        f"{select} FROM invoices i JOIN participants p ON p.participant_id = i.participant_id "
        "LEFT JOIN xero_links l ON l.invoice_id = i.id AND l.tenant_id = ?"
    )
    params: list[Any] = [tenant_id]
    if state == LinkState.PENDING:
        query += " WHERE l.state IS NULL OR l.state = 'pending'"
    elif state:
        query += " WHERE l.state = ?"
        params.append(state)
    return query, params


def _lines_of(conn: Any, ids: Sequence[int]) -> dict[int, list[Line]]:
    found: dict[int, list[Line]] = {}
    if not ids:
        return found
    conn.execute("CREATE TEMP TABLE IF NOT EXISTS listed (id INTEGER PRIMARY KEY)")
    conn.execute("DELETE FROM listed")
    conn.executemany("INSERT OR IGNORE INTO listed (id) VALUES (?)", [(i,) for i in ids])
    for row in conn.execute(
        "SELECT * FROM invoice_lines WHERE invoice_id IN (SELECT id FROM listed) "
        "ORDER BY invoice_id, line_no"
    ):
        found.setdefault(row["invoice_id"], []).append(_line(row))
    return found


def _detail(text: str | None) -> dict[str, Any]:
    try:
        found = json.loads(text) if text else {}
    except ValueError:
        return {}
    return found if isinstance(found, dict) else {}


def _decimal(text: Any) -> Decimal | None:
    try:
        found = Decimal(str(text)) if text not in (None, "") else None
    except InvalidOperation:
        return None
    return found if found is not None and found.is_finite() else None


def xero_total(detail: dict[str, Any], row: Any) -> Decimal | None:
    """Xero's total for a linked invoice: as Xero answered the push, else paid + due."""
    pushed = _decimal(detail.get("xero_total"))
    if pushed is not None:
        return pushed
    if str(row["xero_status"] or "") in ("VOIDED", "DELETED"):
        return None
    paid, due = _decimal(row["amount_paid"]), _decimal(row["amount_due"])
    return None if due is None else due + (paid or Decimal(0))


def _row(row: Any, lines: list[Line], pricing: Pricing) -> InvoiceRow:
    data = dict(row)
    detail = _detail(data.pop("detail"))
    totals = pricing.line_totals(lines)
    theirs = xero_total(detail, row)
    message = data.pop("message")
    if message == APPROVE_IN_XERO and str(row["xero_status"] or "") in APPROVED_IN_XERO:
        message = ""  # approved in Xero since
    if theirs is not None:
        if data["state"] == LinkState.CHANGED:
            # the gap is the Maica edit since it was sent, not a tax rate Xero used
            note = changed_note(theirs, totals.total)
            if note and not message.startswith(("Changed in Maica", "Cancelled in Maica")):
                note = f"Changed in Maica after it was sent: {note}"
        else:
            note = difference_note(theirs, totals.total)
        if note and note not in message:
            message = f"{message} {note}".strip()
    data.update(
        total=str(totals.total),
        subtotal=str(totals.subtotal),
        tax=str(totals.tax),
        xero_total=None if theirs is None else str(theirs),
        message=message,
    )
    return InvoiceRow(**data)


def _date(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def _line(row: Any) -> Line:
    return Line(
        support_item_number=row["support_item_number"],
        quantity=Decimal(row["quantity"]),
        unit_price=Decimal(row["unit_price"]),
        support_item_name=row["support_item_name"],
        description=row["description"],
        service_date=_date(row["service_date"]),
        account_code=row["account_code"],
        tax_type=row["tax_type"],
        tracking=tuple((str(c), str(o)) for c, o in json.loads(row["tracking"])),
    )


def _invoice(row: Any, lines: tuple[Line, ...]) -> Invoice:
    invoice_date = _date(row["invoice_date"])
    assert invoice_date is not None
    return Invoice(
        invoice_number=row["invoice_number"],
        invoice_date=invoice_date,
        status=row["status"],
        funding_type=row["funding_type"],
        participant_id=row["participant_id"],
        participant_name=row["participant_name"],
        lines=lines,
        due_date=_date(row["due_date"]),
        ndis_number=row["ndis_number"],
        bill_to_name=row["bill_to_name"],
        bill_to_email=row["bill_to_email"],
        currency=row["currency"],
    )
