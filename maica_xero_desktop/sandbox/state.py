"""The sandbox's state: records, a clock, one lock, and optional persistence to a JSON file.

Handlers run on many threads; every read-modify-write of the records happens under ``state.lock``.
With a state file, identity changes end with :meth:`SandboxState.save` (temp file + os.replace);
accounting changes only :meth:`SandboxState.mark_dirty`: the server's saver thread writes a dirty
state every ``SandboxConfig.state_save_interval`` seconds and on stop, so a benchmark's thousands
of invoices do not rewrite a large file on every call.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import tempfile
import threading
import time
from collections.abc import Iterable
from dataclasses import asdict, fields
from pathlib import Path
from typing import Any

from .config import SandboxConfig, SandboxOrg
from .ledger import Ledger, LedgerEvent, Listener
from .maica.auth import AuthStore
from .maica.org import USER, MaicaOrg
from .maica.seed import seeded_org
from .records import (
    AccessRecord,
    Code,
    Connection,
    Consent,
    Grant,
    Org,
    RefreshRecord,
    Stores,
)

log = logging.getLogger(__name__)

FORMAT_VERSION = 1
# store name -> (record class, key attribute)
_STORE_TYPES: dict[str, tuple[type[Any], str]] = {
    "orgs": (Org, "tenant_id"),
    "grants": (Grant, "key"),
    "connections": (Connection, "id"),
    "consents": (Consent, "id"),
    "codes": (Code, "hash"),
    "refresh": (RefreshRecord, "hash"),
    "access": (AccessRecord, "hash"),
}


def org_from_seed(seed: SandboxOrg, created: float) -> Org:
    return Org(
        tenant_id=seed.tenant_id,
        name=seed.name,
        tenant_type=seed.tenant_type,
        is_demo=seed.is_demo,
        short_code=seed.short_code,
        legal_name=seed.legal_name or seed.name,
        created=created,
    )


class SandboxState:
    """In-memory state of one sandbox. Attributes are public for in-process tests."""

    def __init__(self, config: SandboxConfig) -> None:
        self.config = config
        self.lock = threading.RLock()
        self.clock_offset = 0.0
        self.stores = Stores()
        self.signing_key = ""
        self.ledgers: dict[str, Ledger] = {}
        #: the offline Maica org (a Salesforce imitation): its records and its sign-ins
        self.maica: MaicaOrg
        self.maica_auth = AuthStore(daily=config.sf_api_daily_limit)
        #: called with each :class:`LedgerEvent` (invoice/contact created or changed): the hook
        #: for webhook delivery. Exceptions are logged and ignored.
        self.listeners: list[Listener] = []
        self._dirty = False
        self._save_lock = threading.Lock()
        self._fresh()
        self.load()

    # -- clock -------------------------------------------------------------------------------

    def now(self) -> float:
        """The sandbox clock: every expiry and rate-limit window is measured with it."""
        return time.time() + self.clock_offset

    def advance_clock(self, seconds: float) -> float:
        with self.lock:
            self.clock_offset += seconds
            self.save()
            return self.clock_offset

    # -- lifecycle ---------------------------------------------------------------------------

    def reset(self) -> None:
        """Everything back to a fresh sandbox built from the configuration."""
        with self.lock:
            self._fresh()
            self.save()

    def _fresh(self) -> None:
        with self.lock:
            self.clock_offset = 0.0
            self.stores = Stores()
            self.signing_key = secrets.token_hex(32)
            self.ledgers = {}
            created = self.now()
            for seed in self.config.initial_orgs():
                self.stores.orgs[seed.tenant_id] = org_from_seed(seed, created)
            self.maica = self.seeded_maica(self.config.maica_namespace)
            self.maica_auth = AuthStore(daily=self.config.sf_api_daily_limit)

    def seeded_maica(self, namespace: str) -> MaicaOrg:
        """A fresh Maica org with the sample invoices, for ``namespace``."""
        return seeded_org(namespace, self.now, self.config.maica_org_name, USER)

    def reset_maica(self, namespace: str | None = None) -> None:
        """The Maica org's records seeded again (sign-ins and the API budget are kept)."""
        with self.lock:
            self.maica = self.seeded_maica(namespace or self.maica.namespace)
            self.save()

    # -- convenience views -------------------------------------------------------------------

    @property
    def orgs(self) -> dict[str, Org]:
        return self.stores.orgs

    @property
    def grants(self) -> dict[str, Grant]:
        return self.stores.grants

    @property
    def connections(self) -> dict[str, Connection]:
        return self.stores.connections

    def ledger(self, tenant_id: str) -> Ledger:
        """The accounting data of an organisation (created on first use). Hold ``lock``."""
        with self.lock:
            found = self.ledgers.get(tenant_id)
            if found is None:
                org = self.stores.orgs.get(tenant_id)
                found = Ledger(tenant_id, bool(org and org.is_demo))
                self.ledgers[tenant_id] = found
            return found

    def notify(self, events: Iterable[LedgerEvent]) -> None:
        """Tell the listeners about changes (call without holding ``lock``)."""
        for event in events:
            for listener in list(self.listeners):
                try:
                    listener(event)
                except Exception:
                    log.exception("sandbox: ledger listener failed")

    def grant_connections(self, grant_key: str) -> list[Connection]:
        with self.lock:
            found = [c for c in self.stores.connections.values() if c.grant_key == grant_key]
        return sorted(found, key=lambda c: c.created)  # stable: consent order

    def valid_refresh_count(self) -> int:
        now = self.now()
        idle = self.config.refresh_idle_lifetime
        with self.lock:
            return sum(
                1
                for r in self.stores.refresh.values()
                if r.successor is None and now < r.issued + idle
            )

    def remove_grant(self, grant_key: str) -> None:
        """Revoke everything one user gave one app: tokens, codes and connections."""
        with self.lock:
            s = self.stores
            s.grants.pop(grant_key, None)
            for store in (s.connections, s.codes, s.refresh, s.access):
                for key in [k for k, v in store.items() if v.grant_key == grant_key]:
                    del store[key]
            self.save()

    def prune(self) -> None:
        """Drop records that can no longer be used, so the state stays small."""
        now = self.now()
        cfg = self.config
        with self.lock:
            s = self.stores
            for key in [k for k, a in s.access.items() if a.exp < now - 3600]:
                del s.access[key]
            for key in [k for k, c in s.codes.items() if c.created + cfg.code_lifetime < now]:
                del s.codes[key]
            for key in [k for k, c in s.consents.items() if c.created + cfg.consent_lifetime < now]:
                del s.consents[key]
            dead = [
                k
                for k, r in s.refresh.items()
                if r.issued + cfg.refresh_idle_lifetime < now
                or (r.rotated_at is not None and r.rotated_at + cfg.refresh_grace < now)
            ]
            for key in dead:
                del s.refresh[key]

    # -- persistence -------------------------------------------------------------------------

    def to_json(self) -> dict[str, Any]:
        with self.lock:
            data: dict[str, Any] = {
                "format": FORMAT_VERSION,
                "clock_offset": self.clock_offset,
                "signing_key": self.signing_key,
            }
            for name in _STORE_TYPES:
                store: dict[str, Any] = getattr(self.stores, name)
                data[name] = [asdict(record) for record in store.values()]
            data["ledgers"] = {t: ledger.to_json() for t, ledger in self.ledgers.items()}
            data["maica"] = self.maica.to_json()
            data["maica_auth"] = self.maica_auth.to_json()
            return data

    def load_json(self, data: dict[str, Any]) -> None:
        if data.get("format") != FORMAT_VERSION:
            raise ValueError(f"unsupported sandbox state format: {data.get('format')!r}")
        stores = Stores()
        for name, (cls, key_attr) in _STORE_TYPES.items():
            names = {f.name for f in fields(cls)}
            store: dict[str, Any] = getattr(stores, name)
            for item in data.get(name, []):
                record = cls(**{k: v for k, v in item.items() if k in names})
                store[getattr(record, key_attr)] = record
        ledgers: dict[str, Ledger] = {}
        for tenant_id, books in (data.get("ledgers") or {}).items():
            org = stores.orgs.get(tenant_id)
            ledgers[tenant_id] = Ledger(tenant_id, bool(org and org.is_demo))
            ledgers[tenant_id].load_json(books)
        maica = MaicaOrg.from_json(data["maica"], self.now) if "maica" in data else None
        maica_auth = AuthStore.from_json(data["maica_auth"]) if "maica_auth" in data else None
        with self.lock:
            if maica is not None:
                self.maica = maica
            if maica_auth is not None:
                self.maica_auth = maica_auth
            self.stores = stores
            self.ledgers = ledgers
            self.clock_offset = float(data.get("clock_offset", 0.0))
            self.signing_key = str(data["signing_key"])

    def load(self) -> bool:
        """Load the state file if there is one. Returns whether something was loaded."""
        path = self.config.state_file
        if not path or not Path(path).exists():
            return False
        with open(path, encoding="utf-8") as fh:
            self.load_json(json.load(fh))
        log.debug("sandbox state loaded from %s", path)
        return True

    def mark_dirty(self) -> None:
        """Accounting data changed: the saver thread (or stop) writes it later."""
        self._dirty = True

    def save_if_dirty(self) -> None:
        if self._dirty:
            self.save()

    def save(self) -> None:
        """Write the state file atomically (no-op without a state file). Snapshots are taken and
        written in order; the JSON is encoded and written outside ``lock``."""
        path = self.config.state_file
        if not path:
            self._dirty = False
            return
        with self.lock:
            self._save_lock.acquire()  # released after writing: files are written in order
            data = self.to_json()
            self._dirty = False
        try:
            text = json.dumps(data, separators=(",", ":"), sort_keys=True)
            target = Path(path)
            target.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=".sandbox-state-", dir=str(target.parent))
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as fh:
                    fh.write(text)
                    fh.flush()
                    os.fsync(fh.fileno())
                os.replace(tmp, target)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
        finally:
            self._save_lock.release()
