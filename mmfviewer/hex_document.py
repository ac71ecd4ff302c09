"""What a hex view shows, without Qt: the segment's size, the rows last taken, what
changed and how recently, and search.

Rows come from the tick's :class:`~mmfviewer.live_session.Snapshot` when it holds
them (a tick reads once for every pane), else from the segment through ``pread``;
a segment truncated or removed under us gives short or failed reads, which are
reported, never raised, and the last bytes read stay shown.
"""

from __future__ import annotations

from collections.abc import Callable

from .changes import ChangeTracker
from .errors import MmfError
from .live_session import Snapshot, read_or_empty
from .segment import Segment

#: Bytes read per chunk while searching, plus an overlap of len(pattern) - 1.
FIND_CHUNK = 1 << 20


class HexDocument:
    """The bytes behind a hex view: size, the rows on screen, changes, search."""

    def __init__(self, segment: Segment, tracker: ChangeTracker | None = None) -> None:
        self.segment = segment
        #: What the last tick read, while it is current (None: read for ourselves).
        self.snapshot: Snapshot | None = None
        #: Why the last read failed (None when it did not).
        self.failure: str | None = None
        self.size = self.live_size() or 0
        #: Which bytes changed: the live session's when it drives the view (it tracks the
        #: rows each tick reads), else the document's own.
        self.tracker = tracker if tracker is not None else ChangeTracker(self.size)
        self.data_offset = 0
        self.data = b""

    def live_size(self) -> int | None:
        """The segment's size now (None if it cannot be looked at: closed, gone)."""
        try:
            return self.segment.current_size()
        except (MmfError, OSError) as err:
            self.failure = str(err)
            return None

    def resize(self, size: int) -> None:
        """The segment was truncated or grew."""
        self.size = size
        self.tracker.resize(size)

    def tick_read(self, offset: int, n: int) -> bytes:
        """Bytes this tick's snapshot holds, else read now (b"" if that fails)."""
        if self.snapshot is not None:
            return self.snapshot.read_through(self.segment, offset, n)
        return self.safe_read(offset, n)

    def safe_read(self, offset: int, n: int) -> bytes:
        """Read now, from the segment itself (b"" if that fails)."""
        return read_or_empty(self.segment, offset, n)

    def take_rows(self, offset: int, want: int, now: float) -> bool | None:
        """Take ``want`` bytes at ``offset`` as the rows on screen; True if they changed,
        False if not, None if they could not be read (see :attr:`failure`)."""
        if want <= 0:
            data = b""
        else:
            try:
                got = self.snapshot.bytes_at(offset, want) if self.snapshot is not None else None
                data = got if got is not None else self.segment.read(offset, want)
            except (MmfError, OSError) as err:
                self.failure = str(err)
                return None
            if not data:  # the size said there are bytes; the read says otherwise
                self.failure = ""
                return None
        self.failure = None
        if data == self.data and offset == self.data_offset:
            return False
        self.data_offset, self.data = offset, data
        changes = self.snapshot.changes if self.snapshot is not None else None
        if changes is None or changes.span != (offset, want):  # the session did not track these rows
            self.tracker.update_visible(offset, data, now)
        return True

    def read_cached(self, offset: int, n: int) -> bytes:
        """``n`` bytes at ``offset``: from the rows on screen or the tick's snapshot
        when they hold them, otherwise from the segment (b"" if that fails)."""
        if n <= 0 or offset < 0:
            return b""
        rel = offset - self.data_offset
        if rel >= 0 and rel + n <= len(self.data):
            return self.data[rel:rel + n]
        return self.tick_read(offset, n)

    def find(self, pattern: bytes, here: int, *, forward: bool = True) -> tuple[int | None, bool]:
        """The next match of ``pattern`` after ``here`` (or the one before it), wrapping
        around the end: (its offset or None, whether the search wrapped). Reads the
        segment as it is now, in chunks of :data:`FIND_CHUNK`."""
        size = self.live_size() or 0
        here = min(here, max(0, size - 1))
        read = self.safe_read
        if forward:
            hit = search_forward(read, pattern, here + 1, size, size)
            if hit is not None:
                return hit, False
            return search_forward(read, pattern, 0, min(here + 1, size), size), True
        hit = search_backward(read, pattern, 0, here, size)
        if hit is not None:
            return hit, False
        return search_backward(read, pattern, here, size, size), True


def search_forward(read: Callable[[int, int], bytes], pattern: bytes, lo: int, hi: int,
                   size: int) -> int | None:
    """First match starting in [lo, hi) of a segment of ``size`` bytes."""
    m = len(pattern)
    pos = lo
    while pos < hi and pos + m <= size:
        span = min(FIND_CHUNK, hi - pos)
        chunk = read(pos, span + m - 1)
        i = chunk.find(pattern)
        if i >= 0:
            return pos + i
        if len(chunk) < span + m - 1:
            return None  # the segment ended (or shrank) here
        pos += span
    return None


def search_backward(read: Callable[[int, int], bytes], pattern: bytes, lo: int, hi: int,
                    size: int) -> int | None:
    """Last match starting in [lo, hi) of a segment of ``size`` bytes."""
    m = len(pattern)
    end = min(hi, size - m + 1)
    while end > lo:
        begin = max(lo, end - FIND_CHUNK)
        chunk = read(begin, end - begin + m - 1)
        i = chunk.rfind(pattern)
        if i >= 0:
            return begin + i
        end = begin
    return None
