"""Reading the invoices to send from the Maica org into the store.

One SOQL query: the invoices with an empty Finance External ID that are not cancelled, with their
participant (parent fields) and their lines (a child subquery) with each line's support item,
paged through ``nextRecordsUrl`` (``query_all_iter``). Past :data:`BULK_THRESHOLD` invoices (a
``SELECT COUNT()`` first) two Bulk API 2.0 query jobs are used instead — invoices, then lines with
their parent fields, since bulk queries allow no subquery — and joined here.

Incremental by ``SystemModstamp``: the org's high-water mark is stored with the pull, and the next
pull asks for ``SystemModstamp >= mark`` (ties included; a record whose Id and SystemModstamp are
already stored is skipped as unchanged). An incremental pull also reads the already-pulled
invoices that were cancelled meanwhile (so the flow stops sending them) and the ones whose Finance
External ID someone else wrote (Maica's own sync: they are linked, never sent).

Validation is the file import's, all or nothing: the records become the rows of a Maica export
(``importing.parse_export``), so the same checks apply; each bad record is reported with its
Salesforce Id and the reason, and nothing is stored when any is bad. Status eligibility stays the
flow's job.
"""

from __future__ import annotations

import csv
import io
import logging
import unicodedata
from bisect import bisect_right
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from simple_salesforce.api import Salesforce

from ..import_format import EXPORT_COLUMNS
from ..importing import parse_export, stored_numbers
from ..models import Invoice
from ..store import Store
from ..store.maica import ElsewhereRecord, PulledRecord
from .fields import LINES_KEY, Mapping
from .runner import Runner
from .views import PullError, PullResult

log = logging.getLogger(__name__)

#: Past this many invoices a pull uses Bulk API 2.0 query jobs instead of REST pages. Measured
#: with bench/maica_pull.py against the offline org (10,000 invoices x 3 lines): REST pages of
#: 2,000 invoices cost ceil(N/2000) calls (+1 count) and no waiting; two bulk jobs cost about 8
#: calls (create, poll, results pages, twice) whatever N, plus the jobs' polling time (≥ 1 s). So
#: bulk saves calls only past ~14,000 invoices and always costs latency: it starts at 20,000.
BULK_THRESHOLD = 20_000
#: one Bulk API 2.0 results page (records)
BULK_PAGE = 50_000
#: the columns of a line in the export the rows imitate (a problem there names the line's Id)
_LINE_COLUMNS = frozenset(
    {
        "support_item_number",
        "support_item_name",
        "line_description",
        "service_date",
        "quantity",
        "unit_price",
        "account_code",
        "tax_type",
    }
)

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


def soql_datetime(stamp: str) -> str:
    """A SystemModstamp as Salesforce returns it (2026-11-27T09:00:00.000+0000) as a SOQL
    datetime literal (2026-11-27T09:00:00.000Z)."""
    moment = datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%S.%f%z").astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


