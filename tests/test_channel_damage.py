"""The damaged message channel: corrupt records are skipped and counted, never returned,
and cost only their own messages; damaged, truncated and unfinished segments are refused
with the rule they break; lanes laid out again or numbered over are followed."""

from __future__ import annotations

import os
import time

import pytest

from mmfviewer import wire
from mmfviewer.channel import Channel
from mmfviewer.errors import ChannelTruncatedError, FormatError
from mmfviewer.segment import Segment
from mmfviewer.segment_os import SHM_DIR

from .channel_helpers import drain
from .conftest import needs_dev_shm


def test_a_corrupted_record_is_skipped_counted_and_never_returned_and_the_next_is_read(shm_name):
    with Channel.create(shm_name, lanes=1, lane_size=4096) as ch, ch.writer() as w:
        reader = ch.reader()
        for i in range(3):
            w.send(f"message {i}")
        ring = wire.lane_offset(0, ch.capacity) + wire.LANE_HEADER_SIZE
        first_size = wire.record_size(len(b"\xa9message 0"))
        ch.segment.buf[ring + first_size + 40] ^= 0xFF  # a payload byte of message 1
        msgs = reader.poll()
        assert [m.value for m in msgs] == ["message 0", "message 2"]  # its length is still good
        assert (reader.corrupt, reader.corrupt_records, reader.lost) == (1, 1, 0)
        w.send("after")
        assert [m.value for m in reader.poll()] == ["after"]
        assert (reader.corrupt, reader.lost) == (1, 0)  # received + lost + corrupt == sent


@pytest.mark.parametrize("field, value", [("length", 1 << 30), ("type", 77), ("seq", 0), ("count", 0)])
def test_record_headers_that_lie_are_treated_as_corrupt(shm_name, field, value):
    offsets = {"length": (0, "<I"), "type": (4, "<H"), "count": (6, "<H"), "seq": (8, "<Q")}
    with Channel.create(shm_name, lanes=1, lane_size=4096) as ch, ch.writer() as w:
        w.send("zero")
        reader = ch.reader()
        w.send("one")
        ring = wire.lane_offset(0, ch.capacity) + wire.LANE_HEADER_SIZE
        at, fmt = offsets[field]
        import struct
        struct.pack_into(fmt, ch.segment.buf, ring + wire.record_size(5) + at, value)
        assert reader.poll() == []
        assert (reader.corrupt, reader.corrupt_records, reader.lost) == (1, 1, 0)
        w.send("two")
        assert [m.value for m in reader.poll()] == ["two"]  # and reading goes on
        assert (reader.corrupt, reader.lost) == (1, 0)


def test_garbage_payload_in_a_valid_record_is_a_format_error_not_a_crash(shm_name):
    with Channel.create(shm_name, lanes=1, lane_size=16384) as ch, ch.writer() as w:
        reader = ch.reader()
        w._append(b"\xc1\xc1", wire.TYPE_MSGPACK, 1, True)  # 0xc1 is never valid msgpack
        w._append(b"\xdd\xff\xff\xff\xff", wire.TYPE_MSGPACK, 1, True)  # a 4-billion-item array
        w._append(b"\x91" * 3000 + b"\x00", wire.TYPE_MSGPACK, 1, True)  # nested too deep
        for msg in reader.poll():
            with pytest.raises(FormatError):
                _ = msg.value


@needs_dev_shm
def test_a_channel_truncated_under_a_reader_stops_it_with_a_clear_error(shm_name):
    with Channel.create(shm_name, lanes=1, lane_size=4096) as ch, ch.writer() as w:
        reader = ch.reader()
        w.send("x")
        os.truncate(os.path.join(SHM_DIR, shm_name), 100)
        with pytest.raises(ChannelTruncatedError, match="shrank"):
            reader.poll()


