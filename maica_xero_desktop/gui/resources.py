"""Plain resource files (the sample export, icons), found through one function."""

from __future__ import annotations

import sys
from pathlib import Path


def resource_dir() -> Path:
    """``resources/`` next to the package when run from source; inside the bundle when frozen."""
    bundle = getattr(sys, "_MEIPASS", None)
    if bundle:
        return Path(bundle) / "resources"
    return Path(__file__).resolve().parents[2] / "resources"


def resource_path(name: str) -> Path:
    return resource_dir() / name