@dataclass(frozen=True)
class Queries:
    """The SOQL a pull sends, built from the mapping (tests read them). Every name in it is
    one ``describe`` listed (the mapping keeps no other), so nothing from outside is spliced in
    (hence the ``noqa: S608``); the only literal is a datetime this module formats."""

    mapping: Mapping
    mark: str = ""

    def _n(self, key: str) -> str:
        return self.mapping.name(key)

    def where(self, *, incremental_cancelled: bool = False) -> str:
        """The invoices to read: an empty Finance External ID, not cancelled (on an incremental
        pull cancelled ones too, which are kept only when already pulled), changed since the
        mark."""
        parts = [f"{self._n('invoice.finance_external_id')} = null"]
        if not incremental_cancelled:
            parts.append(f"{self._n('invoice.cancelled')} = false")
        if self.mark:
            parts.append(f"SystemModstamp >= {soql_datetime(self.mark)}")
        return " AND ".join(parts)

    @property
    def invoice_object(self) -> str:
        return self.mapping.objects["invoice"]

    def count(self) -> str:
        return f"SELECT COUNT() FROM {self.invoice_object} WHERE {self.where_used()}"  # noqa: S608

    def where_used(self) -> str:
        return self.where(incremental_cancelled=bool(self.mark))

    def invoice_fields(self) -> list[str]:
        m = self.mapping
        fields = ["Id", "SystemModstamp"]
        fields += [
            m.name(k)
            for k in (
                "invoice.number",
                "invoice.invoice_date",
                "invoice.due_date",
                "invoice.status",
                "invoice.cancelled",
                "invoice.participant",
                "invoice.funding_type",
            )
            if m.has(k)
        ]
        participant = m.relations.get("invoice.participant")
        if participant:
            fields += [
                f"{participant}.{m.name(k)}"
                for k in ("contact.name", "contact.email", "contact.ndis_number")
                if m.has(k)
            ]
        return _unique(fields)

    def line_fields(self, *, with_invoice: bool = False) -> list[str]:
        m = self.mapping
        fields = ["Id"]
        keys = [
            "line.quantity",
            "line.unit_price",
            "line.service_date",
            "line.gst_code",
            "line.exclude",
            "line.description",
            "line.support_item",
        ]
        if with_invoice:
            keys.insert(0, "line.invoice")
        fields += [m.name(k) for k in keys if m.has(k)]
        item = m.relations.get("line.support_item")
        if item:
            fields += [
                f"{item}.{m.name(k)}"
                for k in (
                    "support_item.number",
                    "support_item.name",
                    "support_item.description",
                    "support_item.account_code",
                    "support_item.tax_type",
                )
                if m.has(k)
            ]
        return _unique(fields)

    def invoices(self) -> str:
        """The REST query: invoices with a child subquery of their lines."""
        lines = f"(SELECT {', '.join(self.line_fields())} FROM {self._n(LINES_KEY)} ORDER BY Name)"  # noqa: S608
        return (
            f"SELECT {', '.join(self.invoice_fields())}, {lines} FROM {self.invoice_object} "  # noqa: S608
            f"WHERE {self.where_used()} ORDER BY SystemModstamp, Id"
        )

    def bulk_invoices(self) -> str:
        return (
            f"SELECT {', '.join(self.invoice_fields())} FROM {self.invoice_object} "  # noqa: S608
            f"WHERE {self.where_used()}"
        )

    def bulk_lines(self) -> str:
        """The lines of the same invoices, through the line's invoice relationship."""
        m = self.mapping
        parent = m.relations.get("line.invoice", "")
        where = " AND ".join(f"{parent}.{part}" for part in self.where_used().split(" AND "))
        return (
            f"SELECT {', '.join(self.line_fields(with_invoice=True))} "  # noqa: S608
            f"FROM {m.objects['line']} WHERE {where}"
        )

    def elsewhere(self) -> str:
        """Invoices changed since the mark whose Finance External ID is set (by anyone)."""
        m = self.mapping
        fields = ["Id", m.name("invoice.finance_external_id")]
        if m.has("invoice.xero_invoice_number"):
            fields.append(m.name("invoice.xero_invoice_number"))
        return (
            f"SELECT {', '.join(fields)} FROM {self.invoice_object} WHERE "  # noqa: S608
            f"{m.name('invoice.finance_external_id')} != null AND "
            f"SystemModstamp >= {soql_datetime(self.mark)}"
        )


def _unique(names: list[str]) -> list[str]:
    return list(dict.fromkeys(names))


# ----------------------------------------------------------------------------- records → rows


@dataclass
class _Rows:
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


def _text(value: Any) -> str:
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


def _true(value: Any) -> bool:
    return value is True or (isinstance(value, str) and value.strip().lower() == "true")


def invoice_rows(record: dict[str, Any], mapping: Mapping) -> list[dict[str, str]]:
    """One Maica invoice record (with its lines nested) as export rows, one per line that is not
    excluded (so Xero gets what Maica's totals count)."""
    m = mapping
    participant = m.relations.get("invoice.participant", "")
    contact = record.get(participant) if participant else None
    cancelled = m.has("invoice.cancelled") and _true(record.get(m.name("invoice.cancelled")))
    header = {
        "invoice_number": _text(record.get(m.name("invoice.number"))),
        "invoice_date": _text(record.get(m.name("invoice.invoice_date"))),
        "due_date": _text(record.get(m.name("invoice.due_date"))) if m.has("invoice.due_date")
        else "",
        "status": "Cancelled" if cancelled else _text(record.get(m.name("invoice.status"))),
        "funding_type": _text(record.get(m.name("invoice.funding_type"))),
        "participant_id": _text(record.get(m.name("invoice.participant"))),
        "participant_name": _text(_get(contact, m.name("contact.name"))),
        "ndis_number": _text(_get(contact, m.name("contact.ndis_number")))
        if m.has("contact.ndis_number")
        else "",
        "bill_to_name": "",
        "bill_to_email": _text(_get(contact, m.name("contact.email")))
        if m.has("contact.email")
        else "",
        "currency": "AUD",
    }  # fmt: skip
    rows = []
    for line in _lines(record, m):
        if m.has("line.exclude") and _true(line.get(m.name("line.exclude"))):
            continue
        rows.append({**header, **line_values(line, m), "_line_id": _text(line.get("Id"))})
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
        return _text(_get(item, m.name(key))) if m.has(key) else ""

    name = of_item("support_item.name")
    description = _text(line.get(m.name("line.description"))) if m.has("line.description") else ""
    tax = tax_code(of_item("support_item.tax_type"))
    if not tax and m.has("line.gst_code"):
        tax = GST_CODES.get(_text(line.get(m.name("line.gst_code"))).upper(), "")
    return {
        "support_item_number": of_item("support_item.number"),
        "support_item_name": name,
        "line_description": description or of_item("support_item.description") or name,
        "service_date": _text(line.get(m.name("line.service_date")))
        if m.has("line.service_date")
        else "",
        "quantity": _text(line.get(m.name("line.quantity"))),
        "unit_price": _text(line.get(m.name("line.unit_price"))),
        "account_code": of_item("support_item.account_code"),
        "tax_type": tax,
        "tracking_1": "",
        "tracking_2": "",
    }


