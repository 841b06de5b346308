"""Where the product keeps its files.

One function answers for every folder: the platformdirs defaults, or all of them under one folder
when ``MAICA_XERO_HOME`` is set (tests, the demo, portable installs). Folders are created private
(0700 on POSIX) the first time they are asked for.
"""

from __future__ import annotations

import errno
import os
import stat
from dataclasses import dataclass
from pathlib import Path

import platformdirs

from .errors import HomeError, Remedy

APP_NAME = "maica-xero-desktop"
APP_AUTHOR = "Maica"
HOME_ENV = "MAICA_XERO_HOME"


@dataclass(frozen=True)
class AppPaths:
    config_dir: Path
    data_dir: Path
    log_dir: Path
    cache_dir: Path

    @property
    def settings_file(self) -> Path:
        return self.config_dir / "settings.json"

    @property
    def database_file(self) -> Path:
        return self.data_dir / "maica.db"

    @property
    def connections_file(self) -> Path:
        return self.data_dir / "connections.json"

    @property
    def token_lock_file(self) -> Path:
        return self.data_dir / "token.lock"

    @property
    def settings_lock_file(self) -> Path:
        return self.config_dir / "settings.lock"

    @property
    def log_file(self) -> Path:
        return self.log_dir / "maica-xero.log"

    def ensure(self) -> AppPaths:
        for folder in (self.config_dir, self.data_dir, self.log_dir, self.cache_dir):
            make_private_dir(folder)
        return self


def make_private_dir(folder: Path) -> None:
    """Create ``folder`` (0700); a folder that cannot be made or used is one sentence."""
    try:
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        if os.name == "posix" and stat.S_IMODE(folder.stat().st_mode) != 0o700:
            os.chmod(folder, 0o700)
    except OSError as exc:
        raise file_problem(exc, folder) from None


#: What to do about a file or folder of ours that cannot be used, by errno.
_ADVICE = {
    errno.EISDIR: "it is a folder where the program keeps a file: move the folder aside",
    errno.ENOTDIR: "a file stands where the program needs a folder: move that file aside",
    errno.EEXIST: "a file stands where the program needs a folder: move that file aside",
    errno.EROFS: (
        "the disk holding it is read-only: make it writable, or set MAICA_XERO_HOME to a folder "
        "on a writable disk"
    ),
    errno.EACCES: "this user may not change it: give this user write access to it",
    errno.EPERM: "this user may not change it: give this user write access to it",
    errno.ENOSPC: "the disk is full: free some space",
    errno.EDQUOT: "the disk quota is used up: free some space",
    errno.ENOENT: "a folder on its path is missing: create it, or set MAICA_XERO_HOME",
}


def file_problem(
    exc: OSError, path: os.PathLike[str] | str | None = None, *, what: str = ""
) -> HomeError:
    """The sentence for a file or folder of the product's own that the system refused;
    ``what`` replaces the opening "Maica Xero Desktop cannot use PATH"."""
    where = path if path is not None else exc.filename
    shown = os.fspath(where) if where else "one of its files"
    reason = exc.strerror or type(exc).__name__
    advice = _ADVICE.get(exc.errno or 0, "check that it exists and this user may write to it")
    return HomeError(
        f"{what or f'Maica Xero Desktop cannot use {shown}'} ({reason}): {advice}.",
        remedy=Remedy.FIX_HOME,
        facts={"path": shown},
    )


def app_paths(home: str | os.PathLike[str] | None = None) -> AppPaths:
    """The folders for this process: ``home`` if given, else ``$MAICA_XERO_HOME``, else the OS's."""
    base = home if home is not None else os.environ.get(HOME_ENV) or None
    if base is not None:
        root = Path(base).expanduser().resolve()
        make_private_dir(root)
        return AppPaths(
            config_dir=root / "config",
            data_dir=root / "data",
            log_dir=root / "logs",
            cache_dir=root / "cache",
        ).ensure()
    dirs = platformdirs.PlatformDirs(APP_NAME, APP_AUTHOR)
    return AppPaths(
        config_dir=Path(dirs.user_config_dir),
        data_dir=Path(dirs.user_data_dir),
        log_dir=Path(dirs.user_log_dir),
        cache_dir=Path(dirs.user_cache_dir),
    ).ensure()
