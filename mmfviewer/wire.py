"""THE wire format of an mmfviewer channel: every offset, size and rule, in one place.

A channel is one shared-memory segment: a segment header, then N lanes. Each lane
belongs to one writer process at a time and is a ring of records that any number of
readers may read without ever blocking the writer (broadcast). docs/FORMAT.md tells
the same story for C, C# and Rust programmers. All integers are little-endian.

::

    segment
    +--------------------+ 0
    | segment header     |  SEGMENT_HEADER_SIZE (128) bytes
    +--------------------+ 128
    | lane 0 header      |  LANE_HEADER_SIZE (256) bytes
    | lane 0 ring        |  capacity bytes (a power of two)
    +--------------------+ 128 + stride        (stride = 256 + capacity)
    | lane 1 header      |
    | lane 1 ring        |
    +--------------------+ ...

    segment header                       lane header (every field is one aligned word)
    0   8s  magic  "MMFVCHAN"            0    u32 owner_pid     (0 = never owned)
    8   u16 version (1)                  4    u32 generation    (+1 at every claim)
    10  u16 header_size (128)            8    u64 tail_intent   (see "writing")
    12  u16 lane_header_size (256)       16   u64 tail          (committed end)
    14  u16 lane_count                   24   u64 message_count (= next seq)
    16  u64 lane_capacity                32   i64 heartbeat_ns  (unix ns)
    24  u64 lane_stride                  40   64s owner_name    (UTF-8, NUL padded)
    32  u64 segment_size (logical)       104  8 x u64 checkpoints
    40  i64 created_ns (unix ns)         168  88 bytes reserved (zero)
    48  u32 max_record_size
    52  u32 ready  ("RDY1" once built)
    56  72 bytes reserved (zero)

    record (8-byte aligned, never split by the end of the ring)
    0   u32 length     payload bytes
    4   u16 type       0 padding, 1 msgpack, 2 bytes, 3 UTF-8 text, 4 msgpack batch
    6   u16 count      messages in the record (1; N for a batch; 0 for padding)
    8   u64 seq        lane sequence number of the (first) message
    16  i64 timestamp  unix ns
    24  u32 crc32      CRC-32 (zlib/IEEE) of the payload
    28  u32 pid        sender process id
    32  payload, then zero padding to a multiple of 8

Positions are byte counts that only ever increase; a position's place in the ring is
``position & (capacity - 1)``. Writing a record of ``size`` bytes at position ``p``:
(1) if the record would cross the end of the ring, skip to the next lap: write a
padding record there when at least 32 bytes remain (fewer are skipped implicitly);
(2) make sure ``tail_intent >= p + size`` (a writer may announce ahead, in steps);
(3) write the record; (4) store ``tail = p + size`` (the commit: a reader trusts
nothing past ``tail``), then ``message_count`` and ``heartbeat_ns``. Every lane-header
field is stored as one aligned 8-byte word, never byte by byte, so a reader never
sees half of one.

A reader copies records between its position and ``tail``, then re-reads
``tail_intent``: bytes at positions below ``tail_intent - capacity`` may have been
overwritten during the copy and are discarded (the reader was lapped). It resumes at a
checkpoint (the position of the first record written in each eighth of the ring) and
counts the messages it missed from the gap in sequence numbers.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from .errors import FormatError

MAGIC = b"MMFVCHAN"
VERSION = 1
READY = 0x31594452  # b"RDY1" read as a little-endian u32

# ------------------------------------------------------------------ segment header

SEGMENT_HEADER = struct.Struct("<8sHHHHQQQqII")
SEGMENT_HEADER_SIZE = 128
READY_OFFSET = 52  # the u32 written last when a channel is built
READY_WORD = struct.Struct("<I")
assert SEGMENT_HEADER.size == 56 and SEGMENT_HEADER.size <= SEGMENT_HEADER_SIZE

# ------------------------------------------------------------------ lane header

LANE_HEADER_SIZE = 256
CHECKPOINTS = 8
LANE_STATE = struct.Struct(f"<IIQQQq64s{CHECKPOINTS}Q")  # the used part, for snapshots
LANE_NAME = struct.Struct("<64s")
U64 = struct.Struct("<Q")
NAME_OFFSET = 40
# Fields that change while others read them are written as whole words through a
# memoryview cast to "Q" (struct.pack_into zero-fills before it writes, which a
# concurrent reader could see). These are their indexes, in words from the lane start.
OWNER_WORD = 0        # owner_pid | generation << 32
INTENT_WORD = 1
TAIL_WORD = 2
COUNT_WORD = 3
HEARTBEAT_WORD = 4
CHECKPOINT_WORD = 13  # 8 words
assert LANE_STATE.size == 8 * (CHECKPOINT_WORD + CHECKPOINTS) <= LANE_HEADER_SIZE
assert struct.calcsize("<IIQQQq") == NAME_OFFSET

# ------------------------------------------------------------------ records

RECORD_HEADER = struct.Struct("<IHHQqII")  # length, type, count, seq, ts, crc, pid
RECORD_HEADER_SIZE = RECORD_HEADER.size
RECORD_ALIGN = 8
assert RECORD_HEADER_SIZE == 32

TYPE_PADDING = 0
TYPE_MSGPACK = 1
TYPE_BYTES = 2
TYPE_TEXT = 3
TYPE_MSGPACK_BATCH = 4
TYPE_NAMES = {TYPE_PADDING: "padding", TYPE_MSGPACK: "msgpack", TYPE_BYTES: "bytes",
              TYPE_TEXT: "text", TYPE_MSGPACK_BATCH: "msgpack-batch"}

MIN_CAPACITY = 1024
MAX_LANES = 1024
DEFAULT_LANES = 8
DEFAULT_CAPACITY = 1 << 20


def record_size(payload_length: int) -> int:
    """Bytes a record with this payload takes in the ring, header and padding included."""
    return (RECORD_HEADER_SIZE + payload_length + RECORD_ALIGN - 1) & ~(RECORD_ALIGN - 1)


def max_record_size(capacity: int) -> int:
    """The largest record a lane takes: a quarter of the ring, so a reader copying a
    record always has three quarters of a lap of slack before it is overwritten."""
    return capacity // 4


def max_payload(capacity: int) -> int:
    """The largest payload one record may carry in a lane of ``capacity`` bytes."""
    return max_record_size(capacity) - RECORD_HEADER_SIZE


def lane_stride(capacity: int) -> int:
    """Bytes from the start of one lane to the next."""
    return LANE_HEADER_SIZE + capacity


def lane_offset(lane: int, capacity: int) -> int:
    """Where lane ``lane``'s header starts in the segment."""
    return SEGMENT_HEADER_SIZE + lane * lane_stride(capacity)


