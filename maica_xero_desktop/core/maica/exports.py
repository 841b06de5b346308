"""Import-ready CSV files for an organisation without API access to its Maica org: what the
write-back would have written, for Salesforce's **Data Loader** (or the Data Import Wizard).

The files meant for Data Loader carry the values exactly as Salesforce must store them: Data
Loader never evaluates a formula, so a Xero number such as ``+SUM(1+1)`` is written as it is (no
apostrophe in front, which Data Loader would import as part of the value). Their headers are the
org's API names (the confirmed ones, else the documented ones), so Data Loader's automatic mapping
matches them; a field with no known API name (the Xero number before the administrator confirms
it) is headed by its label, and the result's ``note`` says to map it by hand. Do not open these
files in a spreadsheet and save them again: a spreadsheet would evaluate such values.

- ``FILE``: update invoices by ``Id`` — Id, Finance External ID (the Xero InvoiceID), Xero number;
- ``FILE`` with ``-payments``: upsert Payment records on their Finance External ID (the Xero
  PaymentID) — the invoice's Id, amount, date, Paid and Include (a payment removed in Xero: Paid
  and Include false);
- invoices imported from a file have no Salesforce Id: they go to ``-by-name`` files (and their
  payments to ``-payments-by-name``), keyed on the invoice's Name, to be matched to their Ids by
  hand (for example with a report of the invoices' Id and Name) before the import. These are
  read by a person, in a spreadsheet, so they are formula-safe (:mod:`..csvsafe`: a text value a
  spreadsheet would run gets a leading apostrophe, to remove once the Ids are matched).

Every file is written atomically (a temporary file renamed over the target), so an interrupted
export never leaves half a file.
"""

from __future__ import annotations

import contextlib
import csv
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path

from .. import csvsafe
from ..errors import ConfigurationError
from ..store import Store
from .fields import Mapping
from .text import API_NAME
from .views import ExportUpdatesResult


def payments_path(path: Path) -> Path:
    return path.with_name(f"{path.stem}-payments{path.suffix or '.csv'}")


def by_name_path(path: Path) -> Path:
    return path.with_name(f"{path.stem}-by-name{path.suffix or '.csv'}")


def export_updates(
    store: Store, mapping: Mapping, tenant_id: str, path: str | os.PathLike[str]
) -> ExportUpdatesResult:
    target = Path(path)
    m = mapping
    invoices = store.written_invoices(tenant_id)
    payments = store.written_payments(tenant_id)
    fei, number = m.name("invoice.finance_external_id"), m.name("invoice.xero_invoice_number")
    name = m.name("invoice.number") or "Name"
    by_id: list[list[object]] = [["Id", fei, number]]
    by_id += [[i.sf_id, i.xero_invoice_id, i.xero_invoice_number] for i in invoices if i.sf_id]
    by_name: list[list[object]] = [[name, fei, number]]
    by_name += [
        [i.invoice_number, i.xero_invoice_id, i.xero_invoice_number]
        for i in invoices
        if not i.sf_id
    ]
    payment_header: list[object] = [
        m.name("payment.finance_external_id"), m.name("payment.invoice"), m.name("payment.amount"),
        m.name("payment.date"), m.name("payment.paid"), m.name("payment.include"),
    ]  # fmt: skip
    flags = {True: "true", False: "false"}
    pay_by_id: list[list[object]] = [payment_header]
    pay_by_id += [
        [p.xero_payment_id, p.invoice_sf_id, p.amount, p.date, flags[p.included],
         flags[p.included]]
        for p in payments if p.invoice_sf_id
    ]  # fmt: skip
    pay_by_name: list[list[object]] = [
        [f"Invoice {name}", *payment_header[:1], *payment_header[2:]]
    ]
    pay_by_name += [
        [p.invoice_number, p.xero_payment_id, p.amount, p.date, flags[p.included],
         flags[p.included]]
        for p in payments if not p.invoice_sf_id
    ]  # fmt: skip
    files = [target, payments_path(target)]
    _write(target, by_id, exact=True)
    _write(files[1], pay_by_id, exact=True)
    if len(by_name) > 1 or len(pay_by_name) > 1:
        files += [by_name_path(target), by_name_path(payments_path(target))]
        _write(files[2], by_name, exact=False)
        _write(files[3], pay_by_name, exact=False)
    labels = [h for h in (fei, number) if not API_NAME.fullmatch(str(h))]
    note = (
        f"The column '{labels[0]}' is named by its label: no API name is confirmed for it yet "
        "(run the mapping check and confirm it), so map it by hand in Data Loader."
        if labels
        else ""
    )
    return ExportUpdatesResult(
        len(invoices), len(payments), tuple(str(f) for f in files), note=note
    )


def _write(path: Path, rows: Iterable[Iterable[object]], *, exact: bool) -> None:
    """``rows`` to ``path`` atomically: ``exact`` for Data Loader, else formula-safe."""
    folder = path.parent if str(path.parent) else Path(".")
    try:
        handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=folder)
    except OSError as exc:
        raise ConfigurationError(
            f"The file {path} cannot be written ({exc.strerror or exc}): choose a folder you can "
            "write to."
        ) from None
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as stream:
            if exact:
                csv.writer(stream, lineterminator="\r\n").writerows(rows)
            else:
                csvsafe.writer(stream, lineterminator="\r\n").writerows(rows)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise ConfigurationError(
            f"The file {path} cannot be written ({exc.strerror or exc}): choose a folder you can "
            "write to."
        ) from None
