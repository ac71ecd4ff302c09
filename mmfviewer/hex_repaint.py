"""Which rows of a live hex view a tick repaints, without Qt.

A fast refresh must not repaint what did not change: an idle view paints nothing.
A tick repaints the rows whose bytes changed, the rows that lit up or went dark,
and, when the fade moved on a step (:data:`FADE_STEPS_PER_SECOND`), every row with
a highlight; all of them only if other rows came on screen. The levels a tick chose
its rows by are kept for its paint (:meth:`RepaintPlanner.levels_for`), so what is
painted agrees with what was chosen.
"""

from __future__ import annotations

import math

from .changes import ChangeTracker

#: Change highlights fade in at most this many steps a second (one step is under 2%
#: of opacity). Smooth to the eye, and a fast refresh then repaints a row whose
#: bytes did not change only when the fade steps, not on every tick.
FADE_STEPS_PER_SECOND = 30
#: A paint reuses the highlight levels its tick computed when they are this fresh (s).
LEVELS_REUSE_SECONDS = 0.05
#: Seconds between two repaints of the overview strip while its marks fade.
STRIP_INTERVAL = 0.1


def fade_clock(now: float) -> float:
    """``now`` rounded down to a step of the fade: the time highlights are drawn for."""
    return math.floor(now * FADE_STEPS_PER_SECOND) / FADE_STEPS_PER_SECOND


def changed_rows(data: bytes, before: bytes, bytes_per_row: int) -> set[int]:
    """Rows (0 = the first of ``data``) whose bytes differ from ``before``, read at the
    same offset."""
    bpr = bytes_per_row
    return {i for i in range(-(-len(data) // bpr))
            if data[i * bpr:(i + 1) * bpr] != before[i * bpr:(i + 1) * bpr]}


def row_runs(rows: set[int]) -> list[tuple[int, int]]:
    """``rows`` as runs of adjacent rows: ``(first, last)``, both included."""
    runs: list[tuple[int, int]] = []
    for row in sorted(rows):
        if runs and row == runs[-1][1] + 1:
            runs[-1] = (runs[-1][0], row)
        else:
            runs.append((row, row))
    return runs


class RepaintPlanner:
    """Remembers what the last tick painted, and plans what the next one repaints."""

    def __init__(self, tracker: ChangeTracker) -> None:
        self.tracker = tracker
        #: Rows on screen (0 = top) painted with a change highlight.
        self.lit: set[int] = set()
        self._fade_shown = -math.inf  # the fade step those highlights were painted at
        # (offset, time, levels) computed by the last tick, for its paint to reuse.
        self._tick_levels: tuple[int, float, bytes] | None = None
        self._heat_painted = False
        self._strip_painted_at = -math.inf

    def forget_levels(self) -> None:
        """The tracker learnt of new changes: the kept levels are stale."""
        self._tick_levels = None

    def plan(self, *, offset: int, bytes_per_row: int, data: bytes, before: bytes,
             changed: bool, moved: bool, now: float) -> set[int] | None:
        """The rows on screen to repaint this tick (None: all of them).

        ``data`` is what the rows at ``offset`` hold now and ``before`` what they
        held (``changed`` when they differ); ``moved`` when other rows came on screen.
        """
        fade = fade_clock(now)
        busy = changed or self.tracker.active(now) or self.lit
        lit = self._lit_rows(offset, bytes_per_row, len(data), now, fade) if busy else set()
        dirty: set[int] | None = None
        if not moved:
            dirty = lit ^ self.lit
            if fade != self._fade_shown:
                dirty |= lit | self.lit  # the fade moved on: every highlight changed
            if changed:
                dirty |= changed_rows(data, before, bytes_per_row)
        self.lit = lit
        self._fade_shown = fade
        return dirty

    def strip_due(self, now: float) -> bool:
        """Whether the overview strip repaints now: while its marks show or just went,
        or the background scan moves on through a big segment, ten frames a second (it
        is an overview)."""
        tracker = self.tracker
        heat = tracker.heat_active(now) or tracker.size > tracker.budget_bytes
        if not (heat or self._heat_painted) or now - self._strip_painted_at < STRIP_INTERVAL:
            return False
        self._strip_painted_at = now
        self._heat_painted = heat
        return True

    def levels_for(self, offset: int, length: int, now: float) -> tuple[bytes | None, bytes | None]:
        """Highlight levels for a paint, of others' changes and of ours (None: no
        highlight of that kind): the ones the last tick computed when they are fresh
        (so a tick's paint agrees with the rows it chose), else new ones."""
        if not self.tracker.active(now):
            return None, None
        tick = self._tick_levels
        if (tick is not None and tick[0] == offset and len(tick[2]) >= length
                and 0 <= now - tick[1] < LEVELS_REUSE_SECONDS):
            levels = tick[2]
        else:
            levels = self.tracker.levels(offset, length, fade_clock(now))
        own = self.tracker.own_levels(offset, length, fade_clock(now), levels)
        if own is None:
            return levels, None
        return bytes(0 if mine else level for level, mine in zip(levels, own, strict=False)), own

    def _lit_rows(self, offset: int, bpr: int, shown: int, now: float, fade: float) -> set[int]:
        """Rows on screen holding a byte whose change highlight still shows."""
        if not self.tracker.active(now):
            self._tick_levels = None
            return set()
        levels = self.tracker.levels(offset, shown + bpr, fade)
        self._tick_levels = (offset, now, levels)
        return {i for i in range(-(-len(levels) // bpr))
                if levels[i * bpr:(i + 1) * bpr].strip(b"\0")}
