"""The window's layout rules (issue 14, "The window"): Run Now, Preview and the last run's outcome
in sight at 1280x800 and 1024x700 on every page; no nested scroll areas; no column header cut;
a prominent title and a next step on every page; example text only as placeholders; every action
reachable by keyboard, with unique mnemonics on each page; long organisation names."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from PySide6.QtCore import QRect, Qt
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractScrollArea,
    QApplication,
    QCheckBox,
    QGroupBox,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableView,
    QTabWidget,
    QWidget,
)
from pytestqt.qtbot import QtBot

from maica_xero_desktop.gui.guide import NO_EVENTS, TITLE_SCALE
from maica_xero_desktop.gui.main_window import MainWindow
from maica_xero_desktop.gui.sync_panel import OFF
from maica_xero_desktop.sandbox import Sandbox

from .conftest import WAIT_MS, connect, enable, idle

SIZES = ((1280, 800), (1024, 700))
MNEMONIC = re.compile(r"&([^&\s])")
LONG_NAME = (
    "Maica Care Services and Community Participation Supports for the Northern Rivers, New "
    "England, Mid North Coast, Hunter and Central Coast Regions of New South Wales Pty Ltd"
)


def _in_sight(window: MainWindow, widget: QWidget) -> bool:
    """Shown, and wholly inside the window's client area (nothing to scroll to)."""
    if not widget.isVisible():
        return False
    top_left = widget.mapTo(window, widget.rect().topLeft())
    return window.rect().contains(QRect(top_left, widget.size()))


def _pages(window: MainWindow) -> Iterator[int]:
    for number in range(len(window.pages)):
        window.nav.setCurrentRow(number)
        QApplication.processEvents()
        yield number


def _check_run_controls(window: MainWindow, outcome: bool) -> None:
    for width, height in SIZES:
        window.resize(width, height)
        QApplication.processEvents()
        assert (window.width(), window.height()) == (width, height)
        for number in _pages(window):
            where = f"{width}x{height}, page {window.pages[number].title_text}"
            assert _in_sight(window, window.sync.run_button), where
            assert _in_sight(window, window.sync.preview_button), where
            assert _in_sight(window, window.strip.facts), where
            assert "Last&nbsp;run:" in window.strip.facts.text()
            if outcome:
                assert _in_sight(window, window.sync.result_line), where


def test_run_now_preview_and_the_last_run_are_in_sight_in_every_state(
    qtbot: QtBot, window: MainWindow, sandbox: Sandbox
) -> None:
    _check_run_controls(window, outcome=False)  # first start: off, not connected
    enable(qtbot, window)
    connect(qtbot, window)
    _check_run_controls(window, outcome=False)
    from .conftest import SAMPLE, import_file, use

    use(qtbot, window)
    import_file(qtbot, window, SAMPLE)
    with qtbot.waitSignal(window.sync.run_finished, timeout=WAIT_MS * 2):
        window.sync.run_button.click()
    idle(qtbot, window)
    assert "finished" in window.strip.facts.text()
    _check_run_controls(window, outcome=True)
    # the largest organisation names wrap in the strip; nothing is pushed out of sight
    window.service.use(window.hub.tenant_id)

    def rename(s: object) -> None:
        s.active_tenant_name = LONG_NAME  # type: ignore[attr-defined]

    window.service.update_settings(rename)
    window.hub.refresh()
    idle(qtbot, window)
    assert LONG_NAME in window.strip.facts.text()
    _check_run_controls(window, outcome=True)
    # signed out, then the integration off: the last run stays named in the strip
    window.service.logout(local_only=True)
    window.hub.refresh()
    idle(qtbot, window)
    assert "not&nbsp;connected" in window.strip.facts.text().replace(" ", "&nbsp;")
    assert "finished" in window.strip.facts.text()
    _check_run_controls(window, outcome=False)
    window.service.set_enabled(False)
    window.hub.refresh()
    idle(qtbot, window)
    assert not window.sync.run_button.isEnabled()
    assert window.sync.target.text() == OFF
    _check_run_controls(window, outcome=False)


