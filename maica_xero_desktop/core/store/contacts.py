"""Contacts found or made in Xero per organisation, and the sync's marks (e.g. the last pull)."""

from __future__ import annotations

from .db import Database


class ContactRecords:
    """Writes and reads ``contacts`` and ``sync_marks``. Any thread."""

    db: Database

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
