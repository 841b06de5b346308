"""The one way the window does background work.

Threading contract
------------------
* ``TaskRunner.submit(work, ...)`` must be called on the GUI thread. ``work(task)`` then runs on a
  worker of a :class:`QThreadPool`; it may block (network, keyring, disk) and must **never** touch
  a widget. It may call ``task.progress(value)`` (thread-safe) and should honour ``task.cancel``
  (a :class:`threading.Event`) where the service accepts one.
* ``on_done(result)``, ``on_error(error)`` and ``on_progress(value)`` are always called on the GUI
  thread, through queued Qt signals, so they may update widgets freely.
* A domain error (:class:`MaicaXeroError`) goes to ``on_error`` when one is given; otherwise the
  runner's error presenter shows its sentence. Any other exception is a bug: it is logged and shown
  in the crash dialog, never passed to ``on_error``.
* ``queue``: tasks that name the same queue run one at a time, in submission order (one queue per
  Xero organisation for sync work). Tasks without a queue run as soon as a worker is free.
* ``button``: disabled when the task is submitted and enabled again when it ends, before the
  callbacks run (a callback may disable it again if the panel's state says so).
* ``shutdown()`` (the window closing) sets every task's cancel event, waits a bounded time for the
  workers and drops any result that arrives afterwards.
"""

from __future__ import annotations

import itertools
import logging
import threading
from collections import deque
from collections.abc import Callable
from typing import Any, Generic, TypeVar

from PySide6.QtCore import QObject, QRunnable, Qt, QThreadPool, Signal, Slot
from PySide6.QtWidgets import QAbstractButton

from ..core.errors import MaicaXeroError
from .errors import ErrorPresenter

log = logging.getLogger(__name__)

T = TypeVar("T")

_ids = itertools.count(1)


class _Relay(QObject):
    """Created on (and living in) the GUI thread: the worker emits, and because the receiving
    slots belong to this object, Qt queues their calls to the GUI thread."""

    finished = Signal(object, object)  # (result, error)
    progressed = Signal(object)

    def __init__(
        self,
        on_finished: Callable[[object, object], None],
        on_progress: Callable[[object], None],
    ) -> None:
        super().__init__()
        self._on_finished = on_finished
        self._on_progress = on_progress
        self.finished.connect(self._finished, Qt.ConnectionType.QueuedConnection)
        self.progressed.connect(self._progressed, Qt.ConnectionType.QueuedConnection)

    @Slot(object, object)
    def _finished(self, result: object, error: object) -> None:
        self._on_finished(result, error)

    @Slot(object)
    def _progressed(self, value: object) -> None:
        self._on_progress(value)


class Task(Generic[T]):
    """One submitted piece of work: its cancel event and its progress reporter."""

    def __init__(
        self,
        runner: TaskRunner,
        work: Callable[[Task[T]], T],
        name: str,
        queue: str | None,
        button: QAbstractButton | None,
    ) -> None:
        self.id = next(_ids)
        self.name = name
        self.queue = queue
        self.button = button
        self.cancel = threading.Event()
        self.running = False
        self.finished = False
        self._runner = runner
        self._work = work
        self._relay = _Relay(
            lambda result, error: runner._finish(self, result, error),
            lambda value: runner._progress(self, value),
        )
        self.on_done: Callable[[T], None] | None = None
        self.on_error: Callable[[MaicaXeroError], None] | None = None
        self.on_progress: Callable[[Any], None] | None = None

    def progress(self, value: object) -> None:
        """Report progress from the worker thread (delivered to ``on_progress`` on the GUI)."""
        if not self.finished:
            self._relay.progressed.emit(value)

    def _execute(self) -> None:
        """Runs on a worker thread."""
        result: object = None
        error: BaseException | None = None
        try:
            result = self._work(self)
        except BaseException as exc:  # delivered to the GUI thread, never swallowed
            error = exc
        self._relay.finished.emit(result, error)


