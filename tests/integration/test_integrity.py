"""Never a wrong link, never a duplicate: a different invoice under the same number is a conflict,
and a lost, emptied or older store looks up what Xero holds before it sends anything."""

from __future__ import annotations

import json
import re
import shutil
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from maica_xero_desktop.cli import main
from maica_xero_desktop.core.errors import SettingsError
from maica_xero_desktop.core.service import Service, internals
from maica_xero_desktop.core.settings import SettingsStore
from maica_xero_desktop.core.store.events import IncomingEvent
from maica_xero_desktop.core.sync import PaymentSync
from maica_xero_desktop.sandbox import Sandbox
from tests.contract.openapi import ACCOUNTING, _resolve_local, find_path, load_spec, operation
from tests.support.exports import DEMO, SAMPLE, adam_smith_export, generated

pytestmark = pytest.mark.usefixtures("no_rate_limits")


def _contact(service: Service, tenant: str) -> str:
    body = internals(service).xero.accounting(
        "PUT",
        "Contacts",
        tenant,
        json={"Contacts": [{"Name": "Adam Smith", "ContactNumber": "P-000101"}]},
    )
    return str(body["Contacts"][0]["ContactID"])


def _xero_invoice(service: Service, tenant: str, contact_id: str, number: str, price: str) -> str:
    """An invoice made in Xero by hand (not by this program's sync)."""
    body = internals(service).xero.accounting(
        "PUT",
        "Invoices",
        tenant,
        json={
            "Invoices": [
                {
                    "Type": "ACCREC",
                    "Contact": {"ContactID": contact_id},
                    "InvoiceNumber": number,
                    "Date": "2026-10-20",
                    "DueDate": "2026-11-03",
                    "LineAmountTypes": "Exclusive",
                    "Status": "AUTHORISED",
                    "CurrencyCode": "AUD",
                    "LineItems": [
                        {
                            "Description": "By hand",
                            "Quantity": 1,
                            "UnitAmount": float(price),
                            "AccountCode": "200",
                            "TaxType": "EXEMPTOUTPUT",
                        }
                    ],
                }
            ]
        },
    )
    return str(body["Invoices"][0]["InvoiceID"])


def _row(service: Service, number: str) -> Any:
    return next(r for r in service.sync.invoices() if r.invoice_number == number)


def _by_reference(sandbox: Sandbox, tenant: str) -> Counter[str]:
    return Counter(str(i.get("Reference") or "") for i in sandbox.invoices(tenant))


# -- item 1: never link a different invoice ---------------------------------------------------


