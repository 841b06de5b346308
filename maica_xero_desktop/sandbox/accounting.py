"""Accounting API resources (``/api.xro/2.0``): ``GET /Organisation`` (with the lock dates an
admin control set) and ``GET /Organisation/Actions``."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from .api import ApiContext, add_api_route
from .records import Org
from .routes import Router
from .timefmt import day_ms_date, ms_date
from .web import Request, Response, json_response

if TYPE_CHECKING:
    from .app import SandboxApp

SETTINGS_READ = ("accounting.settings", "accounting.settings.read")


def register(router: Router) -> None:
    add_api_route(router, "GET", r"Organisation/?", get_organisation, scopes=SETTINGS_READ)
    add_api_route(router, "GET", r"Organisation/Actions/?", get_actions, scopes=SETTINGS_READ)


def envelope(app: SandboxApp, key: str, items: list[dict[str, Any]]) -> dict[str, Any]:
    """The wrapper every Accounting API answer comes in."""
    return {
        "Id": str(uuid.uuid4()),
        "Status": "OK",
        "ProviderName": app.config.app_name,
        "DateTimeUTC": ms_date(app.state.now()),
        key: items,
    }


def organisation_json(org: Org) -> dict[str, Any]:
    return {
        "OrganisationID": org.tenant_id,
        "APIKey": org.short_code.strip("!").upper().ljust(30, "X"),
        "Name": org.name,
        "LegalName": org.legal_name,
        "PaysTax": True,
        "Version": "AU",
        "OrganisationType": "COMPANY",
        "BaseCurrency": "AUD",
        "CountryCode": "AU",
        "IsDemoCompany": org.is_demo,
        "OrganisationStatus": "ACTIVE",
        "RegistrationNumber": "51 824 753 556",
        "TaxNumber": "51824753556",
        "FinancialYearEndDay": 30,
        "FinancialYearEndMonth": 6,
        "SalesTaxBasis": "ACCRUALS",
        "SalesTaxPeriod": "QUARTERLY1",
        "DefaultSalesTax": "Tax Exclusive",
        "DefaultPurchasesTax": "Tax Exclusive",
        "CreatedDateUTC": ms_date(org.created),
        "OrganisationEntityType": "COMPANY",
        "Timezone": "AUSEASTERNSTANDARDTIME",
        "ShortCode": org.short_code,
        "Edition": "BUSINESS",
        "Class": "DEMO" if org.is_demo else "STANDARD",
        "LineOfBusiness": "Disability support services",
        "Addresses": [],
        "Phones": [],
        "ExternalLinks": [],
        "PaymentTerms": {},
    }


def get_organisation(
    app: SandboxApp, request: Request, params: dict[str, str], ctx: ApiContext
) -> Response:
    data = organisation_json(ctx.org)
    with app.state.lock:
        controls = app.state.ledger(ctx.org.tenant_id).controls
        locks = (controls.period_lock_date, controls.end_of_year_lock_date)
    for name, day in zip(("PeriodLockDate", "EndOfYearLockDate"), locks, strict=True):
        if day:
            data[name] = day_ms_date(day)
    return json_response(200, envelope(app, "Organisations", [data]))


def get_actions(
    app: SandboxApp, request: Request, params: dict[str, str], ctx: ApiContext
) -> Response:
    with app.state.lock:
        actions = app.state.ledger(ctx.org.tenant_id).controls.actions()
    return json_response(200, envelope(app, "Actions", actions))
