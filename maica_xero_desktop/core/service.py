"""The one facade the GUI and the CLI call. No Qt, no printing, no business logic elsewhere.

Every method may block (network, keyring, disk): the GUI calls them off its thread. Errors are
:class:`~maica_xero_desktop.core.errors.MaicaXeroError` subclasses whose text is the sentence to
show.

One module on purpose: :class:`Service` is one thin method per thing a person does, and reading
it top to bottom is reading the product's surface. What it answers with lives in
:mod:`.views`, the Synchronisation section in :mod:`.sync_service`.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
import webbrowser
from collections.abc import Callable
from typing import Any

import requests

from .config_keys import lookup
from .connections import Connection, ConnectionCache, ConnectionList
from .errors import (
    ConfigurationError,
    KeyringUnavailable,
    NoActiveOrganisation,
    NotConnected,
    Notice,
    Remedy,
    UnknownOrganisation,
)
from .flows import get_flow
from .loopback import Callback, LoopbackReceiver
from .maica.auth import MaicaSignIn
from .maica.session import MaicaSession
from .maica_service import MaicaService
from .mapping import MappingChoices, read_choices, save_mapping
from .oauth import new_state
from .paths import AppPaths, app_paths
from .secrets import CLIENT_SECRET, SecretStore, TokenSet
from .settings import CALLBACK_PATH, Settings, SettingsStore
from .states import TenantState, TokenState
from .store import InvoiceRow, Store, SupportItem
from .sync.eligibility import Eligibility
from .sync.recovery import describe as describe_store
from .sync_service import SyncService
from .tokens import EXPIRY_MARGIN_S, TokenManager, renewal_notice
from .totals import EXCLUSIVE, Pricing, line_amount_type
from .views import (
    CLIENT_ID_ENV,
    ClientIdInfo,
    ConnectionsView,
    ConnectResult,
    FlowChoice,
    ImportResult,
    Status,
)
from .webhooks.processing import Sources
from .webhooks.service import WebhookService
from .xero.client import XeroClient
from .xero.endpoints import XeroEndpoints
from .xero.http import XeroHttp
from .xero.identity import IdentityClient
from .xero.ratelimit import RateLimits

__all__ = [
    "CLIENT_ID_ENV",
    "ClientIdInfo",
    "ConnectResult",
    "ConnectionsView",
    "FlowChoice",
    "ImportResult",
    "Internals",
    "Service",
    "Status",
    "SyncService",
    "internals",
]

log = logging.getLogger(__name__)

DEFAULT_CONNECT_TIMEOUT_S = 300.0


class Service:
    """The facade: everything the CLI and the window ask of the product goes through here (and
    its two sections, :attr:`sync` and :attr:`webhooks`).

    Owns the paths, the settings file, the keyring entries, the saved organisation list, the
    Xero transport (one ``requests.Session``), the token manager, the Xero client and the invoice
    database (opened on first use) — all private (``_store``, ``_xero``, …): a caller asks a
    method, never a collaborator (tests: :func:`internals`). The webhook section gets narrow parts
    (:class:`Sources`), not this object. Never prints, never imports Qt, names no command or
    button (errors carry a :class:`Remedy`, worded by each front end), never returns a secret.

    Threads: every method may block (network, keyring, disk); the window calls them on its
    worker pool, several at once. The store opens under a lock and serialises its own
    transactions, settings changes take a file lock, and a token refresh takes a thread and a
    file lock; a sync run holds a per-organisation file lock (a second one is ``SyncBusy``)."""

    def __init__(
        self,
        home: str | os.PathLike[str] | None = None,
        *,
        session: requests.Session | None = None,
        endpoints: XeroEndpoints | None = None,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
        browser: Callable[[str], bool] = webbrowser.open,
    ) -> None:
        home_str = os.fspath(home) if home is not None else os.environ.get("MAICA_XERO_HOME")
        self.paths: AppPaths = app_paths(home_str)
        self._settings_store = SettingsStore(self.paths)
        self._secrets = SecretStore(str(self.paths.config_dir.parent) if home_str else None)
        self._connection_cache = ConnectionCache(self.paths.connections_file)
        self._endpoints = endpoints or XeroEndpoints.from_env()
        self._clock = clock
        self._sleep = sleep
        self._browser = browser
        self._http = XeroHttp(session or requests.Session(), is_enabled=self.is_enabled)
        self._tokens = TokenManager(
            self._secrets,
            identity=self._identity,
            lock_path=self.paths.token_lock_file,
            on_needs_reconnect=self._mark_needs_reconnect,
            clock=clock,
            sleep=sleep,
        )
        self._limits = RateLimits(clock)
        self._xero = XeroClient(
            self._http, self._endpoints, self._tokens, self._limits, sleep=sleep
        )
        self._maica_signin = MaicaSignIn(
            self._settings_store,
            self._secrets,
            self.paths.data_dir / "maica-token.lock",
            clock=clock,
            browser=browser,
        )
        self._maica_session = MaicaSession(self._maica_signin)
        self._db: Store | None = None
        self._db_lock = threading.Lock()
        self.sync = SyncService(self)
        self.maica = MaicaService(self)
        sources = Sources(
            store=lambda: self._store,
            active_tenant_id=lambda: self.settings().active_tenant_id,
            xero=lambda: self._xero,
            is_enabled=self.is_enabled,
            pull_payments=self.sync.refresh_payments,
        )
        self._webhook_sources = sources
        self.webhooks = WebhookService(
            sources,
            settings=self.settings,
            update_settings=self.update_settings,
            secrets=self._secrets,
            data_dir=self.paths.data_dir,
        )

    @property
    def _store(self) -> Store:
        """The invoice database, opened on first use."""
        with self._db_lock:  # two worker threads may ask first at once
            if self._db is None:
                self._db = Store(self.paths.database_file)
            return self._db

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None

    # -- settings and the toggle ----------------------------------------------------------

    def settings(self) -> Settings:
        return self._settings_store.load()

    def is_enabled(self) -> bool:
        return self.settings().enabled

    def set_enabled(self, enabled: bool) -> None:
        def change(s: Settings) -> None:
            s.enabled = enabled

        self._settings_store.update(change)
        log.info("Integration %s.", "enabled" if enabled else "disabled")

    def client_id(self, settings: Settings | None = None) -> str:
        return self.client_id_info(settings).value

    def client_id_info(self, settings: Settings | None = None) -> ClientIdInfo:
        """The client id in use and its source: ``MAICA_XERO_CLIENT_ID``, else the settings."""
        saved = (settings or self.settings()).client_id
        from_env = os.environ.get(CLIENT_ID_ENV, "").strip()
        if from_env:
            return ClientIdInfo(from_env, "environment", saved if saved != from_env else "")
        return ClientIdInfo(saved, "settings" if saved else "none")

    def config_get(self, name: str) -> str:
        if name == "flow":
            return self.settings().flow
        if name == "client-secret":
            return "set" if self._secrets.get(CLIENT_SECRET) else "not set"
        return lookup(name).show(self.settings())

    def config_set(self, name: str, value: str) -> str:
        if name == "flow":
            return self.set_flow(value)
        key = lookup(name)
        parsed = key.parse(value)

        def change(s: Settings) -> None:
            setattr(s, key.field, parsed)

        shown = key.show(self._settings_store.update(change))
        if key.field in ("source", "maica_since"):
            self.refresh_eligibility()  # what the source holds back shows at once, not next run
        return shown

    def set_flow(self, name: str) -> str:
        flow = get_flow(name)

        def change(s: Settings) -> None:
            s.flow = flow.name

        self._settings_store.update(change)
        self.refresh_eligibility()
        return flow.name

    def set_client_secret(self, secret: str | None) -> None:
        """Store (or with ``None``/empty, remove) the optional Web App client secret."""
        if secret:
            self._secrets.set(CLIENT_SECRET, secret.strip())
        else:
            self._secrets.delete(CLIENT_SECRET)

    # -- status ---------------------------------------------------------------------------

    def status(self) -> Status:
        settings = self.settings()
        messages = list(self._settings_store.warnings)
        backend = ""
        user = None
        try:
            backend = self._secrets.check_backend()
            tokens = self._secrets.load_tokens()
            token_state = self._token_state(settings, tokens)
            user = tokens.user if tokens else None
            if renewal := renewal_notice(tokens, self._clock()):
                messages.append(renewal)  # 50 of Xero's 60 days without a renewal
        except KeyringUnavailable as exc:
            token_state = "unavailable"
            messages.append(Notice.of(exc))
        if settings.needs_reconnect and settings.needs_reconnect_reason:
            messages.append(Notice(settings.needs_reconnect_reason, Remedy.RECONNECT))
        cached = self._connection_cache.load()
        state = self._active_state(settings, cached)
        if state == "missing":
            messages.append(_missing_sentence(settings))
        if notice := describe_store(self._store, settings, settings.active_tenant_id):
            messages.append(notice)  # replaced, emptied or older than the home remembers
        last = self._store.runs(limit=1)
        return Status(
            last_run=last[0].to_json() if last else None,
            enabled=settings.enabled,
            client_id=self.client_id(settings),
            active_tenant_id=settings.active_tenant_id,
            active_tenant_name=settings.active_tenant_name,
            active_tenant_state=state,
            token_state=token_state,
            connected_as=user,
            flow=settings.flow,
            schedule_minutes=settings.schedule_minutes,
            webhook_site=settings.webhook_site,
            api_url=self._endpoints.api_url,
            sandbox=self._endpoints.is_sandbox,
            keyring_backend=backend,
            messages=messages,
        )

    def _token_state(self, settings: Settings, tokens: TokenSet | None) -> str:
        if tokens is None:
            return TokenState.NEEDS_RECONNECT if settings.needs_reconnect else TokenState.NONE
        if tokens.expires_at - EXPIRY_MARGIN_S > self._clock():
            return TokenState.VALID
        return TokenState.EXPIRED

    @staticmethod
    def _active_state(settings: Settings, cached: ConnectionList) -> str:
        if not settings.active_tenant_id:
            return TenantState.NONE
        if not cached.fetched_at:
            return TenantState.UNKNOWN
        return TenantState.OK if cached.find(settings.active_tenant_id) else TenantState.MISSING

    # -- sign-in --------------------------------------------------------------------------

    def _identity(self) -> IdentityClient:
        secret = self._secrets.get(CLIENT_SECRET)
        return IdentityClient(self._http, self._endpoints, self.client_id(), secret or None)

    def _mark_needs_reconnect(self, reason: str) -> None:
        def change(s: Settings) -> None:
            s.needs_reconnect = True
            s.needs_reconnect_reason = reason

        self._settings_store.update(change)

    def redirect_uris(self) -> list[str]:
        """The exact redirect URIs to register in the Xero app."""
        return self.settings().redirect_uris()

    def connect(
        self,
        on_url: Callable[[str], None],
        *,
        timeout: float = DEFAULT_CONNECT_TIMEOUT_S,
        open_browser: bool = True,
        cancel: threading.Event | None = None,
    ) -> ConnectResult:
        """Sign in through the browser (PKCE + loopback), save the tokens, list organisations.

        ``on_url`` receives the authorization URL before the browser is asked to open it, so the
        caller always shows it (a browser may fail to open without saying so).
        """
        self._http.ensure_enabled()
        settings = self.settings()
        client_id = self.client_id(settings)
        if not client_id:
            uris = ", ".join(settings.redirect_uris())
            raise ConfigurationError(
                "No Xero client id is set: create an app of type 'Auth Code with PKCE' in the Xero "
                f"developer portal and register these redirect URIs: {uris}.",
                remedy=Remedy.SET_CLIENT_ID,
                facts={"redirect_uris": uris},
            )
        self._secrets.check_backend()  # fail before the browser opens, not after the sign-in
        identity = self._identity()
        state = new_state()
        receiver = LoopbackReceiver(
            settings.redirect_ports, CALLBACK_PATH, state, settings.redirect_host
        )
        port = receiver.start()
        redirect_uri = settings.redirect_uri(port)

        try:
            # requests-oauthlib makes the PKCE verifier and S256 challenge and keeps the verifier
            sign_in = identity.begin(redirect_uri, list(settings.scopes), state)

            def finish(callback: Callback) -> TokenSet:
                # Runs while the browser's page waits: it says "Connected" only once this returns.
                tokens = sign_in.exchange(callback.code, now=self._clock())
                self._secrets.save_tokens(tokens)
                return tokens

            url = sign_in.url
            on_url(url)
            if open_browser:
                try:
                    self._browser(url)
                except Exception as exc:  # a missing browser is not an error: the URL is shown
                    log.info("Could not open a browser: %s", type(exc).__name__)
            tokens = receiver.wait(timeout, cancel, complete=finish)
        finally:
            receiver.close()

        def change(s: Settings) -> None:
            s.needs_reconnect = False
            s.needs_reconnect_reason = ""

        self._settings_store.update(change)
        log.info("Connected to Xero.")
        view = self.connections(refresh=True, auto_select=True)
        return ConnectResult(user=tokens.user, view=view, redirect_uri=redirect_uri)

    # -- organisations --------------------------------------------------------------------

    def connections(self, refresh: bool = True, auto_select: bool = False) -> ConnectionsView:
        if refresh:
            items = self._xero.get_connections()
            parsed = [c for c in (Connection.from_xero(i) for i in items) if c is not None]
            cached = self._connection_cache.save(parsed)
        else:
            cached = self._connection_cache.load()
        settings = self.settings()
        messages: list[str] = []
        if refresh and not cached.connections:
            messages.append(
                "Xero lists no organisations for this sign-in: they were all disconnected. "
                "Connect again and tick at least one organisation."
            )
        organisations = [c for c in cached.connections if c.can_receive_invoices]
        if (
            auto_select
            and len(organisations) == 1
            and (not settings.active_tenant_id or not cached.find(settings.active_tenant_id))
        ):
            self._set_active(organisations[0])
            settings = self.settings()
            messages.append(f"{organisations[0].tenant_name} is now the active organisation.")
        state = self._active_state(settings, cached)
        if state == "missing":
            messages.append(_missing_sentence(settings))
        elif state == "none" and organisations:
            messages.append(Notice("", Remedy.CHOOSE_ORGANISATION))
        return ConnectionsView(cached.connections, settings.active_tenant_id, tuple(messages))

    def _match(self, tenant: str, connections: tuple[Connection, ...]) -> Connection:
        wanted = tenant.strip()
        by_id = [c for c in connections if c.tenant_id.lower() == wanted.lower()]
        if by_id:
            return by_id[0]
        by_name = [c for c in connections if c.tenant_name == wanted] or [
            c for c in connections if c.tenant_name.casefold() == wanted.casefold()
        ]
        if len(by_name) == 1:
            return by_name[0]
        if len(by_name) > 1:
            ids = ", ".join(c.tenant_id for c in by_name)
            raise UnknownOrganisation(
                f"More than one connected organisation is called '{wanted}'. Use its tenant id "
                f"instead: {ids}."
            )
        known = "; ".join(f"{c.tenant_name} ({c.tenant_id})" for c in connections) or "none"
        raise UnknownOrganisation(
            f"No connected Xero organisation matches '{wanted}'. Connected: {known}."
        )

    def use(self, tenant: str) -> dict[str, Any]:
        """Select the active organisation, after checking with Xero that it answers."""
        view = self.connections(refresh=True)
        connection = self._match(tenant, view.connections)
        if not connection.can_receive_invoices:
            raise UnknownOrganisation(
                f"{connection.tenant_name} is a Xero {connection.tenant_type.lower()}, not an "
                "organisation, so invoices cannot be sent to it. Choose an organisation."
            )
        body = self._xero.accounting("GET", "Organisation", connection.tenant_id)
        details: dict[str, Any] = {}
        if isinstance(body, dict) and isinstance(body.get("Organisations"), list):
            first = body["Organisations"][0] if body["Organisations"] else {}
            if isinstance(first, dict):
                details = first
        self._set_active(connection)
        log.info("Active organisation set.")
        return {
            "tenantId": connection.tenant_id,
            "tenantName": connection.tenant_name,
            "tenantType": connection.tenant_type,
            "countryCode": details.get("CountryCode"),
            "baseCurrency": details.get("BaseCurrency"),
            "isDemoCompany": details.get("IsDemoCompany"),
            "organisationStatus": details.get("OrganisationStatus"),
        }

    def _set_active(self, connection: Connection | None) -> None:
        def change(s: Settings) -> None:
            s.active_tenant_id = connection.tenant_id if connection else ""
            s.active_tenant_name = connection.tenant_name if connection else ""

        self._settings_store.update(change)

    def active_tenant(self) -> Connection:
        settings = self.settings()
        if not settings.active_tenant_id:
            if self._secrets.load_tokens() is None:
                raise NotConnected()  # before connecting there is nothing to choose from
            raise NoActiveOrganisation()
        found = self._connection_cache.load().find(settings.active_tenant_id)
        if found is None:
            missing = _missing_sentence(settings)
            raise UnknownOrganisation(missing.fact, remedy=missing.remedy, facts=missing.facts)
        return found

    def disconnect(self, tenant: str) -> Connection:
        """Remove one organisation from this app in Xero (DELETE /connections/{id})."""
        self._http.ensure_enabled()
        try:
            connection = self._match(tenant, self._connection_cache.load().connections)
        except UnknownOrganisation:
            connection = self._match(tenant, self.connections(refresh=True).connections)
        self._xero.delete_connection(connection.id)
        remaining = [c for c in self._connection_cache.load().connections if c.id != connection.id]
        self._connection_cache.save(remaining)
        if self.settings().active_tenant_id.lower() == connection.tenant_id.lower():
            self._set_active(None)
        log.info("Organisation disconnected.")
        return connection

    def logout(self, local_only: bool = False) -> bool:
        """Revoke the sign-in at Xero (unless ``local_only``) and forget it here.

        Returns True if Xero revoked it. Revocation removes every organisation connection of this
        sign-in to the app.
        """
        revoked = False
        if not local_only:
            self._http.ensure_enabled()
            tokens = self._secrets.load_tokens()
            if tokens is None:
                raise NotConnected()
            self._identity().revoke(tokens.refresh_token)
            revoked = True
        self._secrets.forget_tokens()
        self._connection_cache.clear()

        def change(s: Settings) -> None:
            s.active_tenant_id = ""
            s.active_tenant_name = ""
            s.needs_reconnect = False
            s.needs_reconnect_reason = ""

        self._settings_store.update(change)
        log.info("Signed out of Xero%s.", "" if revoked else " on this computer only")
        return revoked

    # -- one invoice, for the window's detail pane ------------------------------------------

    def invoice_detail(
        self, invoice_id: int, tenant_id: str | None = None
    ) -> tuple[list[tuple[str, str, str]], str]:
        """An invoice's lines as (support item number, the line's own account code, the line's
        own tax type — empty where the item's mapping applies), and the JSON ``detail`` of its
        link to ``tenant_id`` (default: the active organisation; "" when there is none)."""
        tenant = self.settings().active_tenant_id if tenant_id is None else tenant_id
        found = self._store.load_invoices(tenant, [invoice_id])
        lines = [
            (line.support_item_number, line.account_code, line.tax_type)
            for line in (found[0].invoice.lines if found else ())
        ]
        detail = self._store.link_detail(tenant, invoice_id)
        return lines, json.dumps(detail) if detail else ""

    # -- support-item mapping, local totals, eligibility ------------------------------------

    def mapping_choices(self) -> MappingChoices:
        """The active organisation's accounts and tax rates, read from Xero (for the editor)."""
        self._http.ensure_enabled()
        tenant = self.active_tenant()
        choices = read_choices(self._xero, tenant.tenant_id)
        self._store.remember_rates(tenant.tenant_id, choices.rates())
        return choices

    def save_mapping(
        self,
        item_number: str,
        *,
        name: str | None = None,
        xero_description: str | None = None,
        account_code: str | None = None,
        tax_type: str | None = None,
        choices: MappingChoices | None = None,
    ) -> SupportItem:
        """Save a support item's mapping (checked against ``choices`` when given); it applies at
        the next preview or run."""
        return save_mapping(
            self._store,
            item_number,
            name=name,
            xero_description=xero_description,
            account_code=account_code,
            tax_type=tax_type,
            choices=choices,
        )

    def pricing(self) -> Pricing:
        """How local totals are computed: the settings and the organisation's last-read rates."""
        s = self.settings()
        amount_type = line_amount_type(s.line_amount_type) or EXCLUSIVE
        return self._store.pricing(s.active_tenant_id, amount_type, s.default_tax_type)

    def refresh_eligibility(self) -> Eligibility:
        """Mark the invoices the chosen flow and the source do not send (and un-mark those they
        now send): see :meth:`SyncService.refresh_eligibility`."""
        return self.sync.refresh_eligibility()

    # -- the invoice list in a given organisation (the window: also the last one used) -------

    def invoice_page(
        self, tenant_id: str, state: str | None = None, limit: int = -1, offset: int = 0
    ) -> tuple[int, list[InvoiceRow]]:
        """How many invoices are in ``state`` (all: None) in ``tenant_id`` — the active
        organisation, or after sign-out the last one used — and one page of them, each with its
        state there and the totals as Xero computes them for it."""
        s = self.settings()
        amount_type = line_amount_type(s.line_amount_type) or EXCLUSIVE
        pricing = self._store.pricing(tenant_id, amount_type, s.default_tax_type)
        rows = self._store.list_invoices(tenant_id, state, limit, offset, pricing=pricing)
        return self._store.count_invoices(tenant_id, state), rows

    # -- narrow reads and writes for the window (it never reaches past the facade) ------------

    def update_settings(self, change: Callable[[Settings], None]) -> Settings:
        """Apply ``change`` to the settings under the settings lock and save them."""
        return self._settings_store.update(change)

    def settings_warnings(self) -> list[str]:
        """What is wrong with the saved settings (a hand-edited value, a damaged file), as read
        now: one sentence each."""
        self.settings()
        return list(self._settings_store.warnings)

    def saved_connections(self) -> tuple[Connection, ...]:
        """The organisation list as last read from Xero (kept after sign-out; no network)."""
        return self._connection_cache.load().connections

    def linked_invoice_numbers(self, tenant_id: str, xero_invoice_ids: list[str]) -> dict[str, str]:
        """Maica invoice numbers of the pushed invoices among ``xero_invoice_ids``, by Xero id."""
        views = self._store.link_views(tenant_id, xero_invoice_ids)
        return {xero_id: view.invoice_number for xero_id, view in views.items()}


