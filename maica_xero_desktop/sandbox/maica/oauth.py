"""The Maica org's OAuth 2.0 web-server flow, as Salesforce documents it: ``/services/oauth2/
authorize`` (consent page or auto-consent, exact redirect URI match, PKCE S256 required),
``/token`` (authorization_code with the verifier checked; refresh_token answering a new access
token and no refresh token), ``/revoke``, ``/userinfo`` and the identity URL ``/id/ORG/USER``."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from html import escape
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote_plus

from ..routes import Router
from ..tokens import s256_challenge, sha256_hex
from ..web import Request, Response, html_response, json_response, oauth_error, redirect
from .org import ORG_ID, USER, USER_ID
from .runtime import SESSION_INVALID, bearer, endpoint_of, fault_response

if TYPE_CHECKING:
    from ..app import SandboxApp

BASE = r"/services/oauth2"
_CHALLENGE = re.compile(r"[A-Za-z0-9\-._~]{43,128}")
_VERIFIER = re.compile(r"[A-Za-z0-9\-._~]{43,128}")
GRANTED_SCOPE = "api refresh_token"
KNOWN_SCOPES = frozenset(
    {"api", "refresh_token", "offline_access", "id", "openid", "profile", "email", "web", "full"}
)
USERNAME, _FIRST, _LAST, USER_EMAIL = USER
USER_NAME = f"{_FIRST} {_LAST}"
INVALID_GRANT = "expired access/refresh token"


def register(router: Router) -> None:
    router.add("GET", BASE + "/authorize/?", authorize_get, "maica.authorize")
    router.add("POST", BASE + "/authorize/?", authorize_post, "maica.authorize")
    router.add("POST", BASE + "/token/?", token, _token_name)
    router.add("POST", BASE + "/revoke/?", revoke, "maica.revoke")
    router.add("GET", BASE + "/revoke/?", revoke, "maica.revoke")
    router.add("GET", BASE + "/userinfo/?", userinfo, "maica.userinfo")
    router.add("POST", BASE + "/userinfo/?", userinfo, "maica.userinfo")
    router.add(
        "GET",
        r"/id/(?P<org>[A-Za-z0-9]{15,18})/(?P<user>[A-Za-z0-9]{15,18})/?",
        identity,
        "maica.identity",
    )


def _token_name(request: Request) -> str:
    grant = request.field("grant_type") or ""
    known = grant in ("authorization_code", "refresh_token")
    return f"maica.token.{grant if known else 'other'}"


# -- pages ----------------------------------------------------------------------------------

_STYLE = (
    "body{font-family:system-ui,sans-serif;background:#f3f2f2;color:#181818;margin:0}"
    "main{max-width:30rem;margin:3rem auto;background:#fff;padding:2rem;border-radius:6px;"
    "box-shadow:0 1px 4px rgba(0,0,0,.15)}h1{font-size:1.25rem}"
    ".error{color:#ba0517;font-weight:600}button{font-size:1rem;padding:.5rem 1.2rem;"
    "margin-right:.5rem}dl{font-size:.8rem;color:#555;word-break:break-all}dt{font-weight:600}"
)


def _page(title: str, body: str) -> str:
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{escape(title)}</title><style>{_STYLE}</style></head>"
        f"<body><main>{body}</main></body></html>\n"
    )


def error_page(error: str, description: str) -> Response:
    """Salesforce's own error page: nothing goes back to the redirect URI."""
    body = (
        "<h1>OAuth Error</h1>"
        "<p>We can't authorize you because of an OAuth error. For more information, contact "
        "your Salesforce administrator.</p>"
        f'<p class="error" id="error">{escape(error)}</p>'
        f'<p id="error-description">{escape(description)}</p>'
    )
    return html_response(400, _page("Maica org sandbox | Error", body))


