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
from decimal import Decimal, InvalidOperation
from typing import Any

from . import __version__, cli_maica, cli_webhooks
from .cli_wording import say
from .core.errors import MaicaXeroError
from .core.importing import ImportRejected
from .core.logsetup import configure_logging
from .core.paths import app_paths, file_problem
from .core.service import CLIENT_ID_ENV, DEFAULT_CONNECT_TIMEOUT_S, ConnectionsView, Service
from .core.states import LinkState
from .core.store import InvoiceRow
from .core.sync import Progress, SyncResult
from .core.textsafe import printable

log = logging.getLogger("maica_xero_desktop.cli")

EXIT_UNEXPECTED = 70
EXIT_INTERRUPTED = 130


def _out(text: object = "") -> None:
    """One line for a person: anything from outside in it is escaped (core.textsafe)."""
    print(printable(text), flush=True)


def _err(text: object) -> None:
    print(printable(text), file=sys.stderr, flush=True)


def _plural(count: int, noun: str, plural: str = "") -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {plural or noun + 's'}"


def _json(data: Any) -> None:
    print(json.dumps(data, indent=2, ensure_ascii=False), flush=True)


def _money(value: object) -> str:
    """An amount with two decimals (and thousands separated); blank stays blank."""
    if value is None or value == "":
        return ""
    try:
        return f"{Decimal(str(value)):,.2f}"
    except InvalidOperation:
        return str(value)


def _when(seconds: float | None) -> str:
    if not seconds:
        return ""
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(seconds))


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _table(
    headers: Sequence[str], rows: Sequence[Sequence[object]], *, right: Sequence[int] = ()
) -> None:
    """A header row and aligned columns; ``right`` are the columns of numbers."""
    cells = [[printable("" if c is None else c) for c in row] for row in rows]
    widths = [max([len(h), *(len(r[i]) for r in cells)]) for i, h in enumerate(headers)]
    for row in [list(headers), *cells]:
        parts = [
            cell.rjust(widths[i]) if i in right else cell.ljust(widths[i])
            for i, cell in enumerate(row)
        ]
        print("  ".join(parts).rstrip(), flush=True)


# -- commands -------------------------------------------------------------------------------

_TOKEN_WORDS = {
    "none": "not connected",
    "valid": "connected",
    "expired": "connected (access renews on next use)",
    "needs_reconnect": "needs reconnecting",
    "unavailable": "unknown (keyring unavailable)",
}
_SOURCE_WORDS = {
    "environment": "from the environment variable {variable}",
    "settings": "from the settings",
    "none": "not set",
}


def run_sentence(run: dict[str, Any]) -> str:
    """A past run in words: when, what, where, the counts and how it ended."""
    kind = "Preview" if run.get("dry_run") else "Sync"
    started = _when(run.get("started_at")) or "at an unknown time"
    counts = [f"{_plural(int(run.get('selected') or 0), 'invoice')} selected"]
    verbs = ("created", "linked", "blocked", "failed")
    counts += [f"{run.get(v)} {v}" for v in verbs if run.get(v)]
    state = str(run.get("state") or "")
    outcome = {
        "finished": "finished",
        "failed": "stopped before the end",
        "cancelled": "cancelled",
        "running": "still running",
    }.get(state, state)
    if state == "finished" and not run.get("dry_run"):
        sent = not run.get("blocked") and not run.get("failed")
        outcome = "every selected invoice is in Xero" if sent else "not every invoice was sent"
    text = (
        f"{kind} on {started} with flow {run.get('flow')} for {run.get('tenant_name')}: "
        f"{', '.join(counts)}; {outcome}."
    )
    message = str(run.get("message") or "")
    return f"{text} {message}" if message else text


