"""Finding bytes in the hex view (across the chunks it searches in) and copying them in each format."""

from __future__ import annotations

import pytest

pytest.importorskip("PySide6.QtWidgets")

from PySide6.QtWidgets import QApplication  # noqa: E402

from mmfviewer.hex_document import FIND_CHUNK  # noqa: E402
from mmfviewer.hextext import hexdump_text  # noqa: E402
from mmfviewer.qt.hex_geometry import format_bytes  # noqa: E402
from mmfviewer.segment import Segment  # noqa: E402

from .hex_view_helpers import TEXT, make_view  # noqa: E402


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
