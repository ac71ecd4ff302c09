"""The hex view's Qt-free parts: the cursor and selection, and the document."""

from __future__ import annotations

import time

import pytest

from mmfviewer.changes import ChangeTracker
from mmfviewer.hex_cursor import KEYS, Cursor, navigate, typed_byte
from mmfviewer.hex_document import FIND_CHUNK, HexDocument
from mmfviewer.hex_repaint import FADE_STEPS_PER_SECOND, RepaintPlanner, changed_rows, fade_clock, row_runs
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


@pytest.mark.parametrize("ch, old, in_ascii, low, expected", [
    ("a", 0x00, False, False, 0xA0),   # the high nibble first
    ("5", 0xA0, False, True, 0xA5),    # then the low one, keeping the high
    ("F", 0x12, False, False, 0xF2),
    ("g", 0x12, False, False, None),   # not a hex digit: writes nothing
    ("g", 0x12, True, False, ord("g")),
    ("\t", 0x12, True, False, None),   # not printable ASCII
    ("é", 0x12, True, False, None),
])
def test_a_typed_key_writes_a_nibble_in_hex_and_a_character_in_ascii(ch, old, in_ascii, low, expected):
    assert typed_byte(ch, old, in_ascii=in_ascii, low_nibble=low) == expected


def test_moving_the_cursor_forgets_a_half_typed_byte():
    cursor = Cursor(size=64, low_nibble=True)
    cursor.move(3)
    assert not cursor.low_nibble
    cursor.low_nibble = True
    cursor.select(1, 5)
    assert not cursor.low_nibble


def test_row_runs_group_adjacent_rows():
    assert row_runs({7, 1, 2, 3, 9, 10}) == [(1, 3), (7, 7), (9, 10)]
    assert row_runs(set()) == []


def test_changed_rows_are_those_whose_bytes_differ():
    before = bytes(64)
    after = bytearray(before)
    after[17] = 1
    after[63] = 1
    assert changed_rows(bytes(after), before, 16) == {1, 3}
    assert changed_rows(bytes(after[:40]), before, 16) == {1, 2}  # row 2 lost bytes: it changed


def test_a_tick_repaints_only_changed_rows_until_the_fade_steps():
    tracker = ChangeTracker(64)
    planner = RepaintPlanner(tracker)
    now = 1000.0  # on a step of the fade
    before = bytes(64)
    data = bytes([0] * 16 + [1] + [0] * 47)
    tracker.update_visible(0, before, now)
    tracker.update_visible(0, data, now)
    assert planner.plan(offset=0, bytes_per_row=16, data=data, before=before, changed=True,
                        moved=False, now=now) == {1}
    assert planner.lit == {1}
    # Within the same step of the fade an idle tick repaints nothing...
    assert planner.plan(offset=0, bytes_per_row=16, data=data, before=data, changed=False,
                        moved=False, now=now + 0.001) == set()
    # ...and once the fade steps, the glowing row again.
    step = 1 / FADE_STEPS_PER_SECOND
    assert planner.plan(offset=0, bytes_per_row=16, data=data, before=data, changed=False,
                        moved=False, now=now + step) == {1}
    # Other rows on screen: everything.
    assert planner.plan(offset=0, bytes_per_row=16, data=data, before=data, changed=False,
                        moved=True, now=now + step) is None


def test_the_fade_clock_steps_evenly():
    assert fade_clock(1000.0) == 1000.0
    assert fade_clock(1000.0 + 0.5 / FADE_STEPS_PER_SECOND) == 1000.0
