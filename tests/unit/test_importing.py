"""The Maica invoice export importer: every rule, with the exact line numbers it reports."""

from __future__ import annotations

import importlib.util
import random
import time
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from maica_xero_desktop.core.errors import MaicaXeroError
from maica_xero_desktop.core.importing import (
    EXPORT_COLUMNS,
    REQUIRED_COLUMNS,
    ImportRejected,
    ParsedExport,
    RowError,
    parse_export,
    parse_export_file,
)
from maica_xero_desktop.core.models import MAICA_STATUSES

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "maica_xero_desktop" / "resources" / "sample-maica-export.csv"
DATA = Path(__file__).resolve().parent / "data"

HEADER = EXPORT_COLUMNS


def row(**changes: str) -> dict[str, str]:
    """One valid line of invoice INV-000001, with ``changes``."""
    values = {
        "invoice_number": "INV-000001",
        "invoice_date": "2026-10-12",
        "due_date": "2026-10-26",
        "status": "Not Paid",
        "funding_type": "Plan Managed",
        "participant_id": "P-000101",
        "participant_name": "Adam Smith",
        "ndis_number": "431204871",
        "bill_to_name": "Bright Path Plan Management",
        "bill_to_email": "invoices@brightpath-plans.com.au",
        "support_item_number": "01_011_0107_1_1",
        "support_item_name": "Assistance With Self-Care Activities - Standard - Weekday Daytime",
        "line_description": "",
        "service_date": "2026-10-06",
        "quantity": "2",
        "unit_price": "67.56",
        "account_code": "",
        "tax_type": "",
        "tracking_1": "",
        "tracking_2": "",
        "currency": "AUD",
    }
    values.update(changes)
    return values


def other(**changes: str) -> dict[str, str]:
    """One valid line of another invoice, INV-000002, for another participant."""
    values = {
        "invoice_number": "INV-000002",
        "invoice_date": "2026-10-13",
        "due_date": "",
        "status": "Entered",
        "funding_type": "Agency Managed",
        "participant_id": "P-000102",
        "ndis_number": "431877310",
        "bill_to_name": "",
        "bill_to_email": "",
        "support_item_number": "04_104_0125_6_1",
        "support_item_name": "",
    }
    values.update(changes)
    return row(**values)


def quote(value: str) -> str:
    if any(char in value for char in ',"\r\n'):
        return '"' + value.replace('"', '""') + '"'
    return value


def export(*rows: dict[str, str], header: tuple[str, ...] = HEADER, newline: str = "\r\n") -> bytes:
    lines = [",".join(quote(name) for name in header)]
    lines += [",".join(quote(values.get(name, "")) for name in header) for values in rows]
    return (newline.join(lines) + newline).encode("utf-8")


def parse(data: bytes, max_errors: int = 1000) -> ParsedExport:
    result = parse_export(data, max_errors=max_errors)
    assert bool(result.errors) != bool(result.invoices), "all or nothing"
    return result


def errors_of(data: bytes) -> list[tuple[int, str, str]]:
    result = parse(data)
    assert result.invoices == ()
    return [(error.line, error.column, error.message) for error in result.errors]


def one_error(data: bytes) -> RowError:
    result = parse(data)
    assert len(result.errors) == 1, result.errors
    return result.errors[0]


