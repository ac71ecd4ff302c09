"""Writing .NET BinaryFormatter (MS-NRBF) streams, for sending to .NET programs.

The encoder writes what mailboxes of .NET programs need: one class with primitive and string members,
as ``BinaryFormatter.Serialize`` would, so a real .NET reader deserializes it.
It is apart from the decoder (:mod:`mmfviewer.nrbf`) because writing and reading
share only the format's grammar (:mod:`mmfviewer.nrbf_format`).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import Any

from .errors import FormatError
from .nrbf_format import (
    BINARY_LIBRARY,
    BT_PRIMITIVE,
    BT_STRING,
    CLASS_WITH_MEMBERS_AND_TYPES,
    HEADER,
    HEADER_LAYOUT,
    I32,
    MESSAGE_END,
    OBJECT_NULL,
    OBJECT_STRING,
    P_BOOLEAN,
    P_CHAR,
    PRIMITIVE_CODES,
    PRIMITIVES,
)
from .tree import Node


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
    out = bytearray(HEADER_LAYOUT.pack(HEADER, 1, -1, 1, 0))
    out += bytes([BINARY_LIBRARY]) + I32.pack(2) + length_prefixed(shape.library)
    out += bytes([CLASS_WITH_MEMBERS_AND_TYPES]) + I32.pack(1) + length_prefixed(shape.name)
    out += I32.pack(len(shape.members))
    for name, _ in shape.members:
        out += length_prefixed(name)
    for _, type_name in shape.members:
        if type_name not in WRITABLE_TYPES:
            raise FormatError(f"members of type {type_name} cannot be written (only primitives and strings)")
        out.append(BT_STRING if type_name == "System.String" else BT_PRIMITIVE)
    for _, type_name in shape.members:
        if type_name != "System.String":
            out.append(PRIMITIVE_CODES[type_name])
    out += I32.pack(2)
    next_id = 3
    for name, type_name in shape.members:
        if name not in values:
            raise FormatError(f"a value for member {name!r} ({type_name}) is missing")
        value = values[name]
        if type_name == "System.String":
            if value is None:
                out.append(OBJECT_NULL)
            else:
                out += bytes([OBJECT_STRING]) + I32.pack(next_id) + length_prefixed(str(value))
                next_id += 1
        else:
            out += _pack_primitive(type_name, value, name)
    out.append(MESSAGE_END)
    return bytes(out)


def length_prefixed(text: str) -> bytes:
    """``text`` as .NET writes a string: UTF-8 after its length in 7-bit groups."""
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