def consent_page(app: SandboxApp, consent_id: str, consent: dict[str, Any]) -> Response:
    body = (
        f"<h1>Allow access?</h1><p><strong>{escape(app.config.app_name)}</strong> is asking to "
        f"access the Maica org <strong>{escape(app.config.maica_org_name)}</strong> as "
        f"<strong>{escape(USERNAME)}</strong> (Maica org sandbox).</p>"
        "<p>It will be able to: access and manage your data (api); perform requests at any "
        "time (refresh_token).</p>"
        f'<form method="post" action="{BASE}/authorize">'
        f'<input type="hidden" name="consent_id" value="{escape(consent_id)}">'
        '<p><button type="submit" name="action" value="allow">Allow</button>'
        '<button type="submit" name="action" value="deny">Deny</button></p></form>'
        "<details><summary>Request details</summary><dl>"
        f"<dt>client_id</dt><dd>{escape(consent['client_id'])}</dd>"
        f"<dt>redirect_uri</dt><dd>{escape(consent['redirect_uri'])}</dd>"
        f"<dt>state</dt><dd>{escape(consent.get('state') or '')}</dd></dl></details>"
    )
    return html_response(200, _page("Maica org sandbox | Allow access", body))


# -- authorize ------------------------------------------------------------------------------


class _Refused(Exception):
    def __init__(self, error: str, description: str) -> None:
        super().__init__(description)
        self.error = error
        self.description = description


def _one(request: Request, name: str) -> str | None:
    values = request.query.get(name)
    if not values:
        return None
    if len(values) > 1:
        raise _Refused("invalid_request", f"duplicate parameter: {name}")
    return values[0]


def _parse(app: SandboxApp, request: Request) -> dict[str, Any]:
    client_id = _one(request, "client_id")
    if not client_id or client_id != app.config.sf_client_id:
        raise _Refused("invalid_client_id", "client identifier invalid")
    redirect_uri = _one(request, "redirect_uri")
    if not redirect_uri or redirect_uri not in app.config.redirect_uris:
        raise _Refused("redirect_uri_mismatch", "redirect_uri must match configuration")
    if _one(request, "response_type") != "code":
        raise _Refused("unsupported_response_type", "response type not supported")
    scopes = (_one(request, "scope") or "").split()
    unknown = [s for s in scopes if s not in KNOWN_SCOPES]
    if unknown:
        raise _Refused("invalid_scope", f"the requested scope is not allowed: {unknown[0]}")
    challenge = _one(request, "code_challenge")
    if not challenge or not _CHALLENGE.fullmatch(challenge):
        raise _Refused("invalid_request", "missing or invalid code_challenge (PKCE is required)")
    if (_one(request, "code_challenge_method") or "S256") != "S256":
        raise _Refused("invalid_request", "code_challenge_method must be S256")
    return {
        "client_id": client_id,
        "redirect_uri": redirect_uri,
        "state": _one(request, "state"),
        "challenge": challenge,
        "created": app.state.now(),
    }


def _issue_code(app: SandboxApp, consent: dict[str, Any]) -> Response:
    code = "aPrx" + secrets.token_urlsafe(40)
    auth = app.state.maica_auth
    auth.codes[sha256_hex(code)] = {
        "client_id": consent["client_id"],
        "redirect_uri": consent["redirect_uri"],
        "challenge": consent["challenge"],
        "created": app.state.now(),
    }
    app.state.save()
    params = {"code": code}
    if consent.get("state") is not None:
        params["state"] = consent["state"]
    return redirect(consent["redirect_uri"], params)


def authorize_get(app: SandboxApp, request: Request, params: dict[str, str]) -> Response:
    app.maica.count(endpoint_of(request))
    try:
        consent = _parse(app, request)
    except _Refused as exc:
        return error_page(exc.error, exc.description)
    state = app.state
    with state.lock:
        auth = state.maica_auth
        auth.prune(state.now(), app.config.code_lifetime, app.config.consent_lifetime)
        if app.auto_consent:
            return _issue_code(app, consent)
        consent_id = secrets.token_urlsafe(24)
        auth.consents[consent_id] = consent
        state.save()
        return consent_page(app, consent_id, consent)


def authorize_post(app: SandboxApp, request: Request, params: dict[str, str]) -> Response:
    app.maica.count(endpoint_of(request))
    state = app.state
    with state.lock:
        auth = state.maica_auth
        consent_id = request.field("consent_id") or ""
        consent = auth.consents.pop(consent_id, None)
        if consent is None or consent["created"] + app.config.consent_lifetime < state.now():
            state.save()
            return error_page(
                "invalid_request",
                "This sign-in request has expired or was already answered: start again from "
                "the application.",
            )
        if request.field("action") != "allow":
            state.save()
            denied = {
                "error": "access_denied",
                "error_description": "end-user denied authorization",
            }
            if consent.get("state") is not None:
                denied["state"] = consent["state"]
            return redirect(consent["redirect_uri"], denied)
        return _issue_code(app, consent)


