"""``python -m maica_xero_desktop.sandbox [--port P] [--state FILE] [--auto-consent]``."""

from __future__ import annotations

import argparse

from .config import port_arg
from .server import serve


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m maica_xero_desktop.sandbox")
    parser.add_argument("--port", type=port_arg, default=0, help="0 picks a free port")
    parser.add_argument("--state", default=None, help="keep the sandbox's state in this JSON file")
    parser.add_argument("--auto-consent", action="store_true", help="grant every organisation")
    args = parser.parse_args(argv)
    return serve(args.port, args.state, args.auto_consent)


if __name__ == "__main__":
    raise SystemExit(main())
