"""docs/FORMAT.md is enough to interoperate: a reader and a writer written from it alone.

``PlainReader`` and ``PlainWriter`` below were written from docs/FORMAT.md only, with
nothing but ``struct``, ``mmap``, ``zlib.crc32``, ``fcntl``, ``msgpack`` and ``os`` -
no ``mmfviewer.channel`` or ``mmfviewer.wire``. Comments name the section of the
document a rule comes from, and the writer takes the steps of "Sending one record" in
the document's order. The tests make them talk to the library's own writer and reader
(``mmfviewer.channel.Channel`` plays the other side) and check them in corner cases.
"""

from __future__ import annotations

import fcntl
import mmap
import os
import random
import struct
import time
import zlib

import msgpack
import pytest

from mmfviewer.channel import Channel

# ---------------------------------------------------------------- the plain side

SEG = struct.Struct("<8sHHHHQQQqII")        # "Segment header"
REC = struct.Struct("<IHHQqII")             # "Records": length type count seq ts crc pid
READY = 0x31594452
OWNER, INTENT, TAIL, COUNT, HEARTBEAT, NAME, CHECKPOINT = 0, 1, 2, 3, 4, 5, 13  # lane words


def parse_header(data: bytes) -> dict:
    """The segment header as a dict; ValueError for any field that breaks the table."""
    (magic, version, hsize, lhsize, lanes, cap, stride, size, _created, max_record,
     ready) = SEG.unpack_from(data)
    rules = {"magic": magic == b"MMFVCHAN", "version": version == 1,
             "header_size": hsize == 128, "lane_header_size": lhsize == 256,
             "lane_count": 1 <= lanes <= 1024,
             "lane_capacity": cap >= 1024 and cap & (cap - 1) == 0,
             "lane_stride": stride == 256 + cap, "segment_size": size == 128 + lanes * stride,
             "max_record_size": max_record == cap // 4}
    broken = [field for field, ok in rules.items() if not ok]
    if broken:
        raise ValueError(f"not a valid version-1 channel header: {broken}")
    return {"lanes": lanes, "cap": cap, "size": size, "max_record": max_record,
            "ready": ready == READY}


class _Mapped:
    """The segment mapped whole ("The segment"); lane-header words via a "Q" view."""

    def __init__(self, name: str, writable: bool, timeout: float = 1.0) -> None:
        fd = os.open(f"/dev/shm/{name}", os.O_RDWR if writable else os.O_RDONLY)
        try:
            self.map = mmap.mmap(fd, os.fstat(fd).st_size,
                                 prot=mmap.PROT_READ | (mmap.PROT_WRITE if writable else 0))
        finally:
            os.close(fd)
        deadline = time.monotonic() + timeout
        while not (h := parse_header(self.map[:128]))["ready"]:  # wait for `ready`
            assert time.monotonic() < deadline, "channel never became ready"
            time.sleep(0.005)
        if len(self.map) < h["size"]:         # sizes come from the header, not the mapping
            raise ValueError(f"segment holds {len(self.map)} bytes, the channel needs {h['size']}")
        self.lanes, self.cap, self.max_record = h["lanes"], h["cap"], h["max_record"]
        self.words = memoryview(self.map)[:h["size"]].cast("Q")

    def lane_at(self, lane: int) -> int:
        return 128 + lane * (256 + self.cap)

    def word(self, lane: int, index: int) -> int:
        return self.words[self.lane_at(lane) // 8 + index]

    def store(self, lane: int, index: int, value: int) -> None:
        self.words[self.lane_at(lane) // 8 + index] = value


class PlainReader(_Mapped):
    """"Reading": per lane a position and the expected sequence number."""

    def __init__(self, name: str, start: str = "now") -> None:
        super().__init__(name, writable=False)
        self.lost = self.corrupt = self.paddings = self.short_skips = self.restarts = 0
        self.pos, self.expected = [0] * self.lanes, [0] * self.lanes
        self.garbled = [False] * self.lanes     # a corrupt record skipped since the last good one
        for lane in range(self.lanes):
            self.start_now(lane)
            if start == "oldest":
                self.start_oldest(lane)

    def start_oldest(self, lane: int) -> None:
        tail, intent = self.word(lane, TAIL), self.word(lane, INTENT)
        ok = [c for c in self.checkpoints(lane) if c + self.cap >= intent and c < tail]  # no underflow
        if ok:
            self.pos[lane] = min(ok)
            self.expected[lane] = REC.unpack_from(self.map, self.ring(lane, min(ok)))[3]

    def ring(self, lane: int, position: int) -> int:
        return self.lane_at(lane) + 256 + (position & (self.cap - 1))

    def checkpoints(self, lane: int) -> list[int]:
        return [self.word(lane, CHECKPOINT + k) for k in range(8)]

    def start_now(self, lane: int) -> None:
        """"Start now": the seq at tail, walked from the largest checkpoint below it;
        tried again with a fresh tail, and left unknown (None) if it never works."""
        for _attempt in range(4):
            tail = self.word(lane, TAIL)
            self.pos[lane], self.expected[lane] = tail, (0 if tail == 0 else self.walk_to(lane, tail))
            if self.expected[lane] is not None:
                return

    def walk_to(self, lane: int, tail: int):
        intent = self.word(lane, INTENT)
        ok = [c for c in self.checkpoints(lane) if intent - self.cap <= c < tail]
        if not ok:
            return None
        position, seq = max(ok), None
        while position < tail:
            room = self.cap - (position & (self.cap - 1))
            if room >= 32:
                length, type_, count, first = REC.unpack_from(self.map, self.ring(lane, position))[:4]
                if type_ != 0:
                    if seq is not None and first != seq:
                        return None
                    seq, position = first + count, position + ((32 + length + 7) & ~7)
                    continue
            position += room
        if position != tail or max(ok) < self.word(lane, INTENT) - self.cap:
            return None
        return seq

    def skip_to_tail(self, lane: int) -> None:
        tail = self.word(lane, TAIL)
        total = self.word(lane, COUNT)
        most = ((tail - self.pos[lane]) // 32 + 1) * 65535
        if (self.word(lane, TAIL) == tail and self.expected[lane] is not None
                and self.expected[lane] < total <= self.expected[lane] + most):
            self.count_gap(lane, total - self.expected[lane])
            self.expected[lane] = total
        self.pos[lane] = tail

    def count_gap(self, lane: int, gap: int) -> None:
        if self.garbled[lane]:
            self.corrupt += gap
        else:
            self.lost += gap
        self.garbled[lane] = False

    def resync(self, lane: int) -> None:
        tail, intent = self.word(lane, TAIL), self.word(lane, INTENT)
        ok = [c for c in self.checkpoints(lane) if intent - self.cap + self.cap // 8 <= c < tail]
        if ok:
            self.pos[lane] = min(ok)
        else:
            self.skip_to_tail(lane)

    def poll(self, during_copy=None) -> list[tuple]:
        """(lane, seq, type, pid, value) of every new message. ``during_copy`` runs
        after ``tail`` is loaded, before the bytes are copied: a test's writer."""
        out: list[tuple] = []
        for lane in range(self.lanes):
            for _attempt in range(4):
                position, tail = self.pos[lane], self.word(lane, TAIL)
                if tail == position:
                    break
                if tail < position:                     # laid out again: start "oldest" afresh
                    self.restarts += 1
                    self.start_oldest(lane)
                    continue
                if tail - position > self.cap:
                    self.resync(lane)
                    continue
                if during_copy:
                    during_copy()
                ring, offset, n = self.lane_at(lane) + 256, position & (self.cap - 1), tail - position
                first = min(n, self.cap - offset)       # two pieces if it wraps
                data = self.map[ring + offset:ring + offset + first] + self.map[ring:ring + n - first]
                if position + self.cap < self.word(lane, INTENT):
                    self.resync(lane)
                    continue
                self.walk(lane, position, data, out)
                break
        return out

    def walk(self, lane: int, position: int, data: bytes, out: list[tuple]) -> None:
        i, cap = 0, self.cap
        while i < len(data):
            room = cap - ((position + i) & (cap - 1))
            if room < 32:                       # "Padding": too little room, next lap
                i, self.short_skips = i + room, self.short_skips + 1
                continue
            values = None
            size = 0
            if i + 32 <= len(data):
                length, type_, count, seq, _ts, crc, pid = REC.unpack_from(data, i)
                if type_ == 0:                  # a padding record: next lap
                    i, self.paddings = i + room, self.paddings + 1
                    continue
                size, payload = (32 + length + 7) & ~7, data[i + 32:i + 32 + length]
                # An undated start: the first good record gives the count its start.
                floor = seq if self.expected[lane] is None else self.expected[lane]
                if (size <= room and i + size <= len(data) and size <= self.max_record
                        and 1 <= type_ <= 4 and count >= 1 and seq >= floor
                        and zlib.crc32(payload) == crc):
                    values = self.decode(type_, count, payload)
            if values is None:                  # corrupt: its messages count as corrupt
                self.garbled[lane] = True
                if 0 < size <= room and i + size <= len(data) and self.plausible(data, i + size, position, lane):
                    i += size                   # its length looks right: go on
                    continue
                self.skip_to_tail(lane)         # (no checkpoint rule here: the tail will do)
                return
            if seq > floor:
                self.count_gap(lane, seq - floor)
            self.garbled[lane] = False
            out.extend((lane, seq + k, type_, pid, v) for k, v in enumerate(values))
            self.expected[lane] = seq + count
            i += size
        self.pos[lane] = position + i

    def plausible(self, data: bytes, j: int, position: int, lane: int) -> bool:
        """"What follows it is the end of the copy, the end of a lap, padding, or a
        header with a plausible type, count and length and seq ≥ expected"."""
        room = self.cap - ((position + j) & (self.cap - 1))
        if j == len(data) or room < 32 or len(data) - j < 32:
            return True
        length, type_, count, seq = REC.unpack_from(data, j)[:4]
        expected = self.expected[lane]
        return type_ == 0 or (1 <= type_ <= 4 and count >= 1 and 32 + length <= self.max_record
                              and (expected is None or seq >= expected))

    @staticmethod
    def decode(type_: int, count: int, payload: bytes) -> list | None:
        if type_ == 2:
            return [payload]
        if type_ == 3:
            return [payload.decode("utf-8")]
        unpacker = msgpack.Unpacker(raw=False, strict_map_key=False)
        unpacker.feed(payload)
        values = list(unpacker)
        return values if len(values) == (count if type_ == 4 else 1) else None


class PlainWriter(_Mapped):
    """"Writing": claim a lane with an OFD lock, then append records."""

    def __init__(self, name: str, label: str = "plain-writer") -> None:
        super().__init__(name, writable=True)
        self.lock_fd = os.open(f"/dev/shm/{name}", os.O_RDWR)  # a descriptor of our own
        self.pid, self.lane = os.getpid(), None
        for lane in range(self.lanes):
            flock = struct.pack("hhqqi4x", fcntl.F_WRLCK, os.SEEK_SET, self.lane_at(lane), 1, 0)
            try:
                fcntl.fcntl(self.lock_fd, fcntl.F_OFD_SETLK, flock)
            except (BlockingIOError, PermissionError):
                continue
            self.lane = lane
            break
        else:
            os.close(self.lock_fd)
            raise RuntimeError("no free lane")
        self.tail, self.intent, self.seq = (self.word(self.lane, w) for w in (TAIL, INTENT, COUNT))
        raw = label.encode("utf-8")[:64].ljust(64, b"\0")
        for k in range(8):                                           # owner_name, as words
            self.store(self.lane, NAME + k, int.from_bytes(raw[8 * k:8 * k + 8], "little"))
        generation = self.word(self.lane, OWNER) >> 32
        self.store(self.lane, OWNER, self.pid | ((generation + 1) & 0xFFFFFFFF) << 32)
        self.store(self.lane, HEARTBEAT, time.time_ns())
        self.slot, self.paddings, self.short_skips = None, 0, 0

    def close(self) -> None:
        os.close(self.lock_fd)                  # the kernel drops the lock with it
        self.words.release()
        self.map.close()

    def send(self, value) -> int:
        return self.append(msgpack.packb(value, use_bin_type=True), 1, 1)

    def send_text(self, text: str) -> int:
        return self.append(text.encode("utf-8"), 3, 1)

    def send_bytes(self, data: bytes) -> int:
        return self.append(bytes(data), 2, 1)

    def send_batch(self, values: list) -> int:
        return self.append(b"".join(msgpack.packb(v, use_bin_type=True) for v in values),
                           4, len(values))

    def append(self, payload: bytes, type_: int, count: int) -> int:
        """"Sending one record", steps 1 to 5; returns the (first) sequence number."""
        cap, lane, p = self.cap, self.lane, self.tail
        size = (32 + len(payload) + 7) & ~7
        assert size <= self.max_record, "too large for this channel"
        ring = self.lane_at(lane) + 256
        # 1. pad. (As written in the doc, the padding header goes out before step 2
        # raises tail_intent past it; the library raises tail_intent first.)
        if (p & (cap - 1)) + size > cap:
            room = cap - (p & (cap - 1))
            if room >= 32:
                REC.pack_into(self.map, ring + (p & (cap - 1)), room - 32, 0, 0, 0, 0, 0, 0)
                self.paddings += 1
            else:
                self.short_skips += 1
            p += room
        if p + size > self.intent:                                    # 2. announce
            self.intent = p + size
            self.store(lane, INTENT, self.intent)
        at, now = ring + (p & (cap - 1)), time.time_ns()              # 3. write
        REC.pack_into(self.map, at, len(payload), type_, count, self.seq, now,
                      zlib.crc32(payload), self.pid)
        self.map[at + 32:at + 32 + len(payload)] = payload
        slot = (p & (cap - 1)) // (cap // 8)                          # 4. checkpoint
        if slot != self.slot:
            self.slot = slot
            self.store(lane, CHECKPOINT + slot, p)
        first, self.tail, self.seq = self.seq, p + size, self.seq + count
        self.store(lane, TAIL, self.tail)                             # 5. commit
        self.store(lane, COUNT, self.seq)
        self.store(lane, HEARTBEAT, now)
        return first


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
