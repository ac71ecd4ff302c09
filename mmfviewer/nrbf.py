""".NET's BinaryFormatter format (MS-NRBF): a safe decoder, and a small encoder.

The programs this project was born from put ``BinaryFormatter`` output at offset 0
of a shared mapping. BinaryFormatter is unsafe for .NET to *deserialize* because
deserializing loads and instantiates whatever types the bytes name. Reading the
format is not: this decoder never loads, instantiates or runs anything a stream
names — it only reads records into a :class:`~mmfviewer.tree.Node` tree, modelled on
.NET 9's own ``System.Formats.Nrbf.NrbfDecoder``:

* no recursion on the data's nesting: member values are read with an explicit stack;
* no allocation from a count before the count is checked against the bytes left;
* each byte is decoded once; references are resolved afterwards, each object is
  expanded once and later references (and cycles) are shown as ``→ #id``;
* decoding stops at MessageEnd and ignores what follows (a mapping is always larger
  than the value in it);
* at most :data:`MAX_NODES` values, so a few bytes cannot become gigabytes;
* every failure is an :class:`NrbfError` saying at which offset and why, carrying
  the tree as far as it was read (``partial``).

The encoder writes what mailboxes of .NET programs need: one class with primitive and string members,
as ``BinaryFormatter.Serialize`` would, so a real .NET reader deserializes it.
"""

from __future__ import annotations

import array
import datetime as _dt
import decimal
import re
import struct
import sys
from dataclasses import dataclass, field
from typing import Any

from .errors import FormatError
from .tree import Node, Packed

#: The most values one stream may decode to (packed primitive arrays count once).
MAX_NODES = 200_000

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

_I32 = struct.Struct("<i")
_unpack_i32 = _I32.unpack_from
_HEADER = struct.Struct("<Biiii")
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


def looks_like_nrbf(data: bytes) -> bool:
    """True when ``data`` starts with a BinaryFormatter stream's header record (cheap)."""
    if len(data) < _HEADER.size + 1:
        return False
    record, root, _header_id, major, minor = _HEADER.unpack_from(data)
    return record == HEADER and major == 1 and minor == 0 and root != 0 and data[_HEADER.size] in RECORD_NAMES


# --------------------------------------------------------------------------- decoding

@dataclass
class _ClassMeta:
    name: str
    members: list[str]
    types: list[tuple[int, Any]] | None  # (binary type, additional info) per member; None: untyped
    library: str


@dataclass
class _Frame:
    """A container whose values are being read: class members or array items."""

    node: Node
    count: int                                   # values expected in all
    types: list[tuple[int, Any]] | None = None   # class members: per member; arrays: None
    item_type: tuple[int, Any] | None = None     # arrays: the one type of every item
    names: list[str] | None = None               # class members' names
    done: int = 0
    dims: list[int] = field(default_factory=list)  # rectangular arrays: lengths, for names


