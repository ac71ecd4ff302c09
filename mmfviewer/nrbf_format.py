"""The MS-NRBF format itself: its record and type enumerations, the .NET values its
primitives hold, and a bounds-checked reader of those primitives.

The decoder (:mod:`mmfviewer.nrbf`) and the encoder (:mod:`mmfviewer.nrbf_encode`)
both speak this grammar; keeping it apart lets each of them be about one direction.
The reader never allocates from a length before checking it against the
bytes left, and every failure is an :class:`NrbfError` saying at which offset and why.
"""

from __future__ import annotations

import datetime as _dt
import decimal
import re
import struct
from dataclasses import dataclass
from typing import Any

from .errors import FormatError
from .tree import Node

# RecordTypeEnumeration
HEADER, CLASS_WITH_ID, SYSTEM_CLASS_WITH_MEMBERS, CLASS_WITH_MEMBERS = 0, 1, 2, 3
SYSTEM_CLASS_WITH_MEMBERS_AND_TYPES, CLASS_WITH_MEMBERS_AND_TYPES = 4, 5
OBJECT_STRING, BINARY_ARRAY, MEMBER_PRIMITIVE_TYPED, MEMBER_REFERENCE = 6, 7, 8, 9
OBJECT_NULL, MESSAGE_END, BINARY_LIBRARY, OBJECT_NULL_MULTIPLE_256 = 10, 11, 12, 13
OBJECT_NULL_MULTIPLE, ARRAY_SINGLE_PRIMITIVE, ARRAY_SINGLE_OBJECT, ARRAY_SINGLE_STRING = 14, 15, 16, 17
RECORD_NAMES = {
    0: "SerializationHeader", 1: "ClassWithId", 2: "SystemClassWithMembers",
    3: "ClassWithMembers", 4: "SystemClassWithMembersAndTypes", 5: "ClassWithMembersAndTypes",
    6: "BinaryObjectString", 7: "BinaryArray", 8: "MemberPrimitiveTyped", 9: "MemberReference",
    10: "ObjectNull", 11: "MessageEnd", 12: "BinaryLibrary", 13: "ObjectNullMultiple256",
    14: "ObjectNullMultiple", 15: "ArraySinglePrimitive", 16: "ArraySingleObject",
    17: "ArraySingleString", 21: "MethodCall", 22: "MethodReturn",
}

# BinaryTypeEnumeration
BT_PRIMITIVE, BT_STRING, BT_OBJECT, BT_SYSTEM_CLASS, BT_CLASS = 0, 1, 2, 3, 4
BT_OBJECT_ARRAY, BT_STRING_ARRAY, BT_PRIMITIVE_ARRAY = 5, 6, 7

# PrimitiveTypeEnumeration: code -> (.NET name, fixed size or 0, struct/array code or "")
PRIMITIVES: dict[int, tuple[str, int, str]] = {
    1: ("System.Boolean", 1, "B"), 2: ("System.Byte", 1, "B"), 3: ("System.Char", 0, ""),
    5: ("System.Decimal", 0, ""), 6: ("System.Double", 8, "d"), 7: ("System.Int16", 2, "h"),
    8: ("System.Int32", 4, "i"), 9: ("System.Int64", 8, "q"), 10: ("System.SByte", 1, "b"),
    11: ("System.Single", 4, "f"), 12: ("System.TimeSpan", 8, "q"), 13: ("System.DateTime", 8, "Q"),
    14: ("System.UInt16", 2, "H"), 15: ("System.UInt32", 4, "I"), 16: ("System.UInt64", 8, "Q"),
    17: ("System.Null", 0, ""), 18: ("System.String", 0, ""),
}
PRIMITIVE_CODES = {name: code for code, (name, _, _) in PRIMITIVES.items()}
P_BOOLEAN, P_CHAR, P_DECIMAL, P_SINGLE, P_TIMESPAN, P_DATETIME, P_NULL, P_STRING = 1, 3, 5, 11, 12, 13, 17, 18

