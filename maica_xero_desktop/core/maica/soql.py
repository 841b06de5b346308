"""The SOQL a pull sends, built from the resolved mapping: the invoices with a child subquery of
their lines (REST), the same without it and the lines through their invoice (Bulk API 2.0, which
allows no subquery), the count that chooses between them, and the invoices whose Finance External
ID was set since the mark (changed hands). Every name in it is one ``describe`` listed (the
mapping keeps no other), so nothing from outside is spliced in (hence the ``noqa: S608``); the
only literal is a datetime this module formats."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from .fields import LINES_KEY, Mapping

#: how far before the mark an incremental pull reads again: a Salesforce transaction stamps its
#: records when it starts and they become visible when it commits, so a long one (Maica's flows
#: and batch jobs) can commit records stamped before the last pull's mark; records read again
#: unchanged (same Id and SystemModstamp) are skipped
LOOK_BACK = timedelta(minutes=15)
#: record Ids in one ``WHERE Id IN (...)`` query
IDS_PER_QUERY = 200


def _moment(stamp: str) -> datetime:
    """A SystemModstamp as the REST API (``…000+0000``) or a Bulk API 2.0 CSV (``…000Z``)
    gives it."""
    return datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%S.%f%z").astimezone(UTC)


def _literal(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def id_list(ids: list[str]) -> str:
    """Record Ids as the list of a SOQL ``IN (...)``: only Ids checked well-formed
    (:func:`~.text.record_id`) reach a query, so quoting them is all it takes."""
    return ", ".join(f"'{i}'" for i in ids)


def soql_datetime(stamp: str) -> str:
    """A SystemModstamp as Salesforce returns it (2026-11-27T09:00:00.000+0000 over REST,
    2026-11-27T09:00:00.000Z in a bulk CSV) as one canonical SOQL datetime literal
    (2026-11-27T09:00:00.000Z): the form stamps are stored and compared in."""
    return _literal(_moment(stamp))


def look_back(mark: str) -> str:
    """The SOQL datetime an incremental pull reads from: the mark less :data:`LOOK_BACK`."""
    return _literal(_moment(mark) - LOOK_BACK)


@dataclass(frozen=True)
class Queries:
    """The SOQL a pull sends, built from the mapping (tests read them). Every name in it is
    one ``describe`` listed (the mapping keeps no other), so nothing from outside is spliced in
    (hence the ``noqa: S608``); the only literal is a datetime this module formats."""

    mapping: Mapping
    mark: str = ""
    #: the earliest invoice date to read (YYYY-MM-DD, checked by the setting; "" = no floor)
    since: str = ""

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
            parts.append(f"SystemModstamp >= {look_back(self.mark)}")
        if self.since and self.mapping.has("invoice.invoice_date"):
            # a date literal, unquoted; only a checked YYYY-MM-DD gets here
            parts.append(f"{self._n('invoice.invoice_date')} >= {self.since}")
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
                "invoice.total",
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
        fields = ["Id", "Name"]  # Name: the auto-number, the lines' order in both paths
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

    def invoices_by_id(self, ids: list[str]) -> str:
        """The REST query for these invoices (at most :data:`IDS_PER_QUERY`, Ids the store
        keeps, checked well-formed), whatever their SystemModstamp: pending, blocked or failed
        ones read again, since a change to their support items or participant does not touch
        their own stamp. Still only those with an empty Finance External ID."""
        lines = f"(SELECT {', '.join(self.line_fields())} FROM {self._n(LINES_KEY)} ORDER BY Name)"  # noqa: S608
        where = f"{self._n('invoice.finance_external_id')} = null"
        return (
            f"SELECT {', '.join(self.invoice_fields())}, {lines} FROM {self.invoice_object} "  # noqa: S608
            f"WHERE {where} AND Id IN ({id_list(ids)}) ORDER BY SystemModstamp, Id"
        )

    def ids_present(self, ids: list[str]) -> str:
        """Which of these invoices (at most :data:`IDS_PER_QUERY`, Ids the store keeps, checked
        well-formed) are still in the org, whatever their fields."""
        return f"SELECT Id FROM {self.invoice_object} WHERE Id IN ({id_list(ids)})"  # noqa: S608

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
            f"SystemModstamp >= {look_back(self.mark)}"
        )


def _unique(names: list[str]) -> list[str]:
    return list(dict.fromkeys(names))
