"""A running webhook section: the receiver, the processor's worker and the status file together.

The window starts one with ``service.webhooks.listener(...).start()`` and stops it on exit;
``maica-xero webhooks serve`` does the same in a terminal. Starting reads the key from the
keyring once, writes the status file, and runs a catch-up pull on the worker thread.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from ..errors import ConfigurationError, Remedy
from .keys import KeyCache, WebhookKeys
from .processing import WebhookProcessor
from .receiver import DEFAULT_HOST, DEFAULT_PORT, MAX_BODY, WebhookReceiver
from .site import receiver_paths
from .statusfile import StatusFile, status_path

if TYPE_CHECKING:
    from ..service import Service

log = logging.getLogger(__name__)

NO_KEY = "No webhook key is saved."


class WebhookListener:
    def __init__(
        self,
        service: Service,
        keys: WebhookKeys,
        *,
        host: str = DEFAULT_HOST,
        port: int = DEFAULT_PORT,
        max_body: int = MAX_BODY,
        catch_up: bool = True,
        batch_delay: float = 0.1,
    ) -> None:
        self._service = service
        self._keys = keys
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
        service = self._service
        service.store  # noqa: B018 -- open the database on this thread, before any request
        status = StatusFile(status_path(service.paths.data_dir))
        processor = WebhookProcessor(
            service, batch_delay=self._batch_delay, on_catch_up=self._caught_up
        )
        receiver = WebhookReceiver(
            keys=cache,
            sink=service.store,
            is_enabled=service.is_enabled,
            paths=receiver_paths(service.settings().webhook_site),
            status=status,
            on_accepted=processor.wake,
            host=self.host,
            port=self.port,
            max_body=self._max_body,
        )
        self.status, self.processor = status, processor
        self.port = receiver.start()
        self.receiver = receiver
        processor.start(catch_up=self._catch_up)
        return self.port

    def _caught_up(self, info: dict[str, Any]) -> None:
        if self.status is not None:
            self.status.update(catch_up=info)

    def stop(self) -> None:
        receiver, processor = self.receiver, self.processor
        self.receiver = self.processor = None
        if receiver is not None:
            receiver.stop()
        if processor is not None:
            processor.stop()

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
