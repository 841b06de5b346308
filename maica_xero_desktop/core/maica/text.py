"""Text from the Maica org (Salesforce's error messages, field labels and names, picklist values,
record names and Ids) made safe before it reaches a sentence, a log line or the store: any
secret redacted, control, bidi and zero-width characters shown as visible escapes
(:func:`..textsafe.printable`), surrounding spaces trimmed, and the length bounded (cut with
"…"), as :func:`..xero.http.outside_text` does for Xero's text."""

from __future__ import annotations

import re

from ..redact import redact
from ..textsafe import printable

#: a Salesforce API name (``ns__Name__c``, ``Name``, ``ns__Child__r``): letters, digits and
#: underscores, starting with a letter; anything else from ``describe`` is not used as a name
API_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,79}")
#: a Salesforce record Id: 15 or 18 letters and digits
RECORD_ID = re.compile(r"[A-Za-z0-9]{15}(?:[A-Za-z0-9]{3})?")


def outside(value: object, limit: int = 200) -> str:
    """``value`` from the org as it may appear in a sentence, a log or the store: redacted,
    escaped and cut to ``limit`` characters."""
    if value is None:
        return ""
    text = printable(redact(str(value))).strip()
    return text if len(text) <= limit else text[: max(limit - 1, 0)] + "…"


def api_name(value: object) -> str:
    """``value`` when it is a well-formed API name, else ""."""
    text = value if isinstance(value, str) else ""
    return text if API_NAME.fullmatch(text) else ""


def record_id(value: object) -> str:
    """``value`` when it is a well-formed record Id, else ""."""
    text = value if isinstance(value, str) else ""
    return text if RECORD_ID.fullmatch(text) else ""