def cmd_status(service: Service, args: argparse.Namespace) -> int:
    status = service.status()
    if args.json:
        _json(status.to_json())
        return 0
    client = service.client_id_info()
    on = "on" if status.enabled else "off"
    _out(f"Integration:      {on}")
    _out(f"Xero:             {status.api_url}" + (" (sandbox)" if status.sandbox else ""))
    source = _SOURCE_WORDS[client.source].format(variable=client.variable)
    _out(f"Client id:        {f'{client.value} ({source})' if client.value else 'not set'}")
    _out(f"Sign-in:          {_TOKEN_WORDS.get(status.token_state, status.token_state)}")
    if status.connected_as:
        who = status.connected_as
        _out(f"Connected as:     {who.name} <{who.email}>".replace(" <>", ""))
    if status.active_tenant_id:
        suffix = {"missing": " — no longer connected", "unknown": ""}.get(
            status.active_tenant_state, ""
        )
        _out(f"Organisation:     {status.active_tenant_name} ({status.active_tenant_id}){suffix}")
    elif status.token_state in ("none", "needs_reconnect"):
        _out("Organisation:     none (connect to Xero first)")
    else:
        _out("Organisation:     none chosen")
    _out(f"Sync flow:        {status.flow}")
    schedule = f"every {status.schedule_minutes} min" if status.schedule_minutes else "off"
    _out(f"Schedule:         {schedule}")
    _out(f"Webhook site:     {status.webhook_site or 'not set'}")
    last = "never" if status.last_run is None else run_sentence(status.last_run)
    _out(f"Last run:         {last}")
    _out(f"Invoices from:    {_source_words(service)}")
    for message in status.messages:
        _out(f"Note: {say(message)}")
    return 0


def _source_words(service: Service) -> str:
    """Where invoices come from, for ``status``: the Maica org is asked only when it is the
    source (and a keyring that cannot be read leaves the rest of the status readable)."""
    if service.settings().source != "maica":
        return "an imported file (maica-xero import FILE)"
    try:
        maica = service.maica.status()
    except MaicaXeroError as exc:
        log.info("The Maica org's state could not be read: %s", exc.sentence)
        return "the Maica org (its sign-in cannot be read here: see maica-xero maica status)"
    if maica.needs_reconnect:
        return "the Maica org, which needs reconnecting (maica-xero maica connect)"
    if maica.connected:
        return f"the Maica org {maica.org_name or maica.instance_url}"
    return "the Maica org, not connected yet (maica-xero maica connect)"


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
        if args.key == "client-id":
            client = service.client_id_info()
            if args.json:
                _json(client.to_json())
                return 0
            _out(client.value)
            source = _SOURCE_WORDS[client.source].format(variable=client.variable)
            overridden = f"; it overrides the saved {client.saved}" if client.saved else ""
            _out(f"({source}{overridden})")
            return 0
        value = service.config_get(args.key)
        if args.json:
            _json({"key": args.key, "value": value})
        else:
            _out(value)
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
    if args.key == "source":
        _source_note(service)
    if args.key == "client-id" and service.client_id_info().source == "environment":
        _out(
            f"Note: the environment variable {CLIENT_ID_ENV} is set, so its value is used while it "
            "stays set."
        )
    return 0


def _source_note(service: Service) -> None:
    """After ``config set source``: what the next sync reads, and what is missing for it."""
    if service.settings().source != "maica":
        _out("Sync sends the invoices imported from a file (maica-xero import FILE).")
        return
    maica = service.maica.status()
    if not maica.connected:
        _out(
            "Sync reads the Maica org first once it is connected: run maica-xero maica connect, "
            "then maica-xero maica check."
        )
        return
    _out(
        f"Sync reads the Maica org {maica.org_name or maica.instance_url} first and writes the "
        "Xero ids and payments back to it."
    )


def _print_connections(view: ConnectionsView) -> None:
    if not view.connections:
        _out("No organisations are connected.")
    else:
        rows = [
            (
                "*" if c.tenant_id.lower() == view.active_tenant_id.lower() else "",
                c.tenant_name,
                "organisation" if c.can_receive_invoices else c.tenant_type.lower(),
                c.tenant_id,
                c.created[:10],
            )
            for c in view.connections
        ]
        _table(("Active", "Organisation", "Type", "Tenant id", "Connected"), rows)
    for message in view.messages:
        _out(f"Note: {say(message)}")


