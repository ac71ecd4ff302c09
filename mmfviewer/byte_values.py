"""The data inspector: what the bytes at the cursor mean as each common type.

:func:`inspect_bytes` turns the bytes starting at the cursor into a fixed list of
:class:`InspectorRow` — integers and floats in both byte orders, strings, Unix
times and the msgpack value that starts there. The list always has the same rows
in the same order (:data:`ROW_NAMES`), whatever the bytes are, so a view can keep
one table row per type and only update cell texts.

Rows that do not depend on byte order (``u8``, ``i8``, ``binary``, ``UTF-8``,
``msgpack``; :data:`SINGLE_VALUE_ROWS`) carry their value in ``little`` and leave
``big`` empty; a view shows that value across both columns. Every other row has a
non-empty ``big``. A value that needs more bytes than there are is :data:`MISSING`.

Garbage is never fatal: every decoder here returns text for any input, and the
msgpack decoder runs with limits derived from the input length, so a header that
claims four billion elements or nesting thousands deep costs nothing.
"""

from __future__ import annotations

import codecs
import math
import re
import struct
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

import msgpack

#: Shown for a value that needs more bytes than the cursor has before the end.
MISSING = "—"

#: How many bytes a caller should pass: enough for every row, and cheap to decode.
WINDOW = 256

#: Input beyond this is ignored, so a caller passing a whole segment stays cheap.
MAX_INPUT = 64 * 1024

#: Strings are shown up to the first NUL, but no more than this many characters.
MAX_STRING_CHARS = 64

#: The msgpack row's text is cut to this many characters.
MAX_MSGPACK_CHARS = 80

#: Every row, in order. The same for any input.
ROW_NAMES: tuple[str, ...] = (
    "u8", "i8", "binary",
    "u16", "i16", "u32", "i32", "u64", "i64",
    "f32", "f64",
    "UTF-8", "UTF-16",
    "time u32 s", "time i64 s", "time u64 ms", "time u64 ns",
    "msgpack",
)

#: Rows whose value does not depend on byte order: ``big`` is always ``""``.
SINGLE_VALUE_ROWS: frozenset[str] = frozenset({"u8", "i8", "binary", "UTF-8", "msgpack"})

_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
# Times outside [1970, 2200) are almost certainly not times; saying so beats a
# confident date in the year 584,554.
_TIME_LIMIT_S = int((datetime(2200, 1, 1, tzinfo=timezone.utc) - _EPOCH).total_seconds())
_NS_PER_S = 1_000_000_000


@dataclass(frozen=True)
class InspectorRow:
    """One type's reading of the bytes at the cursor.

    ``little`` and ``big`` are the value read little- and big-endian. For rows in
    :data:`SINGLE_VALUE_ROWS` the value is in ``little`` and ``big`` is ``""``.
    ``note`` is secondary detail (hex of an integer, how many bytes a string or
    msgpack value takes, where it is invalid) — a view shows it on demand.
    """

    name: str
    little: str
    big: str = ""
    note: str = ""

    @property
    def single(self) -> bool:
        """True when the value does not depend on byte order (one value, no ``big``)."""
        return self.name in SINGLE_VALUE_ROWS


def inspect_bytes(data: bytes, offset: int = 0) -> list[InspectorRow]:
    """Read ``data`` (the bytes from the cursor on) as every type in :data:`ROW_NAMES`.

    ``offset`` is the cursor's absolute offset in the segment; it only appears in
    notes (where a string or msgpack value ends). Short or empty ``data`` gives
    :data:`MISSING` for what does not fit. Never raises for any bytes.
    """
    data = bytes(data[:MAX_INPUT])
    rows = [*_byte_rows(data), *_int_rows(data), *_float_rows(data)]
    rows.append(_utf8_row(data, offset))
    rows.append(_utf16_row(data, offset))
    rows.extend(_time_rows(data))
    rows.append(_msgpack_row(data, offset))
    return rows


def selection_summary(start: int, length: int) -> str:
    """``"selection 0x10–0x1F (16–31, 16 bytes)"``, or ``"no selection"`` when
    ``length`` is not positive. Offsets are inclusive, in hex then decimal."""
    if length <= 0:
        return "no selection"
    if start < 0:
        raise ValueError(f"a selection cannot start before offset 0, got {start}")
    if length == 1:
        return f"selection 0x{start:X} ({start}, 1 byte)"
    end = start + length - 1
    return f"selection 0x{start:X}–0x{end:X} ({start}–{end}, {length} bytes)"


