"""Bearer access tokens on API calls (``/connections`` and ``/api.xro/2.0``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .records import AccessRecord
from .timefmt import us_datetime
from .tokens import jwt_decode, sha256_hex
from .web import Request, problem

if TYPE_CHECKING:
    from .app import SandboxApp

CHALLENGE = {"WWW-Authenticate": 'Bearer error="invalid_token"'}


class Unauthorized(Exception):
    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.response = problem(401, "Unauthorized", detail, CHALLENGE)


def authenticate(app: SandboxApp, request: Request) -> AccessRecord:
    """The access token's record, or :class:`Unauthorized` (401, like Xero's body)."""
    header = request.headers.get("Authorization") or ""
    scheme, _, token = header.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise Unauthorized("AuthenticationUnsuccessful")
    state = app.state
    with state.lock:
        record = state.stores.access.get(sha256_hex(token))
        claims = jwt_decode(token, state.signing_key)
        if record is None or claims is None:
            raise Unauthorized("AuthenticationUnsuccessful")
        if state.now() >= record.exp:
            raise Unauthorized(f"TokenExpired: token expired at {us_datetime(record.exp)}")
        if record.grant_key not in state.stores.grants:
            raise Unauthorized("AuthenticationUnsuccessful")
        return record
