"""A sent invoice changed in Maica: advice that leads somewhere. A number reused for another
participant is never "update the Xero invoice by hand" (that would overwrite the first
participant's invoice); a changed invoice voided in Xero says what works under Xero's numbering
rule (Xero keeps a voided invoice's number): a new number in Maica, which is then sent."""

from __future__ import annotations

from pathlib import Path

import pytest

from maica_xero_desktop.cli import main
from maica_xero_desktop.core.service import Service
from tests.integration.conftest import SandboxAdmin
from tests.support.exports import DEMO, SAMPLE, adam_smith_export

pytestmark = pytest.mark.usefixtures("no_rate_limits")


def _row(service: Service, number: str) -> object:
    return next(r for r in service.sync.invoices() if r.invoice_number == number)


def test_a_number_reused_for_another_participant_says_give_it_a_new_number(
    connected: Service, admin: SandboxAdmin, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    connected.use(DEMO)
    tenant = connected.settings().active_tenant_id
    connected.sync.import_file(SAMPLE)
    connected.sync.run()  # INV-002403 is Mia Nguyen's (P-000103) in Xero now
    # Maica reuses INV-002403 for Adam Smith (P-000101)
    connected.sync.import_file(adam_smith_export(tmp_path, ("INV-002403", "100.00")))

    row = _row(connected, "INV-002403")
    assert row.state == "changed"  # type: ignore[attr-defined]
    message: str = row.message  # type: ignore[attr-defined]
    assert "reused in Maica for another participant (P-000101" in message
    assert "by hand" not in message
    assert "Give the new invoice a new number in Maica" in message
    connected.sync.run()  # a sync keeps the advice
    assert "reused in Maica" in _row(connected, "INV-002403").message  # type: ignore[attr-defined]

    # Voided in Xero after all: Xero keeps the number, so only a new Maica number gets it there
    admin.post("void", {"invoice_number": "INV-002403", "tenant_id": tenant})
    connected.sync.refresh_payments()
    message = _row(connected, "INV-002403").message  # type: ignore[attr-defined]
    assert message.startswith("Voided in Xero (seen ")
    assert "give it a new number in Maica and import it again" in message
    connected.sync.import_file(
        adam_smith_export(tmp_path, ("INV-002403-A", "100.00"), name="new.csv")
    )
    capsys.readouterr()
    main(["sync"])
    numbers = [str(i["InvoiceNumber"]) for i in admin.sandbox.invoices(tenant)]
    assert "INV-002403-A" in numbers  # the way forward works
    assert numbers.count("INV-002403") == 1


def test_a_changed_invoice_for_the_same_participant_keeps_the_by_hand_advice(
    connected: Service, tmp_path: Path
) -> None:
    connected.use(DEMO)
    connected.sync.import_file(adam_smith_export(tmp_path, ("INV-901", "100.00")))
    connected.sync.run()
    connected.sync.import_file(adam_smith_export(tmp_path, ("INV-901", "120.00"), name="v2.csv"))
    row = _row(connected, "INV-901")
    assert row.state == "changed"  # type: ignore[attr-defined]
    assert "reused" not in row.message  # type: ignore[attr-defined]