def _export(rows: _Rows) -> tuple[bytes, list[int]]:
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


# ----------------------------------------------------------------------------- the pull


class Puller:
    """One pull: read, validate, store (all or nothing). Never writes to the org."""

    def __init__(
        self,
        runner: Runner,
        store: Store,
        mapping: Mapping,
        org: str,
        tenant_id: str,
        *,
        bulk_threshold: int = BULK_THRESHOLD,
        bulk_wait: int = 1,
    ) -> None:
        self.runner = runner
        self.store = store
        self.mapping = mapping
        self.org = org
        self.tenant_id = tenant_id
        self.bulk_threshold = bulk_threshold
        self.bulk_wait = bulk_wait

    def pull(self) -> PullResult:
        calls_before = self.runner.calls
        mark = self.store.maica_mark(self.org)
        queries = Queries(self.mapping, mark)
        count = int(self.runner.run(lambda sf: sf.query(queries.count()))["totalSize"])
        bulk = count > self.bulk_threshold
        if bulk:
            records = self._bulk(queries)
        else:
            records = self.runner.run(lambda sf: list(_rest(sf, queries.invoices(), self.mapping)))
        elsewhere = self._elsewhere(queries) if mark else []
        rows, unchanged, new_mark = self._rows(records, mark)
        invoices, errors = self._check(rows)
        calls = self.runner.calls - calls_before
        if errors:
            return PullResult(
                pulled=len(records),
                new=0,
                changed=0,
                unchanged=unchanged,
                linked_elsewhere=0,
                errors=tuple(errors),
                api_calls=calls,
                bulk=bulk,
            )
        summary, linked = self.store.store_pull(
            self.org, invoices, rows.records, new_mark, self.tenant_id, elsewhere
        )
        log.info(
            "Pulled %d invoices from the Maica org (%d new, %d changed, %d unchanged) in %d calls.",
            len(records),
            summary.new,
            summary.updated + summary.flagged,
            unchanged + summary.unchanged,
            calls,
        )
        return PullResult(
            pulled=len(records),
            new=summary.new,
            changed=summary.updated + summary.flagged,
            unchanged=unchanged + summary.unchanged,
            linked_elsewhere=linked,
            errors=(),
            api_calls=calls,
            bulk=bulk,
        )

    # -- reading

    def _bulk(self, queries: Queries) -> list[dict[str, Any]]:
        m = self.mapping
        invoice_object = m.objects["invoice"]
        line_object = m.objects["line"]
        wait = self.bulk_wait

        def read(sf: Salesforce, obj: str, soql: str) -> list[dict[str, Any]]:
            handler = getattr(sf.bulk2, obj)
            found: list[dict[str, Any]] = []
            for page in handler.query(soql, max_records=BULK_PAGE, wait=wait):
                found.extend(_csv_records(str(page)))
            return found

        invoices = self.runner.run(lambda sf: read(sf, invoice_object, queries.bulk_invoices()))
        lines = self.runner.run(lambda sf: read(sf, line_object, queries.bulk_lines()))
        by_invoice: dict[str, list[dict[str, Any]]] = {}
        parent_field = m.name("line.invoice")
        for line in sorted(lines, key=lambda r: str(r.get("Id", ""))):
            by_invoice.setdefault(str(line.get(parent_field) or ""), []).append(line)
        for record in invoices:
            children = by_invoice.get(str(record.get("Id")), [])
            record[m.name(LINES_KEY)] = {"totalSize": len(children), "done": True,
                                         "records": children}  # fmt: skip
        invoices.sort(key=lambda r: (str(r.get("SystemModstamp", "")), str(r.get("Id", ""))))
        return invoices

    def _elsewhere(self, queries: Queries) -> list[ElsewhereRecord]:
        m = self.mapping
        records = self.runner.run(lambda sf: list(sf.query_all_iter(queries.elsewhere())))
        known = self.store.maica_records()
        found = []
        for record in records:
            sf_id = str(record.get("Id", ""))
            if sf_id not in known:
                continue
            found.append(
                ElsewhereRecord(
                    sf_id,
                    _text(record.get(m.name("invoice.finance_external_id"))),
                    _text(record.get(m.name("invoice.xero_invoice_number")))
                    if m.has("invoice.xero_invoice_number")
                    else "",
                )
            )
        return found

    # -- checking

    def _rows(self, records: list[dict[str, Any]], mark: str) -> tuple[_Rows, int, str]:
        known = self.store.maica_records()
        rows = _Rows()
        unchanged = 0
        new_mark = mark
        cancelled_key = self.mapping.name("invoice.cancelled")
        for record in records:
            sf_id = str(record.get("Id", ""))
            stamp = _text(record.get("SystemModstamp"))
            if stamp and (not new_mark or _later(stamp, new_mark)):
                new_mark = stamp
            seen = known.get(sf_id)
            if seen is not None and seen[2] == stamp:
                unchanged += 1
                continue
            if seen is None and _true(record.get(cancelled_key)):
                continue  # cancelled before this product ever read it: nothing to do
            made = invoice_rows(record, self.mapping)
            number = _text(record.get(self.mapping.name("invoice.number")))
            if not made:
                log.info("Maica invoice %s (%s) has no lines to send: skipped.", number, sf_id)
                continue
            rows.records.append(PulledRecord(number, sf_id, stamp))
            for row in made:
                rows.origin.append((sf_id, number, row.pop("_line_id", "")))
                rows.rows.append(row)
        return rows, unchanged, new_mark

    def _check(self, rows: _Rows) -> tuple[tuple[Invoice, ...], list[PullError]]:
        """The file import's checks on the rows: the invoices, or every problem."""
        if not rows.rows:
            return (), []
        data, starts = _export(rows)
        parsed = parse_export(data, stored=stored_numbers(self.store.db))
        if parsed.ok:
            return parsed.invoices, []
        errors: list[PullError] = []
        seen: set[tuple[str, str]] = set()
        for problem in parsed.errors:
            index = bisect_right(starts, problem.line) - 1 if problem.line else -1
            if index < 0:
                errors.append(PullError("", "", problem.message))
                continue
            invoice_id, number, line_id = rows.origin[index]
            sf_id = line_id if problem.column in _LINE_COLUMNS and line_id else invoice_id
            reason = _reason(problem.message, problem.column, self.mapping)
            if (sf_id, reason) in seen:
                continue
            seen.add((sf_id, reason))
            errors.append(PullError(sf_id, number, reason))
        return (), errors


