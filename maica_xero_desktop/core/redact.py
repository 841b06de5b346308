"""Keep secrets out of logs, errors and output.

Every secret the product handles (tokens, client secret, webhook key) is registered here the moment
it is read or received; :func:`redact` replaces any registered value, and anything shaped like a
bearer token, a JWT or a token form field, with ``[redacted]``. A logging filter applies it to
every record of every handler the product installs.
"""

from __future__ import annotations

import logging
import re
import threading

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


class RedactingFilter(logging.Filter):
    """Formats the record's message, redacts it, and drops the arguments."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string must not break logging
            message = str(record.msg)
        record.msg = redact(message)
        record.args = None
        if record.exc_info and not record.exc_text:
            # Format the traceback here, so every handler writes the redacted text.
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        return True