# --- integers ---------------------------------------------------------------------

def _byte_rows(data: bytes) -> list[InspectorRow]:
    if not data:
        return [InspectorRow("u8", MISSING), InspectorRow("i8", MISSING),
                InspectorRow("binary", MISSING)]
    b = data[0]
    bits = f"{b:08b}"
    return [
        InspectorRow("u8", str(b), note=f"0x{b:02X}"),
        InspectorRow("i8", str(b - 256 if b >= 128 else b)),
        InspectorRow("binary", f"{bits[:4]} {bits[4:]}"),
    ]


def _int_rows(data: bytes) -> list[InspectorRow]:
    rows = []
    for size in (2, 4, 8):
        bits = size * 8
        if len(data) < size:
            rows += [InspectorRow(f"u{bits}", MISSING, MISSING),
                     InspectorRow(f"i{bits}", MISSING, MISSING)]
            continue
        chunk = data[:size]
        le, be = int.from_bytes(chunk, "little"), int.from_bytes(chunk, "big")
        # Hex of the value (not of the bytes) so it matches what a C printf("%x") shows.
        hex_note = f"LE 0x{le:0{size * 2}X} · BE 0x{be:0{size * 2}X}"
        rows.append(InspectorRow(f"u{bits}", str(le), str(be), hex_note))
        rows.append(InspectorRow(
            f"i{bits}",
            str(int.from_bytes(chunk, "little", signed=True)),
            str(int.from_bytes(chunk, "big", signed=True)),
            hex_note,
        ))
    return rows


# --- floats -----------------------------------------------------------------------

def float_text(raw: bytes, fmt: str) -> str:
    """The shortest decimal that reads back to exactly these bytes (``fmt``: a
    struct format such as ``"<f"`` or ``">d"``), like ``repr``.

    ``repr`` of the double a float32 widens to shows noise (0.1f -> 0.10000000149011612),
    so for f32 we search for the fewest significant digits that round-trip.
    """
    (value,) = struct.unpack(fmt, raw)
    if math.isnan(value):
        # The sign of a NaN is real (and a common garbage pattern); repr drops it.
        return "-nan" if math.copysign(1.0, value) < 0 else "nan"
    if math.isinf(value) or fmt[1] == "d":
        return repr(value)
    for digits in range(1, 10):
        candidate = float(f"{value:.{digits}g}")
        try:
            if struct.pack(fmt, candidate) == raw:
                return repr(candidate)
        except OverflowError:  # rounding up past the float32 maximum
            continue
    return repr(value)  # unreachable: 9 digits always round-trip a float32


def _float_rows(data: bytes) -> list[InspectorRow]:
    rows = []
    for name, size, code in (("f32", 4, "f"), ("f64", 8, "d")):
        if len(data) < size:
            rows.append(InspectorRow(name, MISSING, MISSING))
            continue
        raw = data[:size]
        le_bits, be_bits = int.from_bytes(raw, "little"), int.from_bytes(raw, "big")
        rows.append(InspectorRow(
            name, float_text(raw, "<" + code), float_text(raw, ">" + code),
            f"bits LE 0x{le_bits:0{size * 2}X} · BE 0x{be_bits:0{size * 2}X}",
        ))
    return rows


# --- strings ----------------------------------------------------------------------

def _quote(text: str) -> str:
    """``text`` in double quotes on one line: control and other unprintable
    characters escaped, so a newline or a terminal escape cannot break the view."""
    out = []
    for ch in text:
        if ch.isprintable():
            out.append(ch)
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append("\\t")
        elif ch == "\r":
            out.append("\\r")
        elif ord(ch) < 0x100:
            out.append(f"\\x{ord(ch):02x}")
        else:
            out.append(f"\\u{ord(ch):04x}" if ord(ch) < 0x10000 else f"\\U{ord(ch):08x}")
    return '"' + "".join(out) + '"'


def _cut(text: str) -> str:
    """Quoted text, with an ellipsis outside the quotes when it was too long."""
    if len(text) > MAX_STRING_CHARS:
        return _quote(text[:MAX_STRING_CHARS]) + "…"
    return _quote(text)


def _decode(raw: bytes, encoding: str, terminated: bool) -> tuple[str, int | None]:
    """Decode ``raw``; return the text (invalid bytes as U+FFFD) and the position of
    the first invalid byte, or None when valid.

    An unterminated string was cut by the end of the window, so a character split
    there is incomplete, not invalid: it is left out instead of flagged.
    """
    decoder = codecs.getincrementaldecoder(encoding)("strict")
    try:
        return decoder.decode(raw, final=terminated), None
    except UnicodeDecodeError as err:
        bad = err.start
    decoder = codecs.getincrementaldecoder(encoding)("replace")
    return decoder.decode(raw, final=terminated), bad


