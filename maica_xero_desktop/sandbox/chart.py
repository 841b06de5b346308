"""Each organisation's settings: an Australian chart of accounts, GST tax rates, tracking
categories and currencies. Seeded per tenant (ids derived from the tenant id, so they are stable
across restarts and differ between organisations); read-only through the API."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from .timefmt import ms_date_tz

#: When the seeded settings were "last changed" (2025-07-01T00:00:00Z).
SEEDED_AT = 1751328000.0

# code, name, type, class, tax type, status, system account, description
_ACCOUNTS: tuple[tuple[str, str, str, str, str, str, str, str], ...] = (
    ("090", "Business Bank Account", "BANK", "ASSET", "BASEXCLUDED", "ACTIVE", "", ""),
    ("091", "Business Savings Account", "BANK", "ASSET", "BASEXCLUDED", "ACTIVE", "", ""),
    ("200", "Sales", "REVENUE", "REVENUE", "OUTPUT", "ACTIVE", "", "Income from services"),
    ("210", "NDIS Support Income", "REVENUE", "REVENUE", "EXEMPTOUTPUT", "ACTIVE", "", ""),
    ("250", "Old NDIS Income", "REVENUE", "REVENUE", "EXEMPTOUTPUT", "ARCHIVED", "", ""),
    ("260", "Other Revenue", "REVENUE", "REVENUE", "OUTPUT", "ACTIVE", "", ""),
    ("270", "Interest Income", "OTHERINCOME", "REVENUE", "EXEMPTOUTPUT", "ACTIVE", "", ""),
    ("400", "Advertising", "EXPENSE", "EXPENSE", "INPUT", "ACTIVE", "", ""),
    ("404", "Bank Fees", "EXPENSE", "EXPENSE", "EXEMPTEXPENSES", "ACTIVE", "", ""),
    ("477", "Wages and Salaries", "EXPENSE", "EXPENSE", "BASEXCLUDED", "ACTIVE", "", ""),
    ("493", "Travel - National", "EXPENSE", "EXPENSE", "INPUT", "ACTIVE", "", ""),
    ("610", "Accounts Receivable", "CURRENT", "ASSET", "BASEXCLUDED", "ACTIVE", "DEBTORS", ""),
    ("800", "Accounts Payable", "CURRLIAB", "LIABILITY", "BASEXCLUDED", "ACTIVE", "CREDITORS", ""),
    ("820", "GST", "CURRLIAB", "LIABILITY", "BASEXCLUDED", "ACTIVE", "GST", ""),
)

# tax type, name, rate %, report tax type, applies to (Assets, Equity, Expenses, Liabilities,
# Revenue)
_TAX_RATES: tuple[tuple[str, str, str, str, tuple[bool, bool, bool, bool, bool]], ...] = (
    ("OUTPUT", "GST on Income", "10", "OUTPUT", (True, True, False, True, True)),
    ("EXEMPTOUTPUT", "GST Free Income", "0", "EXEMPTOUTPUT", (True, True, False, True, True)),
    ("BASEXCLUDED", "BAS Excluded", "0", "BASEXCLUDED", (True, True, True, True, True)),
    ("INPUT", "GST on Expenses", "10", "INPUT", (True, True, True, True, False)),
    ("EXEMPTEXPENSES", "GST Free Expenses", "0", "EXEMPTEXPENSES", (True, True, True, True, False)),
    (
        "CAPEXINPUT",
        "GST on Capital",
        "10",
        "CAPITALEXPENSESINPUT",
        (True, False, False, False, False),
    ),
    ("GSTONIMPORTS", "GST on Imports", "0", "GSTONIMPORTS", (False, False, False, True, False)),
    ("INPUTTAXED", "Input Taxed", "0", "INPUTTAXED", (True, True, True, True, True)),
)

_TRACKING: tuple[tuple[str, tuple[tuple[str, str], ...]], ...] = (
    ("Region", (("North", "ACTIVE"), ("South", "ACTIVE"), ("West (closed)", "ARCHIVED"))),
    (
        "Funding",
        (("Agency Managed", "ACTIVE"), ("Plan Managed", "ACTIVE"), ("Self Managed", "ACTIVE")),
    ),
)

_CURRENCIES = (("AUD", "Australian Dollar"),)
_DEMO_CURRENCIES = (("AUD", "Australian Dollar"), ("NZD", "New Zealand Dollar"))

#: account classes a tax rate's CanApplyTo... flags refer to, in _TAX_RATES order
_CLASSES = ("ASSET", "EQUITY", "EXPENSE", "LIABILITY", "REVENUE")
_FLAGS = {
    "ASSET": "CanApplyToAssets",
    "EQUITY": "CanApplyToEquity",
    "EXPENSE": "CanApplyToExpenses",
    "LIABILITY": "CanApplyToLiabilities",
    "REVENUE": "CanApplyToRevenue",
}


@dataclass
class Chart:
    """One organisation's settings, as API JSON plus lookups used by the validators."""

    accounts: dict[str, dict[str, Any]] = field(default_factory=dict)  # by code
    tax_rates: dict[str, dict[str, Any]] = field(default_factory=dict)  # by TaxType
    rates: dict[str, Decimal] = field(default_factory=dict)  # TaxType -> fraction (0.1)
    tracking: list[dict[str, Any]] = field(default_factory=list)
    currencies: list[dict[str, str]] = field(default_factory=list)

    def tax_applies(self, tax_type: str, account_class: str) -> bool:
        flag = _FLAGS.get(account_class)
        return flag is not None and bool(self.tax_rates[tax_type].get(flag))

    def find_tracking(self, name: str, option: str) -> tuple[dict[str, Any], dict[str, Any]] | None:
        """The ACTIVE category called ``name`` and its ACTIVE option ``option`` (any case)."""
        for category in self.tracking:
            if category["Name"].lower() != name.strip().lower() or category["Status"] != "ACTIVE":
                continue
            for opt in category["Options"]:
                if opt["Name"].lower() == option.strip().lower() and opt["Status"] == "ACTIVE":
                    return category, opt
        return None


