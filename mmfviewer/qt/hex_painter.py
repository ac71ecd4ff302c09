"""Painting the hex view: backgrounds, glyph runs, the header and the cursor.

The view hands each paint a :class:`PaintState` (what is shown where); the painter
keeps only caches that make paints cheap: row texts, the rows' glyph positions
(:class:`~mmfviewer.qt.hex_render.RowGlyphs`), highlight boxes, glyph runs.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from PySide6.QtCore import QPointF, QRect, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QGlyphRun, QPainter, QPen, QRegion
from PySide6.QtWidgets import QWidget

from .hex_geometry import ASCII_CHAR, CLASS_OF, HEX_TEXT, HexGeometry, hex_row_text, level_runs, row_texts
from .hex_render import HexColors, RowGlyphs


@dataclass(frozen=True)
class PaintState:
    """What one paint shows: geometry and colours, the rows' bytes, cursor and marks."""

    geometry: HexGeometry
    colors: HexColors
    font: QFont
    bytes_per_row: int
    first_row: int
    data_offset: int
    data: bytes
    size: int
    cursor: int
    cursor_byte: bytes
    in_ascii: bool
    low_nibble: bool
    selection: tuple[int, int]
    mark: tuple[int, int] | None
    levels: bytes | None
    hscroll: int
    width: int
    height: int
    own_levels: bytes | None = None  # our own edits, in a colour of their own
    #: Structure fields on screen: (start, end, which of the two tints).
    tints: tuple[tuple[int, int, int], ...] = ()


