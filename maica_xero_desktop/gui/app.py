"""Start the window: ``main(argv, demo)``. Heavy modules are imported inside ``main`` and data
loads only after the window is shown (through the task runner), so it appears quickly."""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Sequence

_STARTED = time.perf_counter()


def parse_arguments(argv: Sequence[str]) -> argparse.Namespace:
    """The window's options; ``--help`` and ``--version`` print and exit before Qt loads."""
    from .. import __version__

    parser = argparse.ArgumentParser(
        prog="maica-xero-desktop",
        add_help=True,
        description="Maica Xero Desktop: the window. The maica-xero command does the same from a "
        "terminal.",
    )
    parser.add_argument("--version", action="version", version=f"maica-xero-desktop {__version__}")
    parser.add_argument("--demo", action="store_true", help="against the built-in sandbox")
    parser.add_argument(
        "--minimised",
        "--minimized",
        "--tray",
        dest="minimised",
        action="store_true",
        help="start in the system tray, without showing the window (as at login)",
    )
    parser.add_argument(
        "--install-desktop-entry",
        action="store_true",
        help="add Maica Xero Desktop to this user's application menu (Linux), then exit",
    )
    # Hidden: documentation screenshots, and a start-up time check.
    parser.add_argument("--screenshots", metavar="DIR", help=argparse.SUPPRESS)
    parser.add_argument("--quit-after-show", action="store_true", help=argparse.SUPPRESS)
    # Hidden: the bundle's smoke test (scripts/smoke) keeps the window open this long, then closes.
    parser.add_argument("--quit-after", type=float, metavar="SECONDS", help=argparse.SUPPRESS)
    args, _qt_args = parser.parse_known_args(list(argv))
    if args.install_desktop_entry:
        sys.exit(install_desktop_entry())
    return args


def install_desktop_entry() -> int:
    """``--install-desktop-entry``: the menu entry and icons under ``~/.local/share``."""
    from ..core.autostart import install_desktop_entry as install
    from ..core.errors import MaicaXeroError
    from .resources import resource_dir

    try:
        written = install(resource_dir())
    except MaicaXeroError as exc:
        print(exc.sentence, file=sys.stderr)
        return 2
    print(f"Added to the application menu: {written[0]} (and {len(written) - 1} icons).")
    return 0


def no_bus_autolaunch() -> None:
    """With a display but no session bus address, Qt's D-Bus library would start a bus with
    ``dbus-launch --autolaunch`` that outlives the window (a ``dbus-launch`` and a ``dbus-daemon``
    left behind). The keyring reads only ``DBUS_SESSION_BUS_ADDRESS`` and could not use such a
    bus anyway, so an absent address is made an explicit "no bus"."""
    if sys.platform not in ("win32", "darwin") and not os.environ.get("DBUS_SESSION_BUS_ADDRESS"):
        os.environ["DBUS_SESSION_BUS_ADDRESS"] = "disabled:"


def display_problem(timeout: float = 1.0) -> str | None:
    """Why Qt could not open a window here (a few words), or None. Checked before Qt loads, since
    Qt aborts the process when its display does not answer. A set ``DISPLAY`` is probed by
    connecting to the X server's socket (``/tmp/.X11-unix/X<n>``, or TCP 6000+n for
    ``host:n``), a set ``WAYLAND_DISPLAY`` by connecting to its socket (in ``XDG_RUNTIME_DIR``
    unless absolute); either one answering is enough. ``QT_QPA_PLATFORM`` naming another
    platform (offscreen, vnc...) is trusted. Windows and macOS always have a screen."""
    import socket

    if sys.platform in ("win32", "darwin"):
        return None
    platform = os.environ.get("QT_QPA_PLATFORM", "")
    wanted = {name.split(":", 1)[0].strip() for name in platform.split(";")} - {""}
    if wanted - {"xcb", "wayland", "wayland-egl"}:
        return None
    x_display = os.environ.get("DISPLAY", "") if not wanted or "xcb" in wanted else ""
    wayland = os.environ.get("WAYLAND_DISPLAY", "") if not wanted or wanted - {"xcb"} else ""
    if not x_display and not wayland:
        return "no DISPLAY or WAYLAND_DISPLAY"

    def answers(address: str | tuple[str, int]) -> bool:
        try:
            if isinstance(address, tuple):
                socket.create_connection(address, timeout=timeout).close()
                return True
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
                sock.settimeout(timeout)
                sock.connect(address)
                return True
        except (OSError, ValueError):
            return False

    if x_display:
        host, _, rest = x_display.rpartition(":")
        number = rest.split(".", 1)[0]
        local = f"/tmp/.X11-unix/X{number}"  # noqa: S108 (X11's fixed socket folder)
        if not number.isdigit():
            pass  # not a display name Qt could use either
        elif host in ("", "unix"):
            if answers(local) or answers("\0" + local):  # the file, or Linux's abstract socket
                return None
        elif answers((host.strip("[]"), 6000 + int(number))):
            return None
    if wayland:
        runtime = os.environ.get("XDG_RUNTIME_DIR", "")
        # os.path.join keeps an absolute name as it is.
        if (os.path.isabs(wayland) or runtime) and answers(os.path.join(runtime, wayland)):
            return None
    shown = [
        f"{name}={value}"
        for name, value in (("DISPLAY", x_display), ("WAYLAND_DISPLAY", wayland))
        if value
    ]
    return " and ".join(shown) + (" do not answer" if len(shown) > 1 else " does not answer")


