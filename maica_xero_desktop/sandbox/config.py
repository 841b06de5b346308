"""Configuration of the offline Xero sandbox: its registered apps, its user and its organisations.

Every value here describes the fake Xero, not the client: the sandbox shares nothing with
``maica_xero_desktop.core`` on purpose.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass, field

#: The highest TCP port number.
MAX_PORT = 65535


def port_arg(text: str) -> int:
    """``--port``'s argparse type: a whole number from 0 (any free port) to 65535."""
    try:
        port = int(text)
    except ValueError:
        port = -1
    if not 0 <= port <= MAX_PORT:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a port: use a whole number from 0 to {MAX_PORT} (0 picks a free one)"
        )
    return port


#: The registered "Auth Code with PKCE" app (no secret), 32 upper-case hex chars like Xero's ids.
DEFAULT_CLIENT_ID = "5A4C1E9B7D2F40C8A3B6E0D19F7C2B84"
#: An optional second app of type "Web App", which must authenticate with its secret.
DEFAULT_WEB_CLIENT_ID = "C7E2A90B4F1D4E6A8B3C5D7E9F0A1B2C"
DEFAULT_WEB_CLIENT_SECRET = "sandbox-web-app-secret-QmFzZTY0SXNOb3RFbmNyeXB0aW9u"
DEFAULT_REDIRECT_PORTS = (5717, 5718, 5719, 5720, 5721)
DEFAULT_REDIRECT_URIS: tuple[str, ...] = tuple(
    f"http://{host}:{port}/callback"
    for port in DEFAULT_REDIRECT_PORTS
    for host in ("localhost", "127.0.0.1")
)

#: The Maica org's External Client App: its consumer key (3MVG…-style), PKCE and no secret.
DEFAULT_SF_CLIENT_ID = (
    "3MVG9SandboxMaicaOrgKey4Bx7Qd2Lw9Ze1Rt6Yu3Io8Pa5Sd0Fg7Hj2Kl4Zx9Cv6Bn1Mq3We8Rt5Yu0Ip2As7Df"
)
#: Salesforce namespaces of the Maica package: current (default) and the older edition's.
MAICA_NAMESPACES = ("maica_cc", "maica")

#: Scopes the identity server knows. Anything else is refused at the authorize page.
KNOWN_SCOPES: frozenset[str] = frozenset(
    {
        "openid",
        "profile",
        "email",
        "offline_access",
        "accounting.transactions",
        "accounting.transactions.read",
        "accounting.reports.read",
        "accounting.invoices",
        "accounting.invoices.read",
        "accounting.payments",
        "accounting.payments.read",
        "accounting.banktransactions",
        "accounting.banktransactions.read",
        "accounting.manualjournals",
        "accounting.manualjournals.read",
        "accounting.contacts",
        "accounting.contacts.read",
        "accounting.settings",
        "accounting.settings.read",
        "accounting.attachments",
        "accounting.attachments.read",
        "accounting.journals.read",
        "accounting.budgets.read",
    }
)
#: Broad scopes that apps created since March 2026 may no longer request.
BROAD_SCOPES: frozenset[str] = frozenset(
    {"accounting.transactions", "accounting.transactions.read", "accounting.reports.read"}
)


@dataclass(frozen=True)
class SandboxUser:
    """The one Xero user who signs in at the sandbox's consent page."""

    user_id: str = "0f8e3c6a-2b71-4d95-a8e4-6c1d9b7f3a20"
    email: str = "admin@maica-care.example"
    given_name: str = "Alex"
    family_name: str = "Nguyen"


@dataclass(frozen=True)
class SandboxOrg:
    """An organisation (tenant) the sandbox user can connect to an app."""

    tenant_id: str
    name: str
    tenant_type: str = "ORGANISATION"
    is_demo: bool = False
    short_code: str = "!SbX01"
    legal_name: str | None = None


