"""What an adviser sets on an organisation and an app is refused by: lock dates and key actions.

``PeriodLockDate`` and ``EndOfYearLockDate`` come back from ``GET /Organisation`` when set; an
approved (AUTHORISED) document dated on or before either is refused with Xero's validation
message, while drafts may still be saved in a locked period (as in Xero). ``GET
/Organisation/Actions`` lists the key actions with ``ALLOWED`` / ``NOT-ALLOWED``; a denied
``CreateApprovedInvoice`` refuses approved invoices. The sandbox does not model user roles: the
connected user is treated as a non-adviser, so both lock dates apply.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

#: the key actions Xero reports (its published example's list)
ACTIONS = (
    "CreateApprovedInvoice",
    "CreateDraftPurchaseOrder",
    "CreateApprovedBill",
    "AttachFilesIntoInvoice",
    "UseMulticurrency",
    "CreateDraftInvoice",
    "CreateRepeatingInvoice",
    "CreateRepeatingBill",
    "CreateSentQuote",
    "CreateInvoicePayment",
    "CreateApprovedPurchaseOrder",
    "CreateDraftQuote",
    "CreateDraftBill",
)
#: not Xero's documented wording (none is published); the sandbox's own sentence
MSG_NOT_ALLOWED = "This organisation does not allow the app to create approved invoices."


@dataclass
class OrgControls:
    period_lock_date: str | None = None  # YYYY-MM-DD
    end_of_year_lock_date: str | None = None
    denied_actions: set[str] = field(default_factory=set)

    def to_json(self) -> dict[str, Any]:
        return {
            "period_lock_date": self.period_lock_date,
            "end_of_year_lock_date": self.end_of_year_lock_date,
            "denied_actions": sorted(self.denied_actions),
        }

    @classmethod
    def from_json(cls, data: Any) -> OrgControls:
        if not isinstance(data, dict):
            return cls()
        return cls(
            _day(data.get("period_lock_date")),
            _day(data.get("end_of_year_lock_date")),
            {str(a) for a in data.get("denied_actions") or () if str(a) in ACTIONS},
        )

    def update(self, data: dict[str, Any]) -> None:
        """Admin control: ``period_lock_date`` / ``end_of_year_lock_date`` (``YYYY-MM-DD`` or
        null to clear) and ``denied_actions`` (names from ACTIONS); absent keys are kept."""
        for name in ("period_lock_date", "end_of_year_lock_date"):
            if name in data:
                value = data[name]
                if value is not None and _day(value) is None:
                    raise ValueError(f"{name} must be YYYY-MM-DD or null")
                setattr(self, name, _day(value))
        if "denied_actions" in data:
            given = data["denied_actions"]
            if not isinstance(given, list) or any(str(a) not in ACTIONS for a in given):
                raise ValueError(f"denied_actions must be a list of {', '.join(ACTIONS)}")
            self.denied_actions = {str(a) for a in given}

    def actions(self) -> list[dict[str, str]]:
        return [
            {"Name": name, "Status": "NOT-ALLOWED" if name in self.denied_actions else "ALLOWED"}
            for name in ACTIONS
        ]

    def refusals(self, status: str, day: str) -> list[str]:
        """Xero's messages for an invoice of ``status`` dated ``day`` (empty: allowed)."""
        if status != "AUTHORISED":
            return []
        found: list[str] = []
        if "CreateApprovedInvoice" in self.denied_actions:
            found.append(MSG_NOT_ALLOWED)
        locks = (
            ("period lock date", self.period_lock_date),
            ("end of year lock date", self.end_of_year_lock_date),
        )
        for what, locked in locks:
            if locked and day and day <= locked:
                shown = date.fromisoformat(locked).strftime("%d-%b-%Y")
                found.append(
                    f"The document date cannot be before the {what}, currently set at {shown}"
                )
        return found


def _day(value: Any) -> str | None:
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        return date.fromisoformat(value.strip()[:10]).isoformat()
    except ValueError:
        return None