# -- token ----------------------------------------------------------------------------------


def _signature(app: SandboxApp, id_url: str, issued_at: str) -> str:
    digest = hmac.new(
        app.state.signing_key.encode("utf-8"), (id_url + issued_at).encode("utf-8"), hashlib.sha256
    ).digest()
    return base64.b64encode(digest).decode("ascii")


def id_url(app: SandboxApp) -> str:
    return f"{app.base_url}/id/{ORG_ID}/{USER_ID}"


def _access(app: SandboxApp, client_id: str, refresh_hash: str | None) -> dict[str, Any]:
    state = app.state
    access_token = f"{ORG_ID[:15]}!" + secrets.token_urlsafe(72)
    now = state.now()
    state.maica_auth.access[sha256_hex(access_token)] = {
        "client_id": client_id,
        "refresh": refresh_hash,
        "exp": now + app.config.sf_session_lifetime,
    }
    issued_at = str(int(now * 1000))
    ident = id_url(app)
    return {
        "access_token": access_token,
        "signature": _signature(app, ident, issued_at),
        "scope": GRANTED_SCOPE,
        "instance_url": app.base_url,
        "id": ident,
        "token_type": "Bearer",
        "issued_at": issued_at,
    }


def _token_fault(error: str) -> Response:
    if error == "SERVER_ERROR":
        return oauth_error("unknown_error", "retry your request", 503)
    if error == "REQUEST_LIMIT_EXCEEDED":
        return oauth_error("rate_limit_exceeded", "rate limit exceeded")
    return oauth_error("invalid_grant", INVALID_GRANT)


def _basic_client(request: Request) -> str:
    """The client id of an ``Authorization: Basic`` header (client_secret_basic, which
    Salesforce's token endpoint accepts beside credentials in the body); "" without one."""
    scheme, _, value = (request.headers.get("Authorization") or "").partition(" ")
    if scheme.lower() != "basic":
        return ""
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except (ValueError, UnicodeDecodeError):
        return ""
    return unquote_plus(decoded.partition(":")[0])


def _ok(body: dict[str, Any]) -> Response:
    return json_response(200, body, {"Cache-Control": "no-cache,must-revalidate,max-age=0"})


def token(app: SandboxApp, request: Request, params: dict[str, str]) -> Response:
    app.maica.count(endpoint_of(request))
    fault = app.maica.faults.take_call("token", per_record=False)
    if fault is not None and fault.error is not None:
        return _token_fault(fault.error)
    grant = request.field("grant_type")
    if grant not in ("authorization_code", "refresh_token"):
        return oauth_error("unsupported_grant_type", "grant type not supported")
    client_id = request.field("client_id") or _basic_client(request)
    if client_id != app.config.sf_client_id:
        return oauth_error("invalid_client_id", "client identifier invalid")
    state = app.state
    with state.lock:
        auth = state.maica_auth
        if grant == "authorization_code":
            return _exchange(app, request, client_id)
        refresh = request.field("refresh_token") or ""
        refresh_hash = sha256_hex(refresh)
        record = auth.refresh.get(refresh_hash)
        if record is None or record["client_id"] != client_id:
            return oauth_error("invalid_grant", INVALID_GRANT)
        body = _access(app, client_id, refresh_hash)
        state.save()
        return _ok(body)


def _exchange(app: SandboxApp, request: Request, client_id: str) -> Response:
    state = app.state
    auth = state.maica_auth
    code = auth.codes.pop(sha256_hex(request.field("code") or ""), None)
    if code is None or code["created"] + app.config.code_lifetime < state.now():
        state.save()
        return oauth_error("invalid_grant", INVALID_GRANT)
    state.save()  # single use: gone whatever follows
    if code["client_id"] != client_id:
        return oauth_error("invalid_grant", INVALID_GRANT)
    if request.field("redirect_uri") != code["redirect_uri"]:
        return oauth_error("redirect_uri_mismatch", "redirect_uri must match configuration")
    verifier = request.field("code_verifier") or ""
    if not _VERIFIER.fullmatch(verifier) or not hmac.compare_digest(
        s256_challenge(verifier), code["challenge"]
    ):
        return oauth_error("invalid_grant", "invalid code verifier")
    refresh = "5Aep861" + secrets.token_urlsafe(60)
    refresh_hash = sha256_hex(refresh)
    auth.refresh[refresh_hash] = {"client_id": client_id, "created": state.now()}
    body = _access(app, client_id, refresh_hash)
    body["refresh_token"] = refresh
    state.save()
    return _ok(body)