def load_generator() -> Callable[..., bytes]:
    spec = importlib.util.spec_from_file_location(
        "generate_export", ROOT / "bench" / "generate_export.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    generate: Callable[..., bytes] = module.generate
    return generate


# ----------------------------------------------------------------------------- valid files


def test_a_valid_export_becomes_invoices_in_file_order() -> None:
    data = export(
        row(tracking_1="Region:North", tracking_2=" Funding : Plan Managed "),
        other(quantity="1.25", unit_price="23.4133"),
        row(
            support_item_number="01_015_0107_1_1",
            service_date="2026-10-07",
            quantity="1.5",
            unit_price="74.44",
            account_code="210",
            tax_type="OUTPUT",
            line_description='Evening shift, incl. "handover"',
        ),
    )
    result = parse(data)
    assert result.rows == 3
    assert result.warnings == ()
    assert [invoice.invoice_number for invoice in result.invoices] == ["INV-000001", "INV-000002"]
    first, second = result.invoices
    assert first.invoice_date == date(2026, 10, 12)
    assert first.due_date == date(2026, 10, 26)
    assert first.status == "Not Paid"
    assert first.ndis_number == "431204871"
    assert first.bill_to_email == "invoices@brightpath-plans.com.au"
    assert first.currency == "AUD"
    assert len(first.lines) == 2
    line_1, line_2 = first.lines
    assert line_1.quantity == Decimal("2")
    assert line_1.unit_price == Decimal("67.56")
    assert line_1.service_date == date(2026, 10, 6)
    assert line_1.tracking == (("Region", "North"), ("Funding", "Plan Managed"))
    assert line_1.description == ""
    assert line_2.description == 'Evening shift, incl. "handover"'
    assert line_2.account_code == "210"
    assert line_2.tax_type == "OUTPUT"
    assert second.due_date is None
    assert second.bill_to_name == ""
    assert second.lines[0].unit_price == Decimal("23.4133")


def test_optional_columns_may_be_absent_and_currency_defaults_to_aud() -> None:
    result = parse(export(row(), header=REQUIRED_COLUMNS))
    (invoice,) = result.invoices
    assert invoice.currency == "AUD"
    assert invoice.ndis_number == ""
    assert invoice.lines[0].service_date is None
    assert invoice.lines[0].tracking == ()


def test_column_names_are_case_insensitive_and_spaces_are_ignored() -> None:
    header, body = export(row()).split(b"\r\n", 1)
    shouted = b",".join(b"  " + name.upper() + b" " for name in header.split(b","))
    result = parse(shouted + b"\r\n" + body)
    assert result.warnings == ()
    assert result.invoices[0].lines[0].unit_price == Decimal("67.56")
    assert parse(header.replace(b"invoice_date", b"Invoice_Date") + b"\r\n" + body).invoices


def test_values_are_trimmed_and_status_is_normalised() -> None:
    result = parse(export(row(status="  not   PAID ", participant_name=" Adam Smith ")))
    assert result.invoices[0].status == "Not Paid"
    assert result.invoices[0].participant_name == "Adam Smith"


@pytest.mark.parametrize("status", MAICA_STATUSES)
def test_every_maica_status_is_accepted(status: str) -> None:
    assert parse(export(row(status=status.upper()))).invoices[0].status == status


def test_an_invoice_whose_rows_are_not_adjacent_is_one_invoice() -> None:
    data = export(row(), other(), row(service_date="2026-10-08"))
    invoices = parse(data).invoices
    assert [len(invoice.lines) for invoice in invoices] == [2, 1]


def test_more_than_50_lines_is_imported_with_a_warning() -> None:
    rows = [row(service_date=f"2026-10-{1 + index % 28:02d}", quantity=f"{1 + index // 28}")
            for index in range(51)]  # fmt: skip
    result = parse(export(*rows))
    assert len(result.invoices[0].lines) == 51
    assert result.warnings == (
        "Invoice INV-000001 has 51 lines: Xero accepts at most 50, so the sync will hold it "
        "back until it is split.",
    )


def test_extra_columns_are_a_warning_not_an_error() -> None:
    data = export(row(), header=(*HEADER, "Region", "Created By"))
    result = parse(data)
    assert len(result.invoices) == 1
    assert result.warnings == (
        "The column 'Region' is not used by this version and was ignored.",
        "The column 'Created By' is not used by this version and was ignored.",
    )


def test_formula_like_values_are_plain_data() -> None:
    data = export(
        row(
            participant_name='=HYPERLINK("http://x")',
            line_description="+61 400 000 000",
            support_item_name="-Self care",
            bill_to_name="@plan",
        )
    )
    invoice = parse(data).invoices[0]
    assert invoice.participant_name == '=HYPERLINK("http://x")'
    assert invoice.bill_to_name == "@plan"
    assert invoice.lines[0].description == "+61 400 000 000"
    assert invoice.lines[0].support_item_name == "-Self care"


def test_a_zero_price_and_trailing_zeros_are_accepted() -> None:
    invoice = parse(export(row(unit_price="0", quantity="1.500000"))).invoices[0]
    assert invoice.lines[0].unit_price == 0
    assert invoice.lines[0].quantity == Decimal("1.5")


def test_xero_length_limits_are_inclusive() -> None:
    invoice = parse(export(row(invoice_number="I" * 255, participant_id="P" * 50))).invoices[0]
    assert len(invoice.invoice_number) == 255


# ----------------------------------------------------------------------------- line endings


def test_lf_line_endings_and_a_last_line_without_newline() -> None:
    data = export(row(), other(), newline="\n").rstrip(b"\n")
    assert len(parse(data).invoices) == 2
    data = export(row(), other()).rstrip(b"\r\n")
    assert len(parse(data).invoices) == 2


def test_blank_rows_are_skipped_and_do_not_shift_line_numbers() -> None:
    good = export(row(), other()).decode()
    header, first, second = good.rstrip("\r\n").split("\r\n")
    bad = second.replace("2026-10-13", "13/10/2026")
    text = "\r\n".join([header, "", first, ",,,,", "   ", bad, ""]) + "\r\n"
    result = parse(text.encode())
    assert result.rows == 2
    assert [(error.line, error.column) for error in result.errors] == [(6, "invoice_date")]
    assert parse(("\r\n\r\n" + good + "\r\n\r\n").encode()).rows == 2


def test_multi_line_quoted_fields_keep_line_numbers_right() -> None:
    data = export(
        row(line_description='Morning routine\r\nshower, dress\r\n"breakfast"'),
        row(service_date="2026-10-07", line_description="one\ntwo"),
        other(quantity="abc"),
    )
    assert errors_of(data) == [
        (7, "quantity", "quantity 'abc' is not a number: write a plain number, e.g. 1.5.")
    ]
    invoice = parse(data.replace(b"abc", b"1")).invoices[0]
    assert invoice.lines[0].description == 'Morning routine\r\nshower, dress\r\n"breakfast"'


def test_the_multi_line_sample_file_reports_the_physical_line() -> None:
    result = parse_export_file(DATA / "multiline-bad-date.csv")
    assert [str(error) for error in result.errors] == [
        "line 6: invoice_date '2026-13-10' is not a real date: use YYYY-MM-DD."
    ]


# ----------------------------------------------------------------------------- encodings


def test_utf8_with_bom() -> None:
    data = b"\xef\xbb\xbf" + export(row(participant_name="Zoë Anderson"))
    assert parse(data).invoices[0].participant_name == "Zoë Anderson"


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be"])
def test_utf16_with_bom(encoding: str) -> None:
    text = export(row(participant_name="Zoë Anderson"), other()).decode()
    bom = {"utf-16": b"", "utf-16-le": b"\xff\xfe", "utf-16-be": b"\xfe\xff"}[encoding]
    result = parse(bom + text.encode(encoding))
    assert [invoice.participant_name for invoice in result.invoices] == [
        "Zoë Anderson",
        "Adam Smith",
    ]


def test_utf16_without_bom_is_rejected() -> None:
    error = one_error(export(row()).decode().encode("utf-16-le"))
    assert error.message.startswith("The file is not UTF-8 text")


def test_windows_1252_is_rejected_with_the_line_of_the_first_bad_byte() -> None:
    data = export(row(), other(participant_name="Zoë Anderson"), row(service_date="2026-10-07"))
    error = one_error(data.decode().encode("cp1252"))
    assert error.line == 3
    assert error.column == ""
    assert error.message == (
        "The file is not UTF-8 text (byte 0xEB is not UTF-8; it may have been saved as "
        "'CSV (Comma delimited)' or Windows-1252): in Excel choose File > Save As > "
        "'CSV UTF-8 (Comma delimited)', then import that file."
    )
    assert str(parse_export_file(DATA / "windows-1252.csv").errors[0]).startswith(
        "line 3: The file is not UTF-8 text"
    )


def test_a_binary_file_is_rejected() -> None:
    error = one_error((DATA / "binary.csv").read_bytes())
    assert error.line == 2
    assert "not UTF-8 text (it contains NUL bytes" in error.message
    assert one_error(bytes(range(256))).message.startswith("The file is not UTF-8 text")


def test_an_excel_workbook_is_recognised() -> None:
    error = one_error(b"PK\x03\x04" + b"\x00" * 100)
    assert error == RowError(
        0,
        "",
        "The file is an Excel workbook, not CSV: in Excel choose File > Save As > "
        "'CSV UTF-8 (Comma delimited)', then import that file.",
    )


# ----------------------------------------------------------------------------- file-level


@pytest.mark.parametrize("data", [b"", b"\r\n\r\n", b"  \n", b"\xef\xbb\xbf", b"\xff\xfe"])
def test_an_empty_file(data: bytes) -> None:
    assert one_error(data) == RowError(
        0, "", "The file is empty: export the invoices from Maica again."
    )


def test_a_header_without_rows() -> None:
    expected = RowError(
        0,
        "",
        "The file has a header row (line 1) but no invoice lines: export the invoices from "
        "Maica again, with their lines.",
    )
    assert one_error(export()) == expected
    assert one_error(export() + b",,,\r\n\r\n") == expected
    assert parse_export_file(DATA / "header-only.csv").errors == (expected,)


def test_missing_required_columns_are_all_listed() -> None:
    header = tuple(name for name in HEADER if name not in ("due_date", "quantity", "unit_price"))
    assert one_error(export(row(), header=header)) == RowError(
        0,
        "",
        "The required columns are missing from the header (line 1): due_date, quantity, "
        "unit_price. Add them to the export.",
    )
    header = tuple(name for name in HEADER if name != "status")
    assert one_error(export(row(), header=header)).message == (
        "The required column is missing from the header (line 1): status. Add it to the export."
    )


def test_a_file_without_a_header_row() -> None:
    data = export(row(), other())
    body = data.split(b"\r\n", 1)[1]
    message = one_error(body).message
    assert message.startswith("The required columns are missing from the header (line 1): ")
    assert message.endswith("The first row must be the header row with the column names.")


def test_a_semicolon_separated_file() -> None:
    assert one_error((DATA / "semicolon.csv").read_bytes()).message == (
        "The file has ';' or tabs between values (line 1) instead of commas: export it as "
        "comma-separated CSV (in Excel: 'CSV UTF-8 (Comma delimited)')."
    )


def test_a_column_twice_in_the_header() -> None:
    data = export(row(), header=(*HEADER, " Quantity"))
    assert one_error(data) == RowError(
        1, "quantity", "the column quantity appears twice in the header: keep only one of them."
    )


def test_broken_quoting_is_reported_where_it_starts() -> None:
    error = one_error((DATA / "unclosed-quote.csv").read_bytes())
    assert error.line == 3
    assert error.message.startswith("the quoting is broken from this line on")
    data = export(row(), other()).replace(b"INV-000002", b'"INV-000002"x', 1)
    assert one_error(data).line == 3


def test_a_row_with_more_values_than_the_header() -> None:
    data = export(row(), other(), row(service_date="2026-10-07"))
    lines = data.split(b"\r\n")
    lines[2] += b",Community access, Tuesday"
    assert errors_of(b"\r\n".join(lines)) == [
        (
            3,
            "",
            f"the row has {len(HEADER) + 2} values but the header has {len(HEADER)} columns: "
            "put values that contain a comma in double quotes.",
        )
    ]
    lines[2] = lines[2].replace(b",Community access, Tuesday", b",,,")
    assert parse(b"\r\n".join(lines)).invoices  # trailing empty cells are fine


def test_a_short_row_means_empty_values() -> None:
    data = export(row(), other())
    lines = data.split(b"\r\n")
    lines[2] = b"INV-000002,2026-10-13"
    assert [(line, column) for line, column, _ in errors_of(b"\r\n".join(lines))] == [
        (3, "status"),
        (3, "funding_type"),
        (3, "participant_id"),
        (3, "participant_name"),
        (3, "support_item_number"),
        (3, "quantity"),
        (3, "unit_price"),
    ]


# ----------------------------------------------------------------------------- values


@pytest.mark.parametrize("column", [c for c in REQUIRED_COLUMNS if c != "due_date"])
def test_an_empty_required_value(column: str) -> None:
    data = export(row(), other(**{column: "  "}))
    assert errors_of(data) == [(3, column, f"{column} is empty: every row needs one.")]


def test_an_empty_value_in_the_data_file() -> None:
    assert [str(e) for e in parse_export_file(DATA / "empty-value.csv").errors] == [
        "line 3: participant_id is empty: every row needs one."
    ]


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("31/02/2026", "invoice_date '31/02/2026' is not a date: use YYYY-MM-DD."),
        ("2026-02-31", "invoice_date '2026-02-31' is not a real date: use YYYY-MM-DD."),
        ("2026-1-5", "invoice_date '2026-1-5' is not a date: use YYYY-MM-DD."),
        ("20261012", "invoice_date '20261012' is not a date: use YYYY-MM-DD."),
        (
            "2026-10-12T00:00:00",
            "invoice_date '2026-10-12T00:00:00' is not a date: use YYYY-MM-DD.",
        ),
        ("12 Oct 2026", "invoice_date '12 Oct 2026' is not a date: use YYYY-MM-DD."),
    ],
)
def test_a_bad_invoice_date(value: str, message: str) -> None:
    data = export(other(), other(invoice_date=value, support_item_number="01_011_0107_1_1"))
    assert errors_of(data) == [(3, "invoice_date", message)]


