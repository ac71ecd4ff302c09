"""One open segment, live: what a refresh tick reads, decodes and hands to the panes.

The window's panes never read a segment themselves. Each tick, the session looks at
the segment's state once (one ``fstat``, one ``lstat``), drains what is new in a
channel within a time budget, then reads once the span that covers what every pane
needs: the rows on screen, the inspector's bytes at the cursor, offset 0 of a value
segment, and the whole segment when it is small enough for the overview's hashes
to use the same bytes. It returns a :class:`Snapshot`; panes render that::

    session = LiveSession(segment)
    snapshot = session.tick(ReadWindow(rows=(0, 4096), inspect=(0, 256)))
    snapshot.state.size, snapshot.bytes_at(0, 16), snapshot.feed.messages

The session also keeps the segment's :class:`~mmfviewer.changes.ChangeTracker`: the
rows read are compared with the last tick's, the overview's paced scan hashes what
the tick read (or reads its own chunks of a big segment), and the snapshot carries
which bytes of the rows changed and when (:class:`ChangeAges`).

Structures applied to the segment (:mod:`~mmfviewer.structure_overlays`) are read by
the session too, each on its own: a read checked against a writer's sequence lock, or
for fields that changed while being read, takes reading again.

A value segment's value is decoded only when its bytes changed since the last tick,
and then read again until two reads agree (a value being overwritten is never taken
half old, half new): an idle tick costs one read.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import cached_property, partial
from operator import itemgetter

from .changes import ChangeTracker
from .channel import Channel
from .channel_reader import Reader
from .codec import WINDOW, Decoded, Layout, detect_layout, read_stable, read_value
from .errors import FormatError, MmfError
from .message import Message
from .segment import Segment, SegmentState
from .structure_overlays import LiveOverlay, OverlayState

#: What the data inspector looks at from the cursor on.
INSPECT_BYTES = 256
#: Reading time per tick for a channel, so that a tick stays well under 50 ms.
POLL_BUDGET_S = 0.015
#: Segments up to this size are read whole every tick (the overview uses the bytes).
WHOLE_READ_MAX = 1 << 20
#: Needs further apart than this are read separately rather than in one span.
SPAN_READ_MAX = 4 << 20
#: Kinds told from bytes that a C struct may happen to hold (not from a magic number).
GUESSED_KINDS = (Layout.MAILBOX, Layout.TEXT)
#: How often a segment that is not a channel is looked at again for its kind.
REDETECT_SECONDS = 0.5

_timestamp = itemgetter(3)  # Message.timestamp_ns, as a C-level key function


def read_or_empty(segment: Segment, offset: int, n: int) -> bytes:
    """``n`` bytes at ``offset`` read now (fewer where the segment ends; b"" if it
    cannot be read: closed, removed, truncated under us)."""
    try:
        return segment.read(offset, n)
    except (MmfError, OSError):
        return b""


@dataclass(frozen=True)
class ReadWindow:
    """What the panes will show this tick: ``(offset, length)`` spans."""

    rows: tuple[int, int] = (0, 0)
    inspect: tuple[int, int] = (0, 0)
    #: Values watched elsewhere in the segment.
    watched: tuple[tuple[int, int], ...] = ()


@dataclass(frozen=True)
class FeedUpdate:
    """What the message pane shows anew after a tick."""

    #: New messages of a channel, oldest first by time.
    messages: tuple[Message, ...] = ()
    #: A value segment's value (or why it cannot be decoded), when it changed.
    value: Decoded | FormatError | None = None
    #: Why reading stopped (None while it goes on).
    error: str | None = None


class MessageFeed:
    """The reading behind the message pane: a channel's new messages, drained within
    :data:`POLL_BUDGET_S` and at most ``max_batch`` at a time, or a value segment's
    value when it changes. An error stops the feed (it says why in the update); it
    goes on by itself once the segment is back to the size it had when opened."""

    def __init__(self, segment: Segment, kind: Layout, *, channel: Channel | None = None,
                 start: str = "oldest", max_batch: int = 100_000) -> None:
        self.segment = segment
        self.kind = kind
        self.channel = channel
        self.max_batch = max_batch
        self.error: str | None = None
        self._start = start
        #: The channel's reader: made with the feed, or once the channel can be read
        #: (a channel truncated right now cannot be started on).
        self.reader: Reader | None = None
        if channel is not None:
            self._open_reader(channel)
        self._value_bytes: bytes | None = None
        self._value: Decoded | FormatError | None = None

    @property
    def value_window(self) -> int:
        """How many bytes from offset 0 the value needs (as much as it took last time,
        so a change anywhere in it shows); 0 for channels and raw segments."""
        if self.channel is not None or not self.kind.holds_a_value:
            return 0
        return max(WINDOW, len(self._value_bytes or b""))

    def poll(self, state: SegmentState | None = None, head: bytes | None = None) -> FeedUpdate:
        """What is new. ``state`` is the segment's state this tick (spares a size
        check); ``head``, bytes just read from offset 0 (at least
        :attr:`value_window` of them, or up to the segment's end)."""
        if self.error is not None and not self._can_resume(state):
            return FeedUpdate(error=self.error)
        if self.channel is not None:
            reader = self.reader or self._open_reader(self.channel)
            return self._poll_channel(reader) if reader is not None else FeedUpdate(error=self.error)
        if self.kind.holds_a_value:
            return self._poll_value(head)
        return FeedUpdate()

    def _open_reader(self, channel: Channel) -> Reader | None:
        try:
            self.reader = channel.reader(self._start)  # type: ignore[arg-type]  # Reader checks it
        except (MmfError, OSError) as err:
            self.error = f"Reading stopped: {err}"
        return self.reader

    def _poll_channel(self, reader: Reader) -> FeedUpdate:
        # One reader.poll() takes at most 64 KiB per lane (about a thousand small
        # messages); a writer sending faster than that per tick would lap a reader
        # polled once per tick and cost messages that did not need to be lost. So
        # drain the reader until it is caught up, within a time budget and never
        # more than the history holds.
        batch: list[Message] = []
        try:
            batch = reader.poll()
            if batch:
                deadline = time.perf_counter() + POLL_BUDGET_S
                while len(batch) < self.max_batch and time.perf_counter() < deadline:
                    more = reader.poll()
                    if not more:
                        break
                    batch += more
        except (MmfError, OSError) as err:
            self.error = f"Reading stopped: {err}"  # what was read before is still shown
        if len(batch) > 1:
            # The reader hands lanes over one after another; people read by time.
            # Each lane is already a sorted run, so this stable sort is cheap and keeps
            # every lane's own order.
            batch.sort(key=_timestamp)
        return FeedUpdate(messages=tuple(batch), error=self.error)

    def _poll_value(self, head: bytes | None) -> FeedUpdate:
        want = self.value_window
        try:
            data = head[:want] if head is not None else read_stable(self.segment, want)
            if data == self._value_bytes:
                return FeedUpdate()
            if head is not None:
                data = read_stable(self.segment, want)  # changed: read until two reads agree
            self._value_bytes = data
            value: Decoded | FormatError
            try:
                self._value_bytes, value = read_value(self.segment, self.kind, data)
            except FormatError as err:
                value = err
        except (MmfError, OSError) as err:
            self.error = f"Reading stopped: {err}"
            return FeedUpdate(error=self.error)
        previous, self._value = self._value, value
        if isinstance(value, FormatError):
            if isinstance(previous, FormatError) and str(value) == str(previous):
                return FeedUpdate()
        elif value == previous:
            return FeedUpdate()  # other bytes changed (after the value): nothing new to show
        return FeedUpdate(value=value)

    def _can_resume(self, state: SegmentState | None) -> bool:
        """After reading stopped because the segment shrank: true (and reading goes
        on) once it is back to its full size; the reader then finds where it is."""
        try:
            if self.segment.closed:
                return False
            size = state.size if state is not None else self.segment.current_size()
        except OSError:
            return False
        if size < self.segment.size:
            return False
        self.error = None
        self._value_bytes = None  # read the value again, whatever it was
        return True


@dataclass(frozen=True)
class ChangeAges:
    """Which bytes of a tick's rows changed within the fade time, and when."""

    #: The rows: (offset, length).
    span: tuple[int, int]
    #: The tick's time (``time.monotonic()``).
    at: float
    #: How long a change counts as recent (seconds).
    fade_seconds: float
    #: (offset, time of the change) of each recently changed byte, by offset.
    stamps: tuple[tuple[int, float], ...] = ()

    @cached_property
    def _when(self) -> dict[int, float]:
        return dict(self.stamps)

    def age(self, offset: int) -> float | None:
        """Seconds between the byte's last change and the tick (None: not recent)."""
        when = self._when.get(offset)
        if when is None:
            return None
        age = self.at - when
        return age if age < self.fade_seconds else None


@dataclass(frozen=True)
class Snapshot:
    """What one tick read: the segment's state, bytes, and what is new for the panes."""

    #: The segment's state (None when even that could not be looked at).
    state: SegmentState | None
    #: Why the segment could not be looked at or read, if it could not.
    error: str | None = None
    #: The reads of this tick: (offset, bytes asked for, bytes got: fewer where the
    #: segment ends). Usually one.
    reads: tuple[tuple[int, int, bytes], ...] = ()
    feed: FeedUpdate = field(default_factory=FeedUpdate)
    #: The segment's kind changed this tick (a new one was detected).
    kind_changed: bool = False
    #: What changed in the rows, and how recently (None when no rows were read).
    changes: ChangeAges | None = None
    #: The applied structures, each read consistently this tick.
    structures: tuple[OverlayState, ...] = ()

    def read_through(self, segment: Segment, offset: int, n: int) -> bytes:
        """Bytes this tick read, else read ``segment`` now (b"" if that fails)."""
        got = self.bytes_at(offset, n)
        return got if got is not None else read_or_empty(segment, offset, n)

    def bytes_at(self, offset: int, n: int) -> bytes | None:
        """``n`` bytes at ``offset`` (fewer where the segment ends) if this tick read
        them, else None."""
        for start, asked, data in self.reads:
            if start <= offset and offset + n <= start + asked:
                return data[offset - start:offset - start + n]
        return None


class LiveSession:
    """One open segment, its kind and (for a channel) its reader, refreshed by
    :meth:`tick`. Owns neither the timer nor any widget."""

    def __init__(self, segment: Segment, *, max_batch: int = 100_000) -> None:
        self.segment = segment
        self.max_batch = max_batch
        self.channel: Channel | None = None
        self.problem: str | None = None  # why a segment that looks like a channel is not read as one
        #: Structures applied to the segment, read every tick.
        self.overlays: list[LiveOverlay] = []
        self.kind = self._detect()
        self._detected_at = time.perf_counter()
        self.feed = self._make_feed()
        self.state: SegmentState | None = None
        #: Which bytes changed and how recently: the rows, and the whole segment's pages.
        self.tracker = ChangeTracker(segment.size)

    def tick(self, window: ReadWindow | Callable[[FeedUpdate], ReadWindow]) -> Snapshot:
        """Look at the segment's state, take what is new, read once what the panes
        need. ``window`` may be a function of the new messages (a pane that follows
        the newest one sets where to look before the read, not after)."""
        if self.segment.closed:
            return Snapshot(state=None, error=f"{self.segment.label} is closed")
        try:
            state = self.segment.state()
        except (MmfError, OSError) as err:
            return Snapshot(state=None, error=f"{self.segment.label} cannot be read any more: {err}")
        self.state = state
        kind_changed = self._maybe_redetect()
        spans = []
        update = FeedUpdate()
        if self.feed.channel is not None:
            update = self.feed.poll(state)
        elif self.feed.value_window:
            spans.append((0, self.feed.value_window))
        wanted = window(update) if callable(window) else window
        spans += [span for span in (wanted.rows, wanted.inspect, *wanted.watched) if span[1] > 0]
        if 0 < state.size <= WHOLE_READ_MAX:
            spans = [(0, state.size)]
        try:
            reads = tuple((offset, n, self.segment.read(offset, n)) for offset, n in _merge(spans))
        except (MmfError, OSError) as err:
            return Snapshot(state=state, error=f"cannot read {self.segment.label}: {err}",
                            kind_changed=kind_changed)
        snapshot = Snapshot(state=state, reads=reads, kind_changed=kind_changed)
        if self.feed.channel is None:
            head = snapshot.bytes_at(0, self.feed.value_window) if self.feed.value_window else None
            update = self.feed.poll(state, head)
        return replace(snapshot, feed=update, changes=self._track(snapshot, wanted.rows),
                       structures=self._read_structures())

    def _read_structures(self) -> tuple[OverlayState, ...]:
        """Each overlay read on its own (consistency takes reading again); one that
        cannot be read this tick is left out, the others are shown."""
        now = time.monotonic()
        states = []
        for overlay in self.overlays:
            try:
                states.append(overlay.tick(now))
            except (MmfError, OSError, ValueError, OverflowError):  # past what pread takes
                continue
        return tuple(states)

    def _track(self, snapshot: Snapshot, rows: tuple[int, int]) -> ChangeAges | None:
        """Stamp what changed in the rows since the last tick; scan on for the overview."""
        tracker, now = self.tracker, time.monotonic()
        assert snapshot.state is not None
        tracker.resize(snapshot.state.size)

        data = snapshot.bytes_at(*rows) if rows[1] > 0 else None
        if data is not None:
            tracker.update_visible(rows[0], data, now)
        tracker.scan_paced(partial(snapshot.read_through, self.segment), now)  # bytes a second, not a tick
        if data is None:
            return None
        return ChangeAges(span=rows, at=now, fade_seconds=tracker.fade_seconds,
                          stamps=tuple(sorted(tracker.stamps_in(*rows))))

    def reconnect(self) -> None:
        """Make the feed anew for the segment's current kind (and its channel)."""
        self._detach()
        self.feed = self._make_feed()

    def close(self) -> None:
        """Let go of the channel (its reader) and close the segment (never removes it)."""
        self._detach()
        self.segment.close()

    # -------------------------------------------------------------- internals

    def _detect(self) -> Layout:
        try:
            kind = detect_layout(self.segment)
        except (MmfError, OSError):
            return Layout.RAW
        if kind in GUESSED_KINDS and self.overlays:
            # A structure applied says what the bytes are: a C struct whose first
            # field happens to read as msgpack or text is not a mailbox or a text.
            return Layout.RAW
        return kind

    def redetect(self) -> bool:
        """Look at the segment's kind now, not at the next due time (structures were
        applied, which settles a guessed kind); True if it changed."""
        self._detected_at = -math.inf
        return self._maybe_redetect()

    def _maybe_redetect(self) -> bool:
        """A segment opened empty may become a mailbox, text or a channel later: look
        again now and then (a channel stays a channel while it is open)."""
        now = time.perf_counter()
        if self.channel is not None or now - self._detected_at < REDETECT_SECONDS:
            return False
        self._detected_at = now
        kind = self._detect()
        if kind == self.kind:
            return False
        self.kind = kind
        self.reconnect()
        return True

    def _make_feed(self) -> MessageFeed:
        kind = self.kind
        self.problem = None
        if kind == Layout.CHANNEL:
            try:
                self.channel = Channel.attach(self.segment, timeout=0, own=False)
            except (MmfError, OSError) as err:
                self.problem = f"This looks like a channel but cannot be read as one: {err}"
                kind = Layout.RAW
        return MessageFeed(self.segment, kind, channel=self.channel, max_batch=self.max_batch)

    def _detach(self) -> None:
        if self.channel is not None:
            self.channel.detach()
            self.channel = None


def _merge(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The spans as few reads: those closer than :data:`SPAN_READ_MAX` become one."""
    reads: list[tuple[int, int]] = []
    for offset, n in sorted(spans):
        if reads:
            start, length = reads[-1]
            if offset - (start + length) <= SPAN_READ_MAX:
                reads[-1] = (start, max(start + length, offset + n) - start)
                continue
        reads.append((offset, n))
    return reads
