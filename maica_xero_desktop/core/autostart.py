"""Start at login, and the Linux desktop entry: plain files (and one registry value), no Qt.

- Linux: an XDG autostart entry, ``$XDG_CONFIG_HOME/autostart/maica-xero-desktop.desktop``
  (``~/.config`` when the variable is unset). Tested here, on a real file system.
- Windows: a value named :data:`RUN_VALUE` under ``HKCU\\...\\CurrentVersion\\Run``, written
  through a :class:`RunKey` seam (the real one uses ``winreg``). The value is unit-tested on any
  system; the registry itself has not been tried on Windows.
- macOS: a LaunchAgent, ``~/Library/LaunchAgents/au.com.maica.xero-desktop.plist``
  (``plistlib``). Its format is unit-tested; it has not been tried on a Mac.

Every entry starts the window with :data:`TRAY_FLAG`, so it opens minimised to the tray.
``install_desktop_entry`` puts the application's own ``.desktop`` file and icons in the user's
data directory (``maica-xero-desktop --install-desktop-entry``).
"""

from __future__ import annotations

import os
import plistlib
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol

from .errors import MaicaXeroError

APP_ID = "maica-xero-desktop"
LABEL = "au.com.maica.xero-desktop"
TRAY_FLAG = "--minimised"
RUN_KEY = r"Software\Microsoft\Windows\CurrentVersion\Run"
RUN_VALUE = "Maica Xero Desktop"
ICON_SIZES = (16, 32, 48, 64, 128, 256, 512)


class AutostartError(MaicaXeroError):
    """Start at login could not be turned on or off."""


def launch_command(
    *, frozen: bool | None = None, executable: str | None = None, argv0: str | None = None
) -> list[str]:
    """How to start the window again: the bundle's executable; else the installed
    ``maica-xero-desktop`` script next to the interpreter; else ``python -m maica_xero_desktop
    gui``."""
    frozen = bool(getattr(sys, "frozen", False)) if frozen is None else frozen
    executable = executable or sys.executable
    if frozen:
        return [executable]
    folder = Path(executable).parent
    for name in (APP_ID, f"{APP_ID}.exe"):
        script = folder / name
        if script.is_file():
            return [str(script)]
    return [executable, "-m", "maica_xero_desktop", "gui"]


# -- Linux ------------------------------------------------------------------------------------

_RESERVED = set(" \t\n\"'\\><~|&;$*?#()`")


def exec_argument(argument: str) -> str:
    """One argument of a desktop entry's ``Exec`` key (Desktop Entry Specification, "The Exec
    key"): quoted when it holds a reserved character, with ``"`` `` ` `` ``$`` ``\\`` escaped
    inside the quotes, ``%`` doubled, then the string-value escaping of backslashes."""
    text = argument.replace("%", "%%")
    if text and not _RESERVED.intersection(text):
        quoted = text
    else:
        inner = "".join(f"\\{c}" if c in '"`$\\' else c for c in text)
        quoted = f'"{inner}"'
    return quoted.replace("\\", "\\\\")


def desktop_entry(command: Sequence[str], *, autostart: bool = False) -> str:
    """The text of the application's desktop entry (``autostart``: the login copy, which starts
    it minimised to the tray)."""
    args = [*command, TRAY_FLAG] if autostart else list(command)
    lines = [
        "[Desktop Entry]",
        "Type=Application",
        "Version=1.5",
        "Name=Maica Xero Desktop",
        "GenericName=Invoice sync",
        "Comment=Links Maica invoice records to a Xero organisation",
        f"Exec={' '.join(exec_argument(a) for a in args)}",
        f"Icon={APP_ID}",
        "Terminal=false",
        "Categories=Office;Finance;",
    ]
    if autostart:
        lines.append("X-GNOME-Autostart-enabled=true")
    return "\n".join(lines) + "\n"


def xdg_home(name: str, default: str, env: Mapping[str, str], home: Path) -> Path:
    """``$XDG_CONFIG_HOME`` / ``$XDG_DATA_HOME``: used only when absolute, as the spec says."""
    value = env.get(name, "")
    return Path(value) if value and os.path.isabs(value) else home / default


class LinuxAutostart:
    system = "Linux"
    tested = True

    def __init__(self, env: Mapping[str, str], home: Path) -> None:
        config = xdg_home("XDG_CONFIG_HOME", ".config", env, home)
        self.path = config / "autostart" / f"{APP_ID}.desktop"

    def is_enabled(self) -> bool:
        return self.path.is_file()

    def enable(self, command: Sequence[str]) -> None:
        _write(self.path, desktop_entry(command, autostart=True).encode())

    def disable(self) -> None:
        _remove(self.path)


# -- Windows ----------------------------------------------------------------------------------


class RunKey(Protocol):
    """The current user's Run key: one string value per program started at login."""

    def get(self, name: str) -> str | None: ...
    def set(self, name: str, value: str) -> None: ...
    def delete(self, name: str) -> None: ...


