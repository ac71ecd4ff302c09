"""The message channel's basics: a message sent is received once, in order, with its
metadata; readers start now or from the oldest; too large, unsendable and read-only are
clear errors; lanes are claimed, given back, and never taken from another process."""

from __future__ import annotations

import os
import time

import pytest

from mmfviewer.channel import Channel
from mmfviewer.errors import FormatError, MessageTooLargeError, NoFreeLaneError, ReadOnlyError

from .channel_helpers import drain, hold_lane, spawn

SEED = {"title": "News", "content": "The world is going down."}


def test_a_message_sent_is_received_with_its_metadata(shm_name):
    with Channel.create(shm_name, lanes=2, lane_size=4096) as ch:
        reader = ch.reader()
        with ch.writer("me") as w:
            assert w.send(SEED) == 0
            assert w.send_text("The world is going down.") == 1
            assert w.send_bytes(b"\x00\x01\xff") == 2
        msgs = reader.poll()
    assert [m.value for m in msgs] == [SEED, "The world is going down.", b"\x00\x01\xff"]
    assert [m.type_name for m in msgs] == ["msgpack", "text", "bytes"]
    assert [m.seq for m in msgs] == [0, 1, 2]
    assert {m.pid for m in msgs} == {os.getpid()} and {m.lane for m in msgs} == {0}
    assert all(abs(m.timestamp_ns - time.time_ns()) < 60e9 for m in msgs)
    assert reader.senders[os.getpid()] == "me"
    assert reader.lost == 0 and reader.corrupt == 0


def test_a_reader_starting_now_sees_only_later_messages(shm_name):
    with Channel.create(shm_name, lanes=1, lane_size=4096) as ch, ch.writer() as w:
        w.send("old")
        reader = ch.reader()
        w.send("new")
        assert [m.value for m in reader.poll()] == ["new"]
        assert reader.poll() == []


def test_a_reader_from_the_oldest_sees_what_the_ring_still_holds(shm_name):
    with Channel.create(shm_name, lanes=1, lane_size=4096) as ch, ch.writer() as w:
        for i in range(5):
            w.send(i)
        assert [m.value for m in ch.reader(start="oldest").poll()] == [0, 1, 2, 3, 4]
        for i in range(5, 2000):  # wrap the 4 KiB ring many times
            w.send(i)
        late = ch.reader(start="oldest")
        values = [m.value for m in late.poll()]
        assert values and values == list(range(values[0], 2000))
        assert late.lost == 0  # a late joiner lost nothing it could have had


def test_send_many_gives_each_value_its_own_sequence_number(shm_name):
    with Channel.create(shm_name, lanes=1, lane_size=1 << 16) as ch, ch.writer() as w:
        reader = ch.reader()
        w.send("first")
        assert w.send_many({"i": i} for i in range(1000)) == 1000
        w.send("last")
        msgs = drain(reader, 1002)
    assert [m.seq for m in msgs] == list(range(1002))
    assert [m.value for m in msgs[1:-1]] == [{"i": i} for i in range(1000)]
    assert all(m.payload for m in msgs) and reader.lost == 0


def test_a_message_too_large_for_a_lane_fails_at_send_and_sends_nothing(shm_name):
    with Channel.create(shm_name, lanes=1, lane_size=4096) as ch, ch.writer() as w:
        reader = ch.reader()
        with pytest.raises(MessageTooLargeError, match="does not fit"):
            w.send_bytes(bytes(ch.max_payload + 1))
        with pytest.raises(MessageTooLargeError):
            w.send_many(["ok", "x" * 5000])
        w.send_bytes(bytes(ch.max_payload))  # the largest that fits does
        assert [len(m.payload) for m in reader.poll()] == [ch.max_payload]


def test_unsendable_values_are_a_clear_error_and_the_writer_goes_on(shm_name):
    with Channel.create(shm_name, lanes=1, lane_size=4096) as ch, ch.writer() as w:
        with pytest.raises(FormatError, match="msgpack"):
            w.send(object())
        w.send("fine")
        assert [m.value for m in ch.reader(start="oldest").poll()] == ["fine"]


def test_a_read_only_channel_reads_but_refuses_a_writer(shm_name):
    with Channel.create(shm_name, lanes=1, lane_size=4096) as ch, ch.writer() as w:
        w.send("x")
        with Channel.open(shm_name, readonly=True) as ro:
            assert [m.value for m in ro.reader(start="oldest").poll()] == ["x"]
            with pytest.raises(ReadOnlyError):
                ro.writer()


def test_every_lane_taken_is_a_clear_error(shm_name):
    with Channel.create(shm_name, lanes=2, lane_size=4096) as ch:
        with ch.writer() as a, ch.writer() as b:
            assert {a.lane, b.lane} == {0, 1}
            with pytest.raises(NoFreeLaneError, match="all 2 lanes"):
                ch.writer()
        with ch.writer() as again:  # closing gave the lanes back
            assert again.lane == 0


def test_a_lane_held_by_another_process_is_not_taken(shm_name):
    with Channel.create(shm_name, lanes=2, lane_size=4096) as ch:
        ready, release = spawn.Queue(), spawn.Event()
        child = spawn.Process(target=hold_lane, args=(shm_name, ready, release))
        child.start()
        try:
            held = ready.get(timeout=30)
            assert ch.lane_is_claimed(held)
            with ch.writer() as mine:
                assert mine.lane != held
        finally:
            release.set()
            child.join(30)
        assert not ch.lane_is_claimed(held)
