"""The application and panel icons, package data loaded through ``resource_path``
(``maica_xero_desktop.resources``, so the same code works from source, a wheel and the bundle).
A missing file gives an empty icon, never an error: an icon is decoration.

The application icon is built from the pre-rendered PNG sizes (``scripts/make-icons``) rather than
the SVG, so it looks the same where no SVG icon engine is loaded (window managers, the taskbar).
Panel icons are small SVGs, drawn by Qt's SVG icon engine at whatever size is asked for."""

from __future__ import annotations

from typing import Literal

from PySide6.QtGui import QIcon

from .resources import resource_path

APP_ICON_SIZES = (16, 32, 48, 64, 128, 256, 512)
PanelName = Literal["enable", "connections", "webhooks", "sync"]
PANELS: tuple[PanelName, ...] = ("enable", "connections", "webhooks", "sync")


def app_icon() -> QIcon:
    """The window and taskbar icon (an invoice sheet with a sync badge), every size in one icon."""
    icon = QIcon()
    for size in APP_ICON_SIZES:
        path = resource_path(f"icons/app/maica-xero-{size}.png")
        if path.is_file():
            icon.addFile(str(path))
    return icon


def panel_icon(name: PanelName) -> QIcon:
    """The icon of one section: ``enable``, ``connections``, ``webhooks`` or ``sync``."""
    path = resource_path(f"icons/panels/{name}.svg")
    return QIcon(str(path)) if path.is_file() else QIcon()