def test_no_scroll_area_inside_another(window: MainWindow) -> None:
    """The wheel scrolls what is under it: no page scrolls as a whole around a list."""
    for area in window.findChildren(QAbstractScrollArea):
        if isinstance(area, QHeaderView):  # part of its table
            continue
        parent = area.parentWidget()
        while parent is not None and parent is not window:
            assert not isinstance(parent, QAbstractScrollArea), (
                f"{area.accessibleName() or type(area).__name__} inside "
                f"{parent.accessibleName() or type(parent).__name__}"
            )
            parent = parent.parentWidget()


def _cut_headers(window: MainWindow) -> list[str]:
    cut = []
    for table in window.findChildren(QTableView):
        if not table.isVisible():
            continue
        header = table.horizontalHeader()
        for column in range(header.count()):
            if header.isSectionHidden(column):
                continue
            if header.sectionSize(column) < header.sectionSizeFromContents(column).width():
                text = table.model().headerData(column, Qt.Orientation.Horizontal)
                cut.append(f"{table.accessibleName()}: {text}")
    return cut


def test_no_column_header_is_cut(qtbot: QtBot, ready: MainWindow) -> None:
    window = ready
    with qtbot.waitSignal(window.sync.run_finished, timeout=WAIT_MS * 2):
        window.sync.run_button.click()
    idle(qtbot, window)
    for width, height in SIZES:
        window.resize(width, height)
        for _ in _pages(window):
            for tab in range(window.sync.tabs.count()):
                window.sync.tabs.setCurrentIndex(tab)
                QApplication.processEvents()
                assert _cut_headers(window) == [], f"{width}x{height}"


def test_every_section_has_a_prominent_title_and_says_what_to_do_next(
    qtbot: QtBot, window: MainWindow
) -> None:
    base = QApplication.font().pointSizeF()
    for page in window.pages:
        assert page.title.font().bold()
        assert page.title.font().pointSizeF() >= base * TITLE_SCALE - 0.01
        assert not isinstance(page.panel, QGroupBox) or page.panel.title() == ""  # one title
    enable(qtbot, window)
    # not connected yet: Active Connections says which button; the others say what is missing
    connections, webhooks, sync = window.pages[1], window.pages[2], window.pages[3]
    assert "Connect to Xero…" in connections.hint.text()
    window.webhooks.refresh()
    idle(qtbot, window)
    assert webhooks.hint.text() == NO_EVENTS
    assert window.sync.invoices.count_label.text().startswith("No invoices yet: import")
    connect(qtbot, window)
    assert "Use this organisation" in connections.hint.text()
    assert "choose one under Active Connections" in sync.hint.text()
    assert window.sync.history.runs.rowCount() == 0
    assert window.sync.history.status.text().startswith("No runs yet")


