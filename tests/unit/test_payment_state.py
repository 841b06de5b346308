"""Xero's payment state from Status, AmountDue, Total and credits — not AmountPaid alone."""

from __future__ import annotations

from typing import Any

import pytest

from maica_xero_desktop.core.sync.payments import payment_state, xero_payment_state


@pytest.mark.parametrize(
    ("invoice", "state"),
    [
        ({"Status": "AUTHORISED", "Total": 100, "AmountDue": 100, "AmountPaid": 0}, "Not Paid"),
        (
            {"Status": "AUTHORISED", "Total": 100, "AmountDue": 50, "AmountCredited": 50},
            "Partially Paid",
        ),
        ({"Status": "PAID", "Total": 100, "AmountDue": 0, "AmountCredited": 100}, "Fully Paid"),
        ({"Status": "AUTHORISED", "Total": 100, "AmountDue": 0, "AmountPaid": 100}, "Fully Paid"),
        (
            {"Status": "AUTHORISED", "Total": 100, "AmountDue": 60, "AmountPaid": 40},
            "Partially Paid",
        ),
        ({"Status": "VOIDED", "Total": 100, "AmountDue": 0}, None),
        ({"Status": "DELETED"}, None),
    ],
)
def test_state(invoice: dict[str, Any], state: str | None) -> None:
    assert xero_payment_state(invoice) == state


def test_credits_are_recorded_beside_payments_and_deleted_payments_left_out() -> None:
    state = payment_state(
        {
            "InvoiceID": "x",
            "Status": "AUTHORISED",
            "Total": 100,
            "AmountPaid": 10,
            "AmountCredited": 30,
            "AmountDue": 60,
            "Payments": [
                {"PaymentID": "p1", "Amount": 10, "Date": "/Date(1796083200000+0000)/"},
                {
                    "PaymentID": "p2",
                    "Amount": 5,
                    "Date": "/Date(1796169600000+0000)/",
                    "Status": "DELETED",
                },
            ],
            "CreditNotes": [
                {"CreditNoteID": "c1", "AppliedAmount": 20, "Date": "/Date(1796256000000+0000)/"}
            ],
            "Prepayments": [],
            "Overpayments": [
                {"OverpaymentID": "o1", "AppliedAmount": 10, "Date": "/Date(1796083200000+0000)/"}
            ],
        }
    )
    assert [p[0] for p in state.payments] == ["p1"]
    assert [(c[0], c[3]) for c in state.credits] == [("c1", "credit_note"), ("o1", "overpayment")]
    assert state.last_payment_date == "2026-12-03"
    assert (state.amount_credited, state.xero_payment_state, state.complete) == (
        "30",
        "Partially Paid",
        True,
    )
