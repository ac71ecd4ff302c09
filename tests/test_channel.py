"""The message channel: every message once and in order, or counted as lost; never a
torn, partial or corrupt record; lanes claimed, freed by death, taken over."""

from __future__ import annotations

import multiprocessing
import os
import signal
import time

import pytest

from mmfviewer import wire
from mmfviewer.channel import Channel
from mmfviewer.errors import (
    ChannelTruncatedError,
    FormatError,
    MessageTooLargeError,
    NoFreeLaneError,
    ReadOnlyError,
)
from mmfviewer.message import Message
from mmfviewer.segment import Segment
from mmfviewer.segment_os import SHM_DIR

from .conftest import needs_dev_shm

spawn = multiprocessing.get_context("spawn")
SEED = {"title": "News", "content": "The world is going down."}


def drain(reader, expect: int, timeout: float = 30.0) -> list[Message]:
    """Poll until ``expect`` messages were received or counted lost or corrupt."""
    got: list[Message] = []
    deadline = time.monotonic() + timeout
    while len(got) + reader.lost + reader.corrupt < expect and time.monotonic() < deadline:
        got.extend(reader.wait(0.5))
    return got


# ---------------------------------------------------------------- child processes

def _send_numbers(name: str, count: int, tag: int, start, claimed, stop=None) -> None:
    with Channel.open(name) as ch, ch.writer(f"writer-{tag}") as w:
        claimed.put(w.lane)
        start.wait(30)
        for i in range(count):
            if stop is not None and i % 1000 == 0 and stop.is_set():
                break
            w.send([tag, i])


