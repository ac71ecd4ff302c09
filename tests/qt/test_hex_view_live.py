"""The hex view over a segment another process writes: changes light up and fade, a tick
repaints only what changed, and what is painted matches the bytes."""

from __future__ import annotations

import time

import pytest

pytest.importorskip("PySide6.QtWidgets")

from PySide6.QtCore import QPoint, Qt  # noqa: E402
from PySide6.QtGui import QColor, QPalette  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from mmfviewer.qt.overview_strip import STRIP_WIDTH, OverviewStrip  # noqa: E402

from ..conftest import other_process_writes  # noqa: E402
from .hex_view_helpers import PaintCounter, PaintedRows, cell_background, grab_both, make_view, row_image  # noqa: E402


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


def test_the_overview_strip_draws_marks_where_changes_are_and_hatches_what_the_scan_has_not_seen(qtbot):
    height = 200
    marked = set(range(20, 24)) | set(range(150, 152))  # two places that changed, far apart

    def heat(buckets: int, now: float) -> list[float]:
        return [1.0 if y in marked else 0.0 for y in range(buckets)]

    def coverage(buckets: int) -> tuple[list[bool], float | None]:
        return [y >= 180 for y in range(buckets)], 0.9  # the scan has not reached the end yet

    strip = OverviewStrip(heat, lambda: (0.45, 0.55), lambda fraction: None, coverage=coverage)
    qtbot.addWidget(strip)
    strip.resize(STRIP_WIDTH, height)
    image = strip.grab().toImage()
    middle = STRIP_WIDTH // 2

    def warm(y: int) -> bool:
        color = image.pixelColor(middle, y)
        return color.red() > color.blue() + 60

    assert [y for y in range(height) if warm(y)] == sorted(marked)  # marks where writes landed, nowhere else
    hatch_colours = {image.pixelColor(x, y).rgb() for x in range(2, STRIP_WIDTH - 1) for y in range(182, 198)}
    plain_colours = {image.pixelColor(x, y).rgb() for x in range(2, STRIP_WIDTH - 1) for y in range(60, 76)}
    assert len(hatch_colours) > 1 and len(plain_colours) == 1  # hatched where the scan has not looked
