"""The message pane, headless, over real channels and segments.

The model is tested without any widget (only a QApplication, for fonts and
colours); the pane is driven as its owner drives it: ``poll()`` on every tick,
with other processes and other lanes writing meanwhile.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys

import msgpack
import pytest

pytest.importorskip("PySide6.QtWidgets")

from PySide6.QtCore import Qt  # noqa: E402
from PySide6.QtWidgets import QApplication, QHeaderView  # noqa: E402

from mmfviewer.channel import Channel  # noqa: E402
from mmfviewer.codec import Layout  # noqa: E402
from mmfviewer.message import Message  # noqa: E402
from mmfviewer.presentation import clock_time  # noqa: E402
from mmfviewer.qt import message_model  # noqa: E402
from mmfviewer.qt.fonts import draws_monospace  # noqa: E402
from mmfviewer.qt.message_detail import OVERWRITTEN  # noqa: E402
from mmfviewer.qt.message_model import (  # noqa: E402
    COLUMNS,
    PREVIEW,
    SENDER,
    MessageFilterProxy,
    MessageModel,
)
from mmfviewer.qt.message_pane import MessagePane  # noqa: E402
from mmfviewer.segment import Segment  # noqa: E402
from mmfviewer.segment_os import SHM_DIR  # noqa: E402
from mmfviewer.wire import TYPE_MSGPACK  # noqa: E402

SEED = {"title": "A", "content": "B"}
TEXT = b"The world is going down."


# ---------------------------------------------------------------------- helpers

def fake_messages(n: int, start: int = 0, *, pid: int = 4242) -> list[Message]:
    """Messages as a reader would build them, without a segment (model tests)."""
    return [Message(0, pid, i, 1_700_000_000_000_000_000 + i, TYPE_MSGPACK,
                    msgpack.packb({"i": i, "word": "even" if i % 2 == 0 else "odd"}), 64 * i)
            for i in range(start, start + n)]


def shown(model, row: int, column: int, role=Qt.ItemDataRole.DisplayRole):
    return model.data(model.index(row, column), role)


class Counter:
    """Counts a Qt signal's emissions."""

    def __init__(self, signal) -> None:
        self.calls: list[tuple] = []
        signal.connect(lambda *args: self.calls.append(args))

    def __len__(self) -> int:
        return len(self.calls)


@pytest.fixture
def channel(shm_name):
    ch = Channel.create(shm_name, lanes=2, lane_size=1 << 16)
    yield ch
    ch.close()


@pytest.fixture
def pane(qtbot):
    widget = MessagePane()
    qtbot.addWidget(widget)
    widget.resize(900, 500)
    return widget


def poll_all(pane: MessagePane) -> int:
    """Poll until the reader has caught up (a poll takes at most 64 KiB per lane)."""
    total = 0
    while True:
        n = pane.poll()
        total += n
        if n == 0:
            return total


# ---------------------------------------------------------------------- the model, no widgets

def test_each_append_is_one_row_insertion_however_big_the_batch(qapp):
    model = MessageModel()
    inserted = Counter(model.rowsInserted)
    model.append(fake_messages(5000))
    model.append(fake_messages(3, 5000))
    model.append([])
    assert len(inserted) == 2
    assert [call[1:] for call in inserted.calls] == [(0, 4999), (5000, 5002)]
    assert model.rowCount() == 5003 and model.total_received == 5003
    assert model.message_at(5002).seq == 5002


def test_bounded_history_keeps_the_newest_rows_with_one_removal_per_append(qapp):
    model = MessageModel(max_rows=1000)
    inserted, removed = Counter(model.rowsInserted), Counter(model.rowsRemoved)
    for start in range(0, 2500, 500):
        model.append(fake_messages(500, start))
    assert model.rowCount() == 1000
    assert model.total_received == 2500
    assert [model.message_at(r).seq for r in (0, 999)] == [1500, 2499]
    assert len(inserted) == 5
    assert len(removed) == 3  # the first two appends fit
    assert all(call[1:] == (0, 499) for call in removed.calls)
    assert shown(model, 0, 0) == "1500"


def test_a_batch_larger_than_the_history_keeps_only_its_newest(qapp):
    model = MessageModel(max_rows=1000)
    model.append(fake_messages(10))
    removed = Counter(model.rowsRemoved)
    model.append(fake_messages(2500, 10))
    assert model.rowCount() == 1000 and len(removed) == 1
    assert model.message_at(0).seq == 1510 and model.message_at(999).seq == 2509
    assert model.total_received == 2510


