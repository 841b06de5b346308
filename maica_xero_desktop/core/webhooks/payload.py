"""A delivery's body, checked: Xero's ``{"events": [...], "firstEventSequence", "lastEventSequence",
"entropy"}``. Only the shape is checked here; what an event means is processing's business.

A body that is not a delivery at all raises :class:`BadPayload`. One event that is not shaped like
Xero's (a field missing, not text, too long, with control characters) is *skipped*, with a reason,
and the others are kept: a signed delivery is Xero's, and refusing it would only make Xero retry
it and in the end disable the subscription. Unknown categories and types, and extra fields, are
no problem here. An Intent-to-Receive request is a delivery whose ``events`` is empty. The
delivery id is the SHA-256 of the raw body: it names the request an event first arrived in.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from ..store.events import IncomingEvent

MAX_EVENTS = 1000
MAX_FIELD = 2048
_FIELDS = (
    "resourceUrl",
    "resourceId",
    "eventDateUtc",
    "eventType",
    "eventCategory",
    "tenantId",
    "tenantType",
)


class BadPayload(ValueError):
    """The body is not a delivery Xero would send (nothing is stored)."""


@dataclass(frozen=True)
class Delivery:
    delivery_id: str
    events: tuple[IncomingEvent, ...]
    #: why each skipped event was skipped (printable text, for the log)
    skipped: tuple[str, ...] = ()

    @property
    def is_intent_to_receive(self) -> bool:
        return not self.events and not self.skipped


def _text(event: dict[str, Any], name: str) -> str:
    value = event.get(name)
    if not isinstance(value, str) or not value.strip() or len(value) > MAX_FIELD:
        raise BadPayload(f"event field {name} missing or not text")
    if not value.isprintable():
        raise BadPayload(f"event field {name} has control characters")
    return value.strip()


def _event(item: Any) -> IncomingEvent:
    if not isinstance(item, dict):
        raise BadPayload("an event is not an object")
    values = {name: _text(item, name) for name in _FIELDS}
    return IncomingEvent(
        tenant_id=values["tenantId"],
        tenant_type=values["tenantType"].upper(),
        category=values["eventCategory"].upper(),
        event_type=values["eventType"].upper(),
        resource_id=values["resourceId"],
        resource_url=values["resourceUrl"],
        event_date=values["eventDateUtc"],
    )


def parse_delivery(body: bytes) -> Delivery:
    """The delivery in ``body``, or :class:`BadPayload`."""
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise BadPayload("not JSON") from None
    if not isinstance(data, dict):
        raise BadPayload("not a JSON object")
    events = data.get("events")
    if not isinstance(events, list):
        raise BadPayload("no events array")
    if len(events) > MAX_EVENTS:
        raise BadPayload("too many events")
    parsed: list[IncomingEvent] = []
    skipped: list[str] = []
    for number, item in enumerate(events, 1):
        try:
            parsed.append(_event(item))
        except BadPayload as exc:
            skipped.append(f"event {number}: {exc}")
    return Delivery(hashlib.sha256(body).hexdigest(), tuple(parsed), tuple(skipped))
