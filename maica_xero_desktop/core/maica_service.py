"""The Maica section behind the facade (``service.maica``): the Maica org's sign-in and status,
the field mapping check, the pull of invoices to send, the write-back of Xero ids and payments,
and the CSV export for organisations without API access. Qt-free; every method may block."""

from __future__ import annotations

import json
import logging
import os
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .errors import ConfigurationError, MaicaXeroError, Remedy, SalesforceError
from .maica.exports import export_updates
from .maica.fields import (
    ALL_KEYS,
    LINES_KEY,
    OBJECTS,
    ROLE_BY_KEY,
    Mapping,
    detect_namespace,
    object_name,
    resolve,
    sentence,
)
from .maica.pull import BULK_THRESHOLD, Puller
from .maica.text import API_NAME, outside
from .maica.views import (
    MISSING,
    WRONG_TYPE,
    ExportUpdatesResult,
    MaicaStatus,
    MappingCheck,
    PullError,
    PullResult,
    WriteBackResult,
)
from .maica.writeback import WriteBack
from .store import Store
from .sync.reused import flag_reused_numbers

if TYPE_CHECKING:
    from .service import Service

log = logging.getLogger(__name__)


class MaicaMappingIncomplete(ConfigurationError):
    """A required Maica field is missing (or unusable), or a name found by label is not
    confirmed yet: nothing is pulled or written."""


class MaicaMappingUnconfirmed(MaicaMappingIncomplete):
    """Names found by their label wait for the administrator's confirmation
    (``confirm_mapping``): nothing is pulled or written until then."""


class MaicaPullRejected(MaicaXeroError):
    """Some Maica records cannot be used: nothing of the pull was stored."""

    def __init__(self, result: PullResult) -> None:
        self.result = result
        first = result.errors[0]
        count = len(result.errors)
        which = f"invoice {first.invoice_number}" if first.invoice_number else "a record"
        problems = "1 problem" if count == 1 else f"{count} problems"
        super().__init__(
            f"Nothing was read from the Maica org ({problems}; first: {which}, record "
            f"{first.sf_id or '?'}, {first.reason.rstrip('.')}). Correct the records in Maica "
            "and run again.",
            detail="\n".join(f"{e.sf_id} {e.invoice_number}: {e.reason}" for e in result.errors),
        )