def rows_in(region: QRegion, nrows: int, lay: HexGeometry) -> list[int]:
    """Visible rows that meet ``region``: a tick repaints only the rows it changed."""
    rows: set[int] = set()
    for rect in region:  # type: ignore[attr-defined]  # QRegion iterates its rectangles
        first = int((rect.top() - lay.header_height) // lay.row_height)
        last = int((rect.bottom() - lay.header_height) // lay.row_height)
        rows.update(range(max(0, first), min(nrows - 1, last) + 1))
    return sorted(rows)


class HexPainter:
    """Paints a :class:`PaintState`; keeps what makes the next paint cheaper."""

    def __init__(self) -> None:
        self._row_cache: dict[bytes, tuple[tuple[int, str], ...]] = {}
        self._glyphs: RowGlyphs | None = None
        self._spans: tuple[HexGeometry | None, dict[tuple[int, int, int], tuple[QRectF, QRectF]]] = (None, {})
        self._glyph_runs = tuple(QGlyphRun() for _ in range(5))  # one per byte class, reused

    def forget_rows(self) -> None:
        """Drop cached row texts (bytes per row changed)."""
        self._row_cache.clear()

    def _row_texts(self, s: PaintState, row: bytes) -> tuple[tuple[int, str], ...]:
        # Keyed by the row's bytes alone: a partial last row is shorter, so it never
        # collides with a full one, and the cache is cleared when bytes_per_row changes.
        texts = self._row_cache.get(row)
        if texts is None:
            if len(self._row_cache) > 4096:
                self._row_cache.clear()  # cheap bound; visible rows refill it in one paint
            texts = self._row_cache[row] = row_texts(row, s.bytes_per_row)
        return texts

    def paint(self, p: QPainter, region: QRegion, s: PaintState, device: QWidget) -> None:
        """Paint ``region`` of the viewport (``device``) as ``s`` describes it."""
        lay, col = s.geometry, s.colors
        width, height = s.width, s.height
        p.fillRect(0, 0, width, height, col.base)
        hx = s.hscroll
        p.translate(-hx, 0)
        cw, bpr, header = lay.char_width, s.bytes_per_row, lay.header_height
        gutter_right = lay.offset_width + cw
        p.fillRect(QRectF(0, 0, gutter_right, height), col.gutter)
        p.setPen(col.grid)
        p.drawLine(QPointF(gutter_right, 0), QPointF(gutter_right, height))
        sep = lay.hex_end + cw
        p.drawLine(QPointF(sep, 0), QPointF(sep, height))
        if region.intersects(QRect(0, 0, width, math.ceil(header))):  # a live tick's rows never do
            p.fillRect(QRectF(0, 0, lay.total_width + hx + width, header), col.gutter)
            p.drawLine(QPointF(gutter_right, 0), QPointF(gutter_right, header))
            p.drawLine(QPointF(sep, 0), QPointF(sep, header))
            p.drawLine(QPointF(0, header - 0.5), QPointF(lay.total_width + hx + width, header - 0.5))
            p.setFont(s.font)
            self._paint_header(p, s)

        first_offset = s.first_row * bpr
        nrows = min(lay.visible_rows(height), max(0, lay.rows - s.first_row))
        if nrows <= 0:
            return
        data, d0 = s.data, s.data_offset
        rows: list[tuple[int, int, bytes]] = []  # (visible row, offset, bytes)
        for i in rows_in(region, nrows, s.geometry):
            row_offset = first_offset + i * bpr
            rel = row_offset - d0
            # Empty when truncated, or not read yet: only the offset shows.
            rows.append((i, row_offset, data[rel:rel + bpr] if 0 <= rel < len(data) else b""))
        # Backgrounds first (change highlights, mark, selection), then the text over them.
        self._paint_backgrounds(p, s, rows)
        p.setFont(s.font)
        glyphs = self._row_glyphs(s, device)
        if glyphs.usable:
            self._paint_rows_as_glyphs(p, s, glyphs, rows)
        else:
            self._paint_rows_as_text(p, s, rows)
        if rows and rows[0][0] <= s.cursor // bpr - s.first_row <= rows[-1][0]:
            self._paint_cursor(p, s, nrows)  # (its row is repainted, or it would not show)

    def _paint_backgrounds(self, p: QPainter, s: PaintState, rows: list[tuple[int, int, bytes]]) -> None:
        """Structure fields' tints, change highlights (one box per run of equal level),
        the mark and the selection."""
        col, bpr = s.colors, s.bytes_per_row
        sel_start, sel_len = s.selection
        mark, levels = s.mark, s.levels
        change, fill = col.change, p.fillRect
        spans = self._span_rects(s)
        for i, row_offset, row in rows:
            ncols = len(row)
            if not ncols:
                continue
            for start, end, k in s.tints:
                if start < row_offset + ncols and end > row_offset:
                    self._paint_span(p, s, i, row_offset, ncols, start, end, col.field_tints[k])
            for all_levels, colors in ((levels, change), (s.own_levels, col.own_change)):
                if all_levels is None:
                    continue
                row_levels = all_levels[i * bpr:i * bpr + ncols]
                if row_levels.count(0) != ncols:
                    for first, last, level in level_runs(row_levels):
                        key = (i, first, last)
                        boxes = spans.get(key) or self._span_boxes(s, spans, key)
                        color = colors[level]
                        fill(boxes[0], color)
                        fill(boxes[1], color)
            if mark is not None:
                self._paint_span(p, s, i, row_offset, ncols, mark[0], mark[0] + mark[1], col.mark,
                                 underline=col.mark_line)
            if sel_len:
                self._paint_span(p, s, i, row_offset, ncols, sel_start, sel_start + sel_len,
                                 col.selection)

    def _span_rects(self, s: PaintState) -> dict[tuple[int, int, int], tuple[QRectF, QRectF]]:
        """Highlight boxes already built for this layout, by (visible row, first, last):
        a busy tick fills some 250 of them, and building QRectFs was a third of that."""
        cache = self._spans
        if cache[0] is not s.geometry or len(cache[1]) > 1 << 15:
            cache = self._spans = (s.geometry, {})
        return cache[1]

    def _span_boxes(self, s: PaintState, spans: dict[tuple[int, int, int], tuple[QRectF, QRectF]],
                    key: tuple[int, int, int]) -> tuple[QRectF, QRectF]:
        i, first, last = key
        lay = s.geometry
        hex_left, hex_right, ascii_left = lay.edges
        y, rh = lay.row_y(i), lay.row_height
        x0, x1 = ascii_left[first], ascii_left[last + 1]
        boxes = spans[key] = (QRectF(hex_left[first], y, hex_right[last] - hex_left[first], rh),
                              QRectF(x0, y, x1 - x0, rh))
        return boxes

    def _row_glyphs(self, s: PaintState, device: QWidget) -> RowGlyphs:
        glyphs = self._glyphs
        if glyphs is None or not glyphs.matches(s.font, s.geometry, device):
            glyphs = self._glyphs = RowGlyphs(s.font, s.geometry, device)
        return glyphs

    def _paint_rows_as_glyphs(self, p: QPainter, s: PaintState, glyphs: RowGlyphs,
                              rows: list[tuple[int, int, bytes]]) -> None:
        """Offsets, hex and ASCII of ``rows`` ``(visible row, offset, bytes)``: one glyph
        run per colour for all of them."""
        byte_glyphs, digit, class_of = glyphs.byte_glyphs, glyphs.digit_glyphs, CLASS_OF
        indexes: list[list[int]] = [[], [], [], [], []]
        points: list[list[QPointF]] = [[], [], [], [], []]
        offset_indexes: list[int] = []
        offset_points: list[QPointF] = []
        digits = s.geometry.offset_digits
        for i, row_offset, row in rows:
            cells, offset_at = glyphs.positions(i)
            offset_indexes += [digit[c] for c in f"{row_offset:0{digits}X}"]
            offset_points += offset_at
            for c, b in enumerate(row):
                k = class_of[b]
                indexes[k] += byte_glyphs[b]
                points[k] += cells[c]
        col, origin = s.colors, QPointF(0, 0)
        run = self._glyph_runs[0]
        run.setRawFont(glyphs.raw)
        run.setGlyphIndexes(offset_indexes)
        run.setPositions(offset_points)
        p.setPen(col.offset)
        p.drawGlyphRun(origin, run)
        for k, run_indexes in enumerate(indexes):
            if run_indexes:
                run = self._glyph_runs[k]
                run.setRawFont(glyphs.raw)
                run.setGlyphIndexes(run_indexes)
                run.setPositions(points[k])
                p.setPen(col.classes[k])
                p.drawGlyphRun(origin, run)

    def _paint_rows_as_text(self, p: QPainter, s: PaintState, rows: list[tuple[int, int, bytes]]) -> None:
        """The same as :meth:`_paint_rows_as_glyphs` with ``drawText``: one call per
        class and row, slower, but Qt falls back to other fonts for missing glyphs."""
        lay, col = s.geometry, s.colors
        digits = lay.offset_digits
        p.setPen(col.offset)
        for i, row_offset, _row in rows:
            p.drawText(QPointF(lay.margin, lay.baseline(i)), f"{row_offset:0{digits}X}")
        for i, _row_offset, row in rows:
            for cls, text in self._row_texts(s, row) if row else ():
                p.setPen(col.classes[cls])
                p.drawText(QPointF(lay.hex_start, lay.baseline(i)), text)

    def _paint_header(self, p: QPainter, s: PaintState) -> None:
        lay = s.geometry
        y = lay.header_height - (lay.header_height - lay.ascent - lay.descent) / 2 - lay.descent
        p.setPen(s.colors.offset)
        p.drawText(QPointF(lay.margin, y), "Offset")
        p.drawText(QPointF(lay.hex_start, y), hex_row_text(bytes(range(s.bytes_per_row))))
        p.drawText(QPointF(lay.ascii_start, y),
                   "".join("0123456789ABCDEF"[c % 16] for c in range(s.bytes_per_row)))

    def _paint_span(self, p: QPainter, s: PaintState, i: int, row_offset: int, ncols: int, start: int, end: int,
                    color: QColor, *, underline: QColor | None = None) -> None:
        """Fill the part of visible row ``i`` that lies in [start, end)."""
        c0 = max(start - row_offset, 0)
        c1 = min(end - row_offset, ncols) - 1
        if c1 < c0:
            return
        lay = s.geometry
        hex_left, hex_right, ascii_left = lay.edges
        y, rh = lay.row_y(i), lay.row_height
        for x0, x1 in ((hex_left[c0], hex_right[c1]), (ascii_left[c0], ascii_left[c1 + 1])):
            p.fillRect(QRectF(x0, y, x1 - x0, rh), color)
            if underline is not None:
                p.fillRect(QRectF(x0, y + rh - 2, x1 - x0, 2), underline)

    def _paint_cursor(self, p: QPainter, s: PaintState, nrows: int) -> None:
        if s.size == 0:
            return
        lay, col = s.geometry, s.colors
        i = s.cursor // s.bytes_per_row - s.first_row
        if not 0 <= i < nrows:
            return
        c = s.cursor % s.bytes_per_row
        byte = s.cursor_byte
        cw = lay.char_width
        hex_box = QRectF(lay.hex_x(c) - 1, lay.row_y(i), 2 * cw + 2, lay.row_height)
        if s.low_nibble:
            hex_box = QRectF(lay.hex_x(c) + cw - 1, lay.row_y(i), cw + 2, lay.row_height)
        ascii_box = QRectF(lay.ascii_x(c), lay.row_y(i), cw, lay.row_height)
        active, other = (ascii_box, hex_box) if s.in_ascii else (hex_box, ascii_box)
        p.fillRect(active, col.cursor)
        if byte:
            p.setPen(col.cursor_text)
            baseline = lay.baseline(i)
            if s.in_ascii:
                p.drawText(QPointF(lay.ascii_x(c), baseline), ASCII_CHAR[byte[0]])
            elif s.low_nibble:
                p.drawText(QPointF(lay.hex_x(c) + cw, baseline), HEX_TEXT[byte[0]][1])
            else:
                p.drawText(QPointF(lay.hex_x(c), baseline), HEX_TEXT[byte[0]])
        pen = QPen(col.cursor)
        pen.setWidthF(1.5)
        p.setPen(pen)
        p.setBrush(Qt.BrushStyle.NoBrush)
        p.drawRect(other.adjusted(0.75, 0.75, -0.75, -0.75))
