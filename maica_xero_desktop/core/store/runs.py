"""Runs: one row per Run Now, scheduled run or preview, with its counts and its results."""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from typing import Any

from ..states import RunOutcome, RunState
from .db import Database
from .links import Outcome


@dataclass(frozen=True)
class RunRecord:
    id: int
    tenant_id: str
    tenant_name: str
    flow: str
    trigger: str
    dry_run: bool
    state: str
    started_at: float
    finished_at: float | None
    selected: int
    created: int
    linked: int
    blocked: int
    failed: int
    skipped: int
    api_calls: int
    message: str
    #: counted from the run's results (the runs table has no column for it)
    conflict: int = 0
    #: when the source is the Maica org: its API calls, invoices pulled and written back
    maica_calls: int = 0
    pulled: int = 0
    written_back: int = 0

    @property
    def duration_s(self) -> float:
        return round((self.finished_at or time.time()) - self.started_at, 3)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["run_id"] = data.pop("id")
        data["duration_s"] = self.duration_s
        return data


class RunRecords:
    """Writes and reads ``runs`` and reads ``run_results``. Any thread."""

    db: Database

    def start_run(
        self, tenant_id: str, tenant_name: str, flow: str, trigger: str, dry_run: bool
    ) -> int:
        with self.db.tx() as conn:
            cursor = conn.execute(
                "INSERT INTO runs (tenant_id, tenant_name, flow, trigger, dry_run, state, "
                "started_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    tenant_id,
                    tenant_name,
                    flow,
                    trigger,
                    int(dry_run),
                    RunState.RUNNING,
                    time.time(),
                ),
            )
            return int(cursor.lastrowid or 0)

    def finish_run(self, run_id: int, state: str, counts: dict[str, int], message: str) -> None:
        with self.db.tx() as conn:
            conn.execute(
                "UPDATE runs SET state = ?, finished_at = ?, selected = ?, created = ?, "
                "linked = ?, blocked = ?, failed = ?, skipped = ?, api_calls = ?, message = ? "
                "WHERE id = ?",
                (
                    state,
                    time.time(),
                    counts.get("selected", 0),
                    counts.get(RunOutcome.CREATED, 0),
                    counts.get(RunOutcome.LINKED, 0),
                    counts.get(RunOutcome.BLOCKED, 0),
                    counts.get(RunOutcome.FAILED, 0),
                    counts.get("skipped", 0),
                    counts.get("api_calls", 0),
                    message,
                    run_id,
                ),
            )

    def record_maica_run(
        self,
        run_id: int,
        *,
        maica_calls: int,
        pulled: int,
        written_back: int,
        state: str | None = None,
        message: str | None = None,
    ) -> None:
        """The Maica side of a run (source "maica"): API calls, invoices pulled, written back;
        and the run's state and message when the write-back after it stopped it."""
        with self.db.tx() as conn:
            conn.execute(
                "UPDATE runs SET maica_calls = ?, pulled = ?, written_back = ?, "
                "state = COALESCE(?, state), message = COALESCE(?, message) WHERE id = ?",
                (maica_calls, pulled, written_back, state, message, run_id),
            )

    def close_abandoned_runs(self, tenant_id: str) -> None:
        """Runs left 'running' by a process that died (called while holding the run lock)."""
        with self.db.tx() as conn:
            conn.execute(
                "UPDATE runs SET state = 'failed', finished_at = COALESCE(finished_at, ?), "
                "message = 'The run was interrupted (the program stopped); its batches were "
                "checked against Xero by the next run.' WHERE tenant_id = ? AND state = 'running'",
                (time.time(), tenant_id),
            )

    def runs(self, limit: int = 20, tenant_id: str | None = None) -> list[RunRecord]:
        query = _RUNS
        params: list[Any] = []
        if tenant_id:
            query += " WHERE tenant_id = ?"
            params.append(tenant_id)
        query += " ORDER BY id DESC LIMIT ?"
        params.append(limit)
        with self.db.read() as conn:
            rows = conn.execute(query, params).fetchall()
        return [_run(r) for r in rows]

    def run(self, run_id: int) -> RunRecord | None:
        with self.db.read() as conn:
            row = conn.execute(_RUNS + " WHERE id = ?", (run_id,)).fetchone()
        return _run(row) if row else None

    def run_results(self, run_id: int, outcome: str | None = None) -> list[Outcome]:
        query = "SELECT * FROM run_results WHERE run_id = ?"
        params: list[Any] = [run_id]
        if outcome:
            query += " AND outcome = ?"
            params.append(outcome)
        with self.db.read() as conn:
            rows = conn.execute(query + " ORDER BY invoice_number", params).fetchall()
        return [
            Outcome(
                invoice_id=r["invoice_id"],
                invoice_number=r["invoice_number"],
                outcome=r["outcome"],
                message=r["message"],
                xero_invoice_id=r["xero_invoice_id"],
                xero_invoice_number=r["xero_invoice_number"],
            )
            for r in rows
        ]


_RUNS = (
    "SELECT *, (SELECT COUNT(*) FROM run_results r WHERE r.run_id = runs.id "
    "AND r.outcome = 'conflict') AS conflict FROM runs"
)


def _run(row: Any) -> RunRecord:
    data = dict(row)
    data["dry_run"] = bool(data["dry_run"])
    return RunRecord(**data)
