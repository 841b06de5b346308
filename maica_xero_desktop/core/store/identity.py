"""The store's identity and its memory of each organisation.

A store gets a random id (``store_meta.store_id``) the first time it is opened; the home's settings
remember which store last sent invoices to each organisation and how many it had linked there
(:mod:`..sync.recovery`). A store with another id (replaced, or a 0-byte file that SQLite silently
made into a new database), or one that knows fewer invoices in an organisation than the settings
say (restored from an older backup), is noticed before anything is sent from it.
"""

from __future__ import annotations

import secrets
import time

from .db import Database

STORE_ID = "store_id"
CREATED_AT = "created_at"


def _recovered_key(tenant_id: str) -> str:
    return f"recovered:{tenant_id.lower()}"


def meta(db: Database, key: str) -> str | None:
    with db.read() as conn:
        row = conn.execute("SELECT value FROM store_meta WHERE key = ?", (key,)).fetchone()
    return None if row is None else str(row["value"])


def set_meta(db: Database, key: str, value: str) -> None:
    with db.tx() as conn:
        conn.execute(
            "INSERT INTO store_meta (key, value) VALUES (?, ?) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (key, value),
        )


def store_id(db: Database) -> str:
    """This store's id, made (random, 128 bits) the first time it is asked for."""
    found = meta(db, STORE_ID)
    if found:
        return found
    with db.tx() as conn:  # two processes may ask first at once: the first one wins
        conn.execute(
            "INSERT OR IGNORE INTO store_meta (key, value) VALUES (?, ?)",
            (STORE_ID, secrets.token_hex(16)),
        )
        conn.execute(
            "INSERT OR IGNORE INTO store_meta (key, value) VALUES (?, ?)",
            (CREATED_AT, repr(time.time())),
        )
    value = meta(db, STORE_ID)
    assert value is not None
    return value


def linked_count(db: Database, tenant_id: str) -> int:
    """How many of this store's invoices are linked to an invoice in the organisation."""
    with db.read() as conn:
        row = conn.execute(
            "SELECT COUNT(*) FROM xero_links WHERE tenant_id = ? AND xero_invoice_id IS NOT NULL "
            "AND state IN ('synced', 'changed')",
            (tenant_id,),
        ).fetchone()
    return int(row[0])


def mark_recovered(db: Database, tenant_id: str) -> None:
    """When this store last looked up everything it would send to the organisation (a record for
    whoever reads the database; nothing depends on it)."""
    set_meta(db, _recovered_key(tenant_id), repr(time.time()))
