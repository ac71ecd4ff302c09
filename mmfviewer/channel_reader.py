"""Receiving from a channel: a reader follows every lane and counts what it missed.

A reader copies each lane's new bytes, checks every record (length, type, CRC,
sequence number) and turns the good ones into :class:`~mmfviewer.message.Message`
objects; when it is lapped, or meets a record it cannot trust, it resynchronises at a
checkpoint and counts the messages lost or corrupt. Kept apart from
:mod:`mmfviewer.channel` (which makes readers) because this is most of the channel's
logic; writers are in :mod:`mmfviewer.channel_writer`.
"""

from __future__ import annotations

import gc
import struct
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, Literal

from . import wire
from .channel_io import ChannelBytes, channel_bytes
from .errors import ChannelTruncatedError
from .lane_records import (
    READ_CHUNK,
    RECORD_START,
    chain_continues,
    crc32,
    looks_like_a_record_at,
    next_seq_at,
)
from .message import UNDECODED, Message, split_batch

if TYPE_CHECKING:
    from .channel import Channel

Start = Literal["now", "oldest"]
_new_tuple = tuple.__new__
_unpack_record = wire.RECORD_HEADER.unpack_from
_unpack_length_type = struct.Struct("<IH").unpack_from
_unpack_walk = RECORD_START.unpack_from
_WALK_SIZE = RECORD_START.size
_CREATED_WORD = 40 // 8  # the segment header's created_ns, as a word
_LANE_WORDS = wire.CHECKPOINT_WORD + wire.CHECKPOINTS  # the lane-header words a reader loads
_HEADER = wire.RECORD_HEADER_SIZE
_PADDING = wire.TYPE_PADDING
_BATCH = wire.TYPE_MSGPACK_BATCH


