"""Sync flows: the built-in ones and those other packages register.

A third-party flow is any object satisfying :class:`Flow`, exposed under the entry-point group
``maica_xero_desktop.flows`` (the entry point may name the object, or a class/factory that takes
no arguments and returns it).
"""

from __future__ import annotations

import logging
from importlib.metadata import entry_points

from ..errors import ConfigurationError, Remedy
from .base import Flow, MappingContext, StandardFlow, not_eligible_reason

log = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "maica_xero_desktop.flows"

_OPEN = frozenset({"Not Paid", "Partially Paid", "Fully Paid"})

BUILT_IN: tuple[Flow, ...] = (
    StandardFlow(
        name="authorised",
        description=(
            "Push approved invoices (Not Paid, Partially or Fully Paid) as AUTHORISED, with the "
            "Maica invoice number as the Xero invoice number and the participant's name and NDIS "
            "number as the reference."
        ),
        matches_by="number",
        xero_status="AUTHORISED",
        statuses=_OPEN,
    ),
    StandardFlow(
        name="draft",
        description=(
            "Push entered and approved invoices as DRAFT, for review and approval in Xero; the "
            "Maica invoice number is the Xero invoice number."
        ),
        matches_by="number",
        xero_status="DRAFT",
        statuses=_OPEN | {"Entered"},
    ),
    StandardFlow(
        name="classic",
        description=(
            "Maica's own mapping: approved invoices as AUTHORISED, numbered by Xero, with the "
            "Maica invoice number in the reference."
        ),
        matches_by="reference",
        xero_status="AUTHORISED",
        statuses=_OPEN,
    ),
)

__all__ = [
    "BUILT_IN",
    "ENTRY_POINT_GROUP",
    "Flow",
    "MappingContext",
    "all_flows",
    "get_flow",
    "not_eligible_reason",
]


def _plugins() -> list[Flow]:
    found: list[Flow] = []
    for entry in entry_points(group=ENTRY_POINT_GROUP):
        try:
            loaded = entry.load()
            flow = loaded() if isinstance(loaded, type) or not isinstance(loaded, Flow) else loaded
        except Exception as exc:
            log.warning("The sync flow plug-in %s could not be loaded: %s", entry.name, exc)
            continue
        if not isinstance(flow, Flow):
            log.warning("The plug-in %s is not a sync flow; it is ignored.", entry.name)
            continue
        found.append(flow)
    return found


def all_flows() -> list[Flow]:
    flows: dict[str, Flow] = {flow.name: flow for flow in BUILT_IN}
    for flow in _plugins():
        if flow.name in flows:
            log.warning("A plug-in flow named %s is ignored: that name is taken.", flow.name)
            continue
        flows[flow.name] = flow
    return list(flows.values())


def get_flow(name: str) -> Flow:
    for flow in all_flows():
        if flow.name == name:
            return flow
    names = ", ".join(f.name for f in all_flows())
    raise ConfigurationError(
        f"There is no sync flow called '{name}' (the flows are {names}).",
        remedy=Remedy.CHOOSE_FLOW,
        facts={"flows": names},
    )
