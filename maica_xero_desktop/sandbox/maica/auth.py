"""The Maica org's sign-in records: consents, codes, refresh and access tokens (only their
SHA-256 digests are kept), and the org's daily API budget."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..tokens import sha256_hex


@dataclass
class AuthStore:
    daily: int
    used: int = 0
    #: consent id -> the authorize request waiting on the consent page
    consents: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: code hash -> {client_id, redirect_uri, challenge, created}
    codes: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: refresh token hash -> {client_id, created}
    refresh: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: access token hash -> {client_id, refresh (hash or None), exp}
    access: dict[str, dict[str, Any]] = field(default_factory=dict)

    def session(self, token: str, now: float) -> dict[str, Any] | None:
        """The live access token's record, or None (unknown, expired or revoked)."""
        record = self.access.get(sha256_hex(token))
        if record is None or record["exp"] <= now:
            return None
        if record.get("refresh") and record["refresh"] not in self.refresh:
            return None
        return record

    def revoke_refresh(self, token_hash: str) -> None:
        self.refresh.pop(token_hash, None)
        for key in [k for k, a in self.access.items() if a.get("refresh") == token_hash]:
            del self.access[key]

    def expire_all(self, now: float) -> int:
        live = [a for a in self.access.values() if a["exp"] > now]
        for record in live:
            record["exp"] = now
        return len(live)

    def prune(self, now: float, code_lifetime: float, consent_lifetime: float) -> None:
        for key in [k for k, a in self.access.items() if a["exp"] < now - 3600]:
            del self.access[key]
        for key in [k for k, c in self.codes.items() if c["created"] + code_lifetime < now]:
            del self.codes[key]
        stale = [k for k, c in self.consents.items() if c["created"] + consent_lifetime < now]
        for key in stale:
            del self.consents[key]

    def to_json(self) -> dict[str, Any]:
        return {
            "daily": self.daily,
            "used": self.used,
            "consents": {k: dict(v) for k, v in self.consents.items()},
            "codes": {k: dict(v) for k, v in self.codes.items()},
            "refresh": {k: dict(v) for k, v in self.refresh.items()},
            "access": {k: dict(v) for k, v in self.access.items()},
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> AuthStore:
        return cls(
            daily=int(data["daily"]),
            used=int(data.get("used", 0)),
            consents=dict(data.get("consents", {})),
            codes=dict(data.get("codes", {})),
            refresh=dict(data.get("refresh", {})),
            access=dict(data.get("access", {})),
        )
