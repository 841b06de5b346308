"""The Maica org's settings: checked when set, and when read back from a hand-edited file."""

from __future__ import annotations

import pytest

from maica_xero_desktop.core.config_keys import lookup
from maica_xero_desktop.core.errors import ConfigurationError
from maica_xero_desktop.core.settings import settings_from_json


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("https://login.salesforce.com", "https://login.salesforce.com"),
        ("https://test.salesforce.com/", "https://test.salesforce.com"),
        (" https://acme.my.salesforce.com ", "https://acme.my.salesforce.com"),
        ("http://127.0.0.1:5800", "http://127.0.0.1:5800"),
        ("http://localhost:5800", "http://localhost:5800"),
    ],
)
def test_a_login_url_is_https_or_loopback_http(text: str, value: str) -> None:
    assert lookup("sf-login-url").parse(text) == value


@pytest.mark.parametrize(
    "text",
    [
        "http://login.salesforce.com",
        "login.salesforce.com",
        "https://login.salesforce.com/services/oauth2/authorize",
        "https://login.salesforce.com?x=1",
        "javascript:alert(1)",
        "",
    ],
)
def test_other_login_urls_are_refused_with_a_sentence(text: str) -> None:
    with pytest.raises(ConfigurationError, match="My Domain"):
        lookup("sf-login-url").parse(text)


def test_a_login_url_with_a_password_is_refused_without_repeating_it() -> None:
    with pytest.raises(ConfigurationError, match="user name or password") as caught:
        lookup("sf-login-url").parse("https://admin:s3cret@acme.my.salesforce.com")
    assert "s3cret" not in str(caught.value)


def test_source_is_maica_or_file() -> None:
    assert lookup("source").parse(" Maica ") == "maica"
    assert lookup("source").parse("file") == "file"
    with pytest.raises(ConfigurationError, match="'maica'"):
        lookup("source").parse("salesforce")


def test_a_consumer_key_is_checked() -> None:
    key = "3MVG9" + "x" * 80
    assert lookup("sf-client-id").parse(f" {key} ") == key
    for bad in ("", "short", "has space in it here", "a" * 300):
        with pytest.raises(ConfigurationError, match="Consumer Key"):
            lookup("sf-client-id").parse(bad)


def test_hand_edited_maica_settings_are_checked_on_reading() -> None:
    settings, warnings = settings_from_json(
        {
            "source": "maica",
            "sf_login_url": "http://evil.example.com",
            "maica_mapping": {"invoice.xero_invoice_number": "maica_cc__Xero_Invoice_No__c"},
        }
    )
    assert settings.source == "maica"
    assert settings.sf_login_url == "https://login.salesforce.com"
    assert settings.maica_mapping == {"invoice.xero_invoice_number": "maica_cc__Xero_Invoice_No__c"}
    assert len(warnings) == 1
    assert "sf_login_url" in str(warnings[0])


def test_a_mapping_that_is_not_names_to_names_falls_back() -> None:
    settings, warnings = settings_from_json({"maica_mapping": {"invoice.total": 3}})
    assert settings.maica_mapping == {}
    assert "maica_mapping" in str(warnings[0])


def test_the_earliest_invoice_date_is_a_date_or_off() -> None:
    key = lookup("maica-since")
    assert key.parse(" 2026-07-01 ") == "2026-07-01"
    assert key.parse("off") == ""
    assert key.parse("") == ""
    for bad in ("2026-7-1", "01/07/2026", "2026-02-30", "2026-07-01T00:00:00", "'; DELETE"):
        with pytest.raises(ConfigurationError, match="YYYY-MM-DD"):
            key.parse(bad)


def test_an_earliest_invoice_date_in_the_future_is_refused() -> None:
    from datetime import date, timedelta

    tomorrow = (date.today() + timedelta(days=1)).isoformat()
    with pytest.raises(ConfigurationError, match="in the future"):
        lookup("maica-since").parse(tomorrow)
    assert lookup("maica-since").parse(date.today().isoformat()) == date.today().isoformat()