class _Decoder:
    def __init__(self, data: bytes, max_nodes: int) -> None:
        self.data = memoryview(data).toreadonly()
        self.end = len(data)
        self.pos = 0
        self.nodes = 0
        self.max_nodes = max_nodes
        self.libraries: dict[int, str] = {}
        self.metas: dict[int, _ClassMeta] = {}
        self.objects: dict[int, Node] = {}
        self.inline: set[int] = set()  # ids of objects written inside another
        self.root_id: int | None = None

    # ---------------------------------------------------------------- primitives

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

    # ---------------------------------------------------------------- records

    def decode(self) -> Node:
        self.root_id = self.header()[1]
        frames: list[_Frame] = []
        while True:
            if frames:
                frame = frames[-1]
                if frame.done >= frame.count:
                    frames.pop()
                    frame.node.end = self.pos
                    continue
                kind, info = self.next_type(frame)
                if kind == BT_PRIMITIVE:
                    at = self.pos
                    name = self.next_name(frame)
                    value = self.primitive(info, "a member's value")
                    self.add(frame, self.leaf(name, PRIMITIVES[info][0], value, at))
                    continue
            at = self.pos
            record = self.u8("a record type")
            if record == MESSAGE_END:
                if frames:
                    raise self.fail(f"MessageEnd inside an unfinished {frames[-1].node.type}", at)
                break
            if record == BINARY_LIBRARY:
                library_id = self.i32("a library id")
                self.libraries[library_id] = self.string("a library name")
                continue
            name = self.next_name(frames[-1]) if frames else ""
            if frames and frames[-1].names is not None and frames[-1].types is None \
                    and record not in VALUE_RECORDS:
                raise self.fail(f"member {name!r} of {frames[-1].node.type} has no type information "
                                f"and is not a record (byte 0x{record:02x}): its size cannot be known, "
                                "so reading stops here", at)
            if record in (OBJECT_NULL_MULTIPLE_256, OBJECT_NULL_MULTIPLE):
                n = self.u8("a null count") if record == OBJECT_NULL_MULTIPLE_256 else self.count("a null count", 0)
                if not frames:
                    raise self.fail("a run of nulls outside any array", at)
                self.add_nulls(frames[-1], n, at)
                continue
            node, opened = self.record(record, name, at)
            if frames:
                self.add(frames[-1], node)
                if node.id is not None:
                    self.inline.add(node.id)  # already in place: references to it stay references
            elif node.id is None:
                what = str(RECORD_NAMES.get(record, record))
                article = "an" if what[:1] in "AEIOU" else "a"
                raise self.fail(f"{article} {what} record outside any object", at)
            if opened is not None:
                frames.append(opened)
        return self.resolve()

    def header(self) -> tuple[int, int, int, int, int]:
        if bytes(self.data[:1]) != b"\0":
            raise self.fail("not a BinaryFormatter stream: it does not start with a "
                            "SerializationHeader record (0x00)", 0)
        self.need(_HEADER.size, "the SerializationHeader record")
        fields = _HEADER.unpack_from(self.data, 0)
        major, minor = fields[3:]
        if (major, minor) != (1, 0):
            raise self.fail(f"format version {major}.{minor} is not 1.0", 9)
        self.pos = _HEADER.size
        return fields

    def record(self, record: int, name: str, at: int) -> tuple[Node, _Frame | None]:
        """Read one value record; returns its node, and a frame when values follow."""
        if record == OBJECT_STRING:
            object_id = self.object_id()
            node = self.leaf(name, "System.String", self.string("a string"), at, object_id)
            self.objects[object_id] = node
            return node, None
        if record == MEMBER_PRIMITIVE_TYPED:
            code = self.u8("a primitive type")
            if code in (P_NULL, P_STRING) or code not in PRIMITIVES:
                raise self.fail(f"MemberPrimitiveTyped with primitive type {code}", at + 1)
            return self.leaf(name, PRIMITIVES[code][0], self.primitive(code, "a primitive value"), at), None
        if record == MEMBER_REFERENCE:
            target = self.i32("a reference id")
            node = self.leaf(name, "reference", None, at)
            node.ref = target
            return node, None
        if record == OBJECT_NULL:
            return self.leaf(name, "null", None, at), None
        if record in (CLASS_WITH_ID, SYSTEM_CLASS_WITH_MEMBERS, CLASS_WITH_MEMBERS,
                      SYSTEM_CLASS_WITH_MEMBERS_AND_TYPES, CLASS_WITH_MEMBERS_AND_TYPES):
            return self.class_record(record, name, at)
        if record in (ARRAY_SINGLE_PRIMITIVE, ARRAY_SINGLE_OBJECT, ARRAY_SINGLE_STRING, BINARY_ARRAY):
            return self.array_record(record, name, at)
        if record in (21, 22):
            raise self.fail(f"{RECORD_NAMES[record]} records (.NET remoting calls) are not values", at)
        if record == HEADER:
            raise self.fail("a second SerializationHeader record", at)
        raise self.fail(f"unknown record type {record}", at)

    def object_id(self) -> int:
        at = self.pos
        object_id = self.i32("an object id")
        if object_id in self.objects:
            raise self.fail(f"object id {object_id} is used twice", at)
        return object_id

    def class_record(self, record: int, name: str, at: int) -> tuple[Node, _Frame | None]:
        if record == CLASS_WITH_ID:
            object_id = self.object_id()
            meta_at = self.pos
            meta = self.metas.get(self.i32("a metadata id"))
            if meta is None:
                raise self.fail("ClassWithId refers to a class not defined before it", meta_at)
        else:
            object_id = self.object_id()
            class_name = self.string("a class name")
            members = [self.string("a member name")
                       for _ in range(self.count("the member count"))]
            types = None
            if record in (SYSTEM_CLASS_WITH_MEMBERS_AND_TYPES, CLASS_WITH_MEMBERS_AND_TYPES):
                kinds = [self.u8("a member's binary type") for _ in members]
                types = [(kind, self.type_info(kind)) for kind in kinds]
            library = ""
            if record in (CLASS_WITH_MEMBERS, CLASS_WITH_MEMBERS_AND_TYPES):
                library_at = self.pos
                library_id = self.i32("a library id")
                if library_id not in self.libraries:
                    raise self.fail(f"library {library_id} was not defined before its class", library_at)
                library = self.libraries[library_id]
            meta = _ClassMeta(class_name, members, types, library)
        self.metas[object_id] = meta
        node = self.container(name, meta.name, "class", at, object_id)
        node.library = meta.library
        self.objects[object_id] = node
        if meta.types is None and meta.members:
            # Without type information a member may be an untyped primitive, whose
            # size only the class's definition knows: read what announces itself.
            node.note = "members without type information"
        return node, _Frame(node, len(meta.members), types=meta.types, names=meta.members)

    def type_info(self, kind: int) -> Any:
        if kind in (BT_PRIMITIVE, BT_PRIMITIVE_ARRAY):
            at = self.pos
            code = self.u8("a primitive type")
            if code not in PRIMITIVES or code in (P_NULL, P_STRING):
                raise self.fail(f"primitive type {code} is not a value type", at)
            return code
        if kind == BT_SYSTEM_CLASS:
            return self.string("a system class name")
        if kind == BT_CLASS:
            class_name = self.string("a class name")
            self.i32("a library id")
            return class_name
        if kind in (BT_STRING, BT_OBJECT, BT_OBJECT_ARRAY, BT_STRING_ARRAY):
            return None
        raise self.fail(f"unknown binary type {kind}", self.pos - 1)

    def array_record(self, record: int, name: str, at: int) -> tuple[Node, _Frame | None]:
        object_id = self.object_id()
        if record == BINARY_ARRAY:
            kind_at = self.pos
            kind = self.u8("an array kind")
            if kind not in ARRAY_KINDS:
                raise self.fail(f"unknown BinaryArray kind {kind}", kind_at)
            rank = self.count("the array rank", 4)
            if rank == 0 or rank > 32:
                raise self.fail(f"array rank {rank} is not between 1 and 32", kind_at + 1)
            lengths = [self.count("an array length", 0) for _ in range(rank)]
            if kind >= 3:
                for _ in range(rank):
                    self.i32("a lower bound")
            item_kind = self.u8("the items' binary type")
            item_type = (item_kind, self.type_info(item_kind))
            total = 1
            for n in lengths:
                total *= n
            if total > 0x7FFFFFFF:
                raise self.fail(f"an array of {total} items, past 2^31-1", kind_at)
            type_name = _type_name(*item_type) + "[" + "," * (rank - 1) + "]"
            if ARRAY_KINDS[kind].startswith("Jagged"):
                type_name = _type_name(*item_type) + "[]"
            node = self.container(name, type_name, "list", at, object_id)
            self.objects[object_id] = node
            if item_kind == BT_PRIMITIVE:
                return self.packed(node, item_type[1], total), None
            return node, _Frame(node, total, item_type=item_type, dims=lengths if rank > 1 else [])
        length = self.count("the array length", 0)
        if record == ARRAY_SINGLE_PRIMITIVE:
            code_at = self.pos
            code = self.u8("the items' primitive type")
            if code not in PRIMITIVES or code in (P_NULL, P_STRING):
                raise self.fail(f"primitive type {code} is not a value type", code_at)
            node = self.container(name, PRIMITIVES[code][0] + "[]", "list", at, object_id)
            self.objects[object_id] = node
            return self.packed(node, code, length), None
        item_type = (BT_OBJECT, None) if record == ARRAY_SINGLE_OBJECT else (BT_STRING, None)
        node = self.container(name, "System.Object[]" if record == ARRAY_SINGLE_OBJECT else "System.String[]",
                              "list", at, object_id)
        self.objects[object_id] = node
        return node, _Frame(node, length, item_type=item_type)

    def packed(self, node: Node, code: int, n: int) -> Node:
        """Read ``n`` primitives of ``code`` back to back into ``node``."""
        type_name, size, fmt = PRIMITIVES[code]
        if size:
            self.need(n * size, f"a {type_name}[{n}]")
            start = self.pos
            if fmt in "bBhHiIqQfd" and code not in (P_BOOLEAN, P_SINGLE, P_TIMESPAN, P_DATETIME):
                items: Any = array.array(fmt)
                items.frombytes(self.data[start:start + n * size])
                if sys.byteorder == "big":
                    items.byteswap()
            elif code == P_BOOLEAN:  # a byte each, any non-zero byte true (as .NET reads them)
                items = memoryview(bytes(self.data[start:start + n])).cast("?")
            else:
                items = [self.convert(code, v, start + i * size)
                         for i, v in enumerate(struct.unpack_from(f"<{n}{fmt}", self.data, start))]
            self.pos += n * size
            node.packed = Packed(type_name, items, start, size)
        else:  # Char and Decimal have no fixed size: one node each (each takes a byte at least)
            if n > len(self.data) - self.pos:
                raise self.fail(f"a {type_name}[{n}] cannot fit in the {len(self.data) - self.pos} bytes left",
                                truncated=True)
            for i in range(n):
                at = self.pos
                node.children.append(self.leaf(f"[{i}]", type_name, self.primitive(code, f"item {i}"), at))
        node.end = self.pos
        return node

    # ---------------------------------------------------------------- frames

    def next_type(self, frame: _Frame) -> tuple[int, Any]:
        if frame.types is not None:
            return frame.types[frame.done]
        if frame.item_type is not None:
            return frame.item_type
        return (BT_OBJECT, None)  # untyped class members: records only

    def next_name(self, frame: _Frame) -> str:
        if frame.names is not None:
            return frame.names[frame.done]
        if frame.dims:
            index, rest = [], frame.done
            for n in reversed(frame.dims):
                rest, i = divmod(rest, n)
                index.append(str(i))
            return "[" + ",".join(reversed(index)) + "]"
        return f"[{frame.done}]"

    def add(self, frame: _Frame, node: Node) -> None:
        if node.type in ("null", "reference"):  # say what it was declared as
            declared = frame.types[frame.done] if frame.types is not None else frame.item_type
            if declared is not None:
                node.type = _type_name(*declared)
        frame.node.children.append(node)
        frame.done += 1

    def add_nulls(self, frame: _Frame, n: int, at: int) -> None:
        if n == 0 or n > frame.count - frame.done:
            raise self.fail(f"a run of {n} nulls where {frame.count - frame.done} items are left", at)
        first = self.next_name(frame)
        frame.done += n - 1
        last = self.next_name(frame)
        frame.done += 1
        node = self.leaf(first if n == 1 else f"{first}…{last}", "null", None, at)
        if n > 1:
            node.note = f"{n} nulls"
        frame.node.children.append(node)

    def leaf(self, name: str, type_name: str, value: Any, at: int, object_id: int | None = None) -> Node:
        self.count_node(at)
        return Node(name, type_name, value, at, self.pos, id=object_id)

    def container(self, name: str, type_name: str, kind: str, at: int, object_id: int) -> Node:
        self.count_node(at)
        return Node(name, type_name, None, at, self.pos, kind=kind, id=object_id)

    def count_node(self, at: int) -> None:
        self.nodes += 1
        if self.nodes > self.max_nodes:
            raise self.fail(f"too many objects to decode: more than {self.max_nodes:,} values", at)

    # ---------------------------------------------------------------- references

    def resolve(self) -> Node:
        """The root object, with each object written at the top level put in place at
        its first reference; every other reference stays ``→ #id``. Each object is
        placed once and each node walked once, so cycles end and nothing multiplies."""
        root = self.objects.get(self.root_id) if self.root_id is not None else None
        if root is None:
            raise self.fail(f"the root object #{self.root_id} is not in the stream")
        placed = {self.root_id} | self.inline
        walked: set[int] = set()
        stack = [root]
        while stack:
            node = stack.pop()
            if id(node) in walked:
                continue
            walked.add(id(node))
            for i, child in enumerate(node.children):
                target = self.objects.get(child.ref) if child.ref is not None else None
                if child.ref is None:
                    if child.children:
                        stack.append(child)
                elif target is None:
                    child.note = f"refers to #{child.ref}, which is not in the stream"
                elif not target.container:  # a string seen before: show its value again
                    node.children[i] = Node(child.name, target.type, target.value, target.start,
                                            target.end, note=f"same string as #{child.ref}")
                elif child.ref not in placed:
                    placed.add(child.ref)
                    node.children[i] = moved = _renamed(target, child.name)
                    stack.append(moved)
        return root

    def partial(self) -> Node | None:
        try:
            return self.resolve()
        except NrbfError:
            return None


