"""Pre-flight: what the organisation would reject, found before anything is sent.

Reads the Organisation (its lock dates), Accounts, TaxRates, TrackingCategories and Currencies once
per run and checks every mapped invoice against them, so that an approved invoice dated in a locked
period, a bank, system, archived or non-revenue account, a tax type that cannot apply to revenue
or an unknown tracking option blocks that invoice with a plain reason instead of failing in Xero.
Before approved invoices are pushed, :func:`approval_refusal` asks Xero (``/Organisation/Actions``)
whether this app may create them at all.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from ..errors import MaicaXeroError
from ..flows import MappingContext
from ..models import Invoice, Line
from ..totals import rate_of
from ..xero.client import XeroClient
from .xerodata import items, ms_date

MAX_LINES = 50
MAX_UNIT_DECIMALS = 4


class ApprovalRefused(MaicaXeroError):
    """Xero says the app may not create approved invoices in this organisation."""


@dataclass
class TrackingCategory:
    """A tracking category as Xero names it, with its options by lower-case name: (the option's
    name, its status). Archived ones are included, so they are reported as archived."""

    name: str
    status: str
    options: dict[str, tuple[str, str]] = field(default_factory=dict)

    @property
    def active(self) -> bool:
        return self.status.upper() == "ACTIVE"

    def active_options(self) -> list[str]:
        return [name for name, status in self.options.values() if status.upper() == "ACTIVE"]


@dataclass
class OrgSettings:
    """What one organisation accepts, read once per run (:meth:`fetch`): accounts, tax types
    with their rates, tracking categories, currencies and lock dates. A plain value: it never
    writes to Xero or the store, and is used on the run's thread only."""

    accounts: dict[str, dict[str, Any]] = field(default_factory=dict)
    tax_types: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: by lower-case category name
    tracking: dict[str, TrackingCategory] = field(default_factory=dict)
    currencies: set[str] = field(default_factory=set)
    #: tax type -> rate in percent (EffectiveRate), for predicting Xero's totals
    rates: dict[str, Decimal] = field(default_factory=dict)
    #: the organisation's lock dates, when set: approved documents dated on or before them are
    #: refused by Xero
    period_lock: date | None = None
    year_end_lock: date | None = None

    @classmethod
    def fetch(cls, client: XeroClient, tenant_id: str) -> OrgSettings:
        org = cls()
        for found in items(client.accounting("GET", "Organisation", tenant_id), "Organisations"):
            org.period_lock = _day(found.get("PeriodLockDate"))
            org.year_end_lock = _day(found.get("EndOfYearLockDate"))
        for account in items(client.accounting("GET", "Accounts", tenant_id), "Accounts"):
            if account.get("Code"):
                org.accounts[str(account["Code"]).upper()] = account
        for rate in items(client.accounting("GET", "TaxRates", tenant_id), "TaxRates"):
            if rate.get("TaxType"):
                org.tax_types[str(rate["TaxType"]).upper()] = rate
                percent = rate_of(rate)
                if percent is not None:
                    org.rates[str(rate["TaxType"]).upper()] = percent
        # Archived categories and options too, so that they are reported as archived rather than
        # as missing (Xero lists them only when asked).
        body = client.accounting(
            "GET", "TrackingCategories", tenant_id, params={"includeArchived": "true"}
        )
        for category in items(body, "TrackingCategories"):
            name = str(category.get("Name", ""))
            org.tracking[name.lower()] = TrackingCategory(
                name,
                str(category.get("Status", "ACTIVE")),
                {
                    str(o.get("Name", "")).lower(): (
                        str(o.get("Name", "")),
                        str(o.get("Status", "ACTIVE")),
                    )
                    for o in items(category, "Options")
                },
            )
        for currency in items(client.accounting("GET", "Currencies", tenant_id), "Currencies"):
            if currency.get("Code"):
                org.currencies.add(str(currency["Code"]).upper())
        return org

    def lock_reason(self, payload: dict[str, Any]) -> str | None:
        """Why Xero would refuse this approved invoice's date, and what to do (None: it would
        not). Xero still takes drafts dated in a locked period, so only AUTHORISED is checked."""
        if str(payload.get("Status", "")).upper() != "AUTHORISED":
            return None
        try:
            dated = date.fromisoformat(str(payload.get("Date", ""))[:10])
        except ValueError:
            return None
        locks = [
            (when, what)
            for when, what in (
                (self.year_end_lock, "end-of-year lock date"),
                (self.period_lock, "period lock date"),
            )
            if when is not None and dated <= when
        ]
        if not locks:
            return None
        when, what = max(locks, key=lambda lock: lock[0])
        return (
            f"The invoice is dated {dated:%d %b %Y}, on or before the organisation's {what} in "
            f"Xero ({when:%d %b %Y}), so Xero refuses it. Change the invoice date in Maica and "
            "import the export again, or ask the organisation's adviser to move the lock date in "
            "Xero (Financial settings)."
        )

    def revenue_accounts(self) -> list[str]:
        """Active accounts an invoice line can post to, as "code name"."""
        return [
            f"{code} {account.get('Name', '')}".strip()
            for code, account in sorted(self.accounts.items())
            if str(account.get("Status", "ACTIVE")).upper() == "ACTIVE"
            and _unpostable(account) is None
        ]


