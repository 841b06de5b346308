"""The bundle's ``maica-xero-desktop`` executable: the window (``--demo`` for the sandbox).

PyInstaller runs this file as a plain script, outside the package, so it imports absolutely.
``gui.app.main`` reads its own arguments from ``sys.argv`` (``--demo``; the hidden
``--quit-after SECONDS`` the smoke test uses)."""

import sys

from maica_xero_desktop.gui.app import main

if __name__ == "__main__":
    sys.exit(main())
