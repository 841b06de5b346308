"""What the support-item mapping editor reads and writes, behind a small protocol.

The editor needs four things: the organisation's chart of accounts and tax rates (read from Xero),
the support items in the store, and a way to save one. :class:`MappingSource` names them;
:class:`ServiceMappingSource` provides them over the service facade as it is today (the store's
support items and the Xero client the pre-flight reads the same settings with). Every method may
block: the editor calls them through the task runner, never on the GUI thread.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from ..core.errors import NoActiveOrganisation
from ..core.service import Service
from ..core.store import SupportItem
from ..core.sync.xerodata import amount, items
from ..core.textsafe import printable

#: account types Xero reports for income (an invoice line's usual home)
REVENUE_CLASS = "REVENUE"


@dataclass(frozen=True)
class AccountChoice:
    code: str
    name: str
    type: str = ""
    status: str = "ACTIVE"
    account_class: str = ""

    @property
    def active(self) -> bool:
        return self.status.upper() == "ACTIVE"

    @property
    def label(self) -> str:
        return f"{self.code} — {self.name}" if self.name else self.code


@dataclass(frozen=True)
class TaxChoice:
    tax_type: str
    name: str
    rate: str = ""
    status: str = "ACTIVE"
    #: False: Xero refuses it on a sales invoice line
    for_income: bool = True

    @property
    def usable(self) -> bool:
        return self.status.upper() == "ACTIVE" and self.for_income

    @property
    def label(self) -> str:
        rate = f" ({self.rate}%)" if self.rate else ""
        return f"{self.tax_type} — {self.name}{rate}" if self.name else self.tax_type


class MappingSource(Protocol):
    def accounts(self, tenant_id: str) -> list[AccountChoice]: ...

    def tax_rates(self, tenant_id: str) -> list[TaxChoice]: ...

    def support_items(self) -> list[SupportItem]: ...

    def save_item(self, item: SupportItem) -> SupportItem: ...

    def defaults(self) -> tuple[str, str]:
        """The account code and tax type a line gets when neither it nor its item sets one."""
        ...


class ServiceMappingSource:
    """:class:`MappingSource` over :class:`Service` (the lead may re-point it at core's own
    mapping functions: the editor depends only on the protocol)."""

    def __init__(self, service: Service) -> None:
        self.service = service

    def _tenant(self, tenant_id: str) -> str:
        if not tenant_id:
            raise NoActiveOrganisation()
        return tenant_id

    def accounts(self, tenant_id: str) -> list[AccountChoice]:
        body = self.service.xero.accounting("GET", "Accounts", self._tenant(tenant_id))
        found = [_account(a) for a in items(body, "Accounts") if a.get("Code")]
        # income accounts first, then the rest by code: the usual choice is near the top
        return sorted(found, key=lambda a: (a.account_class != REVENUE_CLASS, a.code))

    def tax_rates(self, tenant_id: str) -> list[TaxChoice]:
        body = self.service.xero.accounting("GET", "TaxRates", self._tenant(tenant_id))
        found = [_tax(r) for r in items(body, "TaxRates") if r.get("TaxType")]
        return sorted(found, key=lambda t: (not t.usable, t.tax_type))

    def support_items(self) -> list[SupportItem]:
        return self.service.sync.support_items()

    def save_item(self, item: SupportItem) -> SupportItem:
        return self.service.sync.set_support_item(
            item.item_number,
            account_code=item.account_code,
            tax_type=item.tax_type,
            description=item.xero_description,
        )

    def defaults(self) -> tuple[str, str]:
        settings = self.service.settings()
        return settings.default_account_code, settings.default_tax_type


#: a choice in the editor's lists: (what it says, the value saved)
Entry = tuple[str, str]


def account_entries(
    accounts: list[AccountChoice] | None, current: str, default: str
) -> list[Entry]:
    """The account list for an item mapped to ``current`` ("" = the default): the default, the
    saved value when the organisation would refuse it (named as such, so it is seen and changed),
    then the active accounts (income first). ``accounts`` None: not read from Xero (yet)."""
    named = next((a.label for a in accounts or () if a.code == default), default)
    entries = [(f"Default ({named})" if default else "Default", "")]
    if accounts is None:
        return entries + ([(current, current)] if current else [])
    found = {a.code.upper(): a for a in accounts}.get(current.upper())
    if current and found is None:
        entries.append((f"{current} — not in this organisation's chart of accounts", current))
    elif current and found is not None and not found.active:
        entries.append((f"{found.label} — archived in Xero: choose another", current))
    for account in accounts:
        if account.active:
            kind = "" if account.account_class == REVENUE_CLASS else f" · {account.type.lower()}"
            entries.append((account.label + kind, account.code))
    return entries


def tax_entries(tax_rates: list[TaxChoice] | None, current: str, default: str) -> list[Entry]:
    """The tax type list, as :func:`account_entries` (only rates usable on income)."""
    named = next((t.label for t in tax_rates or () if t.tax_type == default), default)
    entries = [(f"Default ({named})" if default else "Default", "")]
    if tax_rates is None:
        return entries + ([(current, current)] if current else [])
    found = {t.tax_type.upper(): t for t in tax_rates}.get(current.upper())
    if current and found is None:
        entries.append((f"{current} — not a tax rate of this organisation", current))
    elif current and found is not None and not found.usable:
        entries.append((f"{found.label} — cannot be used on income", current))
    return entries + [(t.label, t.tax_type) for t in tax_rates if t.usable]


def _account(raw: dict[str, Any]) -> AccountChoice:
    return AccountChoice(
        code=printable(raw.get("Code", "")),
        name=printable(raw.get("Name", "")),
        type=printable(raw.get("Type", "")),
        status=printable(raw.get("Status", "ACTIVE")),
        account_class=printable(raw.get("Class", "")),
    )


def _tax(raw: dict[str, Any]) -> TaxChoice:
    rate = amount(raw.get("EffectiveRate", raw.get("DisplayTaxRate")))
    rate_text = "" if rate is None else f"{rate.normalize():f}"
    return TaxChoice(
        tax_type=printable(raw.get("TaxType", "")),
        name=printable(raw.get("Name", "")),
        rate=rate_text,
        status=printable(raw.get("Status", "ACTIVE")),
        for_income=raw.get("CanApplyToRevenue") is not False,
    )