def cmd_connect(service: Service, args: argparse.Namespace) -> int:
    def show_url(url: str) -> None:
        _out("Open this address in a browser to connect to Xero:")
        _out(url)
        _err(f"Waiting up to {args.timeout:g} s for the sign-in (Ctrl+C cancels)…")

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
    result = service.sync.import_file(args.file)
    parsed, summary = result
    for warning in parsed.warnings:
        _err(f"Note: {warning}")
    if args.json:
        _json(result.to_json())
        return 0
    _out(
        f"Imported {_plural(len(parsed.invoices), 'invoice')} ({_plural(parsed.lines, 'line')}): "
        f"{summary.new} new, {summary.updated} updated, {summary.unchanged} unchanged."
    )
    if summary.flagged:
        one = summary.flagged == 1
        _out(
            f"{_plural(summary.flagged, 'invoice')} changed in Maica after being sent to Xero; "
            f"{'it is' if one else 'they are'} marked 'changed' and not sent again "
            "(maica-xero invoices --state changed)."
        )
    if summary.status_notes:
        one = summary.status_notes == 1
        _out(
            f"{_plural(summary.status_notes, 'invoice')} sent to Xero "
            f"{'has' if one else 'have'} a new status in Maica that Xero does not follow by "
            "itself; the invoice list says what to do in Xero (maica-xero invoices)."
        )
    return 0


def _import_rejected(exc: ImportRejected) -> None:
    """The rejection once: its sentence alone, or a heading and every problem on its own line."""
    if len(exc.errors) <= 1:
        _err(say(exc))
        return
    rows = exc.bad_rows if exc.bad_rows is not None else len({e.line for e in exc.errors if e.line})
    problems = _plural(rows, "row has", "rows have") if rows else "it has"
    _err(
        f"The file was not imported: {problems} problems; nothing was changed. Correct them, "
        "then import the file again:"
    )
    for error in exc.errors:
        _err(f"  {error}")


def _xero_column(r: InvoiceRow) -> str:
    if not r.xero_invoice_id:
        return ""
    parts = [r.xero_invoice_number or r.xero_invoice_id]
    if r.xero_status:
        parts.append(r.xero_status.title())
    if r.amount_paid and Decimal(r.amount_paid or "0"):
        parts.append(f"paid {_money(r.amount_paid)}")
    return " ".join(parts)


def cmd_invoices(service: Service, args: argparse.Namespace) -> int:
    rows = service.sync.invoices(state=args.state, limit=args.limit or -1)
    if args.json:
        _json([r.to_json() for r in rows])
        return 0
    if not rows:
        _out(
            "No invoices"
            + (f" in state {args.state}." if args.state else " yet: import a Maica export.")
        )
        return 0
    _table(
        ("Invoice", "Date", "Participant", "Total", "Maica status", "State", "Xero", "Message"),
        [
            (
                r.invoice_number,
                r.invoice_date,
                _clip(r.participant_name, 28),
                _money(r.total),
                r.status,
                r.state,
                _xero_column(r),
                r.message,
            )
            for r in rows
        ],
        right=(3,),
    )
    return 0


def cmd_flows(service: Service, args: argparse.Namespace) -> int:
    flows = service.sync.flows()
    if args.json:
        _json([choice.to_json() for choice in flows])
        return 0
    _table(
        ("Chosen", "Flow", "What it does"),
        [("*" if on else "", flow.name, flow.description) for flow, on in flows],
    )
    return 0


def _progress(progress: Progress) -> None:
    total = f" ({progress.done}/{progress.total})" if progress.total else ""
    _err(f"{progress.step}{total}")


def _sync_summary(result: SyncResult) -> str:
    selected = f"{_plural(result.selected, 'invoice')} selected"
    if result.dry_run:
        would = sum(1 for item in result.preview if item.get("action") == "send")
        counts = [selected, f"{would} would be sent"]
        counts += [
            f"{n} {w}"
            for n, w in (
                (result.blocked, "blocked"),
                (result.failed, "failed"),
                (result.conflict, "in conflict"),
            )
            if n
        ]
        head = f"Preview for {result.tenant_name} with flow {result.flow} (nothing was sent)"
        return f"{head}: {', '.join(counts)}."
    counts = [selected] + [
        f"{n} {w}"
        for n, w in (
            (result.created, "created"),
            (result.linked, "linked"),
            (result.blocked, "blocked"),
            (result.failed, "failed"),
            (result.conflict, "in conflict"),
        )
        if n
    ]
    calls = _plural(result.api_calls, "Xero call")
    failed = " failed" if result.state == "failed" else ""  # the message below says why
    text = (
        f"Sync of {result.tenant_name} with flow {result.flow}{failed}: {', '.join(counts)}; "
        f"{calls} in {result.duration_s:.1f} s."
    )
    if result.pulled or result.written_back or result.maica_calls:
        text += (
            f" Maica org: {_plural(result.pulled, 'invoice')} read, "
            f"{result.written_back} written back ({_plural(result.maica_calls, 'Maica API call')})."
        )
    return text