def main(argv: list[str] | None = None, demo: bool = False) -> int:
    """Open the window (``demo``: against the offline sandbox in a throw-away home); returns the
    exit code. ``argv`` are extra arguments (``--demo``), not including the program name."""
    args = parse_arguments(sys.argv[1:] if argv is None else argv)
    demo = demo or args.demo or bool(args.screenshots)
    no_bus_autolaunch()

    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from ..core.errors import MaicaXeroError
    from ..core.logsetup import configure_logging
    from ..core.paths import file_problem
    from ..core.service import Service
    from .errors import install_excepthook
    from .icons import app_icon
    from .log_view import install_log_handler
    from .main_window import MainWindow
    from .wording import say

    existing = QApplication.instance()
    app = existing if isinstance(existing, QApplication) else QApplication([sys.argv[0]])
    app.setApplicationName("Maica Xero Desktop")
    app.setOrganizationName("Maica")
    app.setWindowIcon(app_icon())

    context = None
    try:
        if demo:
            from ..demo import start_demo

            context = start_demo()
            service = context.service
        else:
            service = Service()
        try:
            configure_logging(service.paths)
        except OSError as exc:
            raise file_problem(exc, service.paths.log_file) from None
    except MaicaXeroError as exc:
        return _cannot_start(say(exc))
    handler = install_log_handler()
    window = MainWindow(service, demo=demo, log_handler=handler)
    previous_hook = install_excepthook(window.presenter)
    # Working in the background: the tray icon, close-to-tray and notifications (gui/tray.py).
    from PySide6.QtWidgets import QSystemTrayIcon

    from .tray import Background

    tray = QSystemTrayIcon.isSystemTrayAvailable()
    scripted = bool(args.screenshots or args.quit_after_show or args.quit_after is not None)
    background = Background(window, available=tray and not scripted)  # scripts' close quits
    if background.available:
        app.setQuitOnLastWindowClosed(False)  # the window's close quits, not a dialog's
    if args.minimised and tray and not args.screenshots:
        window.start_in_tray()
    else:
        window.show()

    if args.quit_after_show:

        def report() -> None:
            print(f"window shown after {time.perf_counter() - _STARTED:.3f} s", flush=True)
            window.close()

        QTimer.singleShot(0, report)
    if args.quit_after is not None:
        seconds: float = args.quit_after

        def close_later() -> None:
            loaded = "loaded" if window.hub.status is not None else "not loaded"
            print(f"window open for {seconds:g} s, status {loaded}; closing", flush=True)
            window.close()

        QTimer.singleShot(int(seconds * 1000), close_later)
    if args.screenshots and context is not None:
        from pathlib import Path

        from .screenshots import ScreenshotTour

        tour = ScreenshotTour(window, context, Path(args.screenshots))
        QTimer.singleShot(300, tour.start)
    try:
        return app.exec()
    finally:
        sys.excepthook = previous_hook
        if context is not None:
            context.close()
        else:
            service.close()


def _cannot_start(sentence: str) -> int:
    """Before the window exists (its home cannot be used, say): the sentence in a message box
    and on standard error, exit code 2."""
    from PySide6.QtWidgets import QMessageBox

    print(sentence, file=sys.stderr, flush=True)
    box = QMessageBox(QMessageBox.Icon.Critical, "Maica Xero Desktop cannot start", sentence)
    if os.environ.get("QT_QPA_PLATFORM") != "offscreen":
        box.exec()
    return 2


if __name__ == "__main__":
    sys.exit(main())
