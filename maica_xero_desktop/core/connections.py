"""The Xero organisations ("tenants") this sign-in reaches, and their local copy.

Xero's ``GET /connections`` lists every organisation the user connected to the app; the list is kept
in ``connections.json`` in the data folder (no secrets in it) so the window and ``status``
can show it without a network call.
"""

from __future__ import annotations

import logging
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from .jsonfile import read_json, write_json_atomic

log = logging.getLogger(__name__)

ORGANISATION = "ORGANISATION"


@dataclass(frozen=True)
class Connection:
    id: str
    tenant_id: str
    tenant_name: str
    tenant_type: str
    auth_event_id: str = ""
    created: str = ""
    updated: str = ""

    @property
    def can_receive_invoices(self) -> bool:
        return self.tenant_type.upper() == ORGANISATION

    @classmethod
    def from_xero(cls, item: dict[str, Any]) -> Connection | None:
        connection_id = item.get("id")
        tenant_id = item.get("tenantId")
        if not isinstance(connection_id, str) or not isinstance(tenant_id, str):
            return None
        return cls(
            id=connection_id,
            tenant_id=tenant_id,
            tenant_name=str(item.get("tenantName") or "(unnamed organisation)"),
            tenant_type=str(item.get("tenantType") or "ORGANISATION"),
            auth_event_id=str(item.get("authEventId") or ""),
            created=str(item.get("createdDateUtc") or ""),
            updated=str(item.get("updatedDateUtc") or ""),
        )


@dataclass(frozen=True)
class ConnectionList:
    connections: tuple[Connection, ...]
    fetched_at: float

    def find(self, tenant_id: str) -> Connection | None:
        wanted = tenant_id.strip().lower()
        return next((c for c in self.connections if c.tenant_id.lower() == wanted), None)


class ConnectionCache:
    def __init__(self, path: Path) -> None:
        self._path = path

    def load(self) -> ConnectionList:
        try:
            data = read_json(self._path)
        except FileNotFoundError:
            return ConnectionList((), 0.0)
        except (OSError, ValueError):
            log.warning("The saved organisation list could not be read; it will be fetched again.")
            return ConnectionList((), 0.0)
        items = data.get("connections", []) if isinstance(data, dict) else []
        connections = []
        for item in items if isinstance(items, list) else []:
            try:
                connections.append(Connection(**item))
            except TypeError:
                continue
        fetched = data.get("fetched_at", 0.0) if isinstance(data, dict) else 0.0
        return ConnectionList(tuple(connections), float(fetched or 0.0))

    def save(self, connections: list[Connection] | tuple[Connection, ...]) -> ConnectionList:
        stored = ConnectionList(tuple(connections), time.time())
        write_json_atomic(
            self._path,
            {"fetched_at": stored.fetched_at, "connections": [asdict(c) for c in connections]},
        )
        return stored

    def clear(self) -> None:
        self.save(())
