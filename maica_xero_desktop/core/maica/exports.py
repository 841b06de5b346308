"""Import-ready CSV files for an organisation without API access to its Maica org: what the
write-back would have written, for Salesforce's Data Import Wizard or Data Loader.

Two files: ``FILE`` — one row per invoice Xero confirmed (the invoice's Salesforce Id, its Finance
External ID = the Xero InvoiceID, and the Xero number, under the org's own API names) — and
``FILE`` with ``-payments`` before the extension — one row per Xero payment (its Finance External
ID = the Xero PaymentID, for an upsert; the invoice's Salesforce Id; amount, date, Paid and
Include; a payment removed in Xero has Paid and Include false). Written through
:mod:`..csvsafe` (no cell a spreadsheet would run as a formula) and atomically (a temporary file
renamed over the target), so an interrupted export never leaves half a file.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path

from .. import csvsafe
from ..errors import ConfigurationError
from ..store import Store
from .fields import Mapping
from .views import ExportUpdatesResult


def payments_path(path: Path) -> Path:
    return path.with_name(f"{path.stem}-payments{path.suffix or '.csv'}")


def export_updates(
    store: Store, mapping: Mapping, tenant_id: str, path: str | os.PathLike[str]
) -> ExportUpdatesResult:
    target = Path(path)
    m = mapping
    invoices = store.written_invoices(tenant_id)
    payments = store.written_payments(tenant_id)
    invoice_rows: list[list[object]] = [
        ["Id", m.name("invoice.number") or "Name", m.name("invoice.finance_external_id"),
         m.name("invoice.xero_invoice_number")]
    ]  # fmt: skip
    invoice_rows += [
        [i.sf_id, i.invoice_number, i.xero_invoice_id, i.xero_invoice_number] for i in invoices
    ]
    payment_rows: list[list[object]] = [
        [m.name("payment.finance_external_id"), "Id", m.name("payment.invoice"),
         "Invoice Number", m.name("payment.amount"), m.name("payment.date"),
         m.name("payment.paid"), m.name("payment.include")]
    ]  # fmt: skip
    payment_rows += [
        [p.xero_payment_id, p.sf_id, p.invoice_sf_id, p.invoice_number, p.amount, p.date,
         "true" if p.included else "false", "true" if p.included else "false"]
        for p in payments
    ]  # fmt: skip
    second = payments_path(target)
    _write(target, invoice_rows)
    _write(second, payment_rows)
    return ExportUpdatesResult(len(invoices), len(payments), (str(target), str(second)))


def _write(path: Path, rows: Iterable[Iterable[object]]) -> None:
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
