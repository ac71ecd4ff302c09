"""docs/FORMAT.md is enough to interoperate: a reader and a writer written from it alone.

``PlainReader`` and ``PlainWriter`` (tests/plain_channel.py) were written from
docs/FORMAT.md only, without ``mmfviewer.channel`` or ``mmfviewer.wire``. The tests
make them talk to the library's own writer and reader (``mmfviewer.channel.Channel``
plays the other side) and check them in corner cases.
"""

from __future__ import annotations

import os
import random
import struct

import pytest

from mmfviewer.channel import Channel

from .plain_channel import OWNER, PlainReader, PlainWriter, parse_header

# ---------------------------------------------------------------- helpers

CAP = 64 * 1024


@pytest.fixture
def channel(shm_name):
    ch = Channel.create(shm_name, lanes=4, lane_size=CAP)
    yield ch
    ch.close()


def room_left(tail: int) -> int:
    return CAP - (tail & (CAP - 1))


def bytes_leaving(tail: int, leave: int) -> list[bytes]:
    """Raw-bytes payloads that, sent from ``tail``, leave exactly ``leave`` bytes before
    the end of the ring (so the next big record must skip or pad)."""
    out = []
    while not 32 <= room_left(tail) - leave <= CAP // 4:
        out.append(bytes(4000))
        tail += 4032 if room_left(tail) >= 4032 else room_left(tail) + 4032
    return out + [bytes(room_left(tail) - leave - 32)]


