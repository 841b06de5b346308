"""The demo window leaves no ``dbus-launch`` / ``dbus-daemon`` behind (issue 10.10): with a real
X display (Xvfb) and no session bus address, Qt's D-Bus library used to autolaunch a bus that
outlived the window. Every process the window starts inherits a marker in its environment, so
anything it left running is found in /proc after it exits."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux") or shutil.which("Xvfb") is None,
    reason="needs Linux and Xvfb",
)


@pytest.fixture
def display() -> Iterator[str]:
    read, write = os.pipe()
    server = subprocess.Popen(
        ["Xvfb", "-displayfd", str(write), "-screen", "0", "1024x768x24", "-nolisten", "tcp"],
        pass_fds=(write,),
        stderr=subprocess.DEVNULL,
    )
    os.close(write)
    with os.fdopen(read) as answer:
        number = answer.readline().strip()
    try:
        yield f":{number}"
    finally:
        server.terminate()
        server.wait(timeout=10)


def _left_behind(marker: str) -> dict[int, str]:
    """The running processes (not zombies) whose environment holds ``marker``."""
    found = {}
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            if marker.encode() in (proc / "environ").read_bytes():
                found[int(proc.name)] = (proc / "cmdline").read_bytes().replace(b"\0", b" ")
        except OSError:
            continue
    return {pid: line.decode().strip() for pid, line in found.items() if line}


def test_demo_window_leaves_no_bus_behind(display: str, tmp_path: Path) -> None:
    marker = f"MAICA_XERO_LEAK_PROBE={uuid.uuid4().hex}"
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DBUS_SESSION_BUS_ADDRESS", "QT_QPA_PLATFORM", "WAYLAND_DISPLAY")
        and not k.startswith("MAICA_XERO_")
    }
    env.update(DISPLAY=display, HOME=str(tmp_path))
    name, _, value = marker.partition("=")
    env[name] = value
    done = subprocess.run(
        [sys.executable, "-m", "maica_xero_desktop.gui.app", "--demo", "--quit-after", "1"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "closing" in done.stdout
    time.sleep(0.5)
    left = _left_behind(marker)
    for pid in left:  # end what a failing run left (these processes only), then report it
        os.kill(pid, signal.SIGTERM)
    assert left == {}
