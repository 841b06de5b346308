"""Webhook events in the store: written before the receiver answers 200, processed afterwards.

An event is identified by (tenant, resource, category, type, event date): a repeated delivery of
the same event (Xero delivers at least once) only counts one more delivery on the row already
there, so it is processed once. Ids are kept lower-case so the key does not depend on casing.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from ..states import EventState
from .db import Database

EVENT_STATES = tuple(state.value for state in EventState)


@dataclass(frozen=True)
class IncomingEvent:
    """One element of a delivery's ``events`` array, already checked for shape."""

    tenant_id: str
    tenant_type: str
    category: str
    event_type: str
    resource_id: str
    resource_url: str
    event_date: str


@dataclass(frozen=True)
class StoredEvent:
    id: int
    delivery_id: str
    received_at: float
    tenant_id: str
    tenant_type: str
    category: str
    event_type: str
    resource_id: str
    resource_url: str
    event_date: str
    status: str
    message: str
    deliveries: int
    attempts: int
    next_attempt: float
    processed_at: float | None

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("next_attempt")
        return data


@dataclass(frozen=True)
class EventUpdate:
    id: int
    status: str
    message: str
    #: for a retry: when to try again (``status`` stays "new")
    next_attempt: float = 0.0
    attempted: bool = False


@dataclass(frozen=True)
class LinkView:
    """Where a pushed invoice stands after a payment refresh (for the event's message)."""

    invoice_number: str
    maica_status: str
    xero_invoice_number: str
    xero_status: str
    amount_paid: str
    amount_due: str
    #: credit notes, prepayments and overpayments applied ("0" when none)
    amount_credited: str = "0"
    #: Not Paid / Partially Paid / Fully Paid by Xero's figures ("" when unknown)
    xero_payment_state: str = ""


class WebhookEvents:
    """The webhook events table (mixed into :class:`Store`): stores deliveries before the
    receiver answers, hands out the due events, records each outcome, and reads the links an
    event concerns. Never calls Xero and never decides what an event means (processing does).
    Threads: every method is one transaction on the shared :class:`Database`, which serialises
    them; the receiver's threads and the worker use it at once."""

    db: Database

    def add_webhook_events(
        self, delivery_id: str, events: Sequence[IncomingEvent], received_at: float | None = None
    ) -> tuple[int, int]:
        """Store a delivery's events in one transaction; returns (new, repeated)."""
        now = time.time() if received_at is None else received_at
        new = 0
        with self.db.tx() as conn:
            for event in events:
                cursor = conn.execute(
                    "INSERT INTO webhook_events (delivery_id, received_at, tenant_id, tenant_type, "
                    "category, event_type, resource_id, resource_url, event_date) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) "
                    "ON CONFLICT (tenant_id, resource_id, category, event_type, event_date) "
                    "DO UPDATE SET deliveries = deliveries + 1 RETURNING deliveries",
                    (
                        delivery_id,
                        now,
                        event.tenant_id.lower(),
                        event.tenant_type,
                        event.category,
                        event.event_type,
                        event.resource_id.lower(),
                        event.resource_url,
                        event.event_date,
                    ),
                )
                row = cursor.fetchone()
                if row is not None and int(row[0]) == 1:
                    new += 1
        return new, len(events) - new

    def due_webhook_events(self, now: float, limit: int = 500) -> list[StoredEvent]:
        """Events still to process whose retry time has come, oldest first."""
        with self.db.read() as conn:
            rows = conn.execute(
                "SELECT * FROM webhook_events WHERE status = 'new' AND next_attempt <= ? "
                "ORDER BY id LIMIT ?",
                (now, limit),
            ).fetchall()
        return [StoredEvent(**dict(r)) for r in rows]

    def next_webhook_attempt(self) -> float | None:
        """The earliest retry time of an event still to process (None when there is none)."""
        with self.db.read() as conn:
            row = conn.execute(
                "SELECT MIN(next_attempt) FROM webhook_events WHERE status = 'new'"
            ).fetchone()
        return None if row is None or row[0] is None else float(row[0])

    def update_webhook_events(self, updates: Iterable[EventUpdate]) -> None:
        now = time.time()
        with self.db.tx() as conn:
            for update in updates:
                done = update.status != EventState.NEW
                conn.execute(
                    "UPDATE webhook_events SET status = ?, message = ?, next_attempt = ?, "
                    "attempts = attempts + ?, processed_at = ? WHERE id = ?",
                    (
                        update.status,
                        update.message,
                        update.next_attempt,
                        1 if update.attempted else 0,
                        now if done else None,
                        update.id,
                    ),
                )

    def retry_failed_webhook_events(self) -> int:
        """Failed events back to "new", to be processed again now."""
        with self.db.tx() as conn:
            cursor = conn.execute(
                "UPDATE webhook_events SET status = 'new', next_attempt = 0, attempts = 0 "
                "WHERE status = 'failed'"
            )
            return cursor.rowcount

    def webhook_events(self, limit: int = 50, status: str | None = None) -> list[StoredEvent]:
        """The newest events first."""
        sql = "SELECT * FROM webhook_events"
        args: list[Any] = []
        if status:
            sql += " WHERE status = ?"
            args.append(status)
        sql += " ORDER BY id DESC LIMIT ?"
        args.append(limit)
        with self.db.read() as conn:
            rows = conn.execute(sql, args).fetchall()
        return [StoredEvent(**dict(r)) for r in rows]

    def webhook_counts(self) -> dict[str, int]:
        counts = dict.fromkeys(EVENT_STATES, 0)
        with self.db.read() as conn:
            for row in conn.execute(
                "SELECT status, COUNT(*) AS n FROM webhook_events GROUP BY status"
            ):
                counts[str(row["status"])] = int(row["n"])
        return counts

    def webhook_deliveries(self) -> int:
        """Every event delivery accepted, repeats included."""
        with self.db.read() as conn:
            row = conn.execute("SELECT COALESCE(SUM(deliveries), 0) FROM webhook_events").fetchone()
        return int(row[0])

    def last_webhook_event_at(self) -> float | None:
        with self.db.read() as conn:
            row = conn.execute("SELECT MAX(received_at) FROM webhook_events").fetchone()
        return None if row is None or row[0] is None else float(row[0])

    def link_views(self, tenant_id: str, xero_invoice_ids: Sequence[str]) -> dict[str, LinkView]:
        """Pushed invoices by Xero id, with their payment state (ids compared lower-case)."""
        found: dict[str, LinkView] = {}
        with self.db.read() as conn:
            for xero_id in xero_invoice_ids:
                row = conn.execute(
                    "SELECT i.invoice_number, i.status, l.xero_invoice_number, l.xero_status, "
                    "l.amount_paid, l.amount_due, l.amount_credited, l.xero_payment_state "
                    "FROM xero_links l JOIN invoices i "
                    "ON i.id = l.invoice_id WHERE l.tenant_id = ? AND "
                    "lower(l.xero_invoice_id) = ?",
                    (tenant_id, xero_id.lower()),
                ).fetchone()
                if row is not None:
                    found[xero_id.lower()] = LinkView(
                        invoice_number=str(row[0]),
                        maica_status=str(row[1]),
                        xero_invoice_number=str(row[2] or ""),
                        xero_status=str(row[3] or ""),
                        amount_paid=str(row[4] or "0"),
                        amount_due=str(row[5] or ""),
                        amount_credited=str(row[6] or "0"),
                        xero_payment_state=str(row[7] or ""),
                    )
        return found
