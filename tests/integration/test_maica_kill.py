"""SIGKILL between Xero's answer and Maica's update: no invoice is sent to Xero twice, and the
next run writes the link back to Maica first.

The sandbox runs in this process; the sync is a separate ``maica-xero sync`` process sharing the
home and the real Secret Service. The Maica org cannot lock any invoice (``UNABLE_TO_LOCK_ROW``),
so the write-back after the Xero step waits between its retries: the process is killed there,
after Xero confirmed the invoices and the store recorded them, before Maica has any of them.
"""

from __future__ import annotations

import os
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
from tests.integration.maica_support import FEI, XERO_NO, invoices, maica_ready

pytestmark = [pytest.mark.secret_service, pytest.mark.slow]


def test_killed_between_xero_and_maica_neither_resends_nor_loses_the_link(
    service: Service,
    xero_env: Sandbox,
    home: Path,
    secret_service: KeyringBackend,
) -> None:
    xero_env.set_limits(enabled=False)
    maica_ready(service)
    tenant = service.settings().active_tenant_id
    every_id = [str(r["Id"]) for r in invoices(xero_env).values()]
    xero_env.maica_add_fault(
        error="UNABLE_TO_LOCK_ROW", endpoint="composite", count=100_000, record_ids=every_id
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "maica_xero_desktop", "sync", "--json"],
        env=dict(os.environ),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        stdin=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and process.poll() is None:
        if xero_env.maica_stats()["calls"].get("composite", 0) >= 1:
            break  # Xero answered, the store linked, the write-back has started
        time.sleep(0.02)
    assert process.poll() is None, "the sync ended before it could be killed"
    process.send_signal(signal.SIGKILL)
    process.wait(10)
    xero_env.maica_clear_faults()

    sent = Counter(str(i["InvoiceNumber"]) for i in xero_env.invoices(tenant))
    assert sent, "Xero had confirmed invoices before the kill"
    assert all(not r.get(FEI) for r in invoices(xero_env).values() if r["Name"] in sent), (
        "Maica had none of them yet"
    )

    # the next run (another process's store, read fresh): write-back first, nothing re-sent
    again = Service(browser=service._browser, sleep=lambda s: None)
    result = again.sync.run()
    assert result.created == 0
    assert result.written_back >= len(sent)
    after = Counter(str(i["InvoiceNumber"]) for i in xero_env.invoices(tenant))
    assert after == sent, "no invoice sent to Xero twice"
    links = {r.invoice_number: r for r in again.sync.invoices() if r.state == "synced"}
    org = invoices(xero_env)
    for number in sent:
        assert org[number][FEI] == links[number].xero_invoice_id
        assert org[number][XERO_NO] == links[number].xero_invoice_number
    assert internals(again).store.writeback_pending(tenant) == []
