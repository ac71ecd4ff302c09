"""The live hex view: offsets, hex, ASCII; what changed glows and fades.

Shape borrowed from QHexView and qhexedit2: the scrollbar counts rows, only the
visible rows are read and painted, the geometry lives in small named helpers
(:class:`~mmfviewer.qt.hex_geometry.HexGeometry`) that work without a window, and
256-entry tables turn bytes into text and colours. What they do not do and we do:

* every read goes through :meth:`Segment.read` (``pread``), so a segment that
  another process truncates or removes never crashes the viewer; in a tab the rows
  come from the tick's one read (:meth:`HexView.show_snapshot`);
* a live tick takes the visible rows once, change
  highlighting from :class:`~mmfviewer.changes.ChangeTracker`, a scan of the whole
  segment for the overview strip (budgeted in bytes per second), and a repaint of
  only the rows whose bytes changed, plus the fading ones when the fade steps
  (:data:`FADE_STEPS_PER_SECOND`) — an idle view costs next to nothing;
* the rows' text is drawn as one glyph run per colour for all of them
  (:class:`~mmfviewer.qt.hex_render.RowGlyphs`), not laid out string by string on
  every paint;
* offsets are Python ints and the 32-bit scrollbar is scaled, so segments far
  beyond 4 GiB scroll to their last byte.

The view is in parts: what it shows, without Qt, in
:mod:`mmfviewer.hex_document` (size, rows, changes, search) and
:mod:`mmfviewer.hex_cursor` (cursor, selection, navigation keys); painting in
:mod:`mmfviewer.qt.hex_painter`; the undo command in :mod:`mmfviewer.qt.hex_commands`;
geometry, byte tables and text formats in :mod:`mmfviewer.qt.hex_geometry`; colours
and glyph runs in :mod:`mmfviewer.qt.hex_render`. This module is the widget: events,
scrolling, editing and the live tick's repaint.
"""

from __future__ import annotations

import math
import string
import time
from dataclasses import replace

from PySide6.QtCore import QEvent, QRect, Qt, Signal
from PySide6.QtGui import (
    QFont,
    QKeyEvent,
    QKeySequence,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QResizeEvent,
    QUndoStack,
    QWheelEvent,
)
from PySide6.QtWidgets import QAbstractScrollArea, QAbstractSlider, QApplication, QWidget

from ..errors import MmfError
from ..hex_cursor import Cursor, navigate
from ..hex_document import HexDocument
from ..live_session import Snapshot
from ..segment import Segment
from .hex_commands import WriteBytesCommand
from .hex_geometry import (
    SCROLL_MAX,
    HexGeometry,
    format_bytes,
    geometry_for_font,
    row_for_scroll_value,
    scroll_value_for_row,
    scrollbar_maximum,
)
from .hex_painter import HexPainter, PaintState
from .hex_render import HexColors
from .overview_strip import STRIP_WIDTH, OverviewStrip
from .style import monospace_font

#: Copying more than this would freeze the clipboard; the copy is cut and says so.
COPY_LIMIT = 4 << 20
#: Allowed zoom range (points).
MIN_POINT_SIZE, MAX_POINT_SIZE = 4, 72
#: Seconds between two repaints of the overview strip while its marks fade.
STRIP_INTERVAL = 0.1
#: A paint reuses the highlight levels its tick computed when they are this fresh (s).
LEVELS_REUSE_SECONDS = 0.05
#: Change highlights fade in at most this many steps a second (one step is under 2%
#: of opacity). Smooth to the eye, and a fast refresh then repaints a row whose
#: bytes did not change only when the fade steps, not on every tick.
FADE_STEPS_PER_SECOND = 30
BYTES_PER_ROW_CHOICES = (8, 16, 32)


def fade_clock(now: float) -> float:
    """``now`` rounded down to a step of the fade: the time highlights are drawn for."""
    return math.floor(now * FADE_STEPS_PER_SECOND) / FADE_STEPS_PER_SECOND


# ---------------------------------------------------------------------- undo

# ---------------------------------------------------------------------- the view

