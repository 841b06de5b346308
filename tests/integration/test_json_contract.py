"""Each ``--json`` shape is defined once, on the core model or result, and holds at least the keys
the interface contract lists (issue 15, item 4): the CLI, in-process, against the sandbox."""

from __future__ import annotations

import json
from typing import Any

import pytest

from maica_xero_desktop.cli import main
from maica_xero_desktop.core.service import Service
from tests.support.exports import SAMPLE

DEMO = "Demo Company (AU)"

#: the contract: at least these keys (more are welcome)
STATUS = {"enabled", "active_tenant_id", "active_tenant_name", "flow", "token_state"}
CONNECTION = {"tenantId", "tenantName", "tenantType", "active"}
INVOICE = {"invoice_number", "state", "xero_invoice_id", "message"}
#: the README's own additions to the invoice list
INVOICE_TOTALS = {"subtotal", "tax", "total", "xero_total"}
SYNC = {
    "run_id",
    "flow",
    "tenant_id",
    "selected",
    "created",
    "linked",
    "blocked",
    "failed",
    "api_calls",
    "duration_s",
    # issue 13: from the Maica org (0 when the source is a file)
    "pulled",
    "written_back",
}
FLOW = {"name", "description", "selected"}
MAICA_STATUS = {"connected", "instance_url", "org_name", "user", "namespace", "mapping_ok"}


def _json(capsys: pytest.CaptureFixture[str], *args: str) -> Any:
    code = main([*args, "--json"])
    out = capsys.readouterr().out
    assert code in (0, 1), out  # 1: a sync that left some invoices blocked
    return json.loads(out)


def _keys(document: Any) -> set[str]:
    assert isinstance(document, dict), document
    return set(document)


def test_every_json_command_holds_the_documented_keys(
    connected: Service, capsys: pytest.CaptureFixture[str]
) -> None:
    connected.use(DEMO)
    imported = _json(capsys, "import", str(SAMPLE))
    assert imported["invoices"] == 40

    status = _json(capsys, "status")
    assert _keys(status) >= STATUS
    assert status["active_tenant_name"] == DEMO

    connections = _json(capsys, "connections")
    assert isinstance(connections, list)
    assert connections
    assert all(_keys(c) >= CONNECTION for c in connections)
    assert [c["tenantName"] for c in connections if c["active"]] == [DEMO]

    sync = _json(capsys, "sync")
    assert _keys(sync) >= SYNC
    assert (sync["pulled"], sync["written_back"]) == (0, 0)  # the source is a file

    maica = _json(capsys, "maica", "status")
    assert _keys(maica) >= MAICA_STATUS
    assert maica["connected"] is False

    invoices = _json(capsys, "invoices")
    assert len(invoices) == 40
    assert all(_keys(i) >= INVOICE | INVOICE_TOTALS for i in invoices)
    assert any(i["state"] == "synced" and i["xero_invoice_id"] for i in invoices)

    flows = _json(capsys, "flows")
    assert all(_keys(f) >= FLOW for f in flows)
    assert sum(f["selected"] for f in flows) == 1

    history = _json(capsys, "history")
    assert [run["run_id"] for run in history] == [sync["run_id"]]
    assert all(_keys(run) >= SYNC for run in history)


def test_the_cli_prints_the_core_models_own_shape(
    connected: Service, capsys: pytest.CaptureFixture[str]
) -> None:
    """One home: what ``--json`` prints is the model's ``to_json``, not a second copy."""
    connected.use(DEMO)
    assert _json(capsys, "import", str(SAMPLE)) == connected.sync.import_file(SAMPLE).to_json() | {
        "new": 40,
        "unchanged": 0,
    }
    assert _json(capsys, "invoices") == [row.to_json() for row in connected.sync.invoices()]
    assert _json(capsys, "flows") == [choice.to_json() for choice in connected.sync.flows()]
    assert _json(capsys, "status") == connected.status().to_json()
    assert _json(capsys, "maica", "status") == connected.maica.status().to_json()
    assert (
        _json(capsys, "connections", "--cached") == connected.connections(refresh=False).to_json()
    )


#: what any ``--json`` command prints on standard output when it cannot run (exit 2)
REFUSAL = {"error", "remedy", "exit_code"}


def test_a_json_command_that_cannot_run_prints_the_refusal_object(
    connected: Service, capsys: pytest.CaptureFixture[str]
) -> None:
    """No organisation chosen: ``sync --json`` does not run; its sentence goes to standard error
    and, as JSON, to standard output — with none of the run's own keys."""
    code = main(["sync", "--json"])
    captured = capsys.readouterr()
    assert code == 2
    document = json.loads(captured.out)
    assert set(document) == REFUSAL
    assert not set(document) & SYNC
    assert document["error"] == captured.err.strip()
    assert document["error"].startswith("No Xero organisation is selected.")
    assert document["remedy"] == "choose_organisation"
    assert document["exit_code"] == 2