def revoke(app: SandboxApp, request: Request, params: dict[str, str]) -> Response:
    refused = _armed(app, request)
    if refused is not None:
        return refused
    given = request.field("token") or request.arg("token") or ""
    state = app.state
    with state.lock:
        auth = state.maica_auth
        key = sha256_hex(given)
        if key in auth.refresh:
            auth.revoke_refresh(key)
        elif key in auth.access:
            del auth.access[key]
        else:
            return oauth_error("invalid_token", "invalid token")
        state.save()
    return json_response(200, {})


# -- who is signed in -----------------------------------------------------------------------


def _armed(app: SandboxApp, request: Request) -> Response | None:
    """Count the call; the answer of an armed whole-call fault, if any."""
    name = endpoint_of(request)
    app.maica.count(name)
    fault = app.maica.faults.take_call(name, per_record=False)
    return None if fault is None or fault.error is None else fault_response(fault.error)


def _session_or_401(app: SandboxApp, request: Request) -> Response | None:
    refused = _armed(app, request)
    if refused is not None:
        return refused
    state = app.state
    with state.lock:
        token = bearer(request) or request.arg("oauth_token") or ""
        if state.maica_auth.session(token, state.now()) is None:
            return json_response(401, SESSION_INVALID)
    return None


def userinfo(app: SandboxApp, request: Request, params: dict[str, str]) -> Response:
    refused = _session_or_401(app, request)
    if refused is not None:
        return refused
    first, _, last = USER_NAME.partition(" ")
    return json_response(
        200,
        {
            "sub": id_url(app),
            "user_id": USER_ID,
            "organization_id": ORG_ID,
            "preferred_username": USERNAME,
            "nickname": "anguyen",
            "name": USER_NAME,
            "given_name": first,
            "family_name": last,
            "email": USER_EMAIL,
            "email_verified": True,
            "zoneinfo": "Australia/Sydney",
            "locale": "en_AU",
            "language": "en_US",
            "user_type": "STANDARD",
            "active": True,
            "is_app_installed": True,
            "urls": _urls(app),
            "updated_at": "2026-01-01T00:00:00Z",
        },
    )


def _urls(app: SandboxApp) -> dict[str, str]:
    base = app.base_url
    return {
        "enterprise": f"{base}/services/Soap/c/{{version}}/{ORG_ID[:15]}",
        "partner": f"{base}/services/Soap/u/{{version}}/{ORG_ID[:15]}",
        "rest": f"{base}/services/data/v{{version}}/",
        "sobjects": f"{base}/services/data/v{{version}}/sobjects/",
        "query": f"{base}/services/data/v{{version}}/query/",
        "profile": f"{base}/{USER_ID}",
        "custom_domain": base,
    }


def identity(app: SandboxApp, request: Request, params: dict[str, str]) -> Response:
    refused = _session_or_401(app, request)
    if refused is not None:
        return refused
    if params["org"][:15] != ORG_ID[:15] or params["user"][:15] != USER_ID[:15]:
        return json_response(403, "Bad_Id")
    first, _, last = USER_NAME.partition(" ")
    return json_response(
        200,
        {
            "id": id_url(app),
            "asserted_user": True,
            "user_id": USER_ID,
            "organization_id": ORG_ID,
            "username": USERNAME,
            "nick_name": "anguyen",
            "display_name": USER_NAME,
            "first_name": first,
            "last_name": last,
            "email": USER_EMAIL,
            "email_verified": True,
            "status": {"created_date": None, "body": None},
            "urls": _urls(app),
            "active": True,
            "user_type": "STANDARD",
            "language": "en_US",
            "locale": "en_AU",
            "utcOffset": 36000000,
            "last_modified_date": "2026-01-01T00:00:00.000+0000",
            "is_app_installed": True,
        },
    )
