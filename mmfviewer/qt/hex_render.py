"""What the hex view paints with: its colours and its rows' glyph runs.

:class:`HexColors` chooses every colour for a light or a dark palette;
:class:`RowGlyphs` looks the glyphs of a row up once per font and layout, so a
paint draws all rows on screen in one glyph run per colour instead of laying
text out string by string.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QPointF
from PySide6.QtGui import QColor, QFont, QPalette, QRawFont, QTextLayout
from PySide6.QtWidgets import QWidget

from .hex_geometry import ASCII_CHAR, HEX_TEXT, HexGeometry, hex_row_text, hex_row_width

#: Highest opacity of the change highlight (0..255), at age 0.
CHANGE_MAX_ALPHA = 200

# ---------------------------------------------------------------------- colours

def _alpha_ramp(color: QColor) -> tuple[QColor, ...]:
    """``color`` at 256 alphas, one per highlight level."""
    ramp = []
    for level in range(256):
        c = QColor(color)
        c.setAlpha(level * CHANGE_MAX_ALPHA // 255)
        ramp.append(c)
    return tuple(ramp)


@dataclass(frozen=True)
class HexColors:
    """Every colour the view paints with, chosen for a light or a dark palette."""

    base: QColor
    gutter: QColor
    grid: QColor
    offset: QColor
    classes: tuple[QColor, QColor, QColor, QColor, QColor]
    selection: QColor
    cursor: QColor
    cursor_text: QColor
    mark: QColor
    mark_line: QColor
    change: tuple[QColor, ...]  # 256 alphas of the change colour, by highlight level
    own_change: tuple[QColor, ...]  # the same for what we wrote ourselves
    #: Two tints that tell a structure overlay's neighbouring fields apart.
    field_tints: tuple[QColor, QColor] = (QColor(40, 110, 255, 30), QColor(140, 60, 220, 30))

    @classmethod
    def for_palette(cls, pal: QPalette) -> HexColors:
        """Colours that read well on this palette's base colour."""
        base = pal.color(QPalette.ColorRole.Base)
        dark = base.lightness() < 128
        if dark:
            classes = ("#7f7f7f", "#4dd0e1", "#81c784", "#ce93d8", "#fdd835")
            gutter = base.lighter(130)
            change = QColor(255, 140, 0)
            own = QColor(100, 170, 255)
        else:
            classes = ("#a8a8a8", "#00707a", "#2e7d32", "#8e24aa", "#a0522d")
            gutter = base.darker(106)
            change = QColor(255, 150, 30)
            own = QColor(50, 120, 240)
        selection = QColor(pal.color(QPalette.ColorRole.Highlight))
        selection.setAlpha(90)
        mark = QColor(40, 170, 90, 60)
        changes, owns = _alpha_ramp(change), _alpha_ramp(own)
        return cls(
            base=base, gutter=gutter, grid=pal.color(QPalette.ColorRole.Mid),
            offset=pal.color(QPalette.ColorRole.PlaceholderText) if not dark else QColor("#9e9e9e"),
            classes=tuple(QColor(c) for c in classes),  # type: ignore[arg-type]
            selection=selection, cursor=pal.color(QPalette.ColorRole.Highlight),
            cursor_text=pal.color(QPalette.ColorRole.HighlightedText),
            mark=mark, mark_line=QColor(30, 150, 70), change=changes, own_change=owns,
            field_tints=((QColor(80, 140, 255, 46), QColor(170, 110, 255, 46)) if dark else
                         (QColor(40, 110, 255, 30), QColor(140, 60, 220, 30))),
        )


# ---------------------------------------------------------------------- glyph runs

_HEX_DIGIT_CHARS = "0123456789ABCDEF"


