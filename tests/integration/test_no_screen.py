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
