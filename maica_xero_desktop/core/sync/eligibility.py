"""Invoices no flow will send: each gets the state ``not_eligible`` and a reason of its own.

An unsent invoice (pending, blocked, failed) whose Maica status the current flow does not send —
Entered for the *authorised* flow, Cancelled for every built-in flow — is marked ``not_eligible``
with the reason ("Not sent by the authorised flow: status Entered."; "Cancelled in Maica: never
sent."). It follows the flow: a run or a preview with the chosen flow, or :func:`refresh`, marks
again; one the flow now takes is ``pending`` again. Sent invoices are never touched.

The source decides before the flow (:func:`~..flows.base.source_reason`): with the source
``file`` an invoice read from the Maica org is not eligible ("Read from the Maica org: choose the
Maica org as the source to send it."), and with the Maica org as the source one dated before
``maica-since`` is not. A look that does not know the source (:class:`SourceRule` None) keeps
those marks as they are.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date

from ..flows import Flow, not_eligible_reason
from ..flows.base import SOURCE_REASONS, source_reason
from ..states import LinkState
from ..store import Store, StoredInvoice
from ..store.invoices import UNSENT_STATES

CHUNK = 500
#: how the invoices the source leaves alone are counted in the run's sentence
FROM_MAICA_ORG_COUNT = "read from the Maica org"
BEFORE_SINCE_COUNT = "dated before maica-since"
GONE_COUNT = "no longer in the Maica org"


@dataclass(frozen=True)
class SourceRule:
    """What the source decides: ``source`` ("file" or "maica") and ``maica-since`` (None: off)."""

    source: str
    since: date | None = None

    @classmethod
    def of(cls, source: str, maica_since: str) -> SourceRule:
        """From the settings (an unreadable ``maica-since`` counts as off, as the pull does)."""
        try:
            since = date.fromisoformat(maica_since) if maica_since else None
        except ValueError:
            since = None
        return cls(source, since)


@dataclass
class Eligibility:
    flow_name: str
    #: the source's rule; None: not known here, the marks it set are kept as they are
    rule: SourceRule | None = None
    #: invoice id -> the reason the flow leaves it alone
    not_eligible: dict[int, str] = field(default_factory=dict)
    #: how many of those per Maica status
    statuses: Counter[str] = field(default_factory=Counter)
    #: invoices marked not eligible before that the flow now takes
    eligible_again: list[int] = field(default_factory=list)

    def consider(self, flow: Flow, stored: StoredInvoice) -> bool:
        """True when the source and ``flow`` take the invoice; otherwise an unsent one is
        counted."""
        if self.rule is None:
            if stored.state == LinkState.NOT_ELIGIBLE and stored.message.startswith(SOURCE_REASONS):
                return False  # the source's mark: only a look that knows the source changes it
        else:
            reason = source_reason(
                self.rule.source,
                self.rule.since,
                stored.invoice,
                bool(stored.sf_id),
                gone=stored.maica_gone,
            )
            if reason:
                if stored.state in UNSENT_STATES:
                    self.not_eligible[stored.id] = reason
                    if stored.maica_gone:
                        self.statuses[GONE_COUNT] += 1
                    elif self.rule.source == "file":
                        self.statuses[FROM_MAICA_ORG_COUNT] += 1
                    else:
                        self.statuses[BEFORE_SINCE_COUNT] += 1
                return False
        if flow.selects(stored.invoice):
            if stored.state == LinkState.NOT_ELIGIBLE:
                self.eligible_again.append(stored.id)
            return True
        if stored.state in UNSENT_STATES:
            self.not_eligible[stored.id] = not_eligible_reason(flow.name, stored.invoice)
            self.statuses[stored.invoice.status] += 1
        return False

    @property
    def count(self) -> int:
        return len(self.not_eligible)

    def sentence(self) -> str:
        """ "10 not eligible: 9 Entered, 1 Cancelled." ("" when there are none)."""
        if not self.not_eligible:
            return ""
        parts = ", ".join(
            f"{n} {status}"
            for status, n in sorted(self.statuses.items(), key=lambda kv: (-kv[1], kv[0]))
        )
        return f"{self.count} not eligible: {parts}."

    def save(self, store: Store, tenant_id: str) -> None:
        store.set_eligibility(tenant_id, self.not_eligible, self.eligible_again)


def not_eligible_sentence(statuses: dict[str, int]) -> str:
    """ "10 not eligible: 9 Entered, 1 Cancelled." ("" when there are none)."""
    count = sum(statuses.values())
    if not count:
        return ""
    ranked = sorted(statuses.items(), key=lambda kv: (-kv[1], kv[0]))
    return f"{count} not eligible: {', '.join(f'{n} {status}' for status, n in ranked)}."


def refresh(
    store: Store, tenant_id: str, flow: Flow, rule: SourceRule | None = None
) -> Eligibility:
    """Mark every unsent invoice for ``flow`` (and the source's ``rule`` when given) now (after
    the flow or the source changed, an import or a pull)."""
    found = Eligibility(flow.name, rule)
    ids = store.invoice_ids()
    for start in range(0, len(ids), CHUNK):
        for stored in store.load_invoices(tenant_id, ids[start : start + CHUNK]):
            found.consider(flow, stored)
    found.save(store, tenant_id)
    return found