@pytest.mark.parametrize("damage, message", [
    (lambda b: b.__setitem__(slice(0, 8), b"NOTMAGIC"), "not a channel"),
    (lambda b: b.__setitem__(slice(8, 10), b"\x09\x00"), "version 9"),
    (lambda b: b.__setitem__(slice(16, 24), (1000).to_bytes(8, "little")), "power of two"),
    (lambda b: b.__setitem__(slice(14, 16), b"\x00\x00"), "lane count"),
])
def test_a_damaged_segment_header_is_refused_with_the_rule_it_breaks(shm_name, damage, message):
    Channel.create(shm_name, lanes=1, lane_size=4096).close()
    with Segment.open(shm_name, readonly=False) as seg:
        damage(seg.buf)
    with pytest.raises(FormatError, match=message):
        Channel.open(shm_name)


def test_a_channel_never_marked_ready_is_refused(shm_name):
    Channel.create(shm_name, lanes=1, lane_size=4096).close()
    with Segment.open(shm_name, readonly=False) as seg:
        wire.READY_WORD.pack_into(seg.buf, wire.READY_OFFSET, 0)
    with pytest.raises(FormatError, match="never finished"):
        Channel.open(shm_name, timeout=0.05)


def test_a_truncated_channel_is_refused_on_open(shm_name):
    Channel.create(shm_name, lanes=2, lane_size=4096).close()
    if not os.path.isdir(SHM_DIR):
        pytest.skip("needs /dev/shm")
    os.truncate(os.path.join(SHM_DIR, shm_name), 5000)
    with pytest.raises(FormatError, match="truncated"):
        Channel.open(shm_name)


def test_bad_dimensions_are_refused_before_anything_is_created(shm_name):
    from mmfviewer.segment import segment_exists
    for lanes, size in ((0, 4096), (2000, 4096), (1, 1000), (1, 3000)):
        with pytest.raises(FormatError):
            Channel.create(shm_name, lanes=lanes, lane_size=size)
    assert not segment_exists(shm_name)


def test_a_received_message_knows_where_its_record_lies_until_it_is_overwritten(shm_name):
    with Channel.create(shm_name, lanes=2, lane_size=4096) as ch, ch.writer() as w:
        reader = ch.reader()
        w.send({"title": "Hi", "content": "There"})
        w.send_many(["a", "b"])
        first, *batch = reader.poll()
        offset, length = ch.record_span(first)
        raw = ch.segment.read(offset, length)
        assert raw[wire.RECORD_HEADER_SIZE:wire.RECORD_HEADER_SIZE + len(first.payload)] == first.payload
        assert ch.record_span(batch[0]) == ch.record_span(batch[1])  # one batch record
        for i in range(500):  # lap the 4 KiB ring
            w.send(i)
        assert ch.record_span(first) is None


@needs_dev_shm
def test_record_span_of_a_truncated_channel_is_none_not_a_crash(shm_name):
    with Channel.create(shm_name, lanes=1, lane_size=4096) as ch, ch.writer() as w:
        reader = ch.reader()
        w.send("x")
        (msg,) = reader.poll()
        os.truncate(os.path.join(SHM_DIR, shm_name), 64)
        assert ch.record_span(msg) is None


def test_a_reader_that_could_not_date_its_start_is_not_poisoned_by_a_corrupt_first_record(shm_name):
    import struct

    with Channel.create(shm_name, lanes=1, lane_size=4096) as ch, ch.writer() as w:
        w.send("before")
        base = wire.lane_offset(0, ch.capacity) // 8
        for k in range(wire.CHECKPOINTS):  # nothing to walk from: the start cannot be dated
            ch.words[base + wire.CHECKPOINT_WORD + k] = 1 << 40
        reader = ch.reader()
        assert reader._seq[0] is None
        w.send("garbled")
        at = wire.lane_offset(0, ch.capacity) + wire.LANE_HEADER_SIZE + wire.record_size(len(b"\xa6before"))
        struct.pack_into("<Q", ch.segment.buf, at + 8, 999_999)  # a sequence number from nowhere
        ch.segment.buf[at + 33] ^= 0xFF                           # and a payload that fails its CRC
        assert reader.poll() == [] and reader.corrupt_records == 1
        w.send("after")
        w.send("more")
        assert [m.value for m in reader.poll()] == ["after", "more"]


