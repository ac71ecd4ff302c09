"""Sending on a channel: a writer owns one lane and appends records to its ring.

The send path is the hottest code of the project, so :func:`_make_appender` keeps a
lane's state in closure variables and ``Writer.send`` is that closure itself. Kept
apart from :mod:`mmfviewer.channel` (which makes writers) so the sending side reads on
its own; readers are in :mod:`mmfviewer.channel_reader`.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

import msgpack

from . import wire
from .channel_io import SyscallStores, channel_bytes, channel_stores
from .errors import FormatError, MessageTooLargeError
from .lane_locks import claim_lane, release_lane
from .lane_records import crc32, next_seq_at

if TYPE_CHECKING:
    from .channel import Channel


class Writer:
    """Sends messages on one lane; the lane is ours until :meth:`close` or process exit."""

    def __init__(self, channel: Channel, name: str, *, access: str | None = None) -> None:
        """Claim a lane of ``channel``; see :meth:`Channel.writer`."""
        self.channel = channel
        self.pid = os.getpid()
        self._lock_fd = -1
        self.lane = -1
        self._lock_fd, self.lane = claim_lane(channel.segment, channel.lanes, channel.capacity)
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
            release_lane(self._lock_fd, self.channel.segment, self.lane)
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
