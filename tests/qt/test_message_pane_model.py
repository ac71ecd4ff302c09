"""The message pane's model and filter, without any widget (only a QApplication, for fonts
and colours): one row insertion a batch, a bounded history, previews decoded only when
shown, and filters by text or regex."""

from __future__ import annotations

import os
import re

import msgpack
import pytest

pytest.importorskip("PySide6.QtWidgets")

from PySide6.QtCore import Qt  # noqa: E402

from mmfviewer.message import Message  # noqa: E402
from mmfviewer.presentation import clock_time  # noqa: E402
from mmfviewer.qt import message_model  # noqa: E402
from mmfviewer.qt.message_model import (  # noqa: E402
    COLUMNS,
    PREVIEW,
    SENDER,
    MessageFilterProxy,
    MessageModel,
)
from mmfviewer.wire import TYPE_MSGPACK  # noqa: E402

from .message_pane_helpers import SEED, Counter, fake_messages, shown  # noqa: E402


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
