"""``python -m maica_xero_desktop.sandbox [--port P] [--state FILE] [--auto-consent]
[--maica-namespace maica_cc|maica]``."""

from __future__ import annotations

import argparse

from .config import MAICA_NAMESPACES, port_arg
from .server import serve


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m maica_xero_desktop.sandbox")
    parser.add_argument("--port", type=port_arg, default=0, help="0 picks a free port")
    parser.add_argument("--state", default=None, help="keep the sandbox's state in this JSON file")
    parser.add_argument("--auto-consent", action="store_true", help="grant every organisation")
    parser.add_argument(
        "--maica-namespace",
        choices=MAICA_NAMESPACES,
        default="maica_cc",
        help="the Maica org's package namespace (maica_cc, or maica for the older edition)",
    )
    args = parser.parse_args(argv)
    return serve(args.port, args.state, args.auto_consent, maica_namespace=args.maica_namespace)


if __name__ == "__main__":
    raise SystemExit(main())
