"""What the CLI says, in-process against the sandbox: the right next step for the state
(issue 10.5), a last run in words (10.6), the client id's source (10.8), readable tables and
plurals (10.11), outside text escaped (11.9)."""

from __future__ import annotations

import json
import re

import pytest

from maica_xero_desktop.cli import main
from maica_xero_desktop.core.connections import Connection
from maica_xero_desktop.core.service import Service, internals
from tests.integration.conftest import SandboxAdmin
from tests.support.exports import SAMPLE


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.mark.parametrize("command", [("sync",), ("payments",), ("use", "Demo Company (AU)")])
def test_before_connecting_the_next_step_is_to_connect(
    service: Service, capsys: pytest.CaptureFixture[str], command: tuple[str, ...]
) -> None:
    code, out, err = _run(capsys, *command)
    assert code == 2
    assert out == ""
    assert err == (
        "This computer is not connected to Xero. Connect to Xero first: maica-xero connect.\n"
    )


def test_connected_without_an_organisation_says_choose_one(
    connected: Service, capsys: pytest.CaptureFixture[str]
) -> None:
    connected.use("Demo Company (AU)")
    connected._set_active(None)
    code, _, err = _run(capsys, "sync")
    assert code == 2
    assert err.startswith(
        "No Xero organisation is selected. Choose the organisation: maica-xero use"
    )