def cmd_sync(service: Service, args: argparse.Namespace) -> int:
    result = service.sync.run(
        flow=args.flow, dry_run=args.dry_run, trigger="cli", progress=_progress
    )
    if args.json:
        _json(result.to_json())
    else:
        _out(_sync_summary(result))
        problems = [o for o in result.outcomes if o.outcome in ("blocked", "failed", "conflict")]
        if problems:
            _out()
            _table(
                ("Invoice", "Outcome", "Reason"),
                [(o.invoice_number, o.outcome, o.message) for o in problems],
            )
        sends = [item for item in result.preview if item.get("action") == "send"]
        if sends:
            _out()
            _table(
                ("Would send", "As", "Lines"),
                [
                    (
                        item["invoice_number"],
                        str(item["payload"].get("Status", "")).title(),
                        str(len(item["payload"].get("LineItems", []))),
                    )
                    for item in sends
                ],
                right=(2,),
            )
        if result.message:
            _out(result.message)
    # 0 all in Xero (a preview: it ran); 1 some failed, blocked or in conflict; 2 stopped by a
    # sign-in, connection or limit problem (see SyncResult.exit_code)
    return result.exit_code


def cmd_history(service: Service, args: argparse.Namespace) -> int:
    runs = service.sync.history(limit=args.limit)
    if args.json:
        _json([run.to_json() for run in runs])
        return 0
    if not runs:
        _out("No runs yet.")
        return 0
    from_maica = any(run.maica_calls for run in runs)
    _table(
        (
            "Run",
            "Started",
            "Organisation",
            "Flow",
            "State",
            "Selected",
            "Created",
            "Linked",
            "Blocked",
            "Failed",
            "Calls",
            *(("Read", "Written back", "Maica calls") if from_maica else ()),
            "Time",
            "Message",
        ),
        [
            (
                f"#{run.id}",
                _when(run.started_at),
                _clip(run.tenant_name, 28),
                run.flow + (" (preview)" if run.dry_run else ""),
                run.state,
                run.selected,
                run.created,
                run.linked,
                run.blocked,
                run.failed,
                run.api_calls,
                *((run.pulled, run.written_back, run.maica_calls) if from_maica else ()),
                f"{run.duration_s:.1f} s",
                run.message,
            )
            for run in runs
        ],
        right=tuple(range(5, 15 if from_maica else 12)),
    )
    return 0


def cmd_retry(service: Service, args: argparse.Namespace) -> int:
    count = service.sync.retry_failed()  # only those it really queued
    left = service.sync.count_invoices("failed")
    if count or not left:
        _out(f"{_plural(count, 'failed invoice')} will be sent again by the next sync.")
    if left:
        _out(
            f"{_plural(left, 'failed invoice')} cannot be sent again as "
            f"{'it is' if left == 1 else 'they are'} (Xero keeps the number of a voided "
            "invoice): see each one's message with maica-xero invoices --state failed."
        )
    return 0


def cmd_payments(service: Service, args: argparse.Namespace) -> int:
    changed = service.sync.refresh_payments()
    if not service.sync.has_sent_invoices():
        # Nothing of this organisation is in Xero, so Xero was not asked.
        _out("No invoice has been sent to Xero yet, so there are no payments to refresh.")
        return 0
    _out(f"Payments refreshed from Xero: {_plural(changed, 'invoice')} changed.")
    if changed and service.settings().source == "maica":
        _out(
            "With the Maica org as the source, the payments are written to it as Payment "
            "records at once; maica-xero maica write-back shows (and retries) any still waiting."
        )
    return 0


#: the widest a free-text cell of the items table gets (the rest is cut, with …)
ITEMS_CELL = 48


def _mapped(what: str, value: str, given: str | None, default: str) -> str:
    """One part of the sentence after ``items set``: the value, or what applies instead."""
    if given == "":
        return f"{what} cleared (the default {default} applies)"
    return f"{what} {_clip(value, ITEMS_CELL)}" if value else f"{what} {default} (the default)"


