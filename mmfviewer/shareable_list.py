"""Python's ``multiprocessing.shared_memory.ShareableList``, read from bytes anyone wrote.

The layout, as CPython 3.9 to 3.13 write it (all integers native-endian, as
``struct`` packs them without a prefix)::

    offset 0                  q       item count N
    offset 8                  q*(N+1) where each item's slot starts in the data area
                                      (0 first, then running totals; the last one is
                                      the data area's size)
    offset 8*(N+2)            ...     the data area: one slot per item
    after the data area       8s*N    each item's struct format, NUL-padded:
                                      q (int), d (float), xxxxxxx? (bool),
                                      xxxxxx?x (None), <size>s (str and bytes)
    after the formats         b*N     each item's back-transform code:
                                      0 int/float/bool, 1 str, 2 bytes, 3 None

Python 3.8 wrote N slot *sizes* at offset 8 instead of N+1 offsets, so its data
area starts at 8*(N+1). A first word of 0 at offset 8 can only be a 3.9+ offset (a
3.8 slot is never empty), which is how the two are told apart; both are read and
written here.

What every version does and this module copies: str and bytes slots are 8 times
(characters // 8 + 1) bytes, so even an empty string takes 8; values are NUL-padded
and trailing NULs are stripped on reading (so ``b"a\\0"`` reads back as ``b"a"``,
CPython issue 96779); None stores nothing and always reads as None. CPython sizes a
str slot by *characters* but stores UTF-8 *bytes*, silently cutting what does not
fit (issue 88336): such an item may end inside a character, and CPython then raises
UnicodeDecodeError reading it. Here it decodes with U+FFFD and a note instead, so
one broken item does not hide the rest.

The bytes are hostile input: every count and offset is checked against the length
of the data before anything is allocated, and work is linear in that length.
"""

from __future__ import annotations

import re
import struct
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .errors import FormatError, ReadOnlyError
from .segment import Segment
from .tree import Node

__all__ = ["decode_shareable_list", "looks_like_shareable_list", "write_item"]

_WORD = 8
#: Formats of fixed-size items: the type Python calls them and the back-transform
#: code CPython stores with them. Nothing else is ever written with these formats.
_FIXED: dict[bytes, tuple[str, int]] = {
    b"q": ("int", 0),
    b"d": ("float", 0),
    b"xxxxxxx?": ("bool", 0),
    b"xxxxxx?x": ("None", 3),
}
_FIXED_STRUCTS = {fmt: struct.Struct(fmt.decode()) for fmt in _FIXED}
_SIZED_CODES = {1: "str", 2: "bytes"}
# CPython asserts a format fits its 8-byte field, so "<size>s" has at most 7 digits.
_SIZED = re.compile(rb"([1-9][0-9]{0,6})s")
#: The largest slot any CPython can make (a multiple of 8 whose format fits 8 bytes).
MAX_SLOT = 9_999_992
_INT_MIN, _INT_MAX = -(1 << 63), (1 << 63) - 1
_ENCODING = "utf-8"

_Reader = Callable[[int, int], bytes]


@dataclass(frozen=True)
class _Layout:
    """Where the parts of one ShareableList are, all offsets from byte 0."""

    count: int
    bounds: tuple[int, ...]  # count+1 slot boundaries: item i is bounds[i]:bounds[i+1]
    data_start: int
    legacy: bool  # Python 3.8: sizes at offset 8, not offsets

    @property
    def formats_start(self) -> int:
        return self.bounds[-1]

    @property
    def codes_start(self) -> int:
        return self.bounds[-1] + _WORD * self.count

    @property
    def end(self) -> int:
        return self.bounds[-1] + (_WORD + 1) * self.count


def _bad(offset: int, reason: str) -> FormatError:
    return FormatError(f"not a ShareableList: at offset {offset}, {reason}")


def _read_exact(read: _Reader, offset: int, n: int, what: str) -> bytes:
    data = read(offset, n)
    if len(data) != n:
        raise _bad(offset, f"{what} needs {n} bytes but only {len(data)} are there")
    return data


