"""The hex view's cursor and selection, without Qt: where the cursor is, what is
selected, and where each navigation key takes the cursor.

A selection runs from its anchor to the cursor, both bytes included; without one,
the "selection" is the cursor's byte with length 0.
"""

from __future__ import annotations

from dataclasses import dataclass

#: The navigation keys :func:`navigate` knows.
KEYS = ("left", "right", "up", "down", "page_up", "page_down", "home", "end")


@dataclass
class Cursor:
    """The cursor and selection over ``size`` bytes."""

    size: int = 0
    offset: int = 0
    anchor: int = 0
    selecting: bool = False

    def clamp(self, offset: int) -> int:
        """``offset`` moved inside the bytes (0 for none)."""
        return min(max(0, int(offset)), max(0, self.size - 1))

    def move(self, offset: int, *, select: bool = False) -> None:
        """Put the cursor at ``offset`` (clamped); ``select`` extends the selection
        from its anchor (as Shift+arrow does), otherwise the selection goes."""
        offset = self.clamp(offset)
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