def test_shrinking_max_rows_drops_the_oldest_at_once(qapp):
    model = MessageModel()
    model.append(fake_messages(300))
    removed = Counter(model.rowsRemoved)
    model.max_rows = 100
    assert len(removed) == 1 and model.rowCount() == 100
    assert model.message_at(0).seq == 200
    with pytest.raises(ValueError):
        model.max_rows = 0


def test_nothing_is_decoded_on_append_only_the_rows_asked_for(qapp, monkeypatch):
    calls = []
    real = message_model.preview_of

    def counting(message, limit=80):
        calls.append(message)
        return real(message, limit)

    monkeypatch.setattr(message_model, "preview_of", counting)
    model = MessageModel()
    model.append(fake_messages(10_000))
    assert calls == []
    for row in (0, 5000, 9999):
        assert shown(model, row, PREVIEW) == f"{{'i': {row}, 'word': '{'even' if row % 2 == 0 else 'odd'}'}}"
    assert len(calls) == 3
    for row in (0, 5000, 9999):  # cached: asking again decodes nothing
        shown(model, row, PREVIEW)
        shown(model, row, 0, Qt.ItemDataRole.ForegroundRole)
    assert len(calls) == 3


def test_the_preview_cache_stays_bounded(qapp):
    model = MessageModel(cache_size=100)
    model.append(fake_messages(1000))
    for row in range(1000):
        shown(model, row, PREVIEW)
    assert len(model._cache) == 100


def test_columns_show_seq_time_lane_sender_type_size_and_preview(qapp):
    msg = Message(1, 777, 42, 1_700_000_000_123_456_789, TYPE_MSGPACK, msgpack.packb(SEED), 0)
    model = MessageModel(senders={777: "ticker"})
    model.append([msg])
    headers = [model.headerData(c, Qt.Orientation.Horizontal) for c in range(model.columnCount())]
    assert headers == list(COLUMNS) == ["Seq", "Time", "Lane", "Sender", "Preview", "Type", "Size"]
    row = [shown(model, 0, c) for c in range(len(COLUMNS))]
    assert row == ["42", clock_time(msg.timestamp_ns), "1", "777 ticker",
                   "{'title': 'A', 'content': 'B'}", "msgpack", str(len(msg.payload))]
    assert re.fullmatch(r"\d\d:\d\d:\d\d\.123456", row[1])
    assert shown(model, 0, 0, Qt.ItemDataRole.ForegroundRole) is None
    assert shown(model, 5, 0) is None  # out of range: nothing, no exception


def test_an_undecodable_message_is_a_marked_red_row_with_the_error_as_tooltip(qapp, channel):
    writer = channel.writer("bad")
    writer.send({"ok": True})
    writer._append(b"\xc1", TYPE_MSGPACK, 1, True)  # 0xc1 is never valid msgpack
    reader = channel.reader("oldest")
    model = MessageModel(senders=reader.senders)
    model.append(reader.poll())
    assert model.rowCount() == 2
    preview = shown(model, 1, PREVIEW)
    assert preview.startswith("⚠ ") and "not valid msgpack" in preview
    assert model.error(1) is not None and model.error(0) is None
    red = shown(model, 1, 0, Qt.ItemDataRole.ForegroundRole)
    assert red is not None and red.red() > 150 and red.green() < 120
    assert shown(model, 1, PREVIEW, Qt.ItemDataRole.ForegroundRole) == red
    tooltip = shown(model, 1, PREVIEW, Qt.ItemDataRole.ToolTipRole)
    assert "does not decode" in tooltip and model.error(1) in tooltip
    assert shown(model, 0, 0, Qt.ItemDataRole.ForegroundRole) is None
    assert shown(model, 1, SENDER) == f"{os.getpid()} bad"


def test_clear_empties_the_model_but_total_received_keeps_counting(qapp):
    model = MessageModel()
    model.append(fake_messages(10))
    model.clear()
    assert model.rowCount() == 0 and model.total_received == 10
    model.append(fake_messages(2, 10))
    assert model.message_at(0).seq == 10
    with pytest.raises(IndexError):
        model.message_at(2)


