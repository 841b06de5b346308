"""``maica-xero maica …`` and ``export-updates``: the Maica org from a terminal.

``cli.build_parser`` calls :func:`add_commands` with its subparsers and its ``add`` helper. Every
command asks ``service.maica`` (core/maica_service.py) and prints its answer: a sentence and a
table for a person, or the view's own ``to_json`` with ``--json``. Exit codes follow the other
commands: 0 done, 1 done but something needs a person (a mapping problem, a record Maica refused,
a record that could not be read), 2 could not run (an error, worded by cli_wording).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Callable, Sequence
from typing import Any

from .cli_wording import say
from .core.errors import ConfigurationError
from .core.maica import (
    ExportUpdatesResult,
    MaicaStatus,
    MappingCheck,
    PullResult,
    WriteBackResult,
)
from .core.service import DEFAULT_CONNECT_TIMEOUT_S, Service
from .core.textsafe import printable

Add = Callable[[str, Callable[..., int], str], argparse.ArgumentParser]

#: Maica's own scheduled flow, which must be off while this product sends the same invoices
MAICA_OWN_FLOW = "Maica - Xero Invoice Sync Scheduled Flow"

#: how each mapping state reads in the table
STATE_WORDS = {
    "found": "found",
    "missing": "MISSING",
    "wrong_type": "WRONG TYPE",
    "not_readable": "NOT READABLE",
    "not_writable": "NOT WRITABLE",
}


#: how long a sign-in may wait for the browser (``connect`` and ``maica connect --timeout``)
MIN_TIMEOUT_S, MAX_TIMEOUT_S = 10, 3600


def timeout_arg(text: str) -> float:
    """``--timeout``: seconds from 10 to 3600 (argparse refuses anything else in a sentence)."""
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and MIN_TIMEOUT_S <= value <= MAX_TIMEOUT_S):
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a usable wait: give the seconds to wait for the sign-in, from "
            f"{MIN_TIMEOUT_S} to {MAX_TIMEOUT_S} (the default is "
            f"{DEFAULT_CONNECT_TIMEOUT_S:g})"
        )
    return value


def _out(text: object = "") -> None:
    print(printable(text), flush=True)


def _err(text: object) -> None:
    print(printable(text), file=sys.stderr, flush=True)


def _json(data: Any) -> None:
    print(json.dumps(data, indent=2, ensure_ascii=False), flush=True)


def _plural(count: int, noun: str, plural: str = "") -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {plural or noun + 's'}"


def _table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    cells = [[printable("" if c is None else c) for c in row] for row in rows]
    widths = [max([len(h), *(len(r[i]) for r in cells)]) for i, h in enumerate(headers)]
    for row in [list(headers), *cells]:
        print("  ".join(c.ljust(widths[i]) for i, c in enumerate(row)).rstrip(), flush=True)


# -- status, connect, disconnect ---------------------------------------------------------------


def _mapping_words(status: MaicaStatus) -> str:
    if status.mapping_ok is None:
        return "not checked yet (maica-xero maica check)"
    if status.mapping_ok:
        return "ok"
    return "has problems (maica-xero maica check lists them)"


def print_status(status: MaicaStatus) -> None:
    """The Maica org's lines of ``maica status`` (and of ``status``)."""
    if status.needs_reconnect:
        state = "needs reconnecting (maica-xero maica connect)"
    elif status.connected:
        state = f"connected to {status.org_name or 'the org'}"
    else:
        state = "not connected (maica-xero maica connect)"
    _out(f"Maica org:        {state}")
    if status.connected or status.needs_reconnect:
        _out(f"Instance:         {status.instance_url}")
        _out(f"Signed in as:     {status.user or 'unknown'}")
        _out(f"Namespace:        {status.namespace or 'not checked yet'}")
        _out(f"Field mapping:    {_mapping_words(status)}")
    _out(f"Login URL:        {status.login_url}")
    key = "set" if status.client_id_set else "not set (maica-xero config set sf-client-id KEY)"
    _out(f"Consumer key:     {key}")
    source = (
        "the Maica org (sync reads it first and writes Xero ids back)"
        if status.source == "maica"
        else "an imported file (maica-xero config set source maica reads the org instead)"
    )
    _out(f"Invoices from:    {source}")


def cmd_status(service: Service, args: argparse.Namespace) -> int:
    status = service.maica.status()
    if args.json:
        _json(status.to_json())
        return 0
    print_status(status)
    return 0


