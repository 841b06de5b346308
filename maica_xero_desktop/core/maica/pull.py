"""Reading the invoices to send from the Maica org into the store.

One SOQL query: the invoices with an empty Finance External ID that are not cancelled, with their
participant (parent fields) and their lines (a child subquery) with each line's support item,
paged through ``nextRecordsUrl`` (``query_all_iter``). Past :data:`BULK_THRESHOLD` invoices (a
``SELECT COUNT()`` first) two Bulk API 2.0 query jobs are used instead — invoices, then lines with
their parent fields, since bulk queries allow no subquery — and joined here.

Incremental by ``SystemModstamp``: the org's high-water mark is stored with the pull, and the next
pull asks for ``SystemModstamp >=`` the mark less a look-back window (:data:`.soql.LOOK_BACK`,
15 minutes: a long Salesforce transaction commits records stamped before the last pull); a record
whose Id and SystemModstamp are already stored is skipped as unchanged. Stamps are stored and
compared in one form (REST's ``+0000`` and a bulk CSV's ``Z`` are the same moment). An
incremental pull also reads the already-pulled invoices that were cancelled meanwhile (so the flow
stops sending them), the ones whose Finance External ID someone else wrote (Maica's own sync: they
are linked, never sent; a sync looks the id up in Xero first), and — by Id, 200 a query, whatever
their stamp — the pulled invoices still to send (pending, blocked, failed): a change to their
support item or participant does not touch their own stamp, so "fix it in Maica" works. A full
pull (``full``) ignores the mark and stores every invoice to send again.

Validation is the file import's, all or nothing: the records become the rows of a Maica export
(``importing.parse_export``), so the same checks apply; each bad record is reported with its
Salesforce Id and the reason, and nothing is stored when any is bad. Status eligibility stays the
flow's job. Beyond the file's checks, a pull refuses what only an org can send: an invoice with no
line to send (none, or every one excluded), two invoices with one number (or a number an invoice
already pulled from another record has), an Id or a ``SystemModstamp`` that is not one. A problem
the import words with a row of its file ("repeats line 12") names the Salesforce record instead.

A record is stored on the invoice pulled from it before (by Salesforce Id, so a record renumbered
before it was sent keeps its invoice), else on a new number; never on an invoice that Xero has
from other content — one imported from a file (refused, both sides named, unless it is the same
invoice: same participant and total) — and never renumbered once in Xero. Maica's own total
(``Total_Amount__c``) is compared with the total this product sends (:mod:`..totals`): more than
a cent apart refuses the record with both figures, naming any line whose NDIS GST code (P1
taxable, P2 GST-free, P5 out of scope: what Maica's total follows) contradicts its support item's
tax type (what Xero gets, as Maica's own sync sends it).
Every text from the org that reaches a reason or a log is cleaned (:func:`.text.outside`).
"""

from __future__ import annotations

import logging
import re
import unicodedata
from bisect import bisect_right
from collections.abc import Callable, Iterator
from decimal import Decimal, InvalidOperation
from typing import Any

from simple_salesforce.api import Salesforce

