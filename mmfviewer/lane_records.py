"""Telling records apart in a lane's bytes: their checksum, and walking their chain.

A lane's ring holds records back to back, each after the previous one. A writer
taking over a lane and a reader starting on one both need the sequence number the
next record will carry, which only the records themselves tell reliably:
:func:`next_seq_at` walks the chain of record headers to find it. A reader that meets
a record failing its checks asks :func:`looks_like_a_record_at` and
:func:`chain_continues` whether the bytes around it still read as records. Kept apart
from the writer and the reader because both use it and neither imports the other.
"""

from __future__ import annotations

import struct
from collections.abc import Callable

try:  # the same CRC-32 as zlib's, 3x faster on small records and ~9x on large ones
    from isal.isal_zlib import crc32
except ImportError:  # pragma: no cover - isal has wheels for every common platform
    from zlib import crc32

from . import wire

__all__ = ["READ_CHUNK", "RECORD_START", "chain_continues", "crc32", "looks_like_a_record_at",
           "next_seq_at"]

READ_CHUNK = 64 * 1024  # bytes a reader takes from one lane per poll (at least one record)
RECORD_START = struct.Struct("<IHHQ")  # a record header's first fields: length, type, count, seq
_unpack_walk = RECORD_START.unpack_from
_WALK_SIZE = RECORD_START.size
_unpack_record = wire.RECORD_HEADER.unpack_from
_HEADER = wire.RECORD_HEADER_SIZE
_PADDING = wire.TYPE_PADDING
_BATCH = wire.TYPE_MSGPACK_BATCH


def next_seq_at(read: Callable[[int, int], bytes], lane_at: int, capacity: int, tail: int,
                intent: int, checkpoints: tuple[int, ...]) -> int | None:
    """The sequence number of the record that will start at ``tail`` in the lane
    whose header is at ``lane_at``, found by walking the committed record headers from
    the nearest checkpoint below ``tail`` (at most an eighth of the ring), taken in
    spans through ``read(offset, n)``. None when that is impossible: no checkpoint to
    start from, or headers that are not a chain of records ending exactly at
    ``tail``. ``0`` for a lane never written to."""
    if tail == 0:
        return 0
    mask = capacity - 1
    starts = [c for c in checkpoints if intent - capacity <= c < tail]
    if not starts:
        return None
    position = max(starts)
    if tail - position > capacity:
        return None  # no writer leaves a tail a lap past a checkpoint: the header is garbage
    ring, max_record = lane_at + wire.LANE_HEADER_SIZE, wire.max_record_size(capacity)
    seq = None
    span, span_at = b"", 0  # the copied bytes, from ring offset span_at
    while position < tail:
        offset = position & mask
        room = capacity - offset
        if room >= _HEADER:
            if not span_at <= offset <= span_at + len(span) - _WALK_SIZE:
                span, span_at = read(ring + offset, min(READ_CHUNK, room)), offset
            length, type_, count, first = _unpack_walk(span, offset - span_at)
            if type_ != _PADDING:
                size = (_HEADER + length + 7) & ~7
                if size > room or size > max_record or count == 0 or (seq is not None and first != seq):
                    return None  # not a chain of records
                seq = first + count
                position += size
                continue
        position += room
    return seq if position == tail else None


def looks_like_a_record_at(data: bytes, j: int, n: int, position: int, capacity: int,
                           expected: int | None) -> bool:
    """Whether what follows a failed record at ``j`` in the copy looks like the next
    record (so the failed one's length can be trusted), or like the end of the copy."""
    if j >= n:
        return j == n
    room = capacity - ((position + j) & (capacity - 1))
    if room < _HEADER or n - j < _HEADER:
        return True  # the end of a lap, or a header the next poll will see whole
    length, type_, count, seq = _unpack_walk(data, j)
    if type_ == _PADDING:
        return True
    return (type_ <= _BATCH and count > 0 and _HEADER + length <= capacity // 4
            and (expected is None or seq >= expected))


def chain_continues(data: bytes, j: int, n: int, next_seq: int) -> bool:
    """Whether the record at ``j`` in the copy carries ``next_seq`` and a checked payload."""
    if n - j < _HEADER:
        return False
    length, type_, count, seq, _ts, crc, _pid = _unpack_record(data, j)
    return bool(seq == next_seq and 0 < type_ <= _BATCH and count > 0 and j + _HEADER + length <= n
                and crc32(data[j + _HEADER:j + _HEADER + length]) == crc)

