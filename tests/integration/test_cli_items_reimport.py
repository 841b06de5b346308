"""The CLI's `items set` checks what it saves and keeps its table readable (QA 13); re-importing
after a sync says what changed, in the right number (QA 1, 16)."""

from __future__ import annotations

from pathlib import Path

import pytest

from maica_xero_desktop.cli import main
from maica_xero_desktop.core.service import Service
from tests.support.exports import SAMPLE

ITEM = "01_011_0107_1_1"


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture
def imported(service: Service, capsys: pytest.CaptureFixture[str]) -> Service:
    assert _run(capsys, "import", str(SAMPLE))[0] == 0
    return service


@pytest.mark.parametrize(
    ("option", "value", "says"),
    [
        (
            "--account-code",
            "2 00",
            "The account code '2 00' contains spaces: a Xero code has none.",
        ),
        ("--tax-type", "GST FREE", "The tax type 'GST FREE' contains spaces"),
        ("--description", "x" * 4001, "The Xero description is longer than 4000 characters"),
        ("--description", "Care\x1b[2J", "contains control or invisible characters"),
    ],
)
def test_items_set_refuses_what_xero_would(
    imported: Service, capsys: pytest.CaptureFixture[str], option: str, value: str, says: str
) -> None:
    code, out, err = _run(capsys, "items", "set", ITEM, option, value)
    assert code != 0
    assert out == ""
    assert says in err
    assert "Traceback" not in err
    items = imported.sync.support_items()
    assert next(i for i in items if i.item_number == ITEM).account_code == ""


def test_an_empty_tax_type_clears_it_and_says_so(
    imported: Service, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = _run(capsys, "items", "set", ITEM, "--tax-type", "input")
    assert (code, out) == (
        0,
        f"{ITEM}: account 200 (the default), tax type INPUT, description "
        "(its name) (the default).\n",
    )
    code, out, _ = _run(capsys, "items", "set", ITEM, "--tax-type", "")
    assert code == 0
    assert "tax type cleared (the default EXEMPTOUTPUT applies)" in out
    assert [i.tax_type for i in imported.sync.support_items() if i.item_number == ITEM] == [""]


def test_the_items_table_cuts_long_values(
    imported: Service, capsys: pytest.CaptureFixture[str]
) -> None:
    long = "Assistance " * 360  # 3,960 characters: Xero takes it
    assert _run(capsys, "items", "set", ITEM, "--description", long)[0] == 0
    code, out, _ = _run(capsys, "items")
    assert code == 0
    assert max(len(line) for line in out.splitlines()) < 160
    assert "…" in out
    items = imported.sync.support_items()
    assert next(i for i in items if i.item_number == ITEM).xero_description == long.strip()


def test_reimport_after_a_draft_sync_counts_and_says_what_changed(
    connected: Service, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    connected.use("Demo Company (AU)")
    assert _run(capsys, "config", "set", "flow", "draft")[0] == 0
    _run(capsys, "import", str(SAMPLE))
    _run(capsys, "sync")
    text = SAMPLE.read_text(encoding="utf-8")
    approved = tmp_path / "approved.csv"
    approved.write_text(
        text.replace(
            "INV-002401,2026-10-12,2026-10-26,Entered", "INV-002401,2026-10-12,2026-10-26,Not Paid"
        ).replace(",2026-10-09,6,100.14,", ",2026-10-09,7,100.14,"),
        encoding="utf-8",
    )
    code, out, _ = _run(capsys, "import", str(approved))
    assert code == 0
    lines = out.splitlines()
    assert lines[0].endswith("0 new, 1 updated, 38 unchanged.")
    assert lines[1].startswith("1 invoice changed in Maica after being sent to Xero; it is marked")
    assert lines[2].startswith("1 invoice sent to Xero has a new status in Maica")
    _code, out, _ = _run(capsys, "invoices")
    (row,) = [line for line in out.splitlines() if "INV-002401" in line]
    assert "approve it in Xero" in row
    (row,) = [line for line in out.splitlines() if "INV-002405" in line]
    assert "changed" in row
    assert "Xero used other tax rates" not in row
    # the original again: as it was sent, so nothing is left flagged or to do
    code, out, _ = _run(capsys, "import", str(SAMPLE))
    assert out.splitlines() == ["Imported 40 invoices (117 lines): 0 new, 2 updated, 38 unchanged."]
    _code, out, _ = _run(capsys, "invoices", "--state", "changed")
    assert "INV-002405" not in out
    rows = connected.sync.invoices()
    (again,) = [r for r in rows if r.invoice_number == "INV-002401"]
    assert (again.status, again.state, again.message) == ("Entered", "synced", "")
