"""The window's words for the core's remedies: buttons and fields a person can see, never a
command or a flag. ``say(error)`` is what a panel shows for a service error or notice."""

from __future__ import annotations

from collections.abc import Mapping

from ..core.errors import Remedy, RemedyWords, worded
from ..core.textsafe import printable

KEYRING_GUIDE = "the user guide's section “A server without a desktop keyring”"


def _choose(facts: Mapping[str, str]) -> str:
    text = (
        "Choose the organisation to work with: select it in Active Connections and press "
        "“Use this organisation”"
    )
    if facts.get("also") == "connect":
        return text + ", or press “Connect to Xero…” to connect again."
    return text + "."


WORDS: RemedyWords = {
    Remedy.ENABLE: "Turn it on first: tick “Enable the Xero integration” on the Enable page.",
    Remedy.CONNECT: "Connect to Xero first: press “Connect to Xero…” in Active Connections.",
    Remedy.RECONNECT: "Connect to Xero again: press “Reconnect…” in Active Connections.",
    Remedy.CHOOSE_ORGANISATION: _choose,
    Remedy.SET_CLIENT_ID: (
        "Then paste its client id in Active Connections and press “Save client id”."
    ),
    Remedy.CHECK_CLIENT_ID: (
        "Compare it with the client id this computer uses (shown in Active Connections), then "
        "connect again."
    ),
    Remedy.FREE_REDIRECT_PORT: "Close the program using them, then connect again.",
    Remedy.SET_WEBHOOK_SITE: "Enter it under “Webhook site” and press “Save site”.",
    Remedy.SET_WEBHOOK_KEY: (
        "Copy the webhook key from the Webhooks tab of your app in Xero's developer portal, paste "
        "it under “Webhook key” and press “Save key”."
    ),
    Remedy.CHOOSE_RECEIVER_PORT: "Choose another port next to “Start receiver”.",
    Remedy.CHOOSE_RECEIVER_HOST: "Choose another address next to “Start receiver”.",
    Remedy.CHOOSE_FLOW: "Choose one under “Flow” in Synchronisation.",
    Remedy.SET_UP_KEYRING: (
        "Start your desktop's keyring service (GNOME Keyring or KWallet on Linux, Keychain on "
        f"macOS, Credential Manager on Windows) and try again; see {KEYRING_GUIDE}."
    ),
    Remedy.UNLOCK_KEYRING: (
        "Unlock it (sign in to your desktop session or open your keyring manager) and try again."
    ),
    Remedy.CONNECT_MAICA: "Connect first: press “Connect to Maica…” in Active Connections.",
    Remedy.RECONNECT_MAICA: "Connect again: press “Reconnect to Maica…” in Active Connections.",
    Remedy.SET_SF_CLIENT_ID: (
        "Create an External Client App in the Maica org (scopes api and refresh_token, PKCE on, "
        "the callback URLs registered), then paste its consumer key under “Maica org” in Active "
        "Connections and press “Connect to Maica…”."
    ),
    Remedy.CHECK_SF_LOGIN: (
        "Check the login host and consumer key under “Maica org” in Active Connections, then "
        "connect again."
    ),
    Remedy.CHECK_MAICA_MAPPING: (
        "Press “Mapping details…” under “Maica org” in Active Connections, then correct the "
        "fields it lists or press “Confirm field names”."
    ),
    Remedy.WAIT_FOR_SF_LIMIT: (
        "Run it again tomorrow, or once a Salesforce administrator raises the org's API limit."
    ),
}


def say(item: object) -> str:
    """An error, a notice or plain text, worded for the window (outside text made printable)."""
    return printable(worded(item, WORDS), keep_newlines=True)
