"""``maica-xero``: the service from a terminal, for scripts, schedulers and support.

Human output and ``--json`` go to standard output; logs and progress to standard error. Every error
is one sentence and a non-zero exit code; the traceback of an unexpected error goes to the log file
only.
"""

from __future__ import annotations

import argparse
import getpass
import json
import logging
import os
import sys
import time
from collections.abc import Callable, Sequence
from typing import Any

from . import __version__, cli_webhooks
from .core.errors import MaicaXeroError
from .core.importing import ImportRejected
from .core.logsetup import configure_logging
from .core.paths import app_paths
from .core.service import DEFAULT_CONNECT_TIMEOUT_S, ConnectionsView, Service
from .core.sync import Progress

log = logging.getLogger("maica_xero_desktop.cli")

EXIT_UNEXPECTED = 70
EXIT_INTERRUPTED = 130


def _out(text: str = "") -> None:
    print(text, flush=True)


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" + ("" if count == 1 else "s")


def _json(data: Any) -> None:
    print(json.dumps(data, indent=2, ensure_ascii=False), flush=True)


# -- commands -------------------------------------------------------------------------------


def cmd_status(service: Service, args: argparse.Namespace) -> int:
    status = service.status()
    if args.json:
        _json(status.to_json())
        return 0
    on = "on" if status.enabled else "off"
    _out(f"Integration:      {on}")
    _out(f"Xero:             {status.api_url}" + (" (sandbox)" if status.sandbox else ""))
    _out(f"Client id:        {status.client_id or 'not set'}")
    token = {
        "none": "not connected",
        "valid": "connected",
        "expired": "connected (access renews on next use)",
        "needs_reconnect": "needs reconnecting",
        "unavailable": "unknown (keyring unavailable)",
    }.get(status.token_state, status.token_state)
    _out(f"Sign-in:          {token}")
    if status.connected_as:
        who = status.connected_as
        _out(f"Connected as:     {who.name} <{who.email}>".replace(" <>", ""))
    if status.active_tenant_id:
        suffix = {"missing": " — no longer connected", "unknown": ""}.get(
            status.active_tenant_state, ""
        )
        _out(f"Organisation:     {status.active_tenant_name} ({status.active_tenant_id}){suffix}")
    else:
        _out("Organisation:     none selected")
    _out(f"Sync flow:        {status.flow}")
    schedule = f"every {status.schedule_minutes} min" if status.schedule_minutes else "off"
    _out(f"Schedule:         {schedule}")
    _out(f"Webhook site:     {status.webhook_site or 'not set'}")
    _out(f"Last run:         {'never' if status.last_run is None else status.last_run}")
    for message in status.messages:
        _out(f"Note: {message}")
    return 0


def cmd_enable(service: Service, args: argparse.Namespace) -> int:
    service.set_enabled(True)
    _out("The Xero integration is on.")
    return 0


def cmd_disable(service: Service, args: argparse.Namespace) -> int:
    service.set_enabled(False)
    _out("The Xero integration is off: nothing will be sent to Xero until it is turned on.")
    return 0


def cmd_config(service: Service, args: argparse.Namespace) -> int:
    if args.action == "get":
        _out(service.config_get(args.key))
        return 0
    if args.key == "client-secret":
        if args.value is not None:
            raise MaicaXeroError(
                "A client secret is not given on the command line (other users can see it): "
                "run maica-xero config set client-secret and type or pipe it on standard input."
            )
        if sys.stdin.isatty():
            secret = getpass.getpass("Client secret (empty to remove): ")
        else:
            secret = sys.stdin.readline()
        service.set_client_secret(secret.strip() or None)
        _out("Client secret saved in the keyring." if secret.strip() else "Client secret removed.")
        return 0
    if args.value is None:
        raise MaicaXeroError(f"Give a value: maica-xero config set {args.key} VALUE")
    shown = service.config_set(args.key, args.value)
    _out(f"{args.key} = {shown}")
    return 0


def _print_connections(view: ConnectionsView) -> None:
    if not view.connections:
        _out("No organisations are connected.")
    for c in view.connections:
        marker = "*" if c.tenant_id.lower() == view.active_tenant_id.lower() else " "
        kind = "" if c.can_receive_invoices else f" [{c.tenant_type.lower()}]"
        connected = f"  connected {c.created[:10]}" if c.created else ""
        _out(f"{marker} {c.tenant_name}{kind}  {c.tenant_id}{connected}")
    for message in view.messages:
        _out(f"Note: {message}")