_NAV_KEYS = frozenset({
    Qt.Key.Key_Left, Qt.Key.Key_Right, Qt.Key.Key_Up, Qt.Key.Key_Down, Qt.Key.Key_PageUp, Qt.Key.Key_PageDown,
    Qt.Key.Key_Home, Qt.Key.Key_End, Qt.Key.Key_Tab, Qt.Key.Key_Backtab,
})
_HEX_DIGITS = frozenset(string.hexdigits)
_NAV_KEY_NAMES = {Qt.Key.Key_Left: "left", Qt.Key.Key_Right: "right", Qt.Key.Key_Up: "up",
                  Qt.Key.Key_Down: "down", Qt.Key.Key_PageUp: "page_up", Qt.Key.Key_PageDown: "page_down",
                  Qt.Key.Key_Home: "home", Qt.Key.Key_End: "end"}


class HexView(QAbstractScrollArea):
    """Live hex view of a :class:`Segment`, driven by its owner's timer via :meth:`refresh`.

    Keys: arrows, PgUp/PgDn, Home/End (row), Ctrl+Home/Ctrl+End (segment), Shift
    with any of them to select, Tab to switch between the hex and ASCII columns,
    Ctrl+A, Ctrl+C (hex), Ctrl+Z/Ctrl+Y, Ctrl+Plus/Minus. Typing hex digits (hex
    column) or printable characters (ASCII column) overwrites bytes when the
    segment is open read-write. The mouse clicks, drags, Shift+clicks, scrolls,
    and zooms with Ctrl+wheel.

    A selection runs from its anchor to the cursor, both bytes included.
    """

    cursorMoved = Signal(object)             # absolute offset (a Python int: 64-bit safe)
    selectionChanged = Signal(object, object)  # start, length (0 = no selection)
    refreshed = Signal()                     # after every refresh()
    edited = Signal(object, object)          # offset, length: the segment was written
    message = Signal(str)                    # a line for the status bar

    def __init__(self, segment: Segment, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._segment = segment
        self._doc = HexDocument(segment)
        self._read_failed = False
        #: Which bytes changed, and how recently (the document's).
        self.tracker = self._doc.tracker
        self._bpr = 16
        self._font = monospace_font()
        self._geometry = geometry_for_font(self._font, self._bpr, self._doc.size)
        self._colors = HexColors.for_palette(self.palette())
        self._first_row = 0
        self._sel = Cursor(size=self._doc.size)
        self._in_ascii = False
        self._low_nibble = False  # the high nibble of the cursor byte was just typed
        self._highlight: tuple[int, int] | None = None
        self._painter = HexPainter()
        # (offset, time, levels) computed by the last tick, for its paint to reuse.
        self._tick_levels: tuple[int, float, bytes] | None = None
        self._lit: set[int] = set()  # visible rows painted with a change highlight
        self._fade_shown = -math.inf  # the fade step those highlights were painted at
        self._heat_painted = False
        self._strip_painted_at = -math.inf
        self._dragging = False
        self._wheel_rest = 0
        self._syncing_scrollbar = False
        self._ignore_scroll_value: int | None = None
        self.undo_stack = QUndoStack(self)

        self._strip = OverviewStrip(self._strip_heat, self._strip_visible, self._strip_jump, self)
        self.setViewportMargins(0, 0, STRIP_WIDTH, 0)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.viewport().setCursor(Qt.CursorShape.IBeamCursor)
        self.viewport().setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
        vbar = self.verticalScrollBar()
        vbar.valueChanged.connect(self._on_scroll_value)
        vbar.actionTriggered.connect(self._on_scroll_action)
        self.horizontalScrollBar().valueChanged.connect(self._on_hscroll)
        self._update_scrollbars()
        self._read_visible(time.monotonic())

    # ------------------------------------------------------------------ live ticks

    def visible_span(self) -> tuple[int, int]:
        """``(offset, length)`` of the rows on screen: what the next tick must read."""
        offset = self._first_row * self._bpr
        return offset, min(self._geometry.visible_rows(self.viewport().height()) * self._bpr,
                           max(0, self._doc.size - offset))

    def show_snapshot(self, snapshot: Snapshot) -> None:
        """One live tick from what the segment's session read (see :meth:`refresh`)."""
        self._doc.snapshot = snapshot
        if snapshot.state is None:  # closed or gone: keep showing the last bytes (said once)
            self._report_unreadable(snapshot.error)
            self.refreshed.emit()
            return
        self._refresh(snapshot.state.size)

    def refresh(self) -> None:
        """One live tick on its own: look at the size, read the rows on screen (a view
        in a tab is given its tick's :class:`Snapshot` instead)."""
        self._doc.snapshot = None
        size = self._doc.live_size()
        if size is None:  # closed or gone: keep showing the last bytes (said once)
            self._report_unreadable(self._doc.failure)
            self.refreshed.emit()
            return
        self._refresh(size)

    def _refresh(self, size: int) -> None:
        """Track changes, repaint if needed.

        Repainted are the rows whose bytes changed, the rows that lit up or went
        dark, and, when the fade moved on a step (:data:`FADE_STEPS_PER_SECOND`),
        every row with a highlight; all of them only if the rows on screen moved.
        An idle view paints nothing at all.
        """
        now = time.monotonic()
        moved = False
        if size != self._doc.size:
            self._apply_size(size)
            moved = True
        before_offset, before = self._doc.data_offset, self._doc.data
        changed = self._read_visible(now)
        # Other rows on screen (scrolled, or more or fewer bytes): repaint them all.
        moved |= changed and (self._doc.data_offset, len(self._doc.data)) != (before_offset, len(before))
        self.tracker.scan_paced(self._doc.tick_read, now)  # bytes per second, not per tick
        fade = fade_clock(now)
        busy = changed or self.tracker.active(now) or self._lit
        lit = self._lit_rows(now, fade) if busy else set()
        if moved:
            self.viewport().update()
        else:
            dirty = lit ^ self._lit
            if fade != self._fade_shown:
                dirty |= lit | self._lit  # the fade moved on: every highlight changed
            if changed:
                dirty |= self._changed_rows(before)
            for band in self._row_bands(dirty):
                self.viewport().update(band)
        self._lit = lit
        self._fade_shown = fade
        heat = self.tracker.heat_active(now)
        # The strip is an overview: ten frames a second are plenty for it.
        if (heat or self._heat_painted) and now - self._strip_painted_at >= STRIP_INTERVAL:
            self._strip.update()
            self._strip_painted_at = now
            self._heat_painted = heat
        self.refreshed.emit()

    def _lit_rows(self, now: float, fade: float) -> set[int]:
        """Visible rows (0 = top) holding a byte whose change highlight still shows.

        The levels (at the fade's step ``fade``) are kept for this tick's paint,
        which then agrees with the rows chosen here.
        """
        if not self.tracker.active(now):
            self._tick_levels = None
            return set()
        bpr = self._bpr
        offset = self._first_row * bpr
        levels = self.tracker.levels(offset, len(self._doc.data) + bpr, fade)
        self._tick_levels = (offset, now, levels)
        return {i for i in range(-(-len(levels) // bpr))
                if levels[i * bpr:(i + 1) * bpr].strip(b"\0")}

    def _changed_rows(self, before: bytes) -> set[int]:
        """Visible rows whose bytes differ from ``before`` (read at the same offset)."""
        bpr, data = self._bpr, self._doc.data
        return {i for i in range(-(-len(data) // bpr))
                if data[i * bpr:(i + 1) * bpr] != before[i * bpr:(i + 1) * bpr]}

    def _row_bands(self, rows: set[int]) -> list[QRect]:
        """Viewport rectangles covering ``rows``, one per run of adjacent rows."""
        bands: list[QRect] = []
        first = last = None
        for row in sorted(rows):
            if last is not None and row == last + 1:
                last = row
                continue
            if first is not None:
                bands.append(self._row_rect(first, last))
            first = last = row
        if first is not None:
            bands.append(self._row_rect(first, last))
        return bands

    def _row_rect(self, visible_row: int, last_row: int | None = None) -> QRect:
        """The viewport rectangle of one visible row (or up to ``last_row``), full width."""
        lay = self._geometry
        top = math.floor(lay.row_y(visible_row))
        bottom = math.ceil(lay.row_y((visible_row if last_row is None else last_row) + 1))
        return QRect(0, top, self.viewport().width(), bottom - top)

    def _report_unreadable(self, err: BaseException | str | None) -> None:
        if not self._read_failed:
            why = f": {err}" if err is not None else ""
            self.message.emit(f"cannot read {self._segment.label}{why}; showing the last bytes read")
        self._read_failed = True

    def _read_visible(self, now: float) -> bool:
        """Take the rows on screen (from the tick's snapshot when it holds them); True
        if what is shown changed."""
        changed = self._doc.take_rows(*self.visible_span(), now)
        if changed is None:
            self._report_unreadable(self._doc.failure or None)
            return False
        self._read_failed = False
        if changed:
            self._tick_levels = None  # the tracker has learnt of new changes
        return changed

    def _apply_size(self, size: int) -> None:
        """The segment was truncated or grew: new geometry, clamped cursor and selection."""
        old_cursor, old_selection = self._sel.offset, self.selection()
        self._doc.resize(size)
        self._sel.resize(size)
        self._geometry = replace(self._geometry, size=size)
        self._update_scrollbars()
        self._strip.update()
        self._emit_moves(old_cursor, old_selection)

    # ------------------------------------------------------------------ public API

    def cursor_offset(self) -> int:
        """The offset of the byte under the cursor."""
        return self._sel.offset

    def set_cursor(self, offset: int, *, select: bool = False) -> None:
        """Move the cursor to ``offset`` (clamped) and scroll it into view.

        With ``select``, extend the selection from its anchor, as Shift+arrow does;
        without, drop the selection.
        """
        old_cursor, old_selection = self._sel.offset, self.selection()
        self._sel.move(offset, select=select)
        self._low_nibble = False
        self._ensure_visible(self._sel.offset)
        self.viewport().update()
        self._emit_moves(old_cursor, old_selection)

    def selection(self) -> tuple[int, int]:
        """``(start, length)`` of the selection; length 0 (at the cursor) when none."""
        return self._sel.selection()

    def set_selection(self, start: int, length: int) -> None:
        """Select ``length`` bytes from ``start`` (clamped); the cursor goes to ``start``."""
        if length <= 0 or self._doc.size == 0:
            self.set_cursor(start)
            return
        start = self._sel.clamp(start)
        end = min(start + length, self._doc.size)
        self._select(anchor=end - 1, cursor=start)

    def select_all(self) -> None:
        """Select the whole segment (the cursor goes to its last byte)."""
        if self._doc.size > 0:
            self._select(anchor=0, cursor=self._doc.size - 1)

    def goto(self, offset: int) -> None:
        """Put the cursor on ``offset`` (clamped to the segment), centred if it was off screen."""
        offset = self._sel.clamp(offset)
        row = offset // self._bpr
        full = self._geometry.full_rows(self.viewport().height())
        if not self._first_row <= row < self._first_row + full:
            self._set_first_row(row - full // 2)
        self.set_cursor(offset)

    def find_bytes(self, pattern: bytes, *, forward: bool = True) -> int | None:
        """Find ``pattern`` after (or before) the cursor, wrapping around once.

        The match is selected and the cursor put on its first byte. Returns its
        offset, or None (and a "pattern not found" message).
        """
        pattern = bytes(pattern)
        if not pattern:
            self.message.emit("nothing to find: the pattern is empty")
            return None
        hit, wrapped = self._doc.find(pattern, self._sel.offset, forward=forward)
        if hit is None:
            self.message.emit("pattern not found")
            return None
        if wrapped:
            self.message.emit("search wrapped around")
        if self._doc.size != self._geometry.size:
            self._apply_size(self._doc.size)
        self._select(anchor=hit + len(pattern) - 1, cursor=hit)
        return hit

    def copy_selection(self, kind: str) -> str:
        """Copy the selection (or the byte at the cursor) as ``hex``, ``hexdump``, ``c``
        or ``python``; return the text, which is also put on the clipboard."""
        start, length = self.selection()
        if length == 0:
            length = 1 if self._doc.size > 0 else 0
        if length > COPY_LIMIT:
            self.message.emit(f"copied the first {COPY_LIMIT >> 20} MiB of the selection only")
            length = COPY_LIMIT
        data = self.read_cached(start, length) if length else b""
        text = format_bytes(data, kind, base=start)
        QApplication.clipboard().setText(text)
        return text

    @property
    def bytes_per_row(self) -> int:
        """Bytes shown per row: 8, 16 or 32."""
        return self._bpr

    @bytes_per_row.setter
    def bytes_per_row(self, n: int) -> None:
        if n not in BYTES_PER_ROW_CHOICES:
            raise ValueError(f"bytes per row must be one of {BYTES_PER_ROW_CHOICES}, got {n!r}")
        if n == self._bpr:
            return
        top = self._first_row * self._bpr
        self._bpr = n
        self._painter.forget_rows()
        self._relayout(first_row=top // n)

    def text_font(self) -> QFont:
        """A copy of the font the bytes are drawn in (at the current zoom)."""
        return QFont(self._font)

    def zoom(self) -> int:
        """The font's current point size."""
        return self._font.pointSize()

    def zoom_in(self) -> None:
        """One point bigger (up to 72)."""
        self._set_point_size(self.zoom() + 1)

    def zoom_out(self) -> None:
        """One point smaller (down to 4)."""
        self._set_point_size(self.zoom() - 1)

    def undo(self) -> None:
        """Undo the last edit (writes the old bytes back)."""
        self.undo_stack.undo()

    def redo(self) -> None:
        """Redo the last undone edit."""
        self.undo_stack.redo()

    def visible_range(self) -> tuple[int, bytes]:
        """``(offset, bytes)`` of the rows read at the last refresh (or scroll)."""
        return self._doc.data_offset, self._doc.data

    def read_cached(self, offset: int, n: int) -> bytes:
        """``n`` bytes at ``offset``: from what the view or its tick read when that
        holds them, otherwise from the segment (b"" if that fails)."""
        return self._doc.read_cached(offset, n)

    def highlight_range(self, start: int, length: int) -> None:
        """Mark ``length`` bytes from ``start`` (e.g. where a message's record lies)."""
        self._highlight = (start, length) if length > 0 else None
        self.viewport().update()

    def clear_highlight(self) -> None:
        """Remove the mark set by :meth:`highlight_range`."""
        self.highlight_range(0, 0)

    def highlighted(self) -> tuple[int, int] | None:
        """The (start, length) marked by :meth:`highlight_range`, if any."""
        return self._highlight

    @property
    def segment(self) -> Segment:
        """The segment on screen."""
        return self._segment

    @property
    def hex_geometry(self) -> HexGeometry:
        """The current geometry (font metrics, bytes per row, size)."""
        return self._geometry

    def first_visible_row(self) -> int:
        """The row shown at the top."""
        return self._first_row

    # ------------------------------------------------------------------ selection helpers

    def _select(self, *, anchor: int, cursor: int) -> None:
        old_cursor, old_selection = self._sel.offset, self.selection()
        self._sel.select(anchor, cursor)
        self._low_nibble = False
        self._ensure_visible(self._sel.offset)
        self.viewport().update()
        self._emit_moves(old_cursor, old_selection)

    def _emit_moves(self, old_cursor: int, old_selection: tuple[int, int]) -> None:
        if self._sel.offset != old_cursor:
            self.cursorMoved.emit(self._sel.offset)
        selection = self.selection()
        if selection != old_selection and (selection[1] or old_selection[1]):
            self.selectionChanged.emit(*selection)

    # ------------------------------------------------------------------ scrolling

    def _max_first_row(self) -> int:
        return self._geometry.max_first_row(self.viewport().height())

    def _set_first_row(self, row: int) -> None:
        row = min(max(0, row), self._max_first_row())
        if row == self._first_row:
            return
        self._first_row = row
        self._sync_scrollbar()
        self._read_visible(time.monotonic())
        self.viewport().update()
        self._strip.update()

    def _ensure_visible(self, offset: int) -> None:
        row = offset // self._bpr
        full = self._geometry.full_rows(self.viewport().height())
        if row < self._first_row:
            self._set_first_row(row)
        elif row >= self._first_row + full:
            self._set_first_row(row - full + 1)
        col = offset % self._bpr
        lay = self._geometry
        if self._in_ascii:
            x0, x1 = lay.ascii_x(col), lay.ascii_x(col) + lay.char_width
        else:
            x0, x1 = lay.hex_x(col) - lay.char_width, lay.hex_x(col) + 3 * lay.char_width
        hbar = self.horizontalScrollBar()
        width = self.viewport().width()
        if x0 < hbar.value():
            hbar.setValue(int(x0))
        elif x1 > hbar.value() + width:
            hbar.setValue(int(math.ceil(x1 - width)))

    def _sync_scrollbar(self) -> None:
        bar = self.verticalScrollBar()
        self._syncing_scrollbar = True
        try:
            bar.setValue(scroll_value_for_row(self._first_row, self._max_first_row()))
        finally:
            self._syncing_scrollbar = False

    def _update_scrollbars(self) -> None:
        max_row = self._max_first_row()
        self._first_row = min(self._first_row, max_row)
        bar = self.verticalScrollBar()
        self._syncing_scrollbar = True
        try:
            bar.setRange(0, scrollbar_maximum(max_row))
            full = self._geometry.full_rows(self.viewport().height())
            bar.setPageStep(full if max_row <= SCROLL_MAX else max(1, SCROLL_MAX // 1000))
            bar.setSingleStep(1)
            bar.setValue(scroll_value_for_row(self._first_row, max_row))
        finally:
            self._syncing_scrollbar = False
        hbar = self.horizontalScrollBar()
        width = self.viewport().width()
        hbar.setRange(0, max(0, math.ceil(self._geometry.total_width) - width))
        hbar.setPageStep(max(1, width))
        hbar.setSingleStep(max(1, round(self._geometry.char_width)))

    def _on_scroll_value(self, value: int) -> None:
        if self._syncing_scrollbar:
            return
        if self._ignore_scroll_value is not None:
            ignored, self._ignore_scroll_value = self._ignore_scroll_value, None
            if value == ignored:
                return
        self._set_first_row(row_for_scroll_value(value, self._max_first_row()))

    def _on_scroll_action(self, action: int) -> None:
        """Arrow and page clicks on a scaled scrollbar move by rows, not by scaled units."""
        max_row = self._max_first_row()
        if max_row <= SCROLL_MAX:
            return  # unscaled: the scrollbar's own steps are rows
        full = self._geometry.full_rows(self.viewport().height())
        step = {
            QAbstractSlider.SliderAction.SliderSingleStepAdd: 1, QAbstractSlider.SliderAction.SliderSingleStepSub: -1,
            QAbstractSlider.SliderAction.SliderPageStepAdd: full, QAbstractSlider.SliderAction.SliderPageStepSub: -full,
        }.get(QAbstractSlider.SliderAction(action))
        if step is None:
            return
        row = min(max(0, self._first_row + step), max_row)
        value = scroll_value_for_row(row, max_row)
        self._ignore_scroll_value = value
        self.verticalScrollBar().setSliderPosition(value)
        self._set_first_row(row)

    def _on_hscroll(self, _value: int) -> None:
        self.viewport().update()

    def _scroll_rows(self, delta: int) -> None:
        self._set_first_row(self._first_row + delta)

    # ------------------------------------------------------------------ overview strip

    def _strip_heat(self, buckets: int, now: float) -> list[float]:
        return self.tracker.heat(buckets, now)

    def _strip_visible(self) -> tuple[float, float]:
        if self._doc.size <= 0:
            return 0.0, 1.0
        top = self._first_row * self._bpr
        rows = self._geometry.visible_rows(self.viewport().height())
        return top / self._doc.size, min(1.0, (top + rows * self._bpr) / self._doc.size)

    def _strip_jump(self, fraction: float) -> None:
        row = int(fraction * self._geometry.rows)
        self._set_first_row(row - self._geometry.full_rows(self.viewport().height()) // 2)

    # ------------------------------------------------------------------ font & layout

    def _set_point_size(self, points: int) -> None:
        points = min(max(MIN_POINT_SIZE, points), MAX_POINT_SIZE)
        if points == self.zoom():
            return
        self._font.setPointSize(points)
        self._relayout(first_row=self._first_row)

    def _relayout(self, *, first_row: int) -> None:
        self._geometry = geometry_for_font(self._font, self._bpr, self._doc.size)
        self._first_row = first_row
        self._update_scrollbars()
        self._ensure_visible(self._sel.offset)
        self._read_visible(time.monotonic())
        self.viewport().update()
        self._strip.update()

    # ------------------------------------------------------------------ editing

    def _type_text(self, text: str) -> None:
        if self._doc.size == 0:
            return
        if self._segment.readonly:
            self.message.emit("read-only: open read-write to edit")
            return
        for ch in text:
            offset = self._sel.offset
            if self._in_ascii:
                if not 0x20 <= ord(ch) <= 0x7E:
                    continue
                if not self._write_typed(offset, bytes([ord(ch)])):
                    return
                self._advance_after_edit(offset)
            elif ch in _HEX_DIGITS:
                old = self._doc.safe_read(offset, 1)
                if not old:
                    self.message.emit(f"cannot edit at 0x{offset:X}: the segment ends before it")
                    return
                digit = int(ch, 16)
                if self._low_nibble:
                    new = (old[0] & 0xF0) | digit
                else:
                    new = (digit << 4) | (old[0] & 0x0F)
                high = not self._low_nibble
                if not self._write_typed(offset, bytes([new]), high_nibble=high,
                                         low_nibble=not high, old=old):
                    return
                if high:
                    self._low_nibble = True
                    self.viewport().update()
                else:
                    self._advance_after_edit(offset)

    def _advance_after_edit(self, offset: int) -> None:
        if offset + 1 < self._doc.size:
            self.set_cursor(offset + 1)
        else:
            self._low_nibble = False
            self.viewport().update()

    def _write_typed(self, offset: int, new: bytes, *, high_nibble: bool = False,
                     low_nibble: bool = False, old: bytes | None = None) -> bool:
        """Write one typed byte; on success push it on the undo stack."""
        if old is None:
            old = self._doc.safe_read(offset, len(new))
        try:
            self._segment.write(offset, new)
        except (MmfError, OSError) as err:
            self.message.emit(f"cannot write at 0x{offset:X}: {err}")
            self._low_nibble = False
            return False
        if self._sel.selecting:
            self._sel.selecting = False
            self.selectionChanged.emit(self._sel.offset, 0)
        self.undo_stack.push(WriteBytesCommand(self, offset, old, new, high_nibble=high_nibble,
                                               low_nibble=low_nibble))
        self._after_write(offset, len(new))
        return True

    def apply_write(self, offset: int, data: bytes) -> None:
        """Write for undo/redo; a failure is reported, never raised into Qt."""
        try:
            self._segment.write(offset, data)
        except (MmfError, OSError) as err:
            self.message.emit(f"cannot write at 0x{offset:X}: {err}")
            return
        self._low_nibble = False
        self.set_cursor(offset)
        self._after_write(offset, len(data))

    def _after_write(self, offset: int, length: int) -> None:
        self._read_visible(time.monotonic())  # show the byte now, not at the next tick
        self.viewport().update()
        self.edited.emit(offset, length)

    # ------------------------------------------------------------------ events

    def event(self, event: QEvent) -> bool:
        # Keys we handle win over window shortcuts while the view has focus.
        if event.type() == QEvent.Type.ShortcutOverride:
            key_event: QKeyEvent = event  # type: ignore[assignment]
            mods = key_event.modifiers() & ~(Qt.KeyboardModifier.ShiftModifier | Qt.KeyboardModifier.KeypadModifier)
            key = key_event.key()
            if key in _NAV_KEYS and (mods == Qt.KeyboardModifier.NoModifier or (
                    mods == Qt.KeyboardModifier.ControlModifier and key not in (Qt.Key.Key_Tab, Qt.Key.Key_Backtab))):
                event.accept()  # ...but Ctrl+Tab stays the window's (switching tabs)
                return True
            if key_event.text() and key_event.text().isprintable() and mods == Qt.KeyboardModifier.NoModifier:
                event.accept()
                return True
        return super().event(event)

    def focusNextPrevChild(self, next: bool) -> bool:
        return False  # Tab switches between the hex and ASCII columns instead

    def keyPressEvent(self, event: QKeyEvent) -> None:
        key = event.key()
        mods = event.modifiers()
        shift = bool(mods & Qt.KeyboardModifier.ShiftModifier)
        ctrl = bool(mods & Qt.KeyboardModifier.ControlModifier)
        cur = self._sel.offset
        full = self._geometry.full_rows(self.viewport().height())
        if event.matches(QKeySequence.StandardKey.SelectAll):
            self.select_all()
        elif event.matches(QKeySequence.StandardKey.Copy):
            self.copy_selection("hex")
        elif event.matches(QKeySequence.StandardKey.Undo):
            self.undo()
        elif event.matches(QKeySequence.StandardKey.Redo):
            self.redo()
        elif event.matches(QKeySequence.StandardKey.ZoomIn):
            self.zoom_in()
        elif event.matches(QKeySequence.StandardKey.ZoomOut):
            self.zoom_out()
        elif key in (Qt.Key.Key_Tab, Qt.Key.Key_Backtab):
            self._in_ascii = not self._in_ascii
            self._low_nibble = False
            self._ensure_visible(cur)
            self.viewport().update()
        elif key in _NAV_KEY_NAMES:
            name = _NAV_KEY_NAMES[Qt.Key(key)]
            if name in ("page_up", "page_down"):
                self._scroll_rows(full if name == "page_down" else -full)  # the cursor keeps its place
            self.set_cursor(navigate(name, cur, self._doc.size, self._bpr, full, ctrl=ctrl), select=shift)
        elif event.text() and not (mods & (Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.AltModifier
                                           | Qt.KeyboardModifier.MetaModifier)):
            self._type_text(event.text())
        else:
            super().keyPressEvent(event)
            return
        event.accept()

    def _offset_at(self, event: QMouseEvent) -> tuple[int, bool]:
        pos = event.position()
        return self._geometry.position_at(pos.x() + self.horizontalScrollBar().value(), pos.y(),
                                        self._first_row)

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() != Qt.MouseButton.LeftButton:
            super().mousePressEvent(event)
            return
        offset, in_ascii = self._offset_at(event)
        self._in_ascii = in_ascii
        self.set_cursor(offset, select=bool(event.modifiers() & Qt.KeyboardModifier.ShiftModifier))
        self._dragging = True
        event.accept()

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if not (self._dragging and event.buttons() & Qt.MouseButton.LeftButton):
            super().mouseMoveEvent(event)
            return
        y = event.position().y()
        if y < self._geometry.header_height:
            self._scroll_rows(-1)  # dragging above the rows scrolls up
        elif y > self.viewport().height():
            self._scroll_rows(1)
        offset, _ = self._offset_at(event)
        if offset != self._sel.offset or not self._sel.selecting:
            self.set_cursor(offset, select=True)
        event.accept()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self._dragging = False
            event.accept()
        else:
            super().mouseReleaseEvent(event)

    def wheelEvent(self, event: QWheelEvent) -> None:
        delta = event.angleDelta()
        if event.modifiers() & Qt.KeyboardModifier.ControlModifier:
            if delta.y() > 0:
                self.zoom_in()
            elif delta.y() < 0:
                self.zoom_out()
            event.accept()
            return
        if delta.y():
            # 120 units = one notch = 3 rows; keep the remainder for touchpads.
            self._wheel_rest += delta.y()
            rows = int(self._wheel_rest / 40)
            self._wheel_rest -= rows * 40
            if rows:
                self._scroll_rows(-rows)
        if delta.x():
            hbar = self.horizontalScrollBar()
            hbar.setValue(hbar.value() - delta.x() // 4)
        event.accept()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        vp = self.viewport().geometry()
        self._strip.setGeometry(vp.right() + 1, vp.top(), STRIP_WIDTH, vp.height())
        self._update_scrollbars()
        self._read_visible(time.monotonic())

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.PaletteChange:
            self._colors = HexColors.for_palette(self.palette())
            self.viewport().update()
        super().changeEvent(event)

    # ------------------------------------------------------------------ painting

    # ------------------------------------------------------------------ painting

    def paintEvent(self, event: QPaintEvent) -> None:
        vp = self.viewport()
        state = PaintState(
            geometry=self._geometry, colors=self._colors, font=self._font, bytes_per_row=self._bpr,
            first_row=self._first_row, data_offset=self._doc.data_offset, data=self._doc.data, size=self._doc.size,
            cursor=self._sel.offset, cursor_byte=self.read_cached(self._sel.offset, 1) if self._doc.size else b"",
            in_ascii=self._in_ascii, low_nibble=self._low_nibble, selection=self.selection(),
            mark=self._highlight, hscroll=self.horizontalScrollBar().value(),
            levels=self._levels_for(self._first_row * self._bpr, self._bpr * min(
                self._geometry.visible_rows(vp.height()), max(0, self._geometry.rows - self._first_row))),
            width=vp.width(), height=vp.height())
        painter = QPainter(vp)
        try:
            self._painter.paint(painter, event.region(), state, vp)
        finally:
            painter.end()

    def _levels_for(self, offset: int, length: int) -> bytes | None:
        """Highlight levels for a paint: the ones the last tick computed when they are
        fresh (so a tick's paint agrees with the rows it chose to repaint), else new."""
        now = time.monotonic()
        if not self.tracker.active(now):
            return None
        tick = self._tick_levels
        if (tick is not None and tick[0] == offset and len(tick[2]) >= length
                and 0 <= now - tick[1] < LEVELS_REUSE_SECONDS):
            return tick[2]
        return self.tracker.levels(offset, length, fade_clock(now))
