"""A refresh tick reads a segment once, and every pane uses that read.

Counted with a real Segment whose reads and size checks count themselves, in a real
main window the size of a desktop's, after the first ticks (which also detect the
kind of segment and fill the views).
"""

from __future__ import annotations

import msgpack
import pytest

from mmfviewer.channel import Channel
from mmfviewer.page_scan import SCAN_CHUNK
from mmfviewer.segment import Segment

pytest.importorskip("pytestqt")

from ..conftest import CountingSegment  # noqa: E402


def open_tab(qtbot, segment: Segment, settings_dir):
    """A tab on ``segment`` in a 1400x900 window with settings of its own (never the
    user's), past its first ticks (which also detect the kind of segment and fill the views)."""
    from PySide6.QtCore import QSettings

    from mmfviewer.qt.main_window import MainWindow

    settings = QSettings(str(settings_dir / "settings.ini"), QSettings.Format.IniFormat)
    window = MainWindow(refresh_ms=5000, settings=settings)
    qtbot.addWidget(window)
    window.resize(1400, 900)
    window.show()
    tab = window.open_segment(segment)
    for _ in range(3):
        tab.tick()
    return tab


def counted_ticks(qtbot, segment: Segment, settings_dir, ticks: int = 10) -> tuple[float, float]:
    """(reads, size checks) per tick of an idle tab."""
    tab = open_tab(qtbot, segment, settings_dir)
    CountingSegment.reset()
    for _ in range(ticks):
        tab.tick()
    return CountingSegment.reads / ticks, CountingSegment.size_checks / ticks


@pytest.fixture
def counting(shm_name):
    made: list[Segment] = []

    def make(size: int, data: bytes = b"") -> Segment:
        with Segment.create(shm_name, size) as seg:
            seg.write(0, data)
        seg = CountingSegment.open(shm_name, readonly=True)
        made.append(seg)
        return seg
    yield make
    for seg in made:
        seg.close()


@pytest.mark.parametrize("kind, data", [
    ("raw", b""),
    ("text", b"The world is going down."),
    ("mailbox", msgpack.packb({"title": "Hi", "content": "there"})),
])
def test_an_idle_value_segment_is_read_once_per_tick(qtbot, counting, kind, data, tmp_path):
    reads, size_checks = counted_ticks(qtbot, counting(64 << 10, data), tmp_path)
    assert reads == 1
    assert size_checks <= 1


def test_an_idle_channel_costs_one_read_of_the_rows_per_tick(qtbot, counting, shm_name, tmp_path):
    with Channel.create(shm_name + "-c", lanes=2, lane_size=1 << 16) as ch, ch.writer() as w:
        for i in range(50):
            w.send({"n": i})
    seg = CountingSegment.open(shm_name + "-c", readonly=True)
    try:
        reads, size_checks = counted_ticks(qtbot, seg, tmp_path)
        assert reads == 1  # the rows on screen; the reader copies lane words with pread
        assert size_checks <= 1
    finally:
        seg.close()
        from mmfviewer.segment import unlink_segment
        unlink_segment(shm_name + "-c")


def test_following_the_newest_message_moves_the_view_before_the_one_read(qtbot, counting, shm_name, tmp_path):
    """Each tick brings a message whose record is off screen; the hex view scrolls to it
    before the tick's read, so that read covers it (no second read for the new rows)."""
    name = shm_name + "-f"
    with Channel.create(name, lanes=1, lane_size=4 << 20) as ch, ch.writer() as w:
        seg = CountingSegment.open(name, readonly=True)
        try:
            tab = open_tab(qtbot, seg, tmp_path)
            assert tab.follow.isChecked()
            tops = []
            CountingSegment.reset()
            for i in range(10):
                w.send({"n": i, "pad": bytes(8000)})  # each record starts rows off screen
                tab.tick()
                tops.append(tab.hex_view.first_visible_row())
            assert len(set(tops)) == 10  # the view did move to every new record
            # The overview's background scan reads the 4 MiB in chunks of its own,
            # at its own pace; every other read is the tick's one.
            assert sum(n != SCAN_CHUNK for n in CountingSegment.sizes) == 10
            offset, length = tab.channel.record_place(tab.messages.model.message_at(tab.messages.model.rowCount() - 1))
            start, shown = tab.hex_view.visible_span()
            assert start <= offset < start + shown  # the newest record is on screen
        finally:
            seg.close()
            from mmfviewer.segment import unlink_segment
            unlink_segment(name)
