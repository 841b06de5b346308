"""No display, no crash (issue 10.10): real processes with no DISPLAY, WAYLAND_DISPLAY or
QT_QPA_PLATFORM end with one sentence and exit 2; ``maica-xero-desktop --version`` and ``--help``
answer without loading Qt."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from maica_xero_desktop import __version__

pytestmark = pytest.mark.skipif(
    sys.platform in ("win32", "darwin"), reason="a screen is always there on Windows and macOS"
)

GUI_MAIN = "import sys; from maica_xero_desktop.cli import gui_main; sys.exit(gui_main())"


def _env(tmp_path: Path) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM") and not k.startswith("MAICA")
    }
    env["MAICA_XERO_HOME"] = str(tmp_path / "home")
    return env


def _run(args: list[str], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *args],
        env=_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize(
    ("args", "hint"),
    [
        (["-m", "maica_xero_desktop"], "run maica-xero --help"),
        (["-m", "maica_xero_desktop", "gui"], "run maica-xero --help"),
        (["-m", "maica_xero_desktop", "gui", "--demo"], "run maica-xero --help"),
        (["-c", GUI_MAIN], "use the maica-xero commands instead"),
    ],
)
def test_without_a_screen_one_sentence_and_exit_2(
    args: list[str], hint: str, tmp_path: Path
) -> None:
    done = _run(args, tmp_path)
    assert done.returncode == 2
    assert done.stdout == ""
    lines = done.stderr.splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("There is no screen to show the window on")
    assert hint in lines[0]


def test_the_window_program_answers_version_and_help_without_a_window(tmp_path: Path) -> None:
    probe = (
        "import sys; from maica_xero_desktop.cli import gui_main\n"
        "try:\n    gui_main()\nfinally:\n"
        "    print('qt loaded' if 'PySide6.QtWidgets' in sys.modules else 'no qt', file=sys.stderr)"
    )
    version = _run(["-c", probe, "--version"], tmp_path)
    assert version.returncode == 0
    assert version.stdout == f"maica-xero-desktop {__version__}\n"
    assert version.stderr == "no qt\n"
    helped = _run(["-c", probe, "--help"], tmp_path)
    assert helped.returncode == 0
    assert helped.stdout.startswith("usage: maica-xero-desktop")
    assert "--demo" in helped.stdout
    assert helped.stderr == "no qt\n"


def _free_display_number() -> int:
    """An X display number with no server (no socket file, nothing on TCP 6000+n)."""
    import socket

    for number in range(97, 200):
        if Path(f"/tmp/.X11-unix/X{number}").exists():
            continue
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", 6000 + number)) != 0:
                return number
    raise AssertionError("no free X display number")


@pytest.mark.parametrize(
    ("args", "hint"),
    [
        (["-m", "maica_xero_desktop"], "run maica-xero --help"),
        (["-m", "maica_xero_desktop", "gui"], "run maica-xero --help"),
        (["-c", GUI_MAIN], "use the maica-xero commands instead"),
    ],
)
@pytest.mark.parametrize("dead", ["x11", "x11-tcp", "wayland", "both"])
def test_a_display_that_does_not_answer_is_one_sentence_and_exit_2(
    args: list[str], hint: str, dead: str, tmp_path: Path
) -> None:
    """A set DISPLAY or WAYLAND_DISPLAY with nothing behind it: Qt would abort (exit 134)."""
    env = _env(tmp_path)
    number = _free_display_number()
    if dead in ("x11", "both"):
        env["DISPLAY"] = f":{number}"
    if dead == "x11-tcp":
        env["DISPLAY"] = f"127.0.0.1:{number}.0"
    if dead in ("wayland", "both"):
        (tmp_path / "runtime").mkdir()
        env["XDG_RUNTIME_DIR"] = str(tmp_path / "runtime")
        env["WAYLAND_DISPLAY"] = "wayland-nowhere"
    done = subprocess.run(
        [sys.executable, *args], env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 2, done.stderr
    assert done.stdout == ""
    lines = done.stderr.splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("There is no screen to show the window on (")
    assert "not answer" in lines[0]
    assert hint in lines[0]


def test_the_display_probe_finds_a_listening_server(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The probe's "yes" side, with real sockets standing in for an X server (TCP) and a Wayland
    compositor (a Unix socket in XDG_RUNTIME_DIR); closed again, the same settings answer no."""
    import socket

    from maica_xero_desktop.gui.app import display_problem

    monkeypatch.delenv("QT_QPA_PLATFORM", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    with socket.socket() as x_server:
        x_server.bind(("127.0.0.1", 0))
        x_server.listen()
        port = x_server.getsockname()[1]
        monkeypatch.setenv("DISPLAY", f"127.0.0.1:{port - 6000}.0")
        assert display_problem() is None
    assert display_problem() == f"DISPLAY=127.0.0.1:{port - 6000}.0 does not answer"

    monkeypatch.delenv("DISPLAY")
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path))
    monkeypatch.setenv("WAYLAND_DISPLAY", "wayland-7")
    with socket.socket(socket.AF_UNIX) as compositor:
        compositor.bind(str(tmp_path / "wayland-7"))
        compositor.listen()
        assert display_problem() is None
    assert display_problem() == "WAYLAND_DISPLAY=wayland-7 does not answer"
    # Another platform named by QT_QPA_PLATFORM is trusted; xcb alone ignores Wayland.
    monkeypatch.setenv("QT_QPA_PLATFORM", "offscreen")
    assert display_problem() is None
    monkeypatch.setenv("QT_QPA_PLATFORM", "xcb")
    assert display_problem() == "no DISPLAY or WAYLAND_DISPLAY"