def _string_extent(length: int, offset: int, terminated: bool, window: int) -> str:
    if terminated:
        return f"{length} bytes, NUL at 0x{offset + length:X}"
    # Said plainly: the string may well go on past what the caller passed in.
    return f"{length}+ bytes, no NUL in the {window} bytes read"


def _utf8_row(data: bytes, offset: int) -> InspectorRow:
    if not data:
        return InspectorRow("UTF-8", MISSING)
    end = data.find(b"\0")
    terminated = end >= 0
    raw = data[:end] if terminated else data
    # Four bytes per character at most; decoding more than could ever be shown is waste.
    raw_shown = raw[: MAX_STRING_CHARS * 4 + 4]
    text, bad = _decode(raw_shown, "utf-8", terminated and len(raw_shown) == len(raw))
    note = _string_extent(len(raw), offset, terminated, len(data))
    if bad is not None:
        note = f"invalid UTF-8 at +{bad} (shown as �); {note}"
    return InspectorRow("UTF-8", _cut(text), note=note)


def _utf16_one(data: bytes, offset: int, encoding: str) -> tuple[str, str]:
    # The terminator is a zero code unit: two NULs at an even position.
    end = data.find(b"\0\0")
    while end > 0 and end % 2:
        end = data.find(b"\0\0", end + 1)
    terminated = end >= 0
    raw = data[:end] if terminated else data[: len(data) & ~1]
    raw_shown = raw[: MAX_STRING_CHARS * 4 + 4]
    text, bad = _decode(raw_shown, encoding, terminated and len(raw_shown) == len(raw))
    note = _string_extent(len(raw), offset, terminated, len(data))
    value = _cut(text)
    if bad is not None:
        # Invalid UTF-16 is a lone surrogate; say so in the value, where it is seen.
        value += " (invalid)"
        note = f"invalid at +{bad}; {note}"
    return value, note


def _utf16_row(data: bytes, offset: int) -> InspectorRow:
    if len(data) < 2:
        return InspectorRow("UTF-16", MISSING, MISSING)
    le, le_note = _utf16_one(data, offset, "utf-16-le")
    be, be_note = _utf16_one(data, offset, "utf-16-be")
    # Where the terminator is does not depend on byte order; say it once when it agrees.
    note = le_note if le_note == be_note else f"LE {le_note} · BE {be_note}"
    return InspectorRow("UTF-16", le, be, note)


# --- times ------------------------------------------------------------------------

