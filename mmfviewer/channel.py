"""The message channel: lanes, writers and readers over one named segment.

Many processes send many messages through one mapping; every reader sees every
message in order, or is told exactly how many it missed. The byte layout is in
:mod:`mmfviewer.wire` (and docs/FORMAT.md); this module is the behaviour::

    with Channel.create("mmf1") as ch:          # or Channel.open("mmf1")
        w = ch.writer()                          # claims a free lane
        w.send({"title": "Hi", "content": "The world is going down."})
        r = ch.reader(start="oldest")
        for msg in r.poll():
            print(msg.seq, msg.value)
        print(r.lost)                            # messages this reader missed

A writer never waits for readers (broadcast). A reader that falls a whole ring
behind is lapped: it skips ahead and counts what it lost; it never returns a torn,
partial or corrupt record.
"""

from __future__ import annotations

import fcntl
import gc
import os
import struct
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from itertools import repeat
from operator import itemgetter
from typing import Any, Literal

import msgpack

try:  # the same CRC-32 as zlib's, 3x faster on small records and ~9x on large ones
    from isal.isal_zlib import crc32
except ImportError:  # pragma: no cover - isal has wheels for every common platform
    from zlib import crc32

from . import msgpack_bounds as bounded
from . import wire
from .channel_io import ChannelBytes, SyscallStores, channel_bytes, channel_stores
from .errors import (
    ChannelTruncatedError,
    FormatError,
    MessageTooLargeError,
    NoFreeLaneError,
    ReadOnlyError,
)
from .msgpack_bounds import TooManyObjectsError
from .segment import Segment

Start = Literal["now", "oldest"]
READ_CHUNK = 64 * 1024  # bytes a reader takes from one lane per poll (at least one record)


def msgpack_error_text(err: Exception) -> str:
    """What went wrong in msgpack's words, with a reason where msgpack gives none."""
    if isinstance(err, msgpack.StackError):
        return "nested too deeply (msgpack stops at 1024 levels)"
    return f"{type(err).__name__}: {err}" if str(err) else type(err).__name__


def decode_msgpack(payload: bytes) -> Any:
    """Decode one msgpack value with msgpack's size limits (no bombs, no deep nests)."""
    return Message(0, 0, 0, 0, wire.TYPE_MSGPACK, payload).value


def encode_msgpack(obj: Any) -> bytes:
    """Encode a value as msgpack; an unsupported type is a clear error."""
    try:
        packed: bytes = msgpack.packb(obj, use_bin_type=True)
        return packed
    except (TypeError, ValueError, OverflowError) as err:
        raise FormatError(f"cannot send {type(obj).__name__} as msgpack: {err}") from None


class Message(tuple):  # type: ignore[type-arg]  # fields of several types, by position
    """One message as a reader received it: lane, pid, seq, timestamp_ns, type, payload.

    ``value`` is the decoded payload. Messages from a batch record arrive decoded (the
    whole batch is decoded in one pass); others are decoded each time ``value`` is
    read, so only what is looked at costs anything. A message is an immutable tuple
    underneath because readers make millions of them and a tuple is the cheapest
    object Python can build.
    """

    __slots__ = ()

    lane = property(itemgetter(0), doc="The lane (writer slot) it came through.")
    pid = property(itemgetter(1), doc="The sending process's id.")
    seq = property(itemgetter(2), doc="Its sequence number within the lane.")
    timestamp_ns = property(itemgetter(3), doc="When it was sent (Unix time, ns).")
    type = property(itemgetter(4), doc="Record type: 1 msgpack, 2 bytes, 3 text.")
    payload = property(itemgetter(5), doc="The raw payload bytes.")
    position = property(itemgetter(6), doc="Where its record starts in the lane (a position, see "
                                           ":meth:`Channel.record_span`).")

    def __new__(cls, lane: int, pid: int, seq: int, timestamp_ns: int, type: int,
                payload: bytes, position: int = -1) -> Message:
        return _new_tuple(cls, (lane, pid, seq, timestamp_ns, type, payload, position, _UNDECODED))

    @property
    def value(self) -> Any:
        """The decoded payload: a msgpack value, a ``str`` for text, ``bytes`` for bytes.

        Raises :class:`FormatError` when a msgpack payload does not decode.
        """
        value = self[7]
        if value is not _UNDECODED:
            return value
        kind = self[4]
        if kind == _MSGPACK:
            payload = self[5]
            try:
                if len(payload) <= _UNGUARDED:  # the common case, without a call more
                    return _unpackb(payload, strict_map_key=False)
                return bounded.unpackb(payload, strict_map_key=False)
            except TooManyObjectsError:
                raise
            except Exception as err:  # msgpack raises several unrelated types
                raise FormatError(f"payload is not valid msgpack: {msgpack_error_text(err)}") from None
        if kind == _TEXT:
            return self[5].decode("utf-8", "replace")
        return self[5]

    @property
    def type_name(self) -> str:
        """``msgpack``, ``text`` or ``bytes``."""
        return wire.TYPE_NAMES.get(self.type, f"type {self.type}")

    def to_json(self) -> dict[str, Any]:
        """The message as ``listen --json`` prints it."""
        return {"lane": self.lane, "pid": self.pid, "seq": self.seq, "ts": self.timestamp_ns,
                "type": self.type_name, "value": self.value}

    def __repr__(self) -> str:
        return (f"<Message lane={self.lane} seq={self.seq} pid={self.pid} "
                f"{self.type_name} {len(self.payload)} bytes>")