def cmd_items(service: Service, args: argparse.Namespace) -> int:
    settings = service.settings()
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
        parts = (
            _mapped("account", item.account_code, args.account_code, settings.default_account_code),
            _mapped("tax type", item.tax_type, args.tax_type, settings.default_tax_type),
            _mapped("description", item.xero_description, args.description, "(its name)"),
        )
        _out(f"{item.item_number}: {', '.join(parts)}.")
        return 0
    items = service.sync.support_items()
    if args.json:
        _json([vars(item) for item in items])
        return 0
    if not items:
        _out("No support items yet: import a Maica export.")
        return 0
    _table(
        ("Support item", "Account", "Tax type", "Xero description"),
        [
            (
                _clip(item.item_number, ITEMS_CELL),
                _clip(
                    item.account_code or f"{settings.default_account_code} (default)", ITEMS_CELL
                ),
                _clip(item.tax_type or f"{settings.default_tax_type} (default)", ITEMS_CELL),
                _clip(item.xero_description or item.name, ITEMS_CELL),
            )
            for item in items
        ],
    )
    return 0


def _positive_int(text: str) -> int:
    """``--limit``: a whole number of 1 or more (argparse refuses anything else in a sentence)."""
    value = text.strip()
    if not value.isdigit() or int(value) < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a positive whole number (1 or more)")
    return int(value)


def _port_arg(text: str) -> int:
    """``sandbox serve --port``: 0 (any free port) to 65535; anything else is refused by argparse
    (the sandbox package is not imported here: it is loaded only for ``sandbox serve``)."""
    try:
        port = int(text)
    except ValueError:
        port = -1
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a port: use a whole number from 0 to 65535 (0 picks a free one)"
        )
    return port


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
    p.add_argument("--json", action="store_true", help="get: the value (and its source) as JSON")
    p = add("connect", cmd_connect, "sign in to Xero in the browser and list the organisations")
    p.add_argument("--no-browser", action="store_true", help="only print the address to open")
    p.add_argument(
        "--timeout",
        type=cli_maica.timeout_arg,
        default=DEFAULT_CONNECT_TIMEOUT_S,
        help=f"seconds to wait ({cli_maica.MIN_TIMEOUT_S}-{cli_maica.MAX_TIMEOUT_S}, default "
        f"{DEFAULT_CONNECT_TIMEOUT_S:g})",
    )
    p = add("connections", cmd_connections, "list the connected Xero organisations")
    p.add_argument("--json", action="store_true")
    p.add_argument("--cached", action="store_true", help="the saved list, without asking Xero")
    p = add("use", cmd_use, "choose the active organisation (tenant id or name)")
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
        "--state",
        choices=[state.value for state in LinkState],
    )
    p.add_argument(
        "--limit", type=_positive_int, default=None, help="at most this many (default: all)"
    )
    p = add("flows", cmd_flows, "the sync flows (config set flow NAME selects one)")
    p.add_argument("--json", action="store_true")
    p = add("sync", cmd_sync, "Run Now: push the flow's invoices to the active organisation")
    p.add_argument("--flow", help="use this flow for this run only")
    p.add_argument("--dry-run", action="store_true", help="show what would be sent; send nothing")
    p.add_argument("--json", action="store_true")
    p = add("history", cmd_history, "past runs and their outcomes")
    p.add_argument("--json", action="store_true")
    p.add_argument(
        "--limit", type=_positive_int, default=20, help="the latest this many (default: 20)"
    )
    p = add("items", cmd_items, "support items and their Xero mapping (account, tax type)")
    p.add_argument("action", nargs="?", choices=["list", "set"], default="list")
    p.add_argument("item", nargs="?")
    p.add_argument("--account-code", help='the Xero account code; "" clears it (default applies)')
    p.add_argument("--tax-type", help='the Xero tax type; "" clears it (the default applies)')
    p.add_argument("--description", help="the Xero line description (at most 4,000 characters)")
    p.add_argument("--json", action="store_true")
    add("retry", cmd_retry, "send failed invoices again on the next sync")
    add("payments", cmd_payments, "refresh payments of synced invoices from Xero")
    cli_webhooks.add_commands(sub, add)
    cli_maica.add_commands(sub, add)

    p = sub.add_parser("sandbox", help="the offline Xero for demos and tests")
    sandbox_sub = p.add_subparsers(dest="sandbox_command", metavar="COMMAND", required=True)
    s = sandbox_sub.add_parser("serve", help="serve the sandbox on 127.0.0.1")
    s.add_argument("--port", type=_port_arg, default=0, help="0 picks a free port")
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
        return _gui(["--demo"] if getattr(args, "demo", False) else [], cli=True)
    level = logging.INFO if args.verbose else logging.WARNING
    try:
        paths = app_paths()
        try:
            configure_logging(paths, console_level=level)
        except OSError as exc:
            _drop_file_log()
            raise file_problem(exc, paths.log_file) from None
        service = Service()
        if args.command != "status":  # status lists them with its other notes
            _settings_notes(service)
        code: int = args.func(service, args)
        return code
    except ImportRejected as exc:
        log.info("Import rejected: %s", exc.sentence)
        _import_rejected(exc)
        return exc.exit_code
    except MaicaXeroError as exc:
        log.info("Command failed: %s", exc.sentence)
        _err(say(exc))
        if getattr(args, "json", False):
            _json(refusal_json(exc))
        return exc.exit_code
    except KeyboardInterrupt:
        _err("Cancelled.")
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # The reader of our output went away (e.g. `| head`): the work itself is done.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
    except OSError as exc:
        if not exc.filename:
            return _unexpected()
        # One of the program's own files or folders (a lock that is a folder, a read-only disk).
        problem = file_problem(exc)
        log.info("Command failed: %s", problem.sentence)
        _err(say(problem))
        return problem.exit_code
    except Exception:
        return _unexpected()