def cmd_connect(service: Service, args: argparse.Namespace) -> int:
    def show_url(url: str) -> None:
        _out("Open this address in a browser to sign in to the Maica org:")
        _out(url)
        _err(f"Waiting up to {args.timeout:g} s for the sign-in (Ctrl+C cancels)…")

    status = service.maica.connect(
        show_url,
        login_url=args.login_url,
        open_browser=not args.no_browser,
        timeout=args.timeout,
    )
    who = f" as {status.user}" if status.user else ""
    _out(f"Connected to the Maica org {status.org_name or status.instance_url}{who}.")
    _out(f"Instance: {status.instance_url}")
    _out("Next: check the field mapping with maica-xero maica check.")
    _out(
        f"Turn off Maica's own scheduled Xero flow (“{MAICA_OWN_FLOW}”) in the org, so that it "
        "and this program do not both send the same invoices."
    )
    return 0


def cmd_disconnect(service: Service, args: argparse.Namespace) -> int:
    before = service.maica.status()
    service.maica.disconnect()
    if before.connected or before.needs_reconnect:
        _out(
            "Disconnected from the Maica org: the sign-in was revoked and forgotten on this "
            "computer."
        )
    else:
        _out("This computer was not connected to a Maica org: nothing to disconnect.")
    if service.maica.status().source == "maica":
        _out(
            "Note: the source is still the Maica org, so sync cannot run until you connect "
            "again (maica-xero maica connect) or choose the file (maica-xero config set source "
            "file)."
        )
    return 0


# -- the mapping ------------------------------------------------------------------------------


def print_check(check: MappingCheck) -> None:
    _table(
        ("Object", "Role", "API name", "State", "Suggestion"),
        [
            (
                field.object,
                field.role + ("" if field.required else " (optional)"),
                field.api_name or "—",
                STATE_WORDS.get(field.state, field.state)
                + (" (to confirm)" if field.unconfirmed else ""),
                field.suggestion,
            )
            for field in check.fields
        ],
    )
    _out()
    if check.sentence:
        _out(say(check.sentence))
    elif check.ok:
        _out(f"The mapping is complete (namespace {check.namespace}).")
    else:
        _out("The mapping has problems: see the rows not marked found.")
    if check.unconfirmed and check.sentence:  # the sentence names them
        _out(
            "Confirm them with maica-xero maica confirm (or give another name with "
            "maica-xero maica confirm --set OBJECT.ROLE=API_NAME)."
        )
    elif check.unconfirmed:
        _out(
            f"{_plural(len(check.unconfirmed), 'field name was', 'field names were')} found by "
            f"label and {'is' if len(check.unconfirmed) == 1 else 'are'} not confirmed yet: "
            f"{', '.join(check.unconfirmed)}. Confirm them with maica-xero maica confirm (or "
            "give another name with --set OBJECT.ROLE=API_NAME)."
        )
    if check.changed_hands:
        shown = ", ".join(check.changed_hands[:10])
        more = f" and {len(check.changed_hands) - 10} more" if len(check.changed_hands) > 10 else ""
        _out(
            f"{_plural(len(check.changed_hands), 'invoice')} got a Finance External ID this "
            f"program did not write ({shown}{more}): something else sends them to Xero. Turn off "
            f"Maica's own scheduled Xero flow (“{MAICA_OWN_FLOW}”)."
        )


def cmd_check(service: Service, args: argparse.Namespace) -> int:
    check = service.maica.check(refresh=True)
    if args.json:
        _json(check.to_json())
    else:
        print_check(check)
    return 0 if check.ok else 1


def _changes(pairs: Sequence[str]) -> dict[str, str]:
    changes: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        key, value = key.strip(), value.strip()
        if not sep or "." not in key:
            raise ConfigurationError(
                f"{pair!r} is not OBJECT.ROLE=API_NAME (for example "
                "invoice.xero_invoice_number=maica_cc__Xero_Invoice_No__c, or "
                "invoice.xero_invoice_number= to go back to the default): maica-xero maica "
                "check lists the objects and roles."
            )
        changes[key] = value  # "" puts the role back to its default (or the name by label)
    return changes


def cmd_confirm(service: Service, args: argparse.Namespace) -> int:
    changes = _changes(args.set or [])
    check = service.maica.confirm_mapping(changes or None)
    if args.json:
        _json(check.to_json())
        return 0 if check.ok else 1
    print_check(check)
    reset = sorted(key for key, value in changes.items() if not value)
    if reset:
        _out(f"Back to the default (or the name found by label): {', '.join(reset)}.")
    if check.ok and not check.unconfirmed:
        _out("The field names are confirmed and saved.")
    return 0 if check.ok else 1


# -- data -------------------------------------------------------------------------------------


def pull_sentence(result: PullResult) -> str:
    how = " with a Bulk API query" if result.bulk else ""
    text = (
        f"Read {_plural(result.pulled, 'invoice')} from the Maica org{how}: {result.new} new, "
        f"{result.changed} changed, {result.unchanged} unchanged"
    )
    if result.linked_elsewhere:
        text += (
            f", {result.linked_elsewhere} already sent to Xero by something else (linked, never "
            "sent)"
        )
    return f"{text}; {_plural(result.api_calls, 'Maica API call')}."