_unpackb = msgpack.unpackb
_UNGUARDED = bounded.UNGUARDED
_new_tuple = tuple.__new__
_UNDECODED: Any = object()
_MSGPACK = wire.TYPE_MSGPACK
_TEXT = wire.TYPE_TEXT
_unpack_record = wire.RECORD_HEADER.unpack_from
_unpack_length_type = struct.Struct("<IH").unpack_from
_unpack_walk = struct.Struct("<IHHQ").unpack_from  # length, type, count, seq
_WALK_SIZE = 16
_CREATED_WORD = 40 // 8  # the segment header's created_ns, as a word
_LANE_WORDS = wire.CHECKPOINT_WORD + wire.CHECKPOINTS  # the lane-header words a reader loads
_HEADER = wire.RECORD_HEADER_SIZE
_PADDING = wire.TYPE_PADDING
_BATCH = wire.TYPE_MSGPACK_BATCH


class Channel:
    """A channel over a segment: create one, open one, then get writers and readers."""

    def __init__(self, segment: Segment, header: wire.SegmentHeader) -> None:
        """Wrap a segment whose header was checked; use the class methods instead."""
        self.segment = segment
        self.header = header
        self.lanes = header.lane_count
        self.capacity = header.lane_capacity
        self.max_payload = wire.max_payload(self.capacity)
        #: The channel's bytes as aligned 8-byte words, through the mapping (loads and
        #: stores of whole words; fatal to the process if the segment is truncated
        #: under it: readers and safe writers use :mod:`mmfviewer.channel_io` instead).
        self.words = segment.buf[:header.segment_size].cast("Q")

    # -------------------------------------------------------------- make / open

    @classmethod
    def create(cls, name: str, lanes: int = wire.DEFAULT_LANES, lane_size: int = wire.DEFAULT_CAPACITY,
               *, mode: int = 0o600) -> Channel:
        """Create a new named segment holding a channel of ``lanes`` lanes, each a
        ring of ``lane_size`` bytes (a power of two). Fails if the name exists."""
        wire.validate_dimensions(lanes, lane_size)
        segment = Segment.create(name, wire.segment_size(lanes, lane_size), mode=mode)
        try:
            return cls.format(segment, lanes, lane_size, zero=False)  # new segments are zeros
        except BaseException:
            segment.close()
            segment.unlink()
            raise

    @classmethod
    def format(cls, segment: Segment, lanes: int = wire.DEFAULT_LANES,
               lane_size: int | None = None, *, zero: bool = True) -> Channel:
        """Lay a fresh channel over a writable segment, erasing what it held.

        Without ``lane_size`` the lanes share the whole segment. ``zero=False`` skips
        erasing for a segment known to be all zeros (a new one): writing a gigabyte of
        zeros would cost time and make every page resident.
        """
        if segment.readonly:
            raise ReadOnlyError(f"{segment.label} is open read-only; a channel cannot be made in it")
        capacity = lane_size or wire.capacity_for(segment.size, lanes)
        header = wire.SegmentHeader.new(lanes, capacity, time.time_ns())
        if header.segment_size > segment.size:
            raise FormatError(f"{lanes} lanes of {capacity} bytes need {header.segment_size} bytes; "
                              f"{segment.label} has {segment.size}")
        # pwrite, not the mapping: a segment truncated meanwhile is an error, not a SIGBUS.
        if zero:
            zeros = bytes(min(header.segment_size, 1 << 20))
            for at in range(0, header.segment_size, len(zeros)):
                segment.write(at, zeros[:header.segment_size - at])
        segment.write(0, header.pack())
        segment.write(wire.READY_OFFSET, wire.READY_WORD.pack(wire.READY))  # last: the channel now exists
        return cls(segment, wire.parse_segment_header(segment.read(0, wire.SEGMENT_HEADER_SIZE),
                                                   segment.current_size()))

    @classmethod
    def open(cls, name: str, *, readonly: bool = False, timeout: float = 1.0) -> Channel:
        """Open an existing channel; read-write unless ``readonly`` (enough for readers).

        A channel still being created is waited for up to ``timeout`` seconds.
        """
        return cls.attach(Segment.open(name, readonly=readonly), timeout=timeout)

    @classmethod
    def attach(cls, segment: Segment, *, timeout: float = 1.0, own: bool = True) -> Channel:
        """Use an open segment as a channel. If it is not one, :class:`FormatError`;
        the segment is then closed too, unless ``own`` is False (the caller keeps it)."""
        try:
            deadline = time.monotonic() + timeout
            while True:
                header = wire.parse_segment_header(segment.read(0, wire.SEGMENT_HEADER_SIZE),
                                                segment.current_size())
                if header.ready:
                    break
                if time.monotonic() >= deadline:
                    raise FormatError(f"{segment.label} holds a channel that was never finished "
                                      "(its creator died while building it)")
                time.sleep(0.005)
            if segment.size < header.segment_size:
                raise FormatError(f"{segment.label} was mapped at {segment.size} bytes, "
                                  f"the channel needs {header.segment_size}")
            return cls(segment, header)
        except BaseException:
            if own:
                segment.close()
            raise

    # -------------------------------------------------------------- use

    def writer(self, name: str | None = None, *, access: str | None = None) -> Writer:
        """Claim a free lane and return its writer. ``name`` labels the lane for viewers
        (default: the program's name).

        ``access="syscall"`` stores through ``pwrite``: a segment truncated by another
        process is then an error for this sender, never a SIGBUS that kills it (the
        command line and the GUI send this way). The default stores through the
        mapping, which is faster (``bench channel`` prints both)."""
        if self.segment.readonly:
            raise ReadOnlyError(f"{self.segment.label} is open read-only; open it read-write to send")
        return Writer(self, name if name is not None else _program_name(), access=access)

    def reader(self, start: Start = "now") -> Reader:
        """A reader that sees messages sent from now on, or from the oldest still held."""
        return Reader(self, start)

    def lane_states(self) -> list[wire.LaneState]:
        """A snapshot of every lane header (owner, tail, message count, heartbeat),
        read header by header: never the rings (a 1 GiB channel costs kilobytes)."""
        states = []
        for i in range(self.lanes):
            data = self.segment.read(wire.lane_offset(i, self.capacity), wire.LANE_STATE.size)
            if len(data) < wire.LANE_STATE.size:
                raise ChannelTruncatedError(f"{self.segment.label} ends inside lane {i}'s header: "
                                            "it was truncated")
            states.append(wire.LaneState.unpack(i, data))
        return states

    def record_span(self, message: Message) -> tuple[int, int] | None:
        """Where the message's record lies in the segment, as (offset, length), while
        the ring still holds it; None once the writer has written over it."""
        intent = self.segment.read(wire.lane_offset(message.lane, self.capacity) + 8 * wire.INTENT_WORD, 8)
        if len(intent) < 8:
            return None  # truncated under us
        if message.position < 0 or message.position < int.from_bytes(intent, "little") - self.capacity:
            return None
        return self.record_place(message)

    def record_place(self, message: Message) -> tuple[int, int]:
        """Where the message's record lies in the segment, as (offset, length), worked
        out from the message alone (no read): right while the ring still holds it
        (:meth:`record_span` also checks that)."""
        payload = message[8].payload if isinstance(message, _BatchMessage) else message.payload
        ring_at = wire.lane_offset(message.lane, self.capacity) + wire.LANE_HEADER_SIZE
        return ring_at + (message.position & (self.capacity - 1)), wire.record_size(len(payload))

    def lane_is_claimed(self, lane: int) -> bool:
        """True if a live process holds the lane's writer lock right now."""
        return _lock_holder_alive(self.segment.fd, wire.lane_offset(lane, self.capacity))

    def detach(self) -> None:
        """Let go of the mapping's views and leave the segment open for its owner
        (writers and readers made from this channel stop working)."""
        self.words.release()

    def close(self) -> None:
        """Detach and close the channel's segment."""
        self.detach()
        self.segment.close()

    def __enter__(self) -> Channel:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<Channel {self.segment.label} lanes={self.lanes} capacity={self.capacity}>"