def cmd_connect(service: Service, args: argparse.Namespace) -> int:
    def show_url(url: str) -> None:
        _out("Open this address in a browser to connect to Xero:")
        _out(url)
        print(
            f"Waiting up to {args.timeout:g} s for the sign-in (Ctrl+C cancels)…", file=sys.stderr
        )

    result = service.connect(show_url, timeout=args.timeout, open_browser=not args.no_browser)
    who = result.user
    if who:
        _out(f"Connected to Xero as {who.name} <{who.email}>.".replace(" <>", ""))
    else:
        _out("Connected to Xero.")
    _print_connections(result.view)
    return 0


def cmd_connections(service: Service, args: argparse.Namespace) -> int:
    view = service.connections(refresh=not args.cached)
    if args.json:
        _json(view.to_json())
    else:
        _print_connections(view)
    return 0


def cmd_use(service: Service, args: argparse.Namespace) -> int:
    chosen = service.use(args.tenant)
    if args.json:
        _json(chosen)
    else:
        _out(f"Active organisation: {chosen['tenantName']} ({chosen['tenantId']}).")
    return 0


def cmd_disconnect(service: Service, args: argparse.Namespace) -> int:
    gone = service.disconnect(args.tenant)
    _out(f"{gone.tenant_name} was disconnected from this app in Xero.")
    return 0


def cmd_logout(service: Service, args: argparse.Namespace) -> int:
    revoked = service.logout(local_only=args.local)
    if revoked:
        _out("Signed out: Xero revoked the sign-in and every organisation connection it had.")
    else:
        _out("The sign-in was forgotten on this computer (Xero was not contacted).")
    return 0


def cmd_import(service: Service, args: argparse.Namespace) -> int:
    parsed, summary = service.sync.import_file(args.file)
    for warning in parsed.warnings:
        print(f"Note: {warning}", file=sys.stderr)
    if args.json:
        _json(
            {
                "invoices": len(parsed.invoices),
                "lines": parsed.lines,
                "new": summary.new,
                "updated": summary.updated,
                "unchanged": summary.unchanged,
                "flagged": summary.flagged,
                "warnings": list(parsed.warnings),
            }
        )
        return 0
    _out(
        f"Imported {len(parsed.invoices)} invoices ({parsed.lines} lines): {summary.new} new, "
        f"{summary.updated} updated, {summary.unchanged} unchanged."
    )
    if summary.flagged:
        _out(
            f"{summary.flagged} invoices changed in Maica after they were sent to Xero; they are "
            "marked 'changed' and are not sent again (maica-xero invoices --state changed)."
        )
    return 0


def _import_errors(exc: ImportRejected) -> None:
    for error in exc.errors:
        print(f"  {error}", file=sys.stderr)


def cmd_invoices(service: Service, args: argparse.Namespace) -> int:
    rows = service.sync.invoices(state=args.state, limit=args.limit)
    if args.json:
        _json(
            [
                {
                    "invoice_number": r.invoice_number,
                    "state": r.state,
                    "xero_invoice_id": r.xero_invoice_id,
                    "message": r.message,
                    "xero_invoice_number": r.xero_invoice_number,
                    "invoice_date": r.invoice_date,
                    "participant": r.participant_name,
                    "total": r.total,
                    "status": r.status,
                    "amount_paid": r.amount_paid,
                    "amount_due": r.amount_due,
                    "xero_status": r.xero_status,
                }
                for r in rows
            ]
        )
        return 0
    if not rows:
        _out(
            "No invoices"
            + (f" in state {args.state}." if args.state else " yet: import a Maica export.")
        )
    for r in rows:
        xero = f"  Xero {r.xero_invoice_number or r.xero_invoice_id}" if r.xero_invoice_id else ""
        message = f"  — {r.message}" if r.message else ""
        _out(
            f"{r.invoice_number:<14} {r.invoice_date}  {r.participant_name[:28]:<28} "
            f"{r.total:>10}  {r.status:<14} {r.state:<8}{xero}{message}"
        )
    return 0


def cmd_flows(service: Service, args: argparse.Namespace) -> int:
    flows = service.sync.flows()
    if args.json:
        _json([{"name": f.name, "description": f.description, "selected": on} for f, on in flows])
        return 0
    for flow, on in flows:
        _out(f"{'*' if on else ' '} {flow.name}: {flow.description}")
    return 0


def _progress(progress: Progress) -> None:
    total = f" ({progress.done}/{progress.total})" if progress.total else ""
    print(f"{progress.step}{total}", file=sys.stderr, flush=True)


