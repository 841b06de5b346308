"""Maica exports for tests: the shipped sample and generated ones (bench/generate_export.py)."""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import cast

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "maica_xero_desktop" / "resources" / "sample-maica-export.csv"


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