class Writer:
    """Sends messages on one lane; the lane is ours until :meth:`close` or process exit."""

    def __init__(self, channel: Channel, name: str, *, access: str | None = None) -> None:
        """Claim a lane of ``channel``; see :meth:`Channel.writer`."""
        self.channel = channel
        self.pid = os.getpid()
        self._lock_fd = -1
        self.lane = -1
        self._lock_fd, self.lane = _claim_lane(channel.segment, channel.lanes, channel.capacity)
        self._max_payload = channel.max_payload
        self._packer = msgpack.Packer(use_bin_type=True)
        self._append, self._beat, self._position = _make_appender(
            channel, self.lane, self.pid, name, self._packer, self._too_large, access)
        # send(obj) is the appender itself: one Python call per message, no wrapper.
        self.send: Callable[[Any], int] = self._append

    @property
    def closed(self) -> bool:
        """True after :meth:`close`."""
        return self._lock_fd < 0

    @property
    def next_seq(self) -> int:
        """The sequence number the next message will get."""
        return self._position()[1]

    def send_bytes(self, data: bytes | bytearray | memoryview) -> int:
        """Send raw bytes (type ``bytes``); returns the sequence number."""
        return self._append(data, wire.TYPE_BYTES, 1, True)

    def send_text(self, text: str) -> int:
        """Send a string as UTF-8 (type ``text``); returns the sequence number."""
        return self._append(text.encode("utf-8"), wire.TYPE_TEXT, 1, True)

    def send_many(self, objs: Iterable[Any]) -> int:
        """Send many values, packed into as few records as fit; returns how many.

        Each value still gets its own sequence number. A value too large for a lane
        raises before anything of the batch is sent.
        """
        pack = self._packer.pack
        limit = self._max_payload
        batches: list[list[bytes]] = []
        parts: list[bytes] = []
        size = 0
        for obj in objs:
            try:
                item = pack(obj)
            except (TypeError, ValueError, OverflowError) as err:
                self._packer.reset()
                raise FormatError(f"cannot send {type(obj).__name__} as msgpack: {err}") from None
            if size + len(item) > limit or len(parts) == 0xFFFF:
                if len(item) > limit:
                    raise self._too_large(len(item))
                batches.append(parts)
                parts, size = [], 0
            parts.append(item)
            size += len(item)
        if parts:
            batches.append(parts)
        for parts in batches:
            if len(parts) == 1:
                self._append(parts[0], wire.TYPE_MSGPACK, 1, True)
            else:
                self._append(b"".join(parts), wire.TYPE_MSGPACK_BATCH, len(parts), True)
        return sum(len(parts) for parts in batches)

    def heartbeat(self) -> None:
        """Tell viewers this writer is alive without sending (sends do it too)."""
        self._beat()

    def _too_large(self, n: int) -> MessageTooLargeError:
        capacity = self.channel.capacity
        return MessageTooLargeError(
            f"a message of {n} bytes does not fit: lanes of {self.channel.segment.label} take at "
            f"most {self._max_payload} bytes (a quarter of a {capacity}-byte lane); "
            "create the channel with a larger size or fewer lanes")

    def close(self) -> None:
        """Give the lane back (the kernel does the same if the process dies)."""
        if self._lock_fd >= 0:
            _release_lane(self._lock_fd, self.channel.segment, self.lane)
            self._lock_fd = -1

    def __enter__(self) -> Writer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<Writer lane={self.lane} seq={self.next_seq} {'closed' if self.closed else 'open'}>"


