"""A plain (not editable) install of the wheel runs the demo story (issue 15, item 5): the files the
program reads at run time are package data, found with importlib.resources, not the source tree.

The wheel is built from a copy of the package, installed with no dependencies into a fresh virtual
environment; a ``.pth`` file there appends this environment's site-packages, so the dependencies
(requests, keyring, …) resolve while ``maica_xero_desktop`` itself comes from the wheel. Everything
runs from a folder outside the repository."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
from keyring.backend import KeyringBackend

pytestmark = pytest.mark.secret_service

ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Installed:
    python: Path
    cli: Path
    workdir: Path


def _run(command: list[str], **kwargs: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # type: ignore[call-overload, no-any-return]
        command, capture_output=True, text=True, check=False, timeout=240, **kwargs
    )


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    base = tmp_path_factory.mktemp("wheel")
    source = base / "source"
    source.mkdir()
    shutil.copy2(ROOT / "pyproject.toml", source)
    shutil.copy2(ROOT / "README.md", source)
    shutil.copytree(
        ROOT / "maica_xero_desktop",
        source / "maica_xero_desktop",
        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"),
    )
    wheels = base / "wheels"
    built = _run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "--disable-pip-version-check",
            "-q",
            "-w",
            str(wheels),
            str(source),
        ],
        cwd=base,
    )
    assert built.returncode == 0, built.stderr
    (wheel,) = wheels.glob("maica_xero_desktop-*.whl")

    venv = base / "venv"
    made = _run([sys.executable, "-m", "venv", "--without-pip", str(venv)])
    assert made.returncode == 0, made.stderr
    python = venv / "bin" / "python"
    added = _run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            str(python),
            "install",
            "--no-deps",
            "--no-index",
            "--disable-pip-version-check",
            "-q",
            str(wheel),
        ],
        cwd=base,
    )
    assert added.returncode == 0, added.stderr
    site = _run([str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"])
    # The dependencies from this environment, after the wheel's own site-packages.
    outer = sysconfig.get_path("purelib")
    Path(site.stdout.strip(), "outer-dependencies.pth").write_text(outer + "\n", encoding="utf-8")
    workdir = base / "elsewhere"
    workdir.mkdir()
    return Installed(python, venv / "bin" / "maica-xero", workdir)


@pytest.fixture
def env(installed: Installed, tmp_path: Path) -> dict[str, str]:
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("MAICA_XERO_") and k not in ("PYTHONPATH", "PYTHON_KEYRING_BACKEND")
    }
    clean["MAICA_XERO_HOME"] = str(tmp_path / "home")
    return clean


def test_the_package_comes_from_the_wheel_with_its_data(
    installed: Installed, env: dict[str, str]
) -> None:
    code = (
        "import json, maica_xero_desktop as m; from maica_xero_desktop.resources import "
        "resource_path as r; print(json.dumps([m.__file__, str(r('sample-maica-export.csv')), "
        "r('sample-maica-export.csv').is_file(), r('icons/app/maica-xero-48.png').is_file(), "
        "r('icons/panels/sync.svg').is_file()]))"
    )
    shown = _run([str(installed.python), "-c", code], env=env, cwd=installed.workdir)
    assert shown.returncode == 0, shown.stderr
    package, sample, *found = json.loads(shown.stdout)
    venv = installed.python.parent.parent
    assert Path(package).is_relative_to(venv)
    assert Path(sample).is_relative_to(venv)
    assert found == [True, True, True]

    version = _run([str(installed.cli), "--version"], env=env, cwd=installed.workdir)
    assert version.returncode == 0, version.stderr
    from maica_xero_desktop import __version__

    assert version.stdout.strip() == f"maica-xero {__version__}"


@pytest.fixture
def sandbox(installed: Installed, env: dict[str, str], tmp_path: Path) -> Iterator[dict[str, str]]:
    proc = subprocess.Popen(
        [
            str(installed.cli),
            "sandbox",
            "serve",
            "--auto-consent",
            "--state",
            str(tmp_path / "sandbox-state.json"),
        ],
        env=env,
        cwd=installed.workdir,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    lines = [proc.stdout.readline().strip() for _ in range(4)]
    assert all(line.startswith("export MAICA_XERO_") for line in lines), lines
    yield dict(line.removeprefix("export ").split("=", 1) for line in lines)
    proc.terminate()
    proc.communicate(timeout=10)


def test_the_cli_demo_story_runs_from_the_wheel(
    installed: Installed,
    env: dict[str, str],
    sandbox: dict[str, str],
    secret_service: KeyringBackend,
) -> None:
    env.update(sandbox)

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return _run([str(installed.cli), *args], env=env, cwd=installed.workdir)

    assert cli("enable").returncode == 0
    connect = subprocess.Popen(
        [str(installed.cli), "connect", "--no-browser", "--timeout", "30"],
        env=env,
        cwd=installed.workdir,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        stdin=subprocess.DEVNULL,
    )
    assert connect.stdout is not None
    url = ""
    deadline = time.monotonic() + 20
    while not url and time.monotonic() < deadline:
        line = connect.stdout.readline()
        assert line, "connect ended before printing the address"
        url = line.strip() if line.startswith("http") else ""
    assert requests.get(url, timeout=10).status_code == 200
    _out, err = connect.communicate(timeout=30)
    assert connect.returncode == 0, err
    used = cli("use", "Demo Company (AU)")
    assert used.returncode == 0, used.stderr

    sample = _run(
        [
            str(installed.python),
            "-c",
            "from maica_xero_desktop.resources import resource_path as r; "
            "print(r('sample-maica-export.csv'))",
        ],
        env=env,
        cwd=installed.workdir,
    ).stdout.strip()
    imported = cli("import", sample)
    assert imported.returncode == 0, imported.stderr
    cli("sync")  # one invoice of the sample is blocked on purpose: the exit code says so
    status = json.loads(cli("status", "--json").stdout)
    assert status["enabled"] is True
    assert status["token_state"] == "valid"
    history = cli("history", "--json")
    assert history.returncode == 0, history.stderr
    (run,) = json.loads(history.stdout)
    assert run["created"] > 0, run
    assert cli("logout").returncode == 0
