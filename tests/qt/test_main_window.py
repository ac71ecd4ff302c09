"""The main window as a user drives it, and everything other processes may do to a
segment while it is on screen. Headless (offscreen), real segments, real processes."""

from __future__ import annotations

import multiprocessing
import os
import subprocess
import sys
import time

import pytest
from PySide6.QtCore import QSettings

from mmfviewer.qt.main_window import MainWindow
from mmfviewer.segment import Segment
from mmfviewer.segment_os import SHM_DIR

from ..conftest import UNPRIVILEGED, needs_dev_shm, needs_unprivileged, run_python

spawn = multiprocessing.get_context("spawn")
SEED_TEXT = b"The world is going down."


@pytest.fixture
def window(open_window):
    return open_window(1100, 700)


def _keep_writing(name: str, stop) -> None:
    with Segment.open(name, readonly=False) as seg:
        i = 0
        while not stop.is_set():
            seg.write(64 + (i % 64), bytes([i % 251]))
            i += 1
            time.sleep(0.001)


def _writer_process(name: str):
    stop = spawn.Event()
    proc = spawn.Process(target=_keep_writing, args=(name, stop))
    proc.start()
    return proc, stop


# ---------------------------------------------------------------- opening

def test_opening_segments_makes_tabs_and_fills_the_status_bar(window, shm_name, shm_names):
    shm_names.extend([shm_name + "-a", shm_name + "-b"])
    for name in shm_names:
        with Segment.create(name, 4096) as seg:
            seg.write(0, SEED_TEXT)
    tab_a = window.open_name(shm_names[0])
    window.open_name(shm_names[1])
    assert window.tabs.count() == 2 and window.current_tab().title == shm_names[1]
    window.tabs.setCurrentIndex(0)
    labels = window.status.labels
    assert labels["name"].text() == shm_names[0]
    assert "4096 bytes" in labels["size"].text()
    assert labels["mode"].text() == "read-only"
    assert labels["layout"].text() == "layout: text"
    assert tab_a.hex_view.read_cached(0, len(SEED_TEXT)) == SEED_TEXT
    window.close_current()
    assert window.tabs.count() == 1
    assert os.path.exists(os.path.join(SHM_DIR, shm_names[0]))  # closing never removes


def test_a_name_that_does_not_exist_is_a_message_not_a_crash(window, shm_name):
    assert window.open_name(shm_name) is None
    assert window.tabs.count() == 0
    assert "Cannot open" in window.statusBar().currentMessage()
    assert shm_name in window.welcome.text()


def test_recent_segments_are_remembered(window, shm_name):
    Segment.create(shm_name, 64).close()
    window.open_name(shm_name)
    assert window.commands.recent()[0] == f"name:{shm_name}"
    window.close_current()
    window.commands.recent_menu.aboutToShow.emit()  # as opening the menu does
    action = next(a for a in window.commands.recent_menu.actions() if a.text() == shm_name)
    action.trigger()
    assert window.current_tab().title == shm_name


def test_goto_and_find_move_the_cursor(window, shm_name, qtbot):
    with Segment.create(shm_name, 8192) as seg:
        seg.write(5000, b"needle")
    tab = window.open_name(shm_name)
    assert window.goto("0x100")
    assert tab.hex_view.cursor_offset() == 0x100
    assert not window.goto("nonsense")
    assert "offset" in window.statusBar().currentMessage()
    window.show_find_bar()
    window.find_bar.pattern.setText("needle")
    assert window.find_next(forward=True) == 5000
    window.find_bar.kind.setCurrentText("Hex")
    window.find_bar.pattern.setText("6e 65 65")
    tab.hex_view.goto(0)
    assert window.find_next(forward=True) == 5000
    window.find_bar.pattern.setText("zz")
    assert window.find_next(forward=True) is None  # bad hex: a message, no crash


def test_the_inspector_follows_the_cursor(window, shm_name):
    with Segment.create(shm_name, 4096) as seg:
        seg.write(16, (513).to_bytes(2, "little"))
    tab = window.open_name(shm_name)
    tab.hex_view.goto(16)
    texts = [window.inspector.text_at(r, 1) for r in range(window.inspector.model.rowCount())]
    assert "513" in texts


def test_pause_and_refresh_interval_apply_to_the_tab(window, shm_name):
    Segment.create(shm_name, 64).close()
    tab = window.open_name(shm_name)
    window.set_refresh_ms(250)
    assert tab.refresh_ms == 250
    window.toggle_pause()
    assert tab.paused and window.status.labels["refresh"].text() == "paused"
    window.toggle_pause()
    assert not tab.paused