class RowGlyphs:
    """Where each glyph of a row goes, so a paint draws all rows in a few glyph runs.

    ``QPainter.drawText`` lays its string out (itemizes, shapes) on every call, and
    a live tick repaints some 50 rows of five colours: that was 200 layouts a tick.
    The glyphs of a hex view never change shape, though: 16 hex digits, 95 ASCII
    characters, all one advance wide. So their glyph indexes are looked up once,
    their x positions are taken from one text layout of a full reference row (the
    very positions ``drawText`` would use), and a paint only picks, per byte, the
    precomputed glyphs and positions of its class: one ``drawGlyphRun`` per colour
    for every row on screen.

    Built for one font, geometry and device; :meth:`matches` says whether it still fits.
    ``usable`` is False when the font lacks one of the glyphs (the view then draws
    text as before, letting Qt fall back to another font).
    """

    def __init__(self, font: QFont, geometry: HexGeometry, device: QWidget) -> None:
        font = QFont(font, device)  # resolved for the device's DPI, as drawText does
        self.key = self.key_for(font, geometry, device)
        self.raw = QRawFont.fromFont(font)
        bpr = geometry.bytes_per_row
        chars = _HEX_DIGIT_CHARS + ASCII_CHAR
        indexes = self.raw.glyphIndexesForString(chars) if self.raw.isValid() else []
        glyph = dict(zip(chars, indexes, strict=True))
        self.usable = len(indexes) == len(chars) and all(indexes)
        #: Per byte: the glyphs of its two hex digits and of its ASCII character.
        self.byte_glyphs = tuple((glyph[HEX_TEXT[b][0]], glyph[HEX_TEXT[b][1]], glyph[ASCII_CHAR[b]])
                                 for b in range(256)) if self.usable else ()
        self.digit_glyphs = {c: glyph[c] for c in _HEX_DIGIT_CHARS} if self.usable else {}
        # x of every character of a full row, as text layout places it.
        hex_x = _char_xs(font, hex_row_text(bytes(bpr)).ljust(hex_row_width(bpr)) + "  " + "0" * bpr)
        self._hex_x = tuple((geometry.hex_start + hex_x[3 * c + c // 8],
                             geometry.hex_start + hex_x[3 * c + c // 8 + 1]) for c in range(bpr))
        first_ascii = hex_row_width(bpr) + 2
        self._ascii_x = tuple(geometry.hex_start + hex_x[first_ascii + c] for c in range(bpr))
        offset_x = _char_xs(font, "0" * geometry.offset_digits)
        self._offset_x = tuple(geometry.margin + x for x in offset_x)
        self._geometry = geometry
        self._rows: list[tuple[list[tuple[QPointF, QPointF, QPointF]], list[QPointF]]] = []

    @staticmethod
    def key_for(font: QFont, geometry: HexGeometry, device: QWidget) -> tuple:
        """What the glyphs and their positions depend on."""
        return (font.key(), geometry.char_width, geometry.row_height, geometry.ascent, geometry.descent,
                geometry.bytes_per_row, geometry.offset_digits, device.devicePixelRatioF(),
                device.logicalDpiY())

    def matches(self, font: QFont, geometry: HexGeometry, device: QWidget) -> bool:
        return self.key == self.key_for(font, geometry, device)

    def positions(self, visible_row: int
                  ) -> tuple[list[tuple[QPointF, QPointF, QPointF]], list[QPointF]]:
        """Glyph positions in ``visible_row`` (content coordinates, y on the baseline):
        per column, its two hex digits and its ASCII character; then the offset's digits."""
        rows = self._rows
        while len(rows) <= visible_row:
            lay = self._geometry
            y = lay.row_y(len(rows)) + lay.text_baseline
            rows.append(([(QPointF(hi, y), QPointF(lo, y), QPointF(a, y))
                          for (hi, lo), a in zip(self._hex_x, self._ascii_x, strict=True)],
                         [QPointF(x, y) for x in self._offset_x]))
        return rows[visible_row]


def _char_xs(font: QFont, text: str) -> list[float]:
    """x of each character of ``text`` laid out in ``font`` (from the start of the text)."""
    layout = QTextLayout(text, font)
    layout.beginLayout()
    line = layout.createLine()
    layout.endLayout()
    return [float(line.cursorToX(k)[0]) for k in range(len(text))]  # type: ignore[index]
