"""``maica-xero maica …``, ``sync`` from the Maica org and ``export-updates`` as processes, against
a ``sandbox serve`` process (its Xero and its Maica org), with the real Secret Service between the
commands: connect through the loopback, status, check, confirm, pull, sync (pull, send, write
back), a payment in Xero as a Payment record in Maica, export-updates, disconnect."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from keyring.backend import KeyringBackend

from tests.support.cli import run_cli, served_sandbox

pytestmark = pytest.mark.secret_service

DEMO = "Demo Company (AU)"
STATUS_KEYS = {"connected", "instance_url", "org_name", "user", "namespace", "mapping_ok"}
FIELD_KEYS = {"object", "role", "api_name", "state"}
INVOICE = "maica_cc__Invoice__c"
PAYMENT = "maica_cc__Payment__c"


def _cli(*args: str, env: dict[str, str], timeout: float = 90) -> subprocess.CompletedProcess[str]:
    return run_cli(*args, env=env, timeout=timeout)


def _json(*args: str, env: dict[str, str], codes: tuple[int, ...] = (0,)) -> Any:
    done = _cli(*args, "--json", env=env)
    assert done.returncode in codes, done.stderr + done.stdout
    assert "Traceback" not in done.stderr
    return json.loads(done.stdout)


@pytest.fixture
def served() -> Iterator[dict[str, str]]:
    """``sandbox serve`` in its own process: the ``export NAME=value`` lines it prints, up to
    its ``#`` line (the Xero lines, then the Maica org's)."""
    with served_sandbox() as (_lines, env):
        assert {"MAICA_XERO_SF_LOGIN_URL", "MAICA_XERO_SF_CLIENT_ID"} <= set(env), env
        yield env


@pytest.fixture
def cli_env(served: dict[str, str], home: Path, secret_service: KeyringBackend) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAICA_XERO_")}
    env.pop("PYTHON_KEYRING_BACKEND", None)
    env.update(served)
    env["MAICA_XERO_HOME"] = str(home)
    return env