def decode(data: bytes | bytearray | memoryview, *, max_nodes: int = MAX_NODES) -> Node:
    """The value a BinaryFormatter stream at the start of ``data`` holds, as a tree.

    The root node is the root object (for the .NET programs' mailbox, ``Message`` with members ``title``
    and ``content``); byte ranges are offsets into ``data``; the root's ``end`` is
    where MessageEnd ends (bytes after it are ignored). Raises :class:`NrbfError`.
    """
    decoder = _Decoder(bytes(data) if not isinstance(data, bytes) else data, max_nodes)
    try:
        root = decoder.decode()
    except NrbfError as err:
        err.partial = decoder.partial()
        raise
    root.end = max(root.end, decoder.pos)
    return root


def _renamed(node: Node, name: str) -> Node:
    return Node(name, node.type, node.value, node.start, node.end, node.children, node.kind,
                None, node.note, node.id, node.library, node.packed)


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


def _type_name(kind: int, info: Any) -> str:
    if kind in (BT_PRIMITIVE, BT_PRIMITIVE_ARRAY):
        return PRIMITIVES[info][0] + ("[]" if kind == BT_PRIMITIVE_ARRAY else "")
    return {BT_STRING: "System.String", BT_OBJECT: "System.Object", BT_OBJECT_ARRAY: "System.Object[]",
            BT_STRING_ARRAY: "System.String[]"}.get(kind, str(info))


