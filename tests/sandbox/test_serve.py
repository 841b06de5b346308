"""``serve()`` and ``python -m maica_xero_desktop.sandbox`` as real processes."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import pytest
import requests


def _run(args: list[str], namespace: str = "maica_cc") -> None:
    with subprocess.Popen(
        [sys.executable, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    ) as proc:
        assert proc.stdout is not None
        try:
            printed = [proc.stdout.readline().rstrip("\n") for _ in range(7)]
            # Lines to paste into a shell: six exports (Xero's four, then the Maica org's two),
            # then what to do with them as a comment.
            assert all(line.startswith("export ") for line in printed[:6])
            assert printed[6].startswith("# Leave this running; paste the lines above")
            lines = [line.removeprefix("export ") for line in printed[:6]]
            names = [line.split("=", 1)[0] for line in lines]
            assert names == [
                "MAICA_XERO_LOGIN_URL",
                "MAICA_XERO_IDENTITY_URL",
                "MAICA_XERO_API_URL",
                "MAICA_XERO_CLIENT_ID",
                "MAICA_XERO_SF_LOGIN_URL",
                "MAICA_XERO_SF_CLIENT_ID",
            ]
            url = lines[0].split("=", 1)[1]
            assert {line.split("=", 1)[1] for line in (*lines[:3], lines[4])} == {url}
            assert lines[5].split("=", 1)[1].startswith("3MVG")
            response = requests.get(f"{url}/connections", timeout=10)
            assert response.status_code == 401
            maica = requests.get(f"{url}/_sandbox/maica/stats", timeout=10).json()
            assert maica["namespace"] == namespace
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


def test_module_entry_point_with_the_older_maica_namespace() -> None:
    _run(["-m", "maica_xero_desktop.sandbox", "--maica-namespace", "maica"], namespace="maica")


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


def _serve_cli(args: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *args],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


@pytest.mark.parametrize(
    "entry",
    [["-m", "maica_xero_desktop", "sandbox", "serve"], ["-m", "maica_xero_desktop.sandbox"]],
)
@pytest.mark.parametrize("port", ["99999", "-1", "65536", "many"])
def test_a_port_out_of_range_is_one_sentence_and_exit_2(entry: list[str], port: str) -> None:
    result = _serve_cli([*entry, f"--port={port}"])
    assert result.returncode == 2
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    assert f"'{port}' is not a port: use a whole number from 0 to 65535" in result.stderr


def test_serve_refuses_a_port_out_of_range_when_called_directly() -> None:
    from maica_xero_desktop.sandbox import serve

    assert serve(70000, None, False) == 2


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX paths")
@pytest.mark.parametrize("where", ["under-a-file", "proc"])
def test_a_state_file_in_a_folder_that_cannot_be_written_is_refused_at_start(
    tmp_path: Path, where: str
) -> None:
    if where == "proc":
        state = "/proc/nope/state.json"
    else:
        (tmp_path / "plain").write_text("x", encoding="utf-8")
        state = str(tmp_path / "plain" / "deeper" / "state.json")
    result = _serve_cli(["-m", "maica_xero_desktop", "sandbox", "serve", "--state", state])
    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("The sandbox cannot keep its state in ")
    assert "give --state a file in a folder you can write to" in lines[0]


def test_a_state_file_that_is_a_folder_is_refused(tmp_path: Path) -> None:
    result = _serve_cli(["-m", "maica_xero_desktop.sandbox", "--state", str(tmp_path)])
    assert result.returncode == 2
    assert "is a folder: give --state a file name" in result.stderr


def test_a_save_failure_while_serving_is_one_log_line(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    import logging
    import shutil
    import time

    from maica_xero_desktop.sandbox import Sandbox

    folder = tmp_path / "state"
    folder.mkdir()
    state = folder / "state.json"
    sandbox = Sandbox(state_file=str(state), state_save_interval=0.05).start()
    try:
        # The folder goes away and a plain file takes its place: every save now fails.
        shutil.rmtree(folder)
        folder.write_text("not a folder", encoding="utf-8")
        with caplog.at_level(logging.WARNING, logger="maica_xero_desktop.sandbox"):
            sandbox.state.mark_dirty()
            deadline = time.monotonic() + 10
            while not caplog.records and time.monotonic() < deadline:
                time.sleep(0.05)
            # The server keeps serving.
            response = requests.get(f"{sandbox.base_url}/connections", timeout=10)
            assert response.status_code == 401
    finally:
        with caplog.at_level(logging.WARNING, logger="maica_xero_desktop.sandbox"):
            sandbox.stop()
    assert caplog.records
    for record in caplog.records:
        assert record.exc_info is None
        message = record.getMessage()
        assert "\n" not in message
        assert message.startswith(f"could not save the state file {state}: ")
