"""Which bytes changed, and how long ago: the live highlight no other hex viewer has.

Two scales, both cheap enough to run on every refresh tick:

* **Visible bytes** — :meth:`ChangeTracker.update_visible` compares the rows on
  screen with what was read at the same offsets on the previous tick and stamps
  every byte that differs (one big-integer XOR, not a loop per byte).
  :meth:`~ChangeTracker.levels` turns the stamps into one highlight level per
  byte (255 = changed just now, 0 = nothing) for a paint; it costs nothing when
  no highlight is fading and only touches recently changed bytes otherwise. Our
  own writes are told apart (:meth:`~ChangeTracker.mark_own`).
* **The whole segment** — the paced scan of page hashes the tracker builds on
  (:mod:`mmfviewer.page_scan`); changes seen on screen mark their pages too.

Memory stays small whatever the segment's size: the previous visible read, the
offsets of bytes changed within the fade time, and the page tables of the scan.

Times are whatever clock the caller passes as ``now`` (the view uses
``time.monotonic()``); the tracker never reads a clock itself except as a default.
This module never imports Qt.
"""

from __future__ import annotations

import math
import re
import time

from .page_scan import DEFAULT_HEAT_SECONDS, PageScan

#: How long a change stays lit (bytes, structure fields, watches), fading.
FADE_SECONDS = 1.5
#: At most this many bytes of one write of ours are told apart from others' changes.
OWN_MARK_MAX = 1 << 16
_NEVER = -math.inf
_NONZERO = re.compile(rb"[^\x00]")


