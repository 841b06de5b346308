"""Invoices no flow will send: each gets the state ``not_eligible`` and a reason of its own.

An unsent invoice (pending, blocked, failed) whose Maica status the current flow does not send —
Entered for the *authorised* flow, Cancelled for every built-in flow — is marked ``not_eligible``
with the reason ("Not sent by the authorised flow: status Entered."; "Cancelled in Maica: never
sent."). It follows the flow: a run or a preview with the chosen flow, or :func:`refresh`, marks
again; one the flow now takes is ``pending`` again. Sent invoices are never touched.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from ..flows import Flow, not_eligible_reason
from ..states import LinkState
from ..store import Store, StoredInvoice
from ..store.invoices import UNSENT_STATES

CHUNK = 500


@dataclass
class Eligibility:
    flow_name: str
    #: invoice id -> the reason the flow leaves it alone
    not_eligible: dict[int, str] = field(default_factory=dict)
    #: how many of those per Maica status
    statuses: Counter[str] = field(default_factory=Counter)
    #: invoices marked not eligible before that the flow now takes
    eligible_again: list[int] = field(default_factory=list)

    def consider(self, flow: Flow, stored: StoredInvoice) -> bool:
        """True when ``flow`` takes the invoice; otherwise an unsent one is counted."""
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


def refresh(store: Store, tenant_id: str, flow: Flow) -> Eligibility:
    """Mark every unsent invoice for ``flow`` now (after the flow changed or an import)."""
    found = Eligibility(flow.name)
    ids = store.invoice_ids()
    for start in range(0, len(ids), CHUNK):
        for stored in store.load_invoices(tenant_id, ids[start : start + CHUNK]):
            found.consider(flow, stored)
    found.save(store, tenant_id)
    return found
