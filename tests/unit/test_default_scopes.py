"""The default scopes are the minimum the product uses (each accounting scope is needed by a call
it makes; the sandbox suites prove the set is enough for sign-in, sync and the payment pull)."""

from __future__ import annotations

from pathlib import Path

import yaml

from maica_xero_desktop.core.settings import DEFAULT_SCOPES

OPENAPI = Path(__file__).resolve().parents[1] / "contract" / "xero-openapi" / "xero_accounting.yaml"
SETTINGS_CALLS = (
    "/Organisation",
    "/Organisation/Actions",
    "/Accounts",
    "/TaxRates",
    "/TrackingCategories",
    "/Currencies",
)


def test_default_scopes_are_granular_and_minimal() -> None:
    assert set(DEFAULT_SCOPES) == {
        "openid",
        "profile",
        "email",
        "offline_access",
        "accounting.invoices",  # GET/PUT /Invoices (payments and credits ride on the invoices)
        "accounting.contacts",  # GET/PUT /Contacts
        "accounting.settings.read",  # pre-flight and the mapping choices
    }
    assert "accounting.payments.read" not in DEFAULT_SCOPES  # nothing reads /Payments


def test_every_settings_call_accepts_settings_read() -> None:
    paths = yaml.safe_load(OPENAPI.read_text(encoding="utf-8"))["paths"]
    for path in SETTINGS_CALLS:
        (security,) = paths[path]["get"]["security"]
        assert "accounting.settings.read" in security["OAuth2"], path


def test_the_user_guide_lists_the_default_scopes() -> None:
    """Section 2's scope block is exactly what the program asks for (QA 14)."""
    guide = (Path(__file__).resolve().parents[2] / "docs" / "user-guide.md").read_text("utf-8")
    section = guide.split("**Scopes.**", 1)[1]
    block = section.split("```text", 1)[1].split("```", 1)[0]
    assert block.split() == list(DEFAULT_SCOPES)
