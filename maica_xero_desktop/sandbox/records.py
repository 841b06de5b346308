"""The records the sandbox keeps. Flat dataclasses so they persist as plain JSON objects.

Secrets (authorization codes, refresh and access tokens) are kept only as SHA-256 hex digests.
Times are POSIX seconds on the sandbox clock (real time plus an adjustable offset).
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Org:
    tenant_id: str
    name: str
    tenant_type: str
    is_demo: bool
    short_code: str
    legal_name: str
    created: float


@dataclass
class Grant:
    """What one user allowed one app: scopes accumulate over consents."""

    key: str
    user_id: str
    client_id: str
    scopes: list[str]
    created: float


@dataclass
class Connection:
    id: str
    grant_key: str
    tenant_id: str
    auth_event_id: str
    created: float
    updated: float


@dataclass
class Consent:
    """A consent page shown and not yet answered: the page posts back only its id."""

    id: str
    client_id: str
    redirect_uri: str
    scopes: list[str]
    state: str | None
    code_challenge: str | None
    nonce: str | None
    created: float


@dataclass
class Code:
    hash: str
    client_id: str
    redirect_uri: str
    code_challenge: str | None
    grant_key: str
    tenant_ids: list[str]
    scopes: list[str]
    auth_event_id: str
    nonce: str | None
    created: float
    used: bool = False


@dataclass
class RefreshRecord:
    """One refresh token of a chain. ``successor`` is set once it has been exchanged."""

    hash: str
    grant_key: str
    client_id: str
    scopes: list[str]
    auth_event_id: str
    global_session_id: str
    issued: float
    used: bool = False
    successor: str | None = None
    rotated_at: float | None = None


@dataclass
class AccessRecord:
    hash: str
    grant_key: str
    client_id: str
    scopes: list[str]
    exp: float


@dataclass
class Stores:
    """All persisted collections, keyed by id or hash."""

    orgs: dict[str, Org] = field(default_factory=dict)
    grants: dict[str, Grant] = field(default_factory=dict)
    connections: dict[str, Connection] = field(default_factory=dict)
    consents: dict[str, Consent] = field(default_factory=dict)
    codes: dict[str, Code] = field(default_factory=dict)
    refresh: dict[str, RefreshRecord] = field(default_factory=dict)
    access: dict[str, AccessRecord] = field(default_factory=dict)