def _parse_layout(read: _Reader, size: int) -> _Layout:
    """Check the count and the slot table; find the formats and codes areas.

    ``read(offset, n)`` returns up to ``n`` bytes; ``size`` is how many bytes there
    are, so no count from the data makes us read or allocate more than that.
    """
    (count,) = struct.unpack("q", _read_exact(read, 0, _WORD, "the item count"))
    if count < 0:
        raise _bad(0, f"the item count is negative ({count})")
    if count == 0:
        # An empty list is its count and, since 3.9, one offset (0): 16 bytes. 3.8
        # wrote only the count, so 8 to 15 bytes are a 3.8 empty list.
        if size < 2 * _WORD:
            return _Layout(0, (_WORD,), _WORD, legacy=True)
        (first,) = struct.unpack("q", _read_exact(read, _WORD, _WORD, "the offset table"))
        if first != 0:
            raise _bad(_WORD, f"an empty list's only offset must be 0, not {first}")
        return _Layout(0, (2 * _WORD,), 2 * _WORD, legacy=False)
    # Smallest possible list: count, N+1 offsets (N sizes in 3.8), 8-byte slots,
    # 8-byte formats, 1-byte codes.
    least = _WORD + 25 * count
    if least > size:
        raise _bad(0, f"an item count of {count} needs at least {least} bytes, "
                      f"only {size} are there")
    (first,) = struct.unpack("q", _read_exact(read, _WORD, _WORD, "the offset table"))
    legacy = first != 0
    words = count if legacy else count + 1
    table = struct.unpack(f"{words}q", _read_exact(read, _WORD, _WORD * words, "the offset table"))
    data_start = _WORD * (words + 1)
    bounds = [data_start]
    for i in range(count):
        step = table[i] if legacy else table[i + 1] - table[i]
        if step < _WORD or step > MAX_SLOT or step % _WORD:
            where = _WORD * (i + 1) if legacy else _WORD * (i + 2)
            what = "size" if legacy else "slot (offset difference)"
            raise _bad(where, f"item {i}'s {what} is {step} bytes; CPython makes slots of "
                              f"8 to {MAX_SLOT} bytes in steps of 8")
        bounds.append(bounds[-1] + step)
    layout = _Layout(count, tuple(bounds), data_start, legacy)
    if layout.end > size:
        raise _bad(data_start, f"{count} items with {bounds[-1] - data_start} bytes of data need "
                               f"{layout.end} bytes in all, only {size} are there")
    return layout


def _item_kind(layout: _Layout, index: int, fmt_field: bytes, code: int) -> tuple[str, bytes]:
    """The type name of item ``index`` and its format, or FormatError."""
    fmt = fmt_field.rstrip(b"\0")
    fixed = _FIXED.get(fmt)
    if fixed is not None:
        if code != fixed[1]:
            raise _bad(layout.codes_start + index,
                       f"item {index} has format {fmt.decode()!r} but back-transform code "
                       f"{code}; CPython stores {fixed[1]} with it")
        return fixed[0], fmt
    fmt_at = layout.formats_start + _WORD * index
    sized = _SIZED.fullmatch(fmt)
    if sized is None:
        raise _bad(fmt_at, f"item {index}'s format {fmt_field!r} is not one CPython writes "
                           "(q, d, xxxxxxx?, xxxxxx?x or <size>s)")
    slot = layout.bounds[index + 1] - layout.bounds[index]
    if int(sized.group(1)) != slot:
        raise _bad(fmt_at, f"item {index}'s format {fmt.decode()!r} does not match its "
                           f"{slot}-byte slot")
    if code not in _SIZED_CODES:
        raise _bad(layout.codes_start + index,
                   f"item {index} has format {fmt.decode()!r} but back-transform code {code}; "
                   "CPython stores 1 (str) or 2 (bytes) with it")
    return _SIZED_CODES[code], fmt


def _kinds(data: bytes, layout: _Layout) -> list[tuple[str, bytes]]:
    codes = struct.unpack_from(f"{layout.count}b", data, layout.codes_start)
    start = layout.formats_start
    return [_item_kind(layout, i, data[start + _WORD * i:start + _WORD * (i + 1)], codes[i])
            for i in range(layout.count)]


def shareable_list_length(read: Callable[[int, int], bytes], size: int) -> int | None:
    """How many bytes from offset 0 the ShareableList there takes, judged from its
    count and slot table alone (``read(offset, n)`` fetches them; no more than
    ``size`` bytes are ever looked at), or None when those are not a list's."""
    try:
        return _parse_layout(read, size).end
    except FormatError:
        return None


def looks_like_shareable_list(data: bytes) -> bool:
    """True when ``data`` is, structurally, a whole ShareableList.

    Strict and cheap: the count, every slot offset, every item's format and
    back-transform code must be what CPython writes, and the whole structure must
    lie inside ``data`` (so pass the segment's bytes up to at least the end of the
    list; a prefix that cuts the list short is not recognised). The values
    themselves are not decoded. Zeros, text, random bytes, msgpack values and .NET
    BinaryFormatter streams fail at the first word or two.

    An empty ShareableList is 16 zero bytes (8 in Python 3.8) and nothing else
    distinguishes it from zeros, so it is recognised only when ``data`` is exactly
    those bytes, i.e. the whole segment (Linux sizes a segment to what was asked
    for). Longer runs of zeros are not a ShareableList.
    """
    data = bytes(data)
    try:
        layout = _parse_layout(lambda o, n: data[o:o + n], len(data))
        if layout.count == 0:
            return len(data) == layout.end
        _kinds(data, layout)
    except FormatError:
        return False
    return True


