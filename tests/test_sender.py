"""Sending by layout: one API for the channel and the seeds' patterns."""

from __future__ import annotations

import msgpack
import pytest

from mmfviewer.channel import Channel
from mmfviewer.codec import Layout, decode_mailbox, decode_text
from mmfviewer.errors import FormatError, ReadOnlyError
from mmfviewer.segment import Segment
from mmfviewer.sender import Sender


def test_on_a_channel_every_send_uses_one_lane_until_closed(shm_name):
    with Channel.create(shm_name, lanes=2, lane_size=4096) as ch:
        reader = ch.reader()
        with Segment.open(shm_name, readonly=False) as seg, Sender(seg) as sender:
            assert sender.layout == Layout.CHANNEL
            assert "message 0 on lane 0" in sender.send({"title": "Hi", "content": "There"})
            sender.send_text("text")
            sender.send_bytes(b"\x01\x02")
            assert sender.lane == 0 and ch.lane_is_claimed(0)
        assert not ch.lane_is_claimed(0)
        assert [m.value for m in reader.poll()] == [{"title": "Hi", "content": "There"}, "text", b"\x01\x02"]


def test_on_a_fresh_segment_text_makes_text_and_values_make_a_mailbox(shm_name, shm_names):
    shm_names.extend([shm_name + "-t", shm_name + "-m"])
    with Segment.create(shm_names[0], 256) as seg:
        Sender(seg, Layout.TEXT).send_text("The world is going down.")
        assert decode_text(seg.read(0, 256)).text == "The world is going down."
    with Segment.create(shm_names[1], 256) as seg:
        Sender(seg, Layout.MAILBOX).send({"title": "A", "content": "B"})
        assert decode_mailbox(seg.read(0, 256)).value == {"title": "A", "content": "B"}


def test_raw_bytes_land_at_the_offset_asked(shm_name):
    with Segment.create(shm_name, 64) as seg:
        assert Sender(seg).send_bytes(b"\xde\xad", offset=10) == "wrote 2 bytes at offset 10"
        assert seg.read(8, 6) == b"\0\0\xde\xad\0\0"


def test_a_mailbox_takes_text_as_a_msgpack_string(shm_name):
    with Segment.create(shm_name, 64) as seg:
        seg.write(0, msgpack.packb({"k": 1}))
        sender = Sender(seg)
        assert sender.layout == Layout.MAILBOX
        sender.send_text("hello")
        assert seg.read(0, 6) == msgpack.packb("hello")


def test_read_only_and_wrong_kinds_are_clear_errors(shm_name):
    with Segment.create(shm_name, 64) as seg:
        seg.write(0, b"text here")
        with Segment.open(shm_name) as ro:
            with pytest.raises(ReadOnlyError):
                Sender(ro).send_text("x")
        with pytest.raises(FormatError, match="holds text"):
            Sender(seg).send({"a": 1})
