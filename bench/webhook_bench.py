"""Webhook receiver under load: signed deliveries (some forged) from a second process on loopback.

The receiver runs in this process exactly as the product runs it (waitress and its guards, signature
check, SQLite WAL with synchronous=FULL, one transaction per delivery before the 200). A second
process sends the deliveries over real sockets, one connection per request as Xero does:

- paced: RATE requests/s for SECONDS (open loop: each request leaves at its scheduled time, so a
  slow answer cannot hide by slowing the sender down); target p99 < 100 ms at 200 requests/s;
- burst: COUNT requests as fast as CONCURRENCY connections allow: the ceiling on this machine;
- slow: SLOW (500) slow connections held open by a third process — a third idle, a third
  trickling their headers, a third trickling their bodies, a byte a second, each re-opened as
  soon as the receiver cuts it (408 or close), spread over source addresses 127.0.0.2 and up
  (here standing for hosts on the internet) so that no one address passes the per-peer limit —
  while genuine deliveries arrive at 20/s from
  127.0.0.1; target: every one answered 200 within 1 s;
- proxied: the same with all SLOW from 127.0.0.1, as when every client reaches the receiver
  through the site's proxy or tunnel (whose address has no per-peer limit).

Every FORGED-th request carries a wrong signature and must get 401. At the end the number of
events in the store must equal the number of deliveries answered 200: none accepted and lost.
All traffic stays on 127.0.0.0/8; every loop is bounded in count and time.

Run: .venv/bin/python bench/webhook_bench.py [--rate 200] [--seconds 10] [--count 2000] [--slow 500]
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import hashlib
import hmac
import http.client
import json
import os
import selectors
import socket
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


def _raise_open_files() -> None:
    """Room for 500+ sockets in one process (the soft limit is often 1024)."""
    with contextlib.suppress(ImportError, ValueError, OSError):
        import resource

        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        wanted = 4096 if hard == resource.RLIM_INFINITY else min(hard, 4096)
        if soft < wanted:
            resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))


def _sources(count: int) -> list[str]:
    """Loopback addresses to send slow connections from (127.0.0.2 …; Linux routes all 127/8)."""
    found = []
    for last in range(2, 2 + count):
        address = f"127.0.0.{last}"
        try:
            with socket.socket() as probe:
                probe.bind((address, 0))
        except OSError:
            break
        found.append(address)
    return found or ["127.0.0.1"]


def slow_clients(port: int, count: int, per_source: int, limit_s: float) -> dict[str, Any]:
    """Hold ``count`` slow connections open until standard input closes (or ``limit_s``)."""
    _raise_open_files()
    sources = _sources(-(-count // per_source)) if per_source else ["127.0.0.1"]
    selector = selectors.DefaultSelector()
    selector.register(sys.stdin.fileno(), selectors.EVENT_READ, None)
    open_now: dict[socket.socket, tuple[int, float]] = {}  # socket -> (slot, next trickle)
    seen = {"opened": 0, "refused": 0, "answered_408": 0, "closed_by_receiver": 0}
    samples: list[int] = []
    head = b"POST /xero/webhooks HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\n"

    def open_slot(slot: int) -> None:
        source = sources[slot % len(sources)]
        try:
            sock = socket.create_connection(("127.0.0.1", port), 2, source_address=(source, 0))
            if slot % 3 == 2:  # headers done, body trickles
                sock.sendall(head + b"\r\n")
            elif slot % 3 == 1:  # headers trickle
                sock.sendall(head)
        except OSError:
            seen["refused"] += 1
            return
        sock.setblocking(False)
        seen["opened"] += 1
        open_now[sock] = (slot, time.monotonic() + 1.0)
        selector.register(sock, selectors.EVENT_READ, slot)

    def drop(sock: socket.socket, answer: bytes) -> int:
        slot = open_now.pop(sock)[0]
        selector.unregister(sock)
        sock.close()
        seen["answered_408" if answer.startswith(b"HTTP/1.1 408") else "closed_by_receiver"] += 1
        return slot

    for slot in range(count):
        open_slot(slot)
    print(f"ready {len(open_now)}", flush=True)
    deadline = time.monotonic() + limit_s
    next_sample = time.monotonic()
    done = False
    while not done and time.monotonic() < deadline:
        for key, _ in selector.select(timeout=0.05):
            if key.data is None:  # standard input: closed when the genuine phase is over
                done = not os.read(sys.stdin.fileno(), 1024)
                continue
            sock = key.fileobj
            assert isinstance(sock, socket.socket)
            try:
                answer = sock.recv(4096)
            except BlockingIOError:
                continue
            except OSError:
                answer = b""
            open_slot(drop(sock, answer))  # a slowloris comes straight back
        now = time.monotonic()
        for sock, (slot, due) in list(open_now.items()):
            if due <= now and slot % 3:
                with contextlib.suppress(OSError):
                    sock.send(b"X" if slot % 3 == 2 else b"x")
                open_now[sock] = (slot, now + 1.0)
        if now >= next_sample:
            samples.append(len(open_now))
            next_sample = now + 0.5
    for sock in list(open_now):
        sock.close()
    return {
        **seen,
        "sources": len(sources),
        "min_open": min(samples),
        "mean_open": statistics.mean(samples),
    }


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


def slow_scenario(
    name: str, count: int, per_source: int, seconds: float, store: Store, port: int
) -> dict[str, Any]:
    """Genuine deliveries at 20/s while ``count`` slow connections are held open, ``per_source``
    from each of 127.0.0.2 and up (0: all from 127.0.0.1, a local proxy's address)."""
    slow = subprocess.Popen(
        [
            sys.executable,
            __file__,
            *("--slow-port", str(port), "--slow", str(count), "--per-source", str(per_source)),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert slow.stdin is not None
    assert slow.stdout is not None
    try:
        ready = slow.stdout.readline().split()
        time.sleep(1.0)  # let the receiver accept them all
        rate = 20.0
        args = ["--forged-every", "0", "--send-count", str(int(rate * seconds))]
        result = scenario("slow", [*args, "--send-rate", str(rate)], store, port, quiet=True)
    finally:
        slow.stdin.close()
    held: dict[str, Any] = json.loads(slow.stdout.read() or "{}")
    slow.wait(timeout=60)
    result["slow"] = held
    print(
        f"{name:<7} {ready[1] if len(ready) > 1 else '?'} slow connections open at the start "
        f"(at least {held.get('min_open')}, mean {held.get('mean_open', 0):.0f} while measured; "
        f"{held.get('answered_408')} answered 408, {held.get('closed_by_receiver')} closed, "
        f"all re-opened; {held.get('sources')} source address(es)): {result['sent']} genuine "
        f"deliveries at {rate:.0f}/s, p50 {result['p50_ms']:.1f} ms, "
        f"p99 {result['p99_ms']:.1f} ms, max {result['max_ms']:.1f} ms; "
        f"accepted {result['accepted']}, stored {result['stored']}"
    )
    return result


def scenario(
    name: str, args: list[str], store: Store, port: int, quiet: bool = False
) -> dict[str, Any]:
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
    assert result["wrong_answers"] == 0, "some requests got the wrong answer"
    assert stored == result["accepted"], "an accepted event was lost"
    if quiet:
        return result
    print(
        f"{name:<7} {result['sent']:>5} requests ({result['refused']} forged → 401) in "
        f"{result['elapsed_s']:.2f} s: {result['requests_per_s']:.0f} requests/s, "
        f"p50 {result['p50_ms']:.1f} ms, p99 {result['p99_ms']:.1f} ms, "
        f"max {result['max_ms']:.1f} ms; accepted {result['accepted']}, stored {stored}"
    )
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rate", type=float, default=200.0)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--count", type=int, default=2000, help="requests in the burst")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--forged-every", type=int, default=10)
    parser.add_argument("--slow", type=int, default=500, help="slow connections (0: skip)")
    parser.add_argument("--slow-port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--per-source", type=int, default=50, help=argparse.SUPPRESS)
    parser.add_argument("--send", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--send-count", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--send-rate", type=float, default=0.0, help=argparse.SUPPRESS)
    parser.add_argument("--workers", type=int, default=16, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.slow_port:
        print(
            json.dumps(slow_clients(args.slow_port, args.slow, args.per_source, 120.0)), flush=True
        )
        return 0
    if args.send:
        rate, workers = args.send_rate, args.workers
        print(json.dumps(sender(args.send, args.send_count, rate, workers, args.forged_every)))
        return 0
    _raise_open_files()
    with tempfile.TemporaryDirectory() as folder:
        store = Store(Path(folder) / "bench.db")
        receiver = WebhookReceiver(
            keys=KeyCache(lambda: KeySet(KEY)),
            sink=store,
            is_enabled=lambda: True,
            paths=receiver_paths(""),
            status=StatusFile(Path(folder) / "webhook-receiver.json"),
            port=0,
            # 127.0.0.1 plays the site's proxy, 127.0.0.2 and up hosts out on the internet
            per_peer_exempt=lambda peer: peer == "127.0.0.1",
        )
        port = receiver.start()
        slow: list[dict[str, Any]] = []
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
            if args.slow:
                spread = slow_scenario("slow", args.slow, 50, args.seconds, store, port)
                proxied = slow_scenario("proxied", args.slow, 0, args.seconds, store, port)
                slow = [spread, proxied]
        finally:
            receiver.stop()
            store.close()
    target = result["p99_ms"] < 100 and result["requests_per_s"] >= args.rate * 0.95
    print(f"target (p99 < 100 ms at {args.rate:.0f} requests/s): {'met' if target else 'MISSED'}")
    if slow:
        slow_met = all(s["max_ms"] < 1000 and s["accepted"] == s["sent"] for s in slow)
        print(
            f"target (every genuine delivery answered within 1 s among {args.slow} slow "
            f"connections): {'met' if slow_met else 'MISSED'}"
        )
        target = target and slow_met
    return 0 if target else 1


if __name__ == "__main__":
    sys.exit(main())
