"""Maica exports for tests: the shipped sample and generated ones (bench/generate_export.py)."""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import cast

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "maica_xero_desktop" / "resources" / "sample-maica-export.csv"
#: the sandbox organisation the tests import the sample into
DEMO = "Demo Company (AU)"


@cache
def _generator() -> Callable[..., bytes]:
    spec = importlib.util.spec_from_file_location(
        "generate_export", ROOT / "bench" / "generate_export.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return cast(Callable[..., bytes], module.generate)


def generated(
    folder: Path, invoices: int, lines: int = 2, participants: int = 40, seed: int = 7
) -> Path:
    path = folder / f"export-{invoices}-{seed}.csv"
    path.write_bytes(_generator()(invoices, lines, participants, seed))
    return path


#: the columns of a Maica export, as the tests write them
HEADER = (
    "invoice_number,invoice_date,due_date,status,funding_type,participant_id,participant_name,"
    "ndis_number,bill_to_name,bill_to_email,support_item_number,support_item_name,"
    "line_description,service_date,quantity,unit_price,account_code,tax_type,tracking_1,"
    "tracking_2,currency\n"
)


def write_export(folder: Path, lines: list[str], name: str = "export.csv") -> Path:
    """An export of the given rows (each ending in a newline) under :data:`HEADER`."""
    path = folder / name
    path.write_text(HEADER + "".join(lines), encoding="utf-8")
    return path


def adam_smith_export(folder: Path, *invoices: tuple[str, str], name: str = "export.csv") -> Path:
    """One-line Not Paid invoices for Adam Smith (P-000101): (number, unit price)."""
    return write_export(
        folder,
        [
            f"{number},2026-10-20,2026-11-03,Not Paid,Plan Managed,P-000101,Adam Smith,431204871,,,"
            f"01_011_0107_1_1,Assistance With Self-Care Activities,,2026-10-06,1,{price},,,,,AUD\n"
            for number, price in invoices
        ],
        name,
    )
