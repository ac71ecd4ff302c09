"""The hex view survives what other processes do to its segment (truncate, grow, remove), and
empty, unreadable and huge sparse files: it keeps showing something sensible and never raises."""

from __future__ import annotations

import pytest

pytest.importorskip("PySide6.QtWidgets")

from PySide6.QtCore import Qt  # noqa: E402

from mmfviewer.qt.hex_geometry import SCROLL_MAX  # noqa: E402
from mmfviewer.segment import Segment  # noqa: E402

from ..conftest import other_process_writes, run_other_process  # noqa: E402
from .hex_view_helpers import GiB, make_view, other_process_truncates  # noqa: E402


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