# ---------------------------------------------------------------- live

def test_bytes_another_process_writes_light_up_within_two_ticks(window, shm_name, qtbot):
    Segment.create(shm_name, 4096).close()
    tab = window.open_name(shm_name)
    proc, stop = _writer_process(shm_name)
    try:
        def lit() -> bool:
            ages = tab.hex_view.tracker.ages(64, 64, time.monotonic())
            return any(a is not None for a in ages)
        qtbot.waitUntil(lit, timeout=5000)
        ticks_before = tab.tick_count
        qtbot.waitUntil(lambda: tab.tick_count >= ticks_before + 2, timeout=5000)
        assert lit()
        assert tab.hex_view.tracker.ages(1024, 16, time.monotonic()) == [None] * 16
    finally:
        stop.set()
        proc.join(30)


@needs_dev_shm
@pytest.mark.parametrize("size_after, banner", [(0, "empty"), (100, "truncated"), (1 << 16, "grew")])
def test_truncation_or_growth_by_another_process_shows_a_banner_and_the_view_lives(
        window, shm_name, qtbot, size_after, banner):
    with Segment.create(shm_name, 4096) as seg:
        seg.write(0, SEED_TEXT)
    tab = window.open_name(shm_name)
    tab.hex_view.goto(4000)
    subprocess.run([sys.executable, "-c", f"import os; os.truncate({os.path.join(SHM_DIR, shm_name)!r}, {size_after})"],
                   check=True)
    qtbot.waitUntil(lambda: tab.banner.isVisible() and banner in tab.banner.text(), timeout=5000)
    qtbot.waitUntil(lambda: tab.tick_count > 3, timeout=5000)
    assert tab.hex_view.cursor_offset() <= max(size_after - 1, 0) or size_after > 4000
    assert str(size_after) in window.status.labels["size"].text()


def test_removal_by_another_process_is_said_and_the_old_bytes_stay_visible(window, shm_name, qtbot):
    with Segment.create(shm_name, 4096) as seg:
        seg.write(0, SEED_TEXT)
    tab = window.open_name(shm_name)
    subprocess.run([sys.executable, "-m", "mmfviewer", "rm", shm_name], check=True, capture_output=True)
    qtbot.waitUntil(lambda: "removed" in tab.banner.text(), timeout=5000)
    assert tab.hex_view.read_cached(0, len(SEED_TEXT)) == SEED_TEXT
    assert "⚠" in window.tabs.tabText(0)


@needs_dev_shm
def test_a_zero_byte_segment_opens(window, shm_name):
    Segment.create(shm_name, 16).close()
    os.truncate(os.path.join(SHM_DIR, shm_name), 0)
    tab = window.open_name(shm_name)
    tab.tick()
    assert tab.hex_view.cursor_offset() == 0 and "empty" in tab.banner.text()


def test_a_segment_written_continuously_while_we_scroll_and_close_does_not_crash(window, shm_name, qtbot):
    Segment.create(shm_name, 1 << 20).close()
    tab = window.open_name(shm_name, readonly=True)
    proc, stop = _writer_process(shm_name)
    try:
        for offset in (0, 1 << 19, (1 << 20) - 1, 0):
            tab.hex_view.goto(offset)
            qtbot.wait(60)
        window.close_current()
        assert window.tabs.count() == 0
    finally:
        stop.set()
        proc.join(30)


# ---------------------------------------------------------------- the command

def run_gui(*args: str, prefix: list[str] | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "HOME": os.environ.get("HOME", "/tmp")}
    return subprocess.run([*(prefix or []), sys.executable, "-m", "mmfviewer", *args],
                          capture_output=True, text=True, timeout=120, env=env)


def test_gui_screenshot_renders_the_window_to_a_png(shm_name, tmp_path):
    with Segment.create(shm_name, 4096) as seg:
        seg.write(0, SEED_TEXT)
    shot = tmp_path / "shot.png"
    proc = run_gui("gui", shm_name, "--screenshot", str(shot))
    assert proc.returncode == 0, proc.stderr
    from PySide6.QtGui import QImage
    image = QImage(str(shot))
    assert image.width() > 600 and image.height() > 400


def test_gui_with_a_missing_name_still_opens_and_says_why(shm_name, tmp_path):
    shot = tmp_path / "shot.png"
    proc = run_gui("gui", shm_name, "--screenshot", str(shot))
    assert proc.returncode == 0 and shot.exists(), proc.stderr
    assert "Traceback" not in proc.stderr


