"""The receiver's status file: ``<data>/webhook-receiver.json`` (no secrets).

Written by a running receiver (in the window or ``maica-xero webhooks serve``) so that any other
process can show whether it listens: its pid, address and accepted paths, when it started, the
last Intent to Receive series (how many requests were answered 200 and 401), the last catch-up
pull, and request counters. Changes are marked and written by the receiver's housekeeping thread
(within a fifth of a second; the request counters alone at most every five seconds) and at stop,
atomically (temp file + rename), mode 0600.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from pathlib import Path
from typing import Any

from ..jsonfile import read_json, write_json_atomic

FILE_NAME = "webhook-receiver.json"
#: Intent-to-Receive requests closer together than this belong to the same series.
ITR_SERIES_GAP_S = 60.0
#: request counters alone are written at most this often (everything else within a flush tick)
COUNTERS_EVERY_S = 5.0


def status_path(data_dir: Path) -> Path:
    return data_dir / FILE_NAME


def read_status(path: Path) -> dict[str, Any]:
    """The saved status, ``listening`` corrected when the process that wrote it is gone."""
    try:
        data = read_json(path)
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict):
        return {}
    if data.get("listening") and not _alive(data.get("pid")):
        data["listening"] = False
        data["stale"] = True
    return data


def _alive(pid: Any) -> bool:
    if not isinstance(pid, int) or pid <= 0:
        return False
    if pid == os.getpid():
        return True
    if os.name != "posix":
        return True  # no cheap, safe check there: trust the file
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class StatusFile:
    """The live status of one receiver, flushed to disk by :meth:`flush`."""

    def __init__(self, path: Path, clock: Any = time.time) -> None:
        self.path = path
        self._clock = clock
        self._lock = threading.Lock()
        self._write_lock = threading.Lock()
        self._dirty = False
        self._counted = False
        self._written_at = 0.0
        previous = read_status(path)
        itr = previous.get("intent_to_receive")
        catch_up = previous.get("catch_up")
        self._data: dict[str, Any] = {
            "pid": os.getpid(),
            "listening": False,
            "host": "",
            "port": 0,
            "paths": [],
            "started_at": None,
            "stopped_at": None,
            "intent_to_receive": itr if isinstance(itr, dict) else None,
            "catch_up": catch_up if isinstance(catch_up, dict) else None,
            "requests": {"accepted": 0, "refused": 0, "too_large": 0, "disabled": 0, "bad": 0},
        }

    def update(self, **fields: Any) -> None:
        with self._lock:
            self._data.update(fields)
            self._dirty = True

    def count(self, name: str) -> None:
        with self._lock:
            counters = self._data["requests"]
            counters[name] = int(counters.get(name, 0)) + 1
            self._counted = True

    def intent_to_receive(self, status: int) -> None:
        """Record one Intent-to-Receive request and how it was answered (200 or 401)."""
        now = self._clock()
        with self._lock:
            itr = self._data.get("intent_to_receive") or {}
            if not itr or now - float(itr.get("last_at") or 0) > ITR_SERIES_GAP_S:
                itr = {"series_started_at": now, "answered_200": 0, "answered_401": 0}
            key = f"answered_{status}"
            itr[key] = int(itr.get(key, 0)) + 1
            itr["last_at"] = now
            itr["last_status"] = status
            self._data["intent_to_receive"] = itr
            self._dirty = True

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {k: dict(v) if isinstance(v, dict) else v for k, v in self._data.items()}

    def flush(self, force: bool = False) -> None:
        with self._write_lock:  # snapshots reach the disk in the order they were taken
            with self._lock:
                now = self._clock()
                counters_due = self._counted and now - self._written_at >= COUNTERS_EVERY_S
                if not (self._dirty or force or counters_due):
                    return
                self._dirty = self._counted = False
                self._written_at = now
                data = {k: dict(v) if isinstance(v, dict) else v for k, v in self._data.items()}
                data["updated_at"] = now
            with contextlib.suppress(OSError):  # a full disk must not stop the receiver
                write_json_atomic(self.path, data)
