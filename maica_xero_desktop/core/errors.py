"""Domain exceptions: each carries the one sentence a user reads.

The GUI and the CLI show ``str(error)`` as it is; nothing here may contain a secret. Details
for support (status codes, Xero's own wording, already redacted) go in ``detail``.
"""

from __future__ import annotations


class MaicaXeroError(Exception):
    """Base of every error the user is meant to read."""

    #: Process exit code the CLI uses for this kind of error.
    exit_code = 2

    def __init__(self, sentence: str, *, detail: str = "") -> None:
        super().__init__(sentence)
        self.sentence = sentence
        self.detail = detail


class IntegrationDisabled(MaicaXeroError):
    def __init__(self) -> None:
        super().__init__(
            "The Xero integration is turned off, so nothing is sent to Xero. "
            "Turn it on first (maica-xero enable, or the Enable switch in the window)."
        )


class ConfigurationError(MaicaXeroError):
    """A setting is missing or invalid."""


class KeyringUnavailable(MaicaXeroError):
    """No usable secure keyring, or it is locked."""


class SettingsError(MaicaXeroError):
    """The settings file could not be written."""


class AuthorizationError(MaicaXeroError):
    """The browser sign-in did not complete (denied, timed out, cancelled, mismatched)."""


class AuthorizationCancelled(AuthorizationError):
    pass


class NotConnected(MaicaXeroError):
    def __init__(self) -> None:
        super().__init__(
            "This computer is not connected to Xero. Connect first (maica-xero connect)."
        )


class NeedsReconnect(MaicaXeroError):
    """Xero no longer accepts the saved sign-in (invalid_grant): the user must connect again."""


class XeroUnavailable(MaicaXeroError):
    """Xero could not be reached or answered with a server error."""


class XeroRequestError(MaicaXeroError):
    """Xero refused a request (4xx other than the cases below)."""

    def __init__(self, sentence: str, *, status: int = 0, detail: str = "") -> None:
        super().__init__(sentence, detail=detail)
        self.status = status


class TenantUnavailable(XeroRequestError):
    """403 AuthenticationUnsuccessful: the organisation is not (or no longer) connected."""


class RateLimited(XeroRequestError):
    """429 that we did not (or could not) wait out."""

    def __init__(
        self, sentence: str, *, problem: str, retry_after: float, status: int = 429
    ) -> None:
        super().__init__(sentence, status=status)
        self.problem = problem
        self.retry_after = retry_after


class NoActiveOrganisation(MaicaXeroError):
    def __init__(self) -> None:
        super().__init__(
            "No Xero organisation is selected. Choose one with maica-xero use TENANT "
            "(maica-xero connections lists them)."
        )


class UnknownOrganisation(MaicaXeroError):
    pass