@needs_unprivileged
def test_gui_with_a_segment_we_may_not_read_still_opens(shm_name, tmp_path):
    Segment.create(shm_name, 64, mode=0).close()
    shot = tmp_path / "shot.png"
    proc = run_gui("gui", shm_name, "--screenshot", str(shot), prefix=UNPRIVILEGED)
    assert proc.returncode == 0 and shot.exists(), proc.stderr
    assert "Traceback" not in proc.stderr


def test_gui_without_a_display_is_a_clear_error():
    env = {k: v for k, v in os.environ.items() if k not in ("QT_QPA_PLATFORM", "DISPLAY", "WAYLAND_DISPLAY")}
    proc = subprocess.run([sys.executable, "-m", "mmfviewer"], capture_output=True, text=True,
                          timeout=60, env=env)
    assert proc.returncode == 1 and "no display" in proc.stderr and "Traceback" not in proc.stderr


def test_keyboard_shortcuts_are_wired(window):
    shortcuts = {a.text().replace("&", ""): a.shortcut().toString() for a in window.actions()}
    assert shortcuts["Open mapping…"] == "Ctrl+O"
    assert shortcuts["Close"] == "Ctrl+W"
    assert shortcuts["Quit"] == "Ctrl+Q"
    assert shortcuts["Go to offset…"] == "Ctrl+G"
    assert shortcuts["Find…"] == "Ctrl+F"
    assert shortcuts["Find next"] == "F3"
    assert shortcuts["Zoom in"] == "Ctrl++"


def test_opening_an_open_segment_brings_its_tab_to_the_front(window, shm_name, shm_names):
    shm_names.extend([shm_name + "-a", shm_name + "-b"])
    for name in shm_names[:2]:
        Segment.create(name, 4096).close()
    first = window.open_name(shm_names[0])
    window.open_name(shm_names[1])
    assert window.open_name(shm_names[0]) is first
    assert window.tabs.count() == 2 and window.current_tab() is first
    assert "open already" in window.statusBar().currentMessage()
    assert not first.segment.closed  # the second handle was closed, not the tab's


def test_a_segment_removed_and_made_again_opens_in_a_tab_of_its_own(window, shm_name):
    Segment.create(shm_name, 4096).close()
    old = window.open_name(shm_name)
    os.unlink(os.path.join(SHM_DIR, shm_name))
    Segment.create(shm_name, 4096).close()
    assert window.open_name(shm_name) is not old and window.tabs.count() == 2


def test_read_write_replaces_read_only_in_place_keeping_the_cursor_and_scroll(window, shm_name, shm_names):
    shm_names.extend([shm_name + "-a", shm_name + "-b"])
    for name in shm_names[:2]:
        Segment.create(name, 1 << 20).close()
    window.resize(1200, 800)
    window.show()
    first = window.open_name(shm_names[0])
    window.open_name(shm_names[1])
    window.tabs.setCurrentWidget(first)
    first.hex_view.goto(0x8_0010)
    first.hex_view.set_cursor(0x8_0040, select=True)
    top = first.hex_view.first_visible_row()
    assert not first.title.startswith("✎")
    tab = window.open_name(shm_names[0], readonly=False)  # as the Open dialog does
    assert not tab.segment.readonly and window.tabs.count() == 2
    assert window.tabs.indexOf(tab) == 0 and tab.title.startswith("✎")
    assert tab.hex_view.first_visible_row() == top
    assert tab.hex_view.cursor_offset() == 0x8_0040
    assert tab.hex_view.selection() == (0x8_0010, 0x31)
    window.tabs.setCurrentIndex(1)
    window.tabs.setCurrentIndex(0)
    back = window.reopen_read_write()  # read-write already: the same tab
    assert back is tab


def test_going_past_the_end_says_so(window, shm_name):
    Segment.create(shm_name, 4096).close()
    tab = window.open_name(shm_name)
    assert not window.goto("0x2000")
    assert "past the end" in window.statusBar().currentMessage()
    assert tab.hex_view.cursor_offset() == 4095