from ..import_format import LINE_COLUMNS
from ..importing import parse_export, stored_numbers
from ..models import Invoice
from ..store import Store
from ..store.invoice_import import invoice_total, sync_fingerprint
from ..store.maica import ElsewhereRecord, NumberHolder, PulledRecord
from ..totals import CENT, Pricing
from .fields import LINES_KEY, Mapping
from .records import (
    Rows,
    csv_records,
    export_csv,
    gst_contradictions,
    invoice_rows,
    text,
    true,
)
from .runner import Runner
from .soql import IDS_PER_QUERY, Queries, soql_datetime
from .text import outside, record_id
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
        full: bool = False,
        pricing: Pricing | None = None,
        since: str = "",
    ) -> None:
        self.runner = runner
        self.store = store
        self.mapping = mapping
        self.org = org
        self.tenant_id = tenant_id
        self.bulk_threshold = bulk_threshold
        self.bulk_wait = bulk_wait
        #: read every invoice to send, whatever the mark, and store each again
        self.full = full
        #: how the totals sent to Xero are computed (the settings' line amount type and the
        #: organisation's rates); the store's, Exclusive, when not given
        self.pricing = pricing
        #: the earliest invoice date read (the maica-since setting; "" = every invoice)
        self.since = since

    def pull(self) -> PullResult:
        calls_before = self.runner.calls
        stored_mark = self.store.maica_mark(self.org)
        mark = "" if self.full else stored_mark
        queries = Queries(self.mapping, mark, self.since)
        count = int(self.runner.run(lambda sf: sf.query(queries.count()))["totalSize"])
        bulk = count > self.bulk_threshold
        if bulk:
            records = self._bulk(queries)
        else:
            records = self.runner.run(lambda sf: list(_rest(sf, queries.invoices(), self.mapping)))
        fresh: set[str] = set()
        if mark:  # the unsent ones again: their support items or participant may have changed
            records, fresh = self._unsent(queries, records)
        # invoices whose Finance External ID someone else wrote since the stored mark: looked for
        # on a full pull too, which would otherwise move the mark past them (and send them again)
        since_mark = queries if mark else Queries(self.mapping, stored_mark, self.since)
        elsewhere = self._elsewhere(since_mark) if stored_mark else []
        rows, unchanged, new_mark, errors = self._rows(records, stored_mark, fresh)
        invoices, problems = self._check(rows)
        errors += problems
        if not errors:
            errors += self._holders(invoices, rows)
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

    def _unsent(
        self, queries: Queries, records: list[dict[str, Any]]
    ) -> tuple[list[dict[str, Any]], set[str]]:
        """The records read, plus the pulled invoices still to send (pending, blocked, failed)
        the incremental query did not bring, read by Id (200 a query); returns the records and
        the Ids to store again even when their SystemModstamp did not move."""
        read = {str(r.get("Id", "")) for r in records}
        waiting = [i for i in self.store.maica_unsent(self.tenant_id) if record_id(i)]
        wanted = [i for i in waiting if i not in read]
        more: list[dict[str, Any]] = []
        for start in range(0, len(wanted), IDS_PER_QUERY):
            chunk = wanted[start : start + IDS_PER_QUERY]
            more += self.runner.run(_reader(queries.invoices_by_id(chunk), self.mapping))
        found = {record_id(r.get("Id")) for r in more}
        missing = [i for i in wanted if record_id(i) not in found]
        if missing:  # deleted in Maica, or its Finance External ID set (the elsewhere check's)
            self._mark_gone(queries, missing)
        return records + more, set(waiting)

    def _mark_gone(self, queries: Queries, missing: list[str]) -> None:
        """Of the waiting invoices the re-read did not bring, those no longer in the org at all
        (deleted, or hidden from the API user) are marked, so they are never sent."""
        present: set[str] = set()
        for start in range(0, len(missing), IDS_PER_QUERY):
            chunk = missing[start : start + IDS_PER_QUERY]
            present |= {
                record_id(r.get("Id")) for r in self.runner.run(_ids(queries.ids_present(chunk)))
            }
        gone = [i for i in missing if record_id(i) not in present]
        if gone and self.store.mark_maica_gone(gone):
            log.warning(
                "%d invoice(s) read from the Maica org are no longer there (deleted, or hidden "
                "from the API user): they are not sent.",
                len(gone),
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
                    outside(record.get(m.name("invoice.finance_external_id")), 255),
                    outside(record.get(m.name("invoice.xero_invoice_number")), 255)
                    if m.has("invoice.xero_invoice_number")
                    else "",
                )
            )
        return found

    # -- checking

    def _rows(
        self, records: list[dict[str, Any]], mark: str, fresh: set[str] | None = None
    ) -> tuple[Rows, int, str, list[PullError]]:
        """The records as export rows (``fresh``: Ids stored again even when unchanged; a full
        pull stores every one again), the count of unchanged ones skipped, the new mark, and
        the problems only an org can have."""
        known = self.store.maica_records()
        owner = {number: sf_id for sf_id, (_, number, _) in known.items()}
        self._totals: dict[str, dict[str, Any]] = {}
        rows = Rows()
        errors: list[PullError] = []
        unchanged = 0
        new_mark = mark
        cancelled_key = self.mapping.name("invoice.cancelled")
        taken: dict[str, str] = {}  # invoice number -> the record of this pull that has it
        for record in records:
            sf_id = record_id(record.get("Id"))
            stamp = text(record.get("SystemModstamp"))
            number = _number(record.get(self.mapping.name("invoice.number")))
            shown = outside(number, 80)
            if not sf_id or not _stamp_ok(stamp):
                errors.append(
                    PullError(
                        outside(record.get("Id"), 40),
                        shown,
                        "the Maica org sent this invoice without a valid Id or SystemModstamp; "
                        "try again, and tell the Maica administrator if it stays",
                    )
                )
                continue
            stamp = soql_datetime(stamp)  # REST's +0000 and bulk's Z stored and compared alike
            if not new_mark or _later(stamp, new_mark):
                new_mark = stamp
            seen = known.get(sf_id)
            again = self.full or (fresh is not None and sf_id in fresh)
            if seen is not None and _same_stamp(seen[2], stamp) and not again:
                unchanged += 1
                continue
            self._totals[sf_id] = record
            cancelled = true(record.get(cancelled_key))
            if seen is None and cancelled:
                continue  # cancelled before this product ever read it: nothing to do
            made = invoice_rows(record, self.mapping)
            if not made:
                if cancelled:  # cancelled and emptied: nothing left to send or withdraw
                    log.info("Maica invoice %s (%s) is cancelled and has no lines.", shown, sf_id)
                    continue
                errors.append(
                    PullError(
                        sf_id,
                        shown,
                        "this invoice has no line to send (none, or every line is excluded): "
                        "add its lines in Maica, or cancel it",
                    )
                )
                continue
            other = taken.get(number) or (
                owner[number] if number and owner.get(number, sf_id) != sf_id else ""
            )
            if other:
                errors.append(
                    PullError(
                        sf_id,
                        shown,
                        f"another Maica invoice ({other}) has the same number {shown}: Xero "
                        "needs one invoice per number, so renumber one of them in Maica",
                    )
                )
                continue
            if number:
                taken[number] = sf_id
            rows.records.append(PulledRecord(number, sf_id, stamp))
            for row in made:
                rows.origin.append((sf_id, number, row.pop("_line_id", "")))
                rows.rows.append(row)
        return rows, unchanged, new_mark, errors

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
                errors.append(PullError("", "", outside(problem.message, 500)))
                continue
            invoice_id, number, line_id = rows.origin[index]
            sf_id = line_id if problem.column in LINE_COLUMNS and line_id else invoice_id
            if not problem.column and problem.message.startswith("this line") and line_id:
                sf_id = line_id  # a duplicated line: named by its own Id

            def record_at(match: re.Match[str], invoice_id: str = invoice_id) -> str:
                at = bisect_right(starts, int(match.group(1))) - 1
                if at < 0:
                    return match.group(0)
                other_invoice, other_number, other_line = rows.origin[at]
                if other_invoice == invoice_id and other_line:
                    return f"line {other_line}"
                return f"the Maica invoice {other_invoice} ({outside(other_number, 80)})"

            message = _ROW.sub(record_at, problem.message)
            reason = _reason(message, problem.column, self.mapping)
            if (sf_id, reason) in seen:
                continue
            seen.add((sf_id, reason))
            errors.append(PullError(sf_id, outside(number, 80), outside(reason, 500)))
        return (), errors

    def _holders(self, invoices: tuple[Invoice, ...], rows: Rows) -> list[PullError]:
        """What the store already holds under each record's number, and Maica's own total: a
        record is stored only on the invoice pulled from it before, or on a new number, or on
        an invoice of the same content imported from a file; never on one Xero has from other
        content (it would inherit that invoice's link), never renumbered once in Xero, and never
        when the total sent to Xero would differ from Maica's."""
        by_number = {i.invoice_number: i for i in invoices}
        known = self.store.maica_records()
        holders = self.store.number_holders(
            [r.invoice_number for r in rows.records]
            + [known[r.sf_id][1] for r in rows.records if r.sf_id in known]
        )
        pricing = self.pricing or self.store.pricing(self.tenant_id)
        errors: list[PullError] = []
        for record in rows.records:
            invoice = by_number.get(record.invoice_number)
            if invoice is None:
                continue
            shown = outside(record.invoice_number, 80)
            ours = known.get(record.sf_id)
            holder = holders.get(record.invoice_number)
            total = pricing.totals(invoice).total
            if ours is not None and ours[1] != record.invoice_number:
                before = holders.get(ours[1])
                if before is not None and before.sent_fingerprints:
                    xero = before.xero_numbers[0] if before.xero_numbers else ours[1]
                    errors.append(PullError(record.sf_id, shown, (
                        f"this invoice was renumbered in Maica (it was {outside(ours[1], 80)} "
                        f"when this program sent it to Xero as {outside(xero, 80)}): give it its "
                        "number back in Maica, since Xero keeps the number it was sent with"
                    )))  # fmt: skip
                    continue
                if holder is not None and holder.invoice_id != ours[0]:
                    errors.append(PullError(record.sf_id, shown, (
                        f"this invoice was renumbered in Maica to {shown}, a number another "
                        "invoice here already has: renumber one of them in Maica"
                    )))  # fmt: skip
                    continue
            elif (
                ours is None
                and holder is not None
                and not holder.sf_id
                and holder.sent_fingerprints
                and not _same_invoice(invoice, holder, total)
            ):
                xero = holder.xero_numbers[0] if holder.xero_numbers else shown
                errors.append(PullError(record.sf_id, shown, (
                    f"the number {shown} is already in Xero ({outside(xero, 80)}) for another "
                    f"invoice, imported from a file: {outside(holder.participant_name, 80)}, "
                    f"{holder.total}; this record is {outside(invoice.participant_name, 80)}, "
                    f"{total}. Renumber this invoice in Maica (Xero keeps one invoice per "
                    "number); it is never linked to the other one"
                )))  # fmt: skip
                continue
            errors += self._total_problem(record, invoice, total, pricing)
        return errors

    def _total_problem(
        self, record: PulledRecord, invoice: Invoice, total: Decimal, pricing: Pricing
    ) -> list[PullError]:
        """Maica's own total against the one Xero will compute here (more than a cent apart:
        refused, both figures said), and lines whose GST code and tax type disagree."""
        source = self._totals.get(record.sf_id)
        if source is None:
            return []
        shown = outside(record.invoice_number, 80)
        clashes = gst_contradictions(source, self.mapping, pricing.rate)
        theirs = _decimal(source.get(self.mapping.name("invoice.total")))
        if self.mapping.has("invoice.total") and theirs is not None:
            if abs(theirs - total) <= CENT:
                return []
            why = f" ({'; '.join(clashes)})" if clashes else ""
            return [PullError(record.sf_id, shown, (
                f"the total sent to Xero would be {total} but Maica's Total Amount is "
                f"{theirs.quantize(CENT)}{why}: correct the lines, their GST code or the support "
                "item's tax type in Maica so both agree"
            ))]  # fmt: skip
        if clashes:
            return [PullError(record.sf_id, shown, (
                f"{'; '.join(clashes)}: Xero's total would differ from Maica's; correct the GST "
                "code or the support item's tax type in Maica so both agree"
            ))]  # fmt: skip
        return []


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


