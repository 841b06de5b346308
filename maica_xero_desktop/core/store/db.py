"""The SQLite file: opened in WAL mode, private, migrated to the current schema."""

from __future__ import annotations

import contextlib
import errno
import os
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path

from ..errors import MaicaXeroError
from ..paths import file_problem
from .schema import MIGRATIONS


class StoreError(MaicaXeroError):
    """The local database could not be opened, read or written."""


class Database:
    """One connection shared by the threads of a process, each transaction under a lock."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.RLock()
        new = not path.exists()
        try:
            if path.is_dir():
                raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), str(path))
            if new and os.name == "posix":
                fd = os.open(path, os.O_CREAT | os.O_WRONLY, 0o600)
                os.close(fd)
        except OSError as exc:
            raise _file_problem(exc, path) from None
        try:
            self._conn = sqlite3.connect(
                path, check_same_thread=False, isolation_level=None, timeout=30
            )
            self._conn.row_factory = sqlite3.Row
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute("PRAGMA synchronous=FULL")
            self._conn.execute("PRAGMA foreign_keys=ON")
            self._conn.execute("PRAGMA temp_store=MEMORY")
            self._migrate()
        except sqlite3.DatabaseError as exc:
            raise _store_error(path, exc, opening=True) from None
        if os.name == "posix":
            for suffix in ("", "-wal", "-shm"):
                with contextlib.suppress(OSError):
                    os.chmod(f"{path}{suffix}", 0o600)

    def _migrate(self) -> None:
        with self._lock:
            version = int(self._conn.execute("PRAGMA user_version").fetchone()[0])
            if version > len(MIGRATIONS):
                raise StoreError(
                    f"The invoice database {self.path} was written by a newer version of Maica "
                    "Xero Desktop. Update the program."
                )
            for number in range(version, len(MIGRATIONS)):
                self._conn.execute("BEGIN IMMEDIATE")
                try:
                    for statement in _statements(MIGRATIONS[number]):
                        self._conn.execute(statement)
                    self._conn.execute(f"PRAGMA user_version = {number + 1}")
                    self._conn.execute("COMMIT")
                except BaseException:
                    self._rollback()
                    raise

    @contextlib.contextmanager
    def tx(self) -> Iterator[sqlite3.Connection]:
        """A write transaction: all of it is committed, or none of it."""
        with self._lock:
            try:
                self._conn.execute("BEGIN IMMEDIATE")
            except _FILE_ERRORS as exc:
                raise _store_error(self.path, exc) from None
            try:
                yield self._conn
            except _FILE_ERRORS as exc:
                self._rollback()
                raise _store_error(self.path, exc) from None
            except BaseException:
                self._rollback()
                raise
            try:
                self._conn.execute("COMMIT")
            except _FILE_ERRORS as exc:
                self._rollback()
                raise _store_error(self.path, exc) from None

    def _rollback(self) -> None:
        # SQLite may already have rolled back by itself (a full disk during COMMIT, say).
        if self._conn.in_transaction:
            with contextlib.suppress(sqlite3.DatabaseError):  # a damaged file may refuse it too
                self._conn.execute("ROLLBACK")

    @contextlib.contextmanager
    def read(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            try:
                yield self._conn
            except _FILE_ERRORS as exc:
                raise _store_error(self.path, exc) from None

    def close(self) -> None:
        with self._lock:
            self._conn.close()


#: What SQLite raises when the file (not the SQL) is the problem: locked, full, read-only, damaged.
#: IntegrityError (a constraint) is the program's own business and passes through.
_FILE_ERRORS = (sqlite3.OperationalError, sqlite3.DatabaseError)


def _file_problem(exc: OSError, path: Path) -> StoreError:
    problem = file_problem(exc, path, what=f"The invoice database {path} cannot be used")
    return StoreError(problem.fact, remedy=problem.remedy, facts=problem.facts)


def _store_error(path: Path, exc: sqlite3.DatabaseError, *, opening: bool = False) -> StoreError:
    if isinstance(exc, sqlite3.IntegrityError):
        raise exc
    text = str(exc)
    if "malformed" in text or "not a database" in text or "corrupt" in text:
        return StoreError(
            f"The invoice database {path} is damaged ({text}). Move it aside (keep it for "
            "support) and restore it from a backup, then try again."
        )
    if "readonly" in text or "read-only" in text or (opening and "unable to open" in text):
        return StoreError(
            f"The invoice database {path} cannot be written ({text}): give this user write access "
            "to it and its folder, or set MAICA_XERO_HOME to a writable folder, then try again."
        )
    if "full" in text:
        return StoreError(
            f"The disk holding {path.parent} is full: nothing was changed. Free some space and "
            "try again."
        )
    if "locked" in text or "busy" in text:
        return StoreError(
            "The invoice database is busy in another Maica Xero Desktop process. Try again in a "
            "moment."
        )
    return StoreError(f"The invoice database could not be used ({text}). Nothing was changed.")


def _statements(script: str) -> list[str]:
    parts: list[str] = []
    current: list[str] = []
    for line in script.splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("--"):
            continue
        current.append(line)
        if stripped.endswith(";") and sqlite3.complete_statement("\n".join(current)):
            parts.append("\n".join(current))
            current = []
    if current:
        parts.append("\n".join(current))
    return parts
