"""Two processes talking through one mapping, seen from the window: what is composed
here is received elsewhere, what is sent elsewhere appears here, bytes light up."""

from __future__ import annotations

import json
import subprocess
import sys
import time

import msgpack
import pytest
from PySide6.QtCore import QSettings
from PySide6.QtGui import QImage

from mmfviewer.channel import Channel
from mmfviewer.codec import Layout
from mmfviewer.qt.main_window import MainWindow
from mmfviewer.segment import Segment


@pytest.fixture
def window(open_window):
    return open_window(1400, 900)


def cli(*args: str, **kwargs) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "mmfviewer", *args], capture_output=True, text=True,
                          timeout=60, check=True, **kwargs)


def test_a_message_composed_in_the_window_reaches_a_listener_in_another_process(window, shm_name, qtbot):
    Channel.create(shm_name, lanes=4, lane_size=1 << 16).close()
    tab = window.open_name(shm_name, readonly=False)
    listener = subprocess.Popen([sys.executable, "-m", "mmfviewer", "listen", shm_name, "--json",
                                 "--count", "1", "--timeout", "30"], stdout=subprocess.PIPE, text=True)
    qtbot.waitUntil(lambda: any(a.pid == listener.pid for a in _attached(shm_name)), timeout=20_000)
    time.sleep(0.3)  # mapped is not yet reading: give it a moment to take its start position
    tab.compose.set_form("message")
    tab.compose.title_edit.setText("Hello")
    tab.compose.content_edit.setPlainText("The world is going down.")
    assert tab.compose.send()
    out, _ = listener.communicate(timeout=60)
    assert json.loads(out)["value"] == {"title": "Hello", "content": "The world is going down."}
    # ...and our own pane shows it too, with its record lit up in the hex view
    qtbot.waitUntil(lambda: tab.messages.model.rowCount() == 1, timeout=5000)


def _attached(name: str):
    from mmfviewer.discovery import segment_info
    return segment_info(name).attached


def test_a_message_sent_by_another_process_appears_and_selecting_it_highlights_its_bytes(
        window, shm_name, qtbot):
    Channel.create(shm_name, lanes=4, lane_size=1 << 16).close()
    tab = window.open_name(shm_name)
    cli("send", shm_name, "--title", "From", "--content", "elsewhere")
    qtbot.waitUntil(lambda: tab.messages.model.rowCount() == 1, timeout=5000)
    message = tab.messages.model.message_at(0)
    assert message.value == {"title": "From", "content": "elsewhere"}
    with qtbot.waitSignal(tab.messages.highlightRequested, timeout=2000) as signal:
        tab.messages.select_row(0)
    offset, length = signal.args
    assert tab.hex_view.read_cached(offset + 32, len(message.payload)) == message.payload
    # the bytes of a new message light up in the hex view while it shows them
    tab.hex_view.goto(offset)
    cli("send", shm_name, "--text", "second")
    qtbot.waitUntil(lambda: tab.messages.model.rowCount() == 2, timeout=5000)
    span = Channel.attach(tab.segment, own=False).record_span(tab.messages.model.message_at(1))
    now = time.monotonic()
    assert any(a is not None for a in tab.hex_view.tracker.ages(span[0], span[1], now))


def test_a_mailbox_segment_shows_the_current_value_and_the_compose_panel_overwrites_it(
        window, shm_name, qtbot):
    with Segment.create(shm_name, 4096) as seg:
        seg.write(0, msgpack.packb({"title": "A", "content": "B"}))
    tab = window.open_name(shm_name, readonly=False)
    assert tab.kind == Layout.MAILBOX
    assert tab.compose.form == "message"
    tab.compose.title_edit.setText("Seed 1")
    tab.compose.content_edit.setPlainText("with msgpack, not BinaryFormatter")
    assert tab.compose.send()
    with Segment.open(shm_name) as seg:
        unpacker = msgpack.Unpacker(raw=False)
        unpacker.feed(seg.read(0, 4096))
        assert unpacker.unpack() == {"title": "Seed 1", "content": "with msgpack, not BinaryFormatter"}
    qtbot.waitUntil(lambda: "Seed 1" in _seed_shown(tab), timeout=5000)


