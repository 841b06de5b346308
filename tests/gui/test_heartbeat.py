"""The GUI thread keeps beating while a sync of thousands of invoices runs through the window."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest
import requests
from PySide6.QtCore import QTimer
from pytestqt.qtbot import QtBot

from maica_xero_desktop.demo import free_port
from maica_xero_desktop.gui.main_window import MainWindow
from maica_xero_desktop.gui.tray import Background

from .conftest import ROOT, WAIT_MS, connect, idle, import_file, use
from .test_webhooks_panel import _save_key

# The figure is a 10,000-invoice sync: bench/run_all.py runs this test with 12,500 generated
# invoices (about 10,000 selected); the default keeps the suite quick.
INVOICES = int(os.environ.get("MAICA_XERO_HEARTBEAT_INVOICES", "3000"))
BEAT_MS = 10
LIMIT_MS = 50


@pytest.fixture
def xero_env(home: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    """Xero in its own process, as in real use: the GUI process's garbage collector and GIL carry
    only the product, not the sandbox's ten thousand stored invoices."""
    process = subprocess.Popen(
        [sys.executable, "-m", "maica_xero_desktop", "sandbox", "serve", "--auto-consent"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert process.stdout is not None
    lines = (process.stdout.readline().strip().removeprefix("export ") for _ in range(4))
    env = dict(line.split("=", 1) for line in lines)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    requests.post(
        env["MAICA_XERO_API_URL"] + "/_sandbox/limits", json={"enabled": False}, timeout=10
    ).raise_for_status()
    yield env
    process.terminate()
    process.communicate(timeout=10)


def _generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "generate_export", ROOT / "bench" / "generate_export.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_gui_thread_heartbeat_during_a_big_sync(
    qtbot: QtBot, window: MainWindow, tmp_path: Path
) -> None:
    export = tmp_path / "big.csv"
    export.write_bytes(_generator().generate(INVOICES, 2, 400, 7))
    connect(qtbot, window)
    use(qtbot, window)
    import_file(qtbot, window, export)
    model = window.sync.invoices.model
    assert model.total == INVOICES
    assert model.rowCount() == model.page_size
    # as the application runs: the tray, and this window's webhook receiver listening
    background = Background(window)
    _save_key(qtbot, window)
    receiver = window.webhooks.receiver
    receiver.port.setValue(free_port())
    receiver.start_button.click()
    qtbot.waitUntil(lambda: receiver.running, timeout=WAIT_MS)

    worst = 0.0
    last = time.perf_counter()

    def beat() -> None:
        nonlocal worst, last
        now = time.perf_counter()
        worst = max(worst, (now - last) * 1000 - BEAT_MS)
        last = now

    timer = QTimer()
    timer.setInterval(BEAT_MS)
    timer.timeout.connect(beat)
    timer.start()
    started = time.perf_counter()
    with qtbot.waitSignal(window.sync.run_finished, timeout=120_000) as finished:
        last = time.perf_counter()
        window.sync.run_button.click()
    idle(qtbot, window)
    timer.stop()
    result = finished.args[0]
    seconds = time.perf_counter() - started
    print(
        f"\nheartbeat: worst GUI-thread delay {worst:.1f} ms during a sync of {result.selected} "
        f"invoices ({result.created} created, {result.api_calls} calls) in {seconds:.1f} s"
    )
    assert result.state == "finished"
    assert result.created > INVOICES // 2
    assert receiver.running
    assert background.state == "idle"
    assert worst < LIMIT_MS
