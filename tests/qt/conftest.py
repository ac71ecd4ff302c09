"""Fixtures for the window's tests: a main window with settings of its own, the hex
view's segment and clock, and the message pane's channel and pane."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from PySide6.QtCore import QSettings

from mmfviewer.channel import Channel
from mmfviewer.qt import hex_live as hex_live_module
from mmfviewer.qt import hex_view as hex_view_module
from mmfviewer.qt.main_window import MainWindow
from mmfviewer.qt.message_pane import MessagePane
from mmfviewer.segment import Segment

from .hex_view_helpers import TEXT, FrozenClock


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


@pytest.fixture
def segment(shm_name):
    """A 64 KiB read-write segment with text at 0 and every byte value at 0x100."""
    seg = Segment.create(shm_name, 64 << 10)
    seg.write(0, TEXT)
    seg.write(0x100, bytes(range(256)))
    yield seg
    seg.close()


@pytest.fixture
def clock(monkeypatch):
    fake = FrozenClock(1000.0)  # on a step of the fade
    for module in (hex_view_module, hex_live_module):  # the tick's clock and the paint's
        monkeypatch.setattr(module, "time", fake)
    return fake


@pytest.fixture
def channel(shm_name):
    """A channel of two 64 KiB lanes (the message pane's tests)."""
    ch = Channel.create(shm_name, lanes=2, lane_size=1 << 16)
    yield ch
    ch.close()


@pytest.fixture
def pane(qtbot):
    """A message pane of 900 by 500, not shown."""
    widget = MessagePane()
    qtbot.addWidget(widget)
    widget.resize(900, 500)
    return widget
