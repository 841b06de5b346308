"""Invoices voided or deleted in Xero: never silently "synced", never advice that cannot work
(Xero keeps a voided or deleted invoice's number and does not let it be edited), and 'retry'
never promises to send what it will not."""

from __future__ import annotations

from pathlib import Path

import pytest

from maica_xero_desktop.cli import main
from maica_xero_desktop.core.service import Service
from tests.integration.conftest import SandboxAdmin
from tests.integration.test_run_counts import _empty_the_store
from tests.support.exports import DEMO, adam_smith_export

pytestmark = pytest.mark.usefixtures("no_rate_limits")


def _row(service: Service, number: str) -> object:
    return next(r for r in service.sync.invoices() if r.invoice_number == number)


def _sent(service: Service, tmp_path: Path, price: str = "100.00") -> str:
    service.use(DEMO)
    service.sync.import_file(adam_smith_export(tmp_path, ("INV-801", price)))
    assert service.sync.run().created == 1
    return service.settings().active_tenant_id


@pytest.mark.parametrize(("flow", "status"), [("authorised", "Voided"), ("draft", "Deleted")])
def test_an_invoice_voided_or_deleted_in_xero_says_so(
    connected: Service,
    admin: SandboxAdmin,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    flow: str,
    status: str,
) -> None:
    connected.set_flow(flow)
    tenant = _sent(connected, tmp_path)
    admin.post(
        "void", {"invoice_number": "INV-801", "tenant_id": tenant}
    )  # a draft is deleted, not voided

    assert connected.sync.refresh_payments() == 1
    row = _row(connected, "INV-801")
    assert row.state == "synced"  # type: ignore[attr-defined]
    assert row.message.startswith(f"{status} in Xero (seen ")  # type: ignore[attr-defined]
    assert "give it a new number in Maica" in row.message  # type: ignore[attr-defined]
    assert main(["invoices"]) == 0
    assert f"{status} in Xero (seen" in capsys.readouterr().out
    assert any(
        m.startswith("1 invoice was voided or deleted in Xero") for m in connected.status().messages
    )


def test_a_conflict_with_a_voided_invoice_advises_a_new_maica_number(
    connected: Service, admin: SandboxAdmin, tmp_path: Path
) -> None:
    tenant = _sent(connected, tmp_path)
    admin.post("void", {"invoice_number": "INV-801", "tenant_id": tenant})
    _empty_the_store(connected)
    connected.sync.import_file(adam_smith_export(tmp_path, ("INV-801", "999.00"), name="v2.csv"))

    result = connected.sync.run()
    assert result.conflict == 1
    message = result.outcomes[0].message
    assert "voided there" in message
    assert "renumber the one in Xero" not in message  # a voided invoice cannot be edited
    assert "give this invoice a new number in Maica" in message


def test_retry_never_promises_to_send_an_invoice_voided_in_xero(
    connected: Service, admin: SandboxAdmin, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    tenant = _sent(connected, tmp_path)
    admin.post("void", {"invoice_number": "INV-801", "tenant_id": tenant})
    _empty_the_store(connected)
    connected.sync.import_file(adam_smith_export(tmp_path, ("INV-801", "100.00"), name="again.csv"))
    result = connected.sync.run()
    assert result.failed == 1  # this very invoice, voided in Xero: its number is taken

    assert main(["retry"]) == 0
    out = capsys.readouterr().out
    assert "will be sent again" not in out
    assert "1 failed invoice cannot be sent again as it is" in out
    assert _row(connected, "INV-801").state == "failed"  # type: ignore[attr-defined]
    assert connected.sync.retry_failed() == 0
    assert "'retry' cannot send it" in result.outcomes[0].message
