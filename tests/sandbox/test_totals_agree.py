"""The sandbox's invoice totals and the product's prediction (core.totals) agree: two separate
implementations of Xero's documented rules (per-line rounding, Exclusive / Inclusive / NoTax)."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from maica_xero_desktop.core.totals import compute

from .books import Books, invoice, line

RATES = {"OUTPUT": Decimal(10), "EXEMPTOUTPUT": Decimal(0)}

lines = st.lists(
    st.tuples(
        st.decimals(min_value=Decimal("0.01"), max_value=Decimal(40), places=2),
        st.decimals(min_value=Decimal(0), max_value=Decimal(500), places=4),
        st.sampled_from(sorted(RATES)),
    ),
    min_size=1,
    max_size=6,
)


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(lines, st.sampled_from(["Exclusive", "Inclusive", "NoTax"]))
def test_sandbox_totals_are_the_predicted_ones(
    books: Books, given_lines: list[tuple[Decimal, Decimal, str]], amount_type: str
) -> None:
    body = invoice(
        LineAmountTypes=amount_type,
        LineItems=[
            line(Quantity=float(q), UnitAmount=float(u), TaxType=t) for q, u, t in given_lines
        ],
    )
    response = books.put_invoices(body, unitdp=4)
    assert response.status_code == 200, response.text
    (created,) = response.json()["Invoices"]
    predicted = compute([(q, u, RATES[t]) for q, u, t in given_lines], amount_type)
    figures = (created["SubTotal"], created["TotalTax"], created["Total"])
    assert tuple(Decimal(str(x)) for x in figures) == (
        predicted.subtotal,
        predicted.tax,
        predicted.total,
    )