def _make_appender(channel: Channel, lane: int, pid: int, name: str, packer: msgpack.Packer,
                   too_large: Callable[[int], Exception], access: str | None) -> tuple[
                       Callable[..., int], Callable[[], None], Callable[[], tuple[int, int]]]:
    """Claim-time set-up of a lane, and the function that appends one record to it.

    The lane's state lives in this closure's variables rather than on an object,
    because the send path is the hottest code of the project and a closure variable
    costs less to reach than an attribute. Returns ``append(obj, type=msgpack,
    count=1, packed=False)`` (``obj`` is packed with msgpack unless ``packed``),
    ``beat()`` (refresh the heartbeat) and ``position()`` -> (tail, next seq).
    ``access`` is how bytes are stored (see :func:`channel_stores`).
    """
    pack = packer.pack
    stores = channel_stores(channel.segment, channel.header.segment_size, access)
    # The append below is written once for both ways of storing: ``words[i] = v`` and
    # ``buf[a:b] = data`` reach the mapping itself on the fast path (a function call
    # per store there halved the send rate), and stand-ins that pwrite on the safe
    # path, which also checks the segment's size before each record.
    buf, words = stores.buffers()
    check = stores.check if isinstance(stores, SyscallStores) else None
    capacity = channel.capacity
    mask = capacity - 1
    max_payload = channel.max_payload
    lane_at = wire.lane_offset(lane, capacity)
    ring_at = lane_at + wire.LANE_HEADER_SIZE
    base = lane_at // 8
    intent_word = base + wire.INTENT_WORD
    tail_word = base + wire.TAIL_WORD
    count_word = base + wire.COUNT_WORD
    heartbeat_word = base + wire.HEARTBEAT_WORD
    checkpoint_word = base + wire.CHECKPOINT_WORD
    # Announce the intent ahead in steps, not per record: readers only need it to be
    # at least the end of anything being written.
    intent_step = max(capacity // 16, wire.RECORD_ALIGN)
    slot_shift = (capacity // wire.CHECKPOINTS).bit_length() - 1
    header_size = wire.RECORD_HEADER_SIZE
    pack_header = wire.RECORD_HEADER.pack
    clock = time.time_ns

    loads = channel_bytes(channel.segment, channel.header.segment_size)
    state = wire.LaneState.unpack(lane, loads.read(lane_at, wire.LANE_STATE.size))
    tail = state.tail
    intent = max(state.tail_intent, state.tail)  # a dead writer may have announced more
    # A writer that died between committing a record and storing message_count left a
    # count one record behind: the records themselves say which number comes next.
    walked = next_seq_at(loads.read, lane_at, capacity, tail, state.tail_intent, state.checkpoints)
    seq = max(state.message_count, walked or 0)
    slot = -1
    name_at = lane_at + wire.NAME_OFFSET
    buf[name_at:name_at + wire.LANE_NAME.size] = wire.LANE_NAME.pack(wire.encode_owner_name(name))
    words[base + wire.OWNER_WORD] = pid | (state.generation + 1 & 0xFFFFFFFF) << 32
    words[heartbeat_word] = clock()

    def append(payload: Any, type_: int = wire.TYPE_MSGPACK, count: int = 1, packed: bool = False) -> int:
        nonlocal tail, intent, seq, slot
        if not packed:
            try:
                payload = pack(payload)
            except (TypeError, ValueError, OverflowError) as err:
                packer.reset()
                raise FormatError(f"cannot send {type(payload).__name__} as msgpack: {err}") from None
        n = len(payload)
        if n > max_payload:
            raise too_large(n)
        if check is not None:
            check()
        size = (header_size + n + 7) & ~7
        position = tail
        offset = position & mask
        if offset + size > capacity:  # never split a record: pad to the next lap
            room = capacity - offset
            if position + room + size > intent:
                intent = position + room + size + intent_step
                words[intent_word] = intent
            if room >= header_size:
                at = ring_at + offset
                buf[at:at + header_size] = pack_header(room - header_size, 0, 0, seq, 0, 0, pid)
            position += room
            offset = 0
        end = position + size
        if end > intent:
            intent = end + intent_step
            words[intent_word] = intent
        at = ring_at + offset
        now = clock()
        buf[at:at + header_size] = pack_header(n, type_, count, seq, now, crc32(payload), pid)
        buf[at + header_size:at + header_size + n] = payload
        if offset >> slot_shift != slot:
            slot = offset >> slot_shift
            words[checkpoint_word + slot] = position
        first = seq
        seq += count
        tail = end
        words[tail_word] = end  # the commit
        words[count_word] = seq
        words[heartbeat_word] = now
        return first

    def beat() -> None:
        words[heartbeat_word] = clock()

    def position() -> tuple[int, int]:
        return tail, seq

    return append, beat, position


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
        make, cls, undecoded = _new_tuple, Message, _UNDECODED
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
                if fits and _looks_like_a_record_at(data, i + size, n, position, capacity, expected):
                    i += size
                    continue
                lost = True
                break
            if seq < floor:
                if not _chain_continues(data, i + size, n, seq + count):
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
                if not _split_batch(lane, pid, seq, ts, payload, count, position + i, out):
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


def _looks_like_a_record_at(data: bytes, j: int, n: int, position: int, capacity: int,
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


def _chain_continues(data: bytes, j: int, n: int, next_seq: int) -> bool:
    """Whether the record at ``j`` in the copy carries ``next_seq`` and a checked payload."""
    if n - j < _HEADER:
        return False
    length, type_, count, seq, _ts, crc, _pid = _unpack_record(data, j)
    return bool(seq == next_seq and 0 < type_ <= _BATCH and count > 0 and j + _HEADER + length <= n
                and crc32(data[j + _HEADER:j + _HEADER + length]) == crc)


class _Batch:
    """The payload of one batch record, shared by the messages cut from it."""

    __slots__ = ("payload", "_offsets")

    def __init__(self, payload: bytes) -> None:
        self.payload = payload
        self._offsets: list[int] | None = None

    def slice(self, index: int) -> bytes:
        """The raw bytes of value ``index``, found on first need (reading rarely needs
        them: the values come decoded)."""
        if self._offsets is None:
            unpacker = bounded.unpacker(len(self.payload))
            unpacker.feed(self.payload)
            offsets = [0]
            while offsets[-1] < len(self.payload):
                unpacker.skip()
                offsets.append(unpacker.tell())
            self._offsets = offsets
        return self.payload[self._offsets[index]:self._offsets[index + 1]]


class _BatchMessage(Message):
    """A message from a batch record: decoded already, raw bytes cut on demand."""

    __slots__ = ()

    @property
    def payload(self) -> bytes:
        """The raw payload bytes."""
        part: bytes = self[8].slice(self[9])
        return part


def _split_batch(lane: int, pid: int, seq: int, ts: int, payload: bytes, count: int,
                 position: int, out: list[Message]) -> bool:
    """Cut a batch record into its messages; False if it does not hold ``count`` values.

    The whole batch is decoded in one call into msgpack's C unpacker and the messages
    are built by C iterators: no Python code runs per message, which is what makes
    batches cheap to read.
    """
    unpacker = bounded.unpacker(len(payload), strict_map_key=False)
    unpacker.feed(payload)
    try:
        values = list(unpacker)
    except TooManyObjectsError:  # valid, but too costly to decode at once: cut it raw
        return _split_batch_undecoded(lane, pid, seq, ts, payload, count, position, out)
    except Exception:  # a malformed value: the record is corrupt
        return False
    if len(values) != count or unpacker.tell() != len(payload):
        return False
    batch = _Batch(payload)
    out.extend(map(_new_tuple, repeat(_BatchMessage), zip(
        repeat(lane), repeat(pid), range(seq, seq + count), repeat(ts), repeat(_MSGPACK),
        repeat(None), repeat(position), values, repeat(batch), range(count))))
    return True


def _split_batch_undecoded(lane: int, pid: int, seq: int, ts: int, payload: bytes, count: int,
                           position: int, out: list[Message]) -> bool:
    """Cut a batch record into messages that each decode (within the bound) when asked."""
    unpacker = msgpack.Unpacker(max_buffer_size=max(len(payload), 1))
    unpacker.feed(payload)
    ends = []
    try:
        while unpacker.tell() < len(payload):
            unpacker.skip()  # walks a value without building it
            ends.append(unpacker.tell())
    except Exception:
        return False
    if len(ends) != count:
        return False
    for k, (start, end) in enumerate(zip([0, *ends], ends, strict=False)):
        out.append(Message(lane, pid, seq + k, ts, _MSGPACK, payload[start:end], position))
    return True


# ---------------------------------------------------------------------- lane locks
# A writer owns a lane by holding a write lock on the first byte of the lane's header.
# On Linux these are open-file-description locks, on a descriptor of the writer's own:
# unlike classic POSIX locks they are not dropped when the process closes some other
# descriptor of the same segment, and two writers in one process exclude each other.
# The kernel releases them when the process dies, which is how a dead writer's lane
# becomes free.

_FLOCK = "hhqqi4x"  # struct flock on Linux (x86_64, aarch64): type, whence, start, len, pid
_OFD = sys.platform.startswith("linux") and hasattr(fcntl, "F_OFD_SETLK")
_claimed_here: set[tuple[int, int, int]] = set()  # fallback: (dev, inode, lane) in this process


def _claim_lane(segment: Segment, lanes: int, capacity: int) -> tuple[int, int]:
    if _OFD:
        fd = os.open(f"/proc/self/fd/{segment.fd}", os.O_RDWR)  # a new open file description
    else:
        fd = os.dup(segment.fd)
    try:
        st = os.fstat(fd)
        for lane in range(lanes):
            key = (st.st_dev, st.st_ino, lane)
            if key in _claimed_here or not _try_lock(fd, wire.lane_offset(lane, capacity)):
                continue
            _claimed_here.add(key)
            return fd, lane
    except BaseException:
        os.close(fd)
        raise
    os.close(fd)
    raise NoFreeLaneError(
        f"all {lanes} lanes of {segment.label} have a live writer; "
        "close one, or create the channel with more lanes (--lanes)")


def _try_lock(fd: int, offset: int) -> bool:
    try:
        if _OFD:
            fcntl.fcntl(fd, fcntl.F_OFD_SETLK, struct.pack(_FLOCK, fcntl.F_WRLCK, os.SEEK_SET, offset, 1, 0))
        else:
            fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB, 1, offset, os.SEEK_SET)
    except (BlockingIOError, PermissionError):
        return False
    return True


def _release_lane(fd: int, segment: Segment, lane: int) -> None:
    try:
        st = os.fstat(fd)
        _claimed_here.discard((st.st_dev, st.st_ino, lane))
    finally:
        os.close(fd)  # closing our own description drops its lock


def _lock_holder_alive(fd: int, offset: int) -> bool:
    if _OFD:
        probe = struct.pack(_FLOCK, fcntl.F_WRLCK, os.SEEK_SET, offset, 1, 0)
        answer = fcntl.fcntl(fd, fcntl.F_OFD_GETLK, probe)
        return bool(struct.unpack(_FLOCK, answer)[0] != fcntl.F_UNLCK)
    try:
        fcntl.lockf(fd, fcntl.LOCK_SH | fcntl.LOCK_NB, 1, offset, os.SEEK_SET)
    except OSError:
        return True
    fcntl.lockf(fd, fcntl.LOCK_UN, 1, offset, os.SEEK_SET)
    return False


def _program_name() -> str:
    return os.path.basename(sys.argv[0]) if sys.argv and sys.argv[0] else "python"
