"""Every state name the program stores, compares or prints, defined once.

Each is a ``StrEnum``: a member *is* its string (``LinkState.SYNCED == "synced"``), so the values in
the store, in ``--json`` and in the log stay exactly what they were. The store's CHECK constraints,
the README's ``--json`` table, the CLI's ``invoices --state`` choices and the window's filter are
tested against these definitions (tests/unit/test_states.py), so the documented lists cannot drift.
"""

from __future__ import annotations

from enum import StrEnum


class LinkState(StrEnum):
    """Where one Maica invoice stands in one Xero organisation (``xero_links.state``)."""

    PENDING = "pending"  # waiting to be sent by the chosen flow
    BLOCKED = "blocked"  # pre-flight found what Xero would refuse
    SENDING = "sending"  # in a batch whose answer has not been recorded yet
    SYNCED = "synced"  # in Xero
    FAILED = "failed"  # Xero refused it
    CHANGED = "changed"  # re-imported with other content after it was sent
    CONFLICT = "conflict"  # Xero holds a different invoice under this number
    NOT_ELIGIBLE = "not_eligible"  # the chosen flow does not send it


class RunOutcome(StrEnum):
    """What one run did with one invoice (``run_results.outcome``, ``sync --json`` outcomes).

    ``PENDING`` never reaches the store: it puts the invoice back in the queue.
    """

    CREATED = "created"
    LINKED = "linked"
    BLOCKED = "blocked"
    FAILED = "failed"
    CONFLICT = "conflict"
    UNKNOWN = "unknown"  # the answer was lost: the batch is reconciled before anything is re-sent
    PENDING = "pending"


#: the link state each run outcome leaves (an outcome not listed leaves the link alone)
LINK_STATE_OF: dict[str, LinkState] = {
    RunOutcome.CREATED: LinkState.SYNCED,
    RunOutcome.LINKED: LinkState.SYNCED,
    RunOutcome.BLOCKED: LinkState.BLOCKED,
    RunOutcome.FAILED: LinkState.FAILED,
    RunOutcome.CONFLICT: LinkState.CONFLICT,
    RunOutcome.UNKNOWN: LinkState.SENDING,
    RunOutcome.PENDING: LinkState.PENDING,
}


class RunState(StrEnum):
    """How a run ended, or that it is still going (``runs.state``)."""

    RUNNING = "running"
    FINISHED = "finished"
    FAILED = "failed"
    CANCELLED = "cancelled"


class BatchState(StrEnum):
    """The batch journal (``batches.state``): written before a request leaves."""

    SENDING = "sending"
    DONE = "done"
    UNKNOWN = "unknown"  # the answer was lost
    RECONCILED = "reconciled"


class EventState(StrEnum):
    """A stored webhook event (``webhook_events.status``)."""

    NEW = "new"
    PROCESSED = "processed"
    IGNORED = "ignored"
    FAILED = "failed"


class TokenState(StrEnum):
    """The sign-in, as ``status`` reports it (``token_state``)."""

    NONE = "none"
    NEEDS_RECONNECT = "needs_reconnect"
    VALID = "valid"
    EXPIRED = "expired"  # the access token; the refresh token renews it on the next call
    UNAVAILABLE = "unavailable"  # the keyring could not be read


#: signed in (an expired access token is renewed by the next call)
SIGNED_IN = (TokenState.VALID, TokenState.EXPIRED)
#: not signed in: the window offers to connect
SIGNED_OUT = (TokenState.NONE, TokenState.NEEDS_RECONNECT)


class TenantState(StrEnum):
    """The chosen organisation against the last connection list (``active_tenant_state``)."""

    NONE = "none"
    UNKNOWN = "unknown"  # no connection list fetched yet
    OK = "ok"
    MISSING = "missing"  # no longer among the connections