class MaicaService:
    """``service.maica``: everything the CLI and the window ask of the Maica org. Owns the last
    ``describe`` answers (in memory); reads the facade's store, settings, sign-in and session.
    Same thread rules as :class:`~maica_xero_desktop.core.service.Service`."""

    def __init__(self, service: Service) -> None:
        self._service = service
        self._lock = threading.Lock()
        #: the last describe answers: (namespace, {object role: describe or None}, queryable)
        self._described: tuple[str, dict[str, Any], dict[str, bool]] | None = None

    @property
    def _store(self) -> Store:
        return self._service._store

    # -- connection --------------------------------------------------------------------------

    def status(self) -> MaicaStatus:
        """Connected or not, who and which org, the namespace and the last mapping state (no
        network)."""
        service = self._service
        settings = service.settings()
        signin = service._maica_signin
        identity = signin.identity()
        remembered = self._store.maica_meta("mapping_ok")
        return MaicaStatus(
            connected=identity is not None,
            instance_url=identity.instance_url if identity else "",
            org_name=settings.sf_org_name if identity else "",
            user=settings.sf_user if identity else "",
            namespace=settings.maica_namespace,
            mapping_ok=None if remembered is None else remembered == "1",
            login_url=signin.login_url(settings),
            client_id_set=bool(signin.client_id(settings)),
            needs_reconnect=settings.sf_needs_reconnect,
            source=settings.source,
        )

    def connect(
        self,
        on_url: Callable[[str], None],
        *,
        login_url: str | None = None,
        open_browser: bool = True,
        timeout: float = 300.0,
        cancel: threading.Event | None = None,
    ) -> MaicaStatus:
        """Sign in to the Maica org through the system browser (``on_url`` gets the address to
        show); saves the tokens in the keyring, then checks the mapping (a check that fails is
        logged; ``check`` says it again)."""
        self._service._maica_signin.connect(
            on_url,
            login_url=login_url,
            open_browser=open_browser,
            timeout=timeout,
            cancel=cancel,
        )
        with self._lock:
            self._described = None
        try:
            self.check()
        except MaicaXeroError as exc:
            log.info("The mapping check after the Maica sign-in failed: %s", exc.fact)
        return self.status()

    def disconnect(self) -> str | None:
        """Revoke the Maica sign-in (best effort) and forget its keyring entries. Returns None,
        or the sentence saying the org did not confirm the sign-out (forgotten here anyway)."""
        with self._lock:
            self._described = None
        return self._service._maica_signin.disconnect()

    # -- mapping -----------------------------------------------------------------------------

    def check(self, *, refresh: bool = True) -> MappingCheck:
        """Describe the Maica objects (``refresh``; else the last description) and report every
        mapped field: found, missing, wrong type, not readable or not writable, with a
        suggestion; saves the namespace found. Also lists invoices that changed hands."""
        mapping = self._mapping(refresh=refresh)
        return self._report(mapping)

    def confirm_mapping(self, changes: dict[str, str] | None = None) -> MappingCheck:
        """The administrator confirms the names found by label, with ``changes`` ("object.role"
        -> API name) overriding any; saved in ``settings.maica_mapping``; answers a new check."""
        changes = {k.strip(): v.strip() for k, v in (changes or {}).items()}
        for key, name in changes.items():
            if key not in ALL_KEYS:
                raise ConfigurationError(
                    f"'{key[:60]}' is not a Maica mapping role: use one of "
                    f"{', '.join(sorted(ALL_KEYS))}."
                )
            if name and not API_NAME.fullmatch(name):
                raise ConfigurationError(
                    f"'{name[:80]}' is not a Salesforce API name (letters, digits and "
                    "underscores, e.g. maica_cc__Xero_Invoice_No__c)."
                )
        # a name the administrator gives is checked against the org as it is now
        mapping = self._mapping(refresh=bool(changes))
        confirmed = {k: mapping.names[k] for k in mapping.unconfirmed if k in mapping.names}

        def merge(current: dict[str, str]) -> dict[str, str]:
            merged = {**current, **confirmed}
            for key, name in changes.items():
                if name:
                    merged[key] = name
                else:
                    merged.pop(key, None)  # back to the default or the label
            return merged

        if changes:
            self._refuse_unusable(merge(dict(self._service.settings().maica_mapping)), changes)

        def change(s: Any) -> None:
            s.maica_mapping = merge(dict(s.maica_mapping))

        self._service.update_settings(change)
        return self._report(self._mapping(refresh=False))

    def _refuse_unusable(self, merged: dict[str, str], changes: dict[str, str]) -> None:
        """Refuse (saving nothing) a name the administrator gave that the org does not have
        on that object, or whose type cannot serve the role."""
        with self._lock:
            described = self._described
        if described is None:  # pragma: no cover - _mapping just described
            return
        namespace, describes, queryable = described
        mapping = resolve(namespace, describes, merged, queryable)
        by_key = {c.key: c for c in mapping.checks}
        for check in mapping.checks:
            # one field for two roles (the Xero number over the Xero id would lose every link)
            serving = mapping.shared.get(check.key, "")
            if serving and (check.key in changes or serving in changes):
                obj = mapping.objects.get(check.object, check.object)
                raise ConfigurationError(
                    f"The field {check.api_name} on {obj} would serve both {serving} and "
                    f"{check.key} (it already serves {serving}; each field serves one role): "
                    "nothing was saved; choose one of the fields the mapping check lists.",
                    remedy=Remedy.CHECK_MAICA_MAPPING,
                )
        for key, name in changes.items():
            changed = by_key.get(key)
            if not name or changed is None or changed.state not in (MISSING, WRONG_TYPE):
                continue
            obj = mapping.objects.get(key.split(".", 1)[0], key.split(".", 1)[0])
            if key == LINES_KEY:
                fact = f"The Maica invoice object has no child relationship {name} to its lines"
            elif changed.state == MISSING:
                fact = f"The Maica org has no field {name} on {obj} that the API user can see"
            else:
                role = ROLE_BY_KEY[key]
                fact = (
                    f"The field {name} on {obj} cannot serve as {key} "
                    f"({outside(changed.suggestion, 160)}; a {role.label} field is needed)"
                )
            raise ConfigurationError(
                f"{fact}: nothing was saved; choose one of the fields the mapping check lists.",
                remedy=Remedy.CHECK_MAICA_MAPPING,
            )

    def _report(self, mapping: Mapping) -> MappingCheck:
        self._store.set_maica_meta("mapping_ok", "1" if mapping.ready else "0")
        changed = tuple(self._store.changed_hands())
        said = sentence(mapping)
        if changed and not mapping.missing_required():
            if len(changed) == 1:
                read = f"1 invoice this program read ({changed[0]}) was"
            else:
                read = f"{len(changed)} invoices this program read (first {changed[0]}) were"
            said = " ".join(
                part
                for part in (
                    said,
                    f"{read} then sent to Xero by "
                    "Maica's own sync: turn off the flow 'Maica - Xero Invoice Sync Scheduled "
                    "Flow' in Maica while this program sends the invoices.",
                )
                if part
            )
        return MappingCheck(
            ok=mapping.ready,
            namespace=mapping.namespace,
            fields=mapping.checks,
            unconfirmed=tuple(sorted(mapping.unconfirmed)),
            changed_hands=changed,
            sentence=said,
        )

    def _mapping(self, *, refresh: bool) -> Mapping:
        """The mapping against the org's objects (described now, or the last description)."""
        with self._lock:
            described = self._described
        if refresh or described is None:
            described = self._describe()
            with self._lock:
                self._described = described
        namespace, describes, queryable = described
        confirmed = dict(self._service.settings().maica_mapping)
        return resolve(namespace, describes, confirmed, queryable)

    def _describe(self) -> tuple[str, dict[str, Any], dict[str, bool]]:
        session = self._service._maica_session
        listing = session.run(lambda sf: sf.describe())
        sobjects = list((listing or {}).get("sobjects") or [])
        namespace = detect_namespace(sobjects)
        names = {str(s.get("name")): s for s in sobjects}
        describes: dict[str, Any] = {}
        queryable: dict[str, bool] = {}
        for obj in OBJECTS:
            api = object_name(namespace, obj)
            entry = names.get(api)
            if not namespace and obj != "contact":
                entry = None
            if entry is None:
                describes[obj] = None
                continue
            queryable[obj] = bool(entry.get("queryable", True))
            describes[obj] = session.run(_describe_call(api))
        if namespace and namespace != self._service.settings().maica_namespace:

            def change(s: Any) -> None:
                s.maica_namespace = namespace

            self._service.update_settings(change)
        self._store.set_maica_meta("describe", json.dumps({"namespace": namespace}))
        return namespace, describes, queryable

    def require_mapping(self, *, refresh: bool = False) -> Mapping:
        """The mapping (described now when ``refresh`` or never described); a required field
        that is missing or unusable, or a name found by label and not confirmed, refuses (naming
        them) before anything is read or written."""
        mapping = self._mapping(refresh=refresh or self._described is None)
        if not mapping.namespace or not mapping.ok:
            self._store.set_maica_meta("mapping_ok", "0")
            raise MaicaMappingIncomplete(sentence(mapping), remedy=Remedy.CHECK_MAICA_MAPPING)
        if mapping.unconfirmed:
            self._store.set_maica_meta("mapping_ok", "0")
            raise MaicaMappingUnconfirmed(sentence(mapping), remedy=Remedy.CHECK_MAICA_MAPPING)
        if self._store.maica_meta("mapping_ok") != "1":
            self._store.set_maica_meta("mapping_ok", "1")
        return mapping

    # -- data ----------------------------------------------------------------------------------

    def _org(self) -> str:
        identity = self._service._maica_signin.identity()
        if identity is None:
            return ""
        return identity.org_id or identity.instance_url

    def _same_org(self) -> str:
        """The connected org, refused when the store holds invoices read from another one: their
        Salesforce Ids mean nothing there, and a write-back by Id would land on other records."""
        org = self._org()
        others = [o for o in self._store.maica_orgs() if o != org]
        if org and others:
            raise ConfigurationError(
                f"This computer's invoice store holds invoices read from another Maica org "
                f"({others[0]}), not from the one connected now ({org}): nothing was read or "
                "written. Connect the org those invoices came from, or use a separate home for "
                "this org (MAICA_XERO_HOME).",
                remedy=Remedy.CONNECT_MAICA,
            )
        return org

    def pull(self, *, bulk: bool | None = None, full: bool = False) -> PullResult:
        """Read the invoices to send from the Maica org (incremental by SystemModstamp) into the
        store: all of them, or nothing when any is bad (each reported with its Salesforce Id in
        ``errors``; nothing stored). ``bulk``: None decides by the measured threshold (REST
        pages below it, Bulk API 2.0 past it); True or False forces one (benchmarks). ``full``:
        read every candidate again, not only what changed since the last pull."""
        mapping = self.require_mapping()
        tenant = self._service.settings().active_tenant_id
        threshold = {None: BULK_THRESHOLD, True: -1, False: 2**62}[bulk]
        try:
            result = Puller(
                self._service._maica_session,
                self._store,
                mapping,
                self._same_org(),
                tenant,
                bulk_threshold=threshold,
                full=full,
                pricing=self._service.pricing(),
                since=self._service.settings().maica_since,
            ).pull()
        except SalesforceError as exc:
            if exc.error_code not in ("INVALID_FIELD", "INVALID_TYPE"):
                raise
            # describe listed it, the query may not read it: field-level security, or the
            # package changed since the check
            with self._lock:
                self._described = None
            self._store.set_maica_meta("mapping_ok", "0")
            raise MaicaMappingIncomplete(
                "The Maica org refused a mapped field while reading invoices (the API user may "
                "not be allowed to read it, or the package changed); nothing was stored.",
                remedy=Remedy.CHECK_MAICA_MAPPING,
                detail=exc.detail,
            ) from None
        if result.errors:
            return result
        if tenant:
            flag_reused_numbers(self._store, tenant)
            try:
                self._service.refresh_eligibility()
            except MaicaXeroError as exc:  # no organisation yet: the next run decides
                log.info("Eligibility not refreshed after the pull: %s", exc.fact)
        return result

    def pull_or_refuse(self) -> PullResult:
        """:meth:`pull`, with a refused pull raised as :class:`MaicaPullRejected`."""
        result = self.pull()
        if result.errors:
            raise MaicaPullRejected(result)
        return result

    def write_back(self, *, fresh_since: float | None = None) -> WriteBackResult:
        """Write the Xero InvoiceID and number of every invoice Xero confirmed, and every changed
        payment (upserted on Finance External ID = Xero PaymentID), to the Maica org."""
        tenant = self._service.settings().active_tenant_id
        if not tenant:
            return WriteBackResult(0, 0)
        mapping = self.require_mapping()
        self._same_org()
        return WriteBack(
            self._service._maica_session, self._store, mapping, tenant, fresh_since=fresh_since
        ).run()

    def calls(self) -> int:
        """Salesforce API calls this process made so far (for a run's count)."""
        return self._service._maica_session.calls

    def export_updates(self, path: str | os.PathLike[str]) -> ExportUpdatesResult:
        """Write import-ready CSV files (invoice updates; Payment rows) for an org without API
        access: ``path`` and a ``-payments`` sibling, formula-safe and atomic. Every invoice Xero
        has, pulled or imported from a file (those have no Salesforce Id: matched on their
        number). Uses the confirmed mapping's names, else the documented ones, else the labels
        (the org is not asked)."""
        settings = self._service.settings()
        namespace = settings.maica_namespace or "maica_cc"
        mapping = resolve(namespace, {}, settings.maica_mapping)
        names = dict(mapping.names)
        for check in mapping.checks:  # not described: confirmed or documented names, else the
            key = f"{check.object}.{check.role}"  # label (the import wizard maps labels too)
            names[key] = names.get(key) or check.api_name or check.label
        usable = Mapping(namespace, mapping.objects, names, {}, frozenset(), mapping.checks)
        return export_updates(self._store, usable, settings.active_tenant_id, path)


def _describe_call(api: str) -> Callable[[Any], Any]:
    def call(sf: Any) -> Any:
        return sf.restful(f"sobjects/{api}/describe")

    return call


__all__ = [
    "MaicaMappingIncomplete",
    "MaicaMappingUnconfirmed",
    "MaicaPullRejected",
    "MaicaService",
    "PullError",
]
