"""The window under a real X server and window manager, driven by real input events."""

from __future__ import annotations

import subprocess
import sys
import uuid
from pathlib import Path

from mmfviewer.segment import Segment

from .conftest import ROOT, XServer, require_x_tools, wait_for


def test_a_double_click_on_a_segment_opens_exactly_one_tab(x_server, real_window, shm_names):
    # A name the list sorts first: a machine's /dev/shm may hold more segments than the
    # list shows, and a row scrolled out of sight cannot be clicked.
    shm_name = "aaa-" + uuid.uuid4().hex[:12]
    shm_names.append(shm_name)
    Segment.create(shm_name, 4096).close()
    window = real_window()
    window.wait(lambda s: shm_name in s["rows"], "the segment in the list")
    seen = []
    for _ in range(3):
        # Where the row is now: the first arrangement is fitted once the window manager
        # has sized the window, and may move the list after it looked still. A loaded
        # machine can also stretch xdotool's 80 ms between the clicks past the
        # double-click interval (two single clicks, which rightly open nothing).
        x, y = window.steady(lambda s: s["rows"].get(shm_name), "the list to stay where it is", reports=10)
        x_server.xdo("mousemove", str(x), str(y), "click", "--repeat", "2", "--delay", "80", "1")
        try:
            wait_for(lambda: window.state().get("tabs"), timeout=5, what="a tab")
            break
        except AssertionError:
            state = window.state()
            seen.append({"clicked": [x, y], "row": state.get("rows", {}).get(shm_name),
                         "frame": state.get("frame"), "focus": state.get("focus")})
    assert window.wait(lambda s: s["tabs"], f"a tab (missed double-clicks: {seen})")
    x_server.xdo("sleep", "0.5")  # a second tab would have come by now
    assert window.state()["tabs"] == [shm_name]
    x, y = window.steady(lambda s: s["rows"].get(shm_name), "the list to stay where it is")  # (tab opened)
    x_server.xdo("mousemove", str(x), str(y), "click", "--repeat", "2", "--delay", "80", "1")
    x_server.xdo("sleep", "0.5")
    assert window.state()["tabs"] == [shm_name]  # open already: its tab comes to the front
    assert "Traceback" not in window.close()


def test_ctrl_tab_changes_tab_and_tab_leaves_the_hex_view(x_server, real_window, shm_name, shm_names):
    shm_names.extend([shm_name + "-a", shm_name + "-b"])
    for name in shm_names:
        Segment.create(name, 4096).close()
    window = real_window(*shm_names)
    state = window.wait(lambda s: len(s["tabs"]) == 2 and s["focus"] == "HexView", "two tabs, the hex view focused")
    assert state["current"] == 1
    x_server.xdo("key", "ctrl+Tab")
    window.wait(lambda s: s["current"] == 0, "Ctrl+Tab to the other tab")
    x_server.xdo("key", "ctrl+Next")  # Ctrl+PgDn
    window.wait(lambda s: s["current"] == 1, "Ctrl+PgDn back")
    x_server.xdo("key", "ctrl+shift+Tab")
    window.wait(lambda s: s["current"] == 0, "Ctrl+Shift+Tab")
    window.wait(lambda s: s["focus"] == "HexView", "the hex view focused")
    x_server.xdo("key", "Tab")
    window.wait(lambda s: s["focus"] != "HexView", "Tab to leave the hex view")
    x_server.xdo("key", "alt+2")
    window.wait(lambda s: s["focus"] == "HexView", "Alt+2 back to the hex view")
    assert "Traceback" not in window.close()