def _connect(env: dict[str, str], *command: str) -> str:
    """``command --no-browser`` as a process; a "browser" follows the address it prints (the
    sandbox consents by itself). Returns what the command printed after the address."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "maica_xero_desktop", *command, "--no-browser", "--timeout", "30"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        stdin=subprocess.DEVNULL,
    )
    assert proc.stdout is not None
    url = ""
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and not url:
        line = proc.stdout.readline()
        assert line, "the command ended before printing the address"
        if line.startswith("http"):
            url = line.strip()
    page = requests.get(url, timeout=10)
    assert page.status_code == 200
    rest, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    return rest


def _records(env: dict[str, str], sobject: str) -> list[dict[str, Any]]:
    answer = requests.get(
        f"{env['MAICA_XERO_SF_LOGIN_URL']}/_sandbox/maica/records",
        params={"sobject": sobject},
        timeout=10,
    )
    answer.raise_for_status()
    records: list[dict[str, Any]] = answer.json()["records"]
    return records


def _pay_in_xero(env: dict[str, str], invoice_number: str, amount: float) -> None:
    base = env["MAICA_XERO_API_URL"]
    organisations = requests.get(f"{base}/_sandbox/stats", timeout=10).json()["organisations"]
    demo = next(o for o in organisations if o["is_demo"])
    body = {"tenant_id": demo["tenant_id"], "invoice_number": invoice_number, "amount": amount}
    requests.post(f"{base}/_sandbox/payments", json=body, timeout=10).raise_for_status()


def test_maica_org_end_to_end(cli_env: dict[str, str], tmp_path: Path) -> None:
    before = _json("maica", "status", env=cli_env)
    assert set(before) >= STATUS_KEYS
    assert before["connected"] is False

    said = _connect(cli_env, "maica", "connect")
    assert "Connected to the Maica org" in said
    assert "Maica - Xero Invoice Sync Scheduled Flow" in said  # turn Maica's own flow off

    status = _json("maica", "status", env=cli_env)
    assert set(status) >= STATUS_KEYS
    assert status["connected"] is True
    assert status["instance_url"] == cli_env["MAICA_XERO_SF_LOGIN_URL"]
    assert status["org_name"]
    assert status["user"]
    assert status["namespace"] == "maica_cc"

    check = _json("maica", "check", env=cli_env, codes=(0, 1))
    assert check["fields"]
    assert all(set(field) >= FIELD_KEYS for field in check["fields"])
    by_key = {f"{f['object']}.{f['role']}": f for f in check["fields"]}
    assert by_key["invoice.xero_invoice_number"]["api_name"] == "maica_cc__Xero_Invoice_No__c"
    readable = _cli("maica", "check", env=cli_env)
    assert "Object" in readable.stdout
    assert "maica_cc__Xero_Invoice_No__c" in readable.stdout

    confirmed = _cli("maica", "confirm", env=cli_env)
    assert confirmed.returncode == 0, confirmed.stderr + confirmed.stdout
    assert _json("maica", "check", env=cli_env)["ok"] is True

    # a wrong name given by the administrator is refused with a sentence, and nothing is saved
    wrong = _cli(
        "maica", "confirm", "--set", "invoice.xero_invoice_number=maica_cc__Nope__c", env=cli_env
    )
    assert wrong.returncode == 2
    assert "maica_cc__Nope__c" in wrong.stderr
    assert "Traceback" not in wrong.stderr
    assert _json("maica", "check", env=cli_env)["ok"] is True
    bad_pair = _cli("maica", "confirm", "--set", "xero_number", env=cli_env)
    assert bad_pair.returncode == 2
    assert "OBJECT.ROLE=API_NAME" in bad_pair.stderr

    # a field that already serves another role is refused (the Xero number would overwrite the
    # Xero id); an empty value puts a role back to the default (the name found by label)
    other = "maica_cc__Finance_External_ID__c"
    moved = _cli("maica", "confirm", "--set", f"invoice.xero_invoice_number={other}", env=cli_env)
    assert moved.returncode == 2
    assert "would serve both invoice.finance_external_id and invoice.xero_invoice_number" in (
        moved.stderr
    )
    back = _cli("maica", "confirm", "--set", "invoice.xero_invoice_number=", env=cli_env)
    assert back.returncode in (0, 1), back.stderr
    assert "Back to the default (or the name found by label): invoice.xero_invoice_number." in (
        back.stdout
    )
    assert "Traceback" not in back.stderr
    assert _cli("maica", "confirm", env=cli_env).returncode == 0
    check = _json("maica", "check", env=cli_env)
    by_key = {f"{f['object']}.{f['role']}": f for f in check["fields"]}
    assert by_key["invoice.xero_invoice_number"]["api_name"] == "maica_cc__Xero_Invoice_No__c"
    assert check["ok"] is True

    # a field the API user can no longer see (field-level security): check says which, exit 1
    fields = f"{cli_env['MAICA_XERO_SF_LOGIN_URL']}/_sandbox/maica/fields"
    hidden = {"sobject": "maica_cc__Invoice__c", "hide": ["maica_cc__Xero_Invoice_No__c"]}
    requests.post(fields, json=hidden, timeout=10).raise_for_status()
    problem = _json("maica", "check", env=cli_env, codes=(1,))
    assert problem["ok"] is False
    by_key = {f"{f['object']}.{f['role']}": f for f in problem["fields"]}
    assert by_key["invoice.xero_invoice_number"]["state"] == "missing"
    shown = {"sobject": "maica_cc__Invoice__c", "show": ["maica_cc__Xero_Invoice_No__c"]}
    requests.post(fields, json=shown, timeout=10).raise_for_status()
    assert _json("maica", "check", env=cli_env)["ok"] is True

    chosen = _cli("config", "set", "source", "maica", env=cli_env)
    assert chosen.returncode == 0, chosen.stderr
    assert "Sync reads the Maica org" in chosen.stdout

    assert _cli("enable", env=cli_env).returncode == 0
    _connect(cli_env, "connect")
    assert _cli("use", DEMO, env=cli_env).returncode == 0
    assert "Invoices from:    the Maica org" in _cli("status", env=cli_env).stdout

    sync = _json("sync", env=cli_env, codes=(0, 1))
    assert {"pulled", "written_back"} <= set(sync)
    assert sync["pulled"] > 20
    assert sync["written_back"] >= sync["created"] > 20
    invoices = _records(cli_env, INVOICE)
    linked = [r for r in invoices if r.get("maica_cc__Finance_External_ID__c")]
    assert len(linked) >= sync["created"]
    # nothing changed since: an incremental pull reads only what still waits here; --full reads
    # every invoice to send again (those left in Maica with an empty Finance External ID)
    again = _json("maica", "pull", env=cli_env)
    full = _json("maica", "pull", "--full", env=cli_env)
    assert full["pulled"] == sync["pulled"] - sync["created"]
    assert again["new"] == full["new"] == 0
    assert all(r.get("maica_cc__Xero_Invoice_No__c") for r in linked)

    again = _json("maica", "pull", env=cli_env)
    assert again["new"] == 0
    assert again["errors"] == []
    history = _cli("history", env=cli_env)
    assert "Maica calls" in history.stdout

    # a payment in Xero becomes one Payment record in Maica, however often it is written back
    paid = next(r for r in linked if r["Name"] == "INV-002402")
    _pay_in_xero(cli_env, "INV-002402", 50)
    assert _cli("payments", env=cli_env).returncode == 0
    written = _json("maica", "write-back", env=cli_env)
    assert written["payments"] in (0, 1)  # 0: the refresh wrote it back already
    assert written["failed"] == []
    assert _json("maica", "write-back", env=cli_env)["payments"] == 0
    payments = [
        r for r in _records(cli_env, PAYMENT) if r.get("maica_cc__Invoice__c") == paid["Id"]
    ]
    assert len(payments) == 1
    assert float(payments[0]["maica_cc__Payment_Amount__c"]) == 50

    exported = _json("export-updates", str(tmp_path / "updates.csv"), env=cli_env)
    assert exported["invoices"] >= sync["created"]
    assert exported["payments"] == 1
    assert all(Path(name).is_file() for name in exported["files"])

    gone = _cli("maica", "disconnect", env=cli_env)
    assert gone.returncode == 0, gone.stderr
    assert "the source is still the Maica org" in gone.stdout
    assert _json("maica", "status", env=cli_env)["connected"] is False
    refused = _cli("sync", env=cli_env)
    assert refused.returncode == 2
    assert "maica-xero maica connect" in refused.stderr
    assert "Traceback" not in refused.stderr
    # with --json, a refusal before the run is also a JSON object: the sentence under "error"
    refused = _cli("sync", "--json", env=cli_env)
    assert refused.returncode == 2
    document = json.loads(refused.stdout)
    assert document == {
        "error": refused.stderr.strip(),
        "remedy": "connect_maica",
        "exit_code": 2,
    }
    assert "maica-xero maica connect" in document["error"]


def test_maica_errors_are_sentences(cli_env: dict[str, str]) -> None:
    for args in (("maica", "pull"), ("maica", "check")):
        done = _cli(*args, env=cli_env)
        assert done.returncode == 2, done.stdout
        assert "maica-xero maica connect" in done.stderr
        assert "Traceback" not in done.stderr
    nothing = _cli("maica", "write-back", env=cli_env)  # nothing pending: nothing to connect for
    assert nothing.returncode == 0, nothing.stderr
    assert "Nothing to write back" in nothing.stdout
    no_key = {**cli_env, "MAICA_XERO_SF_CLIENT_ID": ""}
    refused = _cli("maica", "connect", "--no-browser", "--timeout", "10", env=no_key)
    assert refused.returncode == 2
    assert "sf-client-id" in refused.stderr


def test_help_lists_the_maica_commands(cli_env: dict[str, str]) -> None:
    top = _cli("--help", env=cli_env)
    assert "maica" in top.stdout
    assert "export-updates" in top.stdout
    maica = _cli("maica", "--help", env=cli_env)
    for command in ("connect", "status", "check", "confirm", "pull", "write-back", "disconnect"):
        assert command in maica.stdout


@pytest.mark.parametrize("value", ["-1", "0", "9", "nan", "inf", "1e308", "3601", "soon"])
def test_a_timeout_outside_10_to_3600_seconds_is_refused(
    cli_env: dict[str, str], value: str
) -> None:
    for command in (("maica", "connect"), ("connect",)):
        done = _cli(*command, "--no-browser", f"--timeout={value}", env=cli_env, timeout=30)
        assert done.returncode == 2, done.stdout
        assert (
            f"argument --timeout: {value!r} is not a usable wait: give the seconds to wait for "
            "the sign-in, from 10 to 3600 (the default is 300)"
        ) in done.stderr
        assert "Waiting up to" not in done.stderr
        assert "http" not in done.stdout
        assert "Traceback" not in done.stderr


def test_json_commands_that_cannot_run_print_the_sentence_as_json(
    cli_env: dict[str, str],
) -> None:
    """Off: ``sync --json`` and ``connections --json`` refuse before any run, with exit 2, the
    sentence on standard error and ``{error, remedy, exit_code}`` on standard output."""
    for args in (("sync",), ("connections",), ("maica", "pull")):
        done = _cli(*args, "--json", env=cli_env)
        assert done.returncode == 2, done.stdout
        document = json.loads(done.stdout)
        assert set(document) == {"error", "remedy", "exit_code"}
        assert document["error"] == done.stderr.strip()
        assert document["exit_code"] == 2
        assert "Traceback" not in done.stderr


def test_a_write_back_stopped_by_the_limit_is_a_failed_sync_with_its_sentence(
    cli_env: dict[str, str],
) -> None:
    _connect(cli_env, "maica", "connect")
    assert _cli("maica", "confirm", env=cli_env).returncode == 0
    assert _cli("config", "set", "source", "maica", env=cli_env).returncode == 0
    assert _cli("enable", env=cli_env).returncode == 0
    _connect(cli_env, "connect")
    assert _cli("use", DEMO, env=cli_env).returncode == 0
    # the invoices reach Xero; writing their ids back finds the org's daily budget spent
    fault = {"error": "REQUEST_LIMIT_EXCEEDED", "endpoint": "composite", "count": 20}
    faults = f"{cli_env['MAICA_XERO_SF_LOGIN_URL']}/_sandbox/maica/faults"
    requests.post(faults, json=fault, timeout=10).raise_for_status()
    done = _cli("sync", env=cli_env)
    assert done.returncode == 2, done.stdout
    first = done.stdout.splitlines()[0]
    assert first.startswith(f"Sync of {DEMO} with flow authorised failed: "), first
    (run,) = _json("history", env=cli_env)
    assert run["state"] == "failed"
    assert run["message"]
    assert run["message"].split(".")[0] in done.stdout  # the sentence, said after the counts
    assert "Traceback" not in done.stderr
