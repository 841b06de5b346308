"""Property-based checks: hostile input never crashes, never half-writes, always says why."""

from __future__ import annotations

import json
import logging
import re
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from maica_xero_desktop.core import csvsafe, redact, textfile
from maica_xero_desktop.core.importing import parse_export
from maica_xero_desktop.core.settings import Settings, settings_from_json
from maica_xero_desktop.core.sync.payments import maica_status, payment_state
from maica_xero_desktop.core.sync.xerodata import amount, messages, ms_date
from maica_xero_desktop.core.textsafe import has_unsafe

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=20,
)
FIELDS = list(Settings().to_json())


@given(st.dictionaries(st.sampled_from(FIELDS) | st.text(max_size=10), json_values, max_size=8))
def test_any_settings_object_loads_with_valid_types(data: dict[str, Any]) -> None:
    loaded, warnings = settings_from_json(data)
    defaults = Settings()
    for name in FIELDS:
        value = getattr(loaded, name)
        assert type(value) is type(getattr(defaults, name))
        if name in data and data[name] != value and not _same_when_normalised(data[name], value):
            assert any(f"'{name}'" in w for w in warnings)
    json.dumps(loaded.to_json())  # always saveable


def _same_when_normalised(given: Any, loaded: Any) -> bool:
    """Hand-edited values are read the way `config set` reads them: surrounding white space
    (a CR from a Windows editor) and letter case of keywords do not count as a change."""
    if not (isinstance(given, str) and isinstance(loaded, str)):
        return False
    words = " ".join(re.split(r"[\s,]+", given.strip())).casefold()
    return words == " ".join(re.split(r"[\s,]+", loaded.strip())).casefold()


@given(json_values)
def test_any_json_document_as_settings(data: Any) -> None:
    loaded, _ = settings_from_json(data)
    assert isinstance(loaded, Settings)


@given(st.text())
def test_xero_dates_never_raise(text: str) -> None:
    ms_date(text)
    ms_date(f"/Date({text})/")


@given(st.integers(min_value=-(10**16), max_value=10**16), st.sampled_from(["", "+0000", "-0530"]))
def test_ms_json_dates(millis: int, zone: str) -> None:
    parsed = ms_date(f"/Date({millis}{zone})/")
    if parsed is not None:
        assert parsed.tzinfo is not None


@given(json_values)
def test_invoice_elements_of_any_shape(element: Any) -> None:
    if not isinstance(element, dict):
        element = {"InvoiceID": element}
    amount(element.get("Total"))
    messages(element)
    state = payment_state(element)
    assert isinstance(state.amount_paid, str)
    maica_status(element)


@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=2000))
def test_any_bytes_import_all_or_nothing(data: bytes) -> None:
    parsed = parse_export(data)
    assert bool(parsed.invoices) != bool(parsed.errors)  # invoices or reasons, never both
    for error in parsed.errors:
        assert error.message
        assert "Traceback" not in error.message


HEADER = (
    "invoice_number,invoice_date,due_date,status,funding_type,participant_id,participant_name,"
    "support_item_number,quantity,unit_price\n"
)


@settings(max_examples=200)
@given(st.lists(st.lists(st.text(max_size=12), min_size=10, max_size=10), max_size=6))
def test_any_cells_under_a_valid_header(rows: list[list[str]]) -> None:
    import csv
    import io

    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    parsed = parse_export((HEADER + buffer.getvalue()).encode("utf-8"))
    assert bool(parsed.invoices) != bool(parsed.errors)
    # nothing from the file reaches a message raw, nor an identifier with a hidden character
    for text in [*(str(error) for error in parsed.errors), *parsed.warnings]:
        assert not has_unsafe(text), text
    for invoice in parsed.invoices:
        assert not has_unsafe(invoice.invoice_number + invoice.participant_id)
        assert not any(has_unsafe(line.support_item_number) for line in invoice.lines)


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.sampled_from(["a", ",", '"', "\r", "\n", "\r\n", "é", "\u200b", " ", "1"]),
        max_size=60,
    ),
    st.integers(min_value=1, max_value=9),
)
def test_chunk_size_never_changes_the_result(pieces: list[str], chunk: int) -> None:
    data = (HEADER + "".join(pieces)).encode("utf-8")
    whole = parse_export(data)
    saved = textfile.CHUNK_BYTES
    textfile.CHUNK_BYTES = chunk
    try:
        chunked = parse_export(data)
    finally:
        textfile.CHUNK_BYTES = saved
    assert chunked == whole


@given(st.text())
def test_a_log_record_is_one_line_whatever_it_carries(text: str) -> None:
    record = logging.LogRecord("t", logging.INFO, __file__, 1, "value %s", (text,), None)
    redact.RedactingFilter().filter(record)
    line = logging.Formatter("%(levelname)s %(message)s").format(record)
    assert line.startswith("INFO value ")
    assert len(line.splitlines()) == 1
    assert not has_unsafe(line)


@given(st.text())
def test_neutralised_text_never_starts_a_formula(text: str) -> None:
    safe = csvsafe.neutralise(text)
    assert isinstance(safe, str)
    first = safe.lstrip(" ")[:1]
    if first in csvsafe.TRIGGERS:
        float(safe)  # only a plain number may (it is not a formula)
    assert safe in (text, "'" + text)


@given(st.text())
def test_redaction_never_raises_and_is_idempotent(text: str) -> None:
    once = redact.redact(text)
    assert redact.redact(once) == once
