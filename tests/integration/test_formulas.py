"""Spreadsheet formulas in a Maica export are plain text in Xero (issue 11, item 11).

Nothing on the way (import, store, sync engine, client) strips, quotes or evaluates a value that
starts with ``=``, ``+``, ``-`` or ``@``: Xero receives exactly what Maica exported. (Files the
product writes neutralise such values instead: core.csvsafe, tested in tests/unit.)
"""

from __future__ import annotations

import csv
from pathlib import Path

from maica_xero_desktop.core.service import Service, internals
from maica_xero_desktop.sandbox import Sandbox
from tests.support.exports import DEMO, SAMPLE

NAME = '=HYPERLINK("http://evil.example","Adam")'
DESCRIPTIONS = ["+61 400 000 000 call first", "-1+cmd|' /C calc'!A0", "@SUM(A1:A9) support"]


def _export(tmp_path: Path) -> Path:
    with SAMPLE.open(encoding="utf-8-sig", newline="") as source:
        rows = [row for row in csv.DictReader(source) if row["invoice_number"] == "INV-002401"]
    for row, description in zip(rows, DESCRIPTIONS, strict=False):
        row["status"] = "Not Paid"  # a status every flow sends
        row["participant_name"] = NAME
        row["line_description"] = description
    path = tmp_path / "formulas.csv"
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.DictWriter(out, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


def test_formula_like_values_reach_xero_unchanged(
    connected: Service, xero_env: Sandbox, tmp_path: Path
) -> None:
    service = connected
    service.use(DEMO)
    parsed, _ = service.sync.import_file(_export(tmp_path))
    sent = len(parsed.invoices[0].lines)
    result = service.sync.run()
    assert (result.created, result.failed) == (1, 0), result.message
    tenant = service.settings().active_tenant_id
    (summary,) = [i for i in xero_env.invoices(tenant) if "INV-002401" in str(i)]
    body = internals(service).xero.accounting("GET", f"Invoices/{summary['InvoiceID']}", tenant)
    (invoice,) = body["Invoices"]
    descriptions = [str(line.get("Description")) for line in invoice["LineItems"]]
    # the product composes "<item> <description> (<date>)": the value sits in it verbatim
    for description in DESCRIPTIONS[:sent]:
        assert any(f" {description} (" in d for d in descriptions), (description, descriptions)
    names = [str(c.get("Name")) for c in xero_env.contacts(tenant)]
    assert NAME in names