def _reason(message: str, column: str, mapping: Mapping) -> str:
    """The import's message, with the export's column named as the Maica field it came from."""
    field_of = {
        "invoice_date": "invoice.invoice_date",
        "due_date": "invoice.due_date",
        "funding_type": "invoice.funding_type",
        "participant_id": "invoice.participant",
        "quantity": "line.quantity",
        "unit_price": "line.unit_price",
        "service_date": "line.service_date",
        "support_item_number": "support_item.number",
        "ndis_number": "contact.ndis_number",
        "bill_to_email": "contact.email",
        "line_description": "line.description",
    }.get(column)
    text = message.replace("export again", "try again").replace(
        "(format the column as text in Excel)", ""
    )
    if field_of and mapping.has(field_of):
        return f"{mapping.name(field_of)}: {text}"
    return text


def _later(a: str, b: str) -> bool:
    try:
        return soql_datetime(a) > soql_datetime(b)
    except ValueError:
        return a > b


def _rest(sf: Salesforce, soql: str, mapping: Mapping) -> Iterator[dict[str, Any]]:
    """Every invoice of ``soql``, page by page, with each invoice's lines complete (a child
    subquery that did not fit is followed through its own ``nextRecordsUrl``)."""
    key = mapping.name(LINES_KEY)
    for record in sf.query_all_iter(soql):
        nested = record.get(key)
        if isinstance(nested, dict) and not nested.get("done", True):
            children = list(nested.get("records") or [])
            more = nested
            while not more.get("done", True) and more.get("nextRecordsUrl"):
                more = sf.query_more(more["nextRecordsUrl"], identifier_is_url=True)
                children.extend(more.get("records") or [])
            record[key] = {"totalSize": len(children), "done": True, "records": children}
        yield record


def _csv_records(page: str) -> Iterable[dict[str, Any]]:
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