def demo_frames(server: XServer, name: str, home: Path) -> list[tuple[int, int, int, int]]:
    """Run the demo on ``server`` as a user whose home is ``home``: the frames of its two
    windows once placed; then close both with Ctrl+Q, as a user does."""
    env = server.env(HOME=str(home), XDG_CONFIG_HOME=str(home / ".config"))
    demo = subprocess.Popen([sys.executable, "-m", "mmfviewer", "demo", name], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        ids = wait_for(lambda: (w := server.windows("window A") + server.windows("window B")) and len(w) == 2
                       and w, what="both demo windows")
        server.xdo("sleep", "1")  # the frames are fitted once the window manager framed them
        frames = sorted(server.frame(window_id) for window_id in ids)
        for window_id in ids:
            server.xdo("windowactivate", "--sync", window_id, "key", "ctrl+q")
        demo.wait(30)
        return frames
    finally:
        if demo.poll() is None:
            demo.kill()


def assert_side_by_side_on_screen(frames: list[tuple[int, int, int, int]], width: int, height: int) -> None:
    for x, y, w, h in frames:
        assert x >= 0 and y >= 0 and x + w <= width and y + h <= height, frames
    assert frames[0][0] + frames[0][2] <= frames[1][0] + 1, frames  # side by side, not on top


def test_the_demo_windows_are_on_screen_and_leave_the_users_settings_alone(x_server, real_window, shm_name, tmp_path):
    assert_side_by_side_on_screen(demo_frames(x_server, shm_name, tmp_path), *x_server.size)
    assert not (tmp_path / ".config" / "mmfviewer").exists()  # nothing of the demo's stays
    # ...so the next window opens as the user left it, with the segment list.
    window = real_window()
    assert window.state()["browser_dock"] and window.state()["inspector_dock"]
    assert "Traceback" not in window.close()


def test_the_demo_windows_fit_side_by_side_on_a_small_screen(shm_name, tmp_path):
    require_x_tools()
    server = XServer(1280, 800)
    try:
        assert_side_by_side_on_screen(demo_frames(server, shm_name, tmp_path), 1280, 800)
    finally:
        server.close()


def test_a_raw_segment_maximized_at_1920x1080_shows_at_least_40_rows_of_hex_and_text(
        x_server, real_window, shm_name):
    Segment.create(shm_name, 1 << 20).close()
    window = real_window(shm_name, MMFVIEWER_TEST_MAXIMIZED="1")
    window.wait(lambda s: s["hex_rows"] and s["frame"][2] > 1800, "the window maximized")
    state = window.steady(lambda s: (s["hex_rows"], s["bytes_per_row"], s["sideways"]),
                          "the default arrangement fitted to the size")
    rows, bytes_per_row, sideways = state
    assert rows >= 40, rows
    assert bytes_per_row >= 16 and sideways == 0  # hex and text, no scrolling sideways
    assert "Traceback" not in window.close()


def test_at_scale_2_a_maximized_raw_segment_still_shows_whole_rows_of_hex_and_text(x_server, real_window, shm_name):
    Segment.create(shm_name, 1 << 20).close()
    window = real_window(shm_name, MMFVIEWER_TEST_MAXIMIZED="1", QT_SCALE_FACTOR="2")
    window.wait(lambda s: s["hex_rows"] and s["frame"][2] > 900, "the window maximized")
    rows, bytes_per_row, sideways = window.steady(lambda s: (s["hex_rows"], s["bytes_per_row"], s["sideways"]),
                                                  "the default arrangement fitted to the size")
    assert rows >= 15 and bytes_per_row >= 8 and sideways == 0  # was 2-3 rows
    assert "Traceback" not in window.close()


def test_a_channel_maximized_at_1920x1080_leaves_the_bytes_at_least_half_the_height(x_server, real_window, shm_name):
    from mmfviewer.channel import Channel

    Channel.create(shm_name, lanes=1, lane_size=1 << 16).close()
    window = real_window(shm_name, MMFVIEWER_TEST_MAXIMIZED="1")
    window.wait(lambda s: s["hex_rows"] and s["frame"][2] > 1800, "the window maximized")
    share, sideways = window.steady(lambda s: (round(s["hex_height_share"], 3), s["sideways"]),
                                    "the default arrangement fitted to the size")
    assert share >= 0.5 and sideways == 0
    assert {"messages", "details", "compose"} <= set(window.state()["docks"])
    assert "Traceback" not in window.close()


def test_keys_alone_watch_and_plot_fields_a_c_writer_keeps_changing(x_server, real_window, shm_name, tmp_path):
    from mmfviewer.structure_overlays import OverlaySpec, OverlayStore

    from ..c_programs import STATE_HEADER, build_state_writer, running_writer

    program = build_state_writer(tmp_path)
    Segment.create(shm_name, 4096).close()
    # Applied in an earlier session: saved for the segment's name in the user's config.
    OverlayStore(tmp_path / ".config" / "mmfviewer" / "structures").save(
        shm_name, [OverlaySpec(STATE_HEADER.read_text(), "state.h", "state", 0, sequence="seq")])
    with running_writer(program, shm_name, "seqlock", hz=200):
        window = real_window(shm_name)
        window.wait(lambda s: s["structures"] == ["state @ 0x0"] and "structures" in s["docks"],
                    "the saved structure applied")
        # The first arrangement is fitted once the window manager has sized the window;
        # docks placed again lose the keyboard, so keys wait for it.
        window.steady(lambda s: (s["frame"], s["docks"], s["focus"]), "the window to settle")
        press_until(x_server, window, "alt+7", lambda s: s["focus"] == "QTreeView", "the structure tree focused")
        press_until(x_server, window, "Down", lambda s: s["field"] == "counter", "the tree's cursor on counter")
        x_server.xdo("key", "w")
        state = window.wait(lambda s: "counter" in s["watches"], "counter watched")
        assert "watches" in state["docks"]
        press_until(x_server, window, "alt+8", lambda s: s["focus"] == "QTableView", "the watch table focused")
        x_server.xdo("key", "space")
        state = window.wait(lambda s: s["plotted"] and "plot" in s["docks"], "counter plotted")
        first = int(state["watches"]["counter"])
        window.wait(lambda s: int(s["watches"]["counter"]) > first, "the watch following the writer")
    assert "Traceback" not in window.close()


def press_until(x_server, window, key: str, done, what: str, tries: int = 8):
    """Press ``key`` until the window's state says ``done`` (a key that arrives before
    the window manager has given the window the keyboard is pressed again)."""
    for _ in range(tries):
        x_server.xdo("key", key)
        try:
            return wait_for(lambda: (s := window.state()) and done(s) and s, timeout=2, what=what)
        except AssertionError:
            continue
    return window.wait(done, what)
