"""``maica-xero webhooks …``: the Webhooks section from a terminal.

``cli.build_parser`` calls :func:`add_commands` with its subparsers and its ``add`` helper. The key
is read from standard input only (never from the command line), and never shown back.
"""

from __future__ import annotations

import argparse
import getpass
import json
import signal
import sys
import threading
from collections.abc import Callable
from datetime import datetime
from types import FrameType
from typing import Any

from .cli_wording import say
from .core.errors import ConfigurationError
from .core.service import Service
from .core.states import EventState
from .core.webhooks import DEFAULT_GRACE_S, DEFAULT_HOST, DEFAULT_PORT

Add = Callable[[str, Callable[..., int], str], argparse.ArgumentParser]


def _out(text: str = "") -> None:
    """One line for a person: a notice in the CLI's words, outside text escaped."""
    print(say(text), flush=True)


def _json(data: Any) -> None:
    print(json.dumps(data, indent=2, ensure_ascii=False), flush=True)


def _when(moment: Any) -> str:
    if not isinstance(moment, int | float):
        return "never"
    return datetime.fromtimestamp(moment).astimezone().strftime("%Y-%m-%d %H:%M:%S %Z")


def cmd_status(service: Service, args: argparse.Namespace) -> int:
    status = service.webhooks.status()
    if args.json:
        _json(status.to_json())
        return 0
    _out(f"Site:               {status.site or 'not set'}")
    _out(f"Delivery URL:       {status.delivery_url or '(set the site first)'}")
    key = "saved" if status.key_saved else "not saved"
    if status.previous_key_until:
        key += f" (the previous key is still accepted until {_when(status.previous_key_until)})"
    _out(f"Webhook key:        {key}")
    receiver = status.receiver
    if status.listening:
        where = f"{receiver.get('host')}:{receiver.get('port')}"
        _out(f"Receiver:           listening on {where} (pid {receiver.get('pid')})")
    else:
        _out("Receiver:           not running (maica-xero webhooks serve)")
    itr = status.intent_to_receive
    if itr:
        ok, refused = itr.get("answered_200", 0), itr.get("answered_401", 0)
        _out(
            f"Intent to Receive:  {_when(itr.get('last_at'))}: {ok} answered 200, "
            f"{refused} answered 401"
        )
    else:
        _out("Intent to Receive:  none received")
    catch_up = status.catch_up
    if catch_up:
        result = f"{catch_up.get('changed', 0)} changed" if catch_up.get("ok") else "not done"
        note = catch_up.get("message") or ""
        _out(f"Catch-up pull:      {_when(catch_up.get('at'))}: {result} {note}".rstrip())
    _out(f"Last event:         {_when(status.last_event_at)}")
    counts = ", ".join(f"{name} {count}" for name, count in status.counts.items())
    _out(f"Events:             {counts} ({status.deliveries} deliveries)")
    for message in status.messages:
        _out(message)
    return 0


def cmd_set_site(service: Service, args: argparse.Namespace) -> int:
    url = service.webhooks.set_site(args.url)
    if not url:
        _out("Webhook site cleared.")
        return 0
    _out("Paste this Delivery URL in the Webhooks tab of your app in Xero's developer portal:")
    _out(url)
    return 0


def _read_key() -> str:
    if sys.stdin.isatty():
        return getpass.getpass("Webhook key (not shown): ")
    return sys.stdin.readline()


def cmd_set_key(service: Service, args: argparse.Namespace) -> int:
    if args.grace_minutes < 0:
        raise ConfigurationError("--grace-minutes cannot be negative.")
    had_key = service.webhooks.has_key()
    service.webhooks.set_key(_read_key(), grace_s=args.grace_minutes * 60.0)
    if had_key and args.grace_minutes:
        _out(
            f"Webhook key saved. The previous key is still accepted for {args.grace_minutes:g} "
            "minutes, while Xero's portal is updated."
        )
    else:
        _out("Webhook key saved.")
    return 0


def cmd_forget_key(service: Service, args: argparse.Namespace) -> int:
    service.webhooks.forget_key()
    _out("Webhook key removed.")
    return 0