def test_one_corrupt_record_in_a_long_lane_costs_only_its_own_message(shm_name):
    with Channel.create(shm_name, lanes=1, lane_size=1 << 20) as ch, ch.writer() as w:
        for i in range(10_000):
            w.send(i)
        ring = wire.lane_offset(0, ch.capacity) + wire.LANE_HEADER_SIZE
        size = wire.record_size(len(msgpack_bytes(5000)))
        ch.segment.buf[ring + 5000 * size + wire.RECORD_HEADER_SIZE] ^= 0x01  # message 5000's payload
        late = ch.reader(start="oldest")
        got = drain(late, 10_000)
    assert [m.value for m in got] == [i for i in range(10_000) if i != 5000]
    assert (late.corrupt, late.lost) == (1, 0)


def msgpack_bytes(value) -> bytes:
    import msgpack

    return msgpack.packb(value)


@pytest.mark.parametrize("before, after", [(1000, 500), (20, 100)],
                         ids=["new tail below the reader", "new tail past the reader"])
def test_a_channel_laid_out_again_under_a_reader_is_read_from_its_new_start(shm_name, before, after):
    with Channel.create(shm_name, lanes=1, lane_size=1 << 16) as ch:
        reader = ch.reader()
        with ch.writer("first") as w:
            for i in range(before):
                w.send(i)
        assert len(drain(reader, before)) == before
        time.sleep(0.001)  # a later creation time
        Channel.format(ch.segment, lanes=1, lane_size=1 << 16).detach()  # zeroed, laid out again
        with ch.writer("second") as w:
            for i in range(after):
                w.send(f"new {i}")
        got = drain(reader, after)
    assert [m.value for m in got] == [f"new {i}" for i in range(after)]
    assert (reader.resets, reader.lost, reader.corrupt) == (1, 0, 0)


def test_a_writer_that_starts_its_numbering_over_is_followed_not_counted_corrupt(shm_name):
    with Channel.create(shm_name, lanes=1, lane_size=1 << 16) as ch:
        reader = ch.reader()
        with ch.writer() as w:
            for i in range(100):
                w.send(i)
        assert len(drain(reader, 100)) == 100
        base = wire.lane_offset(0, ch.capacity) // 8
        ch.words[base + wire.COUNT_WORD] = 0  # numbering forgotten, and nothing to walk from:
        for k in range(wire.CHECKPOINTS):     # a writer that cannot tell goes on from 0
            ch.words[base + wire.CHECKPOINT_WORD + k] = 1 << 40
        with ch.writer() as w:  # takes the lane over, numbering from 0 after 100 others
            for i in range(10):
                w.send(f"again {i}")
        got = drain(reader, 10)
    assert [(m.seq, m.value) for m in got] == [(i, f"again {i}") for i in range(10)]
    assert (reader.resets, reader.lost, reader.corrupt) == (1, 0, 0)


