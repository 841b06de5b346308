"""Maica records as the rows of a Maica export: an invoice with its participant and its lines
(nested, as the REST API answers; or as a Bulk API 2.0 CSV page makes them), so the file import's
own checks apply to them. Excluded lines are left out; a line's description is its own, else its
support item's Xero description, else its name; a tax type label becomes Xero's code; an NDIS GST
code gives a tax type when the support item names none."""

from __future__ import annotations

import csv
import io
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from ..import_format import EXPORT_COLUMNS
from ..store.maica import PulledRecord
from .fields import LINES_KEY, Mapping

#: Xero's tax rate names as Maica's support items may hold them → the TaxType codes
TAX_LABELS = {
    "gst free income": "EXEMPTOUTPUT",
    "gst on income": "OUTPUT",
    "bas excluded": "BASEXCLUDED",
    "gst free expenses": "EXEMPTEXPENSES",
    "gst on expenses": "INPUT",
    "gst free exports": "EXEMPTEXPORT",
    "gst free capital": "EXEMPTCAPITAL",
    "gst on capital": "CAPEXINPUT",
    "gst on imports": "GSTONIMPORTS",
    "input taxed": "INPUTTAXED",
    "no gst": "NONE",
}
#: NDIS GST codes (P1 taxable, P2 GST-free, P5 out of scope) → a tax type, when the support
#: item names none
GST_CODES = {"P1": "OUTPUT", "P2": "EXEMPTOUTPUT", "P5": "BASEXCLUDED"}


def tax_code(value: str | None) -> str:
    """A support item's tax type as Xero's code: a label ("GST Free Income") is translated, a
    code ("EXEMPTOUTPUT") is kept."""
    text = " ".join(unicodedata.normalize("NFKC", value or "").split())
    if not text:
        return ""
    return TAX_LABELS.get(text.casefold().replace("-", " "), text)


@dataclass
class Rows:
    """The pulled records as the rows of a Maica export, and where each came from."""

    rows: list[dict[str, str]] = field(default_factory=list)
    #: per row: (invoice Salesforce Id, invoice number, line Salesforce Id)
    origin: list[tuple[str, str, str]] = field(default_factory=list)
    records: list[PulledRecord] = field(default_factory=list)


def _get(record: dict[str, Any] | None, path: str) -> Any:
    """A field of a record, following ``Rel__r.Field`` through parent records."""
    value: Any = record
    for part in path.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        try:
            return format(Decimal(repr(value)).normalize(), "f")
        except InvalidOperation:
            return str(value)
    return str(value).strip()


def true(value: Any) -> bool:
    return value is True or (isinstance(value, str) and value.strip().lower() == "true")


def invoice_rows(record: dict[str, Any], mapping: Mapping) -> list[dict[str, str]]:
    """One Maica invoice record (with its lines nested) as export rows, one per line that is not
    excluded (so Xero gets what Maica's totals count)."""
    m = mapping
    participant = m.relations.get("invoice.participant", "")
    contact = record.get(participant) if participant else None
    cancelled = m.has("invoice.cancelled") and true(record.get(m.name("invoice.cancelled")))
    header = {
        "invoice_number": text(record.get(m.name("invoice.number"))),
        "invoice_date": text(record.get(m.name("invoice.invoice_date"))),
        "due_date": text(record.get(m.name("invoice.due_date"))) if m.has("invoice.due_date")
        else "",
        "status": "Cancelled" if cancelled else text(record.get(m.name("invoice.status"))),
        "funding_type": text(record.get(m.name("invoice.funding_type"))),
        "participant_id": text(record.get(m.name("invoice.participant"))),
        "participant_name": text(_get(contact, m.name("contact.name"))),
        "ndis_number": text(_get(contact, m.name("contact.ndis_number")))
        if m.has("contact.ndis_number")
        else "",
        "bill_to_name": "",
        "bill_to_email": text(_get(contact, m.name("contact.email")))
        if m.has("contact.email")
        else "",
        "currency": "AUD",
    }  # fmt: skip
    rows = []
    for line in _lines(record, m):
        if m.has("line.exclude") and true(line.get(m.name("line.exclude"))):
            continue
        rows.append({**header, **line_values(line, m), "_line_id": text(line.get("Id"))})
    return rows


