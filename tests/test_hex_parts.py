"""The hex view's Qt-free parts: the cursor and selection, and the document."""

from __future__ import annotations

import time

import pytest

from mmfviewer.hex_cursor import KEYS, Cursor, navigate
from mmfviewer.hex_document import FIND_CHUNK, HexDocument
from mmfviewer.segment import Segment


def test_a_selection_runs_from_anchor_to_cursor_both_included():
    c = Cursor(size=100)
    c.move(10)
    c.move(20, select=True)
    assert c.selection() == (10, 11)
    c.move(5, select=True)  # back past the anchor: the selection turns round
    assert c.selection() == (5, 6)
    c.move(50)
    assert c.selection() == (50, 0)


def test_a_shrinking_segment_pulls_cursor_and_selection_inside_it():
    c = Cursor(size=100)
    c.select(anchor=90, cursor=99)
    c.resize(40)
    assert c.selection() == (39, 1) and c.offset == 39
    c.resize(0)
    assert c.selection() == (0, 0) and not c.selecting


@pytest.mark.parametrize("key, cursor, ctrl, expected", [
    ("left", 17, False, 16), ("right", 17, False, 18), ("up", 17, False, 1), ("up", 5, False, 5),
    ("down", 17, False, 33), ("down", 90, False, 90), ("home", 17, False, 16), ("end", 17, False, 31),
    ("home", 17, True, 0), ("end", 17, True, 99), ("page_down", 17, False, 81), ("page_up", 17, False, 1),
])
def test_navigation_keys_move_like_a_hex_editor(key, cursor, ctrl, expected):
    assert key in KEYS
    assert navigate(key, cursor, 100, 16, 4, ctrl=ctrl) == expected


def test_the_document_finds_across_chunks_and_wraps(shm_name):
    with Segment.create(shm_name, 2 * FIND_CHUNK + 100) as seg:
        seg.write(FIND_CHUNK - 3, b"NEEDLE")
        doc = HexDocument(seg)
        assert doc.find(b"NEEDLE", 0) == (FIND_CHUNK - 3, False)
        assert doc.find(b"NEEDLE", FIND_CHUNK) == (FIND_CHUNK - 3, True)  # wrapped round
        assert doc.find(b"HAY", 0) == (None, True)


def test_the_document_reports_a_truncated_segment_instead_of_raising(shm_name):
    with Segment.create(shm_name, 4096) as seg:
        doc = HexDocument(seg)
        assert doc.take_rows(0, 256, time.monotonic()) is True
        with open(seg.path, "r+b") as f:
            f.truncate(0)  # as another process would
        assert doc.take_rows(0, 256, time.monotonic()) is None
        assert doc.data == bytes(256)  # the last bytes read are still there to show