def _die_mid_record(name: str, ready) -> None:
    """Claim a lane, commit two messages, then die half-way through a third record:
    header and half the payload written, intent announced, no commit."""
    ch = Channel.open(name)
    w = ch.writer("doomed")
    w.send("one")
    w.send("two")
    lane_at = wire.lane_offset(w.lane, ch.capacity)
    tail = ch.words[lane_at // 8 + wire.TAIL_WORD]
    ring_at = lane_at + wire.LANE_HEADER_SIZE
    payload = b"\xa9" + b"truncated"  # msgpack str of 9 bytes
    at = ring_at + (tail & (ch.capacity - 1))
    ch.words[lane_at // 8 + wire.INTENT_WORD] = tail + 64
    wire.RECORD_HEADER.pack_into(ch.segment.buf, at, len(payload), wire.TYPE_MSGPACK, 1, 2,
                              time.time_ns(), 0xDEADBEEF, os.getpid())
    ch.segment.buf[at + 32:at + 32 + 5] = payload[:5]
    ready.put(w.lane)
    ready.close()
    ready.join_thread()  # the queue's feeder thread must deliver before we die
    os.kill(os.getpid(), signal.SIGKILL)


def _hold_lane(name: str, ready, release) -> None:
    with Channel.open(name) as ch, ch.writer("holder") as w:
        ready.put(w.lane)
        release.wait(30)


# ---------------------------------------------------------------- basics

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
        child = spawn.Process(target=_hold_lane, args=(shm_name, ready, release))
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


# ---------------------------------------------------------------- many processes

def start_writers(name: str, writers: int, per_writer: int, stop=None) -> tuple[list, object, object]:
    """Writer processes sending [tag, i] for i in range(per_writer), all at once, each
    on a lane of its own, until ``stop`` is set if one is given. The event and queue
    come back too: the children need them.

    Every writer claims its lane before any sends: a writer that finished first would
    otherwise hand its lane to a late one, and the two together could lap a reader.
    """
    start, claimed = spawn.Event(), spawn.Queue()
    procs = [spawn.Process(target=_send_numbers, args=(name, per_writer, t, start, claimed, stop))
             for t in range(writers)]
    for p in procs:
        p.start()
    lanes = {claimed.get(timeout=60) for _ in procs}
    assert len(lanes) == writers
    start.set()
    return procs, start, claimed


def test_four_writer_processes_reach_one_reader_complete_and_in_order(shm_name):
    writers, per_writer = 4, 20_000
    with Channel.create(shm_name, lanes=8, lane_size=1 << 20) as ch:
        reader = ch.reader()
        procs, *_keep = start_writers(shm_name, writers, per_writer)
        msgs = drain(reader, writers * per_writer, timeout=120)
        for p in procs:
            p.join(60)
    # Each lane holds all of its writer's 20,000 records, so nothing can be lapped.
    assert reader.lost == 0 and reader.corrupt == 0
    by_writer: dict[int, list[int]] = {}
    for m in msgs:
        tag, i = m.value
        by_writer.setdefault(tag, []).append(i)
    assert by_writer == {t: list(range(per_writer)) for t in range(writers)}


def test_readers_started_while_writers_commit_count_no_false_loss_or_corruption(shm_name):
    # A reader starting "now" must learn the next sequence number of each lane. The
    # writer commits ``tail`` and then ``message_count``; a reader that paired one
    # with the other caught them a record apart: a good record counted corrupt (and
    # the rest of the lane skipped as lost), or a false "lost 1". Either shows at the
    # first records a reader gets, so each reader is checked that far, then the next
    # one starts: hundreds of starts while the writers commit.
    writers, limit = 4, 300_000  # at most 12 MB a lane: nothing is lapped
    with Channel.create(shm_name, lanes=writers, lane_size=16 << 20) as ch:
        stop = spawn.Event()
        procs, *_keep = start_writers(shm_name, writers, limit, stop)
        started = started_mid_stream = 0
        while started < 300 and any(p.is_alive() for p in procs):
            reader = ch.reader()
            dated = list(reader._seq)  # what the reader learnt, at its start, comes next
            started += 1
            first: dict[int, int] = {}
            last: dict[int, int] = {}
            for _ in range(20):
                for m in reader.wait(0.05):
                    first.setdefault(m.lane, m.seq)
                    assert m.seq == last.get(m.lane, m.seq - 1) + 1  # in order, none skipped
                    last[m.lane] = m.seq
                if len(first) == writers:
                    break
            assert (reader.lost, reader.corrupt) == (0, 0)
            assert all(dated[lane] == seq for lane, seq in first.items()), (dated, first)
            started_mid_stream += sum(seq > 0 for seq in first.values())
        stop.set()
        for p in procs:
            p.join(60)
    assert started_mid_stream > 0  # the race was there to be lost


def test_a_slow_reader_is_lapped_and_counts_exactly_what_it_lost(shm_name):
    writers, per_writer = 4, 20_000
    with Channel.create(shm_name, lanes=4, lane_size=4096) as ch:  # tiny rings: lapping is certain
        reader = ch.reader()
        procs, *_keep = start_writers(shm_name, writers, per_writer)
        msgs: list[Message] = []
        while any(p.is_alive() for p in procs):
            msgs.extend(reader.poll())
            time.sleep(0.002)  # the slow part
        for p in procs:
            p.join(60)
        msgs.extend(reader.poll())
    assert reader.lost > 0
    assert len(msgs) + reader.lost == writers * per_writer
    seen: dict[int, list[int]] = {}
    for m in msgs:
        tag, i = m.value
        seen.setdefault(tag, []).append(i)
    assert all(v == sorted(set(v)) for v in seen.values())


def test_a_writer_killed_mid_record_leaves_no_partial_message_and_its_lane_is_reusable(shm_name):
    with Channel.create(shm_name, lanes=2, lane_size=4096) as ch:
        reader = ch.reader()
        ready = spawn.Queue()
        child = spawn.Process(target=_die_mid_record, args=(shm_name, ready))
        child.start()
        dead_lane = ready.get(timeout=30)
        child.join(30)
        assert child.exitcode == -signal.SIGKILL
        assert [m.value for m in reader.poll()] == ["one", "two"]
        assert not ch.lane_is_claimed(dead_lane)
        with ch.writer("heir") as heir:
            assert heir.lane == dead_lane
            heir.send("three")
            msgs = reader.poll()
            assert [(m.lane, m.seq, m.value) for m in msgs] == [(dead_lane, 2, "three")]
            assert reader.senders[msgs[0].pid] == "heir"
            with ch.writer("other") as other:  # the other lanes go on too
                other.send("elsewhere")
            assert [(m.lane, m.value) for m in reader.poll()] == [(1 - dead_lane, "elsewhere")]
        assert reader.lost == 0 and reader.corrupt == 0


# ---------------------------------------------------------------- damage

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
