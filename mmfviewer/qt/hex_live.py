"""A hex view's live tick: take the rows on screen, track their changes, repaint
only what changed (:mod:`mmfviewer.hex_repaint` decides which rows).

A segment that cannot be read (closed, removed, truncated under us) keeps showing
the last bytes read, and says so once per run of failures.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from PySide6.QtCore import QRect

from ..hex_repaint import RepaintPlanner, row_runs

if TYPE_CHECKING:
    from .hex_view import HexView


class LiveRows:
    """The rows ``view`` shows, kept live: read, tracked, repainted."""

    def __init__(self, view: HexView) -> None:
        self._view = view
        self.planner = RepaintPlanner(view.tracker)
        self._failed = False
        #: While set, rows that come on screen are not read: the tick about to be shown
        #: reads them (see :meth:`deferring`).
        self.deferred = False

    @contextmanager
    def deferring(self) -> Iterator[None]:
        """Moves inside this block read nothing: the snapshot shown next holds the rows
        (a tick that follows the newest message scrolls before its one read)."""
        self.deferred = True
        try:
            yield
        finally:
            self.deferred = False

    def tick(self, size: int | None, err: BaseException | str | None = None) -> None:
        """One tick with the segment's ``size`` now (None when it cannot be looked at,
        because of ``err``)."""
        view, doc = self._view, self._view.document
        if size is None:
            self.unreadable(err)
            return
        now = time.monotonic()
        moved = size != doc.size
        if moved:
            view.apply_size(size)
        before_offset, before = doc.data_offset, doc.data
        changed = self.read_visible(now)
        # Other rows on screen (scrolled, or more or fewer bytes): repaint them all.
        moved |= changed and (doc.data_offset, len(doc.data)) != (before_offset, len(before))
        if doc.snapshot is None:  # on its own; a session scans as it reads
            view.tracker.scan_paced(doc.tick_read, now)  # bytes per second, not per tick
        dirty = self.planner.plan(offset=view.visible_span()[0], bytes_per_row=view.bytes_per_row,
                                  data=doc.data, before=before, changed=changed, moved=moved, now=now)
        if dirty is None:
            view.viewport().update()
        else:
            for first, last in row_runs(dirty):
                view.viewport().update(self._rows_rect(first, last))
        if self.planner.strip_due(now):
            view.overview_strip.update()

    def read_visible(self, now: float | None = None) -> bool:
        """Take the rows on screen (from the tick's snapshot when it holds them); True
        if what is shown changed."""
        if self.deferred:
            return False
        doc = self._view.document
        changed = doc.take_rows(*self._view.visible_span(), time.monotonic() if now is None else now)
        if changed is None:
            self.unreadable(doc.failure or None)
            return False
        self._failed = False
        if changed:
            self.planner.forget_levels()
        return changed

    def unreadable(self, err: BaseException | str | None) -> None:
        """The segment could not be read: say so, once until a read succeeds."""
        if not self._failed:
            why = f": {err}" if err is not None else ""
            self._view.message.emit(f"cannot read {self._view.segment.label}{why}; showing the last bytes read")
        self._failed = True

    def _rows_rect(self, first: int, last: int) -> QRect:
        """The viewport rectangle of the visible rows ``first`` to ``last``, full width."""
        lay = self._view.hex_geometry
        top = math.floor(lay.row_y(first))
        bottom = math.ceil(lay.row_y(last + 1))
        return QRect(0, top, self._view.viewport().width(), bottom - top)
