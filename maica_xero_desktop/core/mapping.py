"""The support-item mapping: the organisation's own accounts and tax rates to choose from, and
saving one support item's mapping (Xero description, account code, tax type) with validation.

The choices are read from Xero (``GET /Accounts``, ``GET /TaxRates``); a saved mapping is in the
store and applies at the next preview or run (blocked invoices are checked again then).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from .errors import ConfigurationError
from .store import Store, SupportItem
from .sync.xerodata import items
from .textsafe import has_unsafe
from .totals import rate_of
from .xero.client import XeroClient

MAX_ITEM_NUMBER = 100
MAX_NAME = 255
MAX_DESCRIPTION = 4000  # Xero's line description limit
MAX_CODE = 10
MAX_TAX_TYPE = 50


@dataclass(frozen=True)
class AccountChoice:
    code: str
    name: str
    type: str
    status: str
    #: an active revenue account an invoice line can post to
    postable: bool

    def label(self) -> str:
        return f"{self.code} {self.name}".strip()


@dataclass(frozen=True)
class TaxRateChoice:
    tax_type: str
    name: str
    #: percent (Xero's EffectiveRate), e.g. Decimal("10")
    rate: Decimal
    status: str
    #: active and usable on income
    for_revenue: bool

    def label(self) -> str:
        return f"{self.name} ({self.rate.normalize():f}%)"


@dataclass(frozen=True)
class MappingChoices:
    """The organisation's accounts (postable revenue accounts first) and tax rates (those usable
    on income first), as read from Xero."""

    accounts: tuple[AccountChoice, ...]
    tax_rates: tuple[TaxRateChoice, ...]

    def account(self, code: str) -> AccountChoice | None:
        wanted = code.strip().upper()
        return next((a for a in self.accounts if a.code.upper() == wanted), None)

    def tax_rate(self, tax_type: str) -> TaxRateChoice | None:
        wanted = tax_type.strip().upper()
        return next((t for t in self.tax_rates if t.tax_type.upper() == wanted), None)

    def rates(self) -> dict[str, Decimal]:
        return {t.tax_type.upper(): t.rate for t in self.tax_rates}


def _account(data: dict[str, Any]) -> AccountChoice:
    status = str(data.get("Status", "ACTIVE")).upper()
    typ = str(data.get("Type", ""))
    postable = (
        status == "ACTIVE"
        and str(data.get("Class", "")).upper() == "REVENUE"
        and typ.upper() != "BANK"
        and not data.get("SystemAccount")
    )
    return AccountChoice(str(data["Code"]), str(data.get("Name", "")), typ, status, postable)


def _tax_rate(data: dict[str, Any]) -> TaxRateChoice:
    status = str(data.get("Status", "ACTIVE")).upper()
    return TaxRateChoice(
        tax_type=str(data["TaxType"]),
        name=str(data.get("Name", "")),
        rate=rate_of(data) or Decimal(0),
        status=status,
        for_revenue=status == "ACTIVE" and data.get("CanApplyToRevenue") is not False,
    )


def read_choices(client: XeroClient, tenant_id: str) -> MappingChoices:
    """The organisation's accounts and tax rates, read from Xero now."""
    accounts = [
        _account(a)
        for a in items(client.accounting("GET", "Accounts", tenant_id), "Accounts")
        if a.get("Code")
    ]
    rates = [
        _tax_rate(t)
        for t in items(client.accounting("GET", "TaxRates", tenant_id), "TaxRates")
        if t.get("TaxType")
    ]
    accounts.sort(key=lambda a: (not a.postable, a.code))
    rates.sort(key=lambda t: (not t.for_revenue, t.name.lower()))
    return MappingChoices(tuple(accounts), tuple(rates))


def _text(value: str, what: str, limit: int) -> str:
    text = value.strip()
    if len(text) > limit:
        raise ConfigurationError(f"The {what} is longer than {limit} characters: shorten it.")
    if has_unsafe(text):
        raise ConfigurationError(
            f"The {what} contains control or invisible characters: type it again."
        )
    return text


def _code(value: str, what: str, limit: int) -> str:
    code = _text(value, what, limit)
    if any(c.isspace() for c in code):
        raise ConfigurationError(f"The {what} '{code}' contains spaces: a Xero code has none.")
    return code


def _check_account(code: str, choices: MappingChoices) -> AccountChoice:
    found = choices.account(code)
    if found is None:
        raise ConfigurationError(
            f"There is no account with code '{code}' in this Xero organisation: choose one of its "
            "revenue accounts."
        )
    if not found.postable:
        why = "archived" if found.status != "ACTIVE" else f"a {found.type} account"
        raise ConfigurationError(
            f"Account {found.label()} is {why}, so invoice lines cannot use it: choose an active "
            "revenue account."
        )
    return found


def _check_tax_type(tax_type: str, choices: MappingChoices) -> None:
    found = choices.tax_rate(tax_type)
    if found is None:
        raise ConfigurationError(
            f"There is no tax rate '{tax_type}' in this Xero organisation: choose one of its tax "
            "rates for income."
        )
    if not found.for_revenue:
        why = "not active" if found.status != "ACTIVE" else "not usable on income"
        raise ConfigurationError(
            f"The tax rate {found.label()} is {why}: choose a tax rate for income, such as GST "
            "Free Income."
        )


def save_mapping(
    store: Store,
    item_number: str,
    *,
    name: str | None = None,
    xero_description: str | None = None,
    account_code: str | None = None,
    tax_type: str | None = None,
    choices: MappingChoices | None = None,
) -> SupportItem:
    """Save one support item's mapping; ``None`` keeps a value, ``""`` clears it (the default
    applies). With ``choices`` the account and tax rate must be ones the organisation accepts on
    an invoice line. Applies at the next preview or run."""
    number = _code(item_number, "support item number", MAX_ITEM_NUMBER)
    if not number:
        raise ConfigurationError("Give the support item number (e.g. 01_011_0107_1_1).")
    current = store.support_items().get(number) or SupportItem(number)
    account = current.account_code if account_code is None else account_code
    account = _code(account, "account code", MAX_CODE)
    tax = current.tax_type if tax_type is None else tax_type
    tax = _code(tax, "tax type", MAX_TAX_TYPE).upper()
    if choices is not None:
        if account and account_code is not None:
            account = _check_account(account, choices).code
        if tax and tax_type is not None:
            _check_tax_type(tax, choices)
    item = SupportItem(
        item_number=number,
        name=current.name if name is None else _text(name, "name", MAX_NAME),
        xero_description=(
            current.xero_description
            if xero_description is None
            else _text(xero_description, "Xero description", MAX_DESCRIPTION)
        ),
        account_code=account,
        tax_type=tax,
    )
    store.set_support_item(item)
    return item
