"""Reading a C structure that another process is writing, without believing a torn copy.

A copy of a structure taken with ``pread`` while its writer is halfway through an
update holds some fields from before the update and some from after: a *torn* read,
whose fields disagree with each other. :class:`StructReader` tells such reads apart in
one of two ways:

* **With a sequence field** (a seqlock, as the Linux kernel and many C programs keep
  one): the writer makes a counter odd before it writes the fields and even again (one
  more) after. The reader loads the counter, copies the structure, and loads the
  counter again; when both loads give the same even number, no update overlapped the
  copy. Otherwise it tries again until its time budget is spent (a GUI tick or a poll
  must stay short), and hands back the last copy marked ``torn``.
* **Without one**: the structure is copied twice, back to back, and every field whose
  bytes differ between the copies is ``unstable``. That catches an update that
  happened between the two copies. An update that is slower than the gap between the
  copies can leave both torn alike, which no number of copies can tell; only a
  sequence field can.

Both read through :meth:`Segment.read <mmfviewer.segment.Segment.read>` (``pread``), so
a segment truncated under the reader gives short reads, never a SIGBUS: fields past the
end decode as None.
"""

from __future__ import annotations

import math
import re
import struct
import time
from dataclasses import dataclass

from .segment import Segment
from .struct_fields import Field, FieldTable

#: The kinds of leaf that can count updates.
_COUNTER_KINDS = ("int", "uint")
#: Up to this many sequence words are unpacked in one call; more (a format string of
#: megabytes) are taken one by one.
_MAX_UNPACKED = 65_536


@dataclass(frozen=True)
class StructRead:
    """One read of a structure (or an array of them)."""

    #: The bytes decoded: the table's span from the reader's offset, shorter where the
    #: segment ends.
    data: bytes
    #: :meth:`FieldTable.decode` of ``data``: one value per leaf, None past the end.
    values: list[object]
    #: A sequence field was named and no copy within the budget was consistent; the
    #: values are the last copy's and may mix two updates.
    torn: bool = False
    #: Without a sequence field: the leaves (indexes into ``table.leaves``) whose bytes
    #: differed between two back-to-back copies. Empty with a sequence field.
    unstable: frozenset[int] = frozenset()
    #: Copies taken (with a sequence field: loads of the sequence before a copy).
    attempts: int = 1
    #: The even sequence value the consistent copy was taken at (an array's first
    #: element's); None without a sequence field, for a torn read, or when the
    #: sequence word lies past the segment's end.
    sequence: int | None = None


@dataclass(frozen=True)
class _Sequence:
    """Where the sequence words are: (offset from the table's start, size) each; the
    byte range that covers them all; and one unpacker for the whole range (an array's
    thousand words in one call)."""

    words: tuple[tuple[int, int], ...]
    start: int
    end: int
    unpacker: struct.Struct | None


