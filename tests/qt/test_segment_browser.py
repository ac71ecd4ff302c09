"""The segment browser: what `ls` knows, plus layouts; filter, sort, double-click."""

from __future__ import annotations

from multiprocessing import shared_memory

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from mmfviewer.channel import Channel
from mmfviewer.qt.segment_browser import COLUMNS, SegmentBrowser
from mmfviewer.qt.window_docks import SIDE_WIDTHS
from mmfviewer.segment import Segment, unlink_segment


def rows_by_name(browser):
    return {r.info.name: r for r in browser.model.rows}


def test_segments_appear_with_their_layouts_and_attached_processes(qtbot, shm_names):
    shm_names.extend([n + "-browse" for n in ("text", "chan", "raw")])
    with Segment.create(shm_names[0], 4096) as seg:
        seg.write(0, b"The world is going down.")
    Channel.create(shm_names[1], lanes=2, lane_size=4096).close()
    raw = Segment.create(shm_names[2], 4096)  # kept open: we are attached
    stdlib = shared_memory.SharedMemory(create=True, size=4096)
    try:
        browser = SegmentBrowser(interval_ms=100_000)
        qtbot.addWidget(browser)
        qtbot.waitUntil(lambda: browser.scan_count > 0, timeout=10_000)
        rows = rows_by_name(browser)
        assert rows[shm_names[0]].layout == "text"
        assert rows[shm_names[1]].layout == "channel"
        assert rows[shm_names[2]].layout == "raw"
        import os
        assert str(os.getpid()) in rows[shm_names[2]].text(COLUMNS.index("Attached"))
        assert stdlib.name in rows
    finally:
        raw.close()
        stdlib.close()
        stdlib.unlink()


def test_the_filter_narrows_the_list_and_double_click_asks_to_open(qtbot, shm_name):
    Segment.create(shm_name, 100).close()
    browser = SegmentBrowser(interval_ms=100_000)
    qtbot.addWidget(browser)
    qtbot.waitUntil(lambda: browser.scan_count > 0, timeout=10_000)
    browser.filter_edit.setText(shm_name[-6:])
    assert browser.proxy.rowCount() == 1
    index = browser.proxy.index(0, 0)
    asked: list[str] = []
    browser.openRequested.connect(asked.append)
    browser.show()
    qtbot.waitExposed(browser)
    centre = browser.view.visualRect(index).center()
    # As X11 delivers a double-click: press, release, then the double-click press, release.
    QTest.mouseClick(browser.view.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, centre)
    QTest.mouseDClick(browser.view.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, centre)
    qtbot.wait(50)
    assert asked == [shm_name]  # once: a double-click is also an activation
    QTest.keyClick(browser.view, Qt.Key.Key_Return)
    assert asked == [shm_name, shm_name]  # Enter opens too


def test_sorting_by_size_is_numeric(qtbot, shm_name, shm_names):
    shm_names.extend([f"{shm_name}-sort-{n}" for n in ("a", "b", "c")])
    for name, size in zip(shm_names, (9000, 100, 20000), strict=True):
        Segment.create(name, size).close()
    browser = SegmentBrowser(interval_ms=100_000)
    qtbot.addWidget(browser)
    qtbot.waitUntil(lambda: browser.scan_count > 0, timeout=10_000)
    browser.filter_edit.setText(f"{shm_name}-sort-")
    browser.view.sortByColumn(COLUMNS.index("Size"), Qt.AscendingOrder)
    names = [browser.proxy.index(i, 0).data() for i in range(browser.proxy.rowCount())]
    assert names == [f"{shm_name}-sort-{n}" for n in ("b", "a", "c")]


def test_a_new_segment_shows_up_on_the_next_scan(qtbot, shm_name):
    browser = SegmentBrowser(interval_ms=100_000)
    qtbot.addWidget(browser)
    qtbot.waitUntil(lambda: browser.scan_count > 0, timeout=10_000)
    assert shm_name not in rows_by_name(browser)
    Segment.create(shm_name, 64).close()
    browser.refresh()
    qtbot.waitUntil(lambda: shm_name in rows_by_name(browser), timeout=10_000)


