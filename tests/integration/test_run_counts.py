"""What a run reports: each invoice's outcome once, the same counts as its history, how many it
selected even when it stopped early, and the CLI's exit code (0 all in Xero, 1 invoices with
problems, 2 stopped by a sign-in, connection or limit problem)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from maica_xero_desktop.cli import main
from maica_xero_desktop.core.service import Service
from maica_xero_desktop.sandbox import Sandbox
from tests.integration.conftest import SandboxAdmin
from tests.support.exports import DEMO, SAMPLE, adam_smith_export

pytestmark = pytest.mark.usefixtures("no_rate_limits")


def _empty_the_store(service: Service) -> None:
    path = service.paths.database_file
    service.close()
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def _sync_json(capsys: pytest.CaptureFixture[str]) -> tuple[int, dict[str, Any]]:
    code = main(["sync", "--json"])
    return code, json.loads(capsys.readouterr().out)


# -- item 4: a lost store's conflicts counted once ---------------------------------------------


def test_conflicts_after_a_lost_store_are_counted_once(
    connected: Service, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    connected.use(DEMO)
    connected.sync.import_file(
        adam_smith_export(tmp_path, ("INV-801", "100.00"), ("INV-802", "200.00"))
    )
    assert connected.sync.run().created == 2
    _empty_the_store(connected)
    # the same numbers, other amounts: Xero holds different invoices under them
    connected.sync.import_file(
        adam_smith_export(tmp_path, ("INV-801", "999.00"), ("INV-802", "888.00"), name="v2.csv")
    )

    code = main(["sync"])
    out = capsys.readouterr().out
    assert code == 1
    assert len(re.findall(r"^INV-80[12]\s+conflict\s", out, re.M)) == 2, out
    assert "2 invoices selected, 2 in conflict" in out
    assert "already in Xero" not in out  # never "every invoice is in Xero" beside conflicts

    result = connected.sync.run()  # the next run: each conflict looked up (and counted) once
    assert (result.selected, result.conflict) == (2, 2)
    assert sorted(o.invoice_number for o in result.outcomes) == ["INV-801", "INV-802"]
    run = connected.sync.history(limit=1)[0]
    assert (run.selected, run.conflict) == (result.selected, result.conflict)
    assert "already in Xero" not in result.message


def test_a_lost_store_run_json_matches_history(
    connected: Service, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    connected.use(DEMO)
    connected.sync.import_file(SAMPLE)
    connected.sync.run()
    _empty_the_store(connected)
    connected.sync.import_file(SAMPLE)
    connected.sync.import_file(
        adam_smith_export(tmp_path, ("INV-002403", "1.00"))
    )  # another invoice

    code, data = _sync_json(capsys)
    assert code == 1
    numbers = [o["invoice_number"] for o in data["outcomes"]]
    assert len(numbers) == len(set(numbers))
    run = connected.sync.history(limit=1)[0]
    for name in ("selected", "created", "linked", "blocked", "failed", "conflict"):
        assert data[name] == getattr(run, name), name
    assert data["conflict"] == 1


# -- item 5: a run stopped early still says what it selected -----------------------------------


def test_a_run_stopped_by_the_day_limit_counts_what_it_selected(
    connected: Service, xero_env: Sandbox, capsys: pytest.CaptureFixture[str]
) -> None:
    connected.use(DEMO)
    connected.sync.import_file(SAMPLE)
    xero_env.set_limits(
        enabled=True, day=1
    )  # the first call of the run is the last one allowed today

    code, data = _sync_json(capsys)
    assert code == 2  # stopped by Xero's limit: nothing wrong with the invoices
    assert data["state"] == "failed"
    assert (data["selected"], data["not_eligible"], data["pending"]) == (30, 10, 30)
    assert "The 30 selected invoices were not sent" in str(data["message"])
    run = connected.sync.history(limit=1)[0]
    assert run.selected == 30


def test_xero_unreachable_stops_the_run_with_exit_2(
    connected: Service, xero_env: Sandbox, capsys: pytest.CaptureFixture[str]
) -> None:
    connected.use(DEMO)
    connected.sync.import_file(SAMPLE)
    xero_env.stop()

    code = main(["sync"])
    out = capsys.readouterr().out
    assert code == 2
    assert "30 invoices selected" in out
    assert "The 30 selected invoices were not sent: the next sync sends them." in out
    assert "10 not eligible" in out


def test_a_sign_in_refused_mid_sync_exits_2_and_counts_the_rest(
    connected: Service, xero_env: Sandbox, admin: SandboxAdmin, capsys: pytest.CaptureFixture[str]
) -> None:
    connected.use(DEMO)
    connected.sync.import_file(SAMPLE)
    first = connected.sync.run()
    assert first.complete is False  # the sample has one blocked invoice
    assert main(["sync"]) == 1  # the blocked one: a problem with an invoice
    capsys.readouterr()
    admin.post("reset")  # Xero forgets every sign-in: the next refresh gets invalid_grant
    admin.post("expire-access-tokens")

    code, data = _sync_json(capsys)
    assert code == 2  # needs reconnecting, as the README says
    assert data["state"] == "failed"
    assert (data["selected"], data["not_eligible"]) == (1, 10)
    assert data["pending"] == 1