def test_bad_due_and_service_dates() -> None:
    data = export(row(due_date="26/10/2026"), other(service_date="2026-10-32"))
    assert errors_of(data) == [
        (2, "due_date", "due_date '26/10/2026' is not a date: use YYYY-MM-DD."),
        (3, "service_date", "service_date '2026-10-32' is not a real date: use YYYY-MM-DD."),
    ]


def test_a_due_date_before_the_invoice_date() -> None:
    data = export(other(), row(due_date="2026-10-11"))
    assert errors_of(data) == [
        (
            3,
            "due_date",
            "due_date 2026-10-11 is before invoice_date 2026-10-12: correct one of them.",
        )
    ]
    assert parse(export(row(due_date="2026-10-12"))).invoices  # the same day is fine


@pytest.mark.parametrize(
    ("column", "value", "message"),
    [
        (
            "quantity",
            "1,5",
            "quantity '1,5' is not a number: use '.' as the decimal separator and no thousands "
            "separators, e.g. 1234.5.",
        ),
        (
            "unit_price",
            "1,234.50",
            "unit_price '1,234.50' is not a number: use '.' as the decimal separator and no "
            "thousands separators, e.g. 1234.5.",
        ),
        (
            "unit_price",
            "$67.56",
            "unit_price '$67.56' is not a number: remove the currency symbol, e.g. 67.56.",
        ),
        ("quantity", "two", "quantity 'two' is not a number: write a plain number, e.g. 1.5."),
        ("quantity", "1e3", "quantity '1e3' is not a number: write a plain number, e.g. 1.5."),
        ("unit_price", "NaN", "unit_price 'NaN' is not a number: write a plain number, e.g. 1.5."),
        ("quantity", "+2", "quantity '+2' is not a number: write a plain number, e.g. 1.5."),
        (
            "quantity",
            "0",
            "quantity '0' must be more than 0: an invoice line cannot be zero or negative "
            "(record credits in Maica instead).",
        ),
        (
            "quantity",
            "-0.00",
            "quantity '-0.00' must be more than 0: an invoice line cannot be zero or negative "
            "(record credits in Maica instead).",
        ),
        (
            "quantity",
            "-2",
            "quantity '-2' must be more than 0: an invoice line cannot be zero or negative "
            "(record credits in Maica instead).",
        ),
        (
            "unit_price",
            "-67.56",
            "unit_price '-67.56' is negative: an invoice line cannot have a negative price "
            "(record credits in Maica instead).",
        ),
        (
            "unit_price",
            "67.56125",
            "unit_price '67.56125' has 5 decimal places: Xero accepts at most 4.",
        ),
        ("quantity", "0.33333", "quantity '0.33333' has 5 decimal places: Xero accepts at most 4."),
    ],
)
def test_a_bad_number(column: str, value: str, message: str) -> None:
    data = export(row(), other(), other(**{column: value}, service_date="2026-10-09"))
    assert errors_of(data) == [(4, column, message)]


