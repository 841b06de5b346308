"""What reading from and writing back to the Maica org costs: Salesforce API calls and wall time
to pull N invoices (3 lines each) and write back N Xero ids and numbers.

The in-process sandbox's offline Maica org is given N more invoices (its ``generate`` control);
the product signs in (auto-consent), checks the mapping, then pulls them — REST pages of 2,000
with a child subquery, and, for comparison, two Bulk API 2.0 query jobs — and writes back N
invoices (their Xero links made in the store as if Xero had confirmed them, so only Maica is
measured). Targets: the write-back within ceil(N/200) + a few calls; the pull a page per 2,000.

    .venv/bin/python bench/maica_pull.py [--invoices 10000]
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import keyring
import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from maica_xero_desktop.core.errors import MaicaXeroError  # noqa: E402
from maica_xero_desktop.core.service import Service, internals  # noqa: E402
from maica_xero_desktop.core.store import Outcome  # noqa: E402
from maica_xero_desktop.sandbox import Sandbox, SandboxConfig  # noqa: E402
from tests.support.memkeyring import MemoryKeyring  # noqa: E402

TENANT = "bench-tenant"


def _follow(url: str) -> bool:
    requests.get(url, timeout=30)
    return True


def _connected(tenant: str) -> Service:
    """A home signed in to the offline Maica org, the mapping confirmed, ``tenant`` as the
    active organisation (its links are made by hand below: only Maica is measured)."""
    service = Service(browser=_follow, sleep=lambda s: None)
    service.maica.connect(lambda url: None, timeout=30)
    check = service.maica.confirm_mapping()
    assert check.ok, check.sentence

    def change(s: Any) -> None:
        s.active_tenant_id = tenant

    service.update_settings(change)
    return service


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--invoices", type=int, default=10_000)
    args = parser.parse_args()
    n = args.invoices
    keyring.set_keyring(MemoryKeyring())
    with (
        tempfile.TemporaryDirectory() as home,
        Sandbox(SandboxConfig(port=0, auto_consent=True)) as sb,
    ):
        for line in sb.env_lines():
            name, _, value = line.partition("=")
            os.environ[name] = value
        os.environ["MAICA_XERO_HOME"] = home
        sb.maica_set_limits(daily=1_000_000, used=0)
        started = time.perf_counter()
        sb.maica_generate(invoices=n, lines_per_invoice=3)
        print(f"org: {n:,} invoices x 3 lines generated in {time.perf_counter() - started:.1f} s")
        service = _connected(TENANT)
        store = internals(service).store

        # REST pull (what a pull below the bulk threshold does)
        pull_started = time.time()
        before, started = service.maica.calls(), time.perf_counter()
        result = service.maica.pull(bulk=False)
        rest_s = time.perf_counter() - started
        rest_calls = service.maica.calls() - before
        assert not result.errors, result.errors[:3]
        print(
            f"pull REST: {result.pulled:,} invoices, {rest_calls} calls "
            f"(count + {math.ceil(result.pulled / 2000)} pages of 2,000) in {rest_s:.2f} s"
        )

        # Bulk API 2.0 pull of the same invoices by another installation (for the threshold)
        with tempfile.TemporaryDirectory() as other:
            os.environ["MAICA_XERO_HOME"] = other
            second = _connected(TENANT)
            before, started = second.maica.calls(), time.perf_counter()
            try:
                bulk = second.maica.pull(bulk=True)
            except MaicaXeroError as exc:
                print(f"pull bulk: not measured ({exc.sentence})")
            else:
                bulk_s = time.perf_counter() - started
                bulk_calls = second.maica.calls() - before
                assert not bulk.errors, bulk.errors[:3]
                assert bulk.bulk
                assert bulk.pulled == result.pulled
                print(f"pull bulk: {bulk.pulled:,} invoices, {bulk_calls} calls in {bulk_s:.2f} s")
            second.close()
            os.environ["MAICA_XERO_HOME"] = home

        # as if Xero had confirmed every invoice: the links the engine records
        ids = {number: invoice_id for invoice_id, number, _ in store.maica_records().values()}
        run = store.start_run(TENANT, "bench", "authorised", "manual", False)
        loaded = {s.id: s.fingerprint for s in store.load_invoices(TENANT)}
        store.record_outcomes(
            TENANT,
            run,
            [
                Outcome(i, number, "created", "", str(uuid.uuid4()), f"X-{k:06d}")
                for k, (number, i) in enumerate(sorted(ids.items()))
            ],
            loaded,
        )
        before, started = service.maica.calls(), time.perf_counter()
        # as a sync's write-back after its own pull: records it read empty are not read again
        written = service.maica.write_back(fresh_since=pull_started)
        wb_s = time.perf_counter() - started
        wb_calls = service.maica.calls() - before
        target = math.ceil(result.pulled / 200)  # the seeded sample's open invoices too
        print(
            f"write-back: {written.invoices:,} invoices, {wb_calls} calls "
            f"(target <= {target} + a few) in {wb_s:.2f} s; failed {len(written.failed)}"
        )
        print(
            f"maica: pull {rest_calls} calls {rest_s:.2f} s; write-back {wb_calls} calls "
            f"{wb_s:.2f} s; total {rest_calls + wb_calls} calls {rest_s + wb_s:.2f} s"
        )
        service.close()
        return 0 if written.invoices == result.pulled and wb_calls <= target + 3 else 1


if __name__ == "__main__":
    raise SystemExit(main())