def refusal_json(error: MaicaXeroError) -> dict[str, Any]:
    """What a ``--json`` command prints on standard output when it could not run (the same
    sentence goes to standard error): ``{"error": sentence, "remedy": kind or null,
    "exit_code": 2}`` — no key of the command's own answer, so a script tells the two apart by
    ``error``."""
    return {
        "error": say(error),
        "remedy": error.remedy.value if error.remedy is not None else None,
        "exit_code": error.exit_code,
    }


def _drop_file_log() -> None:
    """The log file cannot be written: stop logging to it (no "--- Logging error ---" later)."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        if isinstance(handler, logging.FileHandler):
            root.removeHandler(handler)
            handler.close()


def _unexpected() -> int:
    log.exception("Unexpected error")
    _err(
        "Something unexpected went wrong; nothing was changed that cannot be retried. The "
        "details are in the log file (maica-xero status shows where data lives)."
    )
    return EXIT_UNEXPECTED


def _settings_notes(service: Service) -> None:
    """What is wrong with the saved settings (a hand-edited value, a damaged file): once per
    command, on standard error before its output. The log file keeps each as a warning."""
    for message in service.settings_warnings():
        _err(f"Note: {say(message)}")


def screen_problem() -> str | None:
    """Why no window can be shown here (a few words), or None: on Linux and other X11/Wayland
    systems a display that answers is needed (or QT_QPA_PLATFORM naming another platform, such as
    offscreen). Qt itself would abort the process on a display that does not answer."""
    if sys.platform in ("win32", "darwin"):
        return None
    if not any(os.environ.get(n) for n in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")):
        return "no DISPLAY or WAYLAND_DISPLAY"
    from .gui.app import display_problem  # light: Qt loads only in gui.app.main

    return display_problem()


def _gui(argv: list[str], *, cli: bool) -> int:
    """The window: it sets up its own logging and (for the demo) its own throw-away home."""
    problem = screen_problem()
    if problem:
        hint = (
            "run maica-xero --help for the commands that work without one"
            if cli
            else "on a server, use the maica-xero commands instead (maica-xero --help)"
        )
        _err(
            f"There is no screen to show the window on ({problem}): start it "
            f"from a desktop session, or {hint}."
        )
        return 2
    try:
        from .gui.app import main as gui_app_main
    except ImportError as exc:
        _err(
            f"The desktop window cannot start: {exc}. Install the Qt libraries "
            "(see the README), or use the maica-xero commands."
        )
        return 2
    return gui_app_main(argv)


def gui_main() -> int:
    """``maica-xero-desktop``: ``--help`` and ``--version`` answer without opening a window."""
    from .gui.app import parse_arguments

    argv = sys.argv[1:]
    parse_arguments(argv)  # exits after --help / --version, before Qt is loaded
    return _gui(argv, cli=False)
