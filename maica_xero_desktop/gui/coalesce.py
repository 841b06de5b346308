"""Refresh unless one is running: a load requested while another is in flight runs once more
after it, however many requests came in between (the status hub, the Webhooks page)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, TypeVar

from ..core.errors import MaicaXeroError
from .tasks import Task, TaskRunner

T = TypeVar("T")


class CoalescedLoad(Generic[T]):
    """``request()`` runs ``work`` on the task runner, or — while it is running — notes that it
    must run again once it is done. GUI thread only (the runner calls back on it)."""

    def __init__(
        self,
        runner: TaskRunner,
        work: Callable[[Task[T]], T],
        on_done: Callable[[T], None],
        on_error: Callable[[MaicaXeroError], None],
        name: str,
    ) -> None:
        self._runner = runner
        self._work = work
        self._on_done = on_done
        self._on_error = on_error
        self._name = name
        self._in_flight = False
        self._again = False

    @property
    def in_flight(self) -> bool:
        return self._in_flight

    def request(self) -> None:
        if self._in_flight:
            self._again = True
            return
        self._in_flight = True
        self._runner.submit(self._work, on_done=self._done, on_error=self._failed, name=self._name)

    def _done(self, value: T) -> None:
        self._in_flight = False
        self._on_done(value)
        if self._again:
            self._again = False
            self.request()

    def _failed(self, error: MaicaXeroError) -> None:
        self._in_flight = False
        self._again = False  # the error is shown; the next action or tick asks again
        self._on_error(error)
