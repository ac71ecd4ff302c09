"""The hex view's cursor and selection, without Qt: where the cursor is (which byte,
which column, which nibble), what is selected, where each navigation key takes the
cursor, and what a typed key writes.

A selection runs from its anchor to the cursor, both bytes included; without one,
the "selection" is the cursor's byte with length 0.
"""

from __future__ import annotations

import string
from dataclasses import dataclass

#: The navigation keys :func:`navigate` knows.
KEYS = ("left", "right", "up", "down", "page_up", "page_down", "home", "end")
_HEX_DIGITS = frozenset(string.hexdigits)


@dataclass
class Cursor:
    """The cursor and selection over ``size`` bytes."""

    size: int = 0
    offset: int = 0
    anchor: int = 0
    selecting: bool = False
    #: The cursor is in the ASCII column (else the hex one).
    in_ascii: bool = False
    #: The high nibble of the cursor's byte was just typed; the next digit is the low.
    low_nibble: bool = False

    def clamp(self, offset: int) -> int:
        """``offset`` moved inside the bytes (0 for none)."""
        return min(max(0, int(offset)), max(0, self.size - 1))

    def move(self, offset: int, *, select: bool = False) -> None:
        """Put the cursor at ``offset`` (clamped); ``select`` extends the selection
        from its anchor (as Shift+arrow does), otherwise the selection goes."""
        offset = self.clamp(offset)
        self.low_nibble = False
        if select:
            if not self.selecting:
                self.anchor = self.offset
                self.selecting = self.size > 0
        else:
            self.selecting = False
            self.anchor = offset
        self.offset = offset

    def select(self, anchor: int, cursor: int) -> None:
        """Select from ``anchor`` to ``cursor`` (both clamped, both included)."""
        self.anchor, self.offset = self.clamp(anchor), self.clamp(cursor)
        self.low_nibble = False
        self.selecting = self.size > 0

    def selection(self) -> tuple[int, int]:
        """``(start, length)`` of the selection; length 0 (at the cursor) when none."""
        if not self.selecting or self.size == 0:
            return self.offset, 0
        start = min(self.anchor, self.offset)
        end = min(max(self.anchor, self.offset) + 1, self.size)
        return start, max(0, end - start)

    def resize(self, size: int) -> None:
        """The bytes were truncated or grew: keep cursor and anchor inside them."""
        self.size = size
        last = max(0, size - 1)
        self.offset = min(self.offset, last)
        self.anchor = min(self.anchor, last)
        if size == 0:
            self.selecting = False


def navigate(key: str, cursor: int, size: int, bytes_per_row: int, page_rows: int, *,
             ctrl: bool = False) -> int:
    """Where ``key`` (one of :data:`KEYS`) takes a cursor at ``cursor``: arrows by a
    byte or a row, pages by ``page_rows`` rows (the same column), Home/End to the
    row's ends, or with ``ctrl`` to the first and last byte. Up on the first row and
    Down on the last stay."""
    bpr = bytes_per_row
    if key == "left":
        return cursor - 1
    if key == "right":
        return cursor + 1
    if key == "up":
        return cursor - bpr if cursor >= bpr else cursor
    if key == "down":
        return cursor + bpr if cursor + bpr < size else cursor
    if key in ("page_up", "page_down"):
        target = cursor + (page_rows if key == "page_down" else -page_rows) * bpr
        return target if target >= 0 else cursor % bpr  # same column, first row
    if key == "home":
        return 0 if ctrl else cursor - cursor % bpr
    if key == "end":
        return size - 1 if ctrl else cursor - cursor % bpr + bpr - 1
    raise ValueError(f"not a navigation key: {key!r}")


def typed_byte(ch: str, old: int, *, in_ascii: bool, low_nibble: bool) -> int | None:
    """The byte that typing ``ch`` over ``old`` writes: a printable ASCII character in
    the ASCII column, a hex digit into the high (or, after one, the low) nibble in
    the hex column; None for a key that writes nothing there."""
    if in_ascii:
        return ord(ch) if 0x20 <= ord(ch) <= 0x7E else None
    if ch not in _HEX_DIGITS:
        return None
    digit = int(ch, 16)
    return (old & 0xF0) | digit if low_nibble else (digit << 4) | (old & 0x0F)
