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

import logging
from bisect import bisect_right
from collections.abc import Iterator
from typing import Any

from simple_salesforce.api import Salesforce

from ..importing import parse_export, stored_numbers
from ..models import Invoice
from ..store import Store
from ..store.maica import ElsewhereRecord, PulledRecord
from .fields import LINES_KEY, Mapping
from .records import (
    LINE_COLUMNS,
    Rows,
    csv_records,
    export_csv,
    invoice_rows,
    text,
    true,
)
from .runner import Runner
from .soql import Queries, soql_datetime
from .views import PullError, PullResult

log = logging.getLogger(__name__)

#: Past this many invoices a pull uses Bulk API 2.0 query jobs instead of REST pages. Measured
#: with bench/maica_pull.py against the offline org (10,039 invoices x 3 lines): REST pages of
#: 2,000 invoices with their lines, 7 calls (count + 6 pages) in 3.8 s; two bulk jobs, 9 calls
#: (count, then create + status + one results page of up to 50,000, twice) in 7.0 s — bulk's
#: calls do not grow with N but its jobs must be polled. Equal calls near 16,000 invoices, so
#: bulk starts at 20,000 (and in a real org, where pages with child subqueries can hold fewer than
#: 2,000 records, it pays off sooner than this).
BULK_THRESHOLD = 20_000
#: one Bulk API 2.0 results page (records)
BULK_PAGE = 50_000


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
                found.extend(csv_records(str(page)))
            return found

        invoices = self.runner.run(lambda sf: read(sf, invoice_object, queries.bulk_invoices()))
        lines = self.runner.run(lambda sf: read(sf, line_object, queries.bulk_lines()))
        by_invoice: dict[str, list[dict[str, Any]]] = {}
        parent_field = m.name("line.invoice")
        for line in sorted(lines, key=lambda r: (str(r.get("Name") or ""), str(r.get("Id")))):
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
                    text(record.get(m.name("invoice.finance_external_id"))),
                    text(record.get(m.name("invoice.xero_invoice_number")))
                    if m.has("invoice.xero_invoice_number")
                    else "",
                )
            )
        return found

    # -- checking

    def _rows(self, records: list[dict[str, Any]], mark: str) -> tuple[Rows, int, str]:
        known = self.store.maica_records()
        rows = Rows()
        unchanged = 0
        new_mark = mark
        cancelled_key = self.mapping.name("invoice.cancelled")
        for record in records:
            sf_id = str(record.get("Id", ""))
            stamp = text(record.get("SystemModstamp"))
            if stamp and (not new_mark or _later(stamp, new_mark)):
                new_mark = stamp
            seen = known.get(sf_id)
            if seen is not None and seen[2] == stamp:
                unchanged += 1
                continue
            if seen is None and true(record.get(cancelled_key)):
                continue  # cancelled before this product ever read it: nothing to do
            made = invoice_rows(record, self.mapping)
            number = text(record.get(self.mapping.name("invoice.number")))
            if not made:
                log.info("Maica invoice %s (%s) has no lines to send: skipped.", number, sf_id)
                continue
            rows.records.append(PulledRecord(number, sf_id, stamp))
            for row in made:
                rows.origin.append((sf_id, number, row.pop("_line_id", "")))
                rows.rows.append(row)
        return rows, unchanged, new_mark

    def _check(self, rows: Rows) -> tuple[tuple[Invoice, ...], list[PullError]]:
        """The file import's checks on the rows: the invoices, or every problem."""
        if not rows.rows:
            return (), []
        data, starts = export_csv(rows)
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
            sf_id = line_id if problem.column in LINE_COLUMNS and line_id else invoice_id
            reason = _reason(problem.message, problem.column, self.mapping)
            if (sf_id, reason) in seen:
                continue
            seen.add((sf_id, reason))
            errors.append(PullError(sf_id, number, reason))
        return (), errors


#: the export's columns → the mapping roles they are read from
_FIELD_OF = {
    "invoice_number": "invoice.number",
    "invoice_date": "invoice.invoice_date",
    "due_date": "invoice.due_date",
    "status": "invoice.status",
    "funding_type": "invoice.funding_type",
    "participant_id": "invoice.participant",
    "participant_name": "contact.name",
    "ndis_number": "contact.ndis_number",
    "bill_to_email": "contact.email",
    "quantity": "line.quantity",
    "unit_price": "line.unit_price",
    "service_date": "line.service_date",
    "line_description": "line.description",
    "support_item_number": "support_item.number",
    "support_item_name": "support_item.name",
    "account_code": "support_item.account_code",
    "tax_type": "support_item.tax_type",
}


def _reason(message: str, column: str, mapping: Mapping) -> str:
    """The import's message in Maica's terms: the export's column named as the field it came
    from (through the participant or the support item when it is theirs), the file's advice
    made the org's."""
    key = _FIELD_OF.get(column, "")
    name = mapping.name(key) if key else ""
    via = {"contact": "invoice.participant", "support_item": "line.support_item"}.get(
        key.split(".", 1)[0]
    )
    if name and via and mapping.relations.get(via):
        name = f"{mapping.relations[via]}.{name}"
    said = (
        message.replace("every row needs one", "every line needs one")
        .replace("retype the value in Maica and export again", "retype the value in Maica")
        .replace("export again", "try again")
        .replace(" (format the column as text in Excel)", "")
    )
    if column not in LINE_COLUMNS:
        said = said.replace("every line needs one", "every invoice needs one")
    if name and column and said.startswith(column):
        return name + said[len(column) :]
    if name:
        return f"{name}: {said}"
    return said


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