def test_a_match_found_near_the_bottom_is_brought_to_the_middle(window, shm_name):
    from PySide6.QtWidgets import QApplication

    with Segment.create(shm_name, 1 << 20) as seg:
        seg.write(0x8_0008, b"needle" * 3)  # 18 bytes: two rows
    tab = window.open_name(shm_name)
    view = tab.hex_view
    view.bytes_per_row = 16
    window.show_find_bar()
    QApplication.processEvents()  # the find bar takes its room from the hex view
    full = view.scroller.full_rows()
    view.scroller.set_first_row(0x8_0000 // 16 - full + 1)  # the match starts on the last row
    window.find_bar.pattern.setText("needle" * 3)
    assert window.find_next(forward=True) == 0x8_0008
    first, last = 0x8_0008 // 16, (0x8_0008 + 17) // 16
    assert full >= 4, "the window shows too few rows for this test"
    top = view.first_visible_row()
    assert top < first and last < top + full  # all of it, not cut off
    assert abs((first - top) - (top + full - 1 - last)) <= 1  # centred


def test_closing_the_last_tab_empties_the_inspector(window, shm_name):
    with Segment.create(shm_name, 4096) as seg:
        seg.write(0, b"ABCD")
    window.open_name(shm_name)
    assert "0x0" in window.inspector.offset_label.text()
    window.close_current()
    assert window.inspector.offset_label.text() == "Cursor: none"
    assert "ABCD" not in "".join(window.inspector.text_at(r, 1) for r in range(window.inspector.model.rowCount()))


def test_ctrl_c_copies_what_the_cursors_column_shows(window, shm_name, qtbot):
    from PySide6.QtWidgets import QApplication

    with Segment.create(shm_name, 4096) as seg:
        seg.write(0, "héllo\x01".encode())
    tab = window.open_name(shm_name)
    tab.hex_view.set_selection(0, 7)
    window.commands.copy[None].trigger()
    assert QApplication.clipboard().text() == "68 C3 A9 6C 6C 6F 01"
    tab.hex_view.toggle_column()
    tab.hex_view.set_selection(0, 7)
    window.commands.copy[None].trigger()
    assert QApplication.clipboard().text() == "héllo."


def test_the_empty_page_takes_its_colours_from_the_palette(window):
    assert "color" not in window.welcome.styleSheet()
    window.browser_dock.hide()
    assert "Alt+1" in window.welcome.text()  # the list it points to is hidden


def test_the_docks_are_arranged_for_the_kind_in_front_and_remembered(window, shm_name, shm_names):
    from mmfviewer.channel import Channel

    shm_names.extend([shm_name + "-raw", shm_name + "-ch"])
    Segment.create(shm_names[0], 4096).close()
    Channel.create(shm_names[1], lanes=1, lane_size=4096).close()
    docks = window.docks.docks
    raw = window.open_name(shm_names[0])
    assert window.centralWidget().isAncestorOf(raw.hex_view)  # the bytes in the middle
    assert not docks["messages"].isVisible() and not docks["compose"].isVisible()  # room for the bytes
    channel = window.open_name(shm_names[1])
    assert docks["messages"].isVisible() and docks["details"].isVisible()
    assert window.docks.stacks["messages"].currentWidget() is channel.messages
    assert channel.hex_view.height() >= 0.45 * window.centralWidget().height()
    docks["details"].hide()  # the user's choice for channels...
    window.tabs.setCurrentWidget(raw)
    assert not docks["messages"].isVisible()
    window.tabs.setCurrentWidget(channel)
    assert docks["messages"].isVisible() and not docks["details"].isVisible()  # ...remembered
    window.commands.reset_layout.trigger()
    assert docks["details"].isVisible()  # the default again


def test_the_segment_lists_column_widths_are_remembered(qtbot, tmp_path):
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.IniFormat)
    first = MainWindow(refresh_ms=5000, settings=settings)
    qtbot.addWidget(first)
    first.browser.view.horizontalHeader().resizeSection(0, 123)
    first.close()
    again = MainWindow(refresh_ms=5000, settings=settings)
    qtbot.addWidget(again)
    assert again.browser.view.horizontalHeader().sectionSize(0) == 123
    again.close()


def test_a_small_window_gets_the_compact_arrangement(window, shm_name):
    from mmfviewer.channel import Channel

    Channel.create(shm_name, lanes=1, lane_size=4096).close()
    window.resize(1024, 700)
    window.docks.reset()
    window.open_name(shm_name)
    docks = window.docks.docks
    assert not docks["inspector"].isVisible()  # Alt+6 brings it
    assert docks["compose"] in window.tabifiedDockWidgets(docks["details"])
    assert docks["messages"].isVisible()


