"""What the Maica data code needs of the session (``core.maica.session.MaicaSession``): run one
piece of work on a ``simple_salesforce.Salesforce`` (which refreshes an expired session once and
translates Salesforce's refusals into the product's errors), and count the calls made."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol, TypeVar

from simple_salesforce.api import Salesforce

T = TypeVar("T")


class Runner(Protocol):
    @property
    def calls(self) -> int: ...

    def run(self, fn: Callable[[Salesforce], T]) -> T: ...