def ring_offset(lane: int, capacity: int) -> int:
    """Where lane ``lane``'s ring starts in the segment."""
    return lane_offset(lane, capacity) + LANE_HEADER_SIZE


def segment_size(lanes: int, capacity: int) -> int:
    """The logical size of a channel with these dimensions."""
    return SEGMENT_HEADER_SIZE + lanes * lane_stride(capacity)


def capacity_for(total_size: int, lanes: int) -> int:
    """The largest power-of-two lane capacity that fits ``lanes`` lanes in ``total_size``."""
    room = (total_size - SEGMENT_HEADER_SIZE) // max(lanes, 1) - LANE_HEADER_SIZE
    if room < MIN_CAPACITY:
        raise FormatError(
            f"{total_size} bytes cannot hold {lanes} lanes of at least {MIN_CAPACITY} bytes; "
            f"{lanes} lanes need at least {segment_size(lanes, MIN_CAPACITY)} bytes")
    return 1 << (room.bit_length() - 1)


def ring_capacity_for(rings_size: int, lanes: int) -> int:
    """The largest power-of-two lane capacity whose ``lanes`` rings fit in ``rings_size``."""
    each = rings_size // max(lanes, 1)
    if each < MIN_CAPACITY:
        raise FormatError(f"{rings_size} bytes cannot hold {lanes} lanes of at least {MIN_CAPACITY} "
                          f"bytes; their rings need at least {lanes * MIN_CAPACITY} bytes")
    return 1 << (each.bit_length() - 1)


def checkpoint_slot(position: int, capacity: int) -> int:
    """Which eighth of the ring ``position`` falls in (the checkpoint slot it updates)."""
    return (position & (capacity - 1)) * CHECKPOINTS // capacity


def validate_dimensions(lanes: int, capacity: int) -> None:
    """Raise :class:`FormatError` stating the rule when lane count or capacity is wrong."""
    if not 1 <= lanes <= MAX_LANES:
        raise FormatError(f"lane count must be between 1 and {MAX_LANES}, got {lanes}")
    if capacity < MIN_CAPACITY or capacity & (capacity - 1):
        raise FormatError(
            f"lane capacity must be a power of two of at least {MIN_CAPACITY} bytes, got {capacity}")


