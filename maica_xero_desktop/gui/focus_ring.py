"""A ring around the widget with the keyboard focus, in the palette's highlight colour, drawn on top
of the window: some styles (Fusion, which the window uses without a desktop theme) mark a focused
button only faintly. It follows keyboard focus only (a click shows where it went already) and moves
into whichever of the program's windows (the main window, a dialog) has the focus."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QPoint, QRect, Qt, QTimer
from PySide6.QtGui import QPainter, QPaintEvent, QPalette, QPen
from PySide6.QtWidgets import QApplication, QWidget
from shiboken6 import isValid

MARGIN = 3
WIDTH = 2
FOLLOW_MS = 250  # a layout change above the focused widget moves it without telling it
RING_NAME = "focus_ring"


class FocusRing(QWidget):
    """The ring in one window (a child of it, so it goes with the window)."""

    def __init__(self, window: QWidget) -> None:
        super().__init__(window)
        self.setObjectName(RING_NAME)
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.setAttribute(Qt.WidgetAttribute.WA_NoSystemBackground)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.target: QWidget | None = None
        self.timer = QTimer(self)
        self.timer.setInterval(FOLLOW_MS)
        self.timer.timeout.connect(self.follow)
        self.hide()

    def track(self, target: QWidget) -> None:
        self.leave()
        self.target = target
        target.installEventFilter(self)
        self.follow()
        self.timer.start()

    def leave(self) -> None:
        if self.target is not None and isValid(self.target):
            self.target.removeEventFilter(self)
        self.target = None
        self.timer.stop()
        self.hide()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.target and event.type() in (
            QEvent.Type.Move,
            QEvent.Type.Resize,
            QEvent.Type.Show,
            QEvent.Type.Hide,
        ):
            self.follow()
        return False

    def follow(self) -> None:
        target, window = self.target, self.parentWidget()
        if target is None or window is None or not isValid(target) or not target.isVisible():
            self.leave()
            return
        top_left = target.mapTo(window, QPoint(0, 0))
        ring = QRect(top_left, target.size()).adjusted(-MARGIN, -MARGIN, MARGIN, MARGIN)
        if self.geometry() != ring:
            self.setGeometry(ring)
        self.raise_()
        self.show()

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        pen = QPen(self.palette().color(QPalette.ColorRole.Highlight), WIDTH)
        painter.setPen(pen)
        painter.drawRoundedRect(self.rect().adjusted(1, 1, -1, -1), 3, 3)


class FocusRings(QObject):
    """Puts the ring around whatever takes the keyboard focus in the program's windows."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.ring: FocusRing | None = None
        app = QApplication.instance()
        if isinstance(app, QApplication):
            app.focusChanged.connect(self._focus_changed)

    def _focus_changed(self, old: QWidget | None, new: QWidget | None) -> None:
        if self.ring is not None and isValid(self.ring):
            self.ring.leave()
        self.ring = None
        by_mouse = QApplication.mouseButtons() != Qt.MouseButton.NoButton
        window = new.window() if new is not None else None
        if new is None or window is None or by_mouse or not _ours(window):
            return
        ring = window.findChild(FocusRing, RING_NAME, Qt.FindChildOption.FindDirectChildrenOnly)
        self.ring = ring if isinstance(ring, FocusRing) else FocusRing(window)
        self.ring.track(new)


def _ours(window: QWidget) -> bool:
    """A window of the program's own (not a combo box's list or a menu)."""
    kind = window.windowType()
    return kind in (Qt.WindowType.Window, Qt.WindowType.Dialog)