def _seed_shown(tab) -> str:
    tree = tab.messages.value_tree
    texts: list[str] = []

    def walk(item) -> None:
        texts.extend(item.text(c) for c in range(item.columnCount()))
        for i in range(item.childCount()):
            walk(item.child(i))
    for i in range(tree.topLevelItemCount()):
        walk(tree.topLevelItem(i))
    return " ".join(texts)


def test_an_empty_segment_that_another_process_fills_with_text_becomes_a_text_tab(window, shm_name, qtbot):
    Segment.create(shm_name, 10000).close()
    tab = window.open_name(shm_name)
    assert tab.kind == Layout.RAW
    cli("send", shm_name, "--text", "The world is going down.")
    qtbot.waitUntil(lambda: "The world is going down." in tab.messages.value_text.toPlainText(), timeout=5000)
    assert tab.kind == Layout.TEXT and window.status.labels["layout"].text() == "layout: text"


def test_a_read_only_tab_says_why_it_cannot_send(window, shm_name):
    Channel.create(shm_name, lanes=2, lane_size=4096).close()
    tab = window.open_name(shm_name)  # read-only by default
    assert not tab.compose.send_button.isEnabled()
    assert "read-only" in tab.compose.disabled_reason.lower()


def test_a_corrupt_record_is_counted_not_shown_and_the_window_goes_on(window, shm_name, qtbot):
    from mmfviewer import wire
    with Channel.create(shm_name, lanes=1, lane_size=4096) as ch, ch.writer() as w:
        w.send("good")
        w.send("bad")
        ring = wire.lane_offset(0, ch.capacity) + wire.LANE_HEADER_SIZE
        ch.segment.buf[ring + wire.record_size(5) + 33] ^= 0xFF  # damage the second payload
        tab = window.open_name(shm_name)
        qtbot.waitUntil(lambda: tab.messages.model.rowCount() == 1, timeout=5000)
        assert "corrupt 1" in tab.messages.counters.text()
        w.send("after")
        qtbot.waitUntil(lambda: tab.messages.model.rowCount() == 2, timeout=5000)
        assert [tab.messages.model.message_at(i).value for i in range(2)] == ["good", "after"]


def test_closing_a_tab_gives_its_lane_back(window, shm_name, qtbot):
    with Channel.create(shm_name, lanes=1, lane_size=4096) as ch:
        tab = window.open_name(shm_name, readonly=False)
        tab.compose.set_form("text")
        tab.compose.text_edit.setPlainText("hi")
        assert tab.compose.send()
        assert ch.lane_is_claimed(0)
        window.close_current()
        assert not ch.lane_is_claimed(0)


def test_reopening_read_write_lets_a_read_only_tab_send(window, shm_name):
    Channel.create(shm_name, lanes=2, lane_size=4096).close()
    window.open_name(shm_name)
    assert window.commands.reopen_read_write.isEnabled()
    tab = window.reopen_read_write()
    assert not tab.segment.readonly and window.tabs.count() == 1
    tab.compose.set_form("text")
    tab.compose.text_edit.setPlainText("now I can")
    assert tab.compose.send()


def test_messages_from_several_lanes_are_listed_in_time_order(window, shm_name, qtbot):
    with Channel.create(shm_name, lanes=2, lane_size=4096) as ch, ch.writer("a") as a, ch.writer("b") as b:
        for i in range(10):
            (a if i % 2 else b).send(i)
        tab = window.open_name(shm_name)
        qtbot.waitUntil(lambda: tab.messages.model.rowCount() == 10, timeout=5000)
        rows = [tab.messages.model.message_at(i) for i in range(10)]
        assert [m.value for m in rows] == list(range(10))
        assert {m.lane for m in rows} == {0, 1}


