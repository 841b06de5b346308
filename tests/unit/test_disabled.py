"""While the integration is off, no code path sends anything to Xero."""

from __future__ import annotations

import socket
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from maica_xero_desktop.core.errors import IntegrationDisabled
from maica_xero_desktop.core.secrets import TokenSet
from maica_xero_desktop.core.service import Service, internals
from tests.support.transport import no_network_session, unused


@pytest.fixture
def service(home: Path) -> Service:
    session, _ = no_network_session()
    svc = Service(session=session, browser=unused)
    svc.config_set("client-id", "CLIENTID1234567890")
    internals(svc).secrets.save_tokens(
        TokenSet(
            access_token="expired-access-1",
            refresh_token="refresh-abcdef-1",
            expires_at=0.0,
            obtained_at=0.0,
        )
    )
    return svc


ACTIONS: dict[str, Callable[[Service], Any]] = {
    "connect": lambda s: s.connect(lambda url: None, timeout=1),
    "connections": lambda s: s.connections(refresh=True),
    "use": lambda s: s.use("anything"),
    "disconnect": lambda s: s.disconnect("anything"),
    "logout": lambda s: s.logout(),
    "refresh": lambda s: internals(s).tokens.refresh(),
    "access_token": lambda s: internals(s).tokens.access_token(),
    "accounting": lambda s: internals(s).xero.accounting("GET", "Organisation", "tenant"),
    "identity": lambda s: s._identity().revoke("refresh-abcdef-1"),
}


@pytest.mark.parametrize("action", sorted(ACTIONS))
def test_disabled_sends_nothing(service: Service, action: str) -> None:
    session = internals(service).http.session
    with pytest.raises(IntegrationDisabled, match="turned off"):
        ACTIONS[action](service)
    adapter = session.get_adapter("https://api.xero.com")
    assert getattr(adapter, "attempts", None) == []
    assert internals(service).secrets.load_tokens() is not None, (
        "a refused action must not forget the sign-in"
    )


def test_connect_does_not_open_the_loopback_port_when_disabled(service: Service) -> None:
    # A port free now (the default ones may be in use by another program on a shared machine).
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    service.config_set("redirect-ports", str(port))
    with pytest.raises(IntegrationDisabled):
        service.connect(lambda url: pytest.fail("no URL may be shown"), timeout=1)
    with socket.socket() as s:
        assert s.connect_ex(("127.0.0.1", port)) != 0


def test_enabled_then_disabled_again(service: Service) -> None:
    service.set_enabled(True)
    assert service.is_enabled()
    service.set_enabled(False)
    with pytest.raises(IntegrationDisabled):
        service.connections()


def test_local_logout_works_while_disabled(service: Service) -> None:
    assert service.logout(local_only=True) is False
    assert internals(service).secrets.load_tokens() is None