# BinaryArrayTypeEnumeration
VALUE_RECORDS = frozenset({CLASS_WITH_ID, SYSTEM_CLASS_WITH_MEMBERS, CLASS_WITH_MEMBERS,
                           SYSTEM_CLASS_WITH_MEMBERS_AND_TYPES, CLASS_WITH_MEMBERS_AND_TYPES,
                           OBJECT_STRING, BINARY_ARRAY, MEMBER_PRIMITIVE_TYPED, MEMBER_REFERENCE,
                           OBJECT_NULL, BINARY_LIBRARY, OBJECT_NULL_MULTIPLE_256, OBJECT_NULL_MULTIPLE,
                           ARRAY_SINGLE_PRIMITIVE, ARRAY_SINGLE_OBJECT, ARRAY_SINGLE_STRING})
ARRAY_KINDS = {0: "Single", 1: "Jagged", 2: "Rectangular", 3: "SingleOffset",
               4: "JaggedOffset", 5: "RectangularOffset"}

I32 = struct.Struct("<i")
_unpack_i32 = I32.unpack_from
HEADER_LAYOUT = struct.Struct("<Biiii")  # SerializationHeader: record type, root id, header id, major, minor
_DECIMAL_TEXT = re.compile(r"-?[0-9]{1,29}(\.[0-9]{1,29})?")
_TICKS_MAX = 3155378975999999999  # DateTime.MaxValue.Ticks
_EPOCH = _dt.datetime(1, 1, 1)


class NrbfError(FormatError):
    """A stream that is not valid MS-NRBF. ``offset`` is where reading failed;
    ``partial`` the tree as far as it could be read (None before the root began)."""

    def __init__(self, message: str, offset: int, partial: Node | None = None, *,
                 truncated: bool = False) -> None:
        super().__init__(f"{message} (at byte {offset})")
        self.offset = offset
        self.partial = partial
        #: True when the bytes ran out: more of them might make a valid stream.
        self.truncated = truncated


@dataclass(frozen=True)
class DotNetDateTime:
    """A ``System.DateTime``: 100-ns ticks since 0001-01-01 and its kind."""

    ticks: int
    kind: str  # "Unspecified", "Utc" or "Local"

    def __str__(self) -> str:
        seconds, fraction = divmod(self.ticks, 10_000_000)
        stamp = (_EPOCH + _dt.timedelta(seconds=seconds)).isoformat()
        return f"{stamp}.{fraction:07d}" + {"Utc": "Z", "Local": " (local)"}.get(self.kind, "")


@dataclass(frozen=True)
class DotNetTimeSpan:
    """A ``System.TimeSpan``: a signed count of 100-ns ticks, shown as .NET does."""

    ticks: int

    def __str__(self) -> str:
        sign = "-" if self.ticks < 0 else ""
        seconds, fraction = divmod(abs(self.ticks), 10_000_000)
        days, seconds = divmod(seconds, 86400)
        text = f"{seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"
        return sign + (f"{days}." if days else "") + text + (f".{fraction:07d}" if fraction else "")


