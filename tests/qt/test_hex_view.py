"""The live hex view over real segments, driven headless (QT_QPA_PLATFORM=offscreen).

Other processes write, truncate and remove the segments while the view looks at
them; the view must keep showing something sensible and never raise.
"""

from __future__ import annotations

import os
import time

import pytest

pytest.importorskip("PySide6.QtWidgets")

from dataclasses import replace  # noqa: E402

from PySide6.QtCore import QEvent, QObject, QPoint, QPointF, QRect, Qt  # noqa: E402
from PySide6.QtGui import QColor, QImage, QPalette, QRegion, QWheelEvent  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from mmfviewer.hex_document import FIND_CHUNK  # noqa: E402
from mmfviewer.hextext import hexdump_text  # noqa: E402
from mmfviewer.qt import hex_live as hex_live_module  # noqa: E402
from mmfviewer.qt import hex_view as hex_view_module  # noqa: E402
from mmfviewer.qt.hex_geometry import (  # noqa: E402
    SCROLL_MAX,
    HexGeometry,
    format_bytes,
    hex_row_width,
    row_for_scroll_value,
    row_texts,
    rows_for,
    scroll_value_for_row,
    scrollbar_maximum,
)
from mmfviewer.qt.hex_painter import HexPainter  # noqa: E402
from mmfviewer.qt.hex_view import AUTO, HexView  # noqa: E402
from mmfviewer.qt.overview_strip import OverviewStrip  # noqa: E402
from mmfviewer.segment import Segment  # noqa: E402
from mmfviewer.segment_os import SHM_DIR  # noqa: E402

from ..conftest import other_process_writes, run_other_process  # noqa: E402

GiB = 1 << 30
TEXT = b"Hello, shared memory!\nThe quick brown fox jumps over the lazy dog.\t\r\n"
def other_process_truncates(name: str, size: int) -> None:
    run_other_process("import os, sys; os.truncate(sys.argv[1], int(sys.argv[2]))",
                      os.path.join(SHM_DIR, name), size)


def make_view(qtbot, segment: Segment, *, width: int = 900, height: int = 600) -> HexView:
    view = HexView(segment)
    qtbot.addWidget(view)
    view.resize(width, height)
    view.show()
    qtbot.waitExposed(view)
    view.refresh()
    return view


@pytest.fixture
def segment(shm_name):
    """A 64 KiB read-write segment with text at 0 and every byte value at 0x100."""
    seg = Segment.create(shm_name, 64 << 10)
    seg.write(0, TEXT)
    seg.write(0x100, bytes(range(256)))
    yield seg
    seg.close()


class PaintCounter(QObject):
    """Counts paint events of a widget."""

    def __init__(self, widget) -> None:
        super().__init__()
        self.count = 0
        widget.installEventFilter(self)

    def eventFilter(self, obj, event) -> bool:
        if event.type() == QEvent.Paint:
            self.count += 1
        return False


class PaintedRows(QObject):
    """Which visible rows of a view each paint event covered."""

    def __init__(self, view: HexView) -> None:
        super().__init__()
        self.view = view
        self.paints: list[set[int]] = []
        view.viewport().installEventFilter(self)

    def eventFilter(self, obj, event) -> bool:
        if event.type() == QEvent.Paint:
            region = QRegion(event.region())
            lay, width = self.view.hex_geometry, self.view.viewport().width()
            rows = lay.visible_rows(self.view.viewport().height())
            self.paints.append({i for i in range(rows) if region.intersects(
                QRect(0, int(lay.row_y(i)) + 1, width, int(lay.row_height) - 2))})
        return False

    def rows(self) -> set[int]:
        return set().union(*self.paints)


class FrozenClock:
    """The view's clock, moved by hand: highlights do not fade between two looks."""

    def __init__(self, t: float) -> None:
        self.t = t

    def monotonic(self) -> float:
        return self.t


