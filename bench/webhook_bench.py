"""Webhook receiver under load: signed deliveries (some forged) from a second process on loopback.

The receiver runs in this process exactly as the product runs it (stdlib HTTP server, signature
check, SQLite WAL with synchronous=FULL, one transaction per delivery before the 200). A second
process sends the deliveries over real sockets, one connection per request as Xero does:

- paced: RATE requests/s for SECONDS (open loop: each request leaves at its scheduled time, so a
  slow answer cannot hide by slowing the sender down); target p99 < 100 ms at 200 requests/s;
- burst: COUNT requests as fast as CONCURRENCY connections allow: the ceiling on this machine.

Every FORGED-th request carries a wrong signature and must get 401. At the end the number of
events in the store must equal the number of deliveries answered 200: none accepted and lost.

Run: .venv/bin/python bench/webhook_bench.py [--rate 200] [--seconds 10] [--count 2000]
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import hmac
import http.client
import json
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from maica_xero_desktop.core.store import Store  # noqa: E402
from maica_xero_desktop.core.webhooks.keys import KeyCache, KeySet  # noqa: E402
from maica_xero_desktop.core.webhooks.receiver import WebhookReceiver  # noqa: E402
from maica_xero_desktop.core.webhooks.site import receiver_paths  # noqa: E402
from maica_xero_desktop.core.webhooks.statusfile import StatusFile  # noqa: E402

KEY = "bench-" + "k" * 80
TENANT = str(uuid.uuid4())


# -- the sending process ----------------------------------------------------------------------


def _body(number: int) -> bytes:
    rid = str(uuid.uuid4())
    event = {
        "resourceUrl": f"https://api.xero.com/api.xro/2.0/Invoices/{rid}",
        "resourceId": rid,
        "eventDateUtc": "2026-01-02T03:04:05.678",
        "eventType": "UPDATE",
        "eventCategory": "INVOICE",
        "tenantId": TENANT,
        "tenantType": "ORGANISATION",
    }
    data = {
        "events": [event],
        "firstEventSequence": number,
        "lastEventSequence": number,
        "entropy": uuid.uuid4().hex[:20].upper(),
    }
    return json.dumps(data).encode()


def _send(port: int, body: bytes, forged: bool) -> tuple[int, float]:
    key = "not-the-key-" + "x" * 40 if forged else KEY
    signature = base64.b64encode(hmac.new(key.encode(), body, hashlib.sha256).digest()).decode()
    started = time.perf_counter()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request(
            "POST",
            "/xero/webhooks",
            body=body,
            headers={"Content-Type": "application/json", "x-xero-signature": signature},
        )
        response = connection.getresponse()
        response.read()
        status = response.status
    except OSError:
        status = 0
    finally:
        connection.close()
    return status, time.perf_counter() - started


def sender(port: int, count: int, rate: float, workers: int, forged_every: int) -> dict[str, Any]:
    bodies = [(_body(i + 1), forged_every > 0 and i % forged_every == 0) for i in range(count)]
    results: list[tuple[int, float, bool]] = []
    lock = threading.Lock()
    start = time.perf_counter() + 0.2

    def one(index: int) -> None:
        if rate > 0:
            delay = start + index / rate - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
        body, forged = bodies[index]
        status, seconds = _send(port, body, forged)
        with lock:
            results.append((status, seconds, forged))

    began = time.perf_counter()
    with ThreadPoolExecutor(max_workers=workers) as pool:
        list(pool.map(one, range(count)))
    elapsed = time.perf_counter() - max(began, start if rate > 0 else began)
    latencies = sorted(s for _, s, _ in results)
    wrong = sum(1 for status, _, forged in results if status != (401 if forged else 200))
    return {
        "sent": len(results),
        "accepted": sum(1 for status, _, _ in results if status == 200),
        "refused": sum(1 for status, _, _ in results if status == 401),
        "wrong_answers": wrong,
        "elapsed_s": elapsed,
        "requests_per_s": len(results) / elapsed,
        "p50_ms": statistics.median(latencies) * 1000,
        "p99_ms": latencies[max(0, int(len(latencies) * 0.99) - 1)] * 1000,
        "max_ms": latencies[-1] * 1000,
    }


# -- the receiving process --------------------------------------------------------------------


def scenario(name: str, args: list[str], store: Store, port: int) -> dict[str, Any]:
    before = sum(store.webhook_counts().values())
    proc = subprocess.run(
        [sys.executable, __file__, "--send", str(port), *args],
        capture_output=True,
        text=True,
        timeout=600,
        check=True,
    )
    result: dict[str, Any] = json.loads(proc.stdout)
    stored = sum(store.webhook_counts().values()) - before
    result["stored"] = stored
    print(
        f"{name:<7} {result['sent']:>5} requests ({result['refused']} forged → 401) in "
        f"{result['elapsed_s']:.2f} s: {result['requests_per_s']:.0f} requests/s, "
        f"p50 {result['p50_ms']:.1f} ms, p99 {result['p99_ms']:.1f} ms, "
        f"max {result['max_ms']:.1f} ms; accepted {result['accepted']}, stored {stored}"
    )
    assert result["wrong_answers"] == 0, "some requests got the wrong answer"
    assert stored == result["accepted"], "an accepted event was lost"
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rate", type=float, default=200.0)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--count", type=int, default=2000, help="requests in the burst")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--forged-every", type=int, default=10)
    parser.add_argument("--send", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--send-count", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--send-rate", type=float, default=0.0, help=argparse.SUPPRESS)
    parser.add_argument("--workers", type=int, default=16, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.send:
        rate, workers = args.send_rate, args.workers
        print(json.dumps(sender(args.send, args.send_count, rate, workers, args.forged_every)))
        return 0
    with tempfile.TemporaryDirectory() as folder:
        store = Store(Path(folder) / "bench.db")
        receiver = WebhookReceiver(
            keys=KeyCache(lambda: KeySet(KEY)),
            sink=store,
            is_enabled=lambda: True,
            paths=receiver_paths(""),
            status=StatusFile(Path(folder) / "webhook-receiver.json"),
            port=0,
        )
        port = receiver.start()
        try:
            common = ["--forged-every", str(args.forged_every)]
            paced = int(args.rate * args.seconds)
            result = scenario(
                "paced",
                [*common, "--send-count", str(paced), "--send-rate", str(args.rate)],
                store,
                port,
            )
            scenario(
                "burst",
                [*common, "--send-count", str(args.count), "--workers", str(args.concurrency)],
                store,
                port,
            )
        finally:
            receiver.stop()
            store.close()
    target = result["p99_ms"] < 100 and result["requests_per_s"] >= args.rate * 0.95
    print(f"target (p99 < 100 ms at {args.rate:.0f} requests/s): {'met' if target else 'MISSED'}")
    return 0 if target else 1


if __name__ == "__main__":
    sys.exit(main())
