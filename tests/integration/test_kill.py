"""SIGKILL at random moments of real sync processes: never a duplicate, never a lost invoice.

The sandbox runs in this process; each sync is a separate ``maica-xero sync`` process sharing the
home and the real Secret Service, killed at a random point. Some runs also lose Xero's answer after
it committed. After the campaign, syncs run to the end; every selected Maica invoice must then exist
in Xero exactly once and be recorded as synced.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from keyring.backend import KeyringBackend

from maica_xero_desktop.core.service import Service, internals
from maica_xero_desktop.sandbox import Sandbox
from tests.support.exports import generated

pytestmark = [pytest.mark.secret_service, pytest.mark.slow]

KILLS = int(os.environ.get("MAICA_XERO_KILLS", "12"))
SEED = int(os.environ.get("MAICA_XERO_KILL_SEED", "20261126"))


def _sync(env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "maica_xero_desktop", "sync", "--json"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        stdin=subprocess.DEVNULL,
    )


def test_killed_syncs_never_duplicate_or_lose(
    service: Service,
    xero_env: Sandbox,
    home: Path,
    tmp_path: Path,
    secret_service: KeyringBackend,
) -> None:
    service.connect(lambda url: None, timeout=10)
    service.use("Demo Company (AU)")
    service.sync.import_file(generated(tmp_path, 500, seed=3))
    tenant = service.settings().active_tenant_id
    xero_env.set_limits(enabled=False)
    xero_env.add_fault(delay_seconds=0.08, endpoint="api.PUT.Invoices", count=100_000)
    env = dict(os.environ)
    rng = random.Random(SEED)
    faults = 0
    for _ in range(KILLS):
        if rng.random() < 0.4:
            xero_env.add_fault(drop_after_commit="api.PUT.Invoices", count=1)
            faults += 1
        process = _sync(env)
        time.sleep(rng.uniform(0.3, 1.6))
        process.send_signal(signal.SIGKILL)
        process.wait(10)
    xero_env.clear_faults()
    codes = []
    for _ in range(3):
        finisher = _sync(env)
        codes.append(finisher.wait(120))
        if codes[-1] == 0:
            break
    print(f"seed {SEED}: {KILLS} kills, {faults} lost answers, final exit codes {codes}")
    assert codes[-1] == 0
    counts = Counter(str(i["InvoiceNumber"]) for i in xero_env.invoices(tenant))
    assert {n: c for n, c in counts.items() if c > 1} == {}, "duplicates in Xero"
    selected = {
        s.invoice.invoice_number
        for s in internals(service).store.load_invoices(tenant)
        if service.sync.flows()[0][0].selects(s.invoice)
    }
    assert set(counts) == selected, "every selected invoice is in Xero, and nothing else"
    states = Counter(r.state for r in service.sync.invoices() if r.invoice_number in selected)
    assert states == {"synced": len(selected)}
    runs = service.sync.history(limit=100)
    assert any(r.state == "failed" and "interrupted" in r.message for r in runs)


def test_cli_scheduled_and_second_cli_run_together(
    service: Service, xero_env: Sandbox, tmp_path: Path, secret_service: KeyringBackend
) -> None:
    """One organisation, three runs at once: exactly one syncs, the others say so."""
    from maica_xero_desktop.core.sync import SyncBusy

    service.connect(lambda url: None, timeout=10)
    service.use("Demo Company (AU)")
    service.sync.import_file(generated(tmp_path, 300, seed=5))
    tenant = service.settings().active_tenant_id
    xero_env.set_limits(enabled=False)
    xero_env.add_fault(delay_seconds=0.3, endpoint="api.PUT.Invoices", count=100)
    first = subprocess.Popen(
        [sys.executable, "-m", "maica_xero_desktop", "sync"],
        env=dict(os.environ),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 30
    while service.sync.count_invoices("sending") == 0 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert service.sync.count_invoices("sending") > 0, "the first run never started sending"
    with pytest.raises(SyncBusy, match="already running"):
        service.sync.run(trigger="schedule")
    second = subprocess.run(
        [sys.executable, "-m", "maica_xero_desktop", "sync"],
        env=dict(os.environ),
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert second.returncode == 2
    assert "already running" in second.stderr
    _, err = first.communicate(timeout=120)
    assert first.returncode == 0, err
    counts = Counter(str(i["InvoiceNumber"]) for i in xero_env.invoices(tenant))
    assert counts
    assert max(counts.values()) == 1