def test_a_different_invoice_under_the_number_is_a_conflict_and_never_paid(
    connected: Service, xero_env: Sandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    connected.use(DEMO)
    tenant = connected.settings().active_tenant_id
    xero_id = _xero_invoice(connected, tenant, _contact(connected, tenant), "INV-777", "100.00")
    connected.sync.import_file(adam_smith_export(tmp_path, ("INV-777", "999.00")))

    code = main(["sync"])
    out = capsys.readouterr().out
    assert code == 1
    assert re.search(r"INV-777\s+conflict\s", out), out
    assert "its total before tax is 100.00, not 999.00" in out
    row = _row(connected, "INV-777")
    assert (row.state, row.xero_invoice_id) == ("conflict", None)
    _lines, text = connected.invoice_detail(row.id, tenant)
    detail = json.loads(text)
    assert detail["maica"]["total"] == "999.00"
    assert detail["xero"]["invoice_id"] == xero_id
    assert detail["xero"]["total"] in ("100", "100.0", "100.00")
    assert (detail["maica"]["lines"], detail["xero"]["lines"]) == (1, 1)
    run = connected.sync.history(limit=1)[0]
    assert "1 invoice in conflict" in run.message
    assert run.conflict == 1
    assert run.to_json()["conflict"] == 1

    xero_env.pay(100, invoice_number="INV-777", tenant_id=tenant)
    assert connected.sync.refresh_payments() == 0
    assert (
        PaymentSync(internals(connected).xero, internals(connected).store, tenant).fetch([xero_id])
        == 0
    )
    event = IncomingEvent(
        tenant, "ORGANISATION", "INVOICE", "UPDATE", xero_id, "", "2026-11-27T07:00:00.000"
    )
    internals(connected).store.add_webhook_events("delivery-1", [event])
    report = connected.webhooks.process_now()
    assert (report.ignored, report.changed) == (1, 0)
    row = _row(connected, "INV-777")
    assert (row.status, row.amount_paid, row.xero_status) == ("Not Paid", None, None)

    assert connected.sync.retry_failed() == 0  # retry never re-sends a conflict
    again = connected.sync.run()
    assert (again.conflict, again.created, again.linked) == (1, 0, 0)
    assert not again.complete
    numbers = Counter(str(i["InvoiceNumber"]).upper() for i in xero_env.invoices(tenant))
    assert numbers["INV-777"] == 1


def test_a_number_differing_only_in_case_is_the_same_xero_number(
    connected: Service, xero_env: Sandbox, tmp_path: Path
) -> None:
    connected.use(DEMO)
    tenant = connected.settings().active_tenant_id
    contact = _contact(connected, tenant)
    _xero_invoice(connected, tenant, contact, "inv-778", "100.00")  # a different invoice
    same = _xero_invoice(connected, tenant, contact, "inv-779", "250.00")  # this very one
    connected.sync.import_file(
        adam_smith_export(tmp_path, ("INV-778", "250.00"), ("INV-779", "250.00"))
    )
    result = connected.sync.run()
    outcomes = {o.invoice_number: o for o in result.outcomes}
    assert outcomes["INV-778"].outcome == "conflict"
    assert "numbered inv-778" in outcomes["INV-778"].message
    assert outcomes["INV-779"].outcome == "linked"
    assert (outcomes["INV-779"].xero_invoice_id, outcomes["INV-779"].xero_invoice_number) == (
        same,
        "inv-779",
    )
    assert (result.conflict, result.created) == (1, 0)
    assert len(xero_env.invoices(tenant)) == 2


def test_a_number_with_a_comma_is_looked_up_on_its_own(
    connected: Service, xero_env: Sandbox, tmp_path: Path
) -> None:
    connected.use(DEMO)
    tenant = connected.settings().active_tenant_id
    _xero_invoice(connected, tenant, _contact(connected, tenant), "INV,784", "100.00")
    connected.sync.import_file(adam_smith_export(tmp_path, ('"INV,784"', "999.00")))
    result = connected.sync.run()
    assert [(o.invoice_number, o.outcome) for o in result.outcomes] == [("INV,784", "conflict")]


def test_an_open_batch_whose_lookup_finds_another_invoice_is_a_conflict(
    make_service: Callable[..., Service], xero_env: Sandbox, tmp_path: Path
) -> None:
    session = _Session()

    def hook(
        real: Callable[..., requests.Response], method: str, url: str, *a: Any, **kw: Any
    ) -> requests.Response:
        if method == "PUT" and url.endswith("/Invoices") and session.armed:
            session.armed = False  # the batch's answer is lost, and so are the lookups
            xero_env.add_fault(drop_after_commit="api.PUT.Invoices", count=10)
            xero_env.add_fault(status=503, endpoint="api.GET.Invoices", count=10)
        return real(method, url, *a, **kw)

    session.hook = hook
    service = make_service(session=session)
    service.connect(lambda url: None, timeout=10)
    service.use(DEMO)
    tenant = service.settings().active_tenant_id
    _xero_invoice(service, tenant, _contact(service, tenant), "INV-780", "100.00")
    service.sync.import_file(
        adam_smith_export(tmp_path, ("INV-780", "999.00"), ("INV-781", "50.00"))
    )
    session.armed = True
    first = service.sync.run()
    assert first.state == "failed"
    assert service.sync.count_invoices("sending") == 2
    xero_env.clear_faults()
    second = service.sync.run()
    outcomes = {o.invoice_number: o.outcome for o in second.outcomes}
    assert outcomes == {"INV-780": "conflict", "INV-781": "linked"}
    assert _row(service, "INV-780").xero_invoice_id is None
    assert len(xero_env.invoices(tenant)) == 2


def test_a_conflict_resolves_once_the_xero_invoice_is_renumbered(
    connected: Service, xero_env: Sandbox, tmp_path: Path
) -> None:
    connected.use(DEMO)
    tenant = connected.settings().active_tenant_id
    foreign = _xero_invoice(connected, tenant, _contact(connected, tenant), "INV-782", "100.00")
    connected.sync.import_file(adam_smith_export(tmp_path, ("INV-782", "999.00")))
    assert connected.sync.run().conflict == 1
    internals(connected).xero.accounting(
        "POST",
        "Invoices",
        tenant,
        json={"Invoices": [{"InvoiceID": foreign, "InvoiceNumber": "HAND-782"}]},
    )
    xero_env.advance_clock(400)  # past the Idempotency-Key's life (the same batch is sent)
    result = connected.sync.run()
    assert (result.conflict, result.created) == (0, 1)
    assert result.complete
    assert _row(connected, "INV-782").state == "synced"


def test_a_matching_total_within_a_cent_per_line_is_linked(
    connected: Service, xero_env: Sandbox, tmp_path: Path
) -> None:
    connected.use(DEMO)
    tenant = connected.settings().active_tenant_id
    _xero_invoice(connected, tenant, _contact(connected, tenant), "INV-783", "120.01")
    connected.sync.import_file(adam_smith_export(tmp_path, ("INV-783", "120.00")))
    result = connected.sync.run()
    assert (result.linked, result.conflict, result.created) == (1, 0, 0)


# -- item 2: a lost or emptied store never duplicates -----------------------------------------


def _empty_the_store(service: Service) -> None:
    path = service.paths.database_file
    service.close()
    path.write_bytes(b"")  # a 0-byte maica.db: SQLite makes a new, empty database of it
    for suffix in ("-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def test_an_emptied_store_then_classic_sync_duplicates_nothing(
    connected: Service, xero_env: Sandbox
) -> None:
    connected.use(DEMO)
    tenant = connected.settings().active_tenant_id
    connected.sync.import_file(SAMPLE)
    assert connected.sync.run(flow="classic").created == 29
    _empty_the_store(connected)
    connected.sync.import_file(SAMPLE)
    assert any("not the one that sent invoices" in m for m in connected.status().messages)
    preview = connected.sync.run(flow="classic", dry_run=True)
    assert "a real run looks its invoices up in Xero" in preview.message
    xero_env.advance_clock(400)  # past the Idempotency-Key's life: only the lookup protects
    result = connected.sync.run(flow="classic")
    assert (result.created, result.linked) == (0, 29)
    assert "not the one that sent invoices" in result.message
    references = _by_reference(xero_env, tenant)
    assert len(references) == 29
    assert max(references.values()) == 1
    assert connected.sync.run(flow="classic").linked == 0  # remembered now: no second look
    assert not any("not the one" in m for m in connected.status().messages)


def test_a_new_home_with_the_classic_flow_asks_xero_first(
    connected: Service, xero_env: Sandbox, second_home: Callable[[Service, str], Service]
) -> None:
    connected.use(DEMO)
    tenant = connected.settings().active_tenant_id
    connected.sync.import_file(SAMPLE)
    connected.sync.run(flow="classic")
    fresh = second_home(connected, "new-computer")
    result = fresh.sync.run(flow="classic")
    assert (result.created, result.linked) == (0, 29)
    assert "holds 29 invoices sent by this program that this invoice database does not know" in (
        result.message
    )
    assert max(_by_reference(xero_env, tenant).values()) == 1


def _two_exports(folder: Path) -> tuple[Path, Path]:
    """Two exports of the same participants whose invoice numbers never meet (INV-…, B-…)."""
    first = generated(folder, 20, participants=8, seed=1)
    second = folder / "second.csv"
    second.write_bytes(
        generated(folder, 30, participants=8, seed=2).read_bytes().replace(b"INV-", b"B-")
    )
    return first, second


def test_a_store_restored_from_an_older_backup_links_what_it_forgot(
    connected: Service, xero_env: Sandbox, tmp_path: Path
) -> None:
    connected.use(DEMO)
    tenant = connected.settings().active_tenant_id
    first, second = _two_exports(tmp_path)
    connected.sync.import_file(first)
    sent_first = connected.sync.run(flow="classic").created
    database = connected.paths.database_file
    connected.close()
    backup = tmp_path / "backup.db"
    shutil.copyfile(database, backup)
    connected.sync.import_file(second)
    sent_second = connected.sync.run(flow="classic").created
    assert sent_first
    assert sent_second
    connected.close()
    shutil.copyfile(backup, database)  # the backup knows only the first export's invoices
    connected.sync.import_file(second)
    xero_env.advance_clock(400)
    result = connected.sync.run(flow="classic")
    assert (result.created, result.linked) == (0, sent_second)
    assert "restored from an older backup" in result.message
    assert max(_by_reference(xero_env, tenant).values()) == 1


def test_settings_and_store_restored_from_one_backup_ask_xero(
    connected: Service, xero_env: Sandbox, tmp_path: Path
) -> None:
    """The home remembers nothing newer than the backup: only Xero knows what was sent since."""
    connected.use(DEMO)
    tenant = connected.settings().active_tenant_id
    first, second = _two_exports(tmp_path)
    connected.sync.import_file(first)
    connected.sync.run(flow="classic")
    quiet = connected.sync.run(flow="classic")
    assert quiet.linked == 0  # nothing unknown in Xero: no lookups
    files = [connected.paths.database_file, connected.paths.settings_file]
    connected.close()
    for path in files:
        shutil.copyfile(path, tmp_path / f"backup-{path.name}")
    connected.sync.import_file(second)
    sent_second = connected.sync.run(flow="classic").created
    assert sent_second
    connected.close()
    for path in files:
        shutil.copyfile(tmp_path / f"backup-{path.name}", path)
    connected.sync.import_file(second)
    xero_env.advance_clock(400)
    result = connected.sync.run(flow="classic")
    assert (result.created, result.linked) == (0, sent_second)
    assert max(_by_reference(xero_env, tenant).values()) == 1


def test_settings_that_cannot_be_written_do_not_stop_a_sync(
    connected: Service, xero_env: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    connected.use(DEMO)
    connected.sync.import_file(SAMPLE)

    def refuse(self: SettingsStore, change: Any) -> None:
        raise SettingsError("The settings could not be saved (read-only).")

    monkeypatch.setattr(SettingsStore, "update", refuse)
    result = connected.sync.run()
    assert (result.state, result.created) == ("finished", 29)
    assert connected.settings().store_memory == []


@pytest.mark.parametrize("flow", ["authorised", "classic"])
def test_looking_up_a_lost_store_costs_one_call_per_40_invoices(
    connected: Service, xero_env: Sandbox, tmp_path: Path, flow: str
) -> None:
    connected.use(DEMO)
    tenant = connected.settings().active_tenant_id
    export = generated(tmp_path, 1000, lines=2, participants=60, seed=11)
    connected.sync.import_file(export)
    sent = connected.sync.run(flow=flow).created
    assert sent > 500
    _empty_the_store(connected)
    connected.sync.import_file(export)
    xero_env.advance_clock(400)
    before = xero_env.stats()["tenants"][tenant]["calls"].get("api.GET.Invoices", 0)
    result = connected.sync.run(flow=flow)
    lookups = xero_env.stats()["tenants"][tenant]["calls"]["api.GET.Invoices"] - before
    assert (result.created, result.linked) == (0, sent)
    assert lookups <= -(-sent // 40) + 1
    print(f"{flow}: {sent} invoices looked up in {lookups} calls ({result.api_calls} in all)")


@pytest.mark.parametrize("flow", ["authorised", "classic"])
def test_lookups_use_only_what_xero_declares(
    make_service: Callable[..., Service], xero_env: Sandbox, flow: str
) -> None:
    """The lookups (numbers, references joined with OR, createdByMyApp, If-Modified-Since) ask
    only with query parameters Xero's OpenAPI file declares for GET /Invoices."""
    sent: list[requests.PreparedRequest] = []
    session = requests.Session()
    session.hooks["response"].append(lambda response, *a, **kw: sent.append(response.request))
    service = make_service(session=session)
    service.connect(lambda url: None, timeout=10)
    service.use(DEMO)
    service.sync.import_file(SAMPLE)
    service.sync.run(flow=flow)
    _empty_the_store(service)
    service.sync.import_file(SAMPLE)
    assert service.sync.run(flow=flow).linked == 29
    path = "/api.xro/2.0/Invoices"
    spec_path = find_path(ACCOUNTING, path)
    declared = [
        _resolve_local(ACCOUNTING, p)
        for p in [
            *load_spec(ACCOUNTING)["paths"][spec_path].get("parameters", []),
            *operation(ACCOUNTING, path, "GET").get("parameters", []),
        ]
    ]
    names = {p["name"] for p in declared if isinstance(p, dict) and p.get("in") == "query"}
    lookups = [r for r in sent if r.method == "GET" and urlsplit(r.url or "").path == path]
    assert lookups
    for request in lookups:
        used = set(parse_qs(urlsplit(request.url or "").query))
        assert used <= names, f"undeclared {used - names}"
        assert "page" in used  # only then does Xero include the lines the comparison needs
        if "where" in used:
            where = parse_qs(urlsplit(request.url or "").query)["where"][0]
            assert where.count(" OR ") == where.count("Reference==") - 1


class _Session(requests.Session):
    """A session whose requests a test may intercept."""

    hook: Callable[..., requests.Response] | None = None
    armed = False

    def request(
        self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any
    ) -> requests.Response:
        if self.hook is not None:
            return self.hook(super().request, method, url, *args, **kwargs)
        return super().request(method, url, *args, **kwargs)