def test_filter_by_text_ignores_case_and_by_regex(qapp):
    model = MessageModel()
    model.append(fake_messages(10))
    proxy = MessageFilterProxy()
    proxy.setSourceModel(model)
    assert proxy.set_filter("ODD") is None
    assert proxy.rowCount() == 5
    assert all(model.message_at(proxy.mapToSource(proxy.index(r, 0)).row()).seq % 2
               for r in range(proxy.rowCount()))
    assert proxy.set_filter("'i': [37],", regex=True) is None
    assert [proxy.index(r, PREVIEW).data() for r in range(proxy.rowCount())] == [
        "{'i': 3, 'word': 'odd'}", "{'i': 7, 'word': 'odd'}"]
    assert proxy.set_filter("[37]") is None  # as text, brackets are just characters
    assert proxy.rowCount() == 0
    proxy.set_filter("")
    assert proxy.rowCount() == 10 and not proxy.active
    model.append(fake_messages(5, 10))
    proxy.set_filter("even")
    model.append(fake_messages(4, 15))  # new rows are filtered as they arrive
    assert proxy.rowCount() == 5 + 3 + 2  # 0-8, 10-14, 16-18


def test_a_bad_regex_is_reported_not_raised_and_hides_nothing(qapp):
    model = MessageModel()
    model.append(fake_messages(4))
    proxy = MessageFilterProxy()
    proxy.setSourceModel(model)
    proxy.set_filter("odd")
    error = proxy.set_filter("(unclosed", regex=True)
    assert error and "invalid regex" in error and error == proxy.error
    assert proxy.rowCount() == 4
    assert proxy.set_filter("odd", regex=True) is None and proxy.error == ""
    assert proxy.rowCount() == 2


# ---------------------------------------------------------------------- the pane on a channel

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


# ---------------------------------------------------------------------- seed layouts

@pytest.fixture
def segment(shm_name):
    seg = Segment.create(shm_name, 4096)
    yield seg
    seg.close()


def test_a_mailbox_shows_its_value_as_a_tree_and_highlights_it(qtbot, pane, segment):
    packed = msgpack.packb(SEED)
    segment.write(0, packed)
    with qtbot.waitSignal(pane.highlightRequested) as blocker:
        pane.set_value_segment(segment, Layout.MAILBOX)
    assert blocker.args == [0, len(packed)]
    assert pane.value_label.text() == f"mailbox: {len(packed)} bytes of msgpack at offset 0"
    top = pane.value_tree.topLevelItem(0)
    assert [(top.child(i).text(0), top.child(i).text(1)) for i in range(top.childCount())] == [
        ("title", "'A'"), ("content", "'B'")]
    assert pane.poll() == 0  # nothing changed
    newer = msgpack.packb({"title": "Z", "content": "longer content"})
    segment.write(0, newer)
    with qtbot.waitSignal(pane.highlightRequested) as blocker:
        assert pane.poll() == 1
    assert blocker.args == [0, len(newer)]
    assert pane.value_tree.topLevelItem(0).child(1).text(1) == "'longer content'"


def test_text_shows_the_trimmed_text_and_how_much_was_looked_at(pane, segment):
    segment.write(0, TEXT)
    pane.set_value_segment(segment, Layout.TEXT)
    assert pane.value_text.toPlainText() == "The world is going down."
    assert pane.value_text.isReadOnly() and draws_monospace(pane.value_text.font())
    assert pane.value_label.text() == "text: 24 bytes (4096 bytes looked at, NULs and all)"
    assert pane.poll() == 0


def test_a_raw_segment_says_there_is_nothing_to_decode(pane, segment):
    pane.set_value_segment(segment, Layout.RAW)
    text = pane.value_label.text()
    assert "Nothing to decode" in text and "data inspector" in text
    assert pane.poll() == 0


def test_a_garbage_mailbox_shows_the_decoders_error_without_crashing(qtbot, pane, segment):
    segment.write(0, b"\xc1\xa5title")  # 0xc1 is never valid msgpack
    with qtbot.waitSignal(pane.highlightCleared):
        pane.set_value_segment(segment, Layout.MAILBOX)
    text = pane.value_label.text()
    assert text.startswith("⚠ mailbox: ") and len(text) > 15
    assert pane.value_tree.topLevelItemCount() == 0
    segment.write(0, msgpack.packb(SEED))  # and it recovers when the value becomes good
    assert pane.poll() == 1
    assert pane.value_label.text().startswith("mailbox: ")


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
