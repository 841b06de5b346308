"""What the facade answers with: the status, the organisations, the client id in use, an
import's result, the flows, a sign-in's result — plain, frozen values the CLI and the window show
(each ``--json`` document is one of these models' ``to_json``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, NamedTuple

from .connections import Connection
from .flows import Flow
from .importing import ParsedExport
from .secrets import ConnectedUser
from .store import ImportSummary

#: the environment variable that overrides the saved client id
CLIENT_ID_ENV = "MAICA_XERO_CLIENT_ID"


@dataclass(frozen=True)
class Status:
    enabled: bool
    client_id: str
    active_tenant_id: str
    active_tenant_name: str
    #: none | ok | missing (selected but no longer in Xero's list) | unknown (never listed)
    active_tenant_state: str
    #: none | valid | expired (renewed on next use) | needs_reconnect | unavailable (keyring)
    token_state: str
    connected_as: ConnectedUser | None
    flow: str
    schedule_minutes: int
    webhook_site: str
    api_url: str
    sandbox: bool
    keyring_backend: str
    last_run: dict[str, Any] | None = None
    messages: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "enabled": self.enabled,
            "client_id": self.client_id,
            "active_tenant_id": self.active_tenant_id or None,
            "active_tenant_name": self.active_tenant_name or None,
            "active_tenant_state": self.active_tenant_state,
            "token_state": self.token_state,
            "connected_as": (
                {"name": self.connected_as.name, "email": self.connected_as.email}
                if self.connected_as
                else None
            ),
            "flow": self.flow,
            "schedule_minutes": self.schedule_minutes,
            "webhook_site": self.webhook_site or None,
            "api_url": self.api_url,
            "sandbox": self.sandbox,
            "keyring_backend": self.keyring_backend,
            "last_run": self.last_run,
            "messages": self.messages,
        }


@dataclass(frozen=True)
class ConnectionsView:
    connections: tuple[Connection, ...]
    active_tenant_id: str
    messages: tuple[str, ...] = ()

    def to_json(self) -> list[dict[str, Any]]:
        return [
            {
                "id": c.id,
                "tenantId": c.tenant_id,
                "tenantName": c.tenant_name,
                "tenantType": c.tenant_type,
                "authEventId": c.auth_event_id or None,
                "createdDateUtc": c.created or None,
                "updatedDateUtc": c.updated or None,
                "active": c.tenant_id.lower() == self.active_tenant_id.lower(),
                "canReceiveInvoices": c.can_receive_invoices,
            }
            for c in self.connections
        ]


@dataclass(frozen=True)
class ClientIdInfo:
    """The client id in use and where it comes from (the environment overrides the settings)."""

    value: str
    #: "environment" | "settings" | "none"
    source: str
    #: the saved setting, when the environment overrides it
    saved: str = ""
    variable: str = CLIENT_ID_ENV

    def to_json(self) -> dict[str, Any]:
        return {
            "value": self.value or None,
            "source": self.source,
            "saved": self.saved or None,
            "variable": self.variable,
        }


class ImportResult(NamedTuple):
    """What ``sync.import_file`` did: the parsed export and what the store made of it (unpacks as
    ``parsed, summary``); :meth:`to_json` is ``import --json``."""

    parsed: ParsedExport
    summary: ImportSummary

    def to_json(self) -> dict[str, Any]:
        parsed, summary = self.parsed, self.summary
        return {
            "invoices": len(parsed.invoices),
            "lines": parsed.lines,
            "new": summary.new,
            "updated": summary.updated,
            "unchanged": summary.unchanged,
            "flagged": summary.flagged,
            "status_notes": summary.status_notes,
            "warnings": list(parsed.warnings),
        }


class FlowChoice(NamedTuple):
    """A sync flow and whether it is the chosen one (unpacks as ``flow, selected``);
    :meth:`to_json` is one entry of ``flows --json``."""

    flow: Flow
    selected: bool

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.flow.name,
            "description": self.flow.description,
            "selected": self.selected,
        }


@dataclass(frozen=True)
class ConnectResult:
    user: ConnectedUser | None
    view: ConnectionsView
    redirect_uri: str
