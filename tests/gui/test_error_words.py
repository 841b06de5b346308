"""Every panel words a service error the window's way (issue 10.5): the remedy names a button or a
field, never a command or a flag. The test walks the window's error paths and reads every message
it showed."""

from __future__ import annotations

import re

import pytest
from pytestqt.qtbot import QtBot

from maica_xero_desktop.core.errors import NotConnected, Remedy
from maica_xero_desktop.gui import widgets
from maica_xero_desktop.gui.main_window import MainWindow
from maica_xero_desktop.gui.wording import WORDS, say

from .conftest import connect, enable, idle

CLI_WORDS = re.compile(r"maica-xero|(^|\s)--[a-z]")


@pytest.fixture
def shown(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    said: list[str] = []
    original = widgets.StatusLine.show_message

    def record(self: widgets.StatusLine, text: str, kind: str = "info") -> None:
        said.append(text)
        original(self, text, kind)

    monkeypatch.setattr(widgets.StatusLine, "show_message", record)
    return said


def _words(remedy: Remedy) -> str:
    text = WORDS[remedy]
    return text if isinstance(text, str) else text({})


def test_the_windows_error_paths_name_buttons_never_commands(
    qtbot: QtBot, window: MainWindow, shown: list[str]
) -> None:
    sync = window.sync
    # off: Run Now says where the switch is
    sync.start_run()
    idle(qtbot, window)
    assert sync.result_line.text().endswith(_words(Remedy.ENABLE))
    enable(qtbot, window)
    # on, not signed in
    sync.start_run(dry_run=True)
    idle(qtbot, window)
    assert sync.result_line.text().endswith(_words(Remedy.CONNECT))
    idle(qtbot, window)
    # signed in, no organisation chosen (the sandbox has two)
    connect(qtbot, window)
    sync.start_run()
    idle(qtbot, window)
    assert "“Use this organisation”" in sync.result_line.text()
    # the webhooks section: Process now without a key or a site
    window.webhooks.process_now()
    idle(qtbot, window)
    # the receiver without a key
    window.webhooks.receiver.start_button.click()
    idle(qtbot, window)
    # the connections panel's own error line
    window.connections._failed(NotConnected())
    assert window.connections.status.text() == say(NotConnected())
    assert shown, "no message was shown"
    for text in shown:
        assert not CLI_WORDS.search(text), text
