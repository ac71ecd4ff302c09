"""How big a hex view draws its bytes and how many go on a row: the font's point
size (zoom) and the bytes per row, fixed or as many as fit the width, and the
:class:`~mmfviewer.qt.hex_geometry.HexGeometry` they make.

Either change lays the rows out again, keeping the byte at the top in the top row and
the cursor on screen, so that zooming or widening the window keeps the reader's place.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING

from .hex_geometry import bytes_per_row_to_fit, geometry_for_font
from .style import monospace_font

if TYPE_CHECKING:
    from .hex_view import HexView

#: Allowed zoom range (points).
MIN_POINT_SIZE, MAX_POINT_SIZE = 4, 72
BYTES_PER_ROW_CHOICES = (8, 16, 32, 64)
#: ``bytes_per_row = AUTO``: as many as fit the width (whole groups of 8).
AUTO = 0


class HexZoom:
    """The font and the bytes per row of ``view``. After a change, ``forget_rows``
    drops what was drawn for the old bytes per row and ``rows_moved`` shows the rows
    now on screen."""

    def __init__(self, view: HexView, *, forget_rows: Callable[[], None], rows_moved: Callable[[], None]) -> None:
        self._view = view
        self._forget_rows = forget_rows
        self._rows_moved = rows_moved
        #: The font the bytes are drawn in (at the current zoom).
        self.font = monospace_font()
        #: Where things go with this font and bytes per row.
        self.geometry = geometry_for_font(self.font, 16, view.document.size)
        #: Bytes per row follow the width (set with :data:`AUTO`).
        self.auto_bytes_per_row = False

    def set_bytes_per_row(self, n: int) -> None:
        """8, 16, 32 or 64 bytes per row, or as many as fit the width (:data:`AUTO`)."""
        if n != AUTO and n not in BYTES_PER_ROW_CHOICES:
            raise ValueError(f"bytes per row must be one of {BYTES_PER_ROW_CHOICES} or AUTO (0), got {n!r}")
        self.auto_bytes_per_row = n == AUTO
        self._change_bytes_per_row(self._fitting_bytes_per_row() if n == AUTO else n)

    def fit_width(self) -> None:
        """The view's width changed: with :data:`AUTO`, as many bytes per row as fit now."""
        if self.auto_bytes_per_row:
            self._change_bytes_per_row(self._fitting_bytes_per_row())

    def set_points(self, points: int) -> None:
        """Draw the bytes at ``points`` (clamped to 4..72)."""
        points = min(max(MIN_POINT_SIZE, points), MAX_POINT_SIZE)
        if points != self.font.pointSize():
            self.font.setPointSize(points)
            self._relayout(bytes_per_row=self.geometry.bytes_per_row, first_row=self._view.scroller.first_row)
            self.fit_width()  # bigger letters, fewer bytes

    def resize(self, size: int) -> None:
        """The segment is now ``size`` bytes long."""
        self.geometry = replace(self.geometry, size=size)

    def _change_bytes_per_row(self, n: int) -> None:
        old = self.geometry.bytes_per_row
        if n != old:
            top = self._view.scroller.first_row * old
            self._forget_rows()
            self._relayout(bytes_per_row=n, first_row=top // n)

    def width_for(self, bytes_per_row: int) -> int:
        """The view's width (frame, scrollbar and overview strip included) that shows
        ``bytes_per_row`` with their offsets and text without scrolling sideways: what
        :data:`AUTO` would need to pick that many."""
        view = self._view
        margins = view.viewportMargins()  # the overview strip beside the rows
        chrome = (view.verticalScrollBar().sizeHint().width() + 2 * view.frameWidth()
                  + margins.left() + margins.right())
        return math.ceil(replace(self.geometry, bytes_per_row=bytes_per_row).total_width) + chrome

    def _fitting_bytes_per_row(self) -> int:
        return bytes_per_row_to_fit(self.geometry, self._view.viewport().width())

    def _relayout(self, *, bytes_per_row: int, first_row: int) -> None:
        view = self._view
        self.geometry = geometry_for_font(self.font, bytes_per_row, view.document.size)
        view.scroller.first_row = first_row
        view.scroller.update_scrollbars()
        view.scroller.ensure_visible(view.cursor_state.offset, in_ascii=view.cursor_state.in_ascii)
        self._rows_moved()

