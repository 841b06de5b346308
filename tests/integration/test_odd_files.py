"""Odd filesystem states end in a sentence (issue 11.10): real processes, real files. Each state
ends with exit 2 (or, for a damaged settings file, the defaults and a note), one sentence saying
what to do, and never "Something unexpected", exit 70 or a traceback.

Read-only as root: root ignores file modes, so the home is put on a real tmpfs that is then
remounted read-only (skipped where mounting is not allowed); other users get ``chmod``."""

from __future__ import annotations

import contextlib
import os
import sqlite3
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.exports import SAMPLE


def _cli(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAICA_XERO_")}
    env["MAICA_XERO_HOME"] = str(home)
    env["PYTHON_KEYRING_BACKEND"] = "keyring.backends.null.Keyring"
    return subprocess.run(
        [sys.executable, "-m", "maica_xero_desktop", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def _one_sentence(done: subprocess.CompletedProcess[str], *words: str) -> str:
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    assert "unexpected" not in done.stderr.lower()
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    for word in words:
        assert word in lines[0], lines[0]
    return lines[0]


@pytest.fixture
def home(tmp_path: Path) -> Path:
    folder = tmp_path / "home"
    assert _cli(folder, "status").returncode == 0  # a working home first
    return folder


def test_log_file_that_is_a_folder(home: Path) -> None:
    log = home / "logs" / "maica-xero.log"
    log.unlink()
    log.mkdir()
    _one_sentence(_cli(home, "status"), str(log), "move the folder aside")


def test_database_that_is_a_folder(home: Path) -> None:
    database = home / "data" / "maica.db"
    for suffix in ("", "-wal", "-shm"):
        with contextlib.suppress(FileNotFoundError):
            Path(f"{database}{suffix}").unlink()
    database.mkdir()
    _one_sentence(_cli(home, "invoices"), str(database), "move the folder aside")


def test_lock_file_that_is_a_folder(home: Path) -> None:
    lock = home / "config" / "settings.lock"
    with contextlib.suppress(FileNotFoundError):
        lock.unlink()
    lock.mkdir()
    _one_sentence(_cli(home, "enable"), str(lock), "move the folder aside")


def test_home_that_is_a_file(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.write_text("not a folder\n")
    _one_sentence(_cli(home, "status"), str(home), "a file stands where the program needs a folder")


def test_damaged_database_page(home: Path) -> None:
    assert _cli(home, "import", str(SAMPLE)).returncode == 0
    database = home / "data" / "maica.db"
    with sqlite3.connect(database) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        page_size = conn.execute("PRAGMA page_size").fetchone()[0]
        pages = conn.execute("PRAGMA page_count").fetchone()[0]
    conn.close()
    assert pages > 4
    with open(database, "r+b") as handle:  # every page but the first (the header) is garbage
        handle.seek(page_size)
        handle.write(b"\xa5" * page_size * (pages - 1))
    sentence = _one_sentence(_cli(home, "invoices"), str(database), "is damaged")
    assert "restore it from a backup" in sentence


def test_settings_nested_too_deeply_are_kept_aside(home: Path) -> None:
    settings = home / "config" / "settings.json"
    settings.write_text("[" * 100_000 + "]" * 100_000)
    done = _cli(home, "status")
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    assert "The settings file was damaged and could not be read" in done.stdout
    assert list((home / "config").glob("settings.json.corrupt-*"))


def test_hand_edited_bad_port_is_refused_like_config_set(home: Path) -> None:
    settings = home / "config" / "settings.json"
    settings.write_text('{"redirect_ports": [99999], "enabled": true}\n')
    done = _cli(home, "status")
    assert done.returncode == 0
    assert (
        "The saved setting 'redirect_ports' had an invalid value ('99999' is not a usable port"
        in (done.stdout)
    )
    done = _cli(home, "config", "get", "redirect-ports")
    assert done.stdout == "5717,5718,5719,5720,5721\n"


@contextlib.contextmanager
def _read_only(folder: Path) -> Iterator[None]:
    if os.geteuid() != 0:
        modes = {p: p.stat().st_mode for p in [folder, *folder.rglob("*")]}
        for path in modes:
            path.chmod(0o500 if path.is_dir() else 0o400)
        try:
            yield
        finally:
            for path, mode in modes.items():
                path.chmod(mode)
        return
    # As root: a real read-only filesystem (root ignores file modes).
    ok = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs", str(folder)], check=False
    )
    if ok.returncode != 0:
        pytest.skip("running as root, and mounting a tmpfs is not allowed here")
    yield


def test_read_only_home(tmp_path: Path) -> None:
    mount_point = Path(tempfile.mkdtemp(dir=tmp_path))
    home = mount_point / "home"
    if os.geteuid() == 0:
        with _read_only(mount_point):
            try:
                assert _cli(home, "status").returncode == 0
                subprocess.run(["mount", "-o", "remount,ro", str(mount_point)], check=True)
                _one_sentence(_cli(home, "status"), "read-only", "MAICA_XERO_HOME")
                _one_sentence(_cli(home, "enable"), "read-only")
            finally:
                subprocess.run(["umount", "-l", str(mount_point)], check=False)
        return
    assert _cli(home, "status").returncode == 0
    with _read_only(home):
        _one_sentence(_cli(home, "enable"), "this user may not change it")


def test_the_window_that_cannot_start_says_why(home: Path) -> None:
    log = home / "logs" / "maica-xero.log"
    log.unlink()
    log.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAICA_XERO_")}
    env.update(MAICA_XERO_HOME=str(home), QT_QPA_PLATFORM="offscreen")
    done = subprocess.run(
        [sys.executable, "-m", "maica_xero_desktop.gui.app", "--quit-after", "1"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    _one_sentence(done, str(log), "move the folder aside")


@contextlib.contextmanager
def _read_only_file(path: Path) -> Iterator[None]:
    """``path`` read-only: chmod for other users; for root a read-only bind mount of the file."""
    if os.geteuid() != 0:
        mode = path.stat().st_mode
        path.chmod(0o400)
        try:
            yield
        finally:
            path.chmod(mode)
        return
    bind = subprocess.run(["mount", "--bind", str(path), str(path)], check=False)
    if bind.returncode != 0:
        pytest.skip("running as root, and bind mounts are not allowed here")
    try:
        subprocess.run(["mount", "-o", "remount,bind,ro", str(path)], check=True)
        yield
    finally:
        subprocess.run(["umount", str(path)], check=False)


def test_read_only_log_file(home: Path) -> None:
    log = home / "logs" / "maica-xero.log"
    with _read_only_file(log):
        _one_sentence(_cli(home, "status"), str(log))


def test_read_only_database_file(home: Path) -> None:
    database = home / "data" / "maica.db"
    with sqlite3.connect(database) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    for suffix in ("-wal", "-shm"):
        with contextlib.suppress(FileNotFoundError):
            Path(f"{database}{suffix}").unlink()
    with _read_only_file(database):
        _one_sentence(_cli(home, "import", str(SAMPLE)), str(database), "cannot be written")


def test_bad_settings_are_one_note_per_command_and_no_console_warning(home: Path) -> None:
    """A hand-edited bad port and a flow that is not installed: each command notes each once, as
    a "Note:" (standard error; status lists it with its other notes), never also as a WARNING
    log line; the log file keeps the warning."""
    settings = home / "config" / "settings.json"
    settings.write_text('{"redirect_ports": [99999], "flow": "nope", "enabled": true}\n')
    status = _cli(home, "status")
    assert status.returncode == 0
    assert status.stderr == ""
    notes = [line for line in status.stdout.splitlines() if "The saved setting" in line]
    assert sorted(note.split("'")[1] for note in notes) == ["flow", "redirect_ports"]
    assert any("Choose one: maica-xero config set flow NAME" in note for note in notes)
    done = _cli(home, "invoices")
    assert done.returncode == 0
    assert "WARNING" not in done.stderr
    assert sorted(line.split("'")[1] for line in done.stderr.splitlines()) == [
        "flow",
        "redirect_ports",
    ]
    assert all(line.startswith("Note: The saved setting") for line in done.stderr.splitlines())
    imported = _cli(home, "import", str(SAMPLE))  # re-checks the invoices against the flow
    assert imported.returncode == 0
    assert "WARNING" not in imported.stderr
    assert len(imported.stderr.splitlines()) == 2, imported.stderr
    log = (home / "logs" / "maica-xero.log").read_text(encoding="utf-8")
    assert "WARNING maica_xero_desktop.core.settings: The saved setting 'flow'" in log
    chosen = _cli(home, "config", "set", "flow", "draft")
    assert chosen.stdout == "flow = draft\n"
    assert "'redirect_ports'" not in _cli(home, "invoices").stderr  # saved over with the default
    assert _cli(home, "invoices").stderr == ""