class Reader:
    """Reads every lane of a channel in order; counts what it lost when lapped.

    The counts are exact: for every lane, messages received + ``lost`` + ``corrupt``
    equals messages sent since the reader started (once the reader has caught up
    with a quiet writer). ``lost`` counts messages overwritten before they were read
    (the reader was lapped); ``corrupt`` counts messages in records that failed their
    checks (length, type, CRC) and were skipped — the reader goes on with the next
    record when the failed one's length can be trusted, else at the next checkpoint.
    ``corrupt_records`` counts those records; ``resets`` the times a lane was found
    laid out again under the reader (its numbering starts over, and so does the
    count).

    Sequence numbers come only from records, never from the lane's ``message_count``:
    the writer stores that word just after ``tail``, so a reader loading both can
    catch them a record apart in either direction (a good record would look out of
    order, or a false loss of one would be counted).
    """

    def __init__(self, channel: Channel, start: Start = "now", *, spin_seconds: float = 0.0002,
                 access: str | None = None) -> None:
        """``access`` is how the segment's bytes are reached: ``"syscall"`` (``pread``,
        the default where it works: a segment truncated under the reader is an error,
        never a SIGBUS) or ``"mapped"`` (loads from the mapping: see ``bench channel``
        for what the difference costs)."""
        if start not in ("now", "oldest"):
            raise ValueError(f"start must be 'now' or 'oldest', got {start!r}")
        self.channel = channel
        self.lost = 0
        self.corrupt = 0
        #: Records that failed their checks (``corrupt`` counts their messages).
        self.corrupt_records = 0
        #: Times the channel, or one lane, was found laid out again (numbering restarted).
        self.resets = 0
        self.spin_seconds = spin_seconds
        #: pid -> name of every writer this reader has seen (see :attr:`Message.pid`).
        self.senders: dict[int, str] = {}
        self._segment = channel.segment
        self._io: ChannelBytes = channel_bytes(channel.segment, channel.header.segment_size, access)
        self._capacity = channel.capacity
        self._mask = channel.capacity - 1
        self._max_record = wire.max_record_size(channel.capacity)
        self._lane_at = [wire.lane_offset(i, channel.capacity) for i in range(channel.lanes)]
        self._ring_at = [at + wire.LANE_HEADER_SIZE for at in self._lane_at]
        self._tail_word = [at // 8 + wire.TAIL_WORD for at in self._lane_at]
        self._generations = [-1] * channel.lanes
        #: Per lane: a corrupt record was skipped, and the messages it held are counted
        #: (as corrupt) when the next good record shows how many there were.
        self._garbled = [False] * channel.lanes
        #: When the channel was laid out: another value means it was laid out again.
        self._created = self._io.word(_CREATED_WORD)
        self._pos: list[int] = []
        #: Per lane, the sequence number the next record must carry; None until the
        #: first record read tells it (see :meth:`_start_now`).
        self._seq: list[int | None] = []
        for lane in range(channel.lanes):
            self._pos.append(0)
            self._seq.append(None)
            self._start_now(lane)
            if start == "oldest":
                self._resync(lane, oldest=True)

    def poll(self) -> list[Message]:
        """Every message committed since the last call, lane by lane, oldest first."""
        io = self._io
        io.check()
        if io.word(_CREATED_WORD) != self._created:
            self._laid_out_again()
        out: list[Message] = []
        word, tail_word, pos = io.word, self._tail_word, self._pos
        # A poll builds thousands of objects that all live on. Python's cyclic
        # collector would walk them again and again while they are made (reading
        # batches took twice as long with it on); messages hold no cycles, so it is
        # paused while they are built and runs once afterwards instead.
        collecting = gc.isenabled()
        gc.disable()
        try:
            for lane in range(len(pos)):
                tail = word(tail_word[lane])
                if tail != pos[lane]:
                    self._poll_lane(lane, tail, out)
        finally:
            if collecting:
                gc.enable()
        return out

    def wait(self, timeout: float | None = None) -> list[Message]:
        """Like :meth:`poll`, but wait up to ``timeout`` seconds (None: forever) for at
        least one message. Spins briefly, then sleeps in growing steps up to 2 ms."""
        messages = self.poll()
        if messages:
            return messages
        start = time.perf_counter()
        deadline = None if timeout is None else start + timeout
        nap = 0.00005
        while True:
            now = time.perf_counter()
            if deadline is not None and now >= deadline:
                return []
            if now - start > self.spin_seconds:
                time.sleep(nap if deadline is None else min(nap, max(deadline - now, 0)))
                nap = min(nap * 2, 0.002)
            messages = self.poll()
            if messages:
                return messages

    def __iter__(self) -> Iterator[Message]:
        """Messages forever, waiting as needed."""
        while True:
            yield from self.wait()

    # -------------------------------------------------------------- internals

    def _laid_out_again(self) -> None:
        """The channel was laid out again under us (its creation time changed): every
        lane is new. Read each from its oldest record; a new shape cannot be read."""
        header = wire.parse_segment_header(self._segment.read(0, wire.SEGMENT_HEADER_SIZE),
                                        self._segment.current_size())
        if (header.lane_count, header.lane_capacity) != (self.channel.lanes, self._capacity):
            raise ChannelTruncatedError(
                f"{self._segment.label} was laid out again as {header.lane_count} lanes of "
                f"{header.lane_capacity} bytes; open it again to read it")
        self._created = header.created_ns
        self.resets += 1
        for lane in range(len(self._pos)):
            self._garbled[lane] = False
            self._start_now(lane)
            self._resync(lane, oldest=True)

    def _poll_lane(self, lane: int, tail: int, out: list[Message]) -> None:
        io, capacity = self._io, self._capacity
        base = self._lane_at[lane] // 8
        for attempt in range(8):
            position = self._pos[lane]
            if attempt:
                tail = io.word(self._tail_word[lane])
            if tail == position:
                return
            if tail < position:
                if io.word(self._tail_word[lane]) != tail:
                    continue  # it moved while we looked: look again before believing it
                # The lane was laid out again under us: what it holds now is new.
                self.resets += 1
                self._garbled[lane] = False
                self._resync(lane, oldest=True)
                continue
            if tail - position > capacity:
                self._resync(lane)
                continue
            # Copy a bounded span per poll (at least the next record): it stays in the
            # CPU cache, and a reader far behind gets a few thousand messages at a time.
            end = min(tail, position + READ_CHUNK)
            data = self._copy(lane, position, end)
            if end < tail and capacity - (position & self._mask) >= _HEADER:
                length, type_ = _unpack_length_type(data, 0)
                record = (_HEADER + length + 7) & ~7
                if type_ != _PADDING and len(data) < record <= min(self._max_record, tail - position):
                    end = position + record
                    data = self._copy(lane, position, end)
            owner, intent = io.words(base + wire.OWNER_WORD, 2)
            if position < intent - capacity:
                self._resync(lane)  # overwritten while we copied: we were lapped
                continue
            self._note_sender(lane, owner)
            self._parse(lane, position, data, end == tail, out)
            return

    def _copy(self, lane: int, position: int, tail: int) -> bytes:
        read, ring = self._io.read, self._ring_at[lane]
        start = position & self._mask
        length = tail - position
        if start + length <= self._capacity:
            return read(ring + start, length)
        first = self._capacity - start
        return read(ring + start, first) + read(ring, length - first)

    def _parse(self, lane: int, position: int, data: bytes, complete: bool,
               out: list[Message]) -> None:
        """Turn the copied bytes into messages. ``complete`` is False when the copy
        stopped short of the tail, so a record cut at its end is not corruption."""
        # The hottest loop of a reader: everything it touches is a local, and the
        # common record (one message, next in sequence) takes the shortest path.
        unpack = _unpack_record
        checksum = crc32
        make, cls, undecoded = _new_tuple, Message, UNDECODED
        append = out.append
        header, batch = _HEADER, _BATCH
        mask, capacity, max_record = self._mask, self._capacity, self._max_record
        expected: Any = self._seq[lane]  # None only until a first record is read
        lost = False  # cannot tell where the next record starts: resynchronise
        i, n = 0, len(data)
        # Within a copy that does not cross the end of the ring, ordinary records need
        # no ring arithmetic: this inner loop takes them until something is unusual.
        # (Not while a corrupt record's messages are still to be counted.)
        in_one_piece = (position & mask) + n <= capacity
        straight = in_one_piece and not self._garbled[lane]
        while i < n:
            if straight:
                while i + header <= n:
                    length, type_, count, seq, ts, crc, pid = unpack(data, i)
                    end = i + ((header + length + 7) & ~7)
                    if seq != expected or count != 1 or end > n or not 0 < type_ < batch:
                        break
                    payload = data[i + header:i + header + length]
                    if checksum(payload) != crc:
                        break
                    append(make(cls, (lane, pid, seq, ts, type_, payload, position + i, undecoded)))
                    expected += 1
                    i = end
                if i >= n:
                    break
            room = capacity - ((position + i) & mask)
            if room < header:
                i += room  # too little room for a header at the end of the ring: skipped
                continue
            if n - i < header:
                lost = complete  # a header cut off by the commit: not a record
                break
            length, type_, count, seq, ts, crc, pid = unpack(data, i)
            size = (header + length + 7) & ~7
            if type_ == _PADDING:
                i += room
                continue
            # After a start we could not date, the first good record gives the count
            # its starting point (taken only once its checks pass).
            floor = seq if expected is None else expected
            if i + size > n and size <= room and size <= max_record and not complete:
                break  # the copy ends inside this record: the next poll reads it
            fits = size <= room and size <= max_record and i + size <= n
            good = (fits and count > 0 and type_ <= batch
                    and checksum(data[i + header:i + header + length]) == crc)
            if not good:
                # Count it; go on past it if its length can be trusted, else resync.
                self.corrupt_records += 1
                self._garbled[lane] = True
                straight = False
                if fits and looks_like_a_record_at(data, i + size, n, position, capacity, expected):
                    i += size
                    continue
                lost = True
                break
            if seq < floor:
                if not chain_continues(data, i + size, n, seq + count):
                    # One record numbered out of order proves nothing: count it corrupt.
                    self.corrupt_records += 1
                    self._garbled[lane] = True
                    straight = False
                    i += size
                    continue
                # Genuine records numbered, one after another, before what we expect:
                # a writer started the lane's numbering over.
                self.resets += 1
                floor = seq
            if seq > floor:
                if self._garbled[lane]:
                    self.corrupt += seq - floor  # the messages of the records skipped
                else:
                    self.lost += seq - floor
            self._garbled[lane] = False
            straight = in_one_piece
            payload = data[i + header:i + header + length]
            if type_ == batch:
                if not split_batch(lane, pid, seq, ts, payload, count, position + i, out):
                    self.corrupt += count  # a checked batch that does not split: a writer's bug
                    self.corrupt_records += 1
            else:
                append(make(cls, (lane, pid, seq, ts, type_, payload, position + i, undecoded)))
            expected = seq + count
            i += size
        self._seq[lane] = expected
        self._pos[lane] = position + i
        if lost:
            self._resync_past(lane, position + i)
        elif complete and i >= n and self._garbled[lane] \
                and self._io.word(self._tail_word[lane]) == position + i:
            # Still at the tail: count the skipped messages now. (If more was committed
            # meanwhile, the next record's number counts them instead.)
            self._skip_to_tail(lane)

    def _note_sender(self, lane: int, owner: int) -> None:
        """Remember the name of the lane's current writer, by pid, for viewers."""
        pid, generation = owner & 0xFFFFFFFF, owner >> 32
        if self._generations[lane] != generation:
            raw = self._io.read(self._lane_at[lane] + wire.NAME_OFFSET, wire.LANE_NAME.size)
            self.senders[pid] = raw.rstrip(b"\0").decode("utf-8", "replace")
            self._generations[lane] = generation

    def _lane_words(self, lane: int) -> tuple[int, ...]:
        return self._io.words(self._lane_at[lane] // 8, _LANE_WORDS)

    def _resync(self, lane: int, *, oldest: bool = False) -> None:
        """Move to the oldest record that is safe to read (lapped, or start="oldest")."""
        # Lapped: the messages skipped now are lost, even if a corrupt one was among them.
        self._garbled[lane] = False
        state = self._lane_words(lane)
        tail, intent = state[wire.TAIL_WORD], state[wire.INTENT_WORD]
        # Keep an eighth of a lap of slack so the copy is not overwritten at once.
        floor = intent - self._capacity + (0 if oldest else self._capacity // wire.CHECKPOINTS)
        safe = [c for c in state[wire.CHECKPOINT_WORD:] if floor <= c < tail]
        if not safe:
            if oldest:
                self._start_now(lane)
            else:
                self._skip_to_tail(lane)
            return
        position = min(safe)
        if oldest:
            # A late joiner has lost nothing: it starts counting at the oldest record.
            at = self._ring_at[lane] + (position & self._mask)
            self._seq[lane] = _unpack_walk(self._io.read(at, _WALK_SIZE), 0)[3]
            if position < self._io.word(self._lane_at[lane] // 8 + wire.INTENT_WORD) - self._capacity:
                self._start_now(lane)  # overwritten while we looked
                return
        self._pos[lane] = position

    def _start_now(self, lane: int) -> None:
        """Start at the lane's tail, knowing which sequence number comes next."""
        for _attempt in range(8):
            state = self._lane_words(lane)
            tail = state[wire.TAIL_WORD]
            seq = self._seq_at(lane, state)
            if seq is not None:
                break
        # Still None: the writer laps faster than we can look, or the lane holds no
        # records; the first record read then fixes the count's starting point.
        self._pos[lane], self._seq[lane] = tail, seq

    def _skip_to_tail(self, lane: int) -> None:
        """Give up on what lies between us and the tail, counting it as lost (or as
        corrupt, after a corrupt record).

        ``message_count`` is loaded between two loads of ``tail`` that agree, so it is
        at most one record behind that tail, never ahead (the writer stores ``tail``
        first): what it lags is counted at the next record, from its sequence number.
        A count more messages ahead than the bytes in between could hold is garbage
        (a lane header overwritten): it is ignored, and the next record's sequence
        number says how many were missed.
        """
        io, tail_word = self._io, self._tail_word[lane]
        tail, count = io.words(tail_word, 2)  # the count is the word after the tail
        expected = self._seq[lane]
        if io.word(tail_word) == tail and expected is not None and count > expected:
            most = (max(tail - self._pos[lane], 0) // _HEADER + 1) * 0xFFFF
            if count - expected <= most:
                if self._garbled[lane]:
                    self.corrupt += count - expected
                    self._garbled[lane] = False
                else:
                    self.lost += count - expected
                self._seq[lane] = count
        self._pos[lane] = tail

    def _resync_past(self, lane: int, position: int) -> None:
        """Go on at the first checkpoint after a record we cannot find the end of
        (its messages, and those up to the checkpoint, count as corrupt)."""
        state = self._lane_words(lane)
        tail = state[wire.TAIL_WORD]
        floor = state[wire.INTENT_WORD] - self._capacity + self._capacity // wire.CHECKPOINTS
        after = [c for c in state[wire.CHECKPOINT_WORD:] if position < c < tail and c >= floor]
        if after:
            self._pos[lane] = min(after)
        else:
            self._skip_to_tail(lane)

    def _seq_at(self, lane: int, state: tuple[int, ...]) -> int | None:
        """The sequence number of the record that will start at the lane's tail (see
        :func:`next_seq_at`), or None when it cannot be told."""
        tail, intent = state[wire.TAIL_WORD], state[wire.INTENT_WORD]
        checkpoints = state[wire.CHECKPOINT_WORD:]
        seq = next_seq_at(self._io.read, self._lane_at[lane], self._capacity, tail, intent, checkpoints)
        if seq is not None and self._io.word(self._lane_at[lane] // 8 + wire.INTENT_WORD) - self._capacity > max(
                (c for c in checkpoints if c < tail), default=tail):
            return None  # overwritten while we walked
        return seq

