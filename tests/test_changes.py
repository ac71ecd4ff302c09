"""ChangeTracker: which bytes changed, how long ago, and where in a big segment."""

from __future__ import annotations

import os
import random
import subprocess
import sys

import pytest

from mmfviewer.changes import ChangeTracker
from mmfviewer.page_scan import MAX_PAGES, SCAN_CHUNK, page_size_for

MiB = 1 << 20


class CountingReader:
    """A ``read`` callback over a bytearray that counts what each scan read."""

    def __init__(self, buf: bytearray) -> None:
        self.buf = buf
        self.bytes_read = 0
        self.calls = 0

    def __call__(self, offset: int, n: int) -> bytes:
        self.calls += 1
        data = bytes(self.buf[offset:offset + n])
        self.bytes_read += len(data)
        return data


def test_changed_bytes_get_ages_and_unchanged_ones_none():
    t = ChangeTracker(256)
    data = bytearray(64)
    assert t.update_visible(0, bytes(data), now=10.0) == 0  # first read is a baseline
    data[3] = 1
    data[40] = 0xFF
    assert t.update_visible(0, bytes(data), now=10.5) == 2
    ages = t.ages(0, 64, now=10.75)
    assert ages[3] == pytest.approx(0.25) and ages[40] == pytest.approx(0.25)
    assert [i for i, a in enumerate(ages) if a is not None] == [3, 40]
    assert t.age(3, now=10.5) == 0.0
    assert t.age(4, now=10.5) is None


def test_ages_expire_after_the_fade_time_and_activity_stops():
    t = ChangeTracker(16, fade_seconds=1.5)
    t.update_visible(0, bytes(16), now=0.0)
    t.update_visible(0, b"\x01" + bytes(15), now=1.0)
    assert t.active(2.0)
    assert t.age(0, now=2.4) == pytest.approx(1.4)
    assert t.age(0, now=2.5) is None
    assert t.ages(0, 16, now=2.6) == [None] * 16
    assert not t.active(2.6)


def test_levels_fade_from_bright_to_nothing():
    t = ChangeTracker(8, fade_seconds=1.0)
    t.update_visible(0, bytes(8), now=0.0)
    t.update_visible(0, bytes([0, 9, 0, 0, 0, 0, 0, 7]), now=1.0)
    fresh, half, gone = t.levels(0, 8, 1.0), t.levels(0, 8, 1.5), t.levels(0, 8, 2.0)
    assert fresh[1] == fresh[7] == 255 and fresh[0] == 0
    assert 120 <= half[1] <= 135
    assert gone == bytes(8)
    assert t.levels(4, 4, 1.0) == bytes([0, 0, 0, 255])  # a window inside the range


def test_scrolling_to_unseen_bytes_is_not_a_change():
    t = ChangeTracker(4096)
    first = bytes(range(256))
    t.update_visible(0, first, now=1.0)
    # Scroll down by 64 bytes: 192 bytes overlap and are identical, 64 are new.
    assert t.update_visible(64, bytes(range(64, 256)) + b"\xAA" * 64, now=1.1) == 0
    assert t.ages(0, 512, now=1.1) == [None] * 512
    # Jump far away: nothing overlaps, nothing changed.
    assert t.update_visible(2048, b"\x55" * 256, now=1.2) == 0


def test_a_change_in_the_overlap_of_a_scroll_is_still_seen():
    t = ChangeTracker(1024)
    t.update_visible(0, bytes(128), now=1.0)
    moved = bytearray(128)
    moved[10] = 1  # offset 16 + 10 = 26 changed while we scrolled by a row
    assert t.update_visible(16, bytes(moved), now=1.1) == 1
    assert t.age(26, now=1.1) == 0.0


def test_short_reads_after_truncation_do_not_count_missing_bytes():
    t = ChangeTracker(64)
    t.update_visible(0, b"\x01" * 64, now=1.0)
    assert t.update_visible(0, b"\x01" * 10, now=1.1) == 0


def test_page_size_grows_for_huge_segments_so_the_table_stays_small():
    assert page_size_for(64 * MiB) == 4096
    assert page_size_for(1 << 30) == 4096
    assert page_size_for(1 * MiB) == 4096
    assert page_size_for(64 << 10) == 256  # small segments: the strip still has detail
    assert page_size_for(100) == 64
    assert page_size_for(5 << 30) * MAX_PAGES >= 5 << 30
    t = ChangeTracker(1 << 40)  # 1 TiB: the tables are sized, nothing is allocated per byte
    assert t.page_count <= MAX_PAGES


