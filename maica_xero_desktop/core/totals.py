"""Invoice totals computed the way Xero computes them, so the local figure is Xero's figure.

Maica's unit price is GST-exclusive (Maica's line total = amount + GST), so invoices go to Xero
with ``LineAmountTypes`` *Exclusive* unless the ``line-amount-type`` setting says otherwise. Xero
rounds the unit amount to the decimals asked for (``unitdp=4``), each line amount to the cent, then
the tax of each line to the cent from the tax rate's ``EffectiveRate``:

* Exclusive: tax = amount * rate; subtotal = sum of amounts; total = subtotal + sum of taxes;
* Inclusive: tax = amount * rate / (1 + rate); total = sum of amounts; subtotal = total - taxes;
* NoTax: no tax; subtotal = total = sum of amounts.

Until the organisation's own rates have been read (pre-flight remembers them), Xero's standard
Australian rates are used.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from .models import Invoice, Line

EXCLUSIVE, INCLUSIVE, NO_TAX = "Exclusive", "Inclusive", "NoTax"
LINE_AMOUNT_TYPES = (EXCLUSIVE, INCLUSIVE, NO_TAX)
CENT = Decimal("0.01")
UNIT = Decimal("0.0001")  # unitdp=4

#: Xero's standard Australian tax types that carry GST (percent); every other type is 0 %.
STANDARD_RATES: Mapping[str, Decimal] = {
    "OUTPUT": Decimal(10),
    "INPUT": Decimal(10),
    "CAPEXINPUT": Decimal(10),
}

#: where pre-flight remembers an organisation's rates (a sync mark per organisation)
RATES_MARK = "tax_rates"


def line_amount_type(value: str) -> str | None:
    """The canonical spelling of a line amount type (any case), or None when it is not one."""
    for known in LINE_AMOUNT_TYPES:
        if value.strip().lower() == known.lower():
            return known
    return None


def money(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Totals:
    subtotal: Decimal
    tax: Decimal
    total: Decimal

    def to_json(self) -> dict[str, str]:
        return {"subtotal": str(self.subtotal), "tax": str(self.tax), "total": str(self.total)}


def compute(lines: Iterable[tuple[Decimal, Decimal, Decimal]], amount_type: str) -> Totals:
    """Totals of lines given as (quantity, unit amount, tax rate in percent), as Xero computes
    them for ``amount_type`` (an unknown type counts as Exclusive, Xero's default)."""
    amounts = taxes = Decimal(0)
    for quantity, unit, percent in lines:
        amount = money(quantity * unit.quantize(UNIT, rounding=ROUND_HALF_UP))
        rate = percent / 100
        if amount_type == NO_TAX:
            tax = Decimal(0)
        elif amount_type == INCLUSIVE:
            tax = money(amount * rate / (1 + rate))
        else:
            tax = money(amount * rate)
        amounts += amount
        taxes += tax
    subtotal = amounts - taxes if amount_type == INCLUSIVE else amounts
    return Totals(money(subtotal), money(taxes), money(subtotal + taxes))


def rate_of(rate: Mapping[str, Any]) -> Decimal | None:
    """A TaxRates element's rate in percent (``EffectiveRate``, else ``DisplayTaxRate``)."""
    for key in ("EffectiveRate", "DisplayTaxRate"):
        value = rate.get(key)
        if isinstance(value, bool) or value is None:
            continue
        try:
            found = Decimal(str(value))
        except (InvalidOperation, ValueError):
            continue
        if found.is_finite():
            return found
    return None


def rates_json(rates: Mapping[str, Decimal]) -> str:
    return json.dumps({k: str(v) for k, v in sorted(rates.items())})


def rates_from_json(text: str | None) -> dict[str, Decimal]:
    """Remembered rates; the standard ones when there are none (or they cannot be read)."""
    try:
        data = json.loads(text) if text else None
        if isinstance(data, dict) and data:
            return {str(k).upper(): Decimal(str(v)) for k, v in data.items()}
    except (ValueError, InvalidOperation):
        pass
    return dict(STANDARD_RATES)


@dataclass(frozen=True)
class Pricing:
    """Everything a local total depends on: the amount type, the organisation's rates, and which
    tax type each line gets (the line's own, else its support item's, else the default)."""

    amount_type: str = EXCLUSIVE
    rates: Mapping[str, Decimal] = field(default_factory=lambda: dict(STANDARD_RATES))
    item_tax_types: Mapping[str, str] = field(default_factory=dict)
    default_tax_type: str = "EXEMPTOUTPUT"

    def tax_type(self, line: Line) -> str:
        return (
            line.tax_type or self.item_tax_types.get(line.support_item_number) or ""
        ) or self.default_tax_type

    def rate(self, tax_type: str) -> Decimal:
        return self.rates.get(tax_type.upper(), Decimal(0))

    def totals(self, invoice: Invoice) -> Totals:
        return self.line_totals(invoice.lines)

    def line_totals(self, lines: Iterable[Line]) -> Totals:
        return compute(
            ((ln.quantity, ln.unit_price, self.rate(self.tax_type(ln))) for ln in lines),
            self.amount_type,
        )


def payload_totals(payload: Mapping[str, Any], rates: Mapping[str, Decimal]) -> Totals:
    """What Xero will compute for an invoice payload, given the organisation's rates."""
    amount_type = line_amount_type(str(payload.get("LineAmountTypes") or "")) or EXCLUSIVE
    lines = []
    for entry in payload.get("LineItems", []):
        try:
            quantity = Decimal(str(entry.get("Quantity", 0)))
            unit = Decimal(str(entry.get("UnitAmount", 0)))
        except (InvalidOperation, ValueError):
            continue
        rate = rates.get(str(entry.get("TaxType", "")).upper(), Decimal(0))
        lines.append((quantity, unit, rate))
    return compute(lines, amount_type)


def difference_note(xero_total: Decimal, local_total: Decimal) -> str:
    """The sentence a row shows when Xero's total is not the one computed here ("" when equal)."""
    if money(xero_total) == money(local_total):
        return ""
    gap = money(xero_total - local_total)
    reason = (
        "a rounding difference of one or two cents"
        if abs(gap) <= Decimal("0.02")
        else "Xero used other tax rates or amounts than this program predicted"
    )
    return (
        f"Xero total {money(xero_total)}, Maica {money(local_total)}: {reason} ({gap:+}). "
        "Check the invoice in Xero; the payment state follows Xero's figure."
    )


def changed_note(xero_total: Decimal, local_total: Decimal) -> str:
    """What a row changed in Maica after it was sent shows instead of :func:`difference_note`:
    the gap is the Maica edit, not a tax rate Xero used ("" when the totals still agree)."""
    if money(xero_total) == money(local_total):
        return ""
    return f"Xero holds {money(xero_total)}, Maica now {money(local_total)}."