def cmd_sync(service: Service, args: argparse.Namespace) -> int:
    result = service.sync.run(
        flow=args.flow, dry_run=args.dry_run, trigger="cli", progress=_progress
    )
    if args.json:
        _json(result.to_json())
    else:
        what = "Preview (nothing was sent)" if result.dry_run else "Sync"
        _out(
            f"{what} of {result.tenant_name} with flow {result.flow}: {result.selected} selected, "
            f"{result.created} created, {result.linked} linked, {result.blocked} blocked, "
            f"{result.failed} failed; {result.api_calls} Xero calls in {result.duration_s:.1f} s."
        )
        for outcome in result.outcomes:
            if outcome.outcome in ("blocked", "failed", "conflict"):
                _out(f"  {outcome.invoice_number}: {outcome.outcome} — {outcome.message}")
        if result.dry_run:
            for item in result.preview:
                if item["action"] == "send":
                    payload = item["payload"]
                    _out(
                        f"  would send {item['invoice_number']} as {payload['Status']} with "
                        f"{len(payload['LineItems'])} lines"
                    )
        if result.message:
            _out(result.message)
    if result.dry_run:
        return 0 if result.blocked == 0 and result.failed == 0 else 1
    return 0 if result.complete else 1


def cmd_history(service: Service, args: argparse.Namespace) -> int:
    runs = service.sync.history(limit=args.limit)
    if args.json:
        _json([run.to_json() for run in runs])
        return 0
    if not runs:
        _out("No runs yet.")
    for run in runs:
        when = time.strftime("%Y-%m-%d %H:%M", time.localtime(run.started_at))
        kind = " (preview)" if run.dry_run else ""
        _out(
            f"#{run.id} {when} {run.tenant_name} {run.flow}{kind}: {run.state}, "
            f"{run.created} created, {run.linked} linked, {run.blocked} blocked, "
            f"{run.failed} failed, {run.api_calls} calls, {run.duration_s:.1f} s"
            + (f" — {run.message}" if run.message else "")
        )
    return 0


def cmd_retry(service: Service, args: argparse.Namespace) -> int:
    count = service.sync.retry_failed()
    _out(f"{_plural(count, 'failed invoice')} will be sent again by the next sync.")
    return 0


def cmd_payments(service: Service, args: argparse.Namespace) -> int:
    changed = service.sync.refresh_payments()
    _out(f"Payments refreshed from Xero: {_plural(changed, 'invoice')} changed.")
    return 0


def cmd_items(service: Service, args: argparse.Namespace) -> int:
    if args.action == "set":
        if not args.item:
            raise MaicaXeroError(
                "Name the support item: maica-xero items set ITEM --account-code X"
            )
        item = service.sync.set_support_item(
            args.item,
            account_code=args.account_code,
            tax_type=args.tax_type,
            description=args.description,
        )
        _out(
            f"{item.item_number}: account {item.account_code or '(default)'}, tax type "
            f"{item.tax_type or '(default)'}, description {item.xero_description or '(its name)'}"
        )
        return 0
    items = service.sync.support_items()
    if args.json:
        _json([vars(item) for item in items])
        return 0
    settings = service.settings()
    for item in items:
        _out(
            f"{item.item_number:<18} {item.account_code or settings.default_account_code:<6} "
            f"{item.tax_type or settings.default_tax_type:<13} "
            f"{item.xero_description or item.name}"
        )
    return 0


def cmd_sandbox(args: argparse.Namespace) -> int:
    from .sandbox import serve

    return serve(port=args.port, state_file=args.state, auto_consent=args.auto_consent)


