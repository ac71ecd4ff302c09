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

This module makes, opens and describes channels; the parts live in
:mod:`mmfviewer.channel_writer`, :mod:`mmfviewer.channel_reader`,
:mod:`mmfviewer.message`, :mod:`mmfviewer.lane_records` and
:mod:`mmfviewer.lane_locks`. ``Reader``, ``Writer`` and ``Message`` are importable from
here too, as the library's documented API.
"""

from __future__ import annotations

import os
import sys
import time

from . import wire
from .channel_reader import Reader, Start
from .channel_writer import Writer
from .errors import ChannelTruncatedError, FormatError, ReadOnlyError
from .lane_locks import lock_holder_alive
from .message import Message, record_payload
from .segment import Segment

__all__ = ["Channel", "Message", "Reader", "Writer"]


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
        ring_at = wire.lane_offset(message.lane, self.capacity) + wire.LANE_HEADER_SIZE
        return ring_at + (message.position & (self.capacity - 1)), wire.record_size(len(record_payload(message)))

    def lane_is_claimed(self, lane: int) -> bool:
        """True if a live process holds the lane's writer lock right now."""
        return lock_holder_alive(self.segment.fd, wire.lane_offset(lane, self.capacity))

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


def _program_name() -> str:
    return os.path.basename(sys.argv[0]) if sys.argv and sys.argv[0] else "python"
