"""The window's filters, colours and advice name only the states core defines, and every one."""

from __future__ import annotations

from maica_xero_desktop.core.states import EventState, LinkState, RunOutcome, TokenState
from maica_xero_desktop.gui.history_panel import FILTERS
from maica_xero_desktop.gui.invoice_detail import ADVICE
from maica_xero_desktop.gui.invoice_model import STATE_HINT, STATE_LABELS
from maica_xero_desktop.gui.invoices_panel import STATES
from maica_xero_desktop.gui.status_strip import SIGN_IN
from maica_xero_desktop.gui.webhooks_events import COUNT_ORDER


def test_the_invoice_filter_offers_every_link_state_once() -> None:
    offered = [value for _, value in STATES if value is not None]
    assert sorted(offered) == sorted(LinkState)


def test_the_advice_covers_every_link_state() -> None:
    assert set(ADVICE) == set(LinkState)
    assert set(STATE_HINT) | set(STATE_LABELS) <= set(LinkState)


def test_other_state_lists_name_defined_states() -> None:
    assert {value for _, value in FILTERS if value} <= set(RunOutcome)
    assert set(SIGN_IN) == set(TokenState)
    assert sorted(COUNT_ORDER) == sorted(EventState)