@pytest.fixture
def clock(monkeypatch):
    fake = FrozenClock(1000.0)  # on a step of the fade
    for module in (hex_view_module, hex_live_module):  # the tick's clock and the paint's
        monkeypatch.setattr(module, "time", fake)
    return fake


def grab_both(view: HexView, monkeypatch) -> tuple[QImage, QImage]:
    """The viewport as painted (rows as glyph runs), and as drawText paints it."""
    fast = view.viewport().grab().toImage()
    with monkeypatch.context() as m:
        m.setattr(HexPainter, "_paint_rows_as_glyphs",
                  lambda self, p, s, glyphs, rows: self._paint_rows_as_text(p, s, rows))
        slow = view.viewport().grab().toImage()
    return fast, slow


def row_image(view: HexView, visible_row: int) -> QImage:
    """One visible row of the viewport, full width."""
    lay = view.hex_geometry
    return view.viewport().grab().toImage().copy(
        0, int(lay.row_y(visible_row)), view.viewport().width(), int(lay.row_height))


def cell_background(view: HexView, offset: int) -> QColor:
    """The colour painted behind ``offset`` in the hex column (in the cell's padding)."""
    lay = view.hex_geometry
    row = offset // view.bytes_per_row - view.first_visible_row()
    col = offset % view.bytes_per_row
    x = lay.hex_x(col) - lay.char_width * 0.3 - view.horizontalScrollBar().value()
    y = lay.row_y(row) + 1.5
    return view.viewport().grab().toImage().pixelColor(int(x), int(y))


# ---------------------------------------------------------------- geometry, no window

@pytest.mark.parametrize("bpr", [8, 16, 32])
def test_position_at_round_trips_with_hex_x_and_ascii_x(bpr):
    lay = HexGeometry(char_width=7.25, row_height=16, ascent=11, descent=3, bytes_per_row=bpr,
                    size=100 * bpr)
    for first_row in (0, 7):
        for visible_row in (0, 3):
            y = lay.row_y(visible_row) + lay.row_height / 2
            for col in range(bpr):
                expected = (first_row + visible_row) * bpr + col
                for x in (lay.hex_x(col), lay.hex_x(col) + 1.9 * lay.char_width):
                    assert lay.position_at(x, y, first_row) == (expected, False)
                assert lay.position_at(lay.ascii_x(col) + 1, y, first_row) == (expected, True)
                # The boxes painted behind a byte lead back to that byte too.
                hex_box, ascii_box = lay.hex_cell(col, visible_row), lay.ascii_cell(col, visible_row)
                assert lay.position_at(hex_box.center().x(), hex_box.center().y(),
                                       first_row) == (expected, False)
                assert lay.position_at(ascii_box.center().x(), ascii_box.center().y(),
                                       first_row) == (expected, True)


def test_position_at_clamps_to_the_segment_and_the_row():
    lay = HexGeometry(char_width=8, row_height=16, bytes_per_row=16, size=20)
    assert lay.position_at(-50, -50, 0) == (0, False)  # left of everything, in the header
    assert lay.position_at(lay.total_width + 500, 16 * 40, 0) == (19, True)  # past the end
    assert HexGeometry(char_width=8, row_height=16, size=0).position_at(100, 100, 0)[0] == 0


def test_columns_are_ordered_and_groups_of_eight_have_a_gap():
    lay = HexGeometry(char_width=8, row_height=16, bytes_per_row=16, size=4096)
    xs = [lay.hex_x(c) for c in range(16)]
    assert all(b > a for a, b in zip(xs, xs[1:], strict=False))
    assert xs[8] - xs[7] == lay.cell_width + lay.group_gap
    assert lay.offset_width < lay.hex_start < lay.hex_end < lay.ascii_start < lay.total_width


