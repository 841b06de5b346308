"""Text that reaches Xero (names, descriptions, codes) holds nothing invisible; a stray carriage
return is one problem of its row; a clash with a stored number counts the invoice's rows."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from maica_xero_desktop.core.importing import (
    TEXT_COLUMNS,
    ImportRejected,
    parse_export,
    parse_export_file,
    stored_numbers,
)
from maica_xero_desktop.core.store import Store
from tests.unit.test_importing import errors_of, export, one_error, other, parse, row

HIDDEN = [
    ("\x1b[31m", "U+001B"),
    ("\x07", "U+0007"),
    ("\u202e", "U+202E"),
    ("\u200b", "U+200B"),
    ("\u2066", "U+2066"),
    ("\u00ad", "U+00AD"),
]


@pytest.mark.parametrize("column", TEXT_COLUMNS)
@pytest.mark.parametrize(("char", "code"), HIDDEN)
def test_an_invisible_character_in_text_for_xero_is_refused(
    column: str, char: str, code: str
) -> None:
    special = {
        "tracking_1": "Region:No{}rth",
        "tracking_2": "Funding:P{}M",
        "bill_to_email": "a{}@b.au",
    }
    value = special.get(column, "X{}Y")
    error = one_error(export(row(**{column: value.format(char)})))
    assert (error.line, error.column) == (2, column)
    assert f"({code})" in error.message
    assert error.message.endswith("retype the value in Maica and export again.")
    assert "\x1b" not in error.message
    assert "\u202e" not in error.message


def test_each_row_with_the_name_is_named() -> None:
    bad = "Lucas \x1b[31mRED\x1b[0m\x07 Martin"
    errors = errors_of(export(row(participant_name=bad), row(participant_name=bad, quantity="3")))
    assert [(line, column) for line, column, _ in errors] == [
        (2, "participant_name"),
        (3, "participant_name"),
    ]  # and not a disagreement between the two rows on top


def test_tabs_and_line_breaks_in_names_become_one_space() -> None:
    (invoice,) = parse(
        export(row(participant_name="Adam\t Smith", bill_to_name="Bright\r\nPath"))
    ).invoices
    assert invoice.participant_name == "Adam Smith"
    assert invoice.bill_to_name == "Bright Path"


def test_a_description_keeps_its_line_breaks_but_not_its_tabs() -> None:
    (invoice,) = parse(export(row(line_description="Morning\tshower\nbreakfast"))).invoices
    assert invoice.lines[0].description == "Morning shower\nbreakfast"
    error = one_error(export(row(line_description="line\nover\x08write")))
    assert (error.column, "(U+0008)" in error.message) == ("line_description", True)


@pytest.mark.parametrize(
    "name",
    ["\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645", "\u0915\u094d\u200d\u0937"],
)
def test_a_joiner_between_letters_of_a_script_that_uses_it_is_kept(name: str) -> None:
    (invoice,) = parse(export(row(participant_name=name))).invoices
    assert invoice.participant_name == name


@pytest.mark.parametrize("name", ["Adam\u200d Smith", "\u200dAdam", "Adam\u200c", "Ad\u200dam"])
def test_a_joiner_anywhere_else_is_refused(name: str) -> None:
    error = one_error(export(row(participant_name=name)))
    assert "(U+200C)" in error.message or "(U+200D)" in error.message


def test_a_stray_carriage_return_is_one_problem_of_its_row() -> None:
    data = export(row(), other(), newline="\n").replace(b"Adam Smith", b"Adam\rSmith", 1)
    errors = errors_of(data)
    assert errors == [
        (
            2,
            "",
            "the row has a stray carriage return (CR) character inside a value: remove it in "
            "Maica (or in Excel) and export again.",
        )
    ]
    with_crlf = export(row(), other()).replace(b"Adam Smith", b"Adam\rSmith", 1)
    assert [line for line, _, _ in errors_of(with_crlf)] == [2]


def test_a_file_from_an_old_mac_still_ends_lines_with_cr() -> None:
    assert len(parse(export(row(), other(), newline="\r")).invoices) == 2


def test_doubled_carriage_returns_before_a_newline_are_one_line_end() -> None:
    data = export(row(), row(quantity="3"), newline="\r\r\n")
    result = parse_export(data)
    assert result.ok
    assert result.invoices[0].lines[1].quantity == 3
    assert errors_of(data.replace(b",3,", b",z,"))[0][0] == 3


def test_a_clash_with_a_stored_number_counts_every_row_of_the_invoice(tmp_path: Path) -> None:
    store = Store(tmp_path / "maica.db")
    try:
        (invoice,) = parse_export(export(row())).check()
        store.apply_import([dataclasses.replace(invoice, invoice_number="inv-000001")])
        path = tmp_path / "again.csv"
        path.write_bytes(export(*(row(quantity=str(q)) for q in range(1, 5)), other()))
        result = parse_export_file(path, stored=stored_numbers(store.db))
        assert len(result.errors) == 1
        assert "(on its 4 rows)" in result.errors[0].message
        assert result.bad_rows == 4
        with pytest.raises(ImportRejected, match="4 rows have problems"):
            result.check()
    finally:
        store.close()
