"""The CLI as a separate process, and ``sandbox serve`` in one, for the tests that drive them."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager


def run_cli(
    *args: str, env: dict[str, str], timeout: float = 60, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    """``maica-xero ARGS`` in its own process (no terminal on stdin unless ``stdin`` is given)."""
    return subprocess.run(
        [sys.executable, "-m", "maica_xero_desktop", *args],
        env=env,
        input=stdin,
        stdin=subprocess.DEVNULL if stdin is None else None,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


@contextmanager
def served_sandbox(*args: str) -> Iterator[tuple[list[str], dict[str, str]]]:
    """``sandbox serve --auto-consent ARGS`` in its own process: the lines it prints up to and
    including its ``#`` line, and the ``export NAME=value`` pairs among them. Stopped on the way
    out, also when the test failed reading them."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "maica_xero_desktop", "sandbox", "serve", "--auto-consent", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        lines: list[str] = []
        for _ in range(20):
            line = proc.stdout.readline().strip()
            if not line:
                break
            lines.append(line)
            if line.startswith("#"):
                break
        exports = dict(
            line.removeprefix("export ").split("=", 1)
            for line in lines
            if line.startswith("export ")
        )
        yield lines, exports
    finally:
        proc.terminate()
        proc.communicate(timeout=10)
