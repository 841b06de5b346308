"""Writing back to the Maica org what Xero confirmed: each invoice's Xero InvoiceID (into Finance
External ID) and Xero number, and each Xero payment as a Payment record.

Invoices: sObject Collections updates (``PATCH composite/sobjects``, at most 200 records a call,
``allOrNone`` false, so one refused record does not hold back the others). A record refused with
``UNABLE_TO_LOCK_ROW`` (transient) is retried; any other refusal
(``FIELD_CUSTOM_VALIDATION_EXCEPTION``, …) is reported for that invoice and retried next run.
Status is never written: Maica computes it. Before each collection the records' current Finance
External ID is read (one query for up to 200): one this product did not write (Maica's own sync
sent the invoice while this write-back waited) is never overwritten — the invoice changed hands,
its row says Xero has two invoices for it, and it is reported.

Payments: collection upserts on the Payment's Finance External ID = the Xero PaymentID
(``PATCH composite/sobjects/{Payment}/{field}``), so a redelivered or re-read payment never makes
a second record: amount, date (a datetime at 00:00 UTC when the field is a datetime), Paid and
Include set, Source "Xero" when the picklist has that value. A payment deleted or voided in Xero
is never deleted in Maica: the same record is upserted with Include and Paid off, so Maica's
roll-ups (and its Status) drop it while its history keeps it. Only payments that changed since
they were last written are sent.

Salesforce's codes and messages are cleaned (:func:`.text.outside`: no control or bidi
character, bounded) before they reach a reason, the journal or a log.

The journals (``store.maica``) are written after each call: a run stopped by the org's daily
limit (``SalesforceLimitExceeded``, raised by the session) keeps what was confirmed and has
half-written nothing, since a refused call wrote nothing.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, TypeVar

from ..store import Store
from ..store.maica import InvoiceWriteBack, PaymentWriteBack
from .fields import Mapping
from .runner import Runner
from .soql import id_list
from .text import outside, record_id
from .views import WriteBackError, WriteBackResult

log = logging.getLogger(__name__)

#: sObject Collections take at most 200 records a call
COLLECTION_SIZE = 200
#: what an org answers when an existing master-detail child is upserted with its parent field
#: (a field it may not rewrite; or reparenting switched off on the relationship)
REPARENT_REFUSALS = frozenset({"INVALID_FIELD_FOR_INSERT_UPDATE", "FIELD_INTEGRITY_EXCEPTION"})
#: rounds of retrying records Salesforce could not lock
LOCK_RETRIES = 3
#: the Payment Source picklist value this product writes, when the org has it
SOURCE_XERO = "Xero"

T = TypeVar("T")


@dataclass(frozen=True)
class _Answer:
    ok: bool
    sf_id: str
    code: str
    message: str


class WriteBack:
    """One write-back: pending invoices, then pending payments. Never calls Xero."""

    def __init__(
        self,
        runner: Runner,
        store: Store,
        mapping: Mapping,
        tenant_id: str,
        *,
        sleep: Callable[[float], None] = time.sleep,
        fresh_since: float | None = None,
    ) -> None:
        self.runner = runner
        self.store = store
        self.mapping = mapping
        self.tenant_id = tenant_id
        self.sleep = sleep
        #: records a pull read with an empty Finance External ID at or after this time (this
        #: run's own pull, moments ago) are written without being read again first
        self.fresh_since = fresh_since

    def run(self) -> WriteBackResult:
        calls_before = self.runner.calls
        failed: list[WriteBackError] = []
        invoices = self._invoices(failed)
        payments = self._payments(failed)
        return WriteBackResult(
            invoices=invoices,
            payments=payments,
            failed=tuple(failed),
            api_calls=self.runner.calls - calls_before,
        )

    # -- invoices

    def _invoices(self, failed: list[WriteBackError]) -> int:
        m = self.mapping
        pending = self.store.writeback_pending(self.tenant_id)
        written = 0
        obj = m.objects["invoice"]
        fei = m.name("invoice.finance_external_id")
        number = m.name("invoice.xero_invoice_number")
        for start in range(0, len(pending), COLLECTION_SIZE):
            chunk = self._still_ours(pending[start : start + COLLECTION_SIZE], failed)
            if not chunk:
                continue

            def record(item: InvoiceWriteBack) -> dict[str, Any]:
                body: dict[str, Any] = {"attributes": {"type": obj}, "id": item.sf_id}
                body[fei] = item.xero_invoice_id
                if number and item.xero_invoice_number:
                    body[number] = item.xero_invoice_number
                return body

            answers = self._send(chunk, record, "composite/sobjects")
            ok = [item for item, answer in zip(chunk, answers, strict=True) if answer.ok]
            refused = [
                (item, _reason(answer))
                for item, answer in zip(chunk, answers, strict=True)
                if not answer.ok
            ]
            self.store.record_writeback(self.tenant_id, ok, refused)
            written += len(ok)
            failed += [
                WriteBackError(item.sf_id, f"invoice {item.invoice_number}", reason)
                for item, reason in refused
            ]
        if pending:
            log.info("Wrote %d of %d invoices back to the Maica org.", written, len(pending))
        return written

    def _still_ours(
        self, chunk: list[InvoiceWriteBack], failed: list[WriteBackError]
    ) -> list[InvoiceWriteBack]:
        """The records of ``chunk`` whose Finance External ID is empty or this product's, read
        first (one query for up to 200). One someone else wrote meanwhile (Maica's own sync sent
        the invoice while this write-back waited) is never overwritten: the invoice changed
        hands, its row says what to do, and it is reported in ``failed``.

        Records this run's own pull read with an empty Finance External ID (``fresh_since``)
        are not read again: the pull's answer is seconds to minutes old, and reading them would
        double the calls of a write-back (2 N/200 calls instead of N/200). A write-back that waited
        (a refusal, the daily limit, a killed process) reads every record first."""
        since = self.fresh_since
        fresh = [i for i in chunk if since is not None and i.read_empty_at >= since]
        stale = [i for i in chunk if i not in fresh]
        # the order does not matter: each record's answer is matched to it by position in the
        # list sent, which is this one
        return fresh + (self._read_and_keep(stale, failed) if stale else [])

    def _read_and_keep(
        self, chunk: list[InvoiceWriteBack], failed: list[WriteBackError]
    ) -> list[InvoiceWriteBack]:
        m = self.mapping
        fei = m.name("invoice.finance_external_id")
        number = (
            m.name("invoice.xero_invoice_number") if m.has("invoice.xero_invoice_number") else ""
        )
        fields = ", ".join(["Id", fei, *([number] if number else [])])
        ids = [i.sf_id for i in chunk if record_id(i.sf_id)]
        soql = f"SELECT {fields} FROM {m.objects['invoice']} WHERE Id IN ({id_list(ids)})"  # noqa: S608
        found = self.runner.run(lambda sf: list(sf.query_all_iter(soql))) if ids else []
        current = {record_id(r.get("Id")): r for r in found if isinstance(r, dict)}
        keep: list[InvoiceWriteBack] = []
        for item in chunk:
            record = current.get(item.sf_id)
            if record is None:
                keep.append(item)  # deleted in Maica, or not readable: its answer says which
                continue
            there = outside(record.get(fei), 255)
            if not there or there in (item.xero_invoice_id, item.written_id):
                keep.append(item)
                continue
            seen = outside(record.get(number), 255) if number else ""
            message = self.store.writeback_taken(self.tenant_id, item, there, seen)
            log.warning(
                "Maica invoice %s (%s) has a Finance External ID this program did not write: "
                "not overwritten.",
                outside(item.invoice_number, 80),
                item.sf_id,
            )
            failed.append(WriteBackError(item.sf_id, f"invoice {item.invoice_number}", message))
        return keep

    # -- payments

    def _payments(self, failed: list[WriteBackError]) -> int:
        m = self.mapping
        pending = self.store.payments_pending(self.tenant_id)
        obj = m.objects["payment"]
        key = m.name("payment.finance_external_id")
        path = f"composite/sobjects/{obj}/{key}"
        date_type = m.type_of("payment.date")
        source = m.name("payment.source") if SOURCE_XERO in m.source_values else ""
        written = 0
        for start in range(0, len(pending), COLLECTION_SIZE):
            chunk = pending[start : start + COLLECTION_SIZE]

            def record(item: PaymentWriteBack, with_parent: bool = True) -> dict[str, Any]:
                body: dict[str, Any] = {"attributes": {"type": obj}, key: item.xero_payment_id}
                if with_parent:
                    body[m.name("payment.invoice")] = item.invoice_sf_id
                body[m.name("payment.amount")] = float(Decimal(item.amount))
                day = item.date
                body[m.name("payment.date")] = (
                    f"{day}T00:00:00.000Z" if date_type == "datetime" and day else day or None
                )
                body[m.name("payment.paid")] = item.included
                body[m.name("payment.include")] = item.included
                if source:
                    body[source] = SOURCE_XERO
                return body

            answers = self._send(chunk, record, path)
            # an existing Payment whose master-detail parent cannot be rewritten: again without it
            again = [i for i, a in enumerate(answers) if not a.ok and a.code in REPARENT_REFUSALS]
            if again:
                retried = self._send(
                    [chunk[i] for i in again], lambda p: record(p, with_parent=False), path
                )
                for i, answer in zip(again, retried, strict=True):
                    answers[i] = answer
            ok = [(p, a.sf_id) for p, a in zip(chunk, answers, strict=True) if a.ok]
            refused = [(p, _reason(a)) for p, a in zip(chunk, answers, strict=True) if not a.ok]
            self.store.record_payment_writeback(self.tenant_id, ok, refused)
            written += len(ok)
            failed += [
                WriteBackError(
                    p.invoice_sf_id,
                    f"payment {p.xero_payment_id} on invoice {p.invoice_number}",
                    reason,
                )
                for p, reason in refused
            ]
        if pending:
            log.info("Wrote %d of %d payments to the Maica org.", written, len(pending))
        return written

    # -- the calls

    def _send(
        self, items: Sequence[T], record: Callable[[T], dict[str, Any]], path: str
    ) -> list[_Answer]:
        """One collection call for ``items`` (≤ 200), with records Salesforce could not lock
        sent again (up to :data:`LOCK_RETRIES` rounds); one answer per item, in order."""
        answers: list[_Answer | None] = [None] * len(items)
        todo = list(range(len(items)))
        for attempt in range(LOCK_RETRIES + 1):
            body = {"allOrNone": False, "records": [record(items[i]) for i in todo]}
            result = self.runner.run(_patch(path, body))
            parsed = [_answer(r) for r in (result or [])]
            if len(parsed) != len(todo):
                parsed += [_Answer(False, "", "NO_ANSWER", "Salesforce gave no answer")] * (
                    len(todo) - len(parsed)
                )
            locked = []
            for index, answer in zip(todo, parsed, strict=True):
                answers[index] = answer
                if not answer.ok and answer.code == "UNABLE_TO_LOCK_ROW":
                    locked.append(index)
            if not locked or attempt == LOCK_RETRIES:
                break
            todo = locked
            self.sleep(0.5 * (attempt + 1))
        return [a or _Answer(False, "", "NO_ANSWER", "") for a in answers]


def _patch(path: str, body: dict[str, Any]) -> Callable[[Any], Any]:
    def call(sf: Any) -> Any:
        return sf.restful(path, method="PATCH", json=body)

    return call


def _answer(result: Any) -> _Answer:
    if not isinstance(result, dict):
        return _Answer(False, "", "NO_ANSWER", "Salesforce gave no answer for this record")
    if result.get("success"):
        return _Answer(True, record_id(result.get("id")), "", "")
    errors = result.get("errors")
    first = errors[0] if isinstance(errors, list) and errors and isinstance(errors[0], dict) else {}
    return _Answer(
        False,
        record_id(result.get("id")),
        outside(first.get("statusCode") or first.get("errorCode") or "UNKNOWN", 60),
        outside(first.get("message"), 300),
    )


def _reason(answer: _Answer) -> str:
    if answer.code == "FIELD_CUSTOM_VALIDATION_EXCEPTION":
        return (
            f"a validation rule in Maica refused it ({answer.message.rstrip('.')}): fix the "
            "record in Maica; it is written again next run"
        )
    if answer.code == "UNABLE_TO_LOCK_ROW":
        return "the record stayed locked in Maica (someone else was saving it): written next run"
    shown = f"{answer.code}: {answer.message.rstrip('.')}" if answer.message else answer.code
    return f"Maica refused it ({shown}); it is written again next run"
