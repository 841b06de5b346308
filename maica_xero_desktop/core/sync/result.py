"""What a run reports, and how it cuts its work: :class:`SyncResult` (the counts, each invoice's
outcome, the ``sync --json`` shape and the CLI's exit code), :class:`Progress`, the batch key and
the batches of at most 50 invoices and 3.5 MB. Pure: no store, no Xero.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..errors import MaicaXeroError
from ..states import RunOutcome, RunState
from ..store import Outcome, StoredInvoice
from ..textsafe import printable

MAX_BATCH = 50
CHUNK = 500  # invoices read from the store at a time
MAX_BATCH_BYTES = 3_500_000 - 50_000  # Xero's 3.5 MB cap, with room for the envelope


class SyncBusy(MaicaXeroError):
    """Another run for the same organisation holds the lock."""


@dataclass
class Progress:
    done: int
    total: int
    step: str


@dataclass
class SyncResult:
    """What one run did, as counts and per-invoice outcomes; ``exit_code`` is the CLI's rule and
    ``to_json`` the ``sync --json`` document."""

    run_id: int
    flow: str
    tenant_id: str
    tenant_name: str
    dry_run: bool
    state: str = RunState.FINISHED
    selected: int = 0
    created: int = 0
    linked: int = 0
    blocked: int = 0
    failed: int = 0
    #: Xero holds a different invoice under the number: never linked, never sent (exit 1)
    conflict: int = 0
    skipped: int = 0
    #: selected invoices this run settled nothing for (it stopped early): the next run sends them
    pending: int = 0
    #: unsent invoices the flow does not send (Entered, Cancelled, …), and how many per status
    not_eligible: int = 0
    not_eligible_statuses: dict[str, int] = field(default_factory=dict)
    api_calls: int = 0
    #: source "maica": invoices read from the Maica org, invoices whose Xero id and number were
    #: written back to it, and the Salesforce API calls the run made (0 for the file source)
    pulled: int = 0
    written_back: int = 0
    maica_calls: int = 0
    duration_s: float = 0.0
    message: str = ""
    outcomes: list[Outcome] = field(default_factory=list)
    preview: list[dict[str, Any]] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        return (
            self.state == RunState.FINISHED
            and self.failed == 0
            and self.blocked == 0
            and self.conflict == 0
            and self.pending == 0
        )

    @property
    def exit_code(self) -> int:
        """The CLI's exit code. 2: the run stopped before finishing for a reason that is not
        about the invoices (Xero refused the sign-in, could not be reached or failed, its limit
        was reached, the organisation or a permission is gone) — what was not sent waits for the
        next run; 1: it finished, but some invoices failed, are blocked or are in conflict (or
        it was cancelled); 0: every selected invoice is in Xero (a preview: it ran)."""
        if self.state == RunState.FAILED:
            return 2
        if self.dry_run:
            return 0 if self.state == RunState.FINISHED else 1
        return 0 if self.complete else 1

    def counts(self) -> dict[str, int]:
        return {
            "selected": self.selected,
            "created": self.created,
            "linked": self.linked,
            "blocked": self.blocked,
            "failed": self.failed,
            "conflict": self.conflict,
            "skipped": self.skipped,
            "pending": self.pending,
            "not_eligible": self.not_eligible,
            "api_calls": self.api_calls,
            "pulled": self.pulled,
            "written_back": self.written_back,
            "maica_calls": self.maica_calls,
        }

    def summary(self) -> str:
        """One line for the log: what was looked at and what came of it."""
        what = "Preview" if self.dry_run else "Run"
        return (
            f"{what} {self.run_id} {self.state} ({self.flow}, {printable(self.tenant_name)}): "
            f"{self.selected} selected, {self.not_eligible} not eligible, {self.created} "
            f"created, {self.linked} linked, {self.blocked} blocked, {self.failed} failed, "
            f"{self.conflict} in conflict, "
            f"{self.skipped} already sent; {self.api_calls} Xero calls in {self.duration_s} s."
            + (
                f" Maica: {self.pulled} pulled, {self.written_back} written back, "
                f"{self.maica_calls} calls."
                if self.maica_calls
                else ""
            )
        )

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "run_id": self.run_id,
            "flow": self.flow,
            "tenant_id": self.tenant_id,
            "tenant_name": self.tenant_name,
            "dry_run": self.dry_run,
            "state": self.state,
            **self.counts(),
            "not_eligible_statuses": dict(self.not_eligible_statuses),
            "duration_s": self.duration_s,
            "message": self.message,
            "outcomes": [
                {
                    "invoice_number": o.invoice_number,
                    "outcome": o.outcome,
                    "xero_invoice_id": o.xero_invoice_id,
                    "xero_invoice_number": o.xero_invoice_number,
                    "message": o.message,
                    **({"detail": o.detail} if o.detail else {}),
                }
                for o in self.outcomes
            ],
        }
        if self.dry_run:
            data["preview"] = self.preview
        return data


def batch_key(tenant_id: str, flow: str, payloads: Sequence[dict[str, Any]], run_id: int) -> str:
    """The same request in one run always gets the same key (a retry is replayed by Xero, not
    re-applied), and a different request never reuses one. A later run never reuses a key: Xero
    keeps a key (and a cached 5xx) for 6 minutes, and a batch left unanswered is looked up by the
    next run, not re-sent under the old key."""
    body = json.dumps(payloads, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(f"{tenant_id}|{flow}|{run_id}|{body}".encode()).hexdigest()


#: the outcomes a run counts (each a field of :class:`SyncResult`)
COUNTED = (
    RunOutcome.CREATED,
    RunOutcome.LINKED,
    RunOutcome.BLOCKED,
    RunOutcome.FAILED,
    RunOutcome.CONFLICT,
)


def pending_sentence(count: int, selected: int) -> str:
    if count == selected:
        which = "The selected invoice was" if count == 1 else f"The {count} selected invoices were"
    else:
        which = f"{count} of the {selected} selected invoices {'was' if count == 1 else 'were'}"
    return f"{which} not sent: the next sync sends {'it' if count == 1 else 'them'}."


def conflict_sentence(count: int) -> str:
    return (
        f"{count} invoice{'s' if count != 1 else ''} in conflict: Xero holds a different invoice "
        "under the same number, so nothing was linked or sent (see each invoice's message)."
    )


def chunks(ids: list[int], size: int) -> Iterator[list[int]]:
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


def batches(
    entries: Iterable[tuple[StoredInvoice, dict[str, Any]]],
) -> Iterator[list[tuple[StoredInvoice, dict[str, Any]]]]:
    """At most 50 invoices and 3.5 MB per batch."""
    current: list[tuple[StoredInvoice, dict[str, Any]]] = []
    size = 0
    for entry in entries:
        entry_size = len(json.dumps(entry[1]))
        if current and (len(current) >= MAX_BATCH or size + entry_size > MAX_BATCH_BYTES):
            yield current
            current, size = [], 0
        current.append(entry)
        size += entry_size
    if current:
        yield current
