"""Where the hex view puts things and what text it draws: no widget needed.

The geometry of :class:`~mmfviewer.qt.hex_view.HexView` lives here in small named
helpers (:class:`HexGeometry`, and the arithmetic that lets a 32-bit scrollbar reach
the last row of a segment far beyond 4 GiB), next to the 256-entry tables that
turn bytes into hex, ASCII and a colour class, and the clipboard text formats.
All of it is pure and testable without a window (:func:`geometry_for_font` needs
only a font).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, replace
from functools import cached_property

from PySide6.QtCore import QRectF
from PySide6.QtGui import QFont, QFontMetricsF

from ..hextext import hexdump_text

#: Rows the scrollbar can count exactly; beyond this its values are scaled.
SCROLL_MAX = 1 << 30
#: Bytes per C array line in "copy as C".
C_BYTES_PER_LINE = 12

# ---------------------------------------------------------------------- byte tables

# Byte classes, coloured like hexyl: NUL, printable ASCII, ASCII whitespace,
# other ASCII (control), non-ASCII.
ZERO, PRINTABLE, WHITESPACE, CONTROL, HIGH = range(5)
_WHITESPACE_BYTES = b" \t\n\v\f\r"


def byte_class(b: int) -> int:
    """Which of the five hexyl classes the byte ``b`` belongs to."""
    if b == 0:
        return ZERO
    if b in _WHITESPACE_BYTES:
        return WHITESPACE
    if 0x21 <= b <= 0x7E:
        return PRINTABLE
    if b < 0x80:
        return CONTROL
    return HIGH


CLASS_OF = bytes(byte_class(b) for b in range(256))
#: How each byte looks in the ASCII column: itself if printable, "_" for
#: whitespace other than space, "." for everything else.
ASCII_CHAR = "".join(
    chr(b) if 0x20 <= b <= 0x7E else "_" if b in _WHITESPACE_BYTES else "." for b in range(256))
HEX_TEXT = tuple(f"{b:02X}" for b in range(256))
# Per class: the byte's text where it belongs to the class, blanks elsewhere, so a
# row is drawn with one call per class present rather than one per byte.
_HEX_BY_CLASS = tuple(tuple(HEX_TEXT[b] if CLASS_OF[b] == c else "  " for b in range(256))
                      for c in range(5))
_ASCII_BY_CLASS = tuple(bytes(ord(ASCII_CHAR[b]) if CLASS_OF[b] == c else 0x20 for b in range(256))
                        for c in range(5))


def hex_row_text(row: bytes, cells: tuple[str, ...] = HEX_TEXT) -> str:
    """``"00 01 02 ... 07  08 ..."``: a row's hex, groups of 8 set apart by one more space."""
    return "  ".join(" ".join(cells[b] for b in row[g:g + 8]) for g in range(0, len(row), 8))


_RUNS = re.compile(rb"(.)\1*", re.S)


def level_runs(levels: bytes) -> list[tuple[int, int, int]]:
    """``(first, last, level)`` of each run of equal non-zero levels.

    Bytes that changed together share a level, so a run is one rectangle to fill
    instead of one per byte.
    """
    return [(m.start(), m.end() - 1, levels[m.start()]) for m in _RUNS.finditer(levels)
            if levels[m.start()]]


def hex_row_width(bytes_per_row: int) -> int:
    """Characters in a full row's hex text."""
    return 3 * bytes_per_row - 1 + (bytes_per_row - 1) // 8


def row_texts(row: bytes, bytes_per_row: int) -> tuple[tuple[int, str], ...]:
    """``(class, text)`` for each byte class present in ``row``.

    The text holds both columns, hex then ASCII two spaces after a full row's hex
    (which is exactly where :class:`HexGeometry` puts the ASCII column), and blanks
    where bytes of other classes are: one draw call per class and row.
    """
    width = hex_row_width(bytes_per_row)
    present = sorted(set(row.translate(CLASS_OF)))
    return tuple((c, hex_row_text(row, _HEX_BY_CLASS[c]).ljust(width) + "  "
                  + row.translate(_ASCII_BY_CLASS[c]).decode("ascii")) for c in present)


# ---------------------------------------------------------------------- text formats

#: Control characters that copied text keeps; the others become "." as on screen.
_KEPT_CONTROLS = "\t\n\r"


