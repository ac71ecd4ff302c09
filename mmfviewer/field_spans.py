"""Where the applied structures' fields lie in a segment: what the hex view tints and
names when the pointer rests on a byte.

Neighbouring fields alternate between two tints, as in ImHex and 010 Editor, so a
field's extent shows without reading the dock. Lookups are by bisection: a paint asks
for the fields of the rows on screen, a hover for the field under one byte.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable

from .struct_fields import FieldTable

#: At most this many fields are tinted (a huge array of structs is tinted up to here).
MAX_SPANS = 1 << 20


class FieldSpans:
    """Leaf fields as sorted, non-overlapping (start, end) byte spans with names."""

    def __init__(self, overlays: Iterable[tuple[int, FieldTable]] = ()) -> None:
        spans: list[tuple[int, int, str]] = []
        for base, table in overlays:
            for row in table.leaves:
                f = table.rows[row]
                spans.append((base + f.offset, base + f.offset + max(f.byte_span, 1),
                              f"{table.path_of(row)} ({f.type_name})"))
                if len(spans) >= MAX_SPANS:
                    break
        spans.sort()
        # Union members and bitfields share bytes: the first of them names the bytes.
        self._spans: list[tuple[int, int, str]] = []
        end = -1
        for start, stop, label in spans:
            if start >= end:
                self._spans.append((start, stop, label))
                end = stop
            elif self._spans and stop > end:
                last = self._spans[-1]
                self._spans[-1] = (last[0], stop, last[2])
                end = stop
        self._starts = [s[0] for s in self._spans]

    def __bool__(self) -> bool:
        return bool(self._spans)

    def tints(self, offset: int, length: int) -> tuple[tuple[int, int, int], ...]:
        """(start, end, tint 0 or 1) of the fields that meet [offset, offset + length)."""
        if not self._spans or length <= 0:
            return ()
        i = max(0, bisect_right(self._starts, offset) - 1)
        out = []
        while i < len(self._spans) and self._spans[i][0] < offset + length:
            start, end, _ = self._spans[i]
            if end > offset:
                out.append((start, end, i % 2))
            i += 1
        return tuple(out)

    def label_at(self, offset: int) -> str | None:
        """The name and type of the field holding byte ``offset`` (None: no field)."""
        i = bisect_right(self._starts, offset) - 1
        if i >= 0 and offset < self._spans[i][1]:
            return self._spans[i][2]
        return None
