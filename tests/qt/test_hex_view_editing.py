"""Typing into the hex view writes the segment, with undo and redo; a read-only segment or a
failed write changes nothing."""

from __future__ import annotations

import pytest

pytest.importorskip("PySide6.QtWidgets")

from mmfviewer.segment import Segment  # noqa: E402

from .hex_view_helpers import TEXT, make_view, other_process_truncates  # noqa: E402


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
        assert "read-only" in msg.args[0] and "Ctrl+Shift+W" in msg.args[0]  # says how
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
