"""The earliest invoice date a pull reads (``maica-since``): a first pull in an org that never
sent its invoices to Xero does not read years of invoices paid long ago."""

from __future__ import annotations

import pytest

from maica_xero_desktop.core.service import Service
from maica_xero_desktop.sandbox import Sandbox
from tests.integration.maica_support import NS, invoices, maica_ready, open_invoice_numbers

pytestmark = pytest.mark.usefixtures("no_rate_limits")

DATE = f"{NS}__Invoice_Date__c"


@pytest.mark.parametrize("bulk", [False, True])
def test_a_pull_reads_only_invoices_dated_on_or_after_the_floor(
    service: Service, xero_env: Sandbox, bulk: bool
) -> None:
    maica_ready(service)
    dated = {
        n: str(r[DATE])
        for n, r in invoices(xero_env).items()
        if n in open_invoice_numbers(xero_env)
    }
    floor = sorted(dated.values())[len(dated) // 2]
    expected = {n for n, day in dated.items() if day >= floor}
    assert 0 < len(expected) < len(dated)
    assert service.config_set("maica-since", floor) == floor

    result = service.maica.pull(bulk=bulk)

    assert not result.errors
    assert {r.invoice_number for r in service.sync.invoices()} == expected
    assert result.pulled == len(expected)

    # taken off: the next pull reads the older ones too
    service.config_set("maica-since", "off")
    service.maica.pull(bulk=bulk, full=True)
    assert {r.invoice_number for r in service.sync.invoices()} == set(dated)