# --------------------------------------------------------------------------- encoding

@dataclass(frozen=True)
class ClassShape:
    """What a .NET class looks like on the wire: its name, its library (assembly) and
    its members' names and .NET types, in order — enough to write one like it."""

    name: str
    library: str
    members: tuple[tuple[str, str], ...]

    @classmethod
    def of(cls, root: Node) -> ClassShape:
        """The shape of a decoded object (for "send one like this")."""
        if root.kind != "class":
            raise FormatError(f"the value is a {root.type}, not an object with members")
        return cls(root.type, root.library, tuple((m.name, m.type) for m in root.children))

    @classmethod
    def for_values(cls, name: str, library: str, values: dict[str, Any]) -> ClassShape:
        """A class named ``name`` in ``library`` whose members are these values, typed
        as .NET would hold them: str as String, bool as Boolean, int as Int32 (Int64
        when larger), float as Double; None as a String that is null."""
        def type_of(value: Any) -> str:
            if value is None or isinstance(value, str):
                return "System.String"
            if isinstance(value, bool):
                return "System.Boolean"
            if isinstance(value, int):
                return "System.Int32" if -2**31 <= value < 2**31 else "System.Int64"
            if isinstance(value, float):
                return "System.Double"
            raise FormatError(f"member {member!r}: a {type(value).__name__} cannot be a .NET member "
                              "here (only strings, numbers, true/false and null)")
        if not name:
            raise FormatError("a .NET class needs a name")
        members = []
        for member, value in values.items():
            members.append((member, type_of(value)))
        return cls(name, library or name, tuple(members))

    def writable(self) -> bool:
        """True when every member is of a type :func:`encode_object` writes."""
        return all(t in WRITABLE_TYPES for _, t in self.members)


