"""A channel reader and writer written from docs/FORMAT.md alone.

``PlainReader`` and ``PlainWriter`` were written from docs/FORMAT.md only, with
nothing but ``struct``, ``mmap``, ``zlib.crc32``, ``fcntl``, ``msgpack`` and ``os`` -
no ``mmfviewer.channel`` or ``mmfviewer.wire``. Comments name the section of the
document a rule comes from, and the writer takes the steps of "Sending one record" in
the document's order. tests/test_format_doc.py makes them talk to the library's own
writer and reader and checks them in corner cases.
"""

from __future__ import annotations

import fcntl
import mmap
import os
import struct
import time
import zlib

import msgpack

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
