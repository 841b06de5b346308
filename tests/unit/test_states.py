"""The state names are defined once (core/states.py): the store's CHECK constraints, the README's
``--json`` table, the CLI's choices and what a run counts list exactly those values."""

from __future__ import annotations

import argparse
import re
import sqlite3
from enum import StrEnum
from pathlib import Path

import pytest

from maica_xero_desktop.cli import build_parser
from maica_xero_desktop.core.states import (
    LINK_STATE_OF,
    BatchState,
    EventState,
    LinkState,
    RunOutcome,
    RunState,
)
from maica_xero_desktop.core.store import Store
from maica_xero_desktop.core.sync.result import COUNTED, SyncResult

ROOT = Path(__file__).resolve().parents[2]
_CHECK = re.compile(r"CHECK\s*\(\s*(\w+)\s+IN\s*\(([^)]*)\)\s*\)", re.S)


def values(enum: type[StrEnum]) -> set[str]:
    return {member.value for member in enum}


def checks(tmp_path: Path) -> dict[tuple[str, str], set[str]]:
    """(table, column) → the values its CHECK constraint allows, in a store made by the code."""
    Store(tmp_path / "store.db").close()
    conn = sqlite3.connect(tmp_path / "store.db")
    try:
        rows = conn.execute("SELECT name, sql FROM sqlite_master WHERE type = 'table'").fetchall()
    finally:
        conn.close()
    found: dict[tuple[str, str], set[str]] = {}
    for table, sql in rows:
        for column, listed in _CHECK.findall(sql or ""):
            found[(table, column)] = set(re.findall(r"'([^']*)'", listed))
    return found


@pytest.mark.parametrize(
    ("table", "column", "enum"),
    [
        ("xero_links", "state", LinkState),
        ("batches", "state", BatchState),
        ("runs", "state", RunState),
        ("webhook_events", "status", EventState),
    ],
)
def test_the_schema_allows_exactly_the_defined_states(
    tmp_path: Path, table: str, column: str, enum: type[StrEnum]
) -> None:
    assert checks(tmp_path)[(table, column)] == values(enum)


def readme_states() -> list[str]:
    """The values the README's "Invoice states and run counts in --json" table lists for
    ``invoices --json`` ``state`` (its first row, and the rows below it with no "where")."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("### Invoice states and run counts in `--json`", 1)[1]
    listed: list[str] = []
    inside = False
    for line in section.splitlines():
        if not line.startswith("|"):
            if inside:
                break
            continue
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if cells[0] == "`invoices --json` `state`":
            inside = True
        elif cells[0]:
            if inside:
                break
            continue
        if inside:
            listed.append(cells[1].strip("`"))
    return listed


def test_the_readme_documents_every_link_state_once() -> None:
    listed = readme_states()
    assert len(listed) == len(set(listed))
    assert set(listed) == values(LinkState)


def test_the_run_counts_the_readme_names_are_in_sync_json() -> None:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    rows = [line for line in text.splitlines() if line.startswith("| `sync --json` |")]
    named = {field for row in rows for field in re.findall(r"`(\w+)`", row.split("|")[2])}
    result = SyncResult(run_id=1, flow="f", tenant_id="t", tenant_name="T", dry_run=False)
    assert named
    assert named <= set(result.to_json())
    assert {str(outcome) for outcome in COUNTED} <= set(result.to_json())


def choices(parser: argparse.ArgumentParser, *path: str) -> list[str]:
    for name in path:
        sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
        parser = sub.choices[name]
    option = next(a for a in parser._actions if a.dest in ("state", "status"))
    return list(option.choices or ())


def test_the_cli_offers_exactly_the_defined_states() -> None:
    parser = build_parser()
    assert choices(parser, "invoices") == [state.value for state in LinkState]
    assert choices(parser, "webhooks", "events") == [state.value for state in EventState]


def test_every_run_outcome_has_its_link_state_and_every_count_a_field() -> None:
    assert set(LINK_STATE_OF) == values(RunOutcome)
    assert set(LINK_STATE_OF.values()) <= set(LinkState)
    counts = SyncResult(run_id=1, flow="f", tenant_id="t", tenant_name="T", dry_run=False).counts()
    assert set(COUNTED) <= set(counts)
    # what a run settles is either counted or goes back to the queue / is looked up again
    assert set(COUNTED) | {RunOutcome.PENDING, RunOutcome.UNKNOWN} == set(RunOutcome)


def test_a_member_is_its_stored_string() -> None:
    for enum in (LinkState, RunOutcome, RunState, BatchState, EventState):
        assert all(str(member) == member.value == f"{member}" for member in enum)
    assert "not_eligible" in set(LinkState)
