"""Which row a hex view shows at the top, kept in step with its scrollbars.

Offsets are Python ints and a Qt scrollbar counts in 32 bits, so past
:data:`~mmfviewer.qt.hex_geometry.SCROLL_MAX` rows the vertical scrollbar is scaled
(:func:`~mmfviewer.qt.hex_geometry.scroll_value_for_row`); its arrow and page clicks
then move by rows, not by scaled units, and a segment far beyond 4 GiB still
scrolls to its last byte.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from PySide6.QtWidgets import QAbstractScrollArea, QAbstractSlider

from .hex_geometry import (
    SCROLL_MAX,
    HexGeometry,
    row_for_scroll_value,
    scroll_value_for_row,
    scrollbar_maximum,
)

#: Wheel units per row: one notch (120) scrolls three rows.
WHEEL_UNITS_PER_ROW = 40


class RowScroller:
    """The top row of ``area``, its scrollbars, wheel and keeping a byte in view.

    ``geometry`` gives the view's current geometry; ``on_moved`` is called after
    the top row changed (to read and paint the new rows).
    """

    def __init__(self, area: QAbstractScrollArea, geometry: Callable[[], HexGeometry],
                 on_moved: Callable[[], None]) -> None:
        self._area = area
        self._geometry = geometry
        self._on_moved = on_moved
        #: The row shown at the top.
        self.first_row = 0
        self._wheel_rest = 0
        self._syncing = False
        self._ignore_value: int | None = None
        vbar = area.verticalScrollBar()
        vbar.valueChanged.connect(self._on_value)
        vbar.actionTriggered.connect(self._on_action)
        area.horizontalScrollBar().valueChanged.connect(lambda _value: area.viewport().update())

    def full_rows(self) -> int:
        """Rows wholly on screen: a page."""
        return self._geometry().full_rows(self._area.viewport().height())

    def max_first_row(self) -> int:
        """The last row that can be at the top."""
        return self._geometry().max_first_row(self._area.viewport().height())

    def set_first_row(self, row: int) -> None:
        """Show ``row`` (clamped) at the top."""
        row = min(max(0, row), self.max_first_row())
        if row == self.first_row:
            return
        self.first_row = row
        self._sync()
        self._on_moved()

    def scroll_rows(self, delta: int) -> None:
        """Scroll by ``delta`` rows (down when positive)."""
        self.set_first_row(self.first_row + delta)

    def reveal_rows(self, first: int, last: int) -> None:
        """Bring rows ``first`` to ``last`` on screen, centred, unless they are wholly
        there already; more rows than fit start at the top."""
        full = self.full_rows()
        if self.first_row <= first and last < self.first_row + full:
            return
        rows = last - first + 1
        self.set_first_row(first - (full - rows) // 2 if rows < full else first)

    def shown_fraction(self) -> tuple[float, float]:
        """Where the rows on screen begin and end, as fractions of the segment."""
        lay = self._geometry()
        if lay.size <= 0:
            return 0.0, 1.0
        top = self.first_row * lay.bytes_per_row
        shown = lay.visible_rows(self._area.viewport().height()) * lay.bytes_per_row
        return top / lay.size, min(1.0, (top + shown) / lay.size)

    def jump_to_fraction(self, fraction: float) -> None:
        """Centre the screen on that fraction of the segment."""
        self.set_first_row(int(fraction * self._geometry().rows) - self.full_rows() // 2)

    def ensure_visible(self, offset: int, *, in_ascii: bool) -> None:
        """Scroll just enough for the byte at ``offset`` (its hex or ASCII cell) to show."""
        lay = self._geometry()
        bpr = lay.bytes_per_row
        row = offset // bpr
        full = self.full_rows()
        if row < self.first_row:
            self.set_first_row(row)
        elif row >= self.first_row + full:
            self.set_first_row(row - full + 1)
        col = offset % bpr
        if in_ascii:
            x0, x1 = lay.ascii_x(col), lay.ascii_x(col) + lay.char_width
        else:
            x0, x1 = lay.hex_x(col) - lay.char_width, lay.hex_x(col) + 3 * lay.char_width
        hbar = self._area.horizontalScrollBar()
        width = self._area.viewport().width()
        if x0 < hbar.value():
            hbar.setValue(int(x0))
        elif x1 > hbar.value() + width:
            hbar.setValue(int(math.ceil(x1 - width)))

    def update_scrollbars(self) -> None:
        """Fit both scrollbars to the geometry and the viewport (after a resize, a new
        size of the segment, a zoom)."""
        lay = self._geometry()
        max_row = self.max_first_row()
        self.first_row = min(self.first_row, max_row)
        bar = self._area.verticalScrollBar()
        self._syncing = True
        try:
            bar.setRange(0, scrollbar_maximum(max_row))
            bar.setPageStep(self.full_rows() if max_row <= SCROLL_MAX else max(1, SCROLL_MAX // 1000))
            bar.setSingleStep(1)
            bar.setValue(scroll_value_for_row(self.first_row, max_row))
        finally:
            self._syncing = False
        hbar = self._area.horizontalScrollBar()
        width = self._area.viewport().width()
        hbar.setRange(0, max(0, math.ceil(lay.total_width) - width))
        hbar.setPageStep(max(1, width))
        hbar.setSingleStep(max(1, round(lay.char_width)))

    def wheel(self, dy: int, dx: int) -> None:
        """Scroll by a wheel's angle deltas, keeping a touchpad's remainders."""
        if dy:
            self._wheel_rest += dy
            rows = int(self._wheel_rest / WHEEL_UNITS_PER_ROW)
            self._wheel_rest -= rows * WHEEL_UNITS_PER_ROW
            if rows:
                self.scroll_rows(-rows)
        if dx:
            hbar = self._area.horizontalScrollBar()
            hbar.setValue(hbar.value() - dx // 4)

    def _sync(self) -> None:
        self._syncing = True
        try:
            self._area.verticalScrollBar().setValue(
                scroll_value_for_row(self.first_row, self.max_first_row()))
        finally:
            self._syncing = False

    def _on_value(self, value: int) -> None:
        if self._syncing:
            return
        if self._ignore_value is not None:
            ignored, self._ignore_value = self._ignore_value, None
            if value == ignored:
                return
        self.set_first_row(row_for_scroll_value(value, self.max_first_row()))

    def _on_action(self, action: int) -> None:
        """Arrow and page clicks on a scaled scrollbar move by rows, not by scaled units."""
        max_row = self.max_first_row()
        if max_row <= SCROLL_MAX:
            return  # unscaled: the scrollbar's own steps are rows
        full = self.full_rows()
        step = {
            QAbstractSlider.SliderAction.SliderSingleStepAdd: 1,
            QAbstractSlider.SliderAction.SliderSingleStepSub: -1,
            QAbstractSlider.SliderAction.SliderPageStepAdd: full,
            QAbstractSlider.SliderAction.SliderPageStepSub: -full,
        }.get(QAbstractSlider.SliderAction(action))
        if step is None:
            return
        row = min(max(0, self.first_row + step), max_row)
        value = scroll_value_for_row(row, max_row)
        self._ignore_value = value
        self._area.verticalScrollBar().setSliderPosition(value)
        self.set_first_row(row)