def test_new_messages_are_shown_in_the_hex_view_and_their_bytes_light_up(window, shm_name, qtbot):
    Channel.create(shm_name, lanes=2, lane_size=1 << 16).close()
    tab = window.open_name(shm_name)
    assert tab.follow.isChecked() and tab.follow.isVisibleTo(tab)
    cli("send", shm_name, "--text", "first")
    qtbot.waitUntil(lambda: tab.messages.model.rowCount() == 1, timeout=5000)
    first = tab.channel.record_span(tab.messages.model.message_at(0))
    assert tab.hex_view.cursor_offset() == first[0]
    cli("send", shm_name, "--text", "second")
    qtbot.waitUntil(lambda: tab.messages.model.rowCount() == 2, timeout=5000)
    offset, length = tab.channel.record_span(tab.messages.model.message_at(1))
    assert tab.hex_view.cursor_offset() == offset
    ages = tab.hex_view.tracker.ages(offset, length, time.monotonic())
    assert sum(a is not None for a in ages) >= len(b"second")


def test_the_demo_runs_headless_and_its_channel_outlives_the_process_that_made_it(shm_name, tmp_path):
    shot = tmp_path / "demo.png"
    env = {**__import__("os").environ, "QT_QPA_PLATFORM": "offscreen"}
    proc = subprocess.run([sys.executable, "-m", "mmfviewer", "demo", shm_name, "--peer", "headless",
                           "--screenshot", str(shot), "--ticks", "15"],
                          capture_output=True, text=True, timeout=120, env=env)
    assert proc.returncode == 0, proc.stderr
    assert shot.exists() and f"created channel {shm_name!r}" in proc.stderr
    # the creator is gone; the channel is not, and others go on using it
    cli("send", shm_name, "--text", "still here")
    out = cli("listen", shm_name, "--from-start", "--json", "--count", "50", "--timeout", "1").stdout
    values = [json.loads(line)["value"] for line in out.splitlines() if "value" in line]
    assert values[0]["title"] == "Hello" and values[-1] == "still here"


def _mean_lightness(path) -> float:
    image = QImage(str(path))
    step = 7  # a sample of the pixels is enough to tell light from dark
    values = [image.pixelColor(x, y).lightnessF()
              for x in range(0, image.width(), step) for y in range(0, image.height(), step)]
    return sum(values) / len(values)


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_demo_draws_both_windows_in_the_colour_scheme_asked_for(shm_name, tmp_path, scheme):
    shot = tmp_path / "demo.png"
    env = {**__import__("os").environ, "QT_QPA_PLATFORM": "offscreen"}
    proc = subprocess.run([sys.executable, "-m", "mmfviewer", "demo", shm_name, "--screenshot", str(shot),
                           "--ticks", "3", "--color-scheme", scheme],
                          capture_output=True, text=True, timeout=180, env=env)
    assert proc.returncode == 0, proc.stderr
    for window in (shot, tmp_path / "demo-peer.png"):
        lightness = _mean_lightness(window)
        assert (lightness < 0.4) if scheme == "dark" else (lightness > 0.6), (window.name, lightness)


def test_the_history_bound_is_configurable_and_remembered(qtbot, shm_name, tmp_path):
    settings = QSettings(str(tmp_path / "s.ini"), QSettings.IniFormat)
    win = MainWindow(history=50, settings=settings)
    qtbot.addWidget(win)
    with Channel.create(shm_name, lanes=1, lane_size=1 << 16) as ch, ch.writer() as w:
        w.send_many(range(120))
        tab = win.open_name(shm_name)
        qtbot.waitUntil(lambda: tab.messages.received == 120, timeout=5000)
        assert tab.messages.model.rowCount() == 50
        assert tab.messages.model.message_at(49).value == 119
    assert MainWindow(settings=settings).history == 50
