"""The window words the core's remedies its own way (issue 10.5): the error box and the
webhooks section say which button to press, never a command."""

from __future__ import annotations

from pytestqt.qtbot import QtBot

from maica_xero_desktop.core.errors import ConfigurationError, NotConnected, Remedy
from maica_xero_desktop.core.webhooks.listener import NO_KEY
from maica_xero_desktop.gui.errors import ErrorPresenter
from maica_xero_desktop.gui.webhooks_setup import gui_sentence


def test_the_error_box_says_which_button_connects(qtbot: QtBot) -> None:
    presenter = ErrorPresenter()
    with qtbot.waitSignal(presenter.error_shown) as shown:
        presenter.present(NotConnected())
    assert shown.args == [
        "This computer is not connected to Xero. Connect to Xero first: press “Connect to Xero…” "
        "in Active Connections."
    ]
    box = presenter.last_box
    assert box is not None
    assert "maica-xero" not in box.text()
    box.close()


def test_the_webhook_key_sentence_points_at_the_key_field() -> None:
    said = gui_sentence(ConfigurationError(NO_KEY, remedy=Remedy.SET_WEBHOOK_KEY))
    assert said.startswith("No webhook key is saved. Copy the webhook key")
    assert said.endswith("paste it under “Webhook key” and press “Save key”.")