def cmd_events(service: Service, args: argparse.Namespace) -> int:
    events = service.webhooks.events(limit=args.limit, status=args.status)
    if args.json:
        _json([e.to_json() for e in events])
        return 0
    if not events:
        _out("No webhook events yet.")
    for e in events:
        repeats = f" (delivered {e.deliveries} times)" if e.deliveries > 1 else ""
        _out(
            f"{_when(e.received_at)}  {e.status:<9} {e.category} {e.event_type} "
            f"{e.resource_id}{repeats}  {e.message}"
        )
    return 0


def cmd_process(service: Service, args: argparse.Namespace) -> int:
    report = service.webhooks.process_now()
    if args.json:
        _json(report.to_json())
        return 0
    _out(
        f"{report.processed} processed, {report.ignored} ignored, {report.deferred} to retry, "
        f"{report.failed} failed."
    )
    if report.message:
        _out(report.message)
    return 0


def cmd_catch_up(service: Service, args: argparse.Namespace) -> int:
    changed = service.webhooks.catch_up()
    _out(f"Catch-up pull done: {changed} invoice(s) changed.")
    return 0


def cmd_retry(service: Service, args: argparse.Namespace) -> int:
    _out(f"{service.webhooks.retry_failed()} failed event(s) will be processed again.")
    return 0


def cmd_serve(service: Service, args: argparse.Namespace) -> int:
    listener = service.webhooks.listener(args.host, args.port, catch_up=not args.no_catch_up)
    listener.start()
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous: Any = None
    in_main = threading.current_thread() is threading.main_thread()
    try:
        if in_main:
            previous = signal.signal(signal.SIGTERM, on_signal)
        _out(f"Webhook receiver listening on {listener.url} (Ctrl+C stops it).")
        url = service.webhooks.delivery_url()
        if url:
            _out(f"Xero's Delivery URL {url} must be forwarded here.")
        else:
            _out("No webhook site is set yet (maica-xero webhooks set-site URL).")
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        if in_main:
            signal.signal(signal.SIGTERM, previous)
        listener.stop()
    _out("Webhook receiver stopped.")
    return 0


_COMMANDS: dict[str, Callable[[Service, argparse.Namespace], int]] = {
    "status": cmd_status,
    "set-site": cmd_set_site,
    "set-key": cmd_set_key,
    "forget-key": cmd_forget_key,
    "events": cmd_events,
    "process": cmd_process,
    "catch-up": cmd_catch_up,
    "retry": cmd_retry,
    "serve": cmd_serve,
}


def cmd_webhooks(service: Service, args: argparse.Namespace) -> int:
    return _COMMANDS[args.webhooks_command](service, args)


def add_commands(sub: Any, add: Add) -> None:
    """Register ``webhooks …`` on the CLI's subparsers (``sub``) through its ``add`` helper."""
    parser = add("webhooks", cmd_webhooks, "the webhook site, key and receiver")
    commands = parser.add_subparsers(dest="webhooks_command", metavar="COMMAND", required=True)

    def command(name: str, help_text: str) -> argparse.ArgumentParser:
        return commands.add_parser(name, help=help_text, description=help_text)

    p = command("status", "site, Delivery URL, key saved, receiver, Intent to Receive, events")
    p.add_argument("--json", action="store_true")
    p = command("set-site", "save the public HTTPS site; prints the Delivery URL for Xero")
    p.add_argument("url", help="e.g. https://hooks.example.org ('' clears it)")
    p = command("set-key", "save the webhook key, read from standard input")
    p.add_argument(
        "--grace-minutes",
        type=float,
        default=DEFAULT_GRACE_S / 60,
        help="keep accepting the previous key this long (default 60; 0: not at all)",
    )
    command("forget-key", "remove the webhook key from the keyring")
    p = command("events", "the received events, newest first, and what was done with each")
    p.add_argument("--json", action="store_true")
    p.add_argument("--limit", type=int, default=50)
    p.add_argument("--status", choices=[state.value for state in EventState])
    p = command("process", "process the waiting events now")
    p.add_argument("--json", action="store_true")
    command("catch-up", "pull payment changes missed while no receiver listened")
    command("retry", "process failed events again")
    p = command("serve", "run the receiver until interrupted")
    p.add_argument("--host", default=DEFAULT_HOST, help="default 127.0.0.1; 0.0.0.0 for all")
    p.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"default {DEFAULT_PORT}")
    p.add_argument("--no-catch-up", action="store_true", help="skip the catch-up pull at start")
