"""The real main window on a real X display, reporting its state for a test to read.

Run as ``python -m tests.x11.window_child STATE_FILE NAME...``: opens the segments,
then every 100 ms writes what a test asks about (tabs, focus, where the list's rows
are on screen, the docks) to STATE_FILE as JSON. The test drives it with real input
events (xdotool) and closes it with Ctrl+Q like a user.
"""

from __future__ import annotations

import json
import os
import sys

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from mmfviewer.qt.main_window import MainWindow


def state(window: MainWindow) -> dict[str, object]:
    """What the window looks like now, in screen coordinates."""
    focus = QApplication.focusWidget()
    browser = window.browser
    rows = {}
    for row in range(browser.proxy.rowCount()):
        index = browser.proxy.index(row, 0)
        rect = browser.view.visualRect(index)
        if rect.isValid() and browser.view.viewport().rect().contains(rect.center()):  # clickable
            centre = browser.view.viewport().mapToGlobal(rect.center())
            rows[str(index.data())] = [centre.x(), centre.y()]
    frame = window.frameGeometry()
    tab = window.current_tab()
    view = tab.hex_view if tab is not None else None
    return {
        "hex_rows": view.hex_geometry.full_rows(view.viewport().height()) if view is not None else 0,
        "bytes_per_row": view.bytes_per_row if view is not None else 0,
        "sideways": view.horizontalScrollBar().maximum() if view is not None else 0,
        "hex_height_share": view.height() / window.height() if view is not None else 0.0,
        "tabs": [window.tabs.tabText(i) for i in range(window.tabs.count())],
        "current": window.tabs.currentIndex(),
        "focus": type(focus).__name__ if focus is not None else None,
        "active": window.isActiveWindow(),
        "rows": rows,
        "browser_dock": window.browser_dock.isVisible(),
        "inspector_dock": window.inspector_dock.isVisible(),
        "frame": [frame.x(), frame.y(), frame.width(), frame.height()],
        "scans": browser.scan_count,
        "structures": [o.spec.label for o in tab.session.overlays] if tab is not None else [],
        "watches": {w.label: w.text for w in tab.watching.watches} if tab is not None else {},
        "plotted": tab.watching.panel.plotted_keys() if tab is not None else [],
        "field": _current_field(tab) if tab is not None else None,
        "docks": sorted(key for key, dock in window.docks.docks.items() if dock.isVisible()),
    }


def _current_field(tab) -> str | None:  # type: ignore[no-untyped-def]
    """The path of the structure tree's current row."""
    index = tab.structures.tree.currentIndex()
    if not index.isValid():
        return None
    overlay, row = tab.structures.model.field(index)
    return tab.session.overlays[overlay].table.rows[row].path if row is not None else ""


def main() -> int:
    path, names = sys.argv[1], sys.argv[2:]
    app = QApplication([sys.argv[0]])
    window = MainWindow(refresh_ms=100)  # the user's own settings: HOME says where
    window.resize(1200, 760)
    for name in names:
        window.open_name(name)
    if os.environ.get("MMFVIEWER_TEST_MAXIMIZED"):
        window.showMaximized()
    else:
        window.show()
    window.activateWindow()

    def report() -> None:
        with open(path + ".part", "w") as out:
            json.dump(state(window), out)
        os.replace(path + ".part", path)

    timer = QTimer()
    timer.timeout.connect(report)
    timer.start(100)
    return app.exec()


if __name__ == "__main__":
    sys.exit(main())