WRITABLE_TYPES = ("System.String", "System.Boolean", "System.Byte", "System.SByte", "System.Char",
                  "System.Int16", "System.UInt16", "System.Int32", "System.UInt32", "System.Int64",
                  "System.UInt64", "System.Single", "System.Double")


def encode_object(shape: ClassShape, values: dict[str, Any]) -> bytes:
    """A BinaryFormatter stream of one object of ``shape`` with these member values,
    laid out as ``BinaryFormatter.Serialize`` writes it (header, library, the class
    with its member types, the values, MessageEnd). Strings may be None (null).

    Raises :class:`FormatError` for a member type it cannot write, a missing or
    unexpected member, or a value that does not fit its type.
    """
    unknown = set(values) - {name for name, _ in shape.members}
    if unknown:
        raise FormatError(f"{shape.name} has no member {sorted(unknown)[0]!r}")
    out = bytearray(_HEADER.pack(HEADER, 1, -1, 1, 0))
    out += bytes([BINARY_LIBRARY]) + _I32.pack(2) + _lps(shape.library)
    out += bytes([CLASS_WITH_MEMBERS_AND_TYPES]) + _I32.pack(1) + _lps(shape.name)
    out += _I32.pack(len(shape.members))
    for name, _ in shape.members:
        out += _lps(name)
    for _, type_name in shape.members:
        if type_name not in WRITABLE_TYPES:
            raise FormatError(f"members of type {type_name} cannot be written (only primitives and strings)")
        out.append(BT_STRING if type_name == "System.String" else BT_PRIMITIVE)
    for _, type_name in shape.members:
        if type_name != "System.String":
            out.append(PRIMITIVE_CODES[type_name])
    out += _I32.pack(2)
    next_id = 3
    for name, type_name in shape.members:
        if name not in values:
            raise FormatError(f"a value for member {name!r} ({type_name}) is missing")
        value = values[name]
        if type_name == "System.String":
            if value is None:
                out.append(OBJECT_NULL)
            else:
                out += bytes([OBJECT_STRING]) + _I32.pack(next_id) + _lps(str(value))
                next_id += 1
        else:
            out += _pack_primitive(type_name, value, name)
    out.append(MESSAGE_END)
    return bytes(out)