def test_row_text_puts_the_ascii_column_exactly_where_the_layout_does():
    for bpr in (8, 16, 32):
        lay = HexGeometry(char_width=7, row_height=16, bytes_per_row=bpr, size=4096)
        row = bytes(range(0x41, 0x41 + bpr))
        [(cls, text)] = row_texts(row, bpr)
        chars_to_ascii = (lay.ascii_start - lay.hex_start) / lay.char_width
        assert text[int(chars_to_ascii):] == row.decode()
        assert len(text) == hex_row_width(bpr) + 2 + bpr
        # A short last row still puts its ASCII at the same place.
        [(_, short)] = row_texts(row[:3], bpr)
        assert short[int(chars_to_ascii):] == row[:3].decode()


def test_rows_and_the_last_first_row():
    lay = HexGeometry(char_width=8, row_height=16, bytes_per_row=16, size=1000)
    assert lay.rows == rows_for(1000, 16) == 63
    height = lay.header_height + 10 * lay.row_height
    assert lay.full_rows(height) == lay.visible_rows(height) == 10
    assert lay.max_first_row(height) == 53
    assert lay.visible_rows(height + 1) == 11  # a partly visible row is still drawn
    assert HexGeometry(char_width=8, row_height=16, size=0).rows == 0


def test_offset_column_grows_to_16_digits_past_4_gib():
    assert HexGeometry(char_width=8, row_height=16, size=4 * GiB).offset_digits == 8
    assert HexGeometry(char_width=8, row_height=16, size=4 * GiB + 1).offset_digits == 16


