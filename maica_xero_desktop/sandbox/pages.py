"""The sandbox's HTML pages (consent and errors). Every reflected value goes through html.escape."""

from __future__ import annotations

from collections.abc import Iterable
from html import escape

from .records import Org

_STYLE = """
body{font-family:system-ui,sans-serif;background:#f4f6f8;color:#1f2933;margin:0}
main{max-width:34rem;margin:3rem auto;background:#fff;padding:2rem;border-radius:8px;
box-shadow:0 1px 4px rgba(0,0,0,.15)}
h1{font-size:1.3rem}.error{color:#b42318;font-weight:600}
dl{font-size:.8rem;color:#52606d;word-break:break-all}dt{font-weight:600}
button{font-size:1rem;padding:.5rem 1.2rem;margin-right:.5rem}
label{display:block;margin:.4rem 0}code{font-size:.85rem}
"""


def _page(title: str, body: str) -> str:
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{escape(title)}</title><style>{_STYLE}</style></head>"
        f"<body><main>{body}</main></body></html>\n"
    )


def error_page(error: str, description: str) -> str:
    """What Xero shows when the authorize request itself is wrong: no redirect back."""
    body = (
        "<h1>Sorry, something went wrong</h1>"
        f'<p class="error" id="error">Error: {escape(error)}</p>'
        f'<p id="error-description">{escape(description)}</p>'
        "<p>The application that sent you here is not set up correctly. "
        "Contact its developer.</p>"
    )
    return _page("Xero sandbox | Error", body)


def consent_page(
    *,
    app_name: str,
    consent_id: str,
    user_email: str,
    scopes: Iterable[str],
    orgs: Iterable[Org],
    client_id: str,
    redirect_uri: str,
    state: str | None,
    error: str | None = None,
) -> str:
    """The consent page: organisations with checkboxes, Allow access / Cancel."""
    scope_items = "".join(f"<li><code>{escape(s)}</code></li>" for s in scopes)
    org_items = "".join(
        "<label>"
        f'<input type="checkbox" name="tenant" value="{escape(org.tenant_id)}"> '
        f"{escape(org.name)} <small>({escape(org.tenant_type)})</small></label>"
        for org in orgs
    )
    error_html = f'<p class="error" id="error">{escape(error)}</p>' if error else ""
    body = (
        f"<h1>{escape(app_name)} wants to access your Xero data</h1>"
        f"<p>Signed in as <strong>{escape(user_email)}</strong> (Xero sandbox).</p>"
        f"<p>It asks for:</p><ul>{scope_items}</ul>"
        f"{error_html}"
        '<form method="post" action="/identity/connect/authorize">'
        f'<input type="hidden" name="consent_id" value="{escape(consent_id)}">'
        f"<fieldset><legend>Organisations to connect</legend>{org_items}</fieldset>"
        '<p><button type="submit" name="action" value="allow">Allow access</button>'
        '<button type="submit" name="action" value="cancel">Cancel</button></p>'
        "</form>"
        "<details><summary>Request details</summary><dl>"
        f"<dt>client_id</dt><dd>{escape(client_id)}</dd>"
        f"<dt>redirect_uri</dt><dd>{escape(redirect_uri)}</dd>"
        f"<dt>state</dt><dd>{escape(state or '')}</dd>"
        "</dl></details>"
    )
    return _page("Xero sandbox | Allow access", body)
