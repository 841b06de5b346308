"""``serve()`` and ``python -m maica_xero_desktop.sandbox`` as real processes."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import pytest
import requests


def _run(args: list[str]) -> None:
    with subprocess.Popen(
        [sys.executable, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    ) as proc:
        assert proc.stdout is not None
        try:
            printed = [proc.stdout.readline().rstrip("\n") for _ in range(5)]
            # Lines to paste into a shell: four exports, then what to do with them as a comment.
            assert all(line.startswith("export ") for line in printed[:4])
            assert printed[4].startswith("# Leave this running; paste the lines above")
            lines = [line.removeprefix("export ") for line in printed[:4]]
            names = [line.split("=", 1)[0] for line in lines]
            assert names == [
                "MAICA_XERO_LOGIN_URL",
                "MAICA_XERO_IDENTITY_URL",
                "MAICA_XERO_API_URL",
                "MAICA_XERO_CLIENT_ID",
            ]
            url = lines[0].split("=", 1)[1]
            assert {line.split("=", 1)[1] for line in lines[:3]} == {url}
            response = requests.get(f"{url}/connections", timeout=10)
            assert response.status_code == 401
        finally:
            proc.send_signal(signal.SIGTERM) if sys.platform != "win32" else proc.terminate()
            _, err = proc.communicate(timeout=20)
        if sys.platform != "win32":
            assert proc.returncode == 0, err
            assert err == ""


def test_serve_prints_the_four_lines_and_stops_on_sigterm() -> None:
    code = (
        "import sys\n"
        "from maica_xero_desktop.sandbox import serve\n"
        "sys.exit(serve(0, None, False))\n"
    )
    _run(["-W", "error", "-c", code])


def test_module_entry_point_with_state_file(tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    _run(["-m", "maica_xero_desktop.sandbox", "--state", str(state), "--auto-consent"])
    assert state.exists()


@pytest.mark.skipif(sys.platform == "win32", reason="port reuse semantics differ")
def test_serve_reports_a_busy_port() -> None:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        result = subprocess.run(
            [sys.executable, "-m", "maica_xero_desktop.sandbox", "--port", str(port)],
            capture_output=True,
            text=True,
            timeout=20,
            check=False,
        )
    assert result.returncode == 1
    assert result.stdout == ""
    assert "could not start" in result.stderr
