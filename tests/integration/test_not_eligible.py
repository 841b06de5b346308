"""No invoice left unexplained: what the flow does not send has a state, a reason and a count."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from maica_xero_desktop.core.service import Service, internals
from maica_xero_desktop.core.settings import Settings
from maica_xero_desktop.sandbox import Sandbox
from tests.support.exports import DEMO, SAMPLE

ENTERED = "Not sent by the authorised flow: status Entered."
CANCELLED = "Cancelled in Maica: never sent."


def _reasons(service: Service) -> dict[str, str]:
    return {r.invoice_number: r.message for r in service.sync.invoices(state="not_eligible")}


def test_imported_invoices_the_flow_does_not_send_say_why(ready: Service) -> None:
    reasons = _reasons(ready)
    assert len(reasons) == 10
    assert reasons["INV-002430"] == CANCELLED
    assert sorted(set(reasons.values())) == [CANCELLED, ENTERED]
    assert ready.sync.count_invoices("not_eligible") == 10
    assert ready.sync.count_invoices("pending") == 30


def test_every_run_counts_them(ready: Service, xero_env: Sandbox) -> None:
    preview = ready.sync.run(dry_run=True)
    assert (preview.selected, preview.not_eligible) == (30, 10)
    assert preview.not_eligible_statuses == {"Entered": 9, "Cancelled": 1}
    assert preview.message.startswith("10 not eligible: 9 Entered, 1 Cancelled.")
    data = preview.to_json()
    assert (data["not_eligible"], data["not_eligible_statuses"]["Entered"]) == (10, 9)
    result = ready.sync.run()
    assert (result.selected, result.not_eligible) == (30, 10)
    assert result.message.startswith("10 not eligible: 9 Entered, 1 Cancelled.")
    (last, *_) = ready.sync.history()
    assert last.message.startswith("10 not eligible: 9 Entered, 1 Cancelled.")
    assert len(_reasons(ready)) == 10  # a run leaves them as they are
    assert ready.sync.run().message.startswith("10 not eligible")


def test_the_state_follows_the_flow(ready: Service, xero_env: Sandbox) -> None:
    ready.set_flow("draft")  # sends Entered invoices too
    assert _reasons(ready) == {"INV-002430": CANCELLED}
    assert ready.sync.run(dry_run=True).selected == 39
    ready.set_flow("authorised")
    assert len(_reasons(ready)) == 10
    # a preview with another flow than the chosen one marks nothing
    other = ready.sync.run(flow="draft", dry_run=True)
    assert (other.selected, other.not_eligible) == (39, 1)
    assert len(_reasons(ready)) == 10


def test_a_new_status_on_reimport_updates_it(
    ready: Service, xero_env: Sandbox, tmp_path: Path
) -> None:
    entered = sorted(n for n, why in _reasons(ready).items() if why == ENTERED)
    first, second = entered[0], entered[1]
    pending = next(r.invoice_number for r in ready.sync.invoices(state="pending"))
    text = SAMPLE.read_text(encoding="utf-8")
    lines = []
    for line in text.splitlines(keepends=True):
        if line.startswith((f"{first},", f"{second},")):
            lines.append(line.replace(",Entered,", ",Not Paid,", 1))
        elif line.startswith(f"{pending},"):
            lines.append(line.replace(",Not Paid,", ",Cancelled,", 1))
        else:
            lines.append(line)
    path = tmp_path / "statuses.csv"
    path.write_text("".join(lines), encoding="utf-8")
    ready.sync.import_file(path)
    reasons = _reasons(ready)
    assert first not in reasons
    assert second not in reasons
    assert reasons[pending] == CANCELLED
    assert {first, second} <= {r.invoice_number for r in ready.sync.invoices(state="pending")}
    assert ready.sync.run().selected == 31


def test_runs_and_previews_are_logged(
    ready: Service, xero_env: Sandbox, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="maica_xero_desktop")
    ready.sync.run(dry_run=True)
    ready.sync.run(trigger="schedule")
    text = caplog.text
    assert "Preview 1 started: flow authorised, organisation Demo Company (AU), trigger manual" in (
        text
    )
    assert "Run 2 started: flow authorised, organisation Demo Company (AU), trigger schedule" in (
        text
    )
    assert "Preview 1 finished (authorised, Demo Company (AU)): 30 selected, 10 not eligible" in (
        text
    )
    assert "Run 2 finished (authorised, Demo Company (AU)): 30 selected, 10 not eligible, 29 " in (
        text
    )
    tokens = internals(ready).secrets.load_tokens()
    assert tokens is not None
    assert tokens.access_token not in text
    assert tokens.refresh_token not in text


def test_an_import_with_a_vanished_plugin_flow_still_imports(connected: Service) -> None:
    connected.use(DEMO)

    def gone(settings: Settings) -> None:
        settings.flow = "uninstalled-plugin"

    connected.update_settings(gone)
    _, summary = connected.sync.import_file(SAMPLE)
    assert summary.new == 40
    assert connected.sync.count_invoices("not_eligible") == 0
