"""The message pane on real channels, headless, driven as its owner drives it: ``poll()``
on every tick, with other processes and other lanes writing meanwhile."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

pytest.importorskip("PySide6.QtWidgets")

from PySide6.QtWidgets import QApplication, QHeaderView  # noqa: E402

from mmfviewer.channel import Channel  # noqa: E402
from mmfviewer.qt.fonts import draws_monospace  # noqa: E402
from mmfviewer.qt.message_detail import OVERWRITTEN  # noqa: E402
from mmfviewer.qt.message_model import PREVIEW, SENDER  # noqa: E402
from mmfviewer.qt.message_pane import MessagePane  # noqa: E402
from mmfviewer.segment_os import SHM_DIR  # noqa: E402
from mmfviewer.wire import TYPE_MSGPACK  # noqa: E402

from .message_pane_helpers import Counter, poll_all, shown  # noqa: E402


def test_a_message_sent_by_another_process_appears_with_its_sender_pid(qtbot, pane, channel, shm_name):
    pane.set_channel(channel)
    proc = subprocess.Popen([sys.executable, "-m", "mmfviewer", "send", shm_name,
                             "--title", "Hello", "--content", "There"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    qtbot.waitUntil(lambda: pane.poll() > 0 or pane.model.rowCount() > 0, timeout=5000)
    model = pane.model
    assert model.rowCount() == 1
    assert model.message_at(0).pid == proc.pid != os.getpid()
    assert model.message_at(0).value == {"title": "Hello", "content": "There"}
    assert shown(model, 0, SENDER) == f"{proc.pid} mmfviewer"
    assert shown(model, 0, PREVIEW) == "{'title': 'Hello', 'content': 'There'}"
    assert pane.counters.text() == "received 1 · lost 0 · corrupt 0"


def test_the_lost_counter_is_exact_when_the_ring_laps_the_reader(pane, shm_name):
    with Channel.create(shm_name, lanes=2, lane_size=4096) as ch:
        pane.set_channel(ch)
        writer = ch.writer("fast")
        for i in range(2000):
            writer.send({"i": i})
        received = poll_all(pane)
        reader = pane.reader
        assert reader is not None and reader.lost > 0
        assert received + reader.lost == 2000
        assert pane.model.rowCount() == received
        assert pane.counters.text() == f"received {received} · lost {reader.lost} · corrupt 0"
        # What arrived is the newest, in order, ending with the last one sent.
        seqs = [pane.model.message_at(r).seq for r in range(pane.model.rowCount())]
        assert seqs == list(range(2000 - received, 2000))


def test_selecting_a_row_shows_tree_and_hexdump_and_highlights_its_record(qtbot, pane, channel):
    writer = channel.writer("detail")
    writer.send({"title": "Hi", "content": "There", "raw": bytes(range(100)), "list": [1, 2]})
    writer.send_text("plain text")
    pane.set_channel(channel)
    pane.poll()
    msg = pane.model.message_at(0)
    with qtbot.waitSignal(pane.highlightRequested) as blocker:
        pane.select_row(0)
    assert tuple(blocker.args) == channel.record_span(msg)
    assert pane.selected_message is msg
    top = pane.detail.tree.topLevelItem(0)
    children = {top.child(i).text(0): top.child(i) for i in range(top.childCount())}
    assert list(children) == ["title", "content", "raw", "list"]
    assert children["title"].text(1) == "'Hi'"
    assert children["raw"].text(1) == bytes(range(64)).hex(" ") + "…"
    assert children["list"].childCount() == 2 and children["list"].child(1).text(0) == "[1]"
    hexdump = pane.detail.hexdump.toPlainText()
    assert hexdump.startswith("00000000: ") and "title" in hexdump
    assert draws_monospace(pane.detail.hexdump.font())
    pane.select_row(1)
    top = pane.detail.tree.topLevelItem(0)
    assert (top.text(0), top.text(1), top.childCount()) == ("text", "'plain text'", 0)


def test_selecting_a_message_the_ring_overwrote_clears_the_highlight(qtbot, pane, shm_name):
    with Channel.create(shm_name, lanes=2, lane_size=4096) as ch:
        writer = ch.writer("lapper")
        pane.set_channel(ch)
        writer.send({"first": True})
        pane.poll()
        for i in range(500):
            writer.send({"i": i})
        poll_all(pane)
        assert pane.model.message_at(0).value == {"first": True}
        with qtbot.waitSignal(pane.highlightCleared):
            pane.select_row(0)
        assert OVERWRITTEN in pane.detail.label.text()
        assert "first" in pane.detail.hexdump.toPlainText()  # the copy read on arrival
        last = pane.proxy.rowCount() - 1
        with qtbot.waitSignal(pane.highlightRequested) as blocker:
            pane.select_row(last)
        assert tuple(blocker.args) == ch.record_span(pane.model.message_at(last))


def test_pause_holds_new_messages_and_resume_appends_them_in_one_batch(pane, channel):
    writer = channel.writer("p")
    pane.set_channel(channel)
    writer.send(1)
    pane.poll()
    pane.pause_button.click()
    assert pane.paused and pane.pause_button.text() == "Resume"
    for i in range(5):
        writer.send(i)
    assert pane.poll() == 5
    assert pane.model.rowCount() == 1 and pane.pending == 5
    assert pane.counters.text() == "received 6 · lost 0 · corrupt 0 · paused — 5 new"
    inserted = Counter(pane.model.rowsInserted)
    pane.pause_button.click()
    assert not pane.paused and len(inserted) == 1 and pane.model.rowCount() == 6
    assert pane.counters.text() == "received 6 · lost 0 · corrupt 0"


def test_clear_empties_the_table_and_the_counters_go_on(qtbot, pane, channel):
    writer = channel.writer("c")
    pane.set_channel(channel)
    for i in range(3):
        writer.send(i)
    pane.poll()
    pane.select_row(0)
    with qtbot.waitSignal(pane.highlightCleared):
        pane.clear_button.click()
    assert pane.model.rowCount() == 0 and pane.selected_message is None
    assert pane.detail.tree.topLevelItemCount() == 0 and pane.detail.hexdump.toPlainText() == ""
    writer.send("again")
    pane.poll()
    assert pane.model.rowCount() == 1
    assert pane.counters.text() == "received 4 · lost 0 · corrupt 0"


def test_the_filter_box_takes_text_or_a_slash_regex(qtbot, pane, channel):
    writer = channel.writer("f")
    pane.set_channel(channel)
    for word in ("alpha", "beta", "gamma", "ALPHABET"):
        writer.send({"w": word})
    pane.poll()
    qtbot.keyClicks(pane.filter_edit, "alpha")
    qtbot.waitUntil(lambda: pane.proxy.rowCount() == 2, timeout=3000)  # applied after typing
    pane.filter_edit.setText("/'(beta|gamma)'/")
    assert pane.apply_filter() is None and pane.proxy.rowCount() == 2
    pane.filter_edit.setText("/(oops/")
    error = pane.apply_filter()
    assert error and pane.proxy.rowCount() == 4
    assert pane.filter_status.text() == "⚠ " + error
    pane.filter_edit.clear()
    pane.apply_filter()
    assert pane.proxy.rowCount() == 4 and pane.filter_status.text() == ""


def test_auto_scroll_follows_new_rows_unless_the_user_scrolled_up(qtbot, pane, channel):
    writer = channel.writer("s")
    pane.set_channel(channel)
    pane.show()
    qtbot.waitExposed(pane)
    writer.send_many(range(500))
    pane.poll()
    QApplication.processEvents()
    bar = pane.table.verticalScrollBar()
    assert bar.maximum() > 0 and bar.value() == bar.maximum()
    bar.setValue(10)
    writer.send_many(range(100))
    pane.poll()
    QApplication.processEvents()
    assert bar.value() == 10


def test_rows_dropped_from_the_history_do_not_slide_the_view_under_the_user(qtbot, channel):
    pane = MessagePane(max_history=300)
    qtbot.addWidget(pane)
    pane.resize(900, 500)
    pane.show()
    qtbot.waitExposed(pane)
    writer = channel.writer("h")
    pane.set_channel(channel)
    writer.send_many(range(300))
    pane.poll()
    pane.table.verticalScrollBar().setValue(150)
    top_seq = pane.model.message_at(pane.table.rowAt(0)).seq
    writer.send_many(range(50))
    pane.poll()
    QApplication.processEvents()
    assert pane.model.message_at(pane.table.rowAt(0)).seq == top_seq


def test_a_channel_truncated_under_the_pane_stops_reading_and_says_why(pane, channel, shm_name):
    writer = channel.writer("t")
    pane.set_channel(channel)
    writer.send(1)
    pane.poll()
    os.truncate(os.path.join(SHM_DIR, shm_name), 4096)
    assert pane.poll() == 0  # no exception
    assert pane.error and "shrank" in pane.error
    assert not pane.error_label.isHidden() and pane.error in pane.error_label.text()
    assert pane.poll() == 0
    pane.select_row(0)  # the copy is still there; no highlight into a truncated segment
    assert pane.selected_message is not None


def test_the_table_has_fixed_row_heights_and_a_stretched_preview(pane):
    rows = pane.table.verticalHeader()
    assert rows.sectionResizeMode(0) == QHeaderView.ResizeMode.Fixed
    assert not pane.table.wordWrap()
    assert pane.table.horizontalHeader().sectionResizeMode(PREVIEW) == QHeaderView.ResizeMode.Stretch
    assert pane.filter_edit.placeholderText() == "Filter previews (text or /regex/)"
    assert pane.autoscroll.isChecked() and not pane.paused and pane.reader is None


# ---------------------------------------------------------------------- a look at it

def test_screenshot_of_a_live_pane_with_a_selected_message(qtbot, pane, channel, tmp_path):
    writer = channel.writer("demo-writer")
    pane.set_channel(channel)
    for i in range(40):
        writer.send({"title": f"Hello {i}", "content": "The world is going down.", "n": i,
                     "tags": ["a", "b"], "blob": bytes(range(i % 5 + 10))})
    writer.send_text("a text message\nwith two lines")
    writer.send_bytes(b"\x00\x01\x02\xff")
    writer._append(b"\xc1", TYPE_MSGPACK, 1, True)
    pane.show()
    qtbot.waitExposed(pane)
    pane.poll()
    pane.select_row(38)
    QApplication.processEvents()
    screenshot = tmp_path / "message_pane.png"
    assert pane.grab().save(str(screenshot))
    assert screenshot.stat().st_size > 10_000


def test_a_pane_stopped_by_a_truncation_goes_on_when_the_channel_is_regrown(pane, channel, shm_name):
    writer = channel.writer("t")
    pane.set_channel(channel)
    writer.send(1)
    assert pane.poll() == 1
    path = os.path.join(SHM_DIR, shm_name)
    os.truncate(path, 4096)
    assert pane.poll() == 0 and "shrank" in pane.error
    os.truncate(path, channel.segment.size)  # back to its size (the lost part is zeros)
    writer.send(2)
    assert pane.poll() == 1 and pane.error is None and pane.error_label.isHidden()
    assert [m.value for m in (pane.model.message_at(i) for i in range(pane.model.rowCount()))] == [1, 2]
