"""The live hex view driven by keyboard and mouse (headless): cursor, selection, scrolling,
zoom, bytes per row, goto, and keys that win over the window's shortcuts."""

from __future__ import annotations

import pytest

pytest.importorskip("PySide6.QtWidgets")

from dataclasses import replace  # noqa: E402

from PySide6.QtCore import QEvent, QPoint, QPointF, Qt  # noqa: E402
from PySide6.QtGui import QWheelEvent  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from mmfviewer.qt.hex_view import AUTO, HexView  # noqa: E402

from .hex_view_helpers import make_view  # noqa: E402


def test_arrow_keys_move_the_cursor_and_shift_extends_the_selection(qtbot, segment):
    view = make_view(qtbot, segment)
    moves = []
    view.cursorMoved.connect(moves.append)
    qtbot.keyClick(view, Qt.Key_Right)
    qtbot.keyClick(view, Qt.Key_Down)
    assert view.cursor_offset() == 17 and moves == [1, 17]
    assert type(moves[0]) is int
    qtbot.keyClick(view, Qt.Key_Up)
    qtbot.keyClick(view, Qt.Key_Left)
    assert view.cursor_offset() == 0 and view.selection() == (0, 0)
    selections = []
    view.selectionChanged.connect(lambda start, n: selections.append((start, n)))
    qtbot.keyClick(view, Qt.Key_Right, Qt.ShiftModifier)
    assert view.selection() == (0, 2)  # anchor..cursor, both bytes included
    for _ in range(2):
        qtbot.keyClick(view, Qt.Key_Right, Qt.ShiftModifier)
    assert view.selection() == (0, 4) and selections == [(0, 2), (0, 3), (0, 4)]
    qtbot.keyClick(view, Qt.Key_Down, Qt.ShiftModifier)
    assert view.selection() == (0, 20)
    qtbot.keyClick(view, Qt.Key_Left)  # a plain move drops the selection
    assert view.selection() == (view.cursor_offset(), 0)


def test_home_end_pages_and_segment_ends(qtbot, segment):
    view = make_view(qtbot, segment)
    view.set_cursor(0x25)
    qtbot.keyClick(view, Qt.Key_Home)
    assert view.cursor_offset() == 0x20
    qtbot.keyClick(view, Qt.Key_End)
    assert view.cursor_offset() == 0x2F
    qtbot.keyClick(view, Qt.Key_End, Qt.ControlModifier)
    assert view.cursor_offset() == segment.size - 1
    start, data = view.visible_range()
    assert start <= view.cursor_offset() < start + len(data)  # the last byte is on screen
    assert view.verticalScrollBar().value() == view.verticalScrollBar().maximum()
    qtbot.keyClick(view, Qt.Key_Home, Qt.ControlModifier | Qt.ShiftModifier)
    assert view.cursor_offset() == 0 and view.selection() == (0, segment.size)
    full = view.hex_geometry.full_rows(view.viewport().height())
    qtbot.keyClick(view, Qt.Key_PageDown)
    assert view.cursor_offset() == full * 16 and view.first_visible_row() == full
    qtbot.keyClick(view, Qt.Key_PageUp)
    assert view.cursor_offset() == 0 and view.first_visible_row() == 0


def test_ctrl_a_selects_everything_and_toggle_column_switches_columns(qtbot, segment):
    view = make_view(qtbot, segment)
    qtbot.keyClick(view, Qt.Key_A, Qt.ControlModifier)
    assert view.selection() == (0, segment.size)
    view.toggle_column()
    assert view.cursor_state.in_ascii
    view.toggle_column()
    assert not view.cursor_state.in_ascii


def test_clicks_in_either_column_set_the_cursor_and_dragging_selects(qtbot, segment):
    view = make_view(qtbot, segment)
    lay = view.hex_geometry

    def point(offset: int, ascii: bool) -> QPoint:
        col, row = offset % 16, offset // 16 - view.first_visible_row()
        x = (lay.ascii_x(col) + 2) if ascii else (lay.hex_x(col) + lay.char_width)
        return QPoint(int(x), int(lay.row_y(row) + lay.row_height / 2))

    qtbot.mouseClick(view.viewport(), Qt.LeftButton, pos=point(0x23, False))
    assert view.cursor_offset() == 0x23 and not view.cursor_state.in_ascii
    qtbot.mouseClick(view.viewport(), Qt.LeftButton, pos=point(0x31, True))
    assert view.cursor_offset() == 0x31 and view.cursor_state.in_ascii
    qtbot.mouseClick(view.viewport(), Qt.LeftButton, Qt.ShiftModifier, pos=point(0x35, True))
    assert view.selection() == (0x31, 5)
    qtbot.mousePress(view.viewport(), Qt.LeftButton, pos=point(0x40, False))
    qtbot.mouseMove(view.viewport(), point(0x52, False))
    qtbot.mouseRelease(view.viewport(), Qt.LeftButton, pos=point(0x52, False))
    assert view.selection() == (0x40, 0x13)