def format_bytes(data: bytes, kind: str, *, base: int = 0) -> str:
    """Bytes as text for the clipboard: ``hex``, ``text`` (UTF-8, control characters
    shown as "." like the text column), ``hexdump``, ``c`` or ``python``."""
    if kind == "hex":
        return data.hex(" ").upper()
    if kind == "text":
        decoded = bytes(data).decode("utf-8", errors="replace")
        return "".join(c if c.isprintable() or c in _KEPT_CONTROLS else "." for c in decoded)
    if kind == "hexdump":
        return hexdump_text(data, base=base)
    if kind == "c":
        items = [f"0x{b:02x}" for b in data]
        head = f"unsigned char data[{len(data)}] = {{"
        if len(items) <= C_BYTES_PER_LINE:
            return head + ", ".join(items) + "};"
        lines = ("    " + ", ".join(items[i:i + C_BYTES_PER_LINE])
                 for i in range(0, len(items), C_BYTES_PER_LINE))
        return head + "\n" + ",\n".join(lines) + "\n};"
    if kind == "python":
        return repr(bytes(data))
    raise ValueError(f"unknown copy format {kind!r}; use hex, text, hexdump, c or python")


# ---------------------------------------------------------------------- geometry

def rows_for(size: int, bytes_per_row: int) -> int:
    """How many rows ``size`` bytes take."""
    return -(-max(0, size) // bytes_per_row)


def scrollbar_maximum(max_first_row: int) -> int:
    """The scrollbar's maximum for a view whose first row can go up to ``max_first_row``."""
    return min(max(0, max_first_row), SCROLL_MAX)


def scroll_value_for_row(row: int, max_first_row: int) -> int:
    """The scrollbar value that shows ``row`` first (scaled when rows exceed 32 bits)."""
    row = min(max(0, row), max(0, max_first_row))
    if max_first_row <= SCROLL_MAX:
        return row
    return row * SCROLL_MAX // max_first_row


def row_for_scroll_value(value: int, max_first_row: int) -> int:
    """The first row shown at scrollbar ``value``; the maximum maps to the last row."""
    value = min(max(0, value), scrollbar_maximum(max_first_row))
    if max_first_row <= SCROLL_MAX:
        return value
    return value * max_first_row // SCROLL_MAX


@dataclass(frozen=True)
class HexGeometry:
    """Where everything is, in pixels, for one font and row width; no widget needed.

    x is measured from the left edge of the content (add the horizontal scroll);
    y from the top of the viewport. Row 0 of the viewport starts below the header.
    """

    char_width: float
    row_height: float
    ascent: float = 0.0
    descent: float = 0.0
    bytes_per_row: int = 16
    size: int = 0

    @property
    def margin(self) -> float:
        """Blank space left of the offsets."""
        return self.char_width

    @property
    def offset_digits(self) -> int:
        """8 hex digits, 16 once offsets no longer fit in 32 bits."""
        return 8 if self.size <= 1 << 32 else 16

    @property
    def offset_width(self) -> float:
        """Right edge of the offset column's text."""
        return self.margin + self.offset_digits * self.char_width

    @property
    def cell_width(self) -> float:
        """Width of one byte in the hex column: two digits and a space."""
        return 3 * self.char_width

    @property
    def group_gap(self) -> float:
        """The extra space after every 8 bytes."""
        return self.char_width

    @property
    def hex_start(self) -> float:
        """x of the first hex digit."""
        return self.offset_width + 2 * self.char_width

    def hex_x(self, column: int) -> float:
        """x of the first digit of ``column``."""
        return self.hex_start + column * self.cell_width + (column // 8) * self.group_gap

    @property
    def hex_end(self) -> float:
        """x just after the last hex digit of a full row."""
        return self.hex_x(self.bytes_per_row - 1) + 2 * self.char_width

    @property
    def ascii_start(self) -> float:
        """x of the first ASCII character."""
        return self.hex_end + 2 * self.char_width

    def ascii_x(self, column: int) -> float:
        """x of the ASCII character of ``column``."""
        return self.ascii_start + column * self.char_width

    @property
    def total_width(self) -> float:
        """Width of the whole content."""
        return self.ascii_x(self.bytes_per_row) + self.margin

    @property
    def header_height(self) -> float:
        """Height of the column header above row 0."""
        return math.ceil(self.row_height * 1.25)

    @property
    def rows(self) -> int:
        """How many rows the segment takes."""
        return rows_for(self.size, self.bytes_per_row)

    def row_y(self, visible_row: int) -> float:
        """Top of the ``visible_row``-th row on screen."""
        return self.header_height + visible_row * self.row_height

    def baseline(self, visible_row: int) -> float:
        """Text baseline of the ``visible_row``-th row on screen."""
        pad = (self.row_height - self.ascent - self.descent) / 2
        return self.row_y(visible_row) + pad + self.ascent

    def visible_rows(self, height: float) -> int:
        """Rows at least partly on screen in a viewport ``height`` pixels tall."""
        return max(0, math.ceil((height - self.header_height) / self.row_height))

    def full_rows(self, height: float) -> int:
        """Rows entirely on screen (at least 1, so paging always moves)."""
        return max(1, int((height - self.header_height) // self.row_height))

    def max_first_row(self, height: float) -> int:
        """The first row when scrolled to the end: the last row sits at the bottom."""
        return max(0, self.rows - self.full_rows(height))

    def column_at(self, x: float) -> tuple[int, bool]:
        """``(column, in_ascii)`` under x; clicks between columns go to the nearest."""
        if x >= self.hex_end + self.char_width:
            col = int((x - self.ascii_start) // self.char_width)
            return min(max(col, 0), self.bytes_per_row - 1), True
        group_width = 8 * self.cell_width + self.group_gap
        rel = x - self.hex_start + self.char_width / 2
        group = int(rel // group_width) if rel > 0 else 0
        within = rel - group * group_width
        col = group * 8 + min(int(within // self.cell_width), 7)
        return min(max(col, 0), self.bytes_per_row - 1), False

    def position_at(self, x: float, y: float, first_row: int) -> tuple[int, bool]:
        """``(offset, in_ascii)`` of the byte at (x, y) with ``first_row`` at the top.

        The offset is clamped to the segment (0 for an empty one).
        """
        col, in_ascii = self.column_at(x)
        row = first_row + max(0, int((y - self.header_height) // self.row_height))
        offset = row * self.bytes_per_row + col
        return min(offset, max(0, self.size - 1)), in_ascii

    def hex_cell(self, column: int, visible_row: int) -> QRectF:
        """The box drawn behind one byte in the hex column."""
        return QRectF(self.hex_x(column) - self.char_width / 2, self.row_y(visible_row),
                      self.cell_width, self.row_height)

    def ascii_cell(self, column: int, visible_row: int) -> QRectF:
        """The box drawn behind one byte in the ASCII column."""
        return QRectF(self.ascii_x(column), self.row_y(visible_row), self.char_width, self.row_height)

    @cached_property
    def edges(self) -> tuple[tuple[float, ...], tuple[float, ...], tuple[float, ...]]:
        """``(hex_left, hex_right, ascii_left)``: per column, the edges of the boxes drawn
        behind runs of bytes (``ascii_left`` has one more entry, the column's end).

        Computed once per layout, so a paint looks edges up instead of walking the
        property chain behind :meth:`hex_x` for every cell.
        """
        cw, n = self.char_width, self.bytes_per_row
        hex_xs = [self.hex_x(c) for c in range(n)]
        return (tuple(x - cw / 2 for x in hex_xs), tuple(x + 2.5 * cw for x in hex_xs),
                tuple(self.ascii_x(c) for c in range(n + 1)))

    @cached_property
    def text_baseline(self) -> float:
        """The baseline's distance from the top of its row."""
        return (self.row_height - self.ascent - self.descent) / 2 + self.ascent


#: "Auto" bytes per row are whole groups of 8: the view's gap every 8 bytes stays a
#: column, a 64-bit word never splits across rows, and row offsets end in 0 or 8.
AUTO_STEP = 8
AUTO_MAX = 256


def bytes_per_row_to_fit(geometry: HexGeometry, width: float) -> int:
    """The most bytes per row (a multiple of :data:`AUTO_STEP`, at least one step)
    whose hex and text columns fit ``width`` pixels without scrolling sideways."""
    best = AUTO_STEP
    for n in range(AUTO_STEP, AUTO_MAX + 1, AUTO_STEP):
        if replace(geometry, bytes_per_row=n).total_width > width:
            break
        best = n
    return best


def geometry_for_font(font: QFont, bytes_per_row: int, size: int) -> HexGeometry:
    """The :class:`HexGeometry` for a monospace ``font``."""
    fm = QFontMetricsF(font)
    # A long run's advance, not one glyph's: text layout accumulates fractional
    # advances, so this is where the 40th character really lands.
    char_width = fm.horizontalAdvance("0" * 64) / 64
    return HexGeometry(char_width=char_width, row_height=math.ceil(fm.height()) + 2,
                     ascent=fm.ascent(), descent=fm.descent(), bytes_per_row=bytes_per_row, size=size)