def test_four_decimals_are_accepted() -> None:
    line = parse(export(row(quantity="0.3333", unit_price="193.9912"))).invoices[0].lines[0]
    assert (line.quantity, line.unit_price) == (Decimal("0.3333"), Decimal("193.9912"))


def test_an_unknown_status() -> None:
    assert errors_of(export(row(), other(status="Paid"))) == [
        (
            3,
            "status",
            "status 'Paid' is not a Maica status: use one of Entered, Not Paid, Partially Paid, "
            "Fully Paid, Cancelled.",
        )
    ]


@pytest.mark.parametrize("value", ["43120487", "4312048710", "4.31E+08", "431 204 871", "NDIS1234"])
def test_an_ndis_number_that_is_not_9_digits(value: str) -> None:
    assert errors_of(export(other(), row(ndis_number=value))) == [
        (
            3,
            "ndis_number",
            f"ndis_number '{value}' is not 9 digits: write the participant's NDIS number as 9 "
            "digits without spaces, e.g. 431234567 (format the column as text in Excel).",
        )
    ]


@pytest.mark.parametrize(
    "value", ["invoices at brightpath", "a@b", "a b@c.com", "a@b.com; c@d.com", "@x.com"]
)
def test_a_bad_email(value: str) -> None:
    assert errors_of(export(row(bill_to_email=value))) == [
        (
            2,
            "bill_to_email",
            f"bill_to_email '{value}' is not an email address: write one address, "
            "e.g. accounts@planmanager.com.au.",
        )
    ]


