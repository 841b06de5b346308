"""Start at login: the XDG autostart file for real, the Run key's value through its seam, the
LaunchAgent's property list, and the desktop entry's Exec quoting."""

from __future__ import annotations

import configparser
import os
import plistlib
import shlex
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from maica_xero_desktop.core.autostart import (
    RUN_VALUE,
    TRAY_FLAG,
    AutostartError,
    LinuxAutostart,
    MacAutostart,
    WindowsAutostart,
    desktop_entry,
    exec_argument,
    for_platform,
    install_desktop_entry,
    launch_command,
)
from maica_xero_desktop.resources import resource_dir

COMMAND = ["/opt/Maica Xero/maica-xero-desktop"]
ROOT = Path(__file__).resolve().parents[2]


def _entry(path: Path) -> configparser.SectionProxy:
    parser = configparser.ConfigParser(interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read_string(path.read_text(encoding="utf-8"))
    return parser["Desktop Entry"]


def test_linux_entry_is_written_under_xdg_config_home_and_removed(tmp_path: Path) -> None:
    config = tmp_path / "elsewhere"
    autostart = LinuxAutostart({"XDG_CONFIG_HOME": str(config)}, tmp_path / "home")
    assert not autostart.is_enabled()
    autostart.enable(COMMAND)
    path = config / "autostart" / "maica-xero-desktop.desktop"
    assert autostart.path == path
    assert autostart.is_enabled()
    entry = _entry(path)
    assert entry["Type"] == "Application"
    assert entry["X-GNOME-Autostart-enabled"] == "true"
    assert shlex.split(entry["Exec"]) == [*COMMAND, TRAY_FLAG]
    assert stat.S_IMODE(path.stat().st_mode) == 0o644
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no temporary left
    autostart.disable()
    assert not path.exists()
    assert not autostart.is_enabled()
    autostart.disable()  # already off: nothing to do, no error


def test_linux_entry_defaults_to_dot_config_and_ignores_a_relative_xdg_value(
    tmp_path: Path,
) -> None:
    for env in ({}, {"XDG_CONFIG_HOME": "relative/dir"}):
        autostart = LinuxAutostart(env, tmp_path)
        assert autostart.path == tmp_path / ".config/autostart/maica-xero-desktop.desktop"


def test_an_unwritable_autostart_folder_is_one_sentence(tmp_path: Path) -> None:
    blocker = tmp_path / "config"
    blocker.write_text("a file where the folder should be")
    autostart = LinuxAutostart({"XDG_CONFIG_HOME": str(blocker)}, tmp_path)
    with pytest.raises(AutostartError) as caught:
        autostart.enable(COMMAND)
    assert "could not be written" in caught.value.sentence
    assert "Traceback" not in caught.value.sentence


@pytest.mark.parametrize(
    ("argument", "written"),
    [
        ("/usr/bin/maica-xero-desktop", "/usr/bin/maica-xero-desktop"),
        ("/home/jo smith/app", '"/home/jo smith/app"'),
        ("100%", "100%%"),
        ('a"b$c', '"a\\\\"b\\\\$c"'),
        ("C:\\x", '"C:\\\\\\\\x"'),
    ],
)
def test_exec_arguments_are_quoted_as_the_desktop_entry_spec_says(
    argument: str, written: str
) -> None:
    assert exec_argument(argument) == written


def test_the_menu_entry_is_not_minimised(tmp_path: Path) -> None:
    text = desktop_entry(["/usr/bin/maica-xero-desktop"])
    assert "Exec=/usr/bin/maica-xero-desktop\n" in text
    assert "Autostart" not in text


class FakeRunKey:
    def __init__(self) -> None:
        self.values: dict[str, str] = {}

    def get(self, name: str) -> str | None:
        return self.values.get(name)

    def set(self, name: str, value: str) -> None:
        self.values[name] = value

    def delete(self, name: str) -> None:
        self.values.pop(name, None)


def test_windows_run_key_value_is_the_quoted_command_line() -> None:
    key = FakeRunKey()
    autostart = WindowsAutostart(key)
    assert not autostart.is_enabled()
    assert not autostart.tested
    autostart.enable(["C:\\Program Files\\Maica Xero\\maica-xero-desktop.exe"])
    assert key.values == {
        RUN_VALUE: '"C:\\Program Files\\Maica Xero\\maica-xero-desktop.exe" --minimised'
    }
    assert autostart.is_enabled()
    autostart.disable()
    assert key.values == {}
    assert not autostart.is_enabled()


def test_a_refused_registry_write_is_one_sentence() -> None:
    class Refusing(FakeRunKey):
        def set(self, name: str, value: str) -> None:
            raise PermissionError(5, "Access is denied")

    with pytest.raises(AutostartError) as caught:
        WindowsAutostart(Refusing()).enable(["app.exe"])
    assert caught.value.sentence.startswith("Windows refused")


def test_macos_launch_agent_is_a_valid_property_list(tmp_path: Path) -> None:
    autostart = MacAutostart(tmp_path)
    autostart.enable(["/Applications/Maica Xero Desktop.app/Contents/MacOS/maica-xero-desktop"])
    path = tmp_path / "Library/LaunchAgents/au.com.maica.xero-desktop.plist"
    assert autostart.is_enabled()
    assert not autostart.tested
    data = plistlib.loads(path.read_bytes())
    assert data == {
        "Label": "au.com.maica.xero-desktop",
        "ProgramArguments": [
            "/Applications/Maica Xero Desktop.app/Contents/MacOS/maica-xero-desktop",
            "--minimised",
        ],
        "RunAtLoad": True,
        "KeepAlive": False,
        "ProcessType": "Interactive",
    }
    assert path.read_bytes().startswith(b'<?xml version="1.0" encoding="UTF-8"?>')
    autostart.disable()
    assert not path.exists()


def test_the_platform_picks_its_kind(tmp_path: Path) -> None:
    assert isinstance(for_platform("linux", {}, tmp_path), LinuxAutostart)
    assert isinstance(for_platform("darwin", {}, tmp_path), MacAutostart)
    assert isinstance(for_platform("win32", {}, tmp_path), WindowsAutostart)


def test_launch_command(tmp_path: Path) -> None:
    python = tmp_path / "bin" / "python"
    python.parent.mkdir()
    python.touch()
    assert launch_command(frozen=True, executable="/opt/m/maica-xero-desktop") == [
        "/opt/m/maica-xero-desktop"
    ]
    assert launch_command(frozen=False, executable=str(python)) == [
        str(python),
        "-m",
        "maica_xero_desktop",
        "gui",
    ]
    (tmp_path / "bin" / "maica-xero-desktop").touch()
    assert launch_command(frozen=False, executable=str(python)) == [
        str(tmp_path / "bin" / "maica-xero-desktop")
    ]


def test_install_desktop_entry_writes_the_entry_and_every_icon(tmp_path: Path) -> None:
    data = tmp_path / "data"
    written = install_desktop_entry(
        resource_dir(), ["/usr/bin/maica-xero-desktop"], {"XDG_DATA_HOME": str(data)}
    )
    entry = data / "applications" / "maica-xero-desktop.desktop"
    assert written[0] == entry
    assert _entry(entry)["Icon"] == "maica-xero-desktop"
    icon = data / "icons/hicolor/48x48/apps/maica-xero-desktop.png"
    assert icon in written
    assert icon.read_bytes().startswith(b"\x89PNG")
    assert len(written) == 8


def test_the_bundled_desktop_file_is_the_one_the_code_writes() -> None:
    bundled = ROOT / "resources" / "maica-xero-desktop.desktop"
    assert bundled.read_text(encoding="utf-8") == desktop_entry(["maica-xero-desktop"])


def test_the_window_command_installs_the_entry_without_a_screen(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    env["XDG_DATA_HOME"] = str(tmp_path)
    code = (
        "import sys; from maica_xero_desktop.cli import gui_main; "
        "sys.argv = ['maica-xero-desktop', '--install-desktop-entry']; sys.exit(gui_main())"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        check=False,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    entry = tmp_path / "applications" / "maica-xero-desktop.desktop"
    assert done.stdout.startswith(f"Added to the application menu: {entry}")
    assert entry.is_file()
    assert (tmp_path / "icons/hicolor/256x256/apps/maica-xero-desktop.png").is_file()