def test_scan_finds_a_change_anywhere_in_64_mib_within_size_over_budget_calls():
    size, budget = 64 * MiB, 4 * MiB
    buf = bytearray(size)
    reader = CountingReader(buf)
    t = ChangeTracker(size, budget_bytes=budget)
    calls_for_full_pass = size // budget
    for i in range(calls_for_full_pass):  # baseline pass
        t.scan(reader, now=float(i))
    rng = random.Random(7)
    now = 100.0
    for where in (0, size - 1, rng.randrange(size), rng.randrange(size)):
        buf[where] ^= 0xFF
        now += 100.0
        found_after = None
        for call in range(1, calls_for_full_pass + 1):
            reader.bytes_read = 0
            t.scan(reader, now=now)
            assert reader.bytes_read <= budget  # the budget is respected on every call
            heat = t.heat(64, now)
            if heat[where * 64 // size] > 0.99:
                found_after = call
                break
        assert found_after is not None, f"change at {where} not found in {calls_for_full_pass} calls"
        # Nowhere else lights up.
        assert sum(1 for h in t.heat(64, now) if h > 0.99) == 1
        # A full pass later the mark has faded and nothing new lights up.
        for i in range(calls_for_full_pass):
            t.scan(reader, now=now + t.heat_seconds + i)
        assert t.heat(64, now + t.heat_seconds) == [0.0] * 64


def test_a_page_that_keeps_changing_is_seen_every_pass_and_goes_quiet_after():
    # 2 MiB = 8 chunks of 64 pages; 512 pages fit the heat slots one to one.
    buf = bytearray(2 * MiB)
    reader = CountingReader(buf)
    t = ChangeTracker(len(buf), budget_bytes=len(buf))
    pages = t.page_count
    assert pages == 512 and t.page_size == 4096

    def lit(now: float) -> list[int]:
        return [p for p, h in enumerate(t.heat(pages, now)) if h == 1.0]

    t.scan(reader, now=0.0)  # baseline
    for now in (1.0, 2.0, 3.0):  # busy: the chunk's CRC is skipped, its pages still hashed
        buf[3 * 4096 + int(now)] ^= 0xFF
        buf[70 * 4096] ^= 0xFF
        t.scan(reader, now=now)
        assert lit(now) == [3, 70]
    t.scan(reader, now=4.0)  # quiet again: nothing new
    assert lit(4.0) == []
    t.scan(reader, now=5.0)  # idle chunks are skipped by their CRC...
    buf[3 * 4096] ^= 0xFF  # ...which still catches the next change
    buf[len(buf) - 1] ^= 0xFF
    t.scan(reader, now=6.0)
    assert lit(6.0) == [3, pages - 1]


def test_paced_scans_read_a_rate_not_a_budget_per_call():
    size, rate = 64 * MiB, 40 * MiB
    reader = CountingReader(bytearray(size))
    t = ChangeTracker(size, budget_bytes=4 * MiB)
    offsets = []

    def read(offset: int, n: int) -> bytes:
        offsets.append(offset)
        return reader(offset, n)

    assert t.scan_paced(read, 0.0, rate) == 4 * MiB  # the first call: a whole budget
    covered = 0
    now = 0.0
    for _ in range(400):  # 2 s of 5 ms ticks
        now += 0.005
        got = t.scan_paced(read, now, rate)
        assert got <= t.budget_bytes
        covered += got
    assert abs(covered - 2 * rate) <= SCAN_CHUNK  # what the rate allows, whatever the tick
    assert reader.calls < 400  # ticks that earned less than a chunk read nothing
    # Whole chunks only, so the windows stay aligned with the chunk hashes.
    assert all(offset % SCAN_CHUNK == 0 for offset in offsets)
    # A slow caller gets at most one budget per call, not the time it missed.
    assert t.scan_paced(read, now + 60.0, rate) == 4 * MiB


def test_paced_scans_still_find_a_change_anywhere():
    size, rate = 16 * MiB, 8 * MiB
    buf = bytearray(size)
    t = ChangeTracker(size, budget_bytes=1 * MiB)
    reader = CountingReader(buf)
    now = 0.0
    for _ in range(200):  # a baseline pass and then some: 2 s at 8 MiB/s
        now += 0.01
        t.scan_paced(reader, now, rate)
    where = size - 5
    buf[where] = 1
    changed_at = now
    while not t.heat(16, now)[-1] and now < changed_at + 10:
        now += 0.01
        t.scan_paced(reader, now, rate)
    assert 0 < now - changed_at <= size / rate + 0.1  # within one pass at the rate
    assert t.heat(16, now)[:-1] == [0.0] * 15


def test_a_small_segment_is_scanned_whole_once_a_little_was_earned():
    buf = bytearray(10_000)
    t = ChangeTracker(len(buf))
    reader = CountingReader(buf)
    assert t.scan_paced(reader, 1.0) == len(buf)
    assert t.scan_paced(reader, 1.0) == 0  # nothing earned in no time
    buf[9_999] = 1
    assert t.scan_paced(reader, 1.1) == len(buf)  # 0.1 s earns far more than 10 kB
    assert t.heat(4, 1.1)[-1] == 1.0


def test_first_scan_is_a_baseline_not_a_change():
    buf = bytearray(os.urandom(100_000))
    t = ChangeTracker(len(buf))
    t.scan(CountingReader(buf), now=1.0)
    assert t.heat(10, 1.0) == [0.0] * 10
    assert not t.heat_active(1.0)


def test_small_segments_are_fully_scanned_on_every_call():
    buf = bytearray(3 * 4096 + 100)  # not a whole number of pages
    reader = CountingReader(buf)
    t = ChangeTracker(len(buf), budget_bytes=1 << 20)
    t.scan(reader, now=1.0)
    assert reader.bytes_read == len(buf)  # never more than the segment
    buf[-1] = 1
    t.scan(reader, now=2.0)
    heat = t.heat(4, 2.0)
    assert heat[-1] == 1.0 and heat[:3] == [0.0, 0.0, 0.0]
    assert t.heat_active(2.0 + t.heat_seconds)  # held until the scan looks again...
    t.scan(reader, now=2.1)  # ...and finds it unchanged: then it fades from when it changed
    assert t.heat_active(2.1) and not t.heat_active(2.0 + t.heat_seconds)


def test_random_writes_over_a_big_segment_look_scattered_not_like_a_sweeping_band():
    """The scan takes many ticks per pass; a page it found changed stays marked until
    its next visit, so after one pass every page written to shows, wherever the scan is."""
    rng = random.Random(7)
    page = 4096
    buf = bytearray(1024 * page)
    reader = CountingReader(buf)
    t = ChangeTracker(len(buf), budget_bytes=64 * page, page_size=page)
    now = 0.0
    for _ in range(16):  # the first pass: baselines
        t.scan(reader, now)
        now += 1.0
    written = set()
    for _ in range(16 * 3):  # three passes, each tick writing a few random pages
        for _ in range(4):
            p = rng.randrange(1024)
            buf[p * page] = (buf[p * page] + 1) % 256
            written.add(p)
        t.scan(reader, now)
        now += 1.0
    heat = t.heat(64, now)  # long after most of those scans' visits (16 s a pass, 5 s of fade)
    lit = [i for i, h in enumerate(heat) if h > 0]
    # What the last pass found, all over the strip (it used to be the ~5 s of pages
    # behind the scan's head: one band, a third of the strip).
    assert len(lit) > 30
    assert all(sum(1 for i in lit if q * 16 <= i < (q + 1) * 16) >= 4 for q in range(4))
    unknown, head = t.scan_coverage(64)
    assert not any(unknown) and head is not None and 0 <= head < 1


def test_pages_the_scan_has_not_compared_yet_are_said_to_be_unknown():
    page = 4096
    t = ChangeTracker(256 * page, budget_bytes=64 * page, page_size=page)
    for tick in range(5):  # a quarter of the pages a tick: the first quarter twice
        t.scan(lambda offset, n: bytes(n), float(tick))
    unknown, head = t.scan_coverage(4)
    assert unknown == [False, True, True, True] and head == 0.25  # only that quarter could show a change


def test_scan_of_a_huge_sparse_segment_reads_only_the_budget(tmp_path):
    path = tmp_path / "big"
    with open(path, "wb") as f:
        f.truncate(1 << 30)
    fd = os.open(path, os.O_RDONLY)
    try:
        total = []

        def read(offset: int, n: int) -> bytes:
            data = os.pread(fd, n, offset)
            total.append(len(data))
            return data

        t = ChangeTracker(1 << 30, budget_bytes=1 << 20)
        for i in range(5):
            t.scan(read, now=float(i))
        assert sum(total) == 5 << 20
    finally:
        os.close(fd)


def test_heat_buckets_fade_and_count_visible_changes():
    size = 1 << 20
    t = ChangeTracker(size, heat_seconds=5.0)
    t.update_visible(size - 64, bytes(64), now=0.0)
    t.update_visible(size - 64, b"\x01" + bytes(63), now=1.0)
    heat = t.heat(8, now=1.0)
    assert heat[-1] == 1.0 and heat[:-1] == [0.0] * 7
    assert t.heat(8, now=3.5)[-1] == pytest.approx(0.5)
    assert t.heat(8, now=6.0) == [0.0] * 8
    # More buckets than pages: every bucket maps to some page, no crash, no gap.
    assert len(t.heat(10_000, now=1.0)) == 10_000


def test_heat_of_an_empty_segment_is_all_zero():
    t = ChangeTracker(0)
    t.scan(lambda o, n: b"", now=1.0)
    assert t.heat(16, 1.0) == [0.0] * 16
    assert t.update_visible(0, b"", now=1.0) == 0
    assert t.levels(0, 0, 1.0) == b""


def test_resize_smaller_drops_what_is_gone_and_keeps_the_rest():
    buf = bytearray(64 * 1024)
    reader = CountingReader(buf)
    t = ChangeTracker(len(buf))
    t.scan(reader, now=0.0)
    t.update_visible(0, bytes(64), now=0.0)
    t.update_visible(0, b"\x01" * 64, now=1.0)
    t.resize(32)
    assert t.size == 32 and t.page_count == 1
    assert t.age(10, now=1.0) == 0.0 and t.age(40, now=1.0) is None
    del buf[32:]
    t.scan(reader, now=2.0)  # the shorter last page is a new baseline, not a change
    t.update_visible(0, b"\x01" * 32, now=2.0)
    t.resize(0)
    assert t.page_count == 0 and t.heat(4, 2.0) == [0.0] * 4


def test_resize_larger_scans_the_new_pages_without_false_alarms():
    buf = bytearray(10_000)
    reader = CountingReader(buf)
    t = ChangeTracker(len(buf))
    t.scan(reader, now=0.0)
    buf.extend(b"\x07" * 90_000)
    t.resize(len(buf))
    assert t.page_count == -(-len(buf) // t.page_size)
    t.scan(reader, now=1.0)
    assert not t.heat_active(1.0)
    buf[95_000] = 0
    t.scan(reader, now=2.0)
    assert t.heat(10, 2.0)[9] == 1.0


def test_resize_across_a_page_size_change_rebuilds_the_tables():
    t = ChangeTracker(4096 * MAX_PAGES)
    small_page = t.page_size
    t.resize(4096 * MAX_PAGES * 4)
    assert t.page_size > small_page and t.page_count <= MAX_PAGES
    t.resize(100)
    assert t.page_size == 64 and t.page_count == 2
    t.scan(lambda o, n: bytes(n), now=1.0)


def test_the_tracker_module_does_not_import_qt():
    code = "import sys, mmfviewer.changes; sys.exit(any(m.startswith(('PySide6', 'shiboken6')) for m in sys.modules))"
    assert subprocess.run([sys.executable, "-c", code], timeout=60).returncode == 0


def test_our_own_writes_are_told_apart_from_other_processes_changes():
    tracker = ChangeTracker(64)
    before = bytes(64)
    tracker.update_visible(0, before, 10.0)
    tracker.mark_own(4, 2, 10.0)  # we write bytes 4 and 5...
    after = bytearray(before)
    after[4:6] = b"\x01\x02"
    after[9] = 0x03  # ...and someone else writes byte 9
    tracker.update_visible(0, bytes(after), 10.1)
    own = tracker.own_levels(0, 16, 10.1)
    assert own is not None and own[4] > 0 and own[5] > 0 and own[9] == 0
    assert tracker.levels(0, 16, 10.1)[9] > 0  # every change still has its level
    after[4] = 0x07  # then another process writes over our byte 4
    tracker.update_visible(0, bytes(after), 10.2)
    own = tracker.own_levels(0, 16, 10.2)
    assert own is not None and own[4] == 0 and own[5] > 0


def test_nothing_of_ours_means_no_own_levels():
    tracker = ChangeTracker(64)
    tracker.update_visible(0, bytes(16), 1.0)
    tracker.update_visible(0, b"\x01" + bytes(15), 1.1)
    assert tracker.own_levels(0, 16, 1.1) is None


def test_a_scan_cut_short_by_truncation_counts_no_missing_page_as_changed():
    page = 4096
    buf = bytearray(256 * page)
    t = ChangeTracker(len(buf), budget_bytes=len(buf), page_size=page)
    t.scan(lambda offset, n: bytes(buf[offset:offset + n]), 1.0)  # baseline
    t.scan(lambda offset, n: bytes(buf[offset:offset + n]), 2.0)  # compared: nothing changed
    half = len(buf) // 2
    t.scan(lambda offset, n: bytes(buf[offset:min(offset + n, half)]), 3.0)  # reads stop halfway
    t.scan(lambda offset, n: bytes(buf[offset:offset + n]), 4.0)  # the bytes are back, unchanged
    assert t.heat(4, 4.0) == [0.0, 0.0, 0.0, 0.0]