class StructReader:
    """Reads ``table`` at ``offset`` of ``segment``, consistently (see the module).

    ``sequence`` is the path of the sequence field (``"seq"``, ``"hdr.seq"``); for a
    table of several elements it is the path within one element, and every element's
    own sequence word is checked. It must be an integer field of 1 to 8 bytes that is
    not a bitfield; anything else is a :class:`ValueError` naming the fields that
    could be. ``budget_s`` bounds how long :meth:`read` keeps trying for a consistent
    copy; it always makes at least two attempts.

    Counters, for a status line: ``reads`` (calls of :meth:`read`), ``torn`` (reads
    that came back torn), ``retries`` (attempts beyond each read's first).
    """

    def __init__(self, segment: Segment, table: FieldTable, offset: int, sequence: str | None = None,
                 budget_s: float = 0.002) -> None:
        if offset < 0:
            raise ValueError(f"a structure's offset must not be negative, got {offset}")
        if not budget_s >= 0:
            raise ValueError(f"the time budget must not be negative, got {budget_s}")
        self.segment = segment
        self.table = table
        self.offset = offset
        self.budget_s = budget_s
        self.reads = 0
        self.torn = 0
        self.retries = 0
        self._sequence = None if sequence is None else _find_sequence(table, sequence)
        rows = [table.rows[i] for i in table.leaves]
        self._ranges = [(f.offset, f.offset + f.size, f.bit_width is not None) for f in rows]

    @property
    def sequence_words(self) -> int:
        """How many sequence words each read checks (0 without a sequence field)."""
        return 0 if self._sequence is None else len(self._sequence.words)

    def read(self, *, budget_s: float | None = None) -> StructRead:
        """Copy the structure out and say how far to trust the copy.

        A segment shorter than the structure is not an error: the fields past its end
        are None. Errors reading the segment itself (closed: :class:`MmfError`, an I/O
        error: :class:`OSError`) propagate for the caller to report.
        """
        self.reads += 1
        if self._sequence is None:
            return self._read_twice()
        return self._read_sequenced(self._sequence, self.budget_s if budget_s is None else budget_s)

    # -- without a sequence field

    def _read_twice(self) -> StructRead:
        span = self.table.span
        first = self.segment.read(self.offset, span)
        second = self.segment.read(self.offset, span)
        values = self.table.decode(second)
        if first == second:
            return StructRead(second, values, attempts=2)
        before = self.table.decode(first)
        unstable = frozenset(
            n for n, (start, end, bits) in enumerate(self._ranges)
            # a bitfield shares its bytes with its neighbours: its value says whether it moved
            if (not same_value(before[n], values[n]) if bits else first[start:end] != second[start:end]))
        return StructRead(second, values, unstable=unstable, attempts=2)

    # -- with one

    def _read_sequenced(self, seq: _Sequence, budget_s: float) -> StructRead:
        span = self.table.span
        deadline = time.monotonic() + budget_s
        data: bytes | None = None
        attempts = 0
        while True:
            attempts += 1
            before = self._sequence_values(seq)
            if not any(v is not None and v & 1 for v in before):
                data = self.segment.read(self.offset, span)
                after = self._sequence_values(seq)
                if after == before:
                    self.retries += attempts - 1
                    first = next((v for v in before if v is not None), None)
                    return StructRead(data, self.table.decode(data), attempts=attempts, sequence=first)
            # The writer is mid-update, or was during the copy: try again at once; its
            # update takes microseconds, and a sleep would take far longer.
            if attempts >= 2 and time.monotonic() >= deadline:
                break
        if data is None:  # every attempt found the sequence odd: still show what is there
            data = self.segment.read(self.offset, span)
        self.retries += attempts - 1
        self.torn += 1
        return StructRead(data, self.table.decode(data), torn=True, attempts=attempts)

    def _sequence_values(self, seq: _Sequence) -> list[int | None]:
        """Every sequence word, loaded in one ``pread``; None for a word past the end."""
        raw = self.segment.read(self.offset + seq.start, seq.end - seq.start)
        if seq.unpacker is not None and len(raw) == seq.unpacker.size:
            return list(seq.unpacker.unpack(raw))
        values: list[int | None] = []
        for at, size in seq.words:
            at -= seq.start
            values.append(int.from_bytes(raw[at:at + size], "little") if at + size <= len(raw) else None)
        return values


def same_value(a: object, b: object) -> bool:
    """Equal, counting NaN as equal to NaN (a NaN that stays NaN has not changed)."""
    if a == b:
        return True
    return isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b)


def sequence_candidates(table: FieldTable) -> list[str]:
    """The fields that could be ``table``'s sequence field, as :class:`StructReader`
    takes them (relative to one element for a table of several)."""
    prefix = "[0]." if table.count > 1 else ""
    return [f.path[len(prefix):] for f in (table.rows[i] for i in table.leaves)
            if f.path.startswith(prefix) and _can_count(f)]


def _can_count(f: Field) -> bool:
    return f.kind in _COUNTER_KINDS and f.bit_width is None and 1 <= f.size <= 8


_ELEMENT = re.compile(r"\[\d+\]\.")


def _find_sequence(table: FieldTable, path: str) -> _Sequence:
    wanted = path.strip()
    if table.count > 1:
        wanted = _ELEMENT.sub("", wanted, count=1) if _ELEMENT.match(wanted) else wanted
    row = table.find(f"[0].{wanted}" if table.count > 1 else wanted)
    field = None if row is None or not wanted else table.rows[row]
    if field is None or not _can_count(field):
        candidates = sequence_candidates(table)
        why = ("there is no such field" if field is None else
               "it is a bitfield" if field.bit_width is not None else
               f"it is {field.type_name}, not an integer of 1 to 8 bytes")
        known = ", ".join(candidates[:20]) + (", ..." if len(candidates) > 20 else "") if candidates else "none"
        raise ValueError(f"{path!r} cannot be the sequence field: {why} (integer fields that can: {known})")
    first, size = field.offset, field.size
    words = tuple((first + i * table.stride, size) for i in range(table.count))
    code = {1: "B", 2: "H", 4: "I", 8: "Q"}.get(size)
    gap = table.stride - size
    unpacker = None
    if code is not None and gap >= 0 and table.count <= _MAX_UNPACKED:
        unpacker = struct.Struct("<" + (code + (f"{gap}x" if gap else "")) * (table.count - 1) + code)
    return _Sequence(words, first, words[-1][0] + size, unpacker)