@dataclass(frozen=True)
class SegmentHeader:
    """The decoded segment header of a channel."""

    version: int
    header_size: int
    lane_header_size: int
    lane_count: int
    lane_capacity: int
    lane_stride: int
    segment_size: int
    created_ns: int
    max_record_size: int
    ready: bool

    def pack(self) -> bytes:
        """The header's bytes, with the ready word unset (it is written last, apart)."""
        return SEGMENT_HEADER.pack(
            MAGIC, self.version, self.header_size, self.lane_header_size, self.lane_count,
            self.lane_capacity, self.lane_stride, self.segment_size, self.created_ns,
            self.max_record_size, 0)

    @classmethod
    def new(cls, lanes: int, capacity: int, created_ns: int) -> SegmentHeader:
        """The header of a fresh channel with these dimensions."""
        validate_dimensions(lanes, capacity)
        return cls(VERSION, SEGMENT_HEADER_SIZE, LANE_HEADER_SIZE, lanes, capacity,
                   lane_stride(capacity), segment_size(lanes, capacity), created_ns,
                   max_record_size(capacity), ready=False)


def looks_like_channel(data: bytes) -> bool:
    """True when ``data`` starts with the channel magic (cheap; no validation)."""
    return data[:len(MAGIC)] == MAGIC


def parse_segment_header(data: bytes, actual_size: int) -> SegmentHeader:
    """Decode and check a segment header; every rule broken names itself and the value.

    ``actual_size`` is the segment's live size: a header promising more than that
    means the segment was truncated.
    """
    if len(data) < SEGMENT_HEADER.size:
        raise FormatError(f"a channel header is {SEGMENT_HEADER_SIZE} bytes, only {len(data)} present")
    (magic, version, header_size, lane_header_size, lanes, capacity, stride, size,
     created_ns, max_record, ready) = SEGMENT_HEADER.unpack_from(data)
    if magic != MAGIC:
        raise FormatError(f"not a channel: magic is {magic!r}, expected {MAGIC!r}")
    if version != VERSION:
        raise FormatError(f"channel format version {version} is not supported (this is version {VERSION})")
    if header_size != SEGMENT_HEADER_SIZE or lane_header_size != LANE_HEADER_SIZE:
        raise FormatError(
            f"header sizes must be {SEGMENT_HEADER_SIZE}/{LANE_HEADER_SIZE}, got {header_size}/{lane_header_size}")
    validate_dimensions(lanes, capacity)
    if stride != lane_stride(capacity):
        raise FormatError(f"lane stride must be {lane_stride(capacity)} for capacity {capacity}, got {stride}")
    if size != segment_size(lanes, capacity):
        raise FormatError(f"segment size must be {segment_size(lanes, capacity)} for {lanes} lanes "
                          f"of {capacity} bytes, got {size}")
    if max_record != max_record_size(capacity):
        raise FormatError(f"max record size must be {max_record_size(capacity)}, got {max_record}")
    if actual_size < size:
        raise FormatError(f"the channel needs {size} bytes but the segment has only {actual_size}: "
                          "it was truncated")
    return SegmentHeader(version, header_size, lane_header_size, lanes, capacity, stride, size,
                         created_ns, max_record, ready == READY)


@dataclass(frozen=True)
class LaneState:
    """A snapshot of one lane header, as readers and viewers see it."""

    lane: int
    owner_pid: int
    generation: int
    tail_intent: int
    tail: int
    message_count: int
    heartbeat_ns: int
    owner_name: str
    checkpoints: tuple[int, ...]

    @classmethod
    def unpack(cls, lane: int, data: bytes | memoryview, offset: int = 0) -> LaneState:
        """Decode a lane header from ``data`` at ``offset``."""
        (pid, gen, intent, tail, count, heartbeat, name,
         *checkpoints) = LANE_STATE.unpack_from(data, offset)
        return cls(lane, pid, gen, intent, tail, count, heartbeat,
                   name.rstrip(b"\0").decode("utf-8", "replace"), tuple(checkpoints))


def encode_owner_name(name: str) -> bytes:
    """An owner name as stored: UTF-8, cut to 64 bytes on a character boundary."""
    raw = name.encode("utf-8")[:LANE_NAME.size]
    return raw.decode("utf-8", "ignore").encode("utf-8")