@pytest.mark.parametrize("value", ["North", "Region:", ":North", " : "])
def test_tracking_that_is_not_category_option(value: str) -> None:
    data = export(row(), other(tracking_2=value))
    assert errors_of(data) == [
        (
            3,
            "tracking_2",
            f"tracking_2 '{value.strip()}' is not a tracking value: write Category:Option, "
            "e.g. Region:North.",
        )
    ]


def test_tracking_options_may_contain_a_colon_and_categories_may_not_repeat() -> None:
    line = parse(export(row(tracking_1="Program:Day: Weekend"))).invoices[0].lines[0]
    assert line.tracking == (("Program", "Day: Weekend"),)
    data = export(row(tracking_1="Region:North", tracking_2="region:South"))
    assert errors_of(data) == [
        (
            2,
            "tracking_2",
            "tracking_2 uses the tracking category 'region' again: a line can have only one "
            "option of each category.",
        )
    ]
    data = export(row(tracking_1="Region:" + "N" * 101))
    assert errors_of(data)[0][:2] == (2, "tracking_1")


@pytest.mark.parametrize("value", ["aud", "AU", "AUDD", "A$", "$"])
def test_a_bad_currency(value: str) -> None:
    assert errors_of(export(row(currency=value))) == [
        (
            2,
            "currency",
            f"currency '{value}' is not a currency code: use 3 capital letters, e.g. AUD.",
        )
    ]


def test_lengths_beyond_xero_limits() -> None:
    data = export(row(), other(invoice_number="I" * 256), other(participant_id="P" * 51))
    assert errors_of(data) == [
        (3, "invoice_number", "invoice_number is 256 characters long: Xero accepts at most 255."),
        (
            4,
            "participant_id",
            "participant_id is 51 characters long: Xero's contact number accepts at most 50.",
        ),
    ]