# -- parser ---------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="maica-xero",
        description="Maica Xero Desktop: link Maica invoice records to a Xero organisation.",
    )
    parser.add_argument("--version", action="version", version=f"maica-xero {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress to stderr")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    def add(name: str, func: Callable[..., int], help_text: str) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help_text, description=help_text)
        p.set_defaults(func=func)
        return p

    p = sub.add_parser("gui", help="open the window (the default)")
    p.add_argument(
        "--demo",
        action="store_true",
        help="against the built-in offline sandbox, in a throw-away home",
    )
    p = add("status", cmd_status, "show the integration's state")
    p.add_argument("--json", action="store_true")
    add("enable", cmd_enable, "turn the Xero integration on")
    add("disable", cmd_disable, "turn the Xero integration off (nothing is sent to Xero)")
    p = add("config", cmd_config, "read or change a setting")
    p.add_argument("action", choices=["get", "set"])
    p.add_argument("key")
    p.add_argument("value", nargs="?")
    p = add("connect", cmd_connect, "sign in to Xero in the browser and list the organisations")
    p.add_argument("--no-browser", action="store_true", help="only print the address to open")
    p.add_argument(
        "--timeout", type=float, default=DEFAULT_CONNECT_TIMEOUT_S, help="seconds to wait"
    )
    p = add("connections", cmd_connections, "list the connected Xero organisations")
    p.add_argument("--json", action="store_true")
    p.add_argument("--cached", action="store_true", help="the saved list, without asking Xero")
    p = add("use", cmd_use, "choose the active organisation (tenant id or exact name)")
    p.add_argument("tenant")
    p.add_argument("--json", action="store_true")
    p = add("disconnect", cmd_disconnect, "disconnect one organisation from this app in Xero")
    p.add_argument("tenant")
    p = add("logout", cmd_logout, "revoke the Xero sign-in and forget it")
    p.add_argument("--local", action="store_true", help="forget it here without contacting Xero")

    p = add("import", cmd_import, "import a Maica invoice export (CSV), all or nothing")
    p.add_argument("file")
    p.add_argument("--json", action="store_true")
    p = add("invoices", cmd_invoices, "the store's invoices and their sync state")
    p.add_argument("--json", action="store_true")
    p.add_argument(
        "--state", choices=["pending", "blocked", "sending", "synced", "failed", "changed"]
    )
    p.add_argument("--limit", type=int, default=-1)
    p = add("flows", cmd_flows, "the sync flows (config set flow NAME selects one)")
    p.add_argument("--json", action="store_true")
    p = add("sync", cmd_sync, "Run Now: push the flow's invoices to the active organisation")
    p.add_argument("--flow", help="use this flow for this run only")
    p.add_argument("--dry-run", action="store_true", help="show what would be sent; send nothing")
    p.add_argument("--json", action="store_true")
    p = add("history", cmd_history, "past runs and their outcomes")
    p.add_argument("--json", action="store_true")
    p.add_argument("--limit", type=int, default=20)
    p = add("items", cmd_items, "support items and their Xero mapping (account, tax type)")
    p.add_argument("action", nargs="?", choices=["list", "set"], default="list")
    p.add_argument("item", nargs="?")
    p.add_argument("--account-code")
    p.add_argument("--tax-type")
    p.add_argument("--description")
    p.add_argument("--json", action="store_true")
    add("retry", cmd_retry, "send failed invoices again on the next sync")
    add("payments", cmd_payments, "refresh payments of synced invoices from Xero")
    cli_webhooks.add_commands(sub, add)

    p = sub.add_parser("sandbox", help="the offline Xero for demos and tests")
    sandbox_sub = p.add_subparsers(dest="sandbox_command", metavar="COMMAND", required=True)
    s = sandbox_sub.add_parser("serve", help="serve the sandbox on 127.0.0.1")
    s.add_argument("--port", type=int, default=0, help="0 picks a free port")
    s.add_argument("--state", default=None, help="keep the sandbox's state in this JSON file")
    s.add_argument("--auto-consent", action="store_true", help="grant every organisation at once")
    s.set_defaults(func=None, sandbox=True)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "sandbox", False):
        logging.basicConfig(level=logging.WARNING, format="sandbox %(levelname)s: %(message)s")
        try:
            return cmd_sandbox(args)
        except KeyboardInterrupt:
            return 0
    if args.command in (None, "gui"):
        return _gui(demo=getattr(args, "demo", False))
    level = logging.INFO if args.verbose else logging.WARNING
    try:
        paths = app_paths()
        configure_logging(paths, console_level=level)
        service = Service()
        code: int = args.func(service, args)
        return code
    except MaicaXeroError as exc:
        log.info("Command failed: %s", exc.sentence)
        print(exc.sentence, file=sys.stderr, flush=True)
        if isinstance(exc, ImportRejected):
            _import_errors(exc)
        return exc.exit_code
    except KeyboardInterrupt:
        print("Cancelled.", file=sys.stderr, flush=True)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # The reader of our output went away (e.g. `| head`): the work itself is done.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
    except Exception:
        log.exception("Unexpected error")
        print(
            "Something unexpected went wrong; nothing was changed that cannot be retried. The "
            "details are in the log file (maica-xero status shows where data lives).",
            file=sys.stderr,
            flush=True,
        )
        return EXIT_UNEXPECTED


def _gui(demo: bool) -> int:
    """The window: it sets up its own logging and (for the demo) its own throw-away home."""
    try:
        from .gui.app import main as gui_app_main
    except ImportError as exc:
        print(
            f"The desktop window cannot start: {exc}. Install the Qt libraries "
            "(see the README), or use the maica-xero commands.",
            file=sys.stderr,
        )
        return 2
    return gui_app_main([], demo=demo)


def gui_main() -> int:
    return _gui(demo="--demo" in sys.argv[1:])