def _unpostable(account: dict[str, Any]) -> str | None:
    """Why a sales invoice line cannot (or should not) post to this account; None if it can."""
    if str(account.get("Type", "")).upper() == "BANK":
        return "is a bank account"
    system = str(account.get("SystemAccount") or "")
    if system:
        return f"is Xero's {system.lower()} system account"
    kind = str(account.get("Class", "REVENUE")).upper()
    if kind != "REVENUE":
        return f"is {'an' if kind[:1] in 'AEIOU' else 'a'} {kind.lower()} account, not revenue"
    return None


def _day(value: Any) -> date | None:
    found = ms_date(value)
    return found.date() if found is not None else None


def approval_refusal(client: XeroClient, tenant_id: str) -> ApprovalRefused | None:
    """The sentence that stops a run when Xero says this app may not create approved invoices
    in the organisation (``GET /Organisation/Actions``); None when it may."""
    body = client.accounting("GET", "Organisation/Actions", tenant_id)
    for action in items(body, "Actions"):
        name, status = action.get("Name"), str(action.get("Status", "")).upper()
        if name == "CreateApprovedInvoice" and status != "ALLOWED":
            return ApprovalRefused(
                "Xero says this app may not create approved invoices in this organisation, so "
                "nothing was sent. Ask the organisation's adviser to give the Xero user who "
                "connected this app permission to approve invoices (or connect as a user who "
                "has it), or choose a flow that sends drafts."
            )
    return None


def _decimals(value: Decimal) -> int:
    exponent = value.normalize().as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


def check(
    invoice: Invoice,
    payload: dict[str, Any],
    org: OrgSettings,
    context: MappingContext | None = None,
) -> list[str]:
    """The reasons Xero would reject this invoice (empty: it can be sent); with ``context``, each
    reason about an account or a tax type says where the value comes from and what to change."""
    reasons: list[str] = []
    lines = payload.get("LineItems", [])
    if not lines:
        reasons.append("The invoice has no lines.")
    if len(lines) > MAX_LINES:
        reasons.append(
            f"The invoice has {len(lines)} lines; at most {MAX_LINES} can be sent as one invoice. "
            "Split it in Maica."
        )
    locked = org.lock_reason(payload)
    if locked:
        reasons.append(locked)
    currency = str(payload.get("CurrencyCode", "")).upper()
    if org.currencies and currency not in org.currencies:
        reasons.append(
            f"The currency {currency} is not set up in this Xero organisation (Settings → "
            "Currencies)."
        )
    seen: set[str] = set()
    for number, (line, entry) in enumerate(zip(invoice.lines, lines, strict=False), start=1):
        for reason in _check_line(number, line, entry, org, context):
            if reason not in seen:
                seen.add(reason)
                reasons.append(reason)
    return reasons


