"""The layers are a checked contract (issue 15, item 1).

import-linter (``[tool.importlinter]`` in pyproject.toml) checks who imports whom; it cannot see an
attribute reached through the facade (``service.store.link_views(...)`` imports nothing). This test
reads every window module's code for such reach-throughs: the window asks ``Service`` (and its
``sync`` / ``webhooks`` parts) and never the collaborators behind it."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "maica_xero_desktop"
GUI = PACKAGE / "gui"
#: the front ends and the demo: they hold a Service and ask it, never what is behind it
FRONT_ENDS = (
    *sorted(GUI.glob("*.py")),
    PACKAGE / "cli.py",
    PACKAGE / "cli_webhooks.py",
    PACKAGE / "cli_maica.py",
    PACKAGE / "cli_wording.py",
    PACKAGE / "demo.py",
)

# What Service and its parts hold behind the facade: the window must not reach them.
COLLABORATORS = frozenset(
    {
        "store",
        "settings_store",
        "secrets",
        "tokens",
        "xero",
        "http",
        "connection_cache",
        "limits",
        "endpoints",
        "engine",
        # the test-only accessor of core/service.py (Internals): tests and benchmarks only
        "internals",
        "Internals",
    }
)


def reach_throughs(source: str) -> list[str]:
    """``line: expression`` for each attribute the code reads from behind the facade: a
    collaborator by name (``x.store``), or a private name of a ``service``/``sync``/``webhooks``
    object (``service._store``, ``self.service._http``), or the test-only accessor
    (``internals(service)``). Strings and comments are not code and are not read."""
    found: list[tuple[int, int, str]] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Name | ast.alias):
            name = node.id if isinstance(node, ast.Name) else node.name
            if name in {"internals", "Internals"}:
                line = getattr(node, "lineno", 0)
                found.append((line, getattr(node, "col_offset", 0), name))
            continue
        if not isinstance(node, ast.Attribute):
            continue
        owner = node.value
        owner_name = owner.attr if isinstance(owner, ast.Attribute) else getattr(owner, "id", "")
        private = node.attr.startswith("_") and owner_name in {"service", "sync", "webhooks"}
        if node.attr in COLLABORATORS or private:
            found.append((node.lineno, node.col_offset, ast.unparse(node)))
    return [f"{line}: {text}" for line, _col, text in sorted(found)]


def test_the_scan_finds_a_reach_through() -> None:
    code = (
        "def load(service):\n"
        "    text = 'developer.xero.com'  # service.store in a comment\n"
        "    service.store.link_views('t', [])\n"
        "    self.window.service.settings_store.update(None)\n"
        "    service._store\n"
        "    service.sync.run()\n"
        "    self.service._http.timeout\n"
        "    service.webhooks._keys\n"
        "    internals(service).xero\n"
    )
    assert reach_throughs(code) == [
        "3: service.store",
        "4: self.window.service.settings_store",
        "5: service._store",
        "7: self.service._http",
        "8: service.webhooks._keys",
        "9: internals",
        "9: internals(service).xero",
    ]


def test_the_front_ends_reach_core_only_through_the_facade() -> None:
    """The window, the CLI and the demo: no collaborator, no private name of the service, no
    test-only accessor (issue 15, item 2)."""
    offenders = {
        path.name: found
        for path in FRONT_ENDS
        if (found := reach_throughs(path.read_text(encoding="utf-8")))
    }
    assert offenders == {}


def test_the_import_contracts_hold() -> None:
    """The same check scripts/test runs right after mypy (here too, so a plain pytest run sees a
    broken layer)."""
    linter = Path(sys.executable).with_name("lint-imports")
    command = str(linter) if linter.is_file() else shutil.which("lint-imports")
    assert command, "import-linter is part of the test extra: pip install -e '.[test]'"
    result = subprocess.run(
        [command, "--no-cache"], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout[-3000:]
    assert "5 kept, 0 broken" in result.stdout
