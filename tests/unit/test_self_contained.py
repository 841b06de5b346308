"""The project needs nothing outside its own folder to build, run or test (issue 10, item 1)."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from tests.contract import openapi

ROOT = Path(__file__).resolve().parents[2]
# A path that leaves the repository for its sibling folder ("..", "/", "shared"; or a Path's
# parent joined with "shared"). Spelled in parts so that this guard is not itself a match.
_SIBLING = "shared"
_OUTSIDE = re.compile(
    re.escape("..")
    + "/"
    + _SIBLING
    + r"\b"
    + r"|parent\s*/\s*[\"']"
    + _SIBLING
    + r"[\"']"
    + r"|parents\[\d\]\.parent"
)


def _tracked_files() -> list[Path]:
    out = subprocess.run(
        ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True
    ).stdout.decode()
    return [ROOT / name for name in out.split("\0") if name]


def test_no_tracked_file_reaches_outside_the_repository() -> None:
    offenders = []
    for path in _tracked_files():
        if path.suffix not in {".py", ".md", ".toml", ".spec", ".cfg", ".ini", ".sh", ""}:
            continue
        if not path.is_file():
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        offenders += [
            f"{path.relative_to(ROOT)}:{n}"
            for n, line in enumerate(text.splitlines(), 1)
            if _OUTSIDE.search(line)
        ]
    assert offenders == []


def test_the_openapi_files_are_the_projects_own_copy() -> None:
    folder = openapi.spec_dir()
    assert folder.resolve().is_relative_to(ROOT)
    for name in ("xero_accounting.yaml", "xero-identity.yaml", "xero-webhooks.yaml", "LICENSE"):
        assert (folder / name).is_file(), name
    assert "MIT" in (folder / "LICENSE").read_text(encoding="utf-8")
    assert "e952d0bda3628facbf7afc5990ad6a0e7e77bd1e" in (folder / "README.md").read_text()
    assert openapi.load_spec("xero-identity.yaml")["openapi"].startswith("3.")