def _lps(text: str) -> bytes:
    raw = _utf8(text)
    n, prefix = len(raw), bytearray()
    while True:
        byte = n & 0x7F
        n >>= 7
        prefix.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(prefix) + raw


def _utf8(text: str) -> bytes:
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError as err:  # a lone surrogate: .NET would not read it back either
        raise FormatError(f"{text[:40]!r} cannot be written as UTF-8 ({err.reason})") from None


def _pack_primitive(type_name: str, value: Any, member: str) -> bytes:
    code = PRIMITIVE_CODES[type_name]
    if code == P_CHAR:
        if not isinstance(value, str) or len(value) != 1:
            raise FormatError(f"member {member!r} ({type_name}) takes one character, got {value!r}")
        return _utf8(value)
    fmt = PRIMITIVES[code][2]
    if code == P_BOOLEAN:
        if not isinstance(value, bool):
            raise FormatError(f"member {member!r} ({type_name}) takes true or false, got {value!r}")
        return bytes([value])
    if fmt in "fd":
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise FormatError(f"member {member!r} ({type_name}) takes a number, got {value!r}")
        return struct.pack("<" + fmt, value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise FormatError(f"member {member!r} ({type_name}) takes a whole number, got {value!r}")
    try:
        return struct.pack("<" + fmt, value)
    except struct.error:
        raise FormatError(f"member {member!r} ({type_name}) cannot hold {value}") from None
