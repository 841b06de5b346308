"""The sync commands of the CLI, in-process (the same main() a terminal runs)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from maica_xero_desktop.cli import main
from maica_xero_desktop.core.service import Service
from tests.integration.test_json_contract import SYNC
from tests.support.exports import SAMPLE


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_import_sync_history_json(connected: Service, capsys: pytest.CaptureFixture[str]) -> None:
    connected.use("Demo Company (AU)")
    code, out, _ = _run(capsys, "import", str(SAMPLE), "--json")
    assert code == 0
    assert json.loads(out)["new"] == 40
    code, out, _ = _run(capsys, "flows", "--json")
    flows = json.loads(out)
    assert [f["name"] for f in flows][:3] == ["authorised", "draft", "classic"]
    assert [f["selected"] for f in flows][:3] == [True, False, False]
    code, out, err = _run(capsys, "sync", "--dry-run")
    assert code == 0  # the preview ran; the one invoice it would block is listed, not an error
    assert "(nothing was sent): 30 invoices selected, 29 would be sent, 1 blocked." in out
    assert "creating" not in (out + err).lower()
    blocked_row = next(line for line in out.splitlines() if line.startswith("INV-002417"))
    assert blocked_row.split()[1] == "blocked"
    code, out, err = _run(capsys, "sync", "--json")
    assert code == 1
    result = json.loads(out)
    assert set(result) >= SYNC  # the contract's keys (tests/integration/test_json_contract.py)
    assert (result["created"], result["blocked"]) == (29, 1)
    assert "Sending invoices" in err  # progress goes to stderr
    code, out, _ = _run(capsys, "invoices", "--json", "--state", "blocked")
    (blocked,) = json.loads(out)
    assert set(blocked) >= {"invoice_number", "state", "xero_invoice_id", "message"}
    assert blocked["state"] == "blocked"
    code, out, _ = _run(capsys, "history", "--json", "--limit", "5")
    runs = json.loads(out)
    assert runs[0]["created"] == 29
    assert runs[1]["dry_run"] is True
    code, out, _ = _run(capsys, "config", "set", "flow", "draft")
    assert code == 0
    code, out, _ = _run(capsys, "config", "get", "flow")
    assert out.strip() == "draft"
    code, out, _ = _run(capsys, "status", "--json")
    assert json.loads(out)["last_run"]["created"] == 29
    assert json.loads(out)["flow"] == "draft"


def test_bad_export_lists_every_row_and_imports_nothing(
    connected: Service, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    text = SAMPLE.read_text(encoding="utf-8").splitlines()
    text[3] = text[3].replace("2026-10-", "2026-13-", 1)
    text[7] = text[7].replace(",AUD", ",dollars")
    broken = tmp_path / "broken.csv"
    broken.write_text("\n".join(text) + "\n", encoding="utf-8")
    code, _, err = _run(capsys, "import", str(broken))
    assert code == 2
    assert "The file was not imported: 2 rows have problems" in err
    assert err.count("2026-13-") == 1  # each problem once, not in a sentence and again in a list
    assert "line 4" in err
    assert "line 8" in err
    assert "Traceback" not in err
    assert connected.sync.count_invoices() == 0


def test_sync_cannot_run_exit_2(connected: Service, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _run(capsys, "sync")
    assert code == 2
    assert "No Xero organisation is selected" in err
    connected.set_enabled(False)
    code, _, err = _run(capsys, "sync", "--json")
    assert code == 2
    assert "turned off" in err
    code, _, err = _run(capsys, "sync", "--flow", "nope")
    assert code == 2
