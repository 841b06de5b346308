"""What pulling payments costs in a big organisation: calls and wall time of the first pull and of
a daily refresh, each way the product can ask.

The in-process sandbox holds an organisation of 50,000 sales invoices, 10,000 of them this
product's (pushed a day ago; the rest older); the store links those 10,000. Measured:

- **pages since the push**: ``If-Modified-Since`` the first push (the mark the product keeps from
  the push answer's ``DateTimeUTC``), 1,000 a page — what ``PaymentSync.pull`` does;
- **IDs by 40**: only this product's invoices, 40 ids a call;
- **all pages of 1,000**: every sales invoice (a pull without a mark);
- **before issue 12**: every sales invoice, 100 a page (the old pull, no mark on a first pull);

then a day passes (300 of ours paid, 700 other invoices changed) and the daily refresh is
measured for the first two. Rate limits are off; "at 60/min" is the time Xero's minute limit
would add. A Starter organisation has 1,000 calls a day. Bounded: about a minute.

    .venv/bin/python bench/payments_bench.py [--total 50000] [--ours 10000] [--skip-old]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import keyring
import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from maica_xero_desktop.core.service import Service, internals  # noqa: E402
from maica_xero_desktop.core.sync.payments import (  # noqa: E402
    MARK,
    PaymentSync,
    xero_timestamp,
)
from maica_xero_desktop.sandbox import Sandbox, SandboxConfig  # noqa: E402
from maica_xero_desktop.sandbox.ledger import Contact, Invoice  # noqa: E402
from maica_xero_desktop.sandbox.payments import pay  # noqa: E402
from tests.support.exports import generated  # noqa: E402
from tests.support.memkeyring import MemoryKeyring  # noqa: E402

DAY = 86400.0


def _invoice(number: str, contact_id: str, at: float) -> Invoice:
    return Invoice(
        invoice_id=str(uuid.uuid4()),
        type="ACCREC",
        contact_id=contact_id,
        number=number,
        reference=number,
        date="2026-10-01",
        due_date="2026-10-15",
        line_amount_types="Exclusive",
        status="AUTHORISED",
        currency_code="AUD",
        lines=[],
        sub_total=100.0,
        total_tax=0.0,
        total=100.0,
        created=at,
        updated=at,
    )


def seed(sandbox: Sandbox, service: Service, tenant: str, total: int, ours: int) -> float:
    """The organisation and the store's links; returns the push time (sandbox clock)."""
    state = sandbox.state
    stored = internals(service).store.load_invoices(tenant)[:ours]
    with state.lock:
        ledger = state.ledger(tenant)
        now = state.now()
        contact = Contact(
            str(uuid.uuid4()), "Bench", None, None, None, None, None, "ACTIVE", now, now
        )
        ledger.put_contact(contact)
        for n in range(total - len(stored)):
            ledger.put_invoice(_invoice(f"OTHER-{n:06d}", contact.contact_id, now - 40 * DAY))
        pushed = now - DAY
        links = []
        for item in stored:
            made = _invoice(item.invoice.invoice_number, contact.contact_id, pushed + 1)
            ledger.put_invoice(made)
            links.append((item.id, tenant, made.invoice_id, made.number, pushed))
    with internals(service).store.db.tx() as conn:
        conn.executemany(
            "INSERT OR REPLACE INTO xero_links (invoice_id, tenant_id, state, xero_invoice_id, "
            "xero_invoice_number, xero_status, updated_at) "
            "VALUES (?, ?, 'synced', ?, ?, 'AUTHORISED', ?)",
            links,
        )
    return pushed


def a_day_passes(sandbox: Sandbox, tenant: str, paid: int, others: int) -> None:
    sandbox.advance_clock(DAY)
    state = sandbox.state
    with state.lock:
        ledger = state.ledger(tenant)
        now = state.now()
        mine = [i for i in ledger.invoices.values() if not i.number.startswith("OTHER-")]
        rest = [i for i in ledger.invoices.values() if i.number.startswith("OTHER-")]
        for invoice in mine[:paid]:
            pay(ledger, invoice, Decimal(str(invoice.amount_due)), now)
        for invoice in rest[:others]:
            invoice.updated = now


def old_pull(service: Service, tenant: str) -> int:
    """The pull before issue 12 on a first run: every sales invoice, 100 a page."""
    calls, page = 0, 1
    while True:
        body = internals(service).xero.accounting(
            "GET", "Invoices", tenant, params={"page": page, "where": 'Type=="ACCREC"'}
        )
        calls += 1
        if len(body.get("Invoices", [])) < 100:
            return calls
        page += 1


def timed(label: str, action: Callable[[], int]) -> tuple[int, float]:
    started = time.perf_counter()
    calls = action()
    elapsed = time.perf_counter() - started
    print(
        f"{label:<44}{calls:>6} calls {elapsed:>7.1f} s   at 60/min: "
        f"{calls / 60:>5.1f} min   of a Starter day: {100 * calls / 1000:>5.1f} %",
        flush=True,
    )
    return calls, elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--total", type=int, default=50000)
    parser.add_argument("--ours", type=int, default=10000)
    parser.add_argument("--skip-old", action="store_true", help="leave out the 100-a-page pull")
    args = parser.parse_args()
    keyring.set_keyring(MemoryKeyring())
    folder = Path(tempfile.mkdtemp(prefix="maica-payments-"))
    sandbox = Sandbox(SandboxConfig(port=0, auto_consent=True, state_file=None)).start()
    try:
        for line in sandbox.env_lines():
            name, _, value = line.partition("=")
            os.environ[name] = value
        os.environ["MAICA_XERO_HOME"] = str(folder / "home")
        sandbox.set_limits(enabled=False)
        service = Service(browser=lambda url: requests.get(url, timeout=30).ok)
        service.set_enabled(True)
        service.connect(lambda url: None, timeout=30)
        tenant = service.use("Demo Company (AU)")["tenantId"]
        service.sync.import_file(generated(folder, args.ours, lines=1, participants=200, seed=3))
        pushed = seed(sandbox, service, tenant, args.total, args.ours)
        internals(service).store.set_mark(tenant, MARK, xero_timestamp(_utc(pushed)))
        sync = PaymentSync(internals(service).xero, internals(service).store, tenant)
        print(f"organisation: {args.total:,} sales invoices, {args.ours:,} of them ours\n")
        print("first pull")
        first, _ = timed("  pages since the push (the product)", lambda: _run(sync.pull))
        timed("  IDs by 40", lambda: _run(sync.by_ids))
        timed("  all pages of 1,000 (no mark)", lambda: _run(sync.pages, None))
        if not args.skip_old:
            timed("  before issue 12 (100 a page, no mark)", lambda: old_pull(service, tenant))
        a_day_passes(sandbox, tenant, paid=300, others=700)
        print("\ndaily refresh (300 of ours paid, 700 other invoices changed)")
        daily, _ = timed("  pages since the last pull (the product)", lambda: _run(sync.pull))
        timed("  IDs by 40", lambda: _run(sync.by_ids))
        print(f"\npayments: first pull {first} calls, daily refresh {daily} calls")
        service.close()
    finally:
        sandbox.stop()
    return 0


def _utc(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, tz=UTC)


def _run(method: Callable[..., int], *args: object) -> int:
    method(*args)
    return int(method.__self__.calls)  # type: ignore[attr-defined]


if __name__ == "__main__":
    raise SystemExit(main())
