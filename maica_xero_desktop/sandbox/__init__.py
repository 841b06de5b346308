"""An offline Xero for development and tests: identity (OAuth 2.0 with PKCE), connections and
the Accounting API on 127.0.0.1, with admin endpoints under ``/_sandbox/`` for fault injection.

It shares no code with ``maica_xero_desktop.core``: both are checked against Xero's OpenAPI files.
"""

from .config import SandboxConfig, SandboxOrg, SandboxUser
from .ledger import LedgerEvent
from .server import Sandbox, serve

__all__ = ["LedgerEvent", "Sandbox", "SandboxConfig", "SandboxOrg", "SandboxUser", "serve"]
