"""Sync throughput against the offline sandbox, next to Xero's rate-limit ceiling.

Two scenarios, each on a fresh home and sandbox with N generated invoices:

- limited: the sandbox allows LIMIT calls per window of WINDOW seconds (a shortened "minute").
  The ceiling is the time the calls the run needs take at exactly that rate: calls / LIMIT *
  WINDOW. The ratio of wall time to that ceiling is what counts (target: at most 1.10). Xero's
  Retry-After is whole seconds, so each wait may overshoot by up to a second: negligible against
  a real 60 s minute, dominant against a 2 s one; the default window is 10 s for that reason.
- unlimited: no rate limit: invoices per second on this machine (target: 10,000 in under 60 s).

Run: .venv/bin/python bench/sync_bench.py [--invoices 10000] [--window 10] [--limit 60]
"""

from __future__ import annotations

import argparse
import math
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


def scenario(invoices: int, limit: int | None, window: float) -> dict[str, float]:
    keyring.set_keyring(MemoryKeyring())
    with tempfile.TemporaryDirectory() as folder:
        sandbox = Sandbox(SandboxConfig(port=0, auto_consent=True)).start()
        try:
            for line in sandbox.env_lines():
                name, _, value = line.partition("=")
                os.environ[name] = value
            os.environ["MAICA_XERO_HOME"] = str(Path(folder) / "home")
            service = Service(browser=lambda url: requests.get(url, timeout=30).ok)
            service.set_enabled(True)
            service.connect(lambda url: None, timeout=30)
            tenant = service.use("Demo Company (AU)")["tenantId"]
            started = time.perf_counter()
            # About one generated invoice in five is not selected (Entered, Cancelled): generate
            # enough that the flow selects at least `invoices`.
            export = generated(Path(folder), math.ceil(invoices * 1.3), lines=3, participants=400)
            service.sync.import_file(export)
            import_s = time.perf_counter() - started
            if limit is None:
                sandbox.set_limits(enabled=False)
            else:
                sandbox.set_limits(minute=limit, window_seconds=window, day=0)
            started = time.perf_counter()
            result = service.sync.run()
            wall = time.perf_counter() - started
            stats = sandbox.stats()["tenants"][tenant]["calls"]
            rejected = sum(v for k, v in stats.items() if k.startswith("rate_limited."))
            counted = result.api_calls - rejected
            invoice_calls = stats.get("api.PUT.Invoices", 0) - stats.get("rate_limited.minute", 0)
            ceiling = counted / limit * window if limit else 0.0
            service.close()
            return {
                "selected": result.selected,
                "created": result.created,
                "api_calls": result.api_calls,
                "counted_calls": counted,
                "rejected_429": rejected,
                "invoice_calls": invoice_calls,
                "wall_s": wall,
                "import_s": import_s,
                "ceiling_s": ceiling,
                "ratio": wall / ceiling if ceiling else 0.0,
            }
        finally:
            sandbox.stop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--invoices", type=int, default=10_000)
    parser.add_argument("--window", type=float, default=10.0, help="seconds per rate window")
    parser.add_argument("--limit", type=int, default=60, help="calls per window")
    args = parser.parse_args()

    limited = scenario(args.invoices, args.limit, args.window)
    unlimited = scenario(args.invoices, None, args.window)
    print(
        f"{'scenario':<11}{'invoices':>9}{'calls':>7}{'429s':>6}{'calls/inv':>10}"
        f"{'wall s':>9}{'ceiling s':>10}{'ratio':>7}{'inv/s':>9}"
    )
    for name, row in (("limited", limited), ("unlimited", unlimited)):
        per_invoice = row["api_calls"] / max(1, row["created"])
        print(
            f"{name:<11}{int(row['created']):>9}{int(row['api_calls']):>7}"
            f"{int(row['rejected_429']):>6}{per_invoice:>10.3f}{row['wall_s']:>9.2f}"
            f"{row['ceiling_s']:>10.2f}{row['ratio']:>7.3f}{row['created'] / row['wall_s']:>9.0f}"
        )
    minimum = math.ceil(limited["selected"] / 50)
    print(
        f"\ninvoice PUTs: {int(limited['invoice_calls'])} (minimum {minimum}); "
        f"limit {args.limit} calls per {args.window:g} s window; "
        f"import of {args.invoices} invoices took {limited['import_s']:.2f} s"
    )
    print(
        f"targets: ratio <= 1.10 -> {'met' if limited['ratio'] <= 1.10 else 'MISSED'}; "
        f"10,000 unlimited < 60 s -> {'met' if unlimited['wall_s'] < 60 else 'MISSED'}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