class ChangeTracker(PageScan):
    """Change times for the bytes on screen and for every page of a segment.

    ``size`` is the segment's live size; call :meth:`resize` when it changes.
    ``fade_seconds`` is how long a changed byte stays highlighted; ``budget_bytes``
    caps what one :meth:`scan` reads; ``page_size`` fixes the scan's page size
    (default: :func:`~mmfviewer.page_scan.page_size_for`).
    """

    def __init__(self, size: int, *, fade_seconds: float = FADE_SECONDS, budget_bytes: int = 4 << 20,
                 page_size: int | None = None, heat_seconds: float = DEFAULT_HEAT_SECONDS) -> None:
        if fade_seconds <= 0:
            raise ValueError(f"fade time must be positive (got {fade_seconds})")
        super().__init__(size, budget_bytes=budget_bytes, page_size=page_size, heat_seconds=heat_seconds)
        self.fade_seconds = float(fade_seconds)
        # The previous visible read: the only copy of segment bytes we keep.
        self._prev_offset = 0
        self._prev: bytes | None = None
        # offset -> time of last change, only for bytes changed within the fade time.
        self._recent: dict[int, float] = {}
        # Bytes we wrote ourselves (offset -> when), until the next look sees them change;
        # then the offsets of recent changes that were ours (shown in a colour of their own).
        self._own_pending: dict[int, float] = {}
        self._own: set[int] = set()
        self._last_byte_change = _NEVER
        self._last_prune = _NEVER

    # ------------------------------------------------------------------ visible bytes

    def update_visible(self, offset: int, data: bytes, now: float) -> int:
        """Compare the bytes on screen with the previous tick's; return how many changed.

        Only offsets read both now and on the previous call are compared, so
        scrolling to bytes not seen before never counts as a change.
        """
        data = bytes(data)
        prev, prev_offset = self._prev, self._prev_offset
        self._prev, self._prev_offset = data, offset
        if prev is None:
            return 0
        lo = max(offset, prev_offset)
        hi = min(offset + len(data), prev_offset + len(prev))
        if hi <= lo:
            return 0
        new = data[lo - offset:hi - offset]
        old = prev[lo - prev_offset:hi - prev_offset]
        if new == old:
            return 0
        # XOR as big integers is one C loop; the regex then finds the non-zero bytes.
        diff = (int.from_bytes(new, "little") ^ int.from_bytes(old, "little")).to_bytes(hi - lo, "little")
        changed = [lo + m.start() for m in _NONZERO.finditer(diff)]
        recent = self._recent
        for pos in changed:
            recent[pos] = now
        if self._own_pending or self._own:
            pending, own = self._own_pending, self._own
            for pos in changed:
                if pending.pop(pos, None) is not None:
                    own.add(pos)
                else:
                    own.discard(pos)  # changed again, by someone else
        self._last_byte_change = now
        page_size = self.page_size
        for page in {pos // page_size for pos in changed}:
            if page < self._npages:
                self._mark_page(page, now)
        self._prune(now)
        return len(changed)

    def _prune(self, now: float) -> None:
        """Forget byte stamps past the fade time (at most once per fade period)."""
        if now - self._last_prune < self.fade_seconds and len(self._recent) < 1 << 16:
            return
        self._last_prune = now
        horizon = now - self.fade_seconds
        self._recent = {pos: t for pos, t in self._recent.items() if t > horizon}
        self._own &= self._recent.keys()
        self._own_pending = {pos: t for pos, t in self._own_pending.items() if t > horizon}

    def mark_own(self, offset: int, length: int, now: float) -> None:
        """We are writing ``length`` bytes at ``offset``: when they are next seen to
        change, the change is ours (:meth:`own_levels`), not another process's."""
        for pos in range(offset, offset + min(length, OWN_MARK_MAX)):
            self._own_pending[pos] = now

    def own_levels(self, offset: int, length: int, now: float, levels: bytes | None = None) -> bytes | None:
        """:meth:`levels` of the bytes whose recent change was ours (None: there are none);
        ``levels``: the levels of those bytes, when the caller has them already."""
        own = [pos for pos in self._own if offset <= pos < offset + length]
        if not own:
            return None
        if levels is None or len(levels) < length:
            levels = self.levels(offset, length, now)
        out = bytearray(len(levels))
        for pos in own:
            out[pos - offset] = levels[pos - offset]
        return bytes(out)

    def age(self, offset: int, now: float | None = None) -> float | None:
        """Seconds since the byte at ``offset`` changed, or None if not within the fade time."""
        if now is None:
            now = time.monotonic()
        stamp = self._recent.get(offset)
        if stamp is None:
            return None
        age = now - stamp
        return age if age < self.fade_seconds else None

    def ages(self, offset: int, length: int, now: float) -> list[float | None]:
        """:meth:`age` for ``length`` bytes from ``offset``."""
        out: list[float | None] = [None] * max(0, length)
        if not self._recent or now - self._last_byte_change >= self.fade_seconds:
            return out
        fade = self.fade_seconds
        for pos, stamp in self.stamps_in(offset, length):
            age = now - stamp
            if age < fade:
                out[pos - offset] = age
        return out

    def levels(self, offset: int, length: int, now: float) -> bytes:
        """One highlight level per byte: 255 = changed just now, fading linearly to 0.

        The view multiplies a level by its highlight colour's alpha; bytes that are
        all zero (the common case) come back without any per-byte work.
        """
        length = max(0, length)
        if not self._recent or now - self._last_byte_change >= self.fade_seconds:
            return bytes(length)
        out = bytearray(length)
        scale = 255.0 / self.fade_seconds
        # Level 255 at age 0: 255 - age * scale == (stamp - start) * scale.
        start = now - self.fade_seconds
        end = offset + length
        recent = self._recent
        if len(recent) < length:
            for pos, stamp in recent.items():
                if offset <= pos < end and stamp > start:
                    level = int((stamp - start) * scale)
                    out[pos - offset] = level if level < 256 else 255
        else:
            get = recent.get
            for pos in range(offset, end):
                seen = get(pos)
                if seen is not None and seen > start:
                    level = int((seen - start) * scale)
                    out[pos - offset] = level if level < 256 else 255
        return bytes(out)

    def stamps_in(self, offset: int, length: int) -> list[tuple[int, float]]:
        """(offset, time) of recently changed bytes in [offset, offset + length)."""
        recent = self._recent
        end = offset + length
        if len(recent) < length:
            return [(pos, t) for pos, t in recent.items() if offset <= pos < end]
        get = recent.get
        return [(pos, t) for pos in range(offset, end) if (t := get(pos)) is not None]

    def active(self, now: float) -> bool:
        """True while a byte highlight is still fading (the view keeps repainting)."""
        return now - self._last_byte_change < self.fade_seconds

    # ------------------------------------------------------------------ size changes

    def resize(self, size: int) -> None:
        """The segment was truncated or grew: keep what still applies, drop the rest."""
        size = max(0, int(size))
        if size < self.size:
            self._recent = {pos: t for pos, t in self._recent.items() if pos < size}
            self._own &= self._recent.keys()
            if self._prev is not None:
                self._prev = self._prev[:max(0, size - self._prev_offset)]
        super().resize(size)
