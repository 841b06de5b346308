"""The sign-in's age (issue 12.8): status warns from 50 of Xero's 60 days without a renewal, with
the RECONNECT remedy; a renewal clears it."""

from __future__ import annotations

import dataclasses
import logging
import time

import pytest

from maica_xero_desktop.core.errors import Notice, Remedy
from maica_xero_desktop.core.service import Service, internals

DAY = 86400.0


def _age(service: Service, days: float) -> None:
    tokens = internals(service).secrets.load_tokens()
    assert tokens is not None
    internals(service).secrets.save_tokens(
        dataclasses.replace(tokens, obtained_at=time.time() - days * DAY, expires_at=0.0)
    )


def _renewal_notes(service: Service) -> list[Notice]:
    return [
        m
        for m in service.status().messages
        if isinstance(m, Notice) and "not been renewed" in m.fact
    ]


def test_status_warns_from_day_fifty(connected: Service, caplog: pytest.LogCaptureFixture) -> None:
    _age(connected, 49.5)
    assert _renewal_notes(connected) == []
    _age(connected, 52.2)
    (note,) = _renewal_notes(connected)
    assert note.remedy is Remedy.RECONNECT
    assert "52 days" in note.fact
    assert "in 8 days" in note.fact
    with caplog.at_level(logging.WARNING):
        connected.connections()  # any Xero call renews the sign-in
    assert "unrenewed for 52 days" in caplog.text
    assert _renewal_notes(connected) == []
