"""Advice that works: a blocked invoice says where the bad value comes from, and doing what it
says unblocks it; the support-item mapping is chosen from the organisation's own accounts and tax
rates and applies at the next preview."""

from __future__ import annotations

from pathlib import Path

import pytest

from maica_xero_desktop.core.errors import ConfigurationError
from maica_xero_desktop.core.service import Service
from maica_xero_desktop.sandbox import Sandbox
from tests.support.exports import SAMPLE

OVERRIDDEN = "INV-002417"  # its second line has account_code 999 in the export
ITEM = "04_102_0136_6_1"


def _blocked(service: Service) -> dict[str, str]:
    preview = service.sync.run(dry_run=True)
    return {o.invoice_number: o.message for o in preview.outcomes if o.outcome == "blocked"}


def test_a_per_line_value_says_it_overrides_the_mapping_and_the_advice_unblocks(
    ready: Service, xero_env: Sandbox, tmp_path: Path
) -> None:
    message = _blocked(ready)[OVERRIDDEN]
    assert "Line 2: account code '999' does not exist in Xero." in message
    assert (
        "It comes from the account_code column of this line in the Maica export, which "
        f"overrides the mapping of support item {ITEM}: correct or empty that column in Maica "
        "and import the export again" in message
    )
    assert "200 Sales" in message  # the accounts it may use instead
    # Changing the support item's mapping does not help: the line's own value wins.
    ready.save_mapping(ITEM, account_code="210")
    assert OVERRIDDEN in _blocked(ready)
    # Followed literally: empty that column, import again.
    fixed = SAMPLE.read_text(encoding="utf-8").replace(",23.4133,999,", ",23.4133,,")
    path = tmp_path / "fixed.csv"
    path.write_text(fixed, encoding="utf-8")
    ready.sync.import_file(path)
    assert _blocked(ready) == {}


def test_a_mapping_value_names_the_support_item_and_the_advice_unblocks(
    ready: Service, xero_env: Sandbox
) -> None:
    ready.save_mapping("01_011_0107_1_1", account_code="250")  # archived in Xero
    message = _blocked(ready)["INV-002438"]
    assert "account '250' (Old NDIS Income) is archived in Xero" in message
    assert (
        "It comes from the mapping of support item 01_011_0107_1_1: change that support "
        "item's account code" in message
    )
    choices = ready.mapping_choices()
    ready.save_mapping("01_011_0107_1_1", account_code="210", choices=choices)
    assert "INV-002438" not in _blocked(ready)


def test_a_default_value_says_it_is_the_default(ready: Service, xero_env: Sandbox) -> None:
    ready.config_set("default-tax-type", "INPUT")
    message = _blocked(ready)["INV-002438"]
    assert "tax type 'INPUT' (GST on Expenses) cannot be used on income" in message
    assert "so the default tax type setting applies" in message
    ready.config_set("default-tax-type", "EXEMPTOUTPUT")
    assert "INV-002438" not in _blocked(ready)


def test_choices_come_from_the_organisation(ready: Service, xero_env: Sandbox) -> None:
    choices = ready.mapping_choices()
    postable = [a.code for a in choices.accounts if a.postable]
    assert postable == ["200", "210", "260", "270"]
    assert [a.code for a in choices.accounts[: len(postable)]] == postable  # revenue first
    archived = choices.account("250")
    assert archived is not None
    assert (archived.status, archived.postable) == ("ARCHIVED", False)
    output = choices.tax_rate("output")
    assert output is not None
    assert (output.name, str(output.rate), output.for_revenue) == ("GST on Income", "10.0", True)
    assert all(t.for_revenue for t in choices.tax_rates[:3])
    tax_types = choices.tax_rates
    expense = choices.tax_rate("INPUT")
    assert expense is not None
    assert not expense.for_revenue
    assert tax_types.index(expense) > tax_types.index(output)


def test_saving_a_mapping_is_validated(ready: Service, xero_env: Sandbox) -> None:
    choices = ready.mapping_choices()
    with pytest.raises(ConfigurationError, match="archived"):
        ready.save_mapping(ITEM, account_code="250", choices=choices)
    with pytest.raises(ConfigurationError, match="BANK account"):
        ready.save_mapping(ITEM, account_code="090", choices=choices)
    with pytest.raises(ConfigurationError, match="no account with code '777'"):
        ready.save_mapping(ITEM, account_code="777", choices=choices)
    with pytest.raises(ConfigurationError, match="not usable on income"):
        ready.save_mapping(ITEM, tax_type="INPUT", choices=choices)
    with pytest.raises(ConfigurationError, match="invisible"):
        ready.save_mapping(ITEM, xero_description="Group\x1b[31m")
    with pytest.raises(ConfigurationError, match="spaces"):
        ready.save_mapping(ITEM, account_code="2 00")
    saved = ready.save_mapping(
        ITEM,
        name="Group activities",
        xero_description="Group activities in the community",
        account_code="210",
        tax_type="exemptoutput",
        choices=choices,
    )
    assert (saved.account_code, saved.tax_type) == ("210", "EXEMPTOUTPUT")
    assert saved in ready.sync.support_items()
    preview = ready.sync.run(dry_run=True)
    lines = [
        line["Description"]
        for p in preview.preview
        if p["action"] == "send"
        for line in p["payload"]["LineItems"]
        if line["Description"].startswith(ITEM)
    ]
    assert lines
    assert all("Group activities in the community" in d for d in lines)
    cleared = ready.save_mapping(ITEM, account_code="", tax_type="")
    assert (cleared.account_code, cleared.tax_type, cleared.name) == ("", "", "Group activities")


def _with_tracking(tmp_path: Path, value: str) -> Path:
    """The sample with the first line of INV-002403 (approved) tracked as ``value``."""
    lines = SAMPLE.read_text(encoding="utf-8").splitlines()
    first = next(i for i, line in enumerate(lines) if line.startswith("INV-002403,"))
    assert ",Region:North,," in lines[first]
    lines[first] = lines[first].replace(",Region:North,,", f",{value},,")
    path = tmp_path / "tracked.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("value", "problem", "fix"),
    [
        (
            "Region:West (closed)",
            "Line 1: tracking option 'Region: West (closed)' is archived in Xero (active options "
            "of Region: North, South).",
            "change it there to an active one, or empty that column",
        ),
        (
            "Region:East",
            "Line 1: tracking option 'East' does not exist in category 'Region' (active options "
            "of Region: North, South).",
            "correct it there, or add it in Xero (Settings → Tracking categories), or empty",
        ),
        (
            "Site:Main",
            "Line 1: tracking category 'Site' does not exist in Xero (active tracking categories: "
            "Region, Funding).",
            "correct it there, or add it in Xero",
        ),
    ],
)
def test_a_tracking_block_says_what_is_wrong_the_choices_and_where_to_fix_it(
    ready: Service, tmp_path: Path, value: str, problem: str, fix: str
) -> None:
    ready.sync.import_file(_with_tracking(tmp_path, value))
    message = _blocked(ready)["INV-002403"]
    assert message.startswith(problem), message
    assert (
        f"it comes from this line's tracking_1 or tracking_2 column ('{value}') in the Maica "
        "export: "
    ) in message.replace("It comes", "it comes")
    assert fix in message
    assert message.endswith("then import the export again.")
    # Followed: an active option in that column, imported again, unblocks it.
    ready.sync.import_file(_with_tracking(tmp_path, "Region:South"))
    assert "INV-002403" not in _blocked(ready)