def test_the_first_run_is_guided_before_enable_and_examples_are_placeholders(
    qtbot: QtBot, window: MainWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert not window.hub.enabled
    assert window.pages[0].hint.text()  # the Enable page says what comes first
    assert window.pages[0].off.text() == ""
    for page in window.pages[1:]:
        assert "off" in page.off.text()
    setup = window.connections.setup
    assert setup.isEnabled()
    assert setup.change_button.isEnabled()
    for field in window.findChildren(QLineEdit):
        example = field.placeholderText()
        if example.startswith("e.g."):
            assert field.text() == "", field.accessibleName()
    site = window.webhooks.setup.site
    assert site.text() == ""
    assert site.placeholderText().startswith("e.g. https://")
    assert window.webhooks.setup.delivery.text() == ""  # the "no site yet" sentence is a hint


def _mnemonics(widgets: list[QWidget]) -> list[str]:
    found = []
    for widget in widgets:
        texts: list[str] = []
        if isinstance(widget, QAbstractButton):
            texts.append(widget.text())
        if isinstance(widget, QLabel) and widget.buddy() is not None:  # only a buddy's counts
            texts.append(widget.text())
        if isinstance(widget, QTabWidget):
            texts += [widget.tabText(i) for i in range(widget.count())]
        for text in texts:
            found += [m.lower() for m in MNEMONIC.findall(text.replace("&&", ""))]
    return found


def test_mnemonics_are_unique_on_each_page_and_every_action_takes_focus(
    window: MainWindow,
) -> None:
    menus = [a.text() for a in window.menuBar().actions()]
    shared = [m.lower() for t in menus for m in MNEMONIC.findall(t)]
    shared += _mnemonics(window.strip.findChildren(QWidget))
    for page in window.pages:
        keys = shared + _mnemonics(page.findChildren(QWidget))
        doubled = sorted({k for k in keys if keys.count(k) > 1})
        assert doubled == [], f"{page.title_text}: Alt+{', Alt+'.join(doubled)} used twice ({keys})"
    for part in (window.strip, *window.pages):
        for button in part.findChildren(QPushButton) + part.findChildren(QCheckBox):
            assert button.focusPolicy() & Qt.FocusPolicy.TabFocus, button.text()


def test_ctrl_and_a_number_opens_each_section(qtbot: QtBot, window: MainWindow) -> None:
    window.activateWindow()
    for number in range(4, 0, -1):
        qtbot.keyClick(window, Qt.Key(Qt.Key.Key_0 + number), Qt.KeyboardModifier.ControlModifier)
        assert window.stack.currentIndex() == number - 1


def test_a_dark_palette_recolours_the_hints_and_the_strip(qtbot: QtBot, window: MainWindow) -> None:
    from PySide6.QtGui import QPalette

    from maica_xero_desktop.gui.theme import dark_palette
    from maica_xero_desktop.gui.widgets import hint_color

    app = QApplication.instance()
    assert isinstance(app, QApplication)
    light = app.palette()
    line = window.enable.explanation  # "off": a warning
    assert line.kind == "warning"
    try:
        app.setPalette(dark_palette())
        QApplication.processEvents()
        dark = dark_palette()
        wanted = hint_color("warning", dark)
        assert line.palette().color(QPalette.ColorRole.WindowText) == wanted
        assert wanted.lightness() > 128  # light text on the dark window
        assert wanted.name() in window.strip.facts.text()  # "Integration: off" in the dark hue
    finally:
        app.setPalette(light)
        QApplication.processEvents()
    assert line.palette().color(QPalette.ColorRole.WindowText) == hint_color("warning", light)


def test_the_enable_page_lists_the_first_runs_steps(qtbot: QtBot, ready: MainWindow) -> None:
    from maica_xero_desktop.gui.guide import CHECKLIST

    text = ready.checklist.text()
    for step, _ in CHECKLIST:
        assert step.replace("'", "&#x27;") in text
    assert text.count("(done)") == 5  # all but the first run
    with qtbot.waitSignal(ready.sync.run_finished, timeout=WAIT_MS * 2):
        ready.sync.run_button.click()
    idle(qtbot, ready)
    assert ready.checklist.text().count("(done)") == 6


def test_a_hundred_thousand_invoices_keep_the_page_readable(
    qtbot: QtBot, ready: MainWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The count the store reports is what the page has to show: the list pages (the view asks
    for one page at a time) and the count reads in full next to the tools."""
    window = ready
    real = window.service.invoice_page

    def many(tenant: str, state: str | None = None, limit: int = -1, offset: int = 0) -> object:
        _, rows = real(tenant, state, limit, offset)
        return 100_000, rows

    monkeypatch.setattr(window.service, "invoice_page", many)
    panel = window.sync.invoices
    panel.reload()
    idle(qtbot, window)
    assert panel.model.total == 100_000
    assert panel.model.rowCount() == 40  # what the page had; no row for each of 100,000
    label = panel.count_label
    assert label.text().startswith("100,000 invoices (40 loaded")
    for width, height in SIZES:
        window.resize(width, height)
        QApplication.processEvents()
        assert _in_sight(window, label)
        assert label.height() >= label.heightForWidth(label.width())  # not cut
        assert _in_sight(window, window.sync.run_button)


def test_the_receiver_goes_under_the_setup_in_a_narrow_window(window: MainWindow) -> None:
    from PySide6.QtWidgets import QBoxLayout

    window.show_section(window.webhooks)
    for (width, height), direction in zip(
        SIZES,
        (QBoxLayout.Direction.LeftToRight, QBoxLayout.Direction.TopToBottom),
        strict=True,
    ):
        window.resize(width, height)
        QApplication.processEvents()
        assert window.webhooks._top.direction() == direction
        for field in (window.webhooks.receiver.host, window.webhooks.setup.delivery):
            assert field.width() >= field.minimumSizeHint().width()
            assert _in_sight(window, field)


def test_keyboard_focus_is_ringed_and_a_click_is_not(qtbot: QtBot, window: MainWindow) -> None:
    from maica_xero_desktop.gui.focus_ring import RING_NAME, FocusRing

    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=WAIT_MS)
    window.nav.setFocus(Qt.FocusReason.TabFocusReason)
    ring = window.findChild(FocusRing, RING_NAME)
    assert isinstance(ring, FocusRing)
    qtbot.waitUntil(ring.isVisible, timeout=WAIT_MS)

    def around(widget: QWidget) -> bool:
        place = QRect(widget.mapTo(window, widget.rect().topLeft()), widget.size())
        return ring.isVisible() and ring.geometry().contains(place)

    assert around(window.nav)
    qtbot.keyClick(window.nav, Qt.Key.Key_Tab)
    focused = QApplication.focusWidget()
    assert focused is not None
    assert focused is not window.nav
    assert around(focused)  # the ring went with the Tab
    # a click on the section list: the list shows where the focus went, no ring
    item = window.nav.item(1)
    where = window.nav.visualItemRect(item).center()
    qtbot.mouseClick(window.nav.viewport(), Qt.MouseButton.LeftButton, pos=where)
    assert QApplication.focusWidget() is window.nav
    assert window.stack.currentIndex() == 1
    assert not ring.isVisible()


def test_the_selected_webhook_events_message_reads_in_full(window: MainWindow) -> None:
    from maica_xero_desktop.core.store.events import StoredEvent
    from maica_xero_desktop.gui.webhooks_events import EventRow

    message = (
        "INV-002440: Partially Paid — paid 100.00, due 305.36 (Xero INV-002440, AUTHORISED); "
        "this sentence is long on purpose so that the Message column cuts it."
    )
    event = StoredEvent(
        1, "d-1", 0.0, "t", "ORGANISATION", "INVOICE", "UPDATE", "r", "u", "", "processed",
        message, 1, 1, 0.0, None,
    )  # fmt: skip
    panel = window.webhooks
    window.show_section(panel)
    panel.table.events.set_rows([EventRow(event, "Maica Care Services Pty Ltd", "INV-002440")])
    assert not panel.event_message.isVisible()
    panel.table.selectRow(0)
    assert panel.event_message.isVisible()
    assert panel.event_message.wordWrap()
    assert panel.event_message.text() == message  # its invoice number once, not twice


def test_the_mapping_editors_mnemonics_are_unique(window: MainWindow) -> None:
    editor = window.sync.invoices.edit_mapping()
    try:
        keys = _mnemonics(editor.findChildren(QWidget))
        assert len(keys) >= 5
        assert sorted({k for k in keys if keys.count(k) > 1}) == []
    finally:
        editor.close()


def test_a_section_that_needs_acting_on_is_marked_in_the_sidebar(
    qtbot: QtBot, window: MainWindow, sandbox: Sandbox
) -> None:
    from maica_xero_desktop.gui.guide import ATTENTION

    connect(qtbot, window)
    assert not window.nav.item(1).text().endswith(ATTENTION)
    sandbox.advance_clock(61 * 86400)  # unused for 61 days: Xero forgets the sign-in
    window.connections.refresh_button.click()
    idle(qtbot, window)
    qtbot.waitUntil(
        lambda: (
            window.hub.status is not None and window.hub.status.token_state == "needs_reconnect"
        ),
        timeout=WAIT_MS,
    )
    assert window.nav.item(1).text() == "Active Connections" + ATTENTION
    assert "Reconnect" in window.pages[1].hint.text()  # the page says what to do


def test_dialogs_fit_a_small_screen(qtbot: QtBot, window: MainWindow) -> None:
    """The offscreen screen is 800 x 600: smaller than a 1024 x 700 one."""
    editor = window.sync.invoices.edit_mapping()
    try:
        qtbot.waitUntil(editor.isVisible, timeout=WAIT_MS)
        room = editor.screen().availableGeometry()
        assert editor.width() <= room.width()
        assert editor.height() <= room.height()
    finally:
        editor.close()
