"""What the support-item mapping editor reads and writes, behind a small protocol.

The editor needs four things: the organisation's chart of accounts and tax rates (read from Xero),
the support items in the store, and a way to save one. :class:`MappingSource` names them;
:class:`ServiceMappingSource` provides them over the service facade (``Service.mapping_choices``
and ``Service.save_mapping``: the core validates). Every method may block: the editor calls them
through the task runner, never on the GUI thread.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from ..core.errors import NoActiveOrganisation
from ..core.mapping import AccountChoice as CoreAccount
from ..core.mapping import MappingChoices, TaxRateChoice
from ..core.service import Service
from ..core.store import SupportItem
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
    #: an active revenue account an invoice line can post to (the core's rule)
    postable: bool = True

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
    """:class:`MappingSource` over :class:`Service`: the lists come from
    ``Service.mapping_choices()`` and a save goes through ``Service.save_mapping(...,
    choices=...)``, so what an organisation accepts is decided (and worded) by the core."""

    def __init__(self, service: Service) -> None:
        self.service = service
        self._read: tuple[str, MappingChoices] | None = None  # (tenant, its lists)

    def _choices(self, tenant_id: str, *, fresh: bool) -> MappingChoices:
        if not tenant_id:
            raise NoActiveOrganisation()
        if fresh or self._read is None or self._read[0] != tenant_id:
            if self.service.settings().active_tenant_id != tenant_id:
                raise NoActiveOrganisation()  # the choice moved on while this was asked
            self._read = (tenant_id, self.service.mapping_choices())
        return self._read[1]

    def accounts(self, tenant_id: str) -> list[AccountChoice]:
        """Read from Xero now (the tax rates come with them)."""
        return [_account(a) for a in self._choices(tenant_id, fresh=True).accounts]

    def tax_rates(self, tenant_id: str) -> list[TaxChoice]:
        found = [_tax(t) for t in self._choices(tenant_id, fresh=False).tax_rates]
        return sorted(found, key=lambda t: (not t.usable, t.tax_type))

    def support_items(self) -> list[SupportItem]:
        return self.service.sync.support_items()

    def save_item(self, item: SupportItem) -> SupportItem:
        """Save what changed (an unchanged value is kept as it is, even one Xero would now
        refuse), checked against the organisation's lists when they were read."""
        current = next((i for i in self.support_items() if i.item_number == item.item_number), None)
        tenant = self.service.settings().active_tenant_id
        choices = self._read[1] if self._read is not None and self._read[0] == tenant else None

        def changed(new: str, old: str | None) -> str | None:
            return None if old is not None and new == old else new

        return self.service.save_mapping(
            item.item_number,
            xero_description=changed(
                item.xero_description, current.xero_description if current else None
            ),
            account_code=changed(item.account_code, current.account_code if current else None),
            tax_type=changed(item.tax_type, current.tax_type if current else None),
            choices=choices,
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
    then the active revenue accounts a line can post to. ``accounts`` None: not read from Xero
    (yet)."""
    named = next((a.label for a in accounts or () if a.code == default), default)
    entries = [(f"Default ({named})" if default else "Default", "")]
    if accounts is None:
        return entries + ([(current, current)] if current else [])
    found = {a.code.upper(): a for a in accounts}.get(current.upper())
    if current and found is None:
        entries.append((f"{current} — not in this organisation's chart of accounts", current))
    elif current and found is not None and not found.active:
        entries.append((f"{found.label} — archived in Xero: choose another", current))
    elif current and found is not None and not found.postable:
        entries.append(
            (f"{found.label} — {found.type.lower()} account, not for invoice lines", current)
        )
    entries += [(a.label, a.code) for a in accounts if a.active and a.postable]
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


def _account(found: CoreAccount) -> AccountChoice:
    return AccountChoice(
        code=printable(found.code),
        name=printable(found.name),
        type=printable(found.type),
        status=printable(found.status),
        account_class=REVENUE_CLASS if found.postable else "",
        postable=found.postable,
    )


def _tax(found: TaxRateChoice) -> TaxChoice:
    return TaxChoice(
        tax_type=printable(found.tax_type),
        name=printable(found.name),
        rate=f"{found.rate.normalize():f}",
        status=printable(found.status),
        for_income=found.for_revenue,
    )
