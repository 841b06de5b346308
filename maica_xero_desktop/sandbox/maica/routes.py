"""Every route of the offline Maica org, registered on the sandbox's one router."""

from __future__ import annotations

from ..routes import Router
from . import bulk, controls, oauth, rest, writes


def register(router: Router) -> None:
    for module in (oauth, rest, writes, bulk, controls):
        module.register(router)