@pytest.mark.parametrize("size", [5 * GiB, 100 * GiB, 1 << 60])
def test_scrollbar_mapping_reaches_the_last_row_of_huge_segments(size):
    max_row = rows_for(size, 16) - 40
    top = scrollbar_maximum(max_row)
    assert top <= SCROLL_MAX < 2 ** 31  # fits a QScrollBar's int
    assert scroll_value_for_row(max_row, max_row) == top
    assert row_for_scroll_value(top, max_row) == max_row
    assert row_for_scroll_value(0, max_row) == 0
    # Monotonic in between, and round-trips within one scrollbar unit.
    rows = [row_for_scroll_value(v, max_row) for v in range(0, top + 1, max(1, top // 97))]
    assert rows == sorted(rows)
    for row in (1, max_row // 3, max_row - 1):
        value = scroll_value_for_row(row, max_row)
        assert row_for_scroll_value(value, max_row) <= row < row_for_scroll_value(value + 1, max_row) + 1


def test_copy_formats_are_exact():
    data = b"The"
    assert format_bytes(data, "hex") == "54 68 65"
    assert format_bytes(data, "hexdump", base=0x10) == hexdump_text(data, base=0x10) == (
        "00000010: 54 68 65                                          The")
    assert format_bytes(data, "c") == "unsigned char data[3] = {0x54, 0x68, 0x65};"
    assert format_bytes(data, "python") == "b'The'"
    assert format_bytes(bytes(range(14)), "c") == (
        "unsigned char data[14] = {\n"
        "    0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b,\n"
        "    0x0c, 0x0d\n"
        "};")
    with pytest.raises(ValueError):
        format_bytes(data, "base64")


# ---------------------------------------------------------------- keyboard and mouse

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


# ---------------------------------------------------------------- find and copy

def test_find_forward_backward_wraps_and_reports_not_found(qtbot, shm_name):
    seg = Segment.create(shm_name, 3 << 20)
    try:
        across = FIND_CHUNK - 3  # spans the first 1 MiB chunk boundary
        seg.write(across, b"NEEDLE")
        seg.write(2 * FIND_CHUNK + 10, b"NEEDLE")
        view = make_view(qtbot, seg)
        assert view.find_bytes(b"NEEDLE") == across
        assert view.selection() == (across, 6) and view.cursor_offset() == across
        assert view.find_bytes(b"NEEDLE") == 2 * FIND_CHUNK + 10
        with qtbot.waitSignal(view.message) as msg:
            assert view.find_bytes(b"NEEDLE") == across  # wrapped around
        assert "wrapped" in msg.args[0]
        assert view.find_bytes(b"NEEDLE", forward=False) == 2 * FIND_CHUNK + 10  # wraps backwards
        assert view.find_bytes(b"NEEDLE", forward=False) == across
        view.set_cursor(2 * FIND_CHUNK + 10 + 3)  # inside the second match: backwards finds it
        assert view.find_bytes(b"NEEDLE", forward=False) == 2 * FIND_CHUNK + 10
        with qtbot.waitSignal(view.message) as msg:
            assert view.find_bytes(b"HAYSTACK") is None
        assert "not found" in msg.args[0]
        assert view.cursor_offset() == 2 * FIND_CHUNK + 10  # unchanged
        start, data = view.visible_range()
        assert start <= view.cursor_offset() < start + len(data)
    finally:
        seg.close()


def test_find_a_pattern_crossing_a_chunk_boundary_backwards(qtbot, shm_name):
    seg = Segment.create(shm_name, 2 * FIND_CHUNK + 100)
    try:
        seg.write(FIND_CHUNK - 2, b"XYZW")
        view = make_view(qtbot, seg)
        view.goto(seg.size - 1)
        assert view.find_bytes(b"XYZW", forward=False) == FIND_CHUNK - 2
        view.goto(FIND_CHUNK - 1)
        assert view.find_bytes(b"XYZW") == FIND_CHUNK - 2  # only match: found again by wrapping
    finally:
        seg.close()


def test_copy_puts_each_format_on_the_clipboard(qtbot, segment):
    view = make_view(qtbot, segment)
    view.set_selection(TEXT.index(b"The"), 3)
    clipboard = QApplication.clipboard()
    expected = {
        "hex": "54 68 65",
        "hexdump": "00000016: 54 68 65                                          The",
        "c": "unsigned char data[3] = {0x54, 0x68, 0x65};",
        "python": "b'The'",
    }
    for kind, text in expected.items():
        assert view.copy_selection(kind) == text
        assert clipboard.text() == text
    view.set_cursor(0)  # no selection: the byte at the cursor
    assert view.copy_selection("python") == "b'H'" == clipboard.text()


# ---------------------------------------------------------------- editing

def test_typing_hex_and_ascii_writes_the_segment_and_undo_redo_restore(qtbot, segment, shm_name):
    view = make_view(qtbot, segment)
    other = Segment.open(shm_name)  # a second, independent view of the same memory
    try:
        view.set_cursor(0x10)
        edits = []
        view.edited.connect(lambda off, n: edits.append((off, n)))
        qtbot.keyClicks(view, "4")
        assert other.read(0x10, 1) == bytes([0x4D])  # high nibble of "M" (0x4D) -> 0x4D
        qtbot.keyClicks(view, "1a")
        assert other.read(0x10, 2) == bytes([0x41, 0xA0 | (TEXT[0x11] & 0x0F)])
        assert view.cursor_offset() == 0x11
        view.toggle_column()  # the text column (Ctrl+T in the window)
        qtbot.keyClicks(view, "Zz")
        assert other.read(0x10, 3) == b"AZz"
        assert edits[0] == (0x10, 1)
        assert view.undo_stack.count() == 4  # 0x10 (two nibbles merged), 0x11 nibble, Z, z
        view.undo_stack.undo()
        view.undo_stack.undo()
        assert other.read(0x11, 2) == bytes([0xA0 | (TEXT[0x11] & 0x0F)]) + TEXT[0x12:0x13]
        view.undo_stack.undo()
        view.undo_stack.undo()
        assert other.read(0, len(TEXT)) == TEXT
        view.undo_stack.redo()
        assert other.read(0x10, 1) == b"A"
    finally:
        other.close()


def test_typing_on_a_read_only_segment_changes_nothing(qtbot, segment, shm_name):
    ro = Segment.open(shm_name, readonly=True)
    try:
        view = make_view(qtbot, ro)
        with qtbot.waitSignal(view.message) as msg:
            qtbot.keyClicks(view, "ff")
        assert "read-only" in msg.args[0]
        assert segment.read(0, len(TEXT)) == TEXT
        assert view.undo_stack.count() == 0
    finally:
        ro.close()


def test_a_failed_write_is_reported_and_not_pushed(qtbot, segment, shm_name):
    view = make_view(qtbot, segment)
    view.goto(0x2000)
    other_process_truncates(shm_name, 0x1000)  # the cursor is now past the end
    with qtbot.waitSignal(view.message) as msg:
        qtbot.keyClicks(view, "7")
    assert "0x2000" in msg.args[0]
    assert view.undo_stack.count() == 0
    view.refresh()
    assert view.cursor_offset() == 0xFFF


# ---------------------------------------------------------------- live changes

def test_bytes_another_process_changes_light_up_and_fade(qtbot, segment, shm_name):
    view = make_view(qtbot, segment)
    before = cell_background(view, 0x40)
    other_process_writes(shm_name, (0x40, b"\xAA\xBB"), (0x105, b"\x00"))
    view.refresh()
    now = time.monotonic()
    ages = view.tracker.ages(0x40, 2, now)
    assert all(a is not None and a < 1.0 for a in ages)
    assert view.tracker.ages(0x42, 1, now) == [None]
    assert view.tracker.age(0x105, now) is not None and view.tracker.age(0x104, now) is None
    assert view.tracker.ages(0, 0x40, now) == [None] * 0x40
    changed, unchanged = cell_background(view, 0x40), cell_background(view, 0x42)
    assert changed != unchanged and unchanged == before
    assert changed.red() > changed.blue() + 40  # warm
    # The overview strip shows heat over the first 4 KiB page and nowhere else.
    heat = view.tracker.heat(16, time.monotonic())
    assert heat[0] > 0.5 and max(heat[1:]) == 0.0


def test_idle_view_stops_repainting_after_the_fade(qtbot, segment, shm_name):
    view = make_view(qtbot, segment)
    view.tracker.fade_seconds = 0.2
    counter = PaintCounter(view.viewport())
    other_process_writes(shm_name, (0x20, b"\x01"))
    view.refresh()
    QApplication.processEvents()
    assert counter.count >= 1
    deadline = time.monotonic() + 5
    while view.tracker.active(time.monotonic()) and time.monotonic() < deadline:
        view.refresh()
        qtbot.wait(20)
    view.refresh()  # the last paint wipes the faint end of the fade
    QApplication.processEvents()
    painted = counter.count
    for _ in range(20):
        view.refresh()
        QApplication.processEvents()
    assert counter.count == painted
    assert cell_background(view, 0x20) == cell_background(view, 0x21)


def test_between_fade_steps_a_tick_repaints_only_the_rows_whose_bytes_changed(
        qtbot, segment, shm_name, clock):
    view = make_view(qtbot, segment)
    painted = PaintedRows(view)
    other_process_writes(shm_name, (0x00, b"\x11"), (0x50, b"\x55"))
    view.refresh()
    QApplication.processEvents()
    assert {0, 5} <= painted.rows()
    painted.paints.clear()
    clock.t += 0.01  # within the same step of the fade
    other_process_writes(shm_name, (0x20, b"\x22"))
    view.refresh()
    QApplication.processEvents()
    assert painted.rows() == {2}  # rows 0 and 5 still glow exactly as painted
    painted.paints.clear()
    clock.t += 0.005
    other_process_writes(shm_name, (0x01, b"\x12"))  # a row that glows already
    view.refresh()
    QApplication.processEvents()
    assert painted.rows() == {0}
    painted.paints.clear()
    clock.t += 0.025  # the fade moves on a step: every glowing row dims
    view.refresh()
    QApplication.processEvents()
    assert painted.rows() == {0, 2, 5}
    painted.paints.clear()
    clock.t += 0.005
    view.refresh()
    QApplication.processEvents()
    assert painted.paints == []
    clock.t += 10  # the fade is over: the highlights are wiped once, then nothing
    view.refresh()
    QApplication.processEvents()
    assert painted.rows() == {0, 2, 5}
    assert cell_background(view, 0x20) == cell_background(view, 0x21)
    painted.paints.clear()
    for _ in range(5):
        view.refresh()
        QApplication.processEvents()
    assert painted.paints == []


def test_rows_drawn_as_glyph_runs_match_draw_text_pixel_for_pixel(qtbot, segment, shm_name, clock,
                                                                 monkeypatch):
    segment.write(0x200, b'{"title": "hello", "content": "world"}')
    view = make_view(qtbot, segment)
    other_process_writes(shm_name, (0x10, b"CHANGED!"), (0x180, b"\xde\xad\xbe\xef"))
    view.refresh()
    view.set_cursor(0x35)
    view.set_cursor(0x48, select=True)
    view.highlight_range(0x200, 38)
    dark = QPalette(view.palette())
    dark.setColor(QPalette.Base, QColor("#1e1e1e"))
    for step, change in [
        ("as opened", lambda: None),
        ("8 bytes per row", lambda: setattr(view, "bytes_per_row", 8)),
        ("32 bytes per row", lambda: setattr(view, "bytes_per_row", 32)),
        ("zoomed in", view.zoom_in),
        ("zoomed out", lambda: (view.zoom_out(), view.zoom_out(), view.zoom_out())),
        ("scrolled sideways", lambda: view.horizontalScrollBar().setValue(37)),
        ("scrolled down", lambda: view.goto(0x120)),
        ("dark palette", lambda: view.setPalette(dark)),
    ]:
        change()
        fast, slow = grab_both(view, monkeypatch)
        assert fast == slow, step
        assert len({fast.pixel(x, y) for x in range(0, fast.width(), 5)
                    for y in range(0, fast.height(), 5)}) > 8, step  # text, not a blank view


def test_painted_text_follows_the_bytes_the_row_width_and_the_zoom(qtbot, segment, shm_name, clock,
                                                                  monkeypatch):
    view = make_view(qtbot, segment)
    view.set_cursor(0x1A0)  # out of the way
    before = row_image(view, 4)  # "g.\t\r\n" and NULs
    other_process_writes(shm_name, (0x48, b"NEW BYTES"))
    view.refresh()
    clock.t += 10  # let the highlight fade: only the text differs now
    view.refresh()
    after = row_image(view, 4)
    assert after != before
    assert row_image(view, 3) == row_image(view, 3)  # (grabs are deterministic)
    fast, slow = grab_both(view, monkeypatch)
    assert fast == slow
    # The same bytes in another row width or size land elsewhere, still as drawText has them.
    for change in (lambda: setattr(view, "bytes_per_row", 32), view.zoom_in, view.zoom_in):
        shown = row_image(view, 2)
        change()
        assert row_image(view, 2) != shown
        fast, slow = grab_both(view, monkeypatch)
        assert fast == slow


def test_refresh_reads_the_segment_once_per_tick_for_the_visible_rows(qtbot, segment):
    view = make_view(qtbot, segment)
    reads = []
    real_read = segment.read
    segment.read = lambda off, n: reads.append((off, n)) or real_read(off, n)  # type: ignore[method-assign]
    try:
        view.refresh()
    finally:
        del segment.read
    start, data = view.visible_range()
    assert reads[0] == (start, len(data))
    assert all(n <= view.tracker.budget_bytes for _, n in reads[1:])  # then the budgeted scan
    assert view.read_cached(start + 5, 4) == data[5:9]
    assert view.read_cached(0xF000, 4) == segment.read(0xF000, 4)


def test_clicking_the_overview_strip_jumps_there(qtbot, segment):
    view = make_view(qtbot, segment)
    strip = view.findChild(OverviewStrip)
    assert strip is not None and strip.isVisible()
    assert strip.geometry().left() >= view.viewport().geometry().right()
    qtbot.mouseClick(strip, Qt.LeftButton, pos=QPoint(5, strip.height() - 2))
    start, data = view.visible_range()
    assert start + len(data) == segment.size  # at the end
    qtbot.mouseClick(strip, Qt.LeftButton, pos=QPoint(5, 0))
    assert view.first_visible_row() == 0


def test_highlight_range_is_drawn_apart_from_changes_and_selection(qtbot, segment):
    view = make_view(qtbot, segment)
    plain = cell_background(view, 0x80)
    view.highlight_range(0x80, 4)
    marked = cell_background(view, 0x80)
    assert marked != plain and cell_background(view, 0x84) == plain
    view.set_selection(0x90, 2)
    assert cell_background(view, 0x90) not in (plain, marked)
    view.clear_highlight()
    assert cell_background(view, 0x80) == plain


# ---------------------------------------------------------------- survival

def test_survives_another_process_truncating_growing_and_removing(qtbot, segment, shm_name):
    view = make_view(qtbot, segment)
    view.goto(0x8000)
    view.set_selection(0x7000, 0x2000)
    other_process_truncates(shm_name, 0)
    view.refresh()
    assert view.cursor_offset() == 0 and view.selection() == (0, 0)
    assert view.visible_range() == (0, b"")
    view.grab()  # paints an empty view
    other_process_truncates(shm_name, 256 << 10)
    view.refresh()
    assert view.verticalScrollBar().maximum() > 0
    qtbot.keyClick(view, Qt.Key_End, Qt.ControlModifier)
    assert view.cursor_offset() == (256 << 10) - 1
    other_process_writes(shm_name, (view.cursor_offset(), b"\x42"))
    view.refresh()
    assert view.read_cached(view.cursor_offset(), 1) == b"\x42"
    run_other_process("import sys; from mmfviewer.segment import unlink_segment; unlink_segment(sys.argv[1])",
                      shm_name)
    view.refresh()  # removed: our descriptor still reads the old object
    assert view.read_cached(view.cursor_offset(), 1) == b"\x42"
    view.grab()


def test_truncation_while_scrolled_shows_empty_rows_and_clamps(qtbot, segment, shm_name):
    view = make_view(qtbot, segment)
    view.goto(segment.size - 1)
    other_process_truncates(shm_name, segment.size - 100)
    view.refresh()
    assert view.cursor_offset() == segment.size - 101
    start, data = view.visible_range()
    assert start + len(data) == segment.size - 100
    view.grab()


def test_a_zero_byte_segment_shows_an_empty_view(qtbot, tmp_path):
    path = tmp_path / "empty.bin"
    path.write_bytes(b"")
    seg = Segment.from_file(path)
    try:
        view = make_view(qtbot, seg)
        for key in (Qt.Key_Right, Qt.Key_End, Qt.Key_PageDown, Qt.Key_Down):
            qtbot.keyClick(view, key)
        qtbot.keyClick(view, Qt.Key_End, Qt.ControlModifier)
        qtbot.keyClick(view, Qt.Key_A, Qt.ControlModifier)
        assert view.cursor_offset() == 0 and view.selection() == (0, 0)
        assert view.find_bytes(b"x") is None
        assert view.copy_selection("hex") == ""
        view.goto(100)
        view.refresh()
        view.bytes_per_row = 8
        view.zoom_in()
        assert view.visible_range() == (0, b"")
        view.grab()
    finally:
        seg.close()


def test_an_unreadable_segment_keeps_its_last_bytes_and_says_so_once(qtbot, segment):
    view = make_view(qtbot, segment)
    last = view.visible_range()
    messages = []
    view.message.connect(messages.append)
    segment.close()  # every read now raises SegmentClosedError
    view.refresh()
    view.refresh()
    assert view.visible_range() == last
    assert len(messages) == 1 and "cannot read" in messages[0]
    view.grab()
    qtbot.keyClicks(view, "ab")  # nothing raises


def test_a_5_gib_sparse_file_scrolls_to_its_last_byte(qtbot, tmp_path):
    path = tmp_path / "sparse.bin"
    size = 5 * GiB
    with open(path, "wb") as f:
        f.truncate(size)
    with open(path, "r+b") as f:
        f.seek(size - 4)
        f.write(b"END!")
    seg = Segment.from_file(path)
    try:
        view = make_view(qtbot, seg)
        assert view.hex_geometry.offset_digits == 16
        qtbot.keyClick(view, Qt.Key_End, Qt.ControlModifier)
        assert view.cursor_offset() == size - 1
        start, data = view.visible_range()
        assert start <= size - 1 < start + len(data) and data.endswith(b"END!")
        bar = view.verticalScrollBar()
        assert bar.value() == bar.maximum()
        bar.setValue(0)
        assert view.first_visible_row() == 0
        bar.setValue(bar.maximum())
        assert view.visible_range()[1].endswith(b"END!")
        view.refresh()
        view.grab()
    finally:
        seg.close()


def test_a_100_gib_sparse_file_scrolls_through_a_scaled_scrollbar(qtbot, tmp_path):
    path = tmp_path / "huge.bin"
    size = 100 * GiB
    try:
        with open(path, "wb") as f:
            f.truncate(size)
        seg = Segment.from_file(path)
    except OSError as err:
        pytest.skip(f"no 100 GiB sparse file here: {err}")
    try:
        view = make_view(qtbot, seg)
        bar = view.verticalScrollBar()
        assert bar.maximum() == SCROLL_MAX  # more rows than a QScrollBar can count
        bar.setValue(bar.maximum())
        start, data = view.visible_range()
        assert start + len(data) == size
        bar.triggerAction(bar.SliderAction.SliderSingleStepSub)  # one row up, not 100 rows
        assert view.visible_range()[0] == start - 16
        qtbot.keyClick(view, Qt.Key_Home, Qt.ControlModifier)
        assert view.first_visible_row() == 0 and bar.value() == 0
    finally:
        seg.close()


# ---------------------------------------------------------------- screenshot

def test_screenshot_of_text_binary_and_fresh_changes(qtbot, segment, shm_name, tmp_path):
    segment.write(0x200, b'{"title": "hello", "content": "world"}')
    view = make_view(qtbot, segment, width=900, height=600)
    other_process_writes(shm_name, (0x10, b"CHANGED!"), (0x180, b"\xde\xad\xbe\xef"),
                         (40000, b"far away"))
    view.refresh()
    view.set_cursor(0x35)
    view.set_cursor(0x48, select=True)
    view.highlight_range(0x200, 38)
    image = view.grab()
    assert image.save(str(tmp_path / "hexview.png"))
    colours = {image.toImage().pixel(x, y) for x in range(0, 900, 7) for y in range(0, 600, 7)}
    assert len(colours) > 10


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


def test_refresh_announces_each_tick(qtbot, segment):
    view = make_view(qtbot, segment)
    with qtbot.waitSignal(view.refreshed, timeout=1000):
        view.refresh()


def test_our_own_edits_light_up_in_a_colour_of_their_own(qtbot, segment, shm_name):
    view = make_view(qtbot, segment)
    view.set_cursor(0x10)
    qtbot.keyClicks(view, "ff")  # we type a byte
    other_process_writes(shm_name, (0x30, b"\xee"))  # another process writes one
    view.refresh()
    ours, theirs, untouched = cell_background(view, 0x10), cell_background(view, 0x30), cell_background(view, 0x50)
    assert ours != untouched and theirs != untouched
    assert ours != theirs
    assert ours.blue() > ours.red() and theirs.red() > theirs.blue()  # blue for ours, orange for theirs
