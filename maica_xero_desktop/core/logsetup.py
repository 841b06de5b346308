"""Logging: a rotating file in the log folder, a console handler, secrets always redacted."""

from __future__ import annotations

import logging
import logging.handlers
import os
import sys
from typing import TextIO

from .paths import AppPaths
from .redact import RedactingFilter

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
#: A record with this attribute set (``extra={NOTED: True}``) goes to the log file only: the front
#: end shows it to the person itself (a "Note:" in the terminal, a message in the window).
NOTED = "shown_as_note"
#: Libraries that print tokens or full request bodies at DEBUG.
NOISY = ("urllib3", "requests", "requests_oauthlib", "oauthlib", "keyring", "secretstorage")


def configure_logging(
    paths: AppPaths, *, console_level: int = logging.WARNING, stream: TextIO | None = None
) -> logging.Handler:
    """Install the file and console handlers on the root logger; returns the file handler."""
    root = logging.getLogger()
    root.setLevel(logging.DEBUG)
    for handler in list(root.handlers):
        if getattr(handler, "_maica", False):
            root.removeHandler(handler)
            handler.close()
    redactor = RedactingFilter()

    file_handler = logging.handlers.RotatingFileHandler(
        paths.log_file, maxBytes=1_000_000, backupCount=5, encoding="utf-8", delay=True
    )
    file_handler.setLevel(logging.INFO)
    file_handler.setFormatter(logging.Formatter(FORMAT))
    file_handler.addFilter(redactor)
    file_handler._maica = True  # type: ignore[attr-defined]
    root.addHandler(file_handler)
    _touch_private(paths.log_file)

    console = logging.StreamHandler(stream or sys.stderr)
    console.setLevel(console_level)
    console.setFormatter(logging.Formatter("%(levelname)s: %(message)s"))
    console.addFilter(redactor)
    console.addFilter(lambda record: not getattr(record, NOTED, False))
    console._maica = True  # type: ignore[attr-defined]
    root.addHandler(console)

    for name in NOISY:
        logging.getLogger(name).setLevel(logging.INFO)
    return file_handler


def _touch_private(path: os.PathLike[str]) -> None:
    fd = os.open(path, os.O_CREAT | os.O_APPEND | os.O_WRONLY, 0o600)
    os.close(fd)
    if os.name == "posix":
        os.chmod(path, 0o600)