def test_an_account_code_longer_than_xero_allows() -> None:
    assert errors_of(export(row(account_code="Sales Income"))) == [
        (
            2,
            "account_code",
            "account_code 'Sales Income' is longer than 10 characters: use the account's code in "
            "Xero (e.g. 200), not its name.",
        )
    ]


def test_every_problem_of_a_row_is_reported() -> None:
    data = export(row(), other(invoice_date="x", quantity="-1", currency="aud", ndis_number="1"))
    assert [(line, column) for line, column, _ in errors_of(data)] == [
        (3, "invoice_date"),
        (3, "quantity"),
        (3, "ndis_number"),
        (3, "currency"),
    ]


# ----------------------------------------------------------------------------- invoices


def test_rows_of_one_invoice_that_disagree_on_header_fields() -> None:
    data = export(
        row(),
        other(),
        row(service_date="2026-10-07", status="Fully Paid", participant_id="P-000109"),
        row(service_date="2026-10-08", due_date="", bill_to_email="x@example.com"),
        row(service_date="2026-10-09", currency="NZD"),
        row(service_date="2026-10-10", status="NOT PAID", currency=""),  # same after normalising
    )
    assert errors_of(data) == [
        (
            4,
            "status",
            "status is 'Fully Paid' but 'Not Paid' on line 2 of the same invoice INV-000001: "
            "every row of an invoice must have the same status.",
        ),
        (
            4,
            "participant_id",
            "participant_id is 'P-000109' but 'P-000101' on line 2 of the same invoice "
            "INV-000001: every row of an invoice must have the same participant_id.",
        ),
        (
            5,
            "due_date",
            "due_date is empty but '2026-10-26' on line 2 of the same invoice INV-000001: every "
            "row of an invoice must have the same due_date.",
        ),
        (
            5,
            "bill_to_email",
            "bill_to_email is 'x@example.com' but 'invoices@brightpath-plans.com.au' on line 2 "
            "of the same invoice INV-000001: every row of an invoice must have the same "
            "bill_to_email.",
        ),
        (
            6,
            "currency",
            "currency is 'NZD' but 'AUD' on line 2 of the same invoice INV-000001: every row of "
            "an invoice must have the same currency.",
        ),
    ]


@pytest.mark.parametrize(
    "field",
    [
        "invoice_date",
        "funding_type",
        "participant_name",
        "ndis_number",
        "bill_to_name",
    ],
)
def test_each_header_field_must_agree(field: str) -> None:
    values = {
        "invoice_date": "2026-10-11",
        "funding_type": "Self Managed",
        "participant_name": "Adam J Smith",
        "ndis_number": "431204872",
        "bill_to_name": "Capital Plan Partners",
    }
    data = export(row(), row(service_date="2026-10-07", **{field: values[field]}))
    ((line, column, message),) = errors_of(data)
    assert (line, column) == (3, field)
    assert "on line 2 of the same invoice INV-000001" in message


def test_a_bad_value_is_not_reported_again_as_a_disagreement() -> None:
    data = export(row(invoice_date="12/10/2026"), row(service_date="2026-10-07"), row(
        service_date="2026-10-08", invoice_date="2026-13-01"))  # fmt: skip
    assert [(line, column) for line, column, _ in errors_of(data)] == [
        (2, "invoice_date"),
        (4, "invoice_date"),
    ]


def test_a_duplicate_line_names_the_earlier_line() -> None:
    data = export(row(), other(), row(support_item_number="01_015_0107_1_1"), row(quantity="2.0"))
    assert errors_of(data) == [
        (
            5,
            "",
            "this line repeats line 2 of invoice INV-000001 (same support item, service date, "
            "quantity, unit price and description): remove the duplicate.",
        )
    ]


def test_lines_that_differ_in_one_key_field_are_not_duplicates() -> None:
    data = export(
        row(),
        row(line_description="second visit"),
        row(service_date="2026-10-07"),
        row(quantity="3"),
        row(unit_price="70.23"),
        row(support_item_number="01_015_0107_1_1"),
        other(support_item_number="01_011_0107_1_1", service_date="2026-10-06"),
    )
    assert [len(invoice.lines) for invoice in parse(data).invoices] == [6, 1]


def test_all_or_nothing_one_bad_row_among_a_thousand() -> None:
    rows = [
        row(invoice_number=f"INV-{index // 4:06d}", service_date=f"2026-10-{1 + index % 4:02d}")
        for index in range(1000)
    ]
    rows[736] = {**rows[736], "unit_price": "67,56"}
    result = parse(export(*rows))
    assert result.invoices == ()
    assert result.rows == 1000
    assert result.bad_rows == 1
    assert [(error.line, error.column) for error in result.errors] == [(738, "unit_price")]
    rows[736] = {**rows[736], "unit_price": "67.56"}
    assert len(parse(export(*rows)).invoices) == 250


