"""The live hex view: offsets, hex, ASCII; what changed glows and fades.

Shape borrowed from QHexView and qhexedit2: the scrollbar counts rows, only the
visible rows are read and painted, and 256-entry tables turn bytes into text and
colours. What they do not do and we do: every read goes through ``pread`` (or the
tick's one read, :meth:`HexView.show_snapshot`), so a segment another process
truncates never crashes the viewer; change highlighting is live, and an idle view
paints nothing; offsets are Python ints, so segments far beyond 4 GiB scroll to
their last byte.

The view is in parts. Without Qt: :mod:`mmfviewer.hex_document` (size, rows,
changes, search), :mod:`mmfviewer.hex_cursor` (cursor, selection, keys) and
:mod:`mmfviewer.hex_repaint` (which rows a tick repaints). With Qt:
:mod:`~mmfviewer.qt.hex_scroll` (top row and scrollbars), :mod:`~mmfviewer.qt.hex_zoom`
(font size and bytes per row), :mod:`~mmfviewer.qt.hex_input` (keys, mouse, wheel),
:mod:`~mmfviewer.qt.hex_editing` (typing and undo), :mod:`~mmfviewer.qt.hex_live` (the
live tick), :mod:`~mmfviewer.qt.hex_find` and :mod:`~mmfviewer.qt.hex_clipboard` (finding
and copying bytes), :mod:`~mmfviewer.qt.hex_painter`, :mod:`~mmfviewer.qt.hex_geometry`
and :mod:`~mmfviewer.qt.hex_render`. This module is the widget: events and wiring.
"""

from __future__ import annotations

import time

from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtGui import QFont, QPainter, QPaintEvent, QResizeEvent
from PySide6.QtWidgets import QAbstractScrollArea, QWidget

from ..changes import ChangeTracker
from ..field_spans import FieldSpans
from ..hex_cursor import Cursor
from ..hex_document import HexDocument
from ..live_session import Snapshot
from ..segment import Segment
from . import hex_clipboard
from .hex_editing import HexEditor
from .hex_find import find_bytes
from .hex_geometry import HexGeometry
from .hex_input import HexInput
from .hex_live import LiveRows
from .hex_painter import HexPainter, PaintState
from .hex_render import HexColors
from .hex_scroll import RowScroller
from .hex_zoom import AUTO as AUTO
from .hex_zoom import HexZoom
from .overview_strip import STRIP_WIDTH, OverviewStrip


