"""Every benchmark in one command, then one table of the figures that matter.

Runs bench/sync_bench.py, bench/webhook_bench.py, bench/import_bench.py,
bench/payments_bench.py (the first payment pull and a daily refresh in a 50,000-invoice
organisation), bench/maica_pull.py (pulling 10,000 invoices with 30,000 lines from the offline
Maica org and writing back 10,000), the window's start-up
time (demo mode, offscreen) and the GUI heartbeat test (the worst delay of a 10 ms timer on the GUI
thread during a big sync), each in its own process, shows their output, and ends with a table of
figure, target and verdict. Takes a few minutes.

Run: .venv/bin/python bench/run_all.py [--quick]
"""

from __future__ import annotations

import argparse
import math
import os
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PY = sys.executable


def run(title: str, command: list[str], env: dict[str, str] | None = None) -> str:
    print(f"\n== {title}\n$ {' '.join(command)}", flush=True)
    result = subprocess.run(
        command,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, **(env or {})},
    )
    print(result.stdout.rstrip())
    if result.returncode != 0:
        print(result.stderr.rstrip()[-2000:])
    return result.stdout


def number(pattern: str, text: str) -> float | None:
    match = re.search(pattern, text)
    return float(match.group(1).replace(",", "")) if match else None


def startup() -> str:
    code = (
        "from maica_xero_desktop.gui.app import main;"
        "raise SystemExit(main(['--quit-after-show'], demo=True))"
    )
    started = time.perf_counter()
    output = subprocess.run(
        [PY, "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
    ).stdout
    total = time.perf_counter() - started
    shown = number(r"window shown after ([\d.]+) s", output)
    print(
        f"\n== start-up\nwindow shown {shown} s after the GUI module loaded; "
        f"process ran {total:.2f} s"
    )
    return f"window shown after {shown} s\nprocess {total:.3f} s"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller runs, for a quick look")
    args = parser.parse_args()
    sync_args = ["--invoices", "2000", "--window", "5"] if args.quick else []
    hook_args = ["--seconds", "3", "--count", "500"] if args.quick else []
    sync = run("sync throughput", [PY, "bench/sync_bench.py", *sync_args])
    hooks = run("webhook receiver", [PY, "bench/webhook_bench.py", *hook_args])
    imports = run("import", [PY, "bench/import_bench.py"])
    pay_args = (
        ["--total", "10000", "--ours", "2000", "--skip-old"] if args.quick else ["--skip-old"]
    )
    payments = run("payment pull", [PY, "bench/payments_bench.py", *pay_args])
    maica_args = ["--invoices", "2000"] if args.quick else []
    maica = run("Maica org: pull and write-back", [PY, "bench/maica_pull.py", *maica_args])
    maica_n = 2000 if args.quick else 10_000
    start = startup()
    beat = run(
        "GUI heartbeat during a big sync",
        [PY, "-m", "pytest", "-q", "-s", "-p", "no:cacheprovider", "tests/gui/test_heartbeat.py"],
        env={
            "QT_QPA_PLATFORM": "offscreen",
            "MAICA_XERO_HEARTBEAT_INVOICES": "3000" if args.quick else "12500",
        },
    )

    rows = [
        (
            "sync: ratio to the rate-limit ceiling",
            number(r"limited\s+\d+\s+\d+\s+\d+\s+[\d.]+\s+[\d.]+\s+[\d.]+\s+([\d.]+)", sync),
            "<= 1.10",
            lambda v: v <= 1.10,
        ),
        (
            "sync: calls per invoice",
            number(r"limited\s+\d+\s+\d+\s+\d+\s+([\d.]+)", sync),
            "~1/50",
            lambda v: v <= 0.03,
        ),
        (
            "sync: no limit, seconds",
            number(r"unlimited\s+\d+\s+\d+\s+\d+\s+[\d.]+\s+([\d.]+)", sync),
            "< 60 (10,000)",
            lambda v: v < 60,
        ),
        (
            "webhooks: p99 ms at 200/s",
            number(r"paced.*?p99 ([\d.]+) ms", hooks),
            "< 100",
            lambda v: v < 100,
        ),
        (
            "webhooks: burst requests/s",
            number(r"burst.*?([\d.]+) requests/s", hooks),
            "",
            lambda v: True,
        ),
        (
            "webhooks: genuine max ms, 500 slow connections open",
            number(r"slow connections open at the start.*?max ([\d.]+) ms", hooks),
            "< 1000",
            lambda v: v < 1000,
        ),
        (
            "import 100,000 lines: seconds",
            number(r"= ([\d.]+) s;", imports),
            "< 30",
            lambda v: v < 30,
        ),
        (
            "import 100,000 lines: peak MB",
            number(r"peak memory ([\d.]+) MB", imports),
            "< 500",
            lambda v: v < 500,
        ),
        (
            "payments: first pull calls (50k org)",
            number(r"payments: first pull (\d+) calls", payments),
            "<= 100 of 1000",
            lambda v: v <= 100,
        ),
        (
            "payments: daily refresh calls",
            number(r"daily refresh (\d+) calls", payments),
            "<= 10",
            lambda v: v <= 10,
        ),
        (
            "maica: pull calls (REST pages)",
            number(r"maica: pull (\d+) calls", maica),
            f"<= {math.ceil(maica_n / 2000) + 2}",
            lambda v: v <= math.ceil(maica_n / 2000) + 2,  # the count, the sample's 39
        ),
        (
            "maica: write-back calls",
            number(r"write-back (\d+) calls", maica),
            f"<= {math.ceil(maica_n / 200)} + 3",
            lambda v: v <= math.ceil(maica_n / 200) + 4,  # + the seeded sample's 39
        ),
        (
            "maica: pull + write-back, seconds",
            number(r"maica: .*? total \d+ calls ([\d.]+) s", maica),
            "< 60",
            lambda v: v < 60,
        ),
        (
            "window shown: seconds",
            number(r"window shown after ([\d.]+) s", start),
            "< 1.5",
            lambda v: v < 1.5,
        ),
        (
            "GUI worst heartbeat delay: ms",
            number(r"worst GUI-thread delay ([\d.]+) ms", beat),
            "< 50",
            lambda v: v < 50,
        ),
    ]
    print(f"\n{'figure':<40}{'value':>10}  {'target':<14}verdict")
    missed = 0
    for name, value, target, ok in rows:
        if value is None:
            verdict, shown = "no figure", "-"
            missed += 1
        else:
            good = ok(value)
            missed += not good
            verdict, shown = ("met" if good else "MISSED") if target else "", f"{value:g}"
        print(f"{name:<40}{shown:>10}  {target:<14}{verdict}")
    return 1 if missed else 0


if __name__ == "__main__":
    raise SystemExit(main())