def test_errors_beyond_max_errors_are_counted() -> None:
    rows = [other(quantity="x", service_date=f"2026-10-{1 + i % 28:02d}") for i in range(30)]
    result = parse(export(*rows), max_errors=10)
    assert len(result.errors) == 11
    assert [error.line for error in result.errors[:10]] == list(range(2, 12))
    assert result.errors[10] == RowError(
        0,
        "",
        "…and 20 more problems not listed: fix the ones above and import the file again to "
        "see the rest.",
    )
    assert result.bad_rows == 30
    assert len(parse(export(*rows)).errors) == 30
    assert (
        parse(export(*rows[:2]), max_errors=1)
        .errors[1]
        .message.startswith("…and 1 more problem not listed")
    )


# ----------------------------------------------------------------------------- messages


def test_row_error_text() -> None:
    assert str(RowError(7, "invoice_date", "bad.")) == "line 7, invoice_date: bad."
    assert str(RowError(7, "", "bad.")) == "line 7: bad."
    assert str(RowError(0, "", "The file is empty.")) == "The file is empty."
    assert str(RowError(0, "status", "bad.")) == "status: bad."


def test_import_rejected_sums_up_the_problems() -> None:
    data = export(row(), other(invoice_date="31/02/2026"), other(quantity="0", unit_price="-1"))
    result = parse(data)
    with pytest.raises(ImportRejected) as caught:
        result.check()
    rejected = caught.value
    assert isinstance(rejected, MaicaXeroError)
    assert rejected.errors == result.errors
    assert str(rejected) == (
        "The file was not imported: 2 rows have problems (first: line 3: "
        "invoice_date '31/02/2026' is not a date: use YYYY-MM-DD). Nothing was changed."
    )
    assert rejected.detail.splitlines()[0] == (
        "line 3: invoice_date '31/02/2026' is not a date: use YYYY-MM-DD."
    )
    assert len(rejected.detail.splitlines()) == 3
    assert str(ImportRejected(result.errors[:1])).startswith(
        "The file was not imported: 1 row has problems (first: line 3"
    )


def test_import_rejected_for_a_file_level_problem() -> None:
    with pytest.raises(ImportRejected) as caught:
        parse(b"").check()
    assert str(caught.value) == (
        "The file was not imported: The file is empty: export the invoices from Maica again. "
        "Nothing was changed."
    )


def test_check_returns_the_invoices_of_a_valid_file() -> None:
    result = parse(export(row()))
    assert result.check() == result.invoices
    assert result.ok
    assert result.lines == 1


# ----------------------------------------------------------------------------- files


def test_file_problems_are_errors_not_exceptions(tmp_path: Path) -> None:
    missing = parse_export_file(tmp_path / "nope.csv")
    assert missing.errors == (
        RowError(
            0,
            "",
            f"The file {tmp_path / 'nope.csv'} does not exist: check the name and the folder.",
        ),
    )
    folder = parse_export_file(tmp_path)
    assert folder.errors[0].message.endswith(
        "is a folder, not a file: choose the exported CSV file."
    )


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("bad-date.csv", [(3, "invoice_date")]),
        ("bad-currency.csv", [(4, "currency")]),
        ("bad-email.csv", [(2, "bill_to_email")]),
        ("bad-ndis.csv", [(4, "ndis_number")]),
        ("bad-status.csv", [(4, "status")]),
        ("bad-tracking.csv", [(4, "tracking_1")]),
        ("binary.csv", [(2, "")]),
        ("comma-decimal.csv", [(3, "quantity")]),
        ("due-before-invoice.csv", [(2, "due_date")]),
        ("duplicate-line.csv", [(5, "")]),
        ("empty-value.csv", [(3, "participant_id")]),
        ("empty.csv", [(0, "")]),
        ("header-mismatch.csv", [(3, "status"), (3, "participant_id")]),
        ("header-only.csv", [(0, "")]),
        ("missing-columns.csv", [(0, "")]),
        ("multiline-bad-date.csv", [(6, "invoice_date")]),
        ("negative-price.csv", [(3, "unit_price")]),
        ("semicolon.csv", [(0, "")]),
        ("too-many-decimals.csv", [(3, "unit_price")]),
        ("unclosed-quote.csv", [(3, "")]),
        ("windows-1252.csv", [(3, "")]),
        ("zero-quantity.csv", [(3, "quantity")]),
    ],
)
def test_each_broken_data_file(name: str, expected: list[tuple[int, str]]) -> None:
    result = parse_export_file(DATA / name)
    assert result.invoices == ()
    assert [(error.line, error.column) for error in result.errors] == expected


def test_every_data_file_is_covered() -> None:
    assert len(list(DATA.glob("*.csv"))) == 22


# ----------------------------------------------------------------------------- the sample