#: a row of the export the records became, as the import's messages name one
_ROW = re.compile(r"\bline (\d+)\b")


def _number(value: Any) -> str:
    """An invoice number as the import stores it (NFKC, trimmed), to match the stored one."""
    number = text(value)
    if number.isascii() and number.isprintable():
        return number
    return unicodedata.normalize("NFKC", number).strip()


def _stamp_ok(stamp: str) -> bool:
    try:
        soql_datetime(stamp)
    except ValueError:
        return False
    return True


def _same_invoice(invoice: Invoice, holder: NumberHolder, total: Decimal) -> bool:
    """Whether a record is the invoice a file import sent under its number: what was sent, or
    the same participant (by name: a file's participant ids are not the org's Contact Ids) and
    the same total."""
    if sync_fingerprint(invoice) in holder.sent_fingerprints:
        return True
    same_total = _decimal(holder.total) == invoice_total(invoice)
    name = " ".join(invoice.participant_name.split()).casefold()
    theirs = " ".join(holder.participant_name.split()).casefold()
    return bool(name) and name == theirs and same_total


def _decimal(value: Any) -> Decimal | None:
    if value is None or isinstance(value, bool) or value == "":
        return None
    try:
        found = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        return None
    return found if found.is_finite() else None


def _same_stamp(a: str, b: str) -> bool:
    try:
        return soql_datetime(a) == soql_datetime(b)
    except ValueError:
        return a == b


def _later(a: str, b: str) -> bool:
    try:
        return soql_datetime(a) > soql_datetime(b)
    except ValueError:
        return a > b


def _reader(soql: str, mapping: Mapping) -> Callable[[Salesforce], list[dict[str, Any]]]:
    def read(sf: Salesforce) -> list[dict[str, Any]]:
        return list(_rest(sf, soql, mapping))

    return read


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


def _ids(soql: str) -> Callable[[Salesforce], list[dict[str, Any]]]:
    def read(sf: Salesforce) -> list[dict[str, Any]]:
        return [r for r in sf.query_all_iter(soql) if isinstance(r, dict)]

    return read
