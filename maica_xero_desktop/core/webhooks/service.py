"""The Webhooks section of the facade: ``service.webhooks``.

Every method may block (keyring, disk, network): the window calls them off its thread. Nothing
here returns, logs or stores the webhook key; status says only whether one is saved.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ..errors import KeyringUnavailable, Notice, Remedy
from ..secrets import SecretStore
from ..settings import Settings
from ..store.events import StoredEvent
from .keys import DEFAULT_GRACE_S, GENERATION_FILE, KeyGeneration, WebhookKeys
from .listener import WebhookListener
from .processing import ProcessReport, Sources, WebhookProcessor
from .receiver import DEFAULT_HOST, DEFAULT_PORT, ReceiverError
from .site import delivery_url, normalise_site, receiver_paths
from .statusfile import read_status, status_path

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class WebhookStatus:
    site: str
    delivery_url: str
    key_saved: bool
    #: while a rotation's grace period runs: when the previous key stops being accepted
    previous_key_until: float | None
    listening: bool
    receiver: dict[str, Any]
    intent_to_receive: dict[str, Any] | None
    catch_up: dict[str, Any] | None
    last_event_at: float | None
    counts: dict[str, int]
    deliveries: int
    paths: tuple[str, ...] = ()
    messages: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["site"] = self.site or None
        data["delivery_url"] = self.delivery_url or None
        data["paths"] = list(self.paths)
        return data


class WebhookService:
    """The Webhooks section of the facade (``service.webhooks``): the site and Delivery URL, the
    webhook key (through :class:`WebhookKeys`), the one listener of this process, a processing
    round on demand, retries, the event list and the status.

    Owns the listener it started (at most one per process). Never returns or logs the key.
    Threads: the window calls it from its workers; the listener it starts has its own threads
    (see :class:`WebhookListener`)."""

    def __init__(
        self,
        sources: Sources,
        *,
        settings: Callable[[], Settings],
        update_settings: Callable[[Callable[[Settings], None]], Settings],
        secrets: SecretStore,
        data_dir: Path,
    ) -> None:
        self._sources = sources
        self._settings = settings
        self._update_settings = update_settings
        self._data_dir = data_dir
        generation = KeyGeneration(data_dir / GENERATION_FILE)
        self._keys = WebhookKeys(secrets, generation=generation)
        self._listener: WebhookListener | None = None

    # -- configuration ---------------------------------------------------------------------

    def site(self) -> str:
        return self._settings().webhook_site

    def set_site(self, url: str) -> str:
        """Save the site (an empty value clears it); returns the Delivery URL to paste."""
        site = normalise_site(url) if url.strip() else ""

        def change(s: Settings) -> None:
            s.webhook_site = site

        self._update_settings(change)
        log.info("Webhook site %s.", "saved" if site else "cleared")
        return delivery_url(site)

    def delivery_url(self) -> str:
        return delivery_url(self.site())

    def set_key(self, key: str, grace_s: float = DEFAULT_GRACE_S) -> None:
        """Save the webhook key; the one it replaces is accepted for ``grace_s`` more seconds."""
        self._keys.save(key, grace_s)
        if self._listener is not None:
            self._listener.reload_keys()
        log.info("Webhook key saved.")

    def forget_key(self) -> None:
        self._keys.forget()
        if self._listener is not None:
            self._listener.reload_keys()
        log.info("Webhook key removed.")

    def has_key(self) -> bool:
        return self._keys.has_key()

    # -- the receiver ----------------------------------------------------------------------

    def listener(
        self, host: str = DEFAULT_HOST, port: int = DEFAULT_PORT, **options: Any
    ) -> WebhookListener:
        """A receiver + processor for this service (not started: call ``start()``)."""
        running = self.active_listener
        if running is not None:
            raise ReceiverError(
                f"The webhook receiver is already running here ({running.url}); stop it first."
            )
        self._listener = WebhookListener(
            self._sources,
            self._keys,
            data_dir=self._data_dir,
            site=self.site,
            host=host,
            port=port,
            **options,
        )
        return self._listener

    @property
    def active_listener(self) -> WebhookListener | None:
        listener = self._listener
        return listener if listener is not None and listener.running else None

    # -- processing ------------------------------------------------------------------------

    def process_now(self) -> ProcessReport:
        """Process the events that are due, in this thread."""
        listener = self.active_listener
        if listener is not None and listener.processor is not None:
            return listener.processor.process_due()
        return WebhookProcessor(self._sources).process_due()

    def catch_up(self) -> int:
        """Pull every payment change since the last pull; returns how many invoices changed."""
        listener = self.active_listener
        if listener is not None and listener.processor is not None:
            return listener.processor.catch_up()
        return WebhookProcessor(self._sources).catch_up()

    def retry_failed(self) -> int:
        count = self._sources.store().retry_failed_webhook_events()
        listener = self.active_listener
        if listener is not None and listener.processor is not None:
            listener.processor.wake()
        return count

    # -- what the section shows --------------------------------------------------------------

    def events(self, limit: int = 50, status: str | None = None) -> list[StoredEvent]:
        return self._sources.store().webhook_events(limit=limit, status=status)

    def status(self) -> WebhookStatus:
        site = self.site()
        messages: list[str] = []
        key_saved, previous_until = False, None
        try:
            keys = self._keys.load()
            key_saved = bool(keys.current)
            previous_until = keys.previous_until if keys.previous else None
        except KeyringUnavailable as exc:
            messages.append(Notice.of(exc))
        if not site:
            messages.append(
                Notice(
                    "No webhook site is set: it is the public HTTPS address that forwards to this "
                    "computer.",
                    Remedy.SET_WEBHOOK_SITE,
                )
            )
        if not key_saved and not messages:
            messages.append(Notice("No webhook key is saved.", Remedy.SET_WEBHOOK_KEY))
        saved = read_status(status_path(self._data_dir))
        store = self._sources.store()
        receiver = {
            k: saved.get(k) for k in ("pid", "host", "port", "started_at", "stopped_at", "requests")
        }
        itr = saved.get("intent_to_receive")
        catch_up = saved.get("catch_up")
        return WebhookStatus(
            site=site,
            delivery_url=delivery_url(site),
            key_saved=key_saved,
            previous_key_until=previous_until,
            listening=bool(saved.get("listening")),
            receiver=receiver,
            intent_to_receive=itr if isinstance(itr, dict) else None,
            catch_up=catch_up if isinstance(catch_up, dict) else None,
            last_event_at=store.last_webhook_event_at(),
            counts=store.webhook_counts(),
            deliveries=store.webhook_deliveries(),
            paths=receiver_paths(site),
            messages=messages,
        )