def test_the_sample_export_parses_without_errors() -> None:
    result = parse_export_file(SAMPLE)
    assert result.errors == ()
    assert result.warnings == ()
    assert len(result.invoices) == 40
    assert result.rows == 117
    assert len({invoice.participant_id for invoice in result.invoices}) == 15
    by_number = {invoice.invoice_number: invoice for invoice in result.invoices}
    lines = [line for invoice in result.invoices for line in invoice.lines]

    adams = {
        (invoice.participant_id, invoice.ndis_number)
        for invoice in result.invoices
        if invoice.participant_name == "Adam Smith"
    }
    assert adams == {("P-000101", "431204871"), ("P-000102", "431877310")}
    assert [line.tax_type for line in lines if line.tax_type] == ["OUTPUT"]
    assert by_number["INV-002438"].lines[-1].tax_type == "OUTPUT"
    assert any(line.tracking == (("Region", "North"),) for line in lines)
    assert any(("Funding", "Plan Managed") in line.tracking for line in lines)
    assert Decimal("23.4133") in {line.unit_price for line in lines}
    assert [n for n, i in by_number.items() if any(x.account_code == "999" for x in i.lines)] == [
        "INV-002417"
    ]
    assert [n for n, i in by_number.items() if i.status == "Cancelled"] == ["INV-002430"]
    assert {i.funding_type for i in result.invoices} == {
        "Agency Managed",
        "Plan Managed",
        "Self Managed",
        "Self Funded",
    }
    assert any(invoice.due_date is None for invoice in result.invoices)
    assert all(len(invoice.ndis_number) in (0, 9) for invoice in result.invoices)
    dates = {i.invoice_date for i in result.invoices}
    assert min(dates) >= date(2026, 10, 1)
    assert max(dates) <= date(2026, 11, 30)


# ----------------------------------------------------------------------------- generator


def test_the_generator_writes_a_valid_deterministic_export() -> None:
    generate = load_generator()
    data = generate(200, (1, 6), 40, 7)
    assert data == generate(200, (1, 6), 40, 7)
    assert data != generate(200, (1, 6), 40, 8)
    result = parse(data)
    assert len(result.invoices) == 200
    names: dict[str, set[str]] = {}
    for invoice in result.invoices:
        names.setdefault(invoice.participant_name, set()).add(invoice.participant_id)
    assert any(len(ids) > 1 for ids in names.values()), "namesakes are generated"
    assert {len(invoice.lines) for invoice in result.invoices} == {1, 2, 3, 4, 5, 6}
    assert len(parse(generate(10, 5, 3, 1)).invoices[0].lines) == 5


@pytest.mark.slow
def test_100000_generated_lines_parse_quickly() -> None:
    data = load_generator()(20_000, 5, 5_000, 1)
    started = time.perf_counter()
    result = parse_export(data)
    elapsed = time.perf_counter() - started
    assert result.errors == ()
    assert result.rows == 100_000
    assert len(result.invoices) == 20_000
    assert elapsed < 10, f"{elapsed:.1f} s"


# ----------------------------------------------------------------------------- robustness


def _mutate(text: str, rng: random.Random) -> str:
    lines = text.split("\r\n")
    if len(lines) < 3:
        return text + "\r\n" + text
    kind = rng.randrange(8)
    index = rng.randrange(1, len(lines) - 1)
    cells = lines[index].split(",")
    cell = rng.randrange(len(cells))
    if kind == 0:
        cells[cell] = ""
    elif kind == 1:
        cells.insert(cell, cells[cell])
    elif kind == 2:
        del cells[cell]
    elif kind == 3:
        cells[cell] = rng.choice(['"', "-1", "1e5", "0", "é", "\x00", "=1+1", "a:b", "2026-02-30"])
    elif kind == 4:
        lines.insert(index, lines[index])
    elif kind == 5:
        del lines[index]
    elif kind == 6:
        lines[0] = lines[0].replace(rng.choice(HEADER), rng.choice(HEADER), 1)
    else:
        position = rng.randrange(len(text))
        return text[:position] + rng.choice(["\r\n", '"', ",", "\n\n"]) + text[position:]
    lines[index] = ",".join(cells)
    return "\r\n".join(lines)


def test_mutated_samples_never_raise_and_stay_all_or_nothing() -> None:
    rng = random.Random(20261012)
    text = SAMPLE.read_bytes().decode("utf-8")
    outcomes = {"valid": 0, "rejected": 0}
    for _ in range(200):
        mutated = text
        for _ in range(rng.randint(1, 3)):
            mutated = _mutate(mutated, rng)
        result = parse_export(mutated.encode("utf-8"), max_errors=20)
        if result.errors:
            assert result.invoices == ()
            assert len(result.errors) <= 21
            assert all(isinstance(error.line, int) and error.message for error in result.errors)
            outcomes["rejected"] += 1
        else:
            assert result.invoices
            assert sum(len(invoice.lines) for invoice in result.invoices) == result.rows
            outcomes["valid"] += 1
    assert outcomes["rejected"] > 100
    assert outcomes["valid"] > 0
