"""Organisation names for tenant ids, from everything this computer remembers — so a list of past
events or runs names its organisations even after sign-out (when the saved organisation list and
the active organisation are gone). Runs on a worker thread."""

from __future__ import annotations

from ..core.service import Service

RUNS_READ = 200


def organisation_names(service: Service) -> dict[str, str]:
    """Tenant id (lower case) → name: past runs, then the saved organisation list, then the active
    organisation (each later source is the more recent, so its name wins)."""
    names = {
        run.tenant_id.lower(): run.tenant_name
        for run in reversed(service.sync.history(limit=RUNS_READ))
        if run.tenant_name
    }
    for connection in service.saved_connections():
        names[connection.tenant_id.lower()] = connection.tenant_name
    settings = service.settings()
    if settings.active_tenant_id and settings.active_tenant_name:
        names[settings.active_tenant_id.lower()] = settings.active_tenant_name
    return names