def _iso_time(ns: int, digits: int) -> str:
    """ISO 8601 UTC text for ``ns`` nanoseconds since the epoch, with ``digits``
    fraction digits, or ``"out of range"`` before 1970 or from 2200 on."""
    if ns < 0 or ns >= _TIME_LIMIT_S * _NS_PER_S:
        return "out of range"
    seconds, fraction = divmod(ns, _NS_PER_S)
    # Integer arithmetic throughout: a float timestamp would lose the nanoseconds.
    text = (_EPOCH + timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%S")
    if digits:
        text += "." + f"{fraction:09d}"[:digits]
    return text + "Z"


_TIME_ROWS = (
    # name, size, signed, unit, nanoseconds per unit, fraction digits shown
    ("time u32 s", 4, False, "s", _NS_PER_S, 0),
    ("time i64 s", 8, True, "s", _NS_PER_S, 0),
    ("time u64 ms", 8, False, "ms", 1_000_000, 3),
    ("time u64 ns", 8, False, "ns", 1, 9),
)


def _time_rows(data: bytes) -> list[InspectorRow]:
    rows = []
    for name, size, signed, unit, scale, digits in _TIME_ROWS:
        if len(data) < size:
            rows.append(InspectorRow(name, MISSING, MISSING))
            continue
        chunk = data[:size]
        le = int.from_bytes(chunk, "little", signed=signed)
        be = int.from_bytes(chunk, "big", signed=signed)
        rows.append(InspectorRow(name, _iso_time(le * scale, digits), _iso_time(be * scale, digits),
                                 f"{unit} since 1970: LE {le} · BE {be}"))
    return rows


# --- msgpack ----------------------------------------------------------------------

class _FullError(Exception):
    """The short repr has reached its length; stop walking the value."""


def short_repr(value: Any, limit: int = MAX_MSGPACK_CHARS) -> str:
    """A one-line repr of a decoded msgpack value, at most ``limit`` characters.

    Walks the value with a character budget instead of calling ``repr`` on all of
    it, so a large or deeply nested value costs only what is shown. msgpack arrays
    (decoded as tuples so they can be map keys) are shown as ``[...]``.
    """
    parts: list[str] = []
    budget = limit + 1

    def emit(text: str) -> None:
        nonlocal budget
        parts.append(text)
        budget -= len(text)
        if budget <= 0:
            raise _FullError

    def walk(item: Any, depth: int) -> None:
        if depth > 32:  # deeper than anyone can read on one line; and Python's stack is finite
            emit("…")
        elif isinstance(item, dict):
            emit("{")
            for i, (key, val) in enumerate(item.items()):
                emit(", " if i else "")
                walk(key, depth + 1)
                emit(": ")
                walk(val, depth + 1)
            emit("}")
        elif isinstance(item, (list, tuple)):
            emit("[")
            for i, val in enumerate(item):
                emit(", " if i else "")
                walk(val, depth + 1)
            emit("]")
        elif isinstance(item, (str, bytes)):
            emit(repr(item[: limit + 1]))  # repr of a slice: a long string costs no more
        else:
            emit(repr(item))

    try:
        walk(value, 0)
    except _FullError:
        pass
    return _clip("".join(parts), limit)


def _msgpack_row(data: bytes, offset: int) -> InspectorRow:
    if not data:
        return InspectorRow("msgpack", MISSING)
    # Limits from the input length: nothing can claim more elements or bytes than exist.
    unpacker = msgpack.Unpacker(max_buffer_size=len(data), strict_map_key=False, use_list=False)
    try:
        unpacker.feed(data)
        value = unpacker.unpack()
        length = unpacker.tell()
    except msgpack.OutOfData:
        return InspectorRow("msgpack", "incomplete (needs more bytes)")
    except msgpack.StackError:
        return InspectorRow("msgpack", "not msgpack: nested too deep")
    except msgpack.FormatError:
        return InspectorRow("msgpack", "not msgpack: a type byte no msgpack value uses")
    except TypeError as err:
        # Valid msgpack Python cannot hold: a map used as a map key (arrays are tuples).
        if "unhashable" in str(err):
            return InspectorRow("msgpack", "msgpack with a map as a map key (cannot be shown)")
        return InspectorRow("msgpack", _clip(f"not msgpack: {_reason(err, len(data))}"))
    except Exception as err:  # msgpack raises several unrelated types on bad input
        return InspectorRow("msgpack", _clip(f"not msgpack: {_reason(err, len(data))}"))
    try:
        shown = short_repr(value)
    except Exception as err:  # a hostile __repr__ cannot come from msgpack, but never crash a view
        shown = f"<{type(value).__name__}: {err}>"
    if length == 1:
        return InspectorRow("msgpack", shown, note=f"1 byte at 0x{offset:X}")
    return InspectorRow("msgpack", shown, note=f"{length} bytes, 0x{offset:X}–0x{offset + length - 1:X}")


# msgpack's words for "the header claims more than the buffer holds".
_LIMIT_RE = re.compile(r"^(\d+) exceeds max_(\w+)_len\(\d+\)$")
_LIMIT_UNITS = {"array": "an array of {n} items", "map": "a map of {n} entries",
                "str": "a string of {n} bytes", "bin": "binary of {n} bytes",
                "ext": "an ext of {n} bytes"}


def _reason(err: Exception, available: int) -> str:
    """Why bytes are not msgpack, in a user's words where we know them."""
    text = str(err).splitlines()[0] if str(err) else ""
    match = _LIMIT_RE.match(text)
    if match and match.group(2) in _LIMIT_UNITS:
        claim = _LIMIT_UNITS[match.group(2)].format(n=match.group(1))
        return f"claims {claim}, more than {available} bytes can hold"
    if isinstance(err, UnicodeDecodeError):
        return "a str that is not valid UTF-8"
    return f"{type(err).__name__}: {text}" if text else type(err).__name__


def _clip(text: str, limit: int = MAX_MSGPACK_CHARS) -> str:
    """``text`` on one line, cut to ``limit`` characters with an ellipsis."""
    text = text.replace("\n", "\\n").replace("\r", "\\r")
    return text if len(text) <= limit else text[: limit - 1] + "…"
