"""Plain resource files (the sample export, icons), found through one function: the package's
``maica_xero_desktop.resources`` (importlib.resources), from source, a wheel or the bundle alike."""

from __future__ import annotations

from ..resources import resource_dir, resource_path

__all__ = ["resource_dir", "resource_path"]
