"""``/identity/connect/authorize``: the login.xero.com side of the authorization code flow.

GET validates the request and shows the consent page (or, in auto-consent mode, redirects at
once with a code for every organisation). A wrong client, redirect URI, scope or PKCE challenge
gets an HTML error page at the sandbox and no redirect, as Xero does. The consent form posts back
only a one-time consent id; the request parameters are never taken from the post.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING

from . import pages
from .config import BROAD_SCOPES, KNOWN_SCOPES
from .issuing import connect
from .records import Consent
from .routes import Router
from .web import Request, Response, html_response, redirect

if TYPE_CHECKING:
    from .app import SandboxApp

PATH = r"/identity/connect/authorize"
_CHALLENGE = re.compile(r"[A-Za-z0-9\-._~]{43,128}")


@dataclass
class AuthorizeRequest:
    client_id: str
    redirect_uri: str
    scopes: list[str]
    state: str | None
    code_challenge: str | None
    nonce: str | None


class AuthorizeError(Exception):
    def __init__(self, error: str, description: str) -> None:
        super().__init__(description)
        self.error = error
        self.description = description


def register(router: Router) -> None:
    router.add("GET", PATH, authorize_get, "authorize.get")
    router.add("POST", PATH, authorize_post, "authorize.post")


def _single(query: dict[str, list[str]], name: str) -> str | None:
    values = query.get(name)
    if not values:
        return None
    if len(values) > 1:
        raise AuthorizeError("invalid_request", f"The parameter {name} is repeated.")
    return values[0]


def parse_request(app: SandboxApp, query: dict[str, list[str]]) -> AuthorizeRequest:
    """Validate an authorize request the way Xero does: client first, then redirect URI."""
    cfg = app.config
    client_id = _single(query, "client_id")
    if not client_id or not cfg.is_known_client(client_id):
        raise AuthorizeError("unauthorized_client", "Unknown client or client not enabled.")
    redirect_uri = _single(query, "redirect_uri")
    if not redirect_uri or redirect_uri not in cfg.redirect_uris:
        raise AuthorizeError("invalid_request", "Invalid redirect_uri.")
    if _single(query, "response_type") != "code":
        raise AuthorizeError("unsupported_response_type", "response_type must be code.")
    scopes = list(dict.fromkeys((_single(query, "scope") or "").split()))
    if not scopes:
        raise AuthorizeError("invalid_scope", "No scope was requested.")
    unknown = [s for s in scopes if s not in KNOWN_SCOPES]
    if unknown:
        raise AuthorizeError("invalid_scope", f"Unknown scope: {' '.join(unknown)}.")
    broad = [s for s in scopes if s in BROAD_SCOPES]
    if broad and not cfg.allow_broad_scopes:
        raise AuthorizeError(
            "invalid_scope",
            f"The scope {' '.join(broad)} is not available to apps created after 2 March 2026;"
            " request granular scopes such as accounting.invoices instead.",
        )
    challenge = _single(query, "code_challenge")
    method = _single(query, "code_challenge_method")
    if challenge is None and cfg.is_pkce_client(client_id):
        raise AuthorizeError("invalid_request", "code_challenge is required.")
    if challenge is not None:
        if method != "S256":
            raise AuthorizeError("invalid_request", "code_challenge_method must be S256.")
        if not _CHALLENGE.fullmatch(challenge):
            raise AuthorizeError("invalid_request", "code_challenge is malformed.")
    return AuthorizeRequest(
        client_id=client_id,
        redirect_uri=redirect_uri,
        scopes=scopes,
        state=_single(query, "state"),
        code_challenge=challenge,
        nonce=_single(query, "nonce"),
    )


def _error_page(exc: AuthorizeError) -> Response:
    return html_response(400, pages.error_page(exc.error, exc.description))


def _allow(app: SandboxApp, consent: Consent, tenant_ids: list[str]) -> Response:
    code = connect(
        app,
        client_id=consent.client_id,
        tenant_ids=tenant_ids,
        scopes=consent.scopes,
        redirect_uri=consent.redirect_uri,
        code_challenge=consent.code_challenge,
        nonce=consent.nonce,
    )
    app.state.save()
    params = {"code": code}
    if consent.state is not None:
        params["state"] = consent.state
    params["scope"] = " ".join(consent.scopes)
    return redirect(consent.redirect_uri, params)


def _consent_page(app: SandboxApp, consent: Consent, error: str | None = None) -> Response:
    html = pages.consent_page(
        app_name=app.config.app_name,
        consent_id=consent.id,
        user_email=app.config.user.email,
        scopes=consent.scopes,
        orgs=list(app.state.stores.orgs.values()),
        client_id=consent.client_id,
        redirect_uri=consent.redirect_uri,
        state=consent.state,
        error=error,
    )
    return html_response(200, html)


def authorize_get(app: SandboxApp, request: Request, params: dict[str, str]) -> Response:
    try:
        parsed = parse_request(app, request.query)
    except AuthorizeError as exc:
        return _error_page(exc)
    state = app.state
    with state.lock:
        consent = Consent(
            id=secrets.token_urlsafe(24),
            client_id=parsed.client_id,
            redirect_uri=parsed.redirect_uri,
            scopes=parsed.scopes,
            state=parsed.state,
            code_challenge=parsed.code_challenge,
            nonce=parsed.nonce,
            created=state.now(),
        )
        if app.auto_consent:
            return _allow(app, consent, list(state.stores.orgs))
        state.stores.consents[consent.id] = consent
        state.save()
        return _consent_page(app, consent)


def authorize_post(app: SandboxApp, request: Request, params: dict[str, str]) -> Response:
    state = app.state
    consent_id = request.field("consent_id") or ""
    with state.lock:
        consent = state.stores.consents.get(consent_id)
        if consent is None or consent.created + app.config.consent_lifetime < state.now():
            return _error_page(
                AuthorizeError(
                    "invalid_request",
                    "This sign-in request has expired or was already answered. "
                    "Start again from the application.",
                )
            )
        action = request.field("action")
        if action == "cancel":
            del state.stores.consents[consent.id]
            state.save()
            denied = {"error": "access_denied"}
            if consent.state is not None:
                denied["state"] = consent.state
            return redirect(consent.redirect_uri, denied)
        if action != "allow":
            return _consent_page(app, consent, "Choose Allow access or Cancel.")
        chosen = [t for t in dict.fromkeys(request.form.get("tenant", [])) if t in state.orgs]
        if not chosen:
            return _consent_page(app, consent, "Select at least one organisation to connect.")
        del state.stores.consents[consent.id]
        return _allow(app, consent, chosen)
