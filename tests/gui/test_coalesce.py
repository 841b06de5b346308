"""Refresh unless one is running (gui/coalesce.py): the status hub's and the Webhooks page's."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

from maica_xero_desktop.core.errors import MaicaXeroError
from maica_xero_desktop.gui.coalesce import CoalescedLoad
from maica_xero_desktop.gui.tasks import TaskRunner


class Runner:
    """Holds each submitted task until the test finishes it."""

    def __init__(self) -> None:
        self.waiting: list[dict[str, Any]] = []

    def submit(self, work: Callable[..., Any], **callbacks: Any) -> None:
        self.waiting.append(callbacks)

    def finish(self, value: object = None, error: MaicaXeroError | None = None) -> None:
        callbacks = self.waiting.pop(0)
        if error is None:
            callbacks["on_done"](value)
        else:
            callbacks["on_error"](error)


def make() -> tuple[Runner, CoalescedLoad[object], list[object], list[MaicaXeroError]]:
    runner = Runner()
    done: list[object] = []
    failed: list[MaicaXeroError] = []
    load: CoalescedLoad[object] = CoalescedLoad(
        cast(TaskRunner, runner), lambda t: None, done.append, failed.append, "t"
    )
    return runner, load, done, failed


def test_requests_while_one_runs_make_one_more_load() -> None:
    runner, load, done, _ = make()
    load.request()
    load.request()
    load.request()
    assert len(runner.waiting) == 1
    assert load.in_flight
    runner.finish("first")
    assert done == ["first"]
    assert len(runner.waiting) == 1
    runner.finish("second")
    assert done == ["first", "second"]
    assert not runner.waiting
    assert not load.in_flight


def test_a_failure_drops_the_requests_in_between() -> None:
    runner, load, _, failed = make()
    load.request()
    load.request()
    runner.finish(error=MaicaXeroError("Xero could not be reached."))
    assert len(failed) == 1
    assert not runner.waiting
    assert not load.in_flight
    load.request()
    assert len(runner.waiting) == 1
