"""Demo mode end to end, and the real start-up path in a separate process."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator

import keyring
import pytest
from pytestqt.qtbot import QtBot

from maica_xero_desktop.demo import PAYMENT_OBJECT, DemoContext, DemoKeyring, start_demo
from maica_xero_desktop.gui.main_window import DEMO_BANNER, MainWindow
from maica_xero_desktop.gui.resources import resource_path

from .conftest import ROOT, WAIT_MS, idle


@pytest.fixture
def demo(monkeypatch: pytest.MonkeyPatch) -> Iterator[DemoContext]:
    for name in ("MAICA_XERO_HOME", "MAICA_XERO_CLIENT_ID"):
        monkeypatch.delenv(name, raising=False)
    context = start_demo()
    yield context
    context.close()


def test_resources_are_found_from_source() -> None:
    assert resource_path("sample-maica-export.csv").is_file()


def test_demo_runs_the_whole_product_offline(qtbot: QtBot, demo: DemoContext) -> None:
    """Maica → Xero → a payment in Xero → a Payment record in Maica, as a person clicks it."""
    assert isinstance(keyring.get_keyring(), DemoKeyring)
    assert os.environ["MAICA_XERO_HOME"] == str(demo.home)
    assert os.environ["MAICA_XERO_API_URL"] == demo.sandbox.base_url
    assert os.environ["MAICA_XERO_SF_LOGIN_URL"] == demo.sandbox.base_url
    window = MainWindow(demo.service, demo=True)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: window.hub.status is not None, timeout=WAIT_MS)
    idle(qtbot, window)
    assert window.banner is not None
    assert window.banner.text() == DEMO_BANNER
    assert window.enable.toggle.isChecked()
    assert window.hub.source == "maica"  # the demo reads the sandbox's Maica org
    assert window.sync.invoices.model.total == 0
    assert window.sync.source_text == "Source: Maica org (not connected)"

    maica = window.connections.maica
    maica.connect_button.click()  # the demo's own "browser" follows the address
    qtbot.waitUntil(lambda: window.hub.maica_connected and maica.check is not None, timeout=WAIT_MS)
    idle(qtbot, window)
    assert maica.check is not None
    if maica.check.unconfirmed:  # the administrator confirms the names found by label
        demo.service.maica.confirm_mapping()
    window.connections.connect_button.click()
    qtbot.waitUntil(lambda: window.connections.table.rowCount() == 2, timeout=WAIT_MS)
    idle(qtbot, window)
    window.connections.select_tenant(window.connections.view.connections[0].tenant_id)  # type: ignore[union-attr]
    window.connections.use_button.click()
    qtbot.waitUntil(lambda: bool(window.hub.tenant_id), timeout=WAIT_MS)
    idle(qtbot, window)
    assert window.sync.source_text.startswith("Source: Maica org ")
    with qtbot.waitSignal(window.sync.run_finished, timeout=WAIT_MS) as finished:
        window.sync.run_button.click()
    idle(qtbot, window)
    result = finished.args[0]
    assert result.pulled > 30  # the sample's invoices that are not cancelled
    assert result.created > 20
    assert result.written_back >= result.created
    assert f"Maica: {result.pulled} read" in window.sync.result_line.text()
    history = window.sync.history  # the run history shows the Maica side of the run
    assert not history.runs_table.isColumnHidden(9)
    maica_cell = history.runs.data(history.runs.index(0, 9))
    assert maica_cell == (
        f"{result.pulled} read, {result.written_back} written back, {result.maica_calls} calls"
    )

    # a payment in Xero (the sandbox), its webhook, then the Payment record in Maica
    demo_actions = window.demo_webhooks
    assert demo_actions is not None
    qtbot.waitUntil(lambda: window.webhooks.receiver.running, timeout=WAIT_MS)
    demo_actions.button.click()
    idle(qtbot, window)
    assert "Recorded a payment" in window.webhooks.message.text()
    qtbot.waitUntil(lambda: bool(demo.service.sync.invoices(state="synced")), timeout=WAIT_MS)

    def recorded() -> bool:
        demo_actions.maica_button.click()
        idle(qtbot, window)
        return "Payment record" in window.webhooks.message.text() and (
            "PMNT" in window.webhooks.message.text()
        )

    qtbot.waitUntil(recorded, timeout=WAIT_MS)
    records = demo.sandbox.maica_records(PAYMENT_OBJECT)
    assert len(records) == 1
    assert records[0]["maica_cc__Finance_External_ID__c"]
    amount = f"{float(records[0]['maica_cc__Payment_Amount__c']):,.2f}"
    said = window.webhooks.message.text()
    assert f"{records[0]['Name']}: {amount} on " in said  # money with two decimals
    assert said.endswith("paid: yes")
    window.close()


def test_the_file_demo_still_imports_the_sample(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("MAICA_XERO_HOME", "MAICA_XERO_CLIENT_ID"):
        monkeypatch.delenv(name, raising=False)
    context = start_demo(source="file")
    try:
        assert context.service.settings().source == "file"
        assert len(context.service.sync.invoices()) == 40
    finally:
        context.close()


def test_demo_close_cleans_up(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MAICA_XERO_HOME", raising=False)
    before = keyring.get_keyring()
    context = start_demo(import_sample=False)
    home = context.home
    assert home.exists()
    context.close()
    assert not home.exists()
    assert "MAICA_XERO_HOME" not in os.environ
    assert keyring.get_keyring() is before


def test_window_appears_quickly_from_a_cold_start() -> None:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "maica_xero_desktop.gui.app", "--demo", "--quit-after-show"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    elapsed = time.perf_counter() - started
    assert done.returncode == 0, done.stderr
    assert "window shown after" in done.stdout
    print(f"\ncold start (demo, whole process): {done.stdout.strip()}; process {elapsed:.2f} s")
    assert float(done.stdout.split()[3]) < 1.5