def _missing_sentence(settings: Settings) -> Notice:
    name = settings.active_tenant_name or settings.active_tenant_id
    return Notice(
        f"The active organisation {name} is no longer connected to this app in Xero (it was "
        "disconnected, or a demo company was reset).",
        Remedy.CHOOSE_ORGANISATION,
        {"also": "connect"},
    )


class Internals:
    """The facade's collaborators, for tests and benchmarks only: a test that injects a fault
    (an expired token, a slow transport) or reads the database directly asks here, named, rather
    than through attributes of :class:`Service`. The CLI, the window and the demo never use it
    (``tests/unit/test_layers.py`` checks)."""

    def __init__(self, service: Service) -> None:
        self._service = service

    @property
    def store(self) -> Store:
        return self._service._store

    @property
    def settings_store(self) -> SettingsStore:
        return self._service._settings_store

    @property
    def secrets(self) -> SecretStore:
        return self._service._secrets

    @property
    def connection_cache(self) -> ConnectionCache:
        return self._service._connection_cache

    @property
    def endpoints(self) -> XeroEndpoints:
        return self._service._endpoints

    @property
    def http(self) -> XeroHttp:
        return self._service._http

    @property
    def tokens(self) -> TokenManager:
        return self._service._tokens

    @property
    def limits(self) -> RateLimits:
        return self._service._limits

    @property
    def xero(self) -> XeroClient:
        return self._service._xero

    @property
    def webhook_sources(self) -> Sources:
        return self._service._webhook_sources


def internals(service: Service) -> Internals:
    """The collaborators behind ``service`` (tests and benchmarks only; see :class:`Internals`)."""
    return Internals(service)