def test_a_writer_taking_over_a_lane_numbers_on_from_the_records_not_a_stale_count(shm_name):
    # Its predecessor died after committing a record but before storing message_count.
    with Channel.create(shm_name, lanes=1, lane_size=1 << 16) as ch:
        reader = ch.reader()
        with ch.writer() as w:
            for i in range(5):
                w.send(i)
        ch.words[wire.lane_offset(0, ch.capacity) // 8 + wire.COUNT_WORD] = 4  # one record behind
        with ch.writer() as w:
            assert w.send("next") == 5
        got = drain(reader, 6)
    assert [m.seq for m in got] == list(range(6))
    assert (reader.lost, reader.corrupt, reader.corrupt_records, reader.resets) == (0, 0, 0, 0)


def test_records_committed_while_a_corrupt_one_is_skipped_are_still_read(shm_name):
    with Channel.create(shm_name, lanes=1, lane_size=4096) as ch, ch.writer() as w:
        reader = ch.reader()
        w.send("a")
        w.send("b")
        at = wire.lane_offset(0, ch.capacity) + wire.LANE_HEADER_SIZE + wire.record_size(2)
        ch.segment.buf[at + wire.RECORD_HEADER_SIZE] ^= 0xFF  # b's payload
        # c and d are committed after the reader copied a and b, before it settles.
        reader._copy, copy = (lambda *args: (copy(*args), w.send("c"), w.send("d"))[0]), reader._copy
        got = [m.value for m in reader.poll()]
        reader._copy = copy
        got += [m.value for m in reader.poll()]
    assert got == ["a", "c", "d"]
    assert (reader.corrupt, reader.lost) == (1, 0)


def test_a_reader_lapped_after_a_corrupt_record_counts_the_lap_as_lost(shm_name):
    with Channel.create(shm_name, lanes=1, lane_size=4096) as ch, ch.writer() as w:
        reader = ch.reader()
        w.send("a")
        w.send("b")
        at = wire.lane_offset(0, ch.capacity) + wire.LANE_HEADER_SIZE + wire.record_size(2)
        ch.segment.buf[at + wire.RECORD_HEADER_SIZE] ^= 0xFF  # b's payload
        reader._copy, copy = (lambda *args: (copy(*args), w.send("c"))[0]), reader._copy
        reader.poll()  # a read, b skipped, c committed meanwhile: b's count waits for c
        reader._copy = copy
        sent = 3
        for i in range(400):  # lap the reader many times over
            w.send(i)
        sent += 400
        got = drain(reader, sent - 1)  # "a" was received by the first poll
    assert reader.corrupt <= 1 and reader.lost > 0
    assert 1 + len(got) + reader.lost + reader.corrupt == sent


def test_a_garbage_message_count_is_not_taken_for_a_loss(shm_name):
    with Channel.create(shm_name, lanes=1, lane_size=4096) as ch, ch.writer() as w:
        reader = ch.reader()
        w.send("one")
        w.send("two")
        base = wire.lane_offset(0, ch.capacity) // 8
        ring = wire.lane_offset(0, ch.capacity) + wire.LANE_HEADER_SIZE
        ch.segment.buf[ring] = 0xFF   # "one"'s length: its end cannot be found
        ch.segment.buf[ring + 2] = 0xFF
        ch.words[base + wire.COUNT_WORD] = 1 << 62  # and a header someone scribbled on
        assert reader.poll() == []
        assert (reader.lost, reader.corrupt_records) == (0, 1)
        w.send("three")
        assert [m.value for m in reader.poll()] == ["three"]
        # received 1 + lost 0 + corrupt 2 == sent 3: the count came from "three"'s number
        assert (reader.lost, reader.corrupt) == (0, 2)


def test_a_lane_header_with_a_tail_laps_away_is_refused_not_walked_forever(shm_name):
    from .conftest import run_python
    with Channel.create(shm_name, lanes=2, lane_size=1 << 13) as ch, ch.writer() as w:
        for i in range(5):
            w.send(i)
        ch.words[wire.lane_offset(0, ch.capacity) // 8 + wire.TAIL_WORD] = 1 << 50  # a flipped bit
    script = (f"from mmfviewer.channel import Channel\n"
              f"ch = Channel.open({shm_name!r}, readonly=True)\n"
              f"r = ch.reader('oldest'); r.poll(); r.poll(); print('read')\n")
    proc = run_python("-c", script, timeout=30)  # it used to walk the ring for ever
    assert proc.returncode == 0 and proc.stdout == "read\n", proc.stderr
