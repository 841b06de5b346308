"""The bundle's ``maica-xero`` executable: the command line, exactly as the installed
``maica-xero`` entry point (no arguments, or ``gui``, opens the window as well)."""

import sys

from maica_xero_desktop.cli import main

if __name__ == "__main__":
    sys.exit(main())