def test_use_matches_a_name_whatever_its_case(
    connected: Service, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = _run(capsys, "use", "demo company (au)")
    assert code == 0
    assert out.startswith("Active organisation: Demo Company (AU) (")


def test_status_says_the_last_run_in_words(
    connected: Service, capsys: pytest.CaptureFixture[str]
) -> None:
    connected.use("Demo Company (AU)")
    _run(capsys, "import", str(SAMPLE))
    _run(capsys, "sync")
    code, out, _ = _run(capsys, "status")
    assert code == 0
    (last,) = [line for line in out.splitlines() if line.startswith("Last run:")]
    assert "{" not in last
    assert "'" not in last
    assert re.search(
        r"Sync on \d{4}-\d\d-\d\d \d\d:\d\d with flow authorised for Demo Company \(AU\): "
        r"30 invoices selected, 29 created, 1 blocked; not every invoice was sent\.",
        last,
    ), last
    code, out, _ = _run(capsys, "status", "--json")
    assert json.loads(out)["last_run"]["created"] == 29


def test_tables_have_a_header_aligned_columns_and_two_decimals(
    connected: Service, capsys: pytest.CaptureFixture[str]
) -> None:
    connected.use("Demo Company (AU)")
    _code, out, _ = _run(capsys, "import", str(SAMPLE))
    assert out.startswith("Imported 40 invoices (")
    _code, out, _ = _run(capsys, "invoices")
    lines = out.splitlines()
    assert lines[0].split()[:4] == ["Invoice", "Date", "Participant", "Total"]
    total_end = lines[0].index("Total") + len("Total")
    totals = [line[:total_end].split()[-1] for line in lines[1:]]
    assert len(totals) == 40
    assert all(re.fullmatch(r"[\d,]+\.\d\d", total) for total in totals), totals
    _code, out, _ = _run(capsys, "history")
    assert "No runs yet." in out
    _run(capsys, "sync")
    _code, out, _ = _run(capsys, "history")
    header, row = out.splitlines()[:2]
    assert header.split()[:3] == ["Run", "Started", "Organisation"]
    assert row.startswith("#")
    _code, out, _ = _run(capsys, "connections", "--cached")
    assert out.splitlines()[0].split() == [
        "Active",
        "Organisation",
        "Type",
        "Tenant",
        "id",
        "Connected",
    ]


def test_one_of_a_kind_is_singular(connected: Service, capsys: pytest.CaptureFixture[str]) -> None:
    connected.use("Demo Company (AU)")
    _code, out, _ = _run(capsys, "retry")
    assert out == "0 failed invoices will be sent again by the next sync.\n"
    lines = SAMPLE.read_text(encoding="utf-8").splitlines()
    number = lines[1].split(",")[0]
    one = [lines[0], *(line for line in lines[1:] if line.split(",")[0] == number)]
    path = connected.paths.cache_dir / "one.csv"
    path.write_text("\n".join(one) + "\n", encoding="utf-8")
    _code, out, _ = _run(capsys, "import", str(path))
    assert out.startswith("Imported 1 invoice (")


def test_client_id_shows_its_source_and_an_empty_one_is_refused(
    service: Service, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from_env = service.client_id()
    code, out, _ = _run(capsys, "config", "get", "client-id")
    assert out == f"{from_env}\n(from the environment variable MAICA_XERO_CLIENT_ID)\n"
    code, out, err = _run(capsys, "config", "set", "client-id", "SAVEDCLIENTID0001")
    assert code == 0
    assert "MAICA_XERO_CLIENT_ID is set, so its value is used" in out
    code, out, _ = _run(capsys, "config", "get", "client-id", "--json")
    assert json.loads(out) == {
        "value": from_env,
        "source": "environment",
        "saved": "SAVEDCLIENTID0001",
        "variable": "MAICA_XERO_CLIENT_ID",
    }
    monkeypatch.delenv("MAICA_XERO_CLIENT_ID")
    code, out, _ = _run(capsys, "config", "get", "client-id")
    assert out == "SAVEDCLIENTID0001\n(from the settings)\n"
    code, out, err = _run(capsys, "config", "set", "client-id", " ")
    assert code == 2
    assert err.startswith("A client id cannot be empty")
    assert service.client_id() == "SAVEDCLIENTID0001"


def test_outside_text_is_escaped_on_the_terminal(
    connected: Service, capsys: pytest.CaptureFixture[str]
) -> None:
    (first,) = [c for c in connected.saved_connections() if c.tenant_name][:1]
    forged = Connection(
        id=first.id,
        tenant_id=first.tenant_id,
        tenant_name="Evil\x1b[2J\nNote: forged line\u202e",
        tenant_type=first.tenant_type,
    )
    internals(connected).connection_cache.save([forged])
    _code, out, _ = _run(capsys, "connections", "--cached")
    assert "\x1b" not in out
    assert "\u202e" not in out
    assert "Evil\\x1b[2J\\nNote: forged line\\u202e" in out
    assert not any(line.startswith("Note: forged") for line in out.splitlines())


def test_webhook_notes_are_worded_for_the_terminal(
    service: Service, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = _run(capsys, "webhooks", "status")
    assert code == 0
    assert "Set it with maica-xero webhooks set-site URL." in out
    assert "“" not in out  # not the window's words


@pytest.mark.parametrize("command", ["history", "invoices"])
@pytest.mark.parametrize("limit", ["0", "-1", "-5", "two"])
def test_a_limit_that_is_not_a_positive_number_is_refused(
    service: Service, capsys: pytest.CaptureFixture[str], command: str, limit: str
) -> None:
    with pytest.raises(SystemExit) as stopped:
        main([command, f"--limit={limit}"])
    assert stopped.value.code == 2
    err = capsys.readouterr().err
    assert f"argument --limit: '{limit}' is not a positive whole number (1 or more)" in err
    assert "No runs yet." not in err


def test_limits_show_at_most_that_many(
    connected: Service, capsys: pytest.CaptureFixture[str]
) -> None:
    connected.use("Demo Company (AU)")
    _run(capsys, "import", str(SAMPLE))
    for _ in range(3):
        _run(capsys, "sync", "--dry-run")
    _code, out, _ = _run(capsys, "history", "--limit", "2")
    assert [line[:1] for line in out.splitlines()[1:]] == ["#", "#"]
    _code, out, _ = _run(capsys, "history")
    assert len(out.splitlines()) == 4
    _code, out, _ = _run(capsys, "invoices", "--limit", "1")
    assert len(out.splitlines()) == 2
    _code, out, _ = _run(capsys, "invoices")
    assert len(out.splitlines()) == 41


def test_payments_with_nothing_in_xero_does_not_claim_to_ask_xero(
    connected: Service, admin: SandboxAdmin, capsys: pytest.CaptureFixture[str]
) -> None:
    connected.use("Demo Company (AU)")
    _run(capsys, "import", str(SAMPLE))
    before = admin.count("api.GET.Invoices")
    code, out, _ = _run(capsys, "payments")
    assert code == 0
    assert out == "No invoice has been sent to Xero yet, so there are no payments to refresh.\n"
    assert admin.count("api.GET.Invoices") == before
    _run(capsys, "sync")
    code, out, _ = _run(capsys, "payments")
    assert out == "Payments refreshed from Xero: 0 invoices changed.\n"
    assert admin.count("api.GET.Invoices") > before
