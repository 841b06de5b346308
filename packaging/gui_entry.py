"""The bundle's ``maica-xero-desktop`` executable: the window (``--demo`` for the sandbox).

PyInstaller runs this file as a plain script, outside the package, so it imports absolutely.
``cli.gui_main`` answers ``--help`` and ``--version`` without opening a window, refuses in one
sentence when there is no screen, then runs ``gui.app.main`` with the arguments (``--demo``; the
hidden ``--quit-after SECONDS`` the smoke test uses)."""

import sys

from maica_xero_desktop.cli import gui_main

if __name__ == "__main__":
    sys.exit(gui_main())
