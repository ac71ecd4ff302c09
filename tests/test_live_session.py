"""A live session's tick: one look, one read, and what changed in the rows and when."""

from __future__ import annotations

import time

import pytest

from mmfviewer.live_session import LiveSession, ReadWindow
from mmfviewer.page_scan import SCAN_CHUNK
from mmfviewer.segment import Segment

from .conftest import CountingSegment, other_process_writes


@pytest.fixture
def session(shm_name):
    Segment.create(shm_name, 64 << 10).close()
    live = LiveSession(Segment.open(shm_name, readonly=True))
    yield live
    live.close()


def test_a_tick_carries_which_bytes_of_the_rows_changed_and_how_long_ago(session, shm_name):
    rows = ReadWindow(rows=(0x100, 0x200))
    first = session.tick(rows)
    assert first.changes is not None and first.changes.stamps == ()  # nothing to compare with yet
    other_process_writes(shm_name, (0x180, b"\x01\x02"))
    other_process_writes(shm_name, (0x900, b"\x03"))  # not in the rows
    second = session.tick(rows)
    assert second.changes is not None
    assert [pos for pos, _ in second.changes.stamps] == [0x180, 0x181]
    assert second.changes.age(0x180) == pytest.approx(0.0, abs=0.05)
    assert second.changes.age(0x182) is None
    time.sleep(0.2)
    third = session.tick(rows)
    assert third.changes is not None
    age = third.changes.age(0x181)
    assert age is not None and age >= 0.2  # the same change, older
    assert second.changes.age(0x181) == pytest.approx(0.0, abs=0.05)  # a snapshot never changes


def test_changes_fade_out_of_the_snapshot(session, shm_name):
    session.tracker.fade_seconds = 0.1
    rows = ReadWindow(rows=(0, 64))
    session.tick(rows)
    other_process_writes(shm_name, (3, b"\xff"))
    assert session.tick(rows).changes.age(3) is not None
    time.sleep(0.15)
    assert session.tick(rows).changes.age(3) is None


def test_a_tick_without_rows_carries_no_changes(session):
    assert session.tick(ReadWindow()).changes is None


def test_the_overview_scan_reads_a_big_segment_in_chunks_of_its_own(shm_name):
    Segment.create(shm_name, 8 << 20).close()
    live = LiveSession(CountingSegment.open(shm_name, readonly=True))
    try:
        CountingSegment.reset()
        live.tick(ReadWindow(rows=(0, 1024), inspect=(0, 256)))
        rows_reads = [n for n in CountingSegment.sizes if n != SCAN_CHUNK]
        assert rows_reads == [1024]  # rows and inspector in one read
        assert CountingSegment.sizes.count(SCAN_CHUNK) >= 1  # the scan's own
        assert live.tracker.page_count > 0
    finally:
        live.close()


def test_a_small_segment_is_scanned_from_the_ticks_one_read(shm_name):
    Segment.create(shm_name, 64 << 10).close()
    live = LiveSession(CountingSegment.open(shm_name, readonly=True))
    try:
        live.tick(ReadWindow(rows=(0, 1024)))
        CountingSegment.reset()
        for _ in range(5):
            live.tick(ReadWindow(rows=(0, 1024)))
        assert CountingSegment.sizes == [64 << 10] * 5
    finally:
        live.close()
