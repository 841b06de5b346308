"""The Webhooks section: the site and Delivery URL, the key, the receiver, processing.

- :mod:`.site` — site validation, the Delivery URL and the paths the receiver answers;
- :mod:`.keys` — signatures, the key's keyring entries and rotation;
- :mod:`.payload` — a delivery's body, checked;
- :mod:`.receiver` — the receiver, a WSGI application (store before 200);
- :mod:`.httpd` — waitress, serving it, with deadlines and a per-peer limit;
- :mod:`.processing` — events → payment refreshes, and the worker thread;
- :mod:`.statusfile`, :mod:`.listener`, :mod:`.service` — status, lifecycle, the facade.
"""

from .keys import DEFAULT_GRACE_S, sign
from .listener import WebhookListener
from .processing import ProcessReport
from .receiver import DEFAULT_HOST, DEFAULT_PORT, MAX_BODY, WebhookReceiver
from .service import WebhookService, WebhookStatus
from .site import DELIVERY_PATH, delivery_url, normalise_site

__all__ = [
    "DEFAULT_GRACE_S",
    "DEFAULT_HOST",
    "DEFAULT_PORT",
    "DELIVERY_PATH",
    "MAX_BODY",
    "ProcessReport",
    "WebhookListener",
    "WebhookReceiver",
    "WebhookService",
    "WebhookStatus",
    "delivery_url",
    "normalise_site",
    "sign",
]
