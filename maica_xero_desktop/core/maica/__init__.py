"""The Maica org (a Salesforce managed package) as the source of invoices and the destination of
Xero ids and payments: sign-in, the session, discovery and mapping, pull and write-back.

The window uses only the names exported here (and ``service.maica``)."""

from .views import (
    FIELD_STATES,
    ExportUpdatesResult,
    FieldCheck,
    MaicaStatus,
    MappingCheck,
    PullError,
    PullResult,
    WriteBackError,
    WriteBackResult,
)

__all__ = [
    "FIELD_STATES",
    "ExportUpdatesResult",
    "FieldCheck",
    "MaicaStatus",
    "MappingCheck",
    "PullError",
    "PullResult",
    "WriteBackError",
    "WriteBackResult",
]