def _wheel(view: HexView, dy: int, modifiers=Qt.NoModifier) -> None:
    pos = QPointF(50, 50)
    event = QWheelEvent(pos, view.viewport().mapToGlobal(pos), QPoint(0, 0), QPoint(0, dy),
                        Qt.NoButton, modifiers, Qt.NoScrollPhase, False)
    QApplication.sendEvent(view.viewport(), event)


def test_wheel_scrolls_and_ctrl_wheel_zooms(qtbot, segment):
    view = make_view(qtbot, segment)
    _wheel(view, -120)
    assert view.first_visible_row() == 3
    _wheel(view, 120)
    assert view.first_visible_row() == 0
    size = view.zoom()
    _wheel(view, 120, Qt.ControlModifier)
    assert view.zoom() == size + 1
    view.zoom_out()
    view.zoom_out()
    assert view.zoom() == size - 1


def test_bytes_per_row_relayouts_and_keeps_the_top(qtbot, segment):
    view = make_view(qtbot, segment)
    view.goto(0x4000)
    top = view.first_visible_row() * 16
    view.bytes_per_row = 32
    assert view.bytes_per_row == 32 and view.first_visible_row() == top // 32
    assert view.hex_geometry.bytes_per_row == 32
    start, data = view.visible_range()
    assert start <= 0x4000 < start + len(data) and data == segment.read(start, len(data))
    with pytest.raises(ValueError):
        view.bytes_per_row = 12
    view.bytes_per_row = 64
    assert view.hex_geometry.bytes_per_row == 64


def test_auto_bytes_per_row_fills_the_width_in_whole_groups_of_eight(qtbot, segment):
    view = make_view(qtbot, segment, width=700)
    view.bytes_per_row = AUTO
    narrow = view.bytes_per_row
    assert narrow % 8 == 0 and view.hex_geometry.total_width <= view.viewport().width()
    assert view.horizontalScrollBar().maximum() == 0  # hex and text, no scrolling sideways
    view.resize(1900, 600)
    QApplication.processEvents()
    wide = view.bytes_per_row
    assert wide > narrow and wide % 8 == 0
    assert view.hex_geometry.total_width <= view.viewport().width()
    assert replace(view.hex_geometry, bytes_per_row=wide + 8).total_width > view.viewport().width()  # the most
    view.zoom_in()
    view.zoom_in()
    view.zoom_in()
    assert view.bytes_per_row < wide  # bigger letters, fewer bytes
    view.bytes_per_row = 16  # a fixed choice stops following the width
    view.resize(700, 600)
    QApplication.processEvents()
    assert view.bytes_per_row == 16 and not view.auto_bytes_per_row


def test_goto_clamps_to_the_segment(qtbot, segment):
    view = make_view(qtbot, segment)
    view.goto(-5)
    assert view.cursor_offset() == 0
    view.goto(segment.size + 1000)
    assert view.cursor_offset() == segment.size - 1
    view.goto(0x8000)
    start, data = view.visible_range()
    assert view.cursor_offset() == 0x8000 and start <= 0x8000 < start + len(data)


def test_navigation_and_typing_keys_win_over_window_shortcuts(qtbot, segment):
    from PySide6.QtGui import QKeyEvent

    view = make_view(qtbot, segment)
    for key, mods, text, wanted in [
        (Qt.Key_Right, Qt.NoModifier, "", True),
        (Qt.Key_End, Qt.ControlModifier | Qt.ShiftModifier, "", True),
        (Qt.Key_A, Qt.NoModifier, "a", True),
        (Qt.Key_Tab, Qt.ControlModifier, "", False),  # the window's tab switching
        (Qt.Key_PageDown, Qt.ControlModifier, "", False),  # that too
        (Qt.Key_Home, Qt.ControlModifier, "", True),  # the first byte
        (Qt.Key_S, Qt.ControlModifier, "\x13", False),
    ]:
        event = QKeyEvent(QEvent.ShortcutOverride, key, mods, text)
        event.ignore()
        QApplication.sendEvent(view, event)  # through the event filters, as Qt delivers it
        assert event.isAccepted() == wanted, (key, mods)