MAICA_ORG = SandboxOrg(
    tenant_id="3d6c2f0e-5b8a-4c71-9e2d-7a1f4b8c6d53",
    name="Maica Care Services Pty Ltd",
    short_code="!mCs7Q",
)
DEMO_ORG = SandboxOrg(
    tenant_id="8a1e7b4c-0d39-4f62-b5a8-e2c9d6f1037b",
    name="Demo Company (AU)",
    is_demo=True,
    short_code="!dMo2A",
)
PRACTICE_ORG = SandboxOrg(
    tenant_id="b47d9e21-6c3f-4a8b-9d05-1e2f3a4b5c6d",
    name="Maica Bookkeeping Practice",
    tenant_type="PRACTICE",
    short_code="!pRc9K",
)


@dataclass(frozen=True)
class SandboxConfig:
    """Everything that makes one sandbox; every field has a default.

    ``port`` 0 picks an ephemeral port. Lifetimes are seconds. Rate limits apply per tenant
    (``rate_minute``, ``rate_day``, ``rate_concurrent``) and per app (``rate_app_minute``);
    ``rate_window_seconds`` shortens the "minute"; ``rate_limits_enabled=False`` turns them off.
    """

    port: int = 0
    state_file: str | None = None
    auto_consent: bool = False
    host: str = "127.0.0.1"
    app_name: str = "Maica Xero Desktop (sandbox)"
    client_id: str = DEFAULT_CLIENT_ID
    web_client_id: str | None = DEFAULT_WEB_CLIENT_ID
    web_client_secret: str = DEFAULT_WEB_CLIENT_SECRET
    redirect_uris: tuple[str, ...] = DEFAULT_REDIRECT_URIS
    user: SandboxUser = field(default_factory=SandboxUser)
    organisations: tuple[SandboxOrg, ...] = (MAICA_ORG, DEMO_ORG)
    practice: bool = False
    practice_org: SandboxOrg = PRACTICE_ORG
    allow_broad_scopes: bool = False
    access_token_lifetime: int = 1800
    refresh_grace: int = 1800
    code_lifetime: int = 300
    consent_lifetime: int = 900
    refresh_idle_lifetime: int = 60 * 86400
    rate_minute: int = 60
    rate_day: int = 5000
    rate_app_minute: int = 10000
    rate_concurrent: int = 5
    #: length of the "minute" window in seconds (a benchmark can use a short one)
    rate_window_seconds: float = 60.0
    rate_limits_enabled: bool = True
    max_body_bytes: int = 4 * 1024 * 1024
    #: Xero refuses Accounting API request bodies over 3.5 MB (413)
    api_max_body_bytes: int = 3_500_000
    #: how long an ``Idempotency-Key`` answer is replayed (sandbox clock seconds)
    idempotency_lifetime: float = 360.0
    #: with a state file, accounting changes are written at most this often (and on stop)
    state_save_interval: float = 2.0
    #: the offline Maica org (a Salesforce imitation on the same server)
    sf_client_id: str = DEFAULT_SF_CLIENT_ID
    #: the Maica package's namespace prefix: "maica_cc" (current) or "maica" (older edition)
    maica_namespace: str = "maica_cc"
    maica_org_name: str = "Maica Care Services"
    #: seconds an access token of the Maica org stays valid (Salesforce's default session: 2 h)
    sf_session_lifetime: int = 7200
    #: the org's daily API request budget (Sforce-Limit-Info's MAX)
    sf_api_daily_limit: int = 15000

    def client_secret(self, client_id: str) -> str | None:
        """The secret a client must present: None for the PKCE app (and unknown apps)."""
        if self.web_client_id is not None and client_id == self.web_client_id:
            return self.web_client_secret
        return None

    def is_known_client(self, client_id: str) -> bool:
        return client_id == self.client_id or (
            self.web_client_id is not None and client_id == self.web_client_id
        )

    def is_pkce_client(self, client_id: str) -> bool:
        return client_id == self.client_id

    def __post_init__(self) -> None:
        if self.maica_namespace not in MAICA_NAMESPACES:
            raise ValueError(
                f"maica_namespace must be one of {', '.join(MAICA_NAMESPACES)}, "
                f"not {self.maica_namespace!r}"
            )

    def initial_orgs(self) -> tuple[SandboxOrg, ...]:
        return (*self.organisations, self.practice_org) if self.practice else self.organisations