class HexView(QAbstractScrollArea):
    """Live hex view of a :class:`Segment`, driven by its owner's timer via :meth:`refresh`.

    Keys: arrows, PgUp/PgDn, Home/End (row), Ctrl+Home/Ctrl+End (segment), Shift
    with any of them to select, Ctrl+A, Ctrl+C, Ctrl+Z/Ctrl+Y, Ctrl+Plus/Minus; Tab
    leaves for the next pane (:meth:`toggle_column` switches hex and text). Typing hex digits (hex
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

    def __init__(self, segment: Segment, parent: QWidget | None = None, *,
                 tracker: ChangeTracker | None = None) -> None:
        super().__init__(parent)
        self._segment = segment
        #: The bytes behind the view.
        self.document = HexDocument(segment, tracker)
        #: Which bytes changed, and how recently (the document's).
        self.tracker = self.document.tracker
        self._painter = HexPainter()
        #: The font's size and the bytes per row, and the geometry they make.
        self.zoomer = HexZoom(self, forget_rows=self._painter.forget_rows, rows_moved=self._rows_moved)
        self._colors = HexColors.for_palette(self.palette())
        #: The cursor and selection (changed through the view's methods).
        self.cursor_state = Cursor(size=self.document.size)
        self._highlight: tuple[int, int] | None = None
        #: The fields of the structures applied to the segment (tinted, named on hover).
        self.field_spans = FieldSpans()
        #: The live tick's part: rows taken, changes tracked, rows repainted.
        self.live_rows = LiveRows(self)
        self.editor = HexEditor(self)
        self.undo_stack = self.editor.undo_stack
        self._input = HexInput(self)  # filters the keys, mouse and wheel events

        self.scroller = RowScroller(self, lambda: self.hex_geometry, self._rows_moved)
        self.overview_strip = OverviewStrip(self.tracker.heat, self.scroller.shown_fraction,
                                            self.scroller.jump_to_fraction, self,
                                            coverage=self.tracker.scan_coverage)
        self.setViewportMargins(0, 0, STRIP_WIDTH, 0)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.viewport().setCursor(Qt.CursorShape.IBeamCursor)
        self.viewport().setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
        self.scroller.update_scrollbars()
        self.live_rows.read_visible()

    # ------------------------------------------------------------------ live ticks

    def visible_span(self) -> tuple[int, int]:
        """``(offset, length)`` of the rows on screen: what the next tick must read."""
        offset = self.scroller.first_row * self.bytes_per_row
        return offset, min(self.hex_geometry.visible_rows(self.viewport().height()) * self.bytes_per_row,
                           max(0, self.document.size - offset))

    def show_snapshot(self, snapshot: Snapshot) -> None:
        """One live tick from what the segment's session read (see :meth:`refresh`)."""
        self.document.snapshot = snapshot
        self.live_rows.tick(snapshot.state.size if snapshot.state else None, snapshot.error)
        self.refreshed.emit()

    def refresh(self) -> None:
        """One live tick on its own: look at the size, read the rows on screen (a view
        in a tab is given its tick's :class:`Snapshot` instead)."""
        self.document.snapshot = None
        self.live_rows.tick(self.document.live_size(), self.document.failure)
        self.refreshed.emit()

    def apply_size(self, size: int) -> None:
        """The segment was truncated or grew: new geometry, clamped cursor and selection."""
        old_cursor, old_selection = self.cursor_state.offset, self.selection()
        self.document.resize(size)
        self.cursor_state.resize(size)
        self.zoomer.resize(size)
        self.scroller.update_scrollbars()
        self.overview_strip.update()
        self._emit_moves(old_cursor, old_selection)

    def _rows_moved(self) -> None:
        """Other rows came on screen: read and paint them now, not at the next tick."""
        self.live_rows.read_visible()
        self.viewport().update()
        self.overview_strip.update()

    def show_written(self, offset: int, length: int) -> None:
        """The view wrote ``length`` bytes at ``offset``: show them now, say so."""
        self.live_rows.read_visible()
        self.viewport().update()
        self.edited.emit(offset, length)

    # ------------------------------------------------------------------ cursor and selection

    def cursor_offset(self) -> int:
        """The offset of the byte under the cursor."""
        return self.cursor_state.offset

    def set_cursor(self, offset: int, *, select: bool = False) -> None:
        """Move the cursor to ``offset`` (clamped) and scroll it into view.

        With ``select``, extend the selection from its anchor, as Shift+arrow does;
        without, drop the selection.
        """
        old_cursor, old_selection = self.cursor_state.offset, self.selection()
        self.cursor_state.move(offset, select=select)
        self._show_cursor(old_cursor, old_selection)

    def selection(self) -> tuple[int, int]:
        """``(start, length)`` of the selection; length 0 (at the cursor) when none."""
        return self.cursor_state.selection()

    def set_selection(self, start: int, length: int) -> None:
        """Select ``length`` bytes from ``start`` (clamped); the cursor goes to ``start``."""
        if length <= 0 or self.document.size == 0:
            self.set_cursor(start)
            return
        start = self.cursor_state.clamp(start)
        self._select(anchor=min(start + length, self.document.size) - 1, cursor=start)

    def select_all(self) -> None:
        """Select the whole segment (the cursor goes to its last byte)."""
        if self.document.size > 0:
            self._select(anchor=0, cursor=self.document.size - 1)

    def toggle_column(self) -> None:
        """Move the cursor between the hex and the text (ASCII) column."""
        cursor = self.cursor_state
        cursor.in_ascii, cursor.low_nibble = not cursor.in_ascii, False
        self.scroller.ensure_visible(cursor.offset, in_ascii=cursor.in_ascii)
        self.viewport().update()

    def goto(self, offset: int) -> None:
        """Put the cursor on ``offset`` (clamped to the segment), centred if it was off screen."""
        offset = self.cursor_state.clamp(offset)
        self.reveal(offset, 1)
        self.set_cursor(offset)

    def reveal(self, start: int, length: int) -> None:
        """Bring ``length`` bytes from ``start`` on screen, centred unless they all show
        already (a find's match, a message's record: never cut off on the last row)."""
        bpr = self.bytes_per_row
        self.scroller.reveal_rows(start // bpr, (start + max(1, length) - 1) // bpr)

    def find_bytes(self, pattern: bytes, *, forward: bool = True) -> int | None:
        """Find ``pattern`` after (or before) the cursor, wrapping around once, and select
        the match (:func:`~mmfviewer.qt.hex_find.find_bytes`); its offset, or None."""
        return find_bytes(self, pattern, forward=forward)

    def column_kind(self) -> str:
        """How the cursor's column shows bytes: ``text`` or ``hex`` (a plain copy's format)."""
        return hex_clipboard.column_kind(self)

    def copy_selection(self, kind: str | None = None) -> str:
        """Copy the selection (or the byte at the cursor) as ``hex``, ``text``,
        ``hexdump``, ``c`` or ``python`` (None: as the cursor's column shows it, hex or
        text); return the text, which is also put on the clipboard."""
        return hex_clipboard.copy_selection(self, kind)

    def _select(self, *, anchor: int, cursor: int) -> None:
        old_cursor, old_selection = self.cursor_state.offset, self.selection()
        self.cursor_state.select(anchor, cursor)
        self._show_cursor(old_cursor, old_selection)

    def _show_cursor(self, old_cursor: int, old_selection: tuple[int, int]) -> None:
        """Scroll the moved cursor into view, repaint, and say what moved."""
        self.scroller.ensure_visible(self.cursor_state.offset, in_ascii=self.cursor_state.in_ascii)
        self.viewport().update()
        self._emit_moves(old_cursor, old_selection)

    def _emit_moves(self, old_cursor: int, old_selection: tuple[int, int]) -> None:
        if self.cursor_state.offset != old_cursor:
            self.cursorMoved.emit(self.cursor_state.offset)
        selection = self.selection()
        if selection != old_selection and (selection[1] or old_selection[1]):
            self.selectionChanged.emit(*selection)

    # ------------------------------------------------------------------ looks

    @property
    def bytes_per_row(self) -> int:
        """Bytes shown per row: 8, 16, 32 or 64, or as many as fit when set to :data:`AUTO`."""
        return self.hex_geometry.bytes_per_row

    @bytes_per_row.setter
    def bytes_per_row(self, n: int) -> None:
        self.zoomer.set_bytes_per_row(n)

    @property
    def auto_bytes_per_row(self) -> bool:
        """Whether the bytes per row follow the width (set ``bytes_per_row = AUTO``)."""
        return self.zoomer.auto_bytes_per_row

    def text_font(self) -> QFont:
        """A copy of the font the bytes are drawn in (at the current zoom)."""
        return QFont(self.zoomer.font)

    def zoom(self) -> int:
        """The font's current point size."""
        return self.zoomer.font.pointSize()

    def zoom_in(self) -> None:
        """One point bigger (up to 72)."""
        self.set_zoom(self.zoom() + 1)

    def zoom_out(self) -> None:
        """One point smaller (down to 4)."""
        self.set_zoom(self.zoom() - 1)

    def set_zoom(self, points: int) -> None:
        """Draw the bytes at ``points`` (clamped to 4..72)."""
        self.zoomer.set_points(points)

    def set_field_spans(self, spans: FieldSpans) -> None:
        """Tint these structure fields and name them on hover."""
        self.field_spans = spans
        self.viewport().update()

    def offset_at(self, x: float, y: float) -> int:
        """The byte under the viewport point (x, y)."""
        offset, _ = self.hex_geometry.position_at(x + self.horizontalScrollBar().value(), y, self.first_visible_row())
        return offset

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

    # ------------------------------------------------------------------ parts and reads

    def visible_range(self) -> tuple[int, bytes]:
        """``(offset, bytes)`` of the rows read at the last refresh (or scroll)."""
        return self.document.data_offset, self.document.data

    def read_cached(self, offset: int, n: int) -> bytes:
        """``n`` bytes at ``offset``: from what the view or its tick read when that
        holds them, otherwise from the segment (b"" if that fails)."""
        return self.document.read_cached(offset, n)

    @property
    def segment(self) -> Segment:
        """The segment on screen."""
        return self._segment

    @property
    def hex_geometry(self) -> HexGeometry:
        """The current geometry (font metrics, bytes per row, size)."""
        return self.zoomer.geometry

    def first_visible_row(self) -> int:
        """The row shown at the top."""
        return self.scroller.first_row

    # ------------------------------------------------------------------ events (input: qt/hex_input.py)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self.zoomer.fit_width()
        vp = self.viewport().geometry()
        self.overview_strip.setGeometry(vp.right() + 1, vp.top(), STRIP_WIDTH, vp.height())
        self.scroller.update_scrollbars()
        self.live_rows.read_visible()

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.PaletteChange:
            self._colors = HexColors.for_palette(self.palette())
            self.viewport().update()
        super().changeEvent(event)

    def paintEvent(self, event: QPaintEvent) -> None:
        vp, lay, bpr, top = self.viewport(), self.hex_geometry, self.bytes_per_row, self.scroller.first_row
        doc, cur = self.document, self.cursor_state
        shown = bpr * min(lay.visible_rows(vp.height()), max(0, lay.rows - top))
        levels, own = self.live_rows.planner.levels_for(top * bpr, shown, time.monotonic())
        state = PaintState(
            geometry=lay, colors=self._colors, font=self.zoomer.font, bytes_per_row=bpr,
            first_row=top, data_offset=doc.data_offset, data=doc.data, size=doc.size,
            cursor=cur.offset, cursor_byte=self.read_cached(cur.offset, 1) if doc.size else b"",
            in_ascii=cur.in_ascii, low_nibble=cur.low_nibble, selection=self.selection(),
            mark=self._highlight, hscroll=self.horizontalScrollBar().value(),
            levels=levels, own_levels=own, tints=self.field_spans.tints(top * bpr, shown),
            width=vp.width(), height=vp.height())
        painter = QPainter(vp)
        try:
            self._painter.paint(painter, event.region(), state, vp)
        finally:
            painter.end()