def _check_line(
    number: int,
    line: Line,
    entry: dict[str, Any],
    org: OrgSettings,
    context: MappingContext | None,
) -> list[str]:
    unit_price, quantity = line.unit_price, line.quantity
    reasons = []
    code = str(entry.get("AccountCode", ""))
    account = org.accounts.get(code.upper())
    accounts = _choices(org.revenue_accounts(), "active revenue accounts")
    if account is None:
        reasons.append(
            f"Line {number}: account code '{code}' does not exist in Xero. "
            + _source(line, context, "account_code", "account code", accounts)
        )
    elif str(account.get("Status", "ACTIVE")).upper() == "ARCHIVED":
        reasons.append(
            f"Line {number}: account '{code}' ({account.get('Name', '')}) is archived in Xero. "
            + _source(line, context, "account_code", "account code", accounts)
        )
    elif (why := _unpostable(account)) is not None:
        reasons.append(
            f"Line {number}: account '{code}' ({account.get('Name', '')}) {why}; "
            "invoice lines must post to an active revenue account. "
            + _source(line, context, "account_code", "account code", accounts)
        )
    tax_type = str(entry.get("TaxType", ""))
    rate = org.tax_types.get(tax_type.upper())
    taxes = _choices(_revenue_taxes(org), "tax types for income")
    if rate is None:
        reasons.append(
            f"Line {number}: tax type '{tax_type}' does not exist in Xero. "
            + _source(line, context, "tax_type", "tax type", taxes)
        )
    elif str(rate.get("Status", "ACTIVE")).upper() != "ACTIVE":
        reasons.append(
            f"Line {number}: tax type '{tax_type}' is not active in Xero. "
            + _source(line, context, "tax_type", "tax type", taxes)
        )
    elif rate.get("CanApplyToRevenue") is False:
        reasons.append(
            f"Line {number}: tax type '{tax_type}' ({rate.get('Name', '')}) cannot be used on "
            "income. " + _source(line, context, "tax_type", "tax type", taxes)
        )
    tracking = entry.get("Tracking", [])
    if len(tracking) > 2:
        reasons.append(f"Line {number}: Xero allows at most two tracking categories.")
    for pair in tracking:
        reasons.extend(_check_tracking(number, str(pair["Name"]), str(pair["Option"]), org))
    if _decimals(unit_price) > MAX_UNIT_DECIMALS or _decimals(quantity) > MAX_UNIT_DECIMALS:
        reasons.append(
            f"Line {number}: amounts with more than {MAX_UNIT_DECIMALS} decimals cannot be sent "
            "to Xero exactly."
        )
    return reasons


def _check_tracking(number: int, name: str, option: str, org: OrgSettings) -> list[str]:
    category = org.tracking.get(name.lower())
    categories = _choices(
        [c.name for c in org.tracking.values() if c.active], "active tracking categories"
    )
    archived = True
    if category is None:
        problem, archived = f"tracking category '{name}' does not exist in Xero{categories}", False
    elif not category.active:
        problem = f"tracking category '{category.name}' is archived in Xero{categories}"
    else:
        found = category.options.get(option.lower())
        options = _choices(category.active_options(), f"active options of {category.name}")
        if found is None:
            problem = (
                f"tracking option '{option}' does not exist in category '{category.name}'{options}"
            )
            archived = False
        elif found[1].upper() != "ACTIVE":
            problem = f"tracking option '{category.name}: {found[0]}' is archived in Xero{options}"
        else:
            return []
    fix = (
        "change it there to an active one"
        if archived
        else "correct it there, or add it in Xero (Settings → Tracking categories)"
    )
    restore = (
        "Restore it in Xero (Settings → Tracking categories) and run the sync again, or change "
        "the line: it"
        if archived
        else "It"
    )
    return [
        f"Line {number}: {problem}. {restore} comes from this line's tracking_1 or tracking_2 "
        f"column ('{name}:{option}') in the Maica export: {fix}, or empty that column; then "
        "import the export again."
    ]


def _revenue_taxes(org: OrgSettings) -> list[str]:
    return [
        f"{key} ({rate.get('Name', '')})"
        for key, rate in sorted(org.tax_types.items())
        if str(rate.get("Status", "ACTIVE")).upper() == "ACTIVE"
        and rate.get("CanApplyToRevenue") is not False
    ]


def _choices(found: list[str], what: str) -> str:
    if not found:
        return ""
    more = f" and {len(found) - 4} more" if len(found) > 4 else ""
    return f" ({what}: {', '.join(found[:4])}{more})"


def _source(
    line: Line, context: MappingContext | None, column: str, what: str, choices: str
) -> str:
    """Where the offending value comes from, and the one change that clears it."""
    item_number = line.support_item_number
    if getattr(line, column) and context is not None and context.source == "maica":
        # read from the Maica org: the value is the support item's there, not an export's column
        field = {"account_code": "Finance Account Code", "tax_type": "Tax Type"}.get(column, what)
        return (
            f"It comes from support item {item_number} in the Maica org (its {field}): correct "
            f"it there; the next sync reads the invoice again{choices}."
        )
    if getattr(line, column):
        return (
            f"It comes from the {column} column of this line in the Maica export, which overrides "
            f"the mapping of support item {item_number}: correct or empty that column in Maica "
            f"and import the export again{choices}."
        )
    item = context.support_items.get(item_number) if context else None
    if item is not None and getattr(item, column):
        return (
            f"It comes from the mapping of support item {item_number}: change that support "
            f"item's {what}{choices}."
        )
    if context is None:
        return f"Change the support item's {what}{choices}."
    return (
        f"Support item {item_number} has no {what}, so the default {what} setting applies: "
        f"set the support item's {what}, or change the default{choices}."
    )
