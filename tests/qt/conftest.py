"""Fixtures for the window's tests: a main window with settings of its own."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from PySide6.QtCore import QSettings

from mmfviewer.qt.main_window import MainWindow


@pytest.fixture
def open_window(qtbot, tmp_path) -> Iterator[Callable[..., MainWindow]]:
    """``open_window(width, height, refresh_ms=50)``: a shown main window whose settings
    live in the test's directory; closed after the test."""
    opened: list[MainWindow] = []

    def start(width: int, height: int, *, refresh_ms: int = 50, exposed: bool = False) -> MainWindow:
        settings = QSettings(str(tmp_path / f"settings-{len(opened)}.ini"), QSettings.Format.IniFormat)
        win = MainWindow(refresh_ms=refresh_ms, settings=settings)
        qtbot.addWidget(win)
        win.resize(width, height)
        win.show()
        if exposed:
            win.activateWindow()
            qtbot.waitExposed(win)
        opened.append(win)
        return win
    yield start
    for win in opened:
        win.close()
