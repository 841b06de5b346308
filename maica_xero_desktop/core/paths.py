"""Where the product keeps its files.

One function answers for every folder: the platformdirs defaults, or all of them under one folder
when ``MAICA_XERO_HOME`` is set (tests, the demo, portable installs). Folders are created private
(0700 on POSIX) the first time they are asked for.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import platformdirs

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
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    if os.name == "posix":
        os.chmod(folder, 0o700)


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