def decode_shareable_list(data: bytes) -> Node:
    """Decode the ShareableList at offset 0 of ``data`` into a tree.

    The root is ``Node(name="", type="ShareableList", kind="list", start=0,
    end=<bytes the list uses>)`` with one child per item: ``name="[i]"``, ``type``
    one of ``int``, ``float``, ``bool``, ``str``, ``bytes``, ``None``, ``value`` what
    CPython's ``ShareableList`` reads there, and ``start``/``end`` the item's slot
    in the data area. str and bytes items have a note like ``"5 of 8 bytes"`` (used
    of allocated); so do fixed-size items in a slot larger than 8 bytes (left by an
    earlier str). The root of a list in Python 3.8's layout says so in its note.
    Bytes after the list (page rounding, say) are ignored.

    Raises :class:`FormatError` naming the offset and the reason when ``data`` is
    not a well-formed ShareableList; nothing else.
    """
    data = bytes(data)
    layout = _parse_layout(lambda o, n: data[o:o + n], len(data))
    children = []
    bounds = layout.bounds
    for i, (kind, fmt) in enumerate(_kinds(data, layout)):
        start, end = bounds[i], bounds[i + 1]
        note = ""
        if kind in ("str", "bytes"):
            raw = data[start:end].rstrip(b"\0")
            value: Any = raw
            note = f"{len(raw)} of {end - start} bytes"
            if kind == "str":
                try:
                    value = raw.decode(_ENCODING)
                except UnicodeDecodeError as err:
                    value = raw.decode(_ENCODING, "replace")
                    note += (f"; not UTF-8 from byte {err.start} (CPython cut a longer string "
                             "to fit its slot, and raises UnicodeDecodeError reading it)")
        else:
            value = None if kind == "None" else _FIXED_STRUCTS[fmt].unpack_from(data, start)[0]
            if end - start > _WORD:
                note = f"{_WORD} of {end - start} bytes"
        children.append(Node(name=f"[{i}]", type=kind, value=value, start=start, end=end,
                             note=note))
    return Node(name="", type="ShareableList", start=0, end=layout.end, children=children,
                kind="list", note="Python 3.8 layout" if layout.legacy else "")


def write_item(segment: Segment, index: int, value: Any) -> None:
    """Overwrite item ``index`` of the ShareableList in ``segment`` with ``value``.

    Writes exactly the bytes CPython's ``ShareableList.__setitem__`` would, but only
    for a value of the kind the item already holds, so the item's format and code do
    not change: a str or bytes that fits the slot in UTF-8 bytes (shorter values are
    NUL-padded; trailing NULs in the value read back stripped, as in CPython), an
    int in the 64-bit signed range, a float, a bool, or None where None is stored.
    A negative ``index`` counts from the end, as in a list.

    Raises :class:`ReadOnlyError` on a read-only segment and :class:`FormatError`
    when the segment holds no well-formed ShareableList, the index is out of range,
    or the value does not fit; nothing is written then. There is no lock: like
    CPython's own writes, this can interleave with another process's.
    """
    if segment.readonly:
        raise ReadOnlyError(f"{segment.label} is open read-only; open it read-write to write")
    layout = _parse_layout(segment.read, segment.size)
    if isinstance(index, bool) or not isinstance(index, int):
        raise FormatError(f"an item index must be an int, not {type(index).__name__}")
    if not -layout.count <= index < layout.count:
        raise FormatError(f"{segment.label} has no item {index}: the ShareableList has "
                          f"{layout.count} item{'s' if layout.count != 1 else ''}")
    index %= layout.count
    fmt_field = _read_exact(segment.read, layout.formats_start + _WORD * index, _WORD,
                            f"item {index}'s format")
    (code,) = struct.unpack("b", _read_exact(segment.read, layout.codes_start + index, 1,
                                             f"item {index}'s back-transform code"))
    kind, fmt = _item_kind(layout, index, fmt_field, code)
    start, end = layout.bounds[index], layout.bounds[index + 1]
    payload = _encode(kind, fmt, value, index, end - start)
    segment.write(start, payload)


def _encode(kind: str, fmt: bytes, value: Any, index: int, slot: int) -> bytes:
    """``value`` packed as CPython packs it into an item of this kind, or FormatError."""
    given = "None" if value is None else type(value).__name__
    # Exact types: CPython picks the format by type(value), so a bool is never an
    # int here, and subclasses (IntEnum, str subclasses) are refused as CPython does.
    if given != kind or (value is not None and type(value) not in (int, float, bool, str, bytes)):
        raise FormatError(f"item {index} holds {_article(kind)}; write {_article(kind)}, "
                          f"not {_article(given)} (an item keeps its kind here)")
    if kind == "int" and not _INT_MIN <= value <= _INT_MAX:
        raise FormatError(f"item {index} is a 64-bit signed int ('q'); {value} is out of "
                          f"its range {_INT_MIN}..{_INT_MAX}")
    if kind in ("str", "bytes"):
        if kind == "str":
            try:
                value = value.encode(_ENCODING)
            except UnicodeEncodeError as err:
                raise FormatError(f"item {index}: the str cannot be encoded as UTF-8 "
                                  f"({err.reason} at character {err.start})") from None
        if len(value) > slot:
            raise FormatError(f"item {index}: {len(value)} bytes do not fit its {slot}-byte "
                              "slot (a ShareableList item cannot grow)")
    return struct.pack(fmt.decode(), value)


def _article(kind: str) -> str:
    if kind in ("None", "bytes"):
        return kind
    return ("an " if kind[0] in "aeiou" else "a ") + kind
