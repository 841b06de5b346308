"""The command line's words for the core's remedies, and the one place CLI messages are made
printable: text from outside (CSV values, Xero's messages, organisation names) is escaped."""

from __future__ import annotations

from collections.abc import Mapping

from .core.errors import Remedy, RemedyWords, worded
from .core.textsafe import printable

KEYRING_GUIDE = "docs/user-guide.md, section “A server without a desktop keyring”"


def _choose(facts: Mapping[str, str]) -> str:
    text = "Choose the organisation: maica-xero use NAME (maica-xero connections lists them)"
    if facts.get("also") == "connect":
        return text + ", or connect again with maica-xero connect."
    return text + "."


WORDS: RemedyWords = {
    Remedy.ENABLE: "Turn it on first: maica-xero enable.",
    Remedy.CONNECT: "Connect to Xero first: maica-xero connect.",
    Remedy.RECONNECT: "Connect to Xero again: maica-xero connect.",
    Remedy.CHOOSE_ORGANISATION: _choose,
    Remedy.SET_CLIENT_ID: "Then save its client id: maica-xero config set client-id ID.",
    Remedy.CHECK_CLIENT_ID: (
        "Save it with maica-xero config set client-id ID (and, for a 'Web App', its secret with "
        "maica-xero config set client-secret), then connect again."
    ),
    Remedy.FREE_REDIRECT_PORT: (
        "Close the program using them, or register another port in the Xero app's redirect URIs "
        "and add it with maica-xero config set redirect-ports."
    ),
    Remedy.SET_WEBHOOK_SITE: "Set it with maica-xero webhooks set-site URL.",
    Remedy.SET_WEBHOOK_KEY: (
        "Copy the webhook key from the Webhooks tab of your app in Xero's developer portal and "
        "save it with maica-xero webhooks set-key (it reads the key from standard input)."
    ),
    Remedy.CHOOSE_RECEIVER_PORT: "Choose another with --port.",
    Remedy.CHOOSE_RECEIVER_HOST: "Give another with --host (127.0.0.1 by default).",
    Remedy.SET_UP_KEYRING: (
        "Start your desktop's keyring service (GNOME Keyring or KWallet on Linux, Keychain on "
        "macOS, Credential Manager on Windows) and try again; on a server without a desktop, "
        f"follow {KEYRING_GUIDE}."
    ),
    Remedy.UNLOCK_KEYRING: (
        "Unlock it (sign in to your desktop session or open your keyring manager) and try again; "
        f"on a server without a desktop, follow {KEYRING_GUIDE}."
    ),
    Remedy.CHOOSE_FLOW: (
        "Choose one: maica-xero config set flow NAME (maica-xero flows describes them)."
    ),
    Remedy.CONNECT_MAICA: "Connect to the Maica org first: maica-xero maica connect.",
    Remedy.RECONNECT_MAICA: "Connect to the Maica org again: maica-xero maica connect.",
    Remedy.SET_SF_CLIENT_ID: (
        "Create an External Client App in the Maica org (scopes api and refresh_token, PKCE on, "
        "the redirect URIs registered), then save its consumer key: maica-xero config set "
        "sf-client-id KEY."
    ),
    Remedy.CHECK_SF_LOGIN: (
        "Check maica-xero config get sf-login-url and sf-client-id against the External Client "
        "App, then run maica-xero maica connect again."
    ),
    Remedy.CHECK_MAICA_MAPPING: (
        "Run maica-xero maica check, then correct the fields it lists or confirm them with "
        "maica-xero maica confirm."
    ),
    Remedy.WAIT_FOR_SF_LIMIT: (
        "Run it again tomorrow, or once a Salesforce administrator raises the org's API limit."
    ),
}


def say(item: object) -> str:
    """An error, a notice or plain text, worded for the terminal and made printable."""
    return printable(worded(item, WORDS))
