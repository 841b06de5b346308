"""The files the program reads at run time — the sample Maica export (the demo) and the icons —
shipped inside the package and found with ``importlib.resources``, so an installed wheel, a source
checkout and the PyInstaller bundle (which puts them at ``maica_xero_desktop/resources`` under its
``_internal`` folder) all find them the same way. The sources the build uses (the SVG icon
sources, the .ico and .icns, the menu entry) stay in the project's top-level ``resources/``.

Nothing here imports the rest of the product: core, the window, the CLI and the demo may all use
it (import-linter keeps core and the sandbox away from it)."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

SAMPLE_EXPORT = "sample-maica-export.csv"


def resource_dir() -> Path:
    """This folder on disk. Wheels and the bundle install package data as plain files, so the
    ``Traversable`` that ``files`` returns is a real folder; ``Path`` of it is what Qt and the
    desktop-entry installer need."""
    return Path(str(files(__name__)))


def resource_path(name: str) -> Path:
    """One file, ``name`` relative to this folder (``icons/app/maica-xero-16.png``)."""
    return resource_dir() / name
