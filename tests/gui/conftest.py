"""The window against the in-process sandbox: real widgets, offscreen, fakes only at the edges
(the in-memory keyring from tests/conftest.py, a "browser" that follows the sign-in address)."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from pytestqt.qtbot import QtBot

from maica_xero_desktop.core.service import Service
from maica_xero_desktop.gui.main_window import MainWindow
from maica_xero_desktop.sandbox import Sandbox, SandboxConfig

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "maica_xero_desktop" / "resources" / "sample-maica-export.csv"
WAIT_MS = 15_000
OFFSCREEN_NOTICES = ("This plugin does not support (propagateSizeHints|raise)",)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Qt warnings fail the GUI tests (the offscreen plugin's notices about what it cannot do
    aside)."""
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.path)).parents:
            item.add_marker(pytest.mark.qt_log_level_fail("WARNING"))
            item.add_marker(pytest.mark.qt_log_ignore(*OFFSCREEN_NOTICES))


def follow(url: str) -> bool:
    """The test's browser: with auto-consent, following the address completes the sign-in."""
    requests.get(url, timeout=10)
    return True


@pytest.fixture
def sandbox_config() -> SandboxConfig:
    return SandboxConfig(port=0, auto_consent=True, practice=True, rate_limits_enabled=False)


@pytest.fixture
def sandbox(sandbox_config: SandboxConfig) -> Iterator[Sandbox]:
    sb = Sandbox(sandbox_config).start()
    yield sb
    sb.stop()


@pytest.fixture
def xero_env(sandbox: Sandbox, home: Path, monkeypatch: pytest.MonkeyPatch) -> Sandbox:
    for line in sandbox.env_lines():
        name, _, value = line.partition("=")
        monkeypatch.setenv(name, value)
    return sandbox


@pytest.fixture
def browser() -> Callable[[str], bool]:
    return follow


@pytest.fixture
def service(xero_env: Sandbox, browser: Callable[[str], bool]) -> Iterator[Service]:
    svc = Service(browser=browser)
    yield svc
    svc.close()


@pytest.fixture
def make_window(qtbot: QtBot, service: Service) -> Iterator[Callable[..., MainWindow]]:
    windows: list[MainWindow] = []

    def make(**kwargs: Any) -> MainWindow:
        window = MainWindow(service, **kwargs)
        qtbot.addWidget(window)
        window.show()
        qtbot.waitUntil(lambda: window.hub.status is not None, timeout=WAIT_MS)
        idle(qtbot, window)
        windows.append(window)
        return window

    yield make
    for window in windows:
        window.close()


@pytest.fixture
def window(make_window: Callable[..., MainWindow]) -> MainWindow:
    return make_window()


def idle(qtbot: QtBot, window: MainWindow, timeout: int = WAIT_MS) -> None:
    """Wait until every background task has ended and its result was delivered."""
    qtbot.waitUntil(lambda: not window.runner.is_busy(), timeout=timeout)


def enable(qtbot: QtBot, window: MainWindow) -> None:
    if not window.enable.toggle.isChecked():
        window.enable.toggle.click()
    qtbot.waitUntil(lambda: window.hub.enabled and window.sync.isEnabled(), timeout=WAIT_MS)
    idle(qtbot, window)


def connect(qtbot: QtBot, window: MainWindow) -> None:
    enable(qtbot, window)
    window.show_section(window.connections)  # as a person would: the page with the button
    window.connections.connect_button.click()
    idle(qtbot, window)
    assert window.connections.status.kind != "error", window.connections.status.text()
    assert window.hub.status is not None
    assert window.hub.status.token_state == "valid"


def use(qtbot: QtBot, window: MainWindow, name: str = "Maica Care Services Pty Ltd") -> str:
    window.show_section(window.connections)
    panel = window.connections
    assert panel.view is not None
    tenant = next(c for c in panel.view.connections if c.tenant_name == name)
    panel.select_tenant(tenant.tenant_id)
    panel.use_button.click()
    qtbot.waitUntil(lambda: window.hub.tenant_id == tenant.tenant_id, timeout=WAIT_MS)
    idle(qtbot, window)
    return tenant.tenant_id


def import_file(qtbot: QtBot, window: MainWindow, path: Path) -> None:
    window.show_section(window.sync)
    window.sync.invoices.import_file(str(path))
    idle(qtbot, window)
    idle(qtbot, window)  # the reload the import started


@pytest.fixture
def ready(qtbot: QtBot, window: MainWindow) -> MainWindow:
    """Enabled, connected, the main organisation active, the sample imported."""
    connect(qtbot, window)
    use(qtbot, window)
    import_file(qtbot, window, SAMPLE)
    return window