def _lines(record: dict[str, Any], m: Mapping) -> list[dict[str, Any]]:
    nested = record.get(m.name(LINES_KEY))
    if not isinstance(nested, dict):
        return []
    records = nested.get("records") or []
    return [r for r in records if isinstance(r, dict)]


def line_values(line: dict[str, Any], m: Mapping) -> dict[str, str]:
    """A line record's export columns: its support item's number and name, the description
    (the line's own, else the support item's Xero description, else its name), the account code
    and the tax type (the support item's, a label made a code; else from the NDIS GST code)."""
    item_rel = m.relations.get("line.support_item", "")
    item = line.get(item_rel) if item_rel else None

    def of_item(key: str) -> str:
        return text(_get(item, m.name(key))) if m.has(key) else ""

    name = of_item("support_item.name")
    description = text(line.get(m.name("line.description"))) if m.has("line.description") else ""
    tax = tax_code(of_item("support_item.tax_type"))
    if not tax and m.has("line.gst_code"):
        tax = GST_CODES.get(text(line.get(m.name("line.gst_code"))).upper(), "")
    return {
        "support_item_number": of_item("support_item.number"),
        "support_item_name": name,
        "line_description": description or of_item("support_item.description") or name,
        "service_date": text(line.get(m.name("line.service_date")))
        if m.has("line.service_date")
        else "",
        "quantity": text(line.get(m.name("line.quantity"))),
        "unit_price": text(line.get(m.name("line.unit_price"))),
        "account_code": of_item("support_item.account_code"),
        "tax_type": tax,
        "tracking_1": "",
        "tracking_2": "",
    }


def export_csv(rows: Rows) -> tuple[bytes, list[int]]:
    """The rows as a CSV export, and the physical line each row starts on (header = 1)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(EXPORT_COLUMNS)
    starts = []
    line = 2
    for row in rows.rows:
        piece = io.StringIO()
        csv.writer(piece, lineterminator="\n").writerow([row.get(c, "") for c in EXPORT_COLUMNS])
        text = piece.getvalue()
        starts.append(line)
        line += text.count("\n")
        out.write(text)
    return out.getvalue().encode("utf-8"), starts


def csv_records(page: str) -> Iterable[dict[str, Any]]:
    """A Bulk API 2.0 results page (CSV; ``Rel__r.Field`` columns) as nested records, with
    empty values as null (as the REST API gives them)."""
    reader = csv.reader(io.StringIO(page))
    header = next(reader, None)
    if not header:
        return []
    paths = [column.split(".") for column in header]
    found = []
    for values in reader:
        record: dict[str, Any] = {}
        for path, value in zip(paths, values, strict=False):
            target = record
            for part in path[:-1]:
                nested = target.get(part)
                if not isinstance(nested, dict):
                    nested = target[part] = {}
                target = nested
            target[path[-1]] = value if value != "" else None
        found.append(record)
    return found


def gst_contradictions(
    record: dict[str, Any], mapping: Mapping, rate: Callable[[str], Decimal]
) -> list[str]:
    """The lines (not excluded) whose NDIS GST code and support item tax type disagree: a P1
    (taxable) line on a support item whose tax type carries no GST, or a P2 (GST-free) or P5
    (out of scope) one whose tax type does. Maica's own totals follow the GST code; Xero's
    follow the tax type (as Maica's own sync sends it), so the two totals part."""
    m = mapping
    if not m.has("line.gst_code"):
        return []
    item_rel = m.relations.get("line.support_item", "")
    found = []
    for line in _lines(record, m):
        if m.has("line.exclude") and true(line.get(m.name("line.exclude"))):
            continue
        code = text(line.get(m.name("line.gst_code"))).upper()
        item = line.get(item_rel) if item_rel else None
        tax = (
            tax_code(text(_get(item, m.name("support_item.tax_type"))))
            if m.has("support_item.tax_type")
            else ""
        )
        if not code or not tax:
            continue
        name = text(line.get("Name")) or text(line.get("Id"))
        if code == "P1" and rate(tax) == 0:
            found.append(
                f"line {name} is P1 (taxable) in Maica but its support item's tax type {tax} "
                "carries no GST"
            )
        elif code in ("P2", "P5") and rate(tax) != 0:
            found.append(
                f"line {name} is {code} (GST-free) in Maica but its support item's tax type "
                f"{tax} carries GST"
            )
    return found