@pytest.mark.parametrize("width", [512, 640, 960, 1280])
def test_the_demos_half_screen_window_shows_whole_rows_of_bytes_and_a_usable_compose_panel(
        qtbot, open_window, shm_name, width):
    from mmfviewer.channel import Channel
    from mmfviewer.qt.window_docks import COMPOSE_MIN_WIDTH

    Channel.create(shm_name, lanes=1, lane_size=4096).close()
    window = open_window(width, 760)
    tab = window.open_name(shm_name, readonly=False)
    window.docks.place_for_half_a_screen()
    docks = window.docks.docks
    qtbot.wait(200)  # the docks settle; Auto bytes per row fits the width left
    assert tab.hex_view.auto_bytes_per_row and tab.hex_view.bytes_per_row >= 8
    assert tab.hex_view.horizontalScrollBar().maximum() == 0  # offsets, hex and text: no scrolling sideways
    assert docks["messages"].isVisible() and docks["compose"].isVisible() or (
        docks["compose"] in window.tabifiedDockWidgets(docks["messages"]))
    if docks["compose"] not in window.tabifiedDockWidgets(docks["messages"]):
        assert docks["compose"].width() >= COMPOSE_MIN_WIDTH - 20  # beside the bytes, wide enough for the form


def test_garbage_in_the_settings_file_is_ignored_not_fatal(qtbot, tmp_path, shm_name):
    path = tmp_path / "settings.ini"
    path.write_text("[General]\ngeometry=garbage\nhistory=0\nzoom=abc\nbytes_per_row=banana\nrefresh_ms=-5\n"
                    "recent=1, 2\nsegment_list%2Fheader=nonsense\n[docks]\nnone=x\nraw=7\nchannel=\n")
    settings = QSettings(str(path), QSettings.IniFormat)
    Segment.create(shm_name, 4096).close()
    win = MainWindow(settings=settings)
    qtbot.addWidget(win)
    tab = win.open_name(shm_name)
    assert tab is not None and win.history >= 1
    tab.tick()
    win.close()


def test_a_segment_name_in_an_error_is_shown_as_text_not_markup(window):
    window.open_name("<b>bold</b><img src=x>")
    assert "&lt;b&gt;bold" in window.welcome.text()
    assert "<img" not in window.welcome.text()


def test_a_window_closed_and_deleted_right_after_it_is_shown_leaves_no_late_callback(qtbot, tmp_path):
    import shiboken6

    from mmfviewer.qt.main_window import WM_SETTLE_MS

    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.IniFormat)
    win = MainWindow(refresh_ms=50, settings=settings)
    win.show()
    win.close()
    shiboken6.delete(win)  # gone before the window manager's settling time is over
    qtbot.wait(WM_SETTLE_MS + 200)  # pytest-qt fails the test on an exception in the event loop


def test_the_application_icon_draws_as_a_picture(qapp):
    from PySide6.QtGui import QIcon

    from mmfviewer.desktop_entry import icon_path

    icon = QIcon(str(icon_path()))  # what the window and the menu entry show
    image = icon.pixmap(64, 64).toImage()
    assert not icon.isNull() and image.width() == 64
    colours = {image.pixelColor(x, y).rgba() for x in range(0, 64, 2) for y in range(0, 64, 2)}
    assert len(colours) > 3  # drawn, not an empty square


def test_opening_a_segment_does_not_load_the_plotting_libraries(shm_name):
    # pyqtgraph and numpy take ~40 MiB and a plot ~45 ms to build; they wait for a plot.
    Segment.create(shm_name, 4096).close()
    code = f"""
import sys
from PySide6.QtWidgets import QApplication
from mmfviewer.qt.main_window import MainWindow
app = QApplication([])
window = MainWindow()
tab = window.open_name({shm_name!r})
tab.tick()
print(sorted(m for m in ("pyqtgraph", "numpy") if m in sys.modules))
"""
    out = run_python("-c", code).stdout
    assert out.strip() == "[]", out


def test_the_tick_time_is_shown_once_a_second_not_repainted_every_tick(window, shm_name):
    Segment.create(shm_name, 4096).close()
    tab = window.open_name(shm_name)
    status = window.status
    status._tick_shown = -1e9  # a second has passed
    tab.tick_seconds = 0.001
    status.ticked(tab)
    shown = status.labels["refresh"].text()
    assert "tick 1.0 ms" in shown
    for ms in (2, 3, 4):  # ticks within the same second
        tab.tick_seconds = ms / 1000
        status.ticked(tab)
    assert status.labels["refresh"].text() == shown
