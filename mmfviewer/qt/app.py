"""Starting the desktop app: ``mmfviewer`` / ``mmfviewer gui``."""

from __future__ import annotations

import os
import sys
import tempfile
import time
from collections.abc import Sequence
from typing import Any

from ..desktop_entry import icon_path
from ..errors import MmfError
from .display_check import display_problem
from .style import dark_palette

SCREENSHOT_TIMEOUT = 10.0  # seconds to wait for the first refresh before shooting anyway


#: Qt notes that say nothing to a user and would bury real messages on stderr: the
#: offscreen platform's size hints, and font fallback for scripts (the data inspector
#: shows arbitrary bytes as UTF-16, which touches every script there is).
QT_NOISE = ("propagateSizeHints", "OpenType support missing")


def route_qt_messages() -> None:
    """Route Qt's messages to stderr, minus :data:`QT_NOISE`."""
    from PySide6.QtCore import qInstallMessageHandler

    def handler(mode: object, context: object, message: str) -> None:
        if not any(noise in message for noise in QT_NOISE):
            print(message, file=sys.stderr)

    qInstallMessageHandler(handler)


def tune_gc_for_live_views() -> None:
    """Make Python's full garbage collections rarer in the GUI.

    A window keeps up to 100,000 messages per tab alive; every full collection walks
    them all and stalls the event loop for tens of milliseconds, and under a flood of
    messages the default settings ran one every few ticks. Messages hold no reference
    cycles, so collecting the oldest generation ten times less often frees the same
    memory, only later.
    """
    import gc

    young, middle, old = gc.get_threshold()
    gc.set_threshold(young, middle, old * 10)


def fit_frame(window: Any, x: int, y: int, width: int, height: int) -> None:
    """Make ``window``'s frame, title bar included, fill this rectangle."""
    frame, inside = window.frameGeometry(), window.geometry()
    window.resize(max(200, width - (frame.width() - inside.width())),
                  max(200, height - (frame.height() - inside.height())))
    window.move(x, y)  # move() places the frame's corner


def run_gui(names: Sequence[str] = (), files: Sequence[str] = (), *, refresh_ms: int | None = None,
            read_write: bool = False, screenshot: str | None = None, ticks: int = 1,
            place: str | None = None, title: str | None = None, history: int | None = None,
            color_scheme: str = "system", display_checked: bool = False) -> int:
    """Open the main window with these segments; return the exit status.

    With ``screenshot``, render the window to that PNG once every tab has refreshed
    ``ticks`` times and the segment list is filled, then exit — no display needed.
    ``display_checked``: the caller already asked :func:`display_problem`.
    """
    problem = None if display_checked else display_problem()
    if problem is not None and screenshot:
        os.environ["QT_QPA_PLATFORM"] = "offscreen"  # a file needs no screen
    elif problem is not None:
        raise MmfError(f"{problem}; or render the window to a file with --screenshot PATH")
    from PySide6.QtCore import QSettings, QTimer
    from PySide6.QtGui import QGuiApplication, QIcon
    from PySide6.QtWidgets import QApplication, QStyleFactory

    from .main_window import WM_SETTLE_MS, MainWindow

    route_qt_messages()
    tune_gc_for_live_views()
    app = QApplication.instance() or QApplication([sys.argv[0]])
    app.setApplicationName("mmfviewer")
    app.setOrganizationName("mmfviewer")
    if color_scheme != "system":  # Fusion draws the same everywhere; the palette says light or dark
        fusion = QStyleFactory.create("Fusion")
        QApplication.setStyle(fusion)
        QApplication.setPalette(dark_palette() if color_scheme == "dark" else fusion.standardPalette())
    QGuiApplication.setDesktopFileName("mmfviewer")  # the entry `mmfviewer install-desktop` writes
    QGuiApplication.setWindowIcon(QIcon(str(icon_path())))
    settings = None
    scratch = None
    # A screenshot is the same on every machine, and the demo's half-screen windows
    # must not become the user's next window: both use settings of their own, removed
    # at the end.
    if screenshot or place:
        scratch = tempfile.TemporaryDirectory(prefix="mmfviewer-shot-")  # removed at the end
        settings = QSettings(os.path.join(scratch.name, "settings.ini"), QSettings.Format.IniFormat)
    window = MainWindow(refresh_ms=refresh_ms, history=history, settings=settings)
    for name in names:
        window.open_name(name, readonly=not read_write)
    for path in files:
        window.open_file(path, readonly=not read_write)
    if title:
        window.title_suffix = title
        window.setWindowTitle(f"{window.windowTitle()} — {title}")  # until a tab changes it
    if place in ("left", "right"):  # the demo's two windows, side by side
        area = QApplication.primaryScreen().availableGeometry()
        half = area.width() // 2
        left = area.x() + (half if place == "right" else 0)
        window.setGeometry(left, area.y(), half, area.height())
        # Half a screen is narrow: the messages and the compose panel get it all.
        window.docks.place_for_half_a_screen()
        # setGeometry places the inside; the window manager's frame then pushes the
        # title bar off screen. Once the frame is known, fit the frame instead.
        def fit() -> None:
            fit_frame(window, left, area.y(), half, area.height())
            window.docks.place_for_half_a_screen()  # again, for what the frame leaves of the width

        QTimer.singleShot(WM_SETTLE_MS, window, fit)
    window.show()
    if not screenshot:
        return app.exec()

    started = time.monotonic()
    result = {"status": 0}

    def ready() -> bool:
        return window.browser.scan_count > 0 and all(t.tick_count >= ticks + 1 for t in window.all_tabs())

    def shoot() -> None:
        if not ready() and time.monotonic() - started < SCREENSHOT_TIMEOUT:
            return
        timer.stop()
        app.processEvents()
        if not window.grab().save(screenshot):
            print(f"mmfviewer: cannot write the screenshot to {screenshot!r}", file=sys.stderr)
            result["status"] = 1
        window.close()
        app.quit()

    timer = QTimer()
    timer.timeout.connect(shoot)
    timer.start(20)
    try:
        app.exec()
    finally:
        if scratch is not None and settings is not None:
            settings.sync()  # written now, so nothing is left to write (and recreate) at exit
            scratch.cleanup()
    return result["status"]
