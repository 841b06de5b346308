"""CSV the product writes cannot smuggle a formula into a spreadsheet."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest

from maica_xero_desktop.core import csvsafe


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ('=HYPERLINK("http://x","y")', '\'=HYPERLINK("http://x","y")'),
        ("+61 400 000 000", "'+61 400 000 000"),
        ("-1+cmd|' /C calc'!A0", "'-1+cmd|' /C calc'!A0"),
        ("@SUM(A1:A2)", "'@SUM(A1:A2)"),
        ("\t=1+1", "'\t=1+1"),
        ("  =1+1", "'  =1+1"),
        ("Core supports", "Core supports"),
        ("a=b", "a=b"),
        ("", ""),
        ("-12.50", "-12.50"),
        ("+3", "+3"),
    ],
)
def test_neutralise_text(value: str, expected: str) -> None:
    assert csvsafe.neutralise(value) == expected


def test_numbers_and_none_are_kept() -> None:
    assert csvsafe.neutralise(Decimal("-5.00")) == Decimal("-5.00")
    assert csvsafe.neutralise(-3) == -3
    assert csvsafe.neutralise(None) == ""


def test_writer_round_trip_shows_the_text() -> None:
    out = io.StringIO(newline="")
    writer = csvsafe.writer(out)
    writer.writerow(["invoice_number", "participant_name", "amount"])
    writer.writerows([["INV-1", "=2+5", Decimal("-10.00")], ["INV-2", '@me, "x"', 1]])
    rows = list(csv.reader(io.StringIO(out.getvalue())))
    assert rows[1] == ["INV-1", "'=2+5", "-10.00"]
    assert rows[2] == ["INV-2", '\'@me, "x"', "1"]