def build_chart(tenant_id: str, is_demo: bool) -> Chart:
    ns = uuid.UUID(tenant_id)
    chart = Chart()
    updated = ms_date_tz(SEEDED_AT)
    for code, name, typ, cls, tax, status, system, desc in _ACCOUNTS:
        account: dict[str, Any] = {
            "AccountID": str(uuid.uuid5(ns, f"account:{code}")),
            "Code": code,
            "Name": name,
            "Status": status,
            "Type": typ,
            "TaxType": tax,
            "Class": cls,
            "EnablePaymentsToAccount": False,
            "ShowInExpenseClaims": typ == "EXPENSE",
            "ReportingCode": f"{cls[:3]}",
            "ReportingCodeName": cls.capitalize(),
            "HasAttachments": False,
            "UpdatedDateUTC": updated,
            "AddToWatchlist": False,
        }
        if desc:
            account["Description"] = desc
        if system:
            account["SystemAccount"] = system
        if typ == "BANK":
            account.update(
                BankAccountNumber="062000" + code.zfill(8),
                BankAccountType="BANK",
                CurrencyCode="AUD",
            )
        chart.accounts[code] = account
    for tax_type, name, rate, report, applies in _TAX_RATES:
        value = float(rate)
        flags = dict(zip(_CLASSES, applies, strict=True))
        chart.tax_rates[tax_type] = {
            "Name": name,
            "TaxType": tax_type,
            "TaxComponents": [
                {"Name": "GST", "Rate": value, "IsCompound": False, "IsNonRecoverable": False}
            ],
            "Status": "ACTIVE",
            "ReportTaxType": report,
            "CanApplyToAssets": flags["ASSET"],
            "CanApplyToEquity": flags["EQUITY"],
            "CanApplyToExpenses": flags["EXPENSE"],
            "CanApplyToLiabilities": flags["LIABILITY"],
            "CanApplyToRevenue": flags["REVENUE"],
            "DisplayTaxRate": value,
            "EffectiveRate": value,
        }
        chart.rates[tax_type] = Decimal(rate) / 100
    for name, options in _TRACKING:
        cat_id = str(uuid.uuid5(ns, f"tracking:{name}"))
        chart.tracking.append(
            {
                "TrackingCategoryID": cat_id,
                "Name": name,
                "Status": "ACTIVE",
                "Options": [
                    {
                        "TrackingOptionID": str(uuid.uuid5(ns, f"tracking:{name}:{opt}")),
                        "Name": opt,
                        "Status": status,
                    }
                    for opt, status in options
                ],
            }
        )
    chart.currencies = [
        {"Code": c, "Description": d} for c, d in (_DEMO_CURRENCIES if is_demo else _CURRENCIES)
    ]
    return chart
