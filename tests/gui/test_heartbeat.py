"""The GUI thread keeps beating while a sync of thousands of invoices runs through the window."""

from __future__ import annotations

import importlib.util
import time
from pathlib import Path
from types import ModuleType

from PySide6.QtCore import QTimer
from pytestqt.qtbot import QtBot

from maica_xero_desktop.gui.main_window import MainWindow

from .conftest import ROOT, connect, idle, import_file, use

INVOICES = 3000
BEAT_MS = 10
LIMIT_MS = 50


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
    assert worst < LIMIT_MS