class NrbfReader:
    """A cursor over a stream that reads its primitives: bytes, counts, strings and
    typed values, each checked against the bytes left."""

    def __init__(self, data: bytes) -> None:
        self.data = memoryview(data).toreadonly()
        self.end = len(data)
        self.pos = 0

    def fail(self, message: str, at: int | None = None, *, truncated: bool = False) -> NrbfError:
        return NrbfError(message, self.pos if at is None else at, truncated=truncated)

    def need(self, n: int, what: str) -> None:
        if n < 0 or self.pos + n > len(self.data):
            raise self.fail(f"the stream ends inside {what}: {n} more bytes needed, "
                            f"{len(self.data) - self.pos} left", truncated=True)

    # u8 and i32 run for nearly every byte of a stream: bounds checked inline.
    def u8(self, what: str) -> int:
        pos = self.pos
        if pos >= self.end:
            self.need(1, what)
        self.pos = pos + 1
        return self.data[pos]

    def i32(self, what: str) -> int:
        pos = self.pos
        if pos + 4 > self.end:
            self.need(4, what)
        self.pos = pos + 4
        value: int = _unpack_i32(self.data, pos)[0]
        return value

    def count(self, what: str, each: int = 1) -> int:
        """A non-negative int32 count whose items (``each`` bytes at least) fit in what is left."""
        at = self.pos
        n = self.i32(what)
        if n < 0:
            raise self.fail(f"{what} is negative ({n})", at)
        if each and n * each > len(self.data) - self.pos:
            raise self.fail(f"{what} is {n}, but only {len(self.data) - self.pos} bytes are left", at,
                            truncated=True)
        return n

    def string(self, what: str) -> str:
        """A LengthPrefixedString: a 7-bit encoded length, then UTF-8."""
        at = self.pos
        if at < self.end and self.data[at] < 0x80:  # the usual one-byte length
            length = self.data[at]
            self.pos = at + 1
        else:
            length = shift = 0
            for i in range(5):
                byte = self.u8(f"the length of {what}")
                length |= (byte & 0x7F) << shift
                shift += 7
                if not byte & 0x80:
                    break
                if i == 4:
                    raise self.fail(f"the length of {what} runs past 5 bytes", at)
        if length > 0x7FFFFFFF:
            raise self.fail(f"the length of {what} is {length}, past 2^31-1", at)
        if self.pos + length > self.end:
            self.need(length, what)
        raw = self.data[self.pos:self.pos + length]
        self.pos += length
        try:
            return str(raw, "utf-8")
        except UnicodeDecodeError as err:
            raise self.fail(f"{what} is not UTF-8 ({err.reason})", at) from None

    def primitive(self, code: int, what: str) -> Any:
        """One untyped primitive value of PrimitiveTypeEnumeration ``code``."""
        at = self.pos
        if code == P_CHAR:
            first = self.u8(what)
            size = (1 if first < 0x80 else 2 if first >> 5 == 6 else 3 if first >> 4 == 14
                    else 4 if first >> 3 == 30 else 0)
            if not size:
                raise self.fail(f"{what} is not a UTF-8 character (first byte 0x{first:02x})", at)
            self.need(size - 1, what)
            raw = bytes(self.data[at:at + size])
            self.pos = at + size
            try:
                return raw.decode("utf-8")
            except UnicodeDecodeError:
                raise self.fail(f"{what} is not a UTF-8 character ({raw.hex()})", at) from None
        if code == P_DECIMAL:
            text = self.string(what)
            if not _DECIMAL_TEXT.fullmatch(text):
                raise self.fail(f"{what} is not a decimal number: {text[:40]!r}", at)
            return decimal.Decimal(text)
        if code == P_STRING:
            return self.string(what)
        info = PRIMITIVES.get(code)
        if info is None or code == P_NULL:
            raise self.fail(f"{what} has primitive type {code}, which is not a value type", at)
        _name, size, fmt = info
        self.need(size, what)
        value = struct.unpack_from("<" + fmt, self.data, self.pos)[0]
        self.pos += size
        return self.convert(code, value, at)

    def convert(self, code: int, value: Any, at: int) -> Any:
        try:
            return _convert(code, value)
        except ValueError as err:
            raise self.fail(str(err), at) from None


def _convert(code: int, value: Any) -> Any:
    if code == P_BOOLEAN:
        return bool(value)
    if code == P_SINGLE:
        return _shortest_single(value)
    if code == P_TIMESPAN:
        return DotNetTimeSpan(value)
    if code == P_DATETIME:
        ticks, kind = value & 0x3FFFFFFFFFFFFFFF, value >> 62
        if ticks > _TICKS_MAX:
            raise ValueError(f"a DateTime of {ticks} ticks is past DateTime.MaxValue")
        return DotNetDateTime(ticks, ("Unspecified", "Utc", "Local", "Local")[kind])
    return value


def _shortest_single(value: float) -> float:
    """The shortest decimal that is the same 32-bit float: what .NET prints (1.1, not
    1.100000023841858, the exact double of the 32-bit value)."""
    if value != value or value in (float("inf"), float("-inf")):
        return value
    for digits in range(6, 10):
        shorter = float(f"{value:.{digits}g}")
        if struct.unpack("<f", struct.pack("<f", shorter))[0] == value:
            return shorter
    return value
