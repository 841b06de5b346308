"""Organisations: select, disconnect, none left, practices, a vanished demo company, limits."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from maica_xero_desktop.core.errors import (
    RateLimited,
    TenantUnavailable,
    UnknownOrganisation,
)
from maica_xero_desktop.core.service import Service, internals

from .conftest import SandboxAdmin


def test_disconnect_one_clears_it_when_active(connected: Service, admin: SandboxAdmin) -> None:
    connected.use("Demo Company (AU)")
    gone = connected.disconnect("Demo Company (AU)")
    assert gone.tenant_name == "Demo Company (AU)"
    assert connected.settings().active_tenant_id == ""
    view = connected.connections()
    assert [c.tenant_name for c in view.connections] == ["Maica Care Services Pty Ltd"]
    assert admin.count("connections.delete") == 1


def test_single_organisation_is_selected_on_connect(connected: Service) -> None:
    connected.disconnect("Demo Company (AU)")
    connected.connect(lambda url: None, timeout=10)  # auto-consent grants both again
    connected.disconnect("Demo Company (AU)")
    view = connected.connections(refresh=True, auto_select=True)
    assert connected.settings().active_tenant_name == "Maica Care Services Pty Ltd"
    assert any("now the active organisation" in m for m in view.messages)


def test_no_organisations_left_is_explained(connected: Service) -> None:
    for name in ("Demo Company (AU)", "Maica Care Services Pty Ltd"):
        connected.disconnect(name)
    view = connected.connections()
    assert view.connections == ()
    assert any("no organisations" in m for m in view.messages)


def test_practice_is_listed_but_cannot_be_used(service: Service, admin: SandboxAdmin) -> None:
    admin.post("practice")
    result = service.connect(lambda url: None, timeout=10)
    practice = [c for c in result.view.connections if c.tenant_type == "PRACTICE"]
    assert len(practice) == 1
    assert not practice[0].can_receive_invoices
    with pytest.raises(UnknownOrganisation, match="invoices cannot be sent to it"):
        service.use(practice[0].tenant_id)


def test_vanished_demo_company(connected: Service, admin: SandboxAdmin) -> None:
    connected.use("Demo Company (AU)")
    old_id = connected.settings().active_tenant_id
    admin.post("reset-demo")
    with pytest.raises(TenantUnavailable, match="no longer connected") as info:
        internals(connected).xero.accounting("GET", "Organisation", old_id)
    assert info.value.status == 403
    view = connected.connections()
    assert any("no longer connected" in m for m in view.messages)
    status = connected.status()
    assert status.active_tenant_state == "missing"
    assert any("Demo Company (AU)" in m for m in status.messages)
    with pytest.raises(UnknownOrganisation):
        connected.active_tenant()


def test_minute_limit_is_waited_out(
    make_service: Callable[..., Service], admin: SandboxAdmin
) -> None:
    waits: list[float] = []

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        admin.advance(seconds)

    service = make_service(sleep=sleep)
    service.connect(lambda url: None, timeout=10)
    tenant = service.use("Maica Care Services Pty Ltd")["tenantId"]
    for _ in range(65):
        internals(service).xero.accounting("GET", "Organisation", tenant)
    assert waits, "the 61st call in a minute must hit the limit and wait"
    assert all(0 < w <= 60 for w in waits)
    limits = internals(service).limits.get(tenant)
    assert limits.minute_remaining is not None
    assert limits.day_remaining is not None
    assert limits.last_problem == "minute"


def test_day_limit_stops_with_reset_time(connected: Service, admin: SandboxAdmin) -> None:
    tenant = connected.use("Maica Care Services Pty Ltd")["tenantId"]
    admin.post("limits", {"day": 3})
    for _ in range(3):
        internals(connected).xero.accounting("GET", "Organisation", tenant)
    with pytest.raises(RateLimited, match=r"daily limit .* resets around"):
        internals(connected).xero.accounting("GET", "Organisation", tenant)
