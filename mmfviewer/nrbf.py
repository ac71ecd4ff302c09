""".NET's BinaryFormatter format (MS-NRBF): a safe decoder.

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

The format's records and primitives are read by :mod:`mmfviewer.nrbf_format`; the
encoder is :mod:`mmfviewer.nrbf_encode`.
"""

from __future__ import annotations

import array
import struct
import sys
from dataclasses import dataclass, field
from typing import Any

from .nrbf_format import (
    ARRAY_KINDS,
    ARRAY_SINGLE_OBJECT,
    ARRAY_SINGLE_PRIMITIVE,
    ARRAY_SINGLE_STRING,
    BINARY_ARRAY,
    BINARY_LIBRARY,
    BT_CLASS,
    BT_OBJECT,
    BT_OBJECT_ARRAY,
    BT_PRIMITIVE,
    BT_PRIMITIVE_ARRAY,
    BT_STRING,
    BT_STRING_ARRAY,
    BT_SYSTEM_CLASS,
    CLASS_WITH_ID,
    CLASS_WITH_MEMBERS,
    CLASS_WITH_MEMBERS_AND_TYPES,
    HEADER,
    HEADER_LAYOUT,
    MEMBER_PRIMITIVE_TYPED,
    MEMBER_REFERENCE,
    MESSAGE_END,
    OBJECT_NULL,
    OBJECT_NULL_MULTIPLE,
    OBJECT_NULL_MULTIPLE_256,
    OBJECT_STRING,
    P_BOOLEAN,
    P_DATETIME,
    P_NULL,
    P_SINGLE,
    P_STRING,
    P_TIMESPAN,
    PRIMITIVES,
    RECORD_NAMES,
    SYSTEM_CLASS_WITH_MEMBERS,
    SYSTEM_CLASS_WITH_MEMBERS_AND_TYPES,
    VALUE_RECORDS,
    NrbfError,
    NrbfReader,
)
from .tree import Node, Packed

#: The most values one stream may decode to (packed primitive arrays count once).
MAX_NODES = 200_000


def looks_like_nrbf(data: bytes) -> bool:
    """True when ``data`` starts with a BinaryFormatter stream's header record (cheap)."""
    if len(data) < HEADER_LAYOUT.size + 1:
        return False
    record, root, _header_id, major, minor = HEADER_LAYOUT.unpack_from(data)
    return (record == HEADER and major == 1 and minor == 0 and root != 0
            and data[HEADER_LAYOUT.size] in RECORD_NAMES)


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


class _Decoder(NrbfReader):
    def __init__(self, data: bytes, max_nodes: int) -> None:
        super().__init__(data)
        self.nodes = 0
        self.max_nodes = max_nodes
        self.libraries: dict[int, str] = {}
        self.metas: dict[int, _ClassMeta] = {}
        self.objects: dict[int, Node] = {}
        self.inline: set[int] = set()  # ids of objects written inside another
        self.root_id: int | None = None

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
        self.need(HEADER_LAYOUT.size, "the SerializationHeader record")
        fields = HEADER_LAYOUT.unpack_from(self.data, 0)
        major, minor = fields[3:]
        if (major, minor) != (1, 0):
            raise self.fail(f"format version {major}.{minor} is not 1.0", 9)
        self.pos = HEADER_LAYOUT.size
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


def _type_name(kind: int, info: Any) -> str:
    if kind in (BT_PRIMITIVE, BT_PRIMITIVE_ARRAY):
        return PRIMITIVES[info][0] + ("[]" if kind == BT_PRIMITIVE_ARRAY else "")
    return {BT_STRING: "System.String", BT_OBJECT: "System.Object", BT_OBJECT_ARRAY: "System.Object[]",
            BT_STRING_ARRAY: "System.String[]"}.get(kind, str(info))
