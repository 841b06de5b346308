"""Crash and fault campaign: many real sync processes against the sandbox, faults injected.

Each round arms a random mix of faults in the sandbox — server errors, 429 storms (a tiny rate
window), answers dropped after Xero committed, access tokens expired mid-run, a lost refresh
response, slow answers — starts ``maica-xero sync`` as its own process and, in some rounds, kills
it with SIGKILL at a random moment. Two faults act between rounds: **store-lost** (the invoice
database is deleted or emptied to 0 bytes, then every export so far is imported again, as an
administrator would after losing it) and **same-number** (an invoice made by hand in Xero, for
another contact and another total, takes the number — or for the classic flow the reference — of
a Maica invoice not sent yet, sometimes in other letter case). New invoices are imported every few
rounds so there is always work. Afterwards, syncs run to the end without faults, and the figures
are printed: rounds, faults by kind, invoices, duplicates in Xero (must be 0), invoices lost (must
be 0), links to a different invoice (must be 0), and whether the local store and the sandbox agree
invoice by invoice; the Maica invoices whose number was taken must be conflicts (or, in the classic
flow where Xero has no uniqueness check, their own invoice).

Needs a Secret Service (the processes share the sign-in through it): run it as
``bash bench/campaign`` (which starts a private D-Bus session with GNOME Keyring), or inside one.
Options: --rounds N (default 200), --seed S, --flow authorised|classic (default authorised).
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from maica_xero_desktop.core.service import Service, internals  # noqa: E402
from maica_xero_desktop.sandbox import Sandbox, SandboxConfig  # noqa: E402
from tests.support.exports import generated  # noqa: E402

FAULTS = (
    "server-errors",
    "429-storm",
    "drop-after-commit",
    "token-expiry",
    "lost-refresh",
    "slow",
    "disk-full",
    "store-lost",
    "same-number",
)
SELECTED = ("Not Paid", "Partially Paid", "Fully Paid")  # sent by the authorised and classic flows
TMPFS_SIZE = "512m"


def mount_tmpfs(folder: Path) -> bool:
    """The home on a small tmpfs of its own, so the disk can be filled (needs root)."""
    result = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={TMPFS_SIZE},mode=0700", "tmpfs", str(folder)],
        capture_output=True,
        check=False,
    )
    return result.returncode == 0


def fill_disk(folder: Path) -> Path:
    """Write a filler file until the tmpfs is full; returns it (delete it to free the space)."""
    filler = folder / "filler"
    fd = os.open(filler, os.O_CREAT | os.O_WRONLY, 0o600)
    try:
        for size in (1 << 20, 1 << 12, 1):
            piece = b"\0" * size
            try:
                while True:
                    os.write(fd, piece)
            except OSError:
                continue
    finally:
        os.close(fd)
    return filler


def lose_store(service: Service, exports: list[Path], rng: random.Random) -> None:
    """The database deleted or emptied (0 bytes), then every export imported again."""
    path = service.paths.database_file
    service.close()
    if rng.random() < 0.5:
        path.unlink(missing_ok=True)
    else:
        path.write_bytes(b"")
    for suffix in ("-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    for export in exports:
        service.sync.import_file(export)


def take_a_number(
    service: Service,
    sandbox: Sandbox,
    tenant: str,
    flow: str,
    rng: random.Random,
    taken: dict[str, str],
) -> None:
    """An invoice made by hand in Xero, for another contact and total, under the number (or the
    classic reference) of a Maica invoice not sent yet."""
    field = "Reference" if flow == "classic" else "InvoiceNumber"
    in_xero = {str(i.get(field) or "").casefold() for i in sandbox.invoices(tenant)}
    waiting = [
        r.invoice_number
        for r in service.sync.invoices(state="pending", limit=5000)
        if r.status in SELECTED
        and r.invoice_number not in taken
        and r.invoice_number.casefold() not in in_xero  # pending again after a lost store
    ]
    if not waiting:
        return
    number = rng.choice(waiting)
    shown = number.lower() if rng.random() < 0.5 else number
    who = f"{rng.randrange(10**9):09d}"
    contact = internals(service).xero.accounting(
        "PUT",
        "Contacts",
        tenant,
        json={"Contacts": [{"Name": f"By hand {who}", "ContactNumber": f"X-{who}"}]},
    )["Contacts"][0]["ContactID"]
    invoice: dict[str, object] = {
        "Type": "ACCREC",
        "Contact": {"ContactID": contact},
        "Date": "2026-01-05",
        "DueDate": "2026-01-19",
        "Status": "AUTHORISED",
        "LineItems": [
            {"Description": "by hand", "Quantity": 1, "UnitAmount": 1.0, "AccountCode": "200"}
        ],
    }
    invoice["InvoiceNumber" if flow != "classic" else "Reference"] = shown
    body = internals(service).xero.accounting(
        "PUT",
        "Invoices",
        tenant,
        params={"summarizeErrors": "false"},
        json={"Invoices": [invoice]},
    )
    made = body["Invoices"][0]
    if made.get("HasErrors"):  # the number was taken meanwhile (a killed run's batch landed)
        print(f"  same-number skipped for {number}: {made.get('ValidationErrors')}")
        return
    taken[number] = str(made["InvoiceID"])


def arm(sandbox: Sandbox, kind: str, rng: random.Random) -> None:
    if kind == "server-errors":
        sandbox.add_fault(status=503, endpoint="api", count=rng.randint(1, 4))
    elif kind == "429-storm":
        sandbox.set_limits(minute=rng.randint(2, 6), window_seconds=1)
    elif kind == "drop-after-commit":
        endpoint = rng.choice(["api.PUT.Invoices", "api.PUT.Contacts", "api.GET.Invoices"])
        sandbox.add_fault(drop_after_commit=endpoint, count=rng.randint(1, 3))
    elif kind == "token-expiry":
        sandbox.expire_access_tokens()
    elif kind == "lost-refresh":
        sandbox.expire_access_tokens()
        sandbox.add_fault(drop_response="token.refresh_token", count=1)
    elif kind in ("disk-full", "store-lost", "same-number"):
        pass  # acted on in main: while the sync runs, or between rounds
    elif kind == "slow":
        sandbox.add_fault(delay_seconds=0.1, endpoint="api.PUT.Invoices", count=rng.randint(2, 8))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument("--seed", type=int, default=int(time.time()))
    parser.add_argument("--flow", choices=["authorised", "classic"], default="authorised")
    args = parser.parse_args()
    if not os.environ.get("DBUS_SESSION_BUS_ADDRESS"):
        raise SystemExit("Run it inside a D-Bus session with a Secret Service: bash bench/campaign")
    rng = random.Random(args.seed)  # noqa: S311 - fault schedule, not secrets
    folder = Path(tempfile.mkdtemp(prefix="maica-campaign-"))
    on_tmpfs = mount_tmpfs(folder)
    kinds = FAULTS if on_tmpfs else tuple(k for k in FAULTS if k != "disk-full")
    sandbox = Sandbox(SandboxConfig(port=0, auto_consent=True)).start()
    for line in sandbox.env_lines():
        name, _, value = line.partition("=")
        os.environ[name] = value
    os.environ["MAICA_XERO_HOME"] = str(folder / "home")
    service = Service(browser=lambda url: requests.get(url, timeout=30).ok)
    service.set_enabled(True)
    service.connect(lambda url: None, timeout=30)
    tenant = service.use("Demo Company (AU)")["tenantId"]
    service.set_flow(args.flow)
    env = dict(os.environ)
    exports: list[Path] = []
    taken: dict[str, str] = {}  # Maica number -> the Xero invoice made by hand under it
    armed: Counter[str] = Counter()
    unexpected: list[str] = []
    errors_path = Path(tempfile.mkdtemp(prefix="maica-campaign-err-")) / "stderr"
    kills = 0
    exits: Counter[int] = Counter()
    started = time.perf_counter()
    for number in range(args.rounds):
        if number % 4 == 0:  # new work: fresh invoice numbers for the next rounds
            export = generated(folder, 250, lines=2, participants=80, seed=args.seed + number)
            export.write_bytes(export.read_bytes().replace(b"INV-", f"R{number}-".encode()))
            renamed = export.with_name(f"round-{number}.csv")
            export.replace(renamed)
            exports.append(renamed)
            service.sync.import_file(renamed)
        sandbox.clear_faults()
        sandbox.set_limits(enabled=False)
        chosen = rng.sample(kinds, rng.randint(0, 3))
        if "store-lost" in chosen:
            lose_store(service, exports, rng)
        if "same-number" in chosen:
            take_a_number(service, sandbox, tenant, args.flow, rng, taken)
        for kind in chosen:
            arm(sandbox, kind, rng)
            armed[kind] += 1
        errors = open(errors_path, "w+b")  # noqa: SIM115 - read back after the process ends
        process = subprocess.Popen(
            [sys.executable, "-m", "maica_xero_desktop", "sync"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=errors,
        )
        filler = None
        if "disk-full" in chosen:
            time.sleep(rng.uniform(0.3, 0.9))
            filler = fill_disk(folder)
        if rng.random() < 0.5:
            time.sleep(rng.uniform(0.4, 1.0))  # a sync process needs ~0.4 s to start
            if process.poll() is None:
                process.send_signal(signal.SIGKILL)
                kills += 1
        code = process.wait(300)
        exits[code] += 1
        errors.seek(0)
        if code not in (0, 1, 2, -signal.SIGKILL):
            unexpected.append(
                f"round {number} ({', '.join(chosen)}): exit {code}: "
                + errors.read().decode("utf-8", "replace")[-300:]
            )
        errors.close()
        if filler is not None:
            filler.unlink()
    sandbox.clear_faults()
    sandbox.set_limits(enabled=False)
    finals = []
    for _ in range(3):
        finals.append(
            subprocess.run(
                [sys.executable, "-m", "maica_xero_desktop", "sync"],
                env=env,
                check=False,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            ).returncode
        )
        if finals[-1] == 0:
            break
    elapsed = time.perf_counter() - started

    key_field = "Reference" if args.flow == "classic" else "InvoiceNumber"
    planted = set(taken.values())
    everything = sandbox.invoices(tenant)
    ours = [i for i in everything if str(i["InvoiceID"]) not in planted]
    in_xero = Counter(str(i.get(key_field) or "").casefold() for i in ours)
    duplicates = sum(c - 1 for c in in_xero.values() if c > 1)
    flow = next(f for f, _ in service.sync.flows() if f.name == args.flow)
    stored = internals(service).store.load_invoices(tenant)
    selected = {s.invoice.invoice_number for s in stored if flow.selects(s.invoice)}
    xero_ids = {str(i.get(key_field) or "").casefold(): str(i["InvoiceID"]) for i in ours}
    by_id = {str(i["InvoiceID"]): i for i in everything}
    wrong = [
        s.invoice.invoice_number
        for s in stored
        if s.xero_invoice_id
        and s.state in ("synced", "changed")
        and (
            s.xero_invoice_id in planted
            or str(by_id.get(s.xero_invoice_id, {}).get(key_field) or "").casefold()
            != s.invoice.invoice_number.casefold()
        )
    ]
    conflicts = {s.invoice.invoice_number for s in stored if s.state == "conflict"}
    # A number taken by hand: a conflict, or (classic: Xero has no uniqueness) its own invoice.
    settled_taken = {
        n for n in taken if n in conflicts or (args.flow == "classic" and n.casefold() in xero_ids)
    }
    lost = len({n for n in selected - set(taken) if n.casefold() not in in_xero})
    mismatched = [
        s.invoice.invoice_number
        for s in stored
        if s.invoice.invoice_number in selected
        and s.invoice.invoice_number not in taken
        and (
            s.state != "synced"
            or s.xero_invoice_id != xero_ids.get(s.invoice.invoice_number.casefold())
        )
    ]
    extra = len(set(in_xero) - {n.casefold() for n in selected})
    for missing in mismatched[:3]:
        s = next(s for s in stored if s.invoice.invoice_number == missing)
        there = xero_ids.get(missing.casefold())
        print(f"  {missing}: store {s.state} {s.xero_invoice_id}, Xero {there}")
    finished = finals[-1] == 0 or (finals[-1] == 1 and bool(conflicts) and conflicts <= set(taken))
    print(
        f"seed {args.seed}, flow {args.flow}: {args.rounds} rounds in {elapsed:.0f} s, "
        f"{kills} killed with SIGKILL"
    )
    print("faults armed: " + ", ".join(f"{k} {armed[k]}" for k in FAULTS))
    print(
        "sync exit codes: "
        + ", ".join(f"{code}: {n}" for code, n in sorted(exits.items()))
        + f"; final runs {finals}"
    )
    for line in unexpected:
        print("unexpected exit: " + line.strip())
    print(f"{'invoices selected':<28}{len(selected):>8}")
    print(f"{'invoices in Xero':<28}{len(in_xero):>8}")
    print(f"{'duplicates in Xero':<28}{duplicates:>8}   (must be 0)")
    print(f"{'invoices lost':<28}{lost:>8}   (must be 0)")
    print(f"{'in Xero but not selected':<28}{extra:>8}   (must be 0)")
    print(f"{'store and Xero disagree':<28}{len(mismatched):>8}   (must be 0)")
    print(f"{'links to another invoice':<28}{len(wrong):>8}   (must be 0)")
    print(
        f"{'numbers taken in Xero':<28}{len(taken):>8}   ({len(settled_taken)} settled: "
        f"{len(conflicts & set(taken))} conflicts, never linked)"
    )
    sandbox.stop()
    service.close()
    if on_tmpfs:
        subprocess.run(["umount", str(folder)], check=False)
    else:
        print("disk-full was not injected: a tmpfs could not be mounted (needs root)")
    ok = (
        duplicates == 0
        and lost == 0
        and extra == 0
        and not mismatched
        and not wrong
        and settled_taken == set(taken)
        and finished
        and not unexpected
    )
    print("campaign " + ("passed" if ok else "FAILED"))
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
