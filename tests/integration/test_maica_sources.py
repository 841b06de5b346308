"""The two sources side by side, against the offline Maica org over HTTP (second review, P1-B,
P1-C and P2-G): a file never replaces an invoice read from the Maica org, an invoice dated before
``maica-since`` is not sent with the Maica org as the source, and with the source ``file`` the
invoices read from the org are not sent."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from maica_xero_desktop.core.import_format import ImportRejected
from maica_xero_desktop.core.service import Service
from maica_xero_desktop.sandbox import Sandbox
from tests.integration.maica_support import FEI, INVOICE, NS, XERO_NO, invoices, maica_ready
from tests.integration.test_maica_review_fixes import make

pytestmark = pytest.mark.usefixtures("no_rate_limits")

SAMPLE = Path(__file__).parents[2] / "maica_xero_desktop" / "resources" / "sample-maica-export.csv"
DATE = f"{NS}__Invoice_Date__c"
FROM_ORG = "Read from the Maica org: choose the Maica org as the source to send it."


def _export(tmp_path: Path, numbers: dict[str, str]) -> tuple[Path, str]:
    """A Maica export holding the sample's last invoice under each number of ``numbers`` (new
    number -> status); returns the file and that invoice's participant."""
    with SAMPLE.open(newline="", encoding="utf-8") as stream:
        rows = list(csv.DictReader(stream))
    source = rows[-1]["invoice_number"]
    taken = [
        dict(r, invoice_number=number, status=status)
        for number, status in numbers.items()
        for r in rows
        if r["invoice_number"] == source
    ]
    export = tmp_path / "export.csv"
    with export.open("w", newline="", encoding="utf-8") as stream:
        writer = csv.DictWriter(stream, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(taken)
    return export, taken[0]["participant_name"]


def _rows(service: Service) -> dict[str, tuple[str, str, str, str]]:
    """Number -> (participant, total, state, message) of every stored invoice."""
    return {
        r.invoice_number: (r.participant_name, r.total, r.state, r.message)
        for r in service.sync.invoices()
    }


def _sent_numbers(xero_env: Sandbox, service: Service) -> set[str]:
    tenant = service.settings().active_tenant_id
    return {
        str(i.get("InvoiceNumber") or i.get("Reference") or "") for i in xero_env.invoices(tenant)
    }


# -- P1-B: a file never replaces an invoice read from the Maica org -------------------------------


@pytest.mark.parametrize("source", ["file", "maica"])
def test_a_file_with_the_number_of_an_invoice_read_from_the_org_is_refused_as_a_whole(
    service: Service, xero_env: Sandbox, tmp_path: Path, source: str
) -> None:
    maica_ready(service)
    make(xero_env, "INV-Y001", participant="Adam Smith")
    assert not service.maica.pull().errors
    export, other = _export(tmp_path, {"INV-Y002": "Not Paid", "INV-Y001": "Not Paid"})
    assert other != "Adam Smith"
    service.config_set("source", source)  # the source's marks show at once
    before = _rows(service)
    assert before["INV-Y001"][0] == "Adam Smith"

    with pytest.raises(ImportRejected) as refused:
        service.sync.import_file(export)

    said = refused.value.sentence
    assert said.startswith("The file was not imported: INV-Y001 comes from the Maica org")
    assert "import only invoices the Maica org does not hold" in said
    assert "with the Maica org as the source" in said
    assert said.endswith("Nothing was changed.")
    assert "INV-Y002" not in said
    assert _rows(service) == before  # all or nothing: INV-Y002 is not there either
    # and nothing of it reaches Xero
    service.config_set("source", "maica")
    result = service.sync.run()
    assert result.state == "finished", result.message
    [sent] = [
        i
        for i in xero_env.invoices(service.settings().active_tenant_id)
        if i.get("InvoiceNumber") == "INV-Y001"
    ]
    assert float(sent["Total"]) == 135.12  # Adam Smith's 2 x 67.56, not the file's invoice
    assert invoices(xero_env)["INV-Y001"][FEI] == sent["InvoiceID"]


def test_several_invoices_read_from_the_org_are_named_and_a_file_of_new_ones_is_imported(
    service: Service, xero_env: Sandbox, tmp_path: Path
) -> None:
    maica_ready(service)
    for number in ("INV-Y101", "INV-Y102"):
        make(xero_env, number)
    assert not service.maica.pull().errors
    export, _ = _export(tmp_path, {"INV-Y101": "Not Paid", "INV-Y102": "Entered"})
    with pytest.raises(ImportRejected) as refused:
        service.sync.import_file(export)
    assert "INV-Y101 and INV-Y102 come from the Maica org" in refused.value.sentence
    assert "change them in Maica" in refused.value.sentence

    fresh, _ = _export(tmp_path, {"INV-Y103": "Not Paid"})
    imported = service.sync.import_file(fresh)
    assert imported.summary.new == 1
    assert "INV-Y103" in _rows(service)


# -- P1-C: maica-since keeps the stored invoices dated before it from being sent -------------------


def test_an_invoice_pulled_before_maica_since_was_set_is_not_sent(
    service: Service, xero_env: Sandbox
) -> None:
    maica_ready(service)
    old = make(xero_env, "INV-OLD1")
    xero_env.maica_upsert_records(INVOICE, [{"Id": old, DATE: "2020-01-01"}])
    preview = service.sync.run(dry_run=True)  # a preview reads the org into the store
    assert "INV-OLD1" in {p["invoice_number"] for p in preview.preview if p["action"] == "send"}
    service.config_set("maica-since", "2026-01-01")

    result = service.sync.run()

    assert result.state == "finished", result.message
    assert "INV-OLD1" not in _sent_numbers(xero_env, service)
    assert result.created > 0  # the others were sent
    assert result.not_eligible >= 1
    assert "dated before maica-since" in result.message
    _, _, state, message = _rows(service)["INV-OLD1"]
    assert state == "not_eligible"
    assert message.startswith(
        "Dated before the earliest invoice date to read, maica-since 2026-01-01: not sent."
    )
    assert not invoices(xero_env)["INV-OLD1"].get(FEI)
    # the preview says it too, and a second run does not send it either
    assert service.sync.run(dry_run=True).not_eligible >= 1
    assert service.sync.run().created == 0
    assert "INV-OLD1" not in _sent_numbers(xero_env, service)

    # taken off: it is sent, and written back
    service.config_set("maica-since", "off")
    again = service.sync.run()
    assert again.state == "finished", again.message
    assert again.created == 1
    assert "INV-OLD1" in _sent_numbers(xero_env, service)
    assert invoices(xero_env)["INV-OLD1"].get(FEI)
    assert invoices(xero_env)["INV-OLD1"].get(XERO_NO) == "INV-OLD1"


def test_maica_since_holds_back_only_the_invoices_read_from_the_org(
    service: Service, xero_env: Sandbox, tmp_path: Path
) -> None:
    """A file-imported invoice is not read from the org: the setting does not concern it."""
    maica_ready(service)
    service.config_set("source", "file")
    export, _ = _export(tmp_path, {"INV-F900": "Not Paid"})
    service.sync.import_file(export)
    service.config_set("source", "maica")
    service.config_set("maica-since", "2026-11-24")  # the file's invoice is of 2026-11-23
    result = service.sync.run()
    assert result.state == "finished", result.message
    assert "INV-F900" in _sent_numbers(xero_env, service)
    assert _rows(service)["INV-F900"][2] == "synced"


# -- P2-G: with the source `file`, the invoices read from the org are not sent ---------------------


def test_with_the_source_file_an_invoice_read_from_the_org_is_not_sent(
    service: Service, xero_env: Sandbox, tmp_path: Path
) -> None:
    maica_ready(service)
    make(xero_env, "INV-Z001")
    assert not service.maica.pull().errors
    pulled = set(_rows(service))
    assert "INV-Z001" in pulled
    service.config_set("source", "file")
    export, _ = _export(tmp_path, {"INV-Z900": "Not Paid"})
    service.sync.import_file(export)
    # marked as soon as the import looked at the invoices again
    assert _rows(service)["INV-Z001"][2:] == ("not_eligible", FROM_ORG)

    preview = service.sync.run(dry_run=True)
    would = {p["invoice_number"] for p in preview.preview if p["action"] == "send"}
    assert would == {"INV-Z900"}
    assert preview.not_eligible >= len(pulled)
    result = service.sync.run()

    assert result.state == "finished", result.message
    assert _sent_numbers(xero_env, service) == {"INV-Z900"}
    assert f"{len(pulled)} read from the Maica org" in result.message
    rows = _rows(service)
    assert {n for n, row in rows.items() if row[2:] == ("not_eligible", FROM_ORG)} == pulled
    assert rows["INV-Z900"][2] == "synced"
    assert not invoices(xero_env)["INV-Z001"].get(FEI)
    # a look that does not know the source (choosing the flow) keeps the source's marks
    service.set_flow(service.settings().flow)
    assert _rows(service)["INV-Z001"][2:] == ("not_eligible", FROM_ORG)

    # back to the Maica org as the source: they are sent, and written back
    service.config_set("source", "maica")
    again = service.sync.run()
    assert again.state == "finished", again.message
    assert again.created >= 1
    assert "INV-Z001" in _sent_numbers(xero_env, service)
    assert invoices(xero_env)["INV-Z001"].get(FEI)
    assert _rows(service)["INV-Z001"][2] == "synced"


def test_choosing_the_source_marks_the_invoices_at_once(
    service: Service, xero_env: Sandbox
) -> None:
    """What the source holds back shows as soon as it is chosen, not only after the next run."""
    maica_ready(service)
    assert not service.maica.pull().errors
    number = next(n for n, row in _rows(service).items() if row[2] == "pending")
    service.config_set("source", "file")
    assert _rows(service)[number][2:] == (
        "not_eligible",
        "Read from the Maica org: choose the Maica org as the source to send it.",
    )
    service.config_set("source", "maica")
    assert _rows(service)[number][2] == "pending"
