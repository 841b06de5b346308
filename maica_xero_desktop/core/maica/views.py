"""What ``service.maica`` answers with: frozen values the CLI and the window show (each ``--json``
document is one of these models' ``to_json``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

#: the states of one mapped field (:class:`FieldCheck`)
FOUND = "found"
MISSING = "missing"
WRONG_TYPE = "wrong_type"
NOT_READABLE = "not_readable"
NOT_WRITABLE = "not_writable"
FIELD_STATES = (FOUND, MISSING, WRONG_TYPE, NOT_READABLE, NOT_WRITABLE)


@dataclass(frozen=True)
class MaicaStatus:
    """The Maica org as this installation sees it (no network unless a check ran)."""

    connected: bool
    instance_url: str
    org_name: str
    user: str
    namespace: str
    #: None until a mapping check ran; else whether every required field is usable
    mapping_ok: bool | None
    login_url: str
    client_id_set: bool
    needs_reconnect: bool
    #: "file" or "maica": where invoices come from
    source: str

    def to_json(self) -> dict[str, Any]:
        return {
            "connected": self.connected,
            "instance_url": self.instance_url or None,
            "org_name": self.org_name or None,
            "user": self.user or None,
            "namespace": self.namespace or None,
            "mapping_ok": self.mapping_ok,
            "login_url": self.login_url,
            "client_id_set": self.client_id_set,
            "needs_reconnect": self.needs_reconnect,
            "source": self.source,
        }


@dataclass(frozen=True)
class FieldCheck:
    """One mapped field: which object and role, the API name in use, and whether it works."""

    object: str
    role: str
    api_name: str
    #: found | missing | wrong_type | not_readable | not_writable
    state: str
    label: str = ""
    required: bool = True
    #: what to do about it ("" when found): e.g. other fields with a similar label
    suggestion: str = ""
    #: found by its label and not yet confirmed by the administrator
    unconfirmed: bool = False

    @property
    def key(self) -> str:
        return f"{self.object}.{self.role}"

    def to_json(self) -> dict[str, Any]:
        return {
            "object": self.object,
            "role": self.role,
            "api_name": self.api_name or None,
            "state": self.state,
            "label": self.label,
            "required": self.required,
            "suggestion": self.suggestion or None,
            "unconfirmed": self.unconfirmed,
        }


@dataclass(frozen=True)
class MappingCheck:
    """The mapping report: every mapped field's state; ``ok`` when every required one is found."""

    ok: bool
    namespace: str
    fields: tuple[FieldCheck, ...]
    #: "object.role" keys found by label that the administrator has not confirmed yet
    unconfirmed: tuple[str, ...] = ()
    #: invoice numbers this product pulled whose Finance External ID someone else then wrote
    changed_hands: tuple[str, ...] = ()
    #: one sentence: what is wrong and what to do ("" when ok and confirmed)
    sentence: str = ""

    def problems(self) -> tuple[FieldCheck, ...]:
        return tuple(f for f in self.fields if f.state != FOUND)

    def to_json(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "namespace": self.namespace or None,
            "fields": [f.to_json() for f in self.fields],
            "unconfirmed": list(self.unconfirmed),
            "changed_hands": list(self.changed_hands),
            "sentence": self.sentence or None,
        }


@dataclass(frozen=True)
class PullError:
    """One Maica record the pull refused, with its Salesforce Id and why."""

    sf_id: str
    invoice_number: str
    reason: str

    def to_json(self) -> dict[str, Any]:
        return {"sf_id": self.sf_id, "invoice_number": self.invoice_number, "reason": self.reason}


@dataclass(frozen=True)
class PullResult:
    """What a pull read from the Maica org and stored (all of it, or nothing when ``errors``)."""

    pulled: int
    new: int
    changed: int
    unchanged: int
    #: pending invoices found carrying a Finance External ID this product did not write: linked
    linked_elsewhere: int
    errors: tuple[PullError, ...] = ()
    api_calls: int = 0
    bulk: bool = False

    @property
    def stored(self) -> bool:
        return not self.errors

    def to_json(self) -> dict[str, Any]:
        return {
            "pulled": self.pulled,
            "new": self.new,
            "changed": self.changed,
            "unchanged": self.unchanged,
            "linked_elsewhere": self.linked_elsewhere,
            "errors": [e.to_json() for e in self.errors],
            "api_calls": self.api_calls,
            "bulk": self.bulk,
        }


@dataclass(frozen=True)
class WriteBackError:
    """One record Maica refused: its Salesforce Id (or the Xero PaymentID), what, and why."""

    sf_id: str
    #: "invoice INV-0001" or "payment <Xero PaymentID>"
    what: str
    reason: str

    def to_json(self) -> dict[str, Any]:
        return {"sf_id": self.sf_id, "what": self.what, "reason": self.reason}


@dataclass(frozen=True)
class WriteBackResult:
    """What was written to the Maica org: invoices given their Xero id and number, payments."""

    invoices: int
    payments: int
    failed: tuple[WriteBackError, ...] = ()
    api_calls: int = 0

    def to_json(self) -> dict[str, Any]:
        return {
            "invoices": self.invoices,
            "payments": self.payments,
            "failed": [f.to_json() for f in self.failed],
            "api_calls": self.api_calls,
        }


@dataclass(frozen=True)
class ExportUpdatesResult:
    """The import-ready CSV files written for an org without API access."""

    invoices: int
    payments: int
    files: tuple[str, ...]
    #: what to do by hand before the import ("" when nothing): a column named by its label
    note: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "invoices": self.invoices,
            "payments": self.payments,
            "files": list(self.files),
            "note": self.note,
        }
