"""Answers that never came, came late, or came unreadable: never a second copy in Xero.

These are the cases a review found (each one created duplicates before it was fixed); the classic
flow matters most, because without an InvoiceNumber Xero has no uniqueness check to stop a copy.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import requests

from maica_xero_desktop.core.service import Service, internals
from maica_xero_desktop.core.sync import reconcile
from maica_xero_desktop.sandbox import Sandbox
from tests.support.exports import DEMO, SAMPLE

pytestmark = pytest.mark.usefixtures("no_rate_limits")


def _maica_numbers(sandbox: Sandbox, tenant: str) -> Counter[str]:
    """Maica number → copies in Xero (classic keeps it in Reference, the others as the number)."""
    counts: Counter[str] = Counter()
    for invoice in sandbox.invoices(tenant):
        reference = str(invoice.get("Reference") or "")
        number = str(invoice.get("InvoiceNumber") or "")
        counts[reference if reference.startswith("INV-00") else number] += 1
    return counts


def _no_duplicates(sandbox: Sandbox, tenant: str, expected: int = 29) -> None:
    counts = _maica_numbers(sandbox, tenant)
    assert {n: c for n, c in counts.items() if c > 1} == {}
    assert len(counts) == expected


class _Session(requests.Session):
    """A session whose requests a test may intercept."""

    hook: Callable[..., requests.Response] | None = None

    def request(
        self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any
    ) -> requests.Response:
        if self.hook is not None:
            return self.hook(super().request, method, url, *args, **kwargs)
        return super().request(method, url, *args, **kwargs)


def _ready(service: Service) -> tuple[Service, str]:
    """Signed in, the demo company chosen, the sample imported."""
    if internals(service).secrets.load_tokens() is None:
        service.connect(lambda url: None, timeout=10)
    service.use(DEMO)
    service.sync.import_file(SAMPLE)
    return service, service.settings().active_tenant_id


@pytest.fixture
def demo(connected: Service) -> tuple[Service, str]:
    return _ready(connected)


def test_open_batch_is_reconciled_by_the_flow_that_sent_it(
    make_service: Callable[..., Service], xero_env: Sandbox
) -> None:
    session = _Session()

    def hook(
        real: Callable[..., requests.Response], method: str, url: str, *a: Any, **kw: Any
    ) -> requests.Response:
        if method == "PUT" and url.endswith("/Invoices") and session.hook is not None:
            session.hook = None  # from the first invoice batch on: no answers, no lookups
            xero_env.add_fault(drop_after_commit="api.PUT.Invoices", count=10)
            xero_env.add_fault(status=503, endpoint="api.GET.Invoices", count=10)
        return real(method, url, *a, **kw)

    session.hook = hook
    service, tenant = _ready(make_service(session=session))
    first = service.sync.run(flow="classic")
    assert first.state == "failed"
    assert service.sync.count_invoices("sending") == 29
    xero_env.clear_faults()
    xero_env.advance_clock(400)  # past the Idempotency-Key's life
    second = service.sync.run(flow="authorised")  # the saved flow, as a schedule would use
    assert second.linked == 29
    assert second.created == 0
    _no_duplicates(xero_env, tenant)


def test_timeout_then_refusal_is_unknown_not_refused(
    make_service: Callable[..., Service], xero_env: Sandbox
) -> None:
    session = _Session()
    first_put = {"done": False}

    def hook(
        real: Callable[..., requests.Response], method: str, url: str, *a: Any, **kw: Any
    ) -> requests.Response:
        if method == "PUT" and url.endswith("/Invoices") and not first_put["done"]:
            first_put["done"] = True
            xero_env.add_fault(drop_after_commit="api.PUT.Invoices", count=1)
            try:
                return real(method, url, *a, **kw)  # Xero commits; the answer is lost
            finally:  # the retry with the same key meets a long 429
                xero_env.add_fault(
                    status=429, endpoint="api.PUT.Invoices", count=1, retry_after=3600
                )
        return real(method, url, *a, **kw)

    session.hook = hook
    service, tenant = _ready(make_service(session=session))
    first = service.sync.run(flow="classic")
    assert first.state == "failed"
    assert "checked before anything is sent again" in first.message
    assert first.linked == 29
    xero_env.advance_clock(400)
    second = service.sync.run(flow="classic")
    assert second.created == 0
    _no_duplicates(xero_env, tenant)


def test_a_slow_xero_finishing_after_the_client_gave_up(
    make_service: Callable[..., Service], xero_env: Sandbox
) -> None:
    service, tenant = _ready(make_service())
    internals(service).http.timeout = (2.0, 0.5)
    xero_env.add_fault(delay_seconds=1.5, endpoint="api.PUT.Invoices", count=4)
    first = service.sync.run(flow="classic")
    assert first.state == "failed"
    # Whatever Xero had finished by the lookup is linked; the rest is kept back, not re-queued.
    assert first.linked + service.sync.count_invoices("sending") == 29
    deadline = time.monotonic() + 15
    while len(xero_env.invoices(tenant)) < 29 and time.monotonic() < deadline:
        time.sleep(0.1)
    internals(service).http.timeout = (10.0, 60.0)
    xero_env.advance_clock(400)
    second = service.sync.run(flow="classic")
    assert second.created == 0
    assert first.linked + second.linked == 29
    _no_duplicates(xero_env, tenant)


def test_a_classic_batch_not_found_after_settling_is_sent_again(
    demo: tuple[Service, str], xero_env: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    service, tenant = demo
    xero_env.add_fault(status=503, endpoint="api.PUT.Invoices", count=1)  # never reached Xero
    first = service.sync.run(flow="classic")
    assert first.state == "failed"
    assert service.sync.count_invoices("sending") == 29
    again = service.sync.run(flow="classic")
    assert again.created == 0  # still settling: nothing is sent
    assert "may still be on the way" in again.message
    monkeypatch.setattr(reconcile, "SETTLE_S", 0.0)
    settled = service.sync.run(flow="classic")
    assert settled.created == 29
    _no_duplicates(xero_env, tenant)


def test_reimport_while_sending_is_flagged_changed(
    demo: tuple[Service, str], xero_env: Sandbox, tmp_path: Path
) -> None:
    service, _ = demo
    xero_env.add_fault(drop_after_commit="api.PUT.Invoices", count=10)
    xero_env.add_fault(status=503, endpoint="api.GET.Invoices", count=10)
    service.sync.run()
    assert service.sync.count_invoices("sending") == 29
    xero_env.clear_faults()
    corrected = tmp_path / "corrected.csv"
    corrected.write_text(
        SAMPLE.read_text(encoding="utf-8").replace(",2.5,193.99,210,", ",2.5,250.00,210,"),
        encoding="utf-8",
    )
    service.sync.import_file(corrected)
    service.sync.run()
    rows = {r.invoice_number: r for r in service.sync.invoices()}
    assert rows["INV-002403"].state == "changed"
    assert "while it was being sent" in rows["INV-002403"].message
    assert rows["INV-002402"].state == "synced"


def test_an_unreadable_success_is_looked_up_not_failed(
    make_service: Callable[..., Service], xero_env: Sandbox
) -> None:
    session = _Session()
    mangled = {"done": False}

    def hook(
        real: Callable[..., requests.Response], method: str, url: str, *a: Any, **kw: Any
    ) -> requests.Response:
        response = real(method, url, *a, **kw)
        if method == "PUT" and url.endswith("/Invoices") and not mangled["done"]:
            mangled["done"] = True
            response._content = b'{"Invoices": [{"InvoiceID": "trunc'  # cut short by a proxy
        return response

    session.hook = hook
    service, tenant = _ready(make_service(session=session))
    first = service.sync.run(flow="classic")
    assert first.failed == 0
    assert first.linked == 29
    xero_env.advance_clock(400)
    assert service.sync.run(flow="classic").created == 0
    _no_duplicates(xero_env, tenant)


def test_a_voided_invoice_with_the_number_is_not_linked(
    demo: tuple[Service, str], xero_env: Sandbox, second_home: Callable[[Service, str], Service]
) -> None:
    service, tenant = demo
    service.sync.run()
    xero_env.void(invoice_number="INV-002403", tenant_id=tenant)
    fresh = second_home(service, "fresh-install")
    result = fresh.sync.run()
    (outcome,) = [o for o in result.outcomes if o.invoice_number == "INV-002403"]
    assert outcome.outcome == "failed"
    assert "voided there" in outcome.message
