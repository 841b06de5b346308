"""Every sentence fits the front end that shows it (issue 10.5): the core names no front end,
the window names no command or flag, the CLI never says "click", and each remedy has words in
both front ends."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from maica_xero_desktop import cli_wording
from maica_xero_desktop.core.errors import (
    NEUTRAL,
    IntegrationDisabled,
    MaicaXeroError,
    NoActiveOrganisation,
    NotConnected,
    Notice,
    Remedy,
)
from maica_xero_desktop.gui import wording as gui_wording

PACKAGE = Path(__file__).resolve().parents[2] / "maica_xero_desktop"


def _strings(path: Path) -> list[str]:
    """The string constants of a module that a person may read (docstrings left out)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    return [
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and id(node) not in docstrings
    ]


@pytest.mark.parametrize(
    "path", sorted((PACKAGE / "core").rglob("*.py")), ids=lambda p: str(p.relative_to(PACKAGE))
)
def test_core_sentences_name_no_front_end(path: Path) -> None:
    for text in _strings(path):
        assert "maica-xero " not in text, text
        assert "--port" not in text, text
        assert "standard input" not in text, text
        for word in ("click", "press ", "the window"):
            assert word not in text.lower(), text


# app.py's own text is its --help, read in a terminal.
WINDOW_MODULES = sorted(p for p in (PACKAGE / "gui").glob("*.py") if p.name != "app.py")


@pytest.mark.parametrize("path", WINDOW_MODULES, ids=lambda p: p.name)
def test_window_text_names_no_command_or_flag(path: Path) -> None:
    for text in _strings(path):
        assert "maica-xero " not in text, text
        assert "standard input" not in text, text
        assert "--port" not in text, text


def test_every_remedy_is_worded_by_both_front_ends() -> None:
    for remedy in Remedy:
        assert remedy in NEUTRAL
        cli = cli_wording.say(MaicaXeroError("Fact.", remedy=remedy))
        gui = gui_wording.say(MaicaXeroError("Fact.", remedy=remedy))
        assert cli.startswith("Fact. ")
        assert gui.startswith("Fact. ")
        assert "click" not in cli.lower(), cli
        assert "press" not in cli.lower(), cli
        assert "maica-xero" not in gui, gui
        assert " --" not in gui, gui


def test_not_connected_says_connect_first_in_each_front_end() -> None:
    error = NotConnected()
    assert error.sentence == "This computer is not connected to Xero. Connect to Xero first."
    assert cli_wording.say(error).endswith("Connect to Xero first: maica-xero connect.")
    assert gui_wording.say(error).endswith(
        "Connect to Xero first: press “Connect to Xero…” in Active Connections."
    )


def test_remedies_of_the_common_errors() -> None:
    assert IntegrationDisabled().remedy is Remedy.ENABLE
    assert "maica-xero enable" in cli_wording.say(IntegrationDisabled())
    assert "Enable the Xero integration" in gui_wording.say(IntegrationDisabled())
    assert "maica-xero use NAME" in cli_wording.say(NoActiveOrganisation())
    assert "Use this organisation" in gui_wording.say(NoActiveOrganisation())


def test_a_notice_is_text_that_carries_its_remedy() -> None:
    notice = Notice("No webhook key is saved.", Remedy.SET_WEBHOOK_KEY)
    assert isinstance(notice, str)
    assert notice.startswith("No webhook key is saved. Copy")
    assert "maica-xero webhooks set-key" in cli_wording.say(notice)
    assert "“Save key”" in gui_wording.say(notice)
    assert cli_wording.say("plain text") == "plain text"


def test_outside_text_is_escaped_in_both_front_ends() -> None:
    error = MaicaXeroError("Xero said: \x1b[31mred\u202e.", remedy=Remedy.RECONNECT)
    assert "\\x1b[31mred\\u202e." in cli_wording.say(error)
    assert "\\x1b[31mred\\u202e." in gui_wording.say(error)


def test_the_keyring_sentence_points_at_a_section_the_guide_has() -> None:
    guide = (PACKAGE.parent / "docs" / "user-guide.md").read_text(encoding="utf-8")
    assert "## 12. A server without a desktop keyring" in guide
    assert "dbus-run-session -- sh -c 'printf pw | gnome-keyring-daemon --unlock" in guide
    for remedy in (Remedy.SET_UP_KEYRING, Remedy.UNLOCK_KEYRING):
        said = cli_wording.say(MaicaXeroError("No keyring.", remedy=remedy))
        assert "docs/user-guide.md, section “A server without a desktop keyring”" in said
