"""Importing a large Maica export into the store: wall time and peak memory.

Generates an export of LINES invoice lines (default 100,000: 20,000 invoices of 5 lines), then, in
a fresh process, parses it and stores it (one transaction) into a new SQLite file, and prints the
time of each step and the process's peak resident memory. Targets: under 30 s and under 500 MB.
Then the hostile files, each in a fresh process: /dev/zero (a device: refused before reading) and
100 MB without a line break (refused at the first overlong line): time and peak memory.

Run: .venv/bin/python bench/import_bench.py [--lines 100000]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

CHILD = """
import json, resource, sys, time
from pathlib import Path
from maica_xero_desktop.core.importing import parse_export_file
from maica_xero_desktop.core.store import Store
path, db = Path(sys.argv[1]), Path(sys.argv[2])
started = time.perf_counter()
parsed = parse_export_file(path)
invoices = parsed.check()
parsed_at = time.perf_counter()
summary = Store(db).apply_import(invoices)
stored_at = time.perf_counter()
peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"invoices": len(invoices), "lines": parsed.lines, "new": summary.new,
                  "parse_s": parsed_at - started, "store_s": stored_at - parsed_at,
                  "peak_mb": peak_kb / 1024}))
"""


HOSTILE = """
import json, resource, sys, time
from pathlib import Path
from maica_xero_desktop.core.importing import parse_export_file
started = time.perf_counter()
parsed = parse_export_file(Path(sys.argv[1]))
print(json.dumps({"s": time.perf_counter() - started, "error": parsed.errors[0].message[:60],
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def hostile(path: Path) -> dict[str, object]:
    child = subprocess.run(
        [sys.executable, "-c", HOSTILE, str(path)],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
        timeout=120,
    )
    figures: dict[str, object] = json.loads(child.stdout)
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=100_000)
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    from tests.support.exports import generated

    with tempfile.TemporaryDirectory() as folder:
        started = time.perf_counter()
        export = generated(Path(folder), args.lines // 5, lines=5, participants=2000, seed=11)
        generate_s = time.perf_counter() - started
        size_mb = export.stat().st_size / 1e6
        child = subprocess.run(
            [sys.executable, "-c", CHILD, str(export), str(Path(folder) / "bench.db")],
            capture_output=True,
            text=True,
            check=True,
            cwd=ROOT,
        )
        figures = json.loads(child.stdout)
    total = figures["parse_s"] + figures["store_s"]
    print(
        f"export: {figures['invoices']} invoices, {figures['lines']} lines, {size_mb:.1f} MB "
        f"(generated in {generate_s:.1f} s)"
    )
    print(
        f"parse {figures['parse_s']:.2f} s + store {figures['store_s']:.2f} s = {total:.2f} s; "
        f"peak memory {figures['peak_mb']:.0f} MB"
    )
    print(
        f"targets: < 30 s -> {'met' if total < 30 else 'MISSED'}; "
        f"< 500 MB -> {'met' if figures['peak_mb'] < 500 else 'MISSED'}"
    )
    with tempfile.TemporaryDirectory() as folder:
        endless = Path(folder) / "endless.csv"
        with endless.open("wb") as out:
            for _ in range(100):
                out.write(b"a" * 1_000_000)
        cases = [("100 MB, no line break", endless)]
        if Path("/dev/zero").exists():
            cases.insert(0, ("/dev/zero", Path("/dev/zero")))
        for name, path in cases:
            result = hostile(path)
            print(
                f"{name}: refused in {float(str(result['s'])) * 1000:.0f} ms, peak memory "
                f"{float(str(result['peak_mb'])):.0f} MB ({result['error']}…)"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
