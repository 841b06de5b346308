"""A running webhook section: the receiver, the processor's worker and the status file together.

The window starts one with ``service.webhooks.listener(...).start()`` and stops it on exit;
``maica-xero webhooks serve`` does the same in a terminal. Starting reads the key from the
keyring once, writes the status file, and runs a catch-up pull on the worker thread.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..errors import ConfigurationError, Remedy
from .keys import KeyCache, WebhookKeys
from .processing import ProcessReport, Sources, WebhookProcessor
from .receiver import DEFAULT_HOST, DEFAULT_PORT, MAX_BODY, WebhookReceiver
from .site import receiver_paths
from .statusfile import StatusFile, status_path

log = logging.getLogger(__name__)

NO_KEY = "No webhook key is saved."


class WebhookListener:
    """A running webhook section: the receiver, the processor's worker and the status file.

    Owns them, from :meth:`start` to :meth:`stop` (which joins every thread). Never processes an
    event on a receiver thread: the receiver stores and answers, the worker processes.
    Threads: the receiver's I/O and request threads, the processor's worker; ``on_event`` is
    called on those threads and must return at once."""

    def __init__(
        self,
        sources: Sources,
        keys: WebhookKeys,
        *,
        data_dir: Path,
        site: Callable[[], str],
        host: str = DEFAULT_HOST,
        port: int = DEFAULT_PORT,
        max_body: int = MAX_BODY,
        catch_up: bool = True,
        batch_delay: float = 0.1,
        on_event: Callable[[str], None] | None = None,
    ) -> None:
        #: told, on the receiver's or the processor's thread, when something happened: "delivery"
        #: (stored), "intent" (an Intent to Receive, answered), "processed" (a round changed
        #: events), "caught_up", "stopped". It must return at once (the window emits a signal).
        self.on_event = on_event
        self._sources = sources
        self._keys = keys
        self._data_dir = data_dir
        self._site = site
        self.host, self.port = host, port
        self._max_body = max_body
        self._catch_up = catch_up
        self._batch_delay = batch_delay
        self.receiver: WebhookReceiver | None = None
        self.processor: WebhookProcessor | None = None
        self.status: StatusFile | None = None

    def start(self) -> int:
        """Listen; returns the port. ConfigurationError when no key is saved."""
        if self.receiver is not None:
            return self.port
        cache = KeyCache(self._keys.load, generation=self._keys.generation)
        if not cache.keys.current:
            raise ConfigurationError(NO_KEY, remedy=Remedy.SET_WEBHOOK_KEY)
        sources = self._sources
        store = sources.store()  # open the database on this thread, before any request
        status = _TellingStatus(status_path(self._data_dir), self._tell)
        processor = _TellingProcessor(
            sources, batch_delay=self._batch_delay, on_catch_up=self._caught_up
        )
        processor.tell = self._tell
        receiver = WebhookReceiver(
            keys=cache,
            sink=store,
            is_enabled=sources.is_enabled,
            paths=receiver_paths(self._site()),
            status=status,
            on_accepted=self._accepted,
            host=self.host,
            port=self.port,
            max_body=self._max_body,
        )
        self.status, self.processor = status, processor
        self.port = receiver.start()
        self.receiver = receiver
        processor.start(catch_up=self._catch_up)
        return self.port

    def _accepted(self) -> None:
        if self.processor is not None:
            self.processor.wake()
        self._tell("delivery")

    def _tell(self, what: str) -> None:
        if self.on_event is not None:
            self.on_event(what)

    def _caught_up(self, info: dict[str, Any]) -> None:
        if self.status is not None:
            self.status.update(catch_up=info)
        self._tell("caught_up")

    def stop(self) -> None:
        receiver, processor = self.receiver, self.processor
        self.receiver = self.processor = None
        if receiver is not None:
            receiver.stop()
        if processor is not None:
            processor.stop()
        if receiver is not None:
            self._tell("stopped")

    def reload_keys(self) -> None:
        """Read the key again (after a rotation in this process)."""
        if self.receiver is not None:
            self.receiver.keys.reload()

    @property
    def running(self) -> bool:
        return self.receiver is not None

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def __enter__(self) -> WebhookListener:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


class _TellingStatus(StatusFile):
    """The status file, telling the listener of each Intent to Receive as it is answered."""

    def __init__(self, path: Any, tell: Callable[[str], None]) -> None:
        super().__init__(path)
        self._tell = tell

    def intent_to_receive(self, status: int) -> None:
        super().intent_to_receive(status)
        self.flush(force=True)  # rare, and whoever is told reads the file next
        self._tell("intent")


class _TellingProcessor(WebhookProcessor):
    """The processor, telling the listener after each round that changed an event."""

    tell: Callable[[str], None] = staticmethod(lambda what: None)

    def process_due(self) -> ProcessReport:
        report = super().process_due()
        if report != ProcessReport():
            self.tell("processed")
        return report