def random_message(rng: random.Random, i: int):
    """(kind, value) with a size anywhere from a few bytes to an eighth of the ring."""
    n = rng.choice([0, 5, 40, 300, 1000, 3000, CAP // 8 - 64])
    kind = rng.choice(["send", "text", "bytes"])
    if kind == "send":
        return kind, {"title": f"m{i}", "content": "x" * n, "n": i}
    if kind == "text":
        return kind, f"{i}:" + "é" * (n // 2)
    return kind, rng.randbytes(n)


TYPE_OF = {"send": 1, "bytes": 2, "text": 3}


def drain(reader, polls: int = 20) -> list:
    got: list = []
    for _ in range(polls):
        got += reader.poll()
    return got


# ---------------------------------------------------------------- the tests

def test_plain_reader_reads_what_the_library_writer_sends(channel, shm_name):
    reader = PlainReader(shm_name, "now")
    writer = channel.writer(name="lib-writer")
    rng, sent, got = random.Random(1), [], []   # sent: (seq, type, value)

    def send(kind, value):
        seq = {"send": writer.send, "text": writer.send_text, "bytes": writer.send_bytes}[kind](value)
        sent.append((seq, TYPE_OF[kind], value))
        if len(sent) % 4 == 0:                  # often enough never to be lapped
            got.extend(reader.poll())

    send("send", {"title": "Hi", "content": "The world is going down."})
    send("text", "grüße")
    send("bytes", b"\x00\x01\xff")
    first = writer.next_seq
    assert writer.send_many([{"i": i} for i in range(50)] + ["s", b"b", None]) == 53
    sent += [(first + i, 4, v) for i, v in enumerate([{"i": i} for i in range(50)] + ["s", b"b", None])]
    for i in range(400):                        # several laps, with both kinds of wrap
        if i % 100 in (10, 60):
            tail = channel.lane_states()[writer.lane].tail
            for filler in bytes_leaving(tail, 16 if i % 100 == 10 else 48):
                send("bytes", filler)
            send("bytes", bytes(CAP // 8))
        send(*random_message(rng, i))
    got += drain(reader)

    assert [(s, t, v) for (_lane, s, t, _pid, v) in got] == sent
    assert {(lane, pid) for (lane, _s, _t, pid, _v) in got} == {(writer.lane, os.getpid())}
    assert reader.lost == reader.corrupt == 0
    assert reader.paddings >= 4 and reader.short_skips >= 4
    owner = reader.word(writer.lane, OWNER)
    assert (owner & 0xFFFFFFFF, owner >> 32) == (os.getpid(), 1)
    name = reader.map[reader.lane_at(writer.lane) + 40:][:64].rstrip(b"\0")
    assert name == b"lib-writer"
    # A late reader starting "oldest" gets the most recent messages, in order, none lost.
    late_reader = PlainReader(shm_name, "oldest")
    late = drain(late_reader)
    assert late and [(s, t, v) for (_l, s, t, _p, v) in late] == sent[-len(late):]
    assert late_reader.lost == late_reader.corrupt == 0


def test_library_reader_reads_what_the_plain_writer_sends(channel, shm_name):
    lib = Channel.open(shm_name)
    reader = lib.reader(start="now")
    writer = PlainWriter(shm_name, label="plain-π")
    rng, sent, got = random.Random(2), [], []

    def send(kind, value):
        seq = {"send": writer.send, "text": writer.send_text, "bytes": writer.send_bytes}[kind](value)
        sent.append((seq, TYPE_OF[kind], value))
        if len(sent) % 4 == 0:                  # often enough never to be lapped
            got.extend(reader.poll())

    try:
        for i in range(600):                    # about 15 laps of the ring
            if i % 150 in (20, 90):
                for filler in bytes_leaving(writer.tail, 8 if i % 150 == 20 else 64):
                    send("bytes", filler)
                send("bytes", bytes(5000))
            send(*random_message(rng, i))
            if i % 50 == 0:
                batch = [i, "two", {"three": 3}, b"four"]
                first = writer.send_batch(batch)
                sent += [(first + k, 1, v) for k, v in enumerate(batch)]
        got += drain(reader)
        assert writer.paddings >= 4 and writer.short_skips >= 4 and writer.tail > 10 * CAP
        assert [(m.seq, m.type, m.value) for m in got] == sent
        assert {(m.lane, m.pid) for m in got} == {(writer.lane, os.getpid())}
        assert reader.lost == reader.corrupt == 0
        assert reader.senders == {os.getpid(): "plain-π"}
        state = lib.lane_states()[writer.lane]
        assert (state.owner_pid, state.generation, state.message_count) == (os.getpid(), 1, len(sent))
        assert lib.lane_is_claimed(writer.lane)
    finally:
        writer.close()
        lib.close()


def test_plain_and_library_writers_get_different_lanes(channel, shm_name):
    plain = PlainWriter(shm_name)
    lib_writer = channel.writer()               # must skip the lane the plain writer holds
    second_plain = PlainWriter(shm_name)        # and a second plain writer skips both
    try:
        lanes = [plain.lane, lib_writer.lane, second_plain.lane]
        assert len(set(lanes)) == 3 and plain.lane == 0
        reader = channel.reader(start="now")
        plain_reader = PlainReader(shm_name, "now")
        plain.send("from plain")
        lib_writer.send("from library")
        second_plain.send_text("from second plain")
        expected = {(plain.lane, "from plain"), (lib_writer.lane, "from library"),
                    (second_plain.lane, "from second plain")}
        assert {(m.lane, m.value) for m in reader.poll()} == expected
        assert {(lane, v) for (lane, _s, _t, _p, v) in plain_reader.poll()} == expected
    finally:
        plain.close()
        second_plain.close()
    # The plain writer's lock went with its descriptor: the lane is free again, and a
    # library writer there continues the lane's sequence numbers ("Claiming a lane").
    assert not channel.lane_is_claimed(0)
    successor = channel.writer()
    assert successor.lane == 0 and successor.send("next") == 1
    assert channel.lane_states()[0].generation == 2
    successor.close()
    lib_writer.close()


@pytest.mark.parametrize("writer_kind", ["library", "plain"])
def test_plain_reader_lapped_counts_exactly_what_it_lost(channel, shm_name, writer_kind):
    reader, lib_reader = PlainReader(shm_name, "now"), channel.reader(start="now")
    writer = channel.writer() if writer_kind == "library" else PlainWriter(shm_name)
    rng = random.Random(3)
    # Records up to a quarter of the ring leave some checkpoints a lap (or more) old.
    values = [rng.randbytes(rng.choice([10, 200, 1500, 6000, CAP // 4 - 32])) for _ in range(300)]
    for v in values:                            # several rings' worth, nobody reading
        writer.send_bytes(v)
    state = channel.lane_states()[writer.lane]
    assert state.tail > 3 * CAP and state.tail_intent >= state.tail
    got, lib_got = drain(reader), drain(lib_reader)
    writer.close()
    assert lib_got and len(lib_got) + lib_reader.lost == len(values)

    seqs = [s for (_l, s, _t, _p, _v) in got]
    assert got and reader.lost > 0 and reader.corrupt == 0   # resumed at a checkpoint
    assert len(got) + reader.lost == len(values)
    assert seqs == list(range(reader.lost, len(values)))   # the newest, contiguous
    assert [v for (*_, v) in got] == values[reader.lost:]


def test_plain_reader_discards_a_copy_overwritten_while_copying(channel, shm_name):
    reader = PlainReader(shm_name, "now")
    writer = channel.writer()
    sent = [bytes([i % 256]) * 900 for i in range(500)]
    for v in sent[:40]:
        writer.send_bytes(v)
    more = iter(sent[40:])
    calls = []

    def overwrite():                            # the writer laps us during the first copy
        if not calls:
            calls.append(1)
            for _ in range(200):
                writer.send_bytes(next(more))

    got = reader.poll(during_copy=overwrite) + drain(reader)
    for v in more:
        writer.send_bytes(v)
    got += drain(reader)
    assert reader.lost > 0 and reader.corrupt == 0
    assert len(got) + reader.lost == len(sent)
    assert all(v == sent[s] for (_l, s, _t, _p, v) in got)


def test_plain_reader_skips_a_corrupt_record_and_counts_it(channel, shm_name):
    reader = PlainReader(shm_name, "now")
    writer = channel.writer()
    sent = [f"message {i}" for i in range(20)]
    for text in sent[:10]:
        writer.send_text(text)
    at = 128 + writer.lane * (256 + CAP) + 256 + 5 * ((32 + 9 + 7) & ~7) + 32
    channel.segment.buf[at] ^= 0xFF             # one payload byte of message 5
    got = reader.poll()
    # Its length still fits what follows: only its own message is missed, counted corrupt.
    assert [v for (*_, v) in got] == sent[:5] + sent[6:10] and (reader.corrupt, reader.lost) == (1, 0)
    for text in sent[10:]:
        writer.send_text(text)
    got += drain(reader)
    assert [v for (*_, v) in got] == sent[:5] + sent[6:] and (reader.corrupt, reader.lost) == (1, 0)
    assert len(got) + reader.corrupt + reader.lost == len(sent)


def test_plain_reader_rejects_headers_that_break_the_table(channel, shm_name):
    good = bytes(PlainReader(shm_name).map[:128])
    assert parse_header(good)["cap"] == CAP and parse_header(good)["ready"]
    for offset, fmt, value in [(0, "8s", b"MMFVCHAX"), (8, "H", 2), (14, "H", 0),
                               (16, "Q", CAP + 8), (24, "Q", CAP), (32, "Q", 1), (48, "I", CAP)]:
        bad = bytearray(good)
        struct.pack_into("<" + fmt, bad, offset, value)
        with pytest.raises(ValueError):
            parse_header(bytes(bad))


def test_nonzero_reserved_bytes_are_ignored_by_both_readers(channel, shm_name):
    writer = channel.writer()
    writer.send("before")
    buf = channel.segment.buf
    buf[56:128] = b"\xab" * 72                                  # the segment header's reserved bytes
    lane_at = 128 + writer.lane * (256 + CAP)
    buf[lane_at + 168:lane_at + 256] = b"\xcd" * 88              # a lane header's reserved bytes
    plain, ours = PlainReader(shm_name, "oldest"), Channel.open(shm_name, readonly=True)
    try:
        assert [v for (*_, v) in plain.poll()] == ["before"]
        assert [m.value for m in ours.reader(start="oldest").poll()] == ["before"]
    finally:
        ours.close()


def test_the_first_lap_intent_check_needs_no_negative_numbers(channel, shm_name):
    reader = PlainReader(shm_name, "oldest")
    writer = channel.writer()
    for i in range(5):  # far from a lap: tail_intent − cap would be negative
        writer.send(i)
    assert [v for (*_, v) in reader.poll()] == [0, 1, 2, 3, 4] and reader.lost == 0


def test_a_lane_laid_out_again_is_read_afresh_by_both_readers(channel, shm_name):
    plain, ours = PlainReader(shm_name, "now"), channel.reader()
    with channel.writer() as writer:
        for i in range(50):
            writer.send(i)
    assert len(drain(plain)) == 50 and len(ours.poll()) == 50
    Channel.format(channel.segment, lanes=channel.lanes, lane_size=CAP).detach()
    with channel.writer() as writer:
        for i in range(3):
            writer.send(f"new {i}")
    assert [v for (*_, v) in drain(plain)] == ["new 0", "new 1", "new 2"] and plain.restarts == 1
    assert [m.value for m in ours.poll()] == ["new 0", "new 1", "new 2"] and ours.resets == 1
