"""The second outside review's findings on the Maica org, each against the offline org over
HTTP: one field never serves two roles, ..."""

from __future__ import annotations

import pytest

from maica_xero_desktop.core.errors import ConfigurationError, MaicaXeroError
from maica_xero_desktop.core.service import Service
from maica_xero_desktop.sandbox import Sandbox
from tests.integration.maica_support import FEI, NS, XERO_NO, invoices, maica_ready

pytestmark = pytest.mark.usefixtures("no_rate_limits")


@pytest.mark.parametrize(
    ("key", "name", "serving"),
    [
        ("invoice.xero_invoice_number", FEI, "invoice.finance_external_id"),
        ("invoice.finance_external_id", "Name", "invoice.number"),
        ("invoice.xero_invoice_number", "Name", "invoice.number"),
        ("payment.paid", f"{NS}__Include__c", "payment.include"),
    ],
)
def test_one_field_never_serves_two_roles(
    service: Service, xero_env: Sandbox, key: str, name: str, serving: str
) -> None:
    """Review 2, P1-A: the Xero number written over the Xero id would lose every link."""
    maica_ready(service)
    saved = dict(service.settings().maica_mapping)
    with pytest.raises(ConfigurationError, match="would serve both") as refused:
        service.maica.confirm_mapping({key: name})
    assert serving in str(refused.value)
    assert "nothing was saved" in str(refused.value)
    assert service.settings().maica_mapping == saved
    assert service.maica.check().ok


def test_a_hand_edited_mapping_with_one_field_for_two_roles_refuses_the_sync(
    service: Service, xero_env: Sandbox
) -> None:
    maica_ready(service)

    def edit(settings: object) -> None:
        mapping = dict(getattr(settings, "maica_mapping"))  # noqa: B009
        mapping["invoice.xero_invoice_number"] = FEI
        setattr(settings, "maica_mapping", mapping)  # noqa: B010

    service.update_settings(edit)
    check = service.maica.check()
    assert not check.ok
    [field] = [f for f in check.fields if f.key == "invoice.xero_invoice_number"]
    assert field.state == "missing"
    assert "already serves invoice.finance_external_id" in field.suggestion
    with pytest.raises(MaicaXeroError, match="xero_invoice_number"):
        service.sync.run()
    assert not any(r.get(FEI) for r in invoices(xero_env).values() if r.get(XERO_NO))