class _Runnable(QRunnable):
    def __init__(self, task: Task[Any]) -> None:
        super().__init__()
        self._task = task
        self.setAutoDelete(True)

    def run(self) -> None:
        self._task._execute()


class TaskRunner(QObject):
    """Runs service calls off the GUI thread; see the module docstring for the contract."""

    #: a task started or ended (panels may recompute their buttons)
    busy_changed = Signal()

    def __init__(
        self, presenter: ErrorPresenter, parent: QObject | None = None, max_threads: int = 8
    ) -> None:
        super().__init__(parent)
        self._presenter = presenter
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(max_threads)
        self._active: dict[int, Task[Any]] = {}
        self._queues: dict[str, deque[Task[Any]]] = {}
        self._busy_queues: set[str] = set()
        self._closed = False

    # -- submitting ------------------------------------------------------------------------

    def submit(
        self,
        work: Callable[[Task[T]], T],
        *,
        on_done: Callable[[T], None] | None = None,
        on_error: Callable[[MaicaXeroError], None] | None = None,
        on_progress: Callable[[Any], None] | None = None,
        queue: str | None = None,
        button: QAbstractButton | None = None,
        name: str = "",
    ) -> Task[T]:
        task: Task[T] = Task(self, work, name or getattr(work, "__name__", "task"), queue, button)
        task.on_done = on_done
        task.on_error = on_error
        task.on_progress = on_progress
        self._active[task.id] = task
        if button is not None:
            button.setEnabled(False)
        if self._closed:
            task.cancel.set()
        if queue is None:
            self._start(task)
        else:
            self._queues.setdefault(queue, deque()).append(task)
            self._pump(queue)
        self.busy_changed.emit()
        return task

    def _start(self, task: Task[Any]) -> None:
        task.running = True
        if task.queue is not None:
            self._busy_queues.add(task.queue)
        self._pool.start(_Runnable(task))

    def _pump(self, queue: str) -> None:
        waiting = self._queues.get(queue)
        if queue in self._busy_queues or not waiting:
            return
        self._start(waiting.popleft())

    # -- delivery on the GUI thread --------------------------------------------------------

    def _progress(self, task: Task[Any], value: object) -> None:
        if task.on_progress is not None and not task.finished and not self._closed:
            task.on_progress(value)

    def _finish(self, task: Task[Any], result: object, error: object) -> None:
        task.finished = True
        task.running = False
        self._active.pop(task.id, None)
        if task.queue is not None:
            self._busy_queues.discard(task.queue)
            self._pump(task.queue)
        if task.button is not None and not self._closed:
            task.button.setEnabled(True)
        self.busy_changed.emit()
        if self._closed:
            return
        if error is None:
            if task.on_done is not None:
                task.on_done(result)
        elif isinstance(error, MaicaXeroError):
            log.info("%s: %s", task.name, error.sentence)
            if task.on_error is not None:
                task.on_error(error)
            else:
                self._presenter.present(error)
        elif isinstance(error, BaseException):
            log.error("Unexpected error in %s", task.name, exc_info=error)
            self._presenter.crash(error)
        task._relay.deleteLater()

    @property
    def presenter(self) -> ErrorPresenter:
        return self._presenter

    # -- state -----------------------------------------------------------------------------

    def is_busy(self, queue: str | None = None) -> bool:
        """Any task running or waiting (in ``queue`` when given)."""
        if queue is None:
            return bool(self._active)
        return queue in self._busy_queues or bool(self._queues.get(queue))

    def active_tasks(self) -> list[Task[Any]]:
        return list(self._active.values())

    def wait(self, msecs: int = 10_000) -> bool:
        """Block until the workers are idle (tests and shutdown only)."""
        return self._pool.waitForDone(msecs)

    def shutdown(self, msecs: int = 5_000) -> None:
        """Cancel everything, wait a bounded time, and drop late results."""
        for task in self._active.values():
            task.cancel.set()
        for waiting in self._queues.values():
            waiting.clear()
        self._pool.clear()
        self._pool.waitForDone(msecs)
        self._closed = True
