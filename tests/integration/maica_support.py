"""Shared steps of the Maica integration tests (core against the sandbox's offline Maica org,
over HTTP): connect to the org through the sign-in, make it the source, read its records."""

from __future__ import annotations

from typing import Any

from maica_xero_desktop.core.service import Service
from maica_xero_desktop.sandbox import Sandbox

NS = "maica_cc"
INVOICE = f"{NS}__Invoice__c"
LINE = f"{NS}__Invoice_Line_Item__c"
PAYMENT = f"{NS}__Payment__c"
FEI = f"{NS}__Finance_External_ID__c"
XERO_NO = f"{NS}__Xero_Invoice_No__c"
DEMO = "Demo Company (AU)"


def connect_maica(service: Service) -> None:
    """Sign in to the offline org (auto-consent through the test browser) and confirm the
    names found by label, as the administrator would."""
    status = service.maica.connect(lambda url: None, timeout=10)
    assert status.connected, status
    check = service.maica.confirm_mapping()
    assert check.ok, check.sentence
    assert check.unconfirmed == ()


def maica_ready(service: Service) -> None:
    """Xero connected with the demo organisation chosen, the Maica org connected and the
    source set to Maica."""
    service.connect(lambda url: None, timeout=10)
    service.use(DEMO)
    connect_maica(service)
    service.config_set("source", "maica")


def invoices(sandbox: Sandbox) -> dict[str, dict[str, Any]]:
    """The org's invoices by number."""
    return {str(r["Name"]): r for r in sandbox.maica_records(INVOICE)}


def payments(sandbox: Sandbox) -> list[dict[str, Any]]:
    return sandbox.maica_records(PAYMENT)


def open_invoice_numbers(sandbox: Sandbox) -> set[str]:
    """Invoices the product should read: no Finance External ID and not cancelled."""
    return {
        n
        for n, r in invoices(sandbox).items()
        if not r.get(FEI) and not r.get(f"{NS}__Cancelled__c")
    }