class WinregRunKey:
    """The real Run key, through ``winreg`` (imported only on Windows). Not tried on Windows."""

    def _module(self) -> Any:
        import importlib

        return importlib.import_module("winreg")

    def get(self, name: str) -> str | None:
        winreg = self._module()
        try:
            with winreg.OpenKey(winreg.HKEY_CURRENT_USER, RUN_KEY) as key:
                value, _kind = winreg.QueryValueEx(key, name)
        except FileNotFoundError:
            return None
        return str(value)

    def set(self, name: str, value: str) -> None:
        winreg = self._module()
        with winreg.CreateKeyEx(winreg.HKEY_CURRENT_USER, RUN_KEY, 0, winreg.KEY_SET_VALUE) as key:
            winreg.SetValueEx(key, name, 0, winreg.REG_SZ, value)

    def delete(self, name: str) -> None:
        winreg = self._module()
        try:
            with winreg.OpenKey(winreg.HKEY_CURRENT_USER, RUN_KEY, 0, winreg.KEY_SET_VALUE) as key:
                winreg.DeleteValue(key, name)
        except FileNotFoundError:
            pass


def run_value(command: Sequence[str]) -> str:
    """The Run key's value: the command line, quoted as Windows parses it."""
    return subprocess.list2cmdline([*command, TRAY_FLAG])


class WindowsAutostart:
    system = "Windows"
    tested = False

    def __init__(self, key: RunKey | None = None) -> None:
        self.key = key or WinregRunKey()
        self.path = f"HKEY_CURRENT_USER\\{RUN_KEY}\\{RUN_VALUE}"

    def is_enabled(self) -> bool:
        return bool(self._call(self.key.get, RUN_VALUE))

    def enable(self, command: Sequence[str]) -> None:
        self._call(self.key.set, RUN_VALUE, run_value(command))

    def disable(self) -> None:
        self._call(self.key.delete, RUN_VALUE)

    @staticmethod
    def _call(method: Any, *args: Any) -> Any:
        try:
            return method(*args)
        except OSError as exc:
            raise AutostartError(
                f"Windows refused to change the programs started at login ({exc.strerror or exc})."
                " Use Task Manager's Startup apps page instead."
            ) from None


# -- macOS ------------------------------------------------------------------------------------


def launch_agent(command: Sequence[str]) -> bytes:
    """The LaunchAgent property list: run once at login, never kept alive by launchd."""
    data = {
        "Label": LABEL,
        "ProgramArguments": [*command, TRAY_FLAG],
        "RunAtLoad": True,
        "KeepAlive": False,
        "ProcessType": "Interactive",
    }
    return plistlib.dumps(data, fmt=plistlib.FMT_XML)


class MacAutostart:
    system = "macOS"
    tested = False

    def __init__(self, home: Path) -> None:
        self.path = home / "Library" / "LaunchAgents" / f"{LABEL}.plist"

    def is_enabled(self) -> bool:
        return self.path.is_file()

    def enable(self, command: Sequence[str]) -> None:
        _write(self.path, launch_agent(command))

    def disable(self) -> None:
        _remove(self.path)


# -- choosing, and the files ------------------------------------------------------------------


class Autostart(Protocol):
    system: str
    tested: bool

    @property
    def path(self) -> Path | str:
        """Where the entry is written: a file, or the registry value."""
        ...

    def is_enabled(self) -> bool: ...
    def enable(self, command: Sequence[str]) -> None: ...
    def disable(self) -> None: ...


def for_platform(
    platform: str | None = None, env: Mapping[str, str] | None = None, home: Path | None = None
) -> Autostart:
    platform = platform or sys.platform
    env = os.environ if env is None else env
    home = home or Path.home()
    if platform == "win32":
        return WindowsAutostart()
    if platform == "darwin":
        return MacAutostart(home)
    return LinuxAutostart(env, home)


def _write(path: Path, data: bytes) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            os.chmod(name, 0o644)  # read by the session's autostart manager, as any menu entry
            os.replace(name, path)
        except BaseException:
            Path(name).unlink(missing_ok=True)
            raise
    except OSError as exc:
        raise AutostartError(
            f"{path} could not be written ({exc.strerror or exc}). Check that this folder "
            "belongs to you and the disk is not full, then try again."
        ) from None


def _remove(path: Path) -> None:
    try:
        path.unlink(missing_ok=True)
    except OSError as exc:
        raise AutostartError(
            f"{path} could not be removed ({exc.strerror or exc}). Delete it yourself to stop "
            "starting at login."
        ) from None


def install_desktop_entry(
    resources: Path,
    command: Sequence[str] | None = None,
    env: Mapping[str, str] | None = None,
    home: Path | None = None,
) -> list[Path]:
    """The application's menu entry and icons, for the current user (Linux); returns the files
    written. ``resources``: the package's resources folder (``maica_xero_desktop.resources``),
    whose ``icons/app`` holds the PNG sizes."""
    env = os.environ if env is None else env
    data = xdg_home("XDG_DATA_HOME", ".local/share", env, home or Path.home())
    entry = data / "applications" / f"{APP_ID}.desktop"
    _write(entry, desktop_entry(command or launch_command()).encode())
    written = [entry]
    for size in ICON_SIZES:
        source = resources / "icons" / "app" / f"maica-xero-{size}.png"
        if not source.is_file():
            continue
        target = data / "icons" / "hicolor" / f"{size}x{size}" / "apps" / f"{APP_ID}.png"
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, target)
        except OSError as exc:
            raise AutostartError(
                f"{target} could not be written ({exc.strerror or exc}). Check that this folder "
                "belongs to you and the disk is not full, then try again."
            ) from None
        written.append(target)
    return written
