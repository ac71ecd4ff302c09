"""The message pane on a segment holding one value: a mailbox's msgpack as a tree, text,
raw bytes with nothing to decode, and a garbage mailbox that recovers."""

from __future__ import annotations

import msgpack
import pytest

pytest.importorskip("PySide6.QtWidgets")

from mmfviewer.codec import Layout  # noqa: E402
from mmfviewer.qt.fonts import draws_monospace  # noqa: E402
from mmfviewer.segment import Segment  # noqa: E402

from .message_pane_helpers import SEED  # noqa: E402

TEXT = b"The world is going down."


@pytest.fixture
def segment(shm_name):
    """A 4 KiB segment of zeros: here it stands for conftest.py's hex-view segment."""
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
