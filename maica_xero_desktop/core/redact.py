"""Keep secrets out of logs, errors and output.

Every secret the product handles (tokens, client secret, webhook key) is registered here the moment
it is read or received; :func:`redact` replaces any registered value, and anything shaped like a
bearer token, a JWT or a token form field, with ``[redacted]``. A logging filter applies it to
every record of every handler the product installs, and makes the record unforgeable: the
message is escaped with :func:`textsafe.printable` (a newline in a CSV value or in Xero's answer
cannot start a line that looks like a record of its own), and every line of a traceback is escaped
and indented, so a traceback stays readable while no line of it can pass for a record.
"""

from __future__ import annotations

import logging
import re
import threading

from .textsafe import printable

MASK = "[redacted]"
_MIN_SECRET_LEN = 8

_lock = threading.Lock()
_secrets: set[str] = set()

_PATTERNS = (
    re.compile(r"(?i)(bearer\s+)[A-Za-z0-9\-._~+/]+=*"),
    # JWTs: three base64url parts, the first starting with '{"' encoded.
    re.compile(r"eyJ[A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]*"),
    re.compile(
        r"(?i)((?:access_token|refresh_token|id_token|client_secret|code_verifier)"
        r"[\"']?\s*[=:]\s*[\"']?)[^\"'&\s,}]+"
    ),
    # The authorization code and a bare token as form or query fields (code=..., token=...).
    re.compile(r"(?i)((?<![\w.])(?:code|token)=)[^&\s\"']+"),
)


def register(value: str | None) -> None:
    """Remember ``value`` as a secret (ignored when empty or too short to be one)."""
    if value and len(value) >= _MIN_SECRET_LEN:
        with _lock:
            _secrets.add(value)


def redact(text: str) -> str:
    with _lock:
        known = sorted(_secrets, key=len, reverse=True)
    for secret in known:
        if secret in text:
            text = text.replace(secret, MASK)
    for pattern in _PATTERNS:
        text = pattern.sub(lambda m: (m.group(1) if m.groups() else "") + MASK, text)
    return text


#: What every line of a traceback or stack in a log starts with.
BLOCK_INDENT = "  "


def safe_block(text: str) -> str:
    """Multi-line text (a traceback) as lines that are each escaped and indented."""
    return "\n".join(BLOCK_INDENT + printable(line) for line in text.split("\n"))


class RedactingFilter(logging.Filter):
    """Formats the record's message, redacts and escapes it, and drops the arguments."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "_maica_safe", False):  # the same record, at another handler
            return True
        try:
            message = record.getMessage()
        except Exception:  # a broken format string must not break logging
            message = str(record.msg)
        record.msg = printable(redact(message))
        record.args = None
        if record.exc_info and not record.exc_text:
            # Format the traceback here, so every handler writes the redacted text.
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = safe_block(redact(record.exc_text))
        if record.stack_info:
            record.stack_info = safe_block(redact(record.stack_info))
        record.__dict__["_maica_safe"] = True
        return True