def cmd_pull(service: Service, args: argparse.Namespace) -> int:
    result = service.maica.pull(full=args.full)
    if args.json:
        _json(result.to_json())
        return 1 if result.errors else 0
    if result.errors:
        _out(
            f"Nothing was read: {_plural(len(result.errors), 'invoice has', 'invoices have')} "
            "problems. Correct them in Maica, then pull again:"
        )
        _table(
            ("Salesforce Id", "Invoice", "Problem"),
            [(e.sf_id, e.invoice_number, e.reason) for e in result.errors],
        )
        return 1
    _out(pull_sentence(result))
    return 0


def write_back_sentence(result: WriteBackResult) -> str:
    if not (result.invoices or result.payments or result.failed):
        return "Nothing to write back to the Maica org: every Xero id and payment is there."
    return (
        f"Wrote back to the Maica org: {_plural(result.invoices, 'invoice')} (Xero id and number), "
        f"{_plural(result.payments, 'payment record')}; "
        f"{_plural(result.api_calls, 'Maica API call')}."
    )


def cmd_write_back(service: Service, args: argparse.Namespace) -> int:
    result = service.maica.write_back()
    if args.json:
        _json(result.to_json())
        return 1 if result.failed else 0
    _out(write_back_sentence(result))
    if result.failed:
        _out()
        _table(
            ("Salesforce Id", "What", "Maica's reason"),
            [(f.sf_id, f.what, f.reason) for f in result.failed],
        )
        _out("These are tried again by the next sync or write-back.")
        return 1
    return 0


def cmd_export_updates(service: Service, args: argparse.Namespace) -> int:
    result: ExportUpdatesResult = service.maica.export_updates(args.file)
    if args.json:
        _json(result.to_json())
        return 0
    _out(
        f"Wrote the updates for Maica: {_plural(result.invoices, 'invoice')} (Finance External "
        f"ID and Xero number) and {_plural(result.payments, 'payment')}, ready for Data Import "
        "Wizard or Data Loader:"
    )
    for name in result.files:
        _out(f"  {name}")
    if result.note:
        _out(result.note)
    return 0


# -- parser -----------------------------------------------------------------------------------


def add_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser], add: Add) -> None:
    p = sub.add_parser(
        "maica",
        help="the Maica org: sign in, check the field mapping, pull invoices, write back",
        description=(
            "The Maica org as the source of invoices and the destination of Xero ids and "
            "payments (config set source maica makes sync read it first)."
        ),
    )
    maica = p.add_subparsers(dest="maica_command", metavar="COMMAND", required=True)

    def add_maica(name: str, func: Callable[..., int], help_text: str) -> argparse.ArgumentParser:
        q = maica.add_parser(name, help=help_text, description=help_text)
        q.set_defaults(func=func)
        return q

    q = add_maica("connect", cmd_connect, "sign in to the Maica org in the browser")
    q.add_argument(
        "--login-url",
        help="https://login.salesforce.com (default), https://test.salesforce.com or the org's "
        "My Domain URL",
    )
    q.add_argument("--no-browser", action="store_true", help="only print the address to open")
    q.add_argument(
        "--timeout",
        type=timeout_arg,
        default=DEFAULT_CONNECT_TIMEOUT_S,
        help=f"seconds to wait ({MIN_TIMEOUT_S}-{MAX_TIMEOUT_S}, default "
        f"{DEFAULT_CONNECT_TIMEOUT_S:g})",
    )
    q = add_maica("status", cmd_status, "the Maica org's sign-in, namespace and mapping state")
    q.add_argument("--json", action="store_true")
    q = add_maica(
        "check", cmd_check, "describe the org and report every mapped field (exit 1: problems)"
    )
    q.add_argument("--json", action="store_true")
    q = add_maica(
        "confirm", cmd_confirm, "confirm the field names found by label (or set one with --set)"
    )
    q.add_argument(
        "--set",
        action="append",
        metavar="OBJECT.ROLE=API_NAME",
        help="use this API name for a mapped field (repeatable); OBJECT.ROLE= (empty) goes back "
        "to the default",
    )
    q.add_argument("--json", action="store_true")
    q = add_maica("pull", cmd_pull, "read the invoices to send from the Maica org into the store")
    q.add_argument(
        "--full",
        action="store_true",
        help="read every invoice to send again, not only those changed since the last pull",
    )
    q.add_argument("--json", action="store_true")
    q = add_maica(
        "write-back", cmd_write_back, "write Xero ids, numbers and payments back to the Maica org"
    )
    q.add_argument("--json", action="store_true")
    add_maica("disconnect", cmd_disconnect, "revoke the Maica sign-in and forget it")

    q = add(
        "export-updates",
        cmd_export_updates,
        "write import-ready CSV files of Xero ids and payments for an org without API access",
    )
    q.add_argument("file", help="where to write (the payments go in a second file beside it)")
    q.add_argument("--json", action="store_true")