def test_a_scan_still_running_when_the_browser_is_deleted_ends_quietly(qtbot, monkeypatch):
    import threading

    import shiboken6

    from mmfviewer.qt import segment_browser

    errors: list[BaseException] = []
    monkeypatch.setattr(threading, "excepthook", lambda args: errors.append(args.exc_value))
    release = threading.Event()
    real_scan = segment_browser.scan_rows

    def slow_scan(cache):
        release.wait(10)
        return real_scan(cache)

    monkeypatch.setattr(segment_browser, "scan_rows", slow_scan)
    before = set(threading.enumerate())  # scans of earlier tests may still be running
    browser = SegmentBrowser(interval_ms=60_000)
    [worker] = [t for t in threading.enumerate() if t.name == "segment-scan" and t not in before]
    shiboken6.delete(browser)  # the widget goes while its scan runs
    release.set()
    worker.join(10)
    qtbot.wait(50)  # let a queued delivery, if any, be processed
    assert errors == []


def test_a_long_name_leaves_size_layout_and_attached_in_view(qtbot, shm_names):
    long_name = "mmfv-test-" + "very-long-name-" * 12
    shm_names.append(long_name)
    Segment.create(long_name, 4096).close()
    browser = SegmentBrowser(interval_ms=100_000)
    qtbot.addWidget(browser)
    browser.resize(SIDE_WIDTHS["segments"], 400)  # the dock's default width
    browser.show()
    qtbot.waitUntil(lambda: browser.scan_count > 0, timeout=10_000)
    browser.filter_edit.setText(long_name)  # columns fit their contents: only this row's
    header = browser.view.horizontalHeader()
    assert [COLUMNS[header.logicalIndex(i)] for i in range(4)] == ["Name", "Size", "Layout", "Attached"]
    assert header.sectionSize(0) < 200  # the name is cut in the middle, not the row pushed away
    width = browser.view.viewport().width()
    for column in ("Size", "Layout"):
        index = COLUMNS.index(column)
        assert header.sectionViewportPosition(index) + header.sectionSize(index) <= width, column
    attached = header.sectionViewportPosition(COLUMNS.index("Attached"))
    assert attached + header.fontMetrics().horizontalAdvance("Attached") <= width  # its start, at least


def test_a_double_click_survives_a_scan_that_finds_segments_come_and_go(qtbot, shm_name, shm_names):
    stay = f"{shm_name}-stay-"  # a run of its own: another run on the machine has other names
    shm_names.extend([stay + n for n in ("a", "b", "gone")])
    for name in shm_names:
        Segment.create(name, 4096).close()
    browser = SegmentBrowser(interval_ms=100_000)
    qtbot.addWidget(browser)
    qtbot.waitUntil(lambda: browser.scan_count > 0, timeout=10_000)
    browser.filter_edit.setText(stay)
    browser.show()
    qtbot.waitExposed(browser)
    asked: list[str] = []
    browser.openRequested.connect(asked.append)
    index = next(browser.proxy.index(i, 0) for i in range(browser.proxy.rowCount())
                 if browser.proxy.index(i, 0).data() == stay + "b")
    centre = browser.view.visualRect(index).center()
    QTest.mouseClick(browser.view.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, centre)
    # Between the two clicks a scan sees one segment go and another come, both sorted
    # after the clicked one: the click's row is still there, so is the double-click.
    unlink_segment(shm_names[2])
    Segment.create(stay + "c", 4096).close()
    shm_names.append(stay + "c")
    scans = browser.scan_count
    browser.refresh()
    qtbot.waitUntil(lambda: browser.scan_count > scans, timeout=10_000)
    assert browser.view.selectionModel().isSelected(index)  # the selection stayed on its segment
    QTest.mouseDClick(browser.view.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, centre)
    qtbot.wait(50)
    assert asked == [stay + "b"]
