"""A webhook event's message shows amounts as money: two decimals (QA 16: "paid 20.0")."""

from __future__ import annotations

import pytest

from maica_xero_desktop.core.store.events import LinkView
from maica_xero_desktop.core.webhooks.processing import _standing


@pytest.mark.parametrize(
    ("paid", "due", "shown"),
    [
        ("20.0", "128.17", "paid 20.00, due 128.17"),
        ("0", "1234.5", "paid 0.00, due 1,234.50"),
    ],
)
def test_amounts_in_an_event_message_have_two_decimals(paid: str, due: str, shown: str) -> None:
    view = LinkView("INV-002402", "Partially Paid", "INV-002402", "AUTHORISED", paid, due)
    assert _standing(view) == (
        f"INV-002402: Partially Paid — {shown} (Xero INV-002402, AUTHORISED)."
    )
