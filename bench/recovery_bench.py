"""What a lost invoice database costs: Xero calls of the first sync after it, per 1,000 invoices.

For each flow: a home sends N invoices, its ``maica.db`` is emptied (0 bytes), the same export is
imported again and synced. Printed: the calls of that sync (all, and the invoice lookups), calls per
1,000 invoices, and that nothing was created twice. Runs against the in-process sandbox with its
rate limits off; the keyring is an in-memory one.

    .venv/bin/python bench/recovery_bench.py [--invoices 1250]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import keyring
import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from maica_xero_desktop.core.service import Service  # noqa: E402
from maica_xero_desktop.sandbox import Sandbox, SandboxConfig  # noqa: E402
from tests.support.exports import generated  # noqa: E402
from tests.support.memkeyring import MemoryKeyring  # noqa: E402


def measure(flow: str, invoices: int, folder: Path) -> str:
    sandbox = Sandbox(SandboxConfig(port=0, auto_consent=True)).start()
    try:
        for line in sandbox.env_lines():
            name, _, value = line.partition("=")
            os.environ[name] = value
        os.environ["MAICA_XERO_HOME"] = str(folder / f"home-{flow}")
        sandbox.set_limits(enabled=False)
        service = Service(browser=lambda url: requests.get(url, timeout=30).ok)
        service.set_enabled(True)
        service.connect(lambda url: None, timeout=30)
        tenant = service.use("Demo Company (AU)")["tenantId"]
        export = generated(folder, invoices, lines=2, participants=200, seed=5)
        service.sync.import_file(export)
        sent = service.sync.run(flow=flow).created
        database = service.paths.database_file
        service.close()
        database.write_bytes(b"")
        for suffix in ("-wal", "-shm"):
            Path(f"{database}{suffix}").unlink(missing_ok=True)
        service.sync.import_file(export)
        sandbox.advance_clock(400)
        before = sandbox.stats()["tenants"][tenant]["calls"].get("api.GET.Invoices", 0)
        started = time.perf_counter()
        result = service.sync.run(flow=flow)
        elapsed = time.perf_counter() - started
        lookups = sandbox.stats()["tenants"][tenant]["calls"]["api.GET.Invoices"] - before
        in_xero = len(sandbox.invoices(tenant))
        service.close()
        return (
            f"{flow:<11} {sent:>6} sent; after the loss: {result.created} created, "
            f"{result.linked} linked, {result.api_calls} calls ({lookups} invoice lookups) = "
            f"{1000 * result.api_calls / max(sent, 1):.1f} calls per 1,000 invoices, "
            f"{elapsed:.1f} s; {in_xero} invoices in Xero"
        )
    finally:
        sandbox.stop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--invoices", type=int, default=1250)
    args = parser.parse_args()
    keyring.set_keyring(MemoryKeyring())
    folder = Path(tempfile.mkdtemp(prefix="maica-recovery-"))
    for flow in ("authorised", "classic"):
        print(measure(flow, args.invoices, folder))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
