"""A laid-out C type as rows of fields: what the structure dock, ``dump --struct`` and
``watch`` show, how each leaf's bytes decode, and how an edited value encodes.

:class:`FieldTable` flattens a type (or an array of N of it at a stride) into rows:
records and arrays are inner rows, numbers, enums, pointers, bitfields and ``char[N]``
strings are leaves. Decoding all leaves is one ``struct.unpack_from`` for the leaves
that do not overlap (most of a struct) plus one per union member that does::

    table = FieldTable(decls.resolve("sample"))
    values = table.decode(data)          # one value per leaf, in table.leaves order
    table.text(leaf, values[leaf_index]) # "MODE_ON (1)", "21.5", '"pump 3"'
"""

from __future__ import annotations

import math
import re
import struct
from bisect import bisect_right
from dataclasses import dataclass

from .c_types import ArrayType, CType, Record, Scalar

#: A table never has more rows than this; a bigger array is shown as one bytes leaf.
MAX_ROWS = 65_536
#: How many bytes a bytes leaf shows.
BYTES_SHOWN = 32

_INT_FORMATS = {(1, True): "b", (1, False): "B", (2, True): "h", (2, False): "H",
                (4, True): "i", (4, False): "I", (8, True): "q", (8, False): "Q"}


@dataclass(frozen=True)
class Field:
    """One row: a record, an array, or a leaf value."""

    #: Dotted path from the overlay's start: "in.b", "temps[2]", "[3].seq"; "" for the
    #: whole (single) type.
    path: str
    #: What the tree shows in its first column: "b", "[2]", or the type for the top.
    label: str
    type_name: str
    #: Bytes from the overlay's start, and how many.
    offset: int
    size: int
    #: The parent row (-1 for a top row) and the depth below the top.
    parent: int
    depth: int
    #: How a leaf decodes: "int", "uint", "float", "bool", "char", "enum", "pointer",
    #: "longdouble", "string", "bytes"; "" for a record or an array.
    kind: str = ""
    #: A bitfield's first bit (from bit 0 of the byte at ``offset``) and width.
    bit_offset: int | None = None
    bit_width: int | None = None
    #: The scalar type of a number, enum or bitfield leaf.
    scalar: Scalar | None = None

    @property
    def is_leaf(self) -> bool:
        return bool(self.kind)

    @property
    def byte_span(self) -> int:
        """How many bytes from ``offset`` hold the field (a bitfield's covering bytes)."""
        if self.bit_width is None:
            return self.size
        return max(1, ((self.bit_offset or 0) + self.bit_width + 7) // 8)

    @property
    def numeric(self) -> bool:
        """A number a plot can draw."""
        return self.kind in ("int", "uint", "float", "bool", "char", "enum", "longdouble")


def span_of(size: int, count: int = 1, stride: int = 0) -> int:
    """The bytes ``count`` of a ``size``-byte type cover, ``stride`` apart (0: ``size``)."""
    return (stride or size) * (max(1, count) - 1) + size


#: A structure read at each look (every tick in the window, every interval of
#: ``watch``) covers at most this much: it is read whole, twice or around a seqlock.
MAX_LIVE_BYTES = 4 << 20


class FieldTable:
    """The rows of ``ctype`` at offset 0, or of ``count`` of them ``stride`` bytes apart."""

    def __init__(self, ctype: CType, count: int = 1, stride: int = 0) -> None:
        self.ctype = ctype
        self.count = max(1, count)
        self.stride = stride or ctype.size
        #: The bytes the table covers.
        self.span = span_of(ctype.size, self.count, self.stride)
        self.rows: list[Field] = []
        self._row_counts: dict[int, int] = {}
        if self.count == 1:
            self._add(ctype, "", ctype.name, 0, -1, 0)
        else:
            # Elements past the row budget are not listed (the dialog says how many are).
            shown = max(1, min(self.count, MAX_ROWS // max(1, self._rows_of(ctype))))
            for i in range(shown):
                self._add(ctype, f"[{i}]", f"[{i}]", i * self.stride, -1, 0)
        #: How many of the ``count`` elements have rows.
        self.shown = shown if self.count > 1 else 1
        #: Indices of the leaf rows, in row order.
        self.leaves: list[int] = [i for i, f in enumerate(self.rows) if f.is_leaf]
        self._by_path = {f.path: i for i, f in enumerate(self.rows)}
        self._leaf_of = {row: n for n, row in enumerate(self.leaves)}
        self._compile()

    # -- building

    def _add(self, ctype: CType, path: str, label: str, offset: int, parent: int, depth: int,
             bits: tuple[int, int] | None = None) -> None:
        index = len(self.rows)
        if isinstance(ctype, Scalar):
            kind = ctype.kind
            if bits is not None:
                kind = "uint" if not ctype.signed and kind != "bool" else ("int" if kind != "bool" else kind)
            self.rows.append(Field(path, label, ctype.name + (f" : {bits[1]}" if bits else ""), offset, ctype.size,
                                   parent, depth, kind, bits[0] if bits else None, bits[1] if bits else None,
                                   ctype))
            return
        if isinstance(ctype, ArrayType):
            element = ctype.element
            if isinstance(element, Scalar) and element.kind == "char" and ctype.count:
                self.rows.append(Field(path, label, ctype.name, offset, ctype.size, parent, depth, "string"))
                return
            if ctype.count == 0 or len(self.rows) + self._rows_of(ctype) > MAX_ROWS:
                # A flexible array, or one too big to list: one leaf of bytes, and the
                # members after it still get their rows.
                self.rows.append(Field(path, label, ctype.name, offset, ctype.size, parent, depth, "bytes"))
                return
            self.rows.append(Field(path, label, ctype.name, offset, ctype.size, parent, depth))
            for i in range(ctype.count):
                self._add(element, f"{path}[{i}]", f"[{i}]", offset + i * element.size, index, depth + 1)
            return
        assert isinstance(ctype, Record)
        self.rows.append(Field(path, label, ctype.name, offset, ctype.size, parent, depth))
        self._add_members(ctype, path, offset, index, depth + 1)

    def _rows_of(self, ctype: CType) -> int:
        """How many rows ``ctype`` takes when listed in full."""
        known = self._row_counts.get(id(ctype))
        if known is not None:
            return known
        if isinstance(ctype, Scalar):
            n = 1
        elif isinstance(ctype, ArrayType):
            chars = isinstance(ctype.element, Scalar) and ctype.element.kind == "char"
            n = 1 if chars or ctype.count == 0 else 1 + ctype.count * self._rows_of(ctype.element)
        else:
            n = 1 + sum(self._rows_of(m.type) - (0 if m.name else 1) for m in ctype.members)
        self._row_counts[id(ctype)] = n
        return n

    def _add_members(self, record: Record, path: str, offset: int, parent: int, depth: int) -> None:
        for m in record.members:
            if not m.name:
                if isinstance(m.type, Record):  # anonymous: its members are the parent's
                    self._add_members(m.type, path, offset + m.offset, parent, depth)
                continue  # an unnamed bitfield is padding
            child = f"{path}.{m.name}" if path else m.name
            bits = (m.bit_offset, m.bit_width) if m.bit_width is not None and m.bit_offset is not None else None
            self._add(m.type, child, m.name, offset + m.offset, parent, depth, bits)

    def _compile(self) -> None:
        """One struct format for the leaves that do not overlap, singles for the rest."""
        plain: list[tuple[int, int, str]] = []  # (offset, leaf number, format)
        self._singles: list[tuple[int, int, struct.Struct]] = []
        self._bitfields: list[tuple[int, Field]] = []
        self._others: list[tuple[int, Field]] = []
        for n, i in enumerate(self.leaves):
            f = self.rows[i]
            fmt = _format(f)
            if f.bit_width is not None:
                self._bitfields.append((n, f))
            elif fmt is None:
                self._others.append((n, f))
            else:
                plain.append((f.offset, n, fmt))
        plain.sort()
        fmt, end, order = "<", 0, []
        for offset, n, code in plain:
            size = struct.calcsize("<" + code)
            if offset >= end:
                fmt += f"{offset - end}x{code}" if offset > end else code
                end = offset + size
                order.append(n)
            else:
                self._singles.append((n, offset, struct.Struct("<" + code)))
        self._packed = struct.Struct(fmt)
        self._packed_order = order
        self._starts = sorted((self.rows[i].offset, i) for i in self.leaves)

    # -- reading

    def decode(self, data: bytes) -> list[object]:
        """One value per leaf (``self.leaves`` order); None where ``data`` is too short."""
        values: list[object] = [None] * len(self.leaves)
        if len(data) >= self._packed.size:
            for n, v in zip(self._packed_order, self._packed.unpack_from(data), strict=True):
                values[n] = v
        else:
            for n in self._packed_order:
                f = self.rows[self.leaves[n]]
                if f.offset + f.size <= len(data):
                    values[n] = struct.unpack_from("<" + (_format(f) or ""), data, f.offset)[0]
        for n, offset, unpacker in self._singles:
            if offset + unpacker.size <= len(data):
                values[n] = unpacker.unpack_from(data, offset)[0]
        for n, f in self._bitfields:
            values[n] = _bitfield(f, data)
        for n, f in self._others:
            if f.offset + f.size <= len(data):
                values[n] = _other(f, data[f.offset:f.offset + f.size])
        return values

    def find(self, path: str) -> int | None:
        """The row called ``path`` (None if there is none)."""
        return self._by_path.get(path)

    def leaf_number(self, row: int) -> int | None:
        """Where row ``row``'s value is in :meth:`decode`'s result (None: not a leaf)."""
        return self._leaf_of.get(row)

    def leaf_at(self, offset: int) -> int | None:
        """The leaf row whose bytes hold ``offset`` (bytes from the overlay's start)."""
        at = bisect_right(self._starts, (offset, len(self.rows))) - 1
        while at >= 0:
            start, row = self._starts[at]
            f = self.rows[row]
            if start <= offset < start + max(f.size, 1):
                return row
            if offset - start > 4096:
                break
            at -= 1
        return None

    def path_of(self, row: int) -> str:
        """``row``'s path as a user writes it (the type name for the whole)."""
        return self.rows[row].path or self.rows[row].type_name

    # -- text

    def text(self, row: int, value: object) -> str:
        """A leaf's value as the dock shows it."""
        f = self.rows[row]
        if value is None:
            return "—"
        if f.kind == "enum" and f.scalar is not None and isinstance(value, int):
            name = f.scalar.enum_name(value)
            return f"{name} ({value})" if name else f"{value} (no name)"
        if f.kind in ("float", "longdouble") and isinstance(value, float):
            return _float_text(value, f.size)
        if f.kind == "bool":
            return "true" if value else "false"
        if f.kind == "char" and isinstance(value, int):
            ch = chr(value & 0xFF)
            return f"{value} {ch!r}" if 32 <= (value & 0xFF) < 127 else str(value)
        if f.kind == "pointer" and isinstance(value, int):
            return f"0x{value:x}"
        if f.kind == "string" and isinstance(value, bytes):
            return _c_string(value)
        if f.kind == "bytes" and isinstance(value, bytes):
            shown = value[:BYTES_SHOWN].hex(" ")
            return shown + (f" … ({len(value)} bytes)" if len(value) > BYTES_SHOWN else "")
        return str(value)


def _format(f: Field) -> str | None:
    if f.kind in ("int", "uint", "enum", "char", "pointer") and f.scalar is not None:
        signed = f.scalar.signed if f.kind != "pointer" else False
        return _INT_FORMATS.get((f.size, signed))
    if f.kind == "float":
        return {4: "f", 8: "d"}.get(f.size)
    if f.kind == "bool" and f.size == 1:
        return "?"
    return None


def _bitfield(f: Field, data: bytes) -> int | None:
    assert f.bit_offset is not None and f.bit_width is not None
    first, nbits = f.bit_offset, f.bit_width
    end = f.offset + f.byte_span
    if end > len(data):
        return None
    raw = int.from_bytes(data[f.offset:end], "little") >> first
    value = raw & ((1 << nbits) - 1)
    if f.kind == "int" and nbits and value >> (nbits - 1):
        value -= 1 << nbits
    return value


def _other(f: Field, raw: bytes) -> object:
    if f.kind == "longdouble":
        return _x87(raw)
    if f.kind == "bool":
        return raw != b"\x00" * len(raw)
    if f.kind in ("int", "uint", "enum", "char", "pointer"):
        return int.from_bytes(raw, "little", signed=f.kind in ("int", "enum", "char")
                              and f.scalar is not None and f.scalar.signed)
    return raw  # string, bytes


def _x87(raw: bytes) -> float:
    """An x87 80-bit extended float (the first 10 of ``long double``'s 16 bytes)."""
    mantissa = int.from_bytes(raw[:8], "little")
    exp_sign = int.from_bytes(raw[8:10], "little")
    sign = -1.0 if exp_sign & 0x8000 else 1.0
    exponent = exp_sign & 0x7FFF
    if exponent == 0x7FFF:
        return sign * math.inf if mantissa << 1 == 0 else math.nan
    if exponent == 0 and mantissa == 0:
        return sign * 0.0
    try:
        return sign * math.ldexp(mantissa, exponent - 16383 - 63)
    except OverflowError:
        return sign * math.inf


def _float_text(value: float, size: int) -> str:
    if math.isnan(value) or math.isinf(value):
        return str(value)
    return f"{value:.9g}" if size == 4 else f"{value:.17g}"


def _c_string(raw: bytes) -> str:
    """A ``char[N]`` as C sees it: up to the first NUL, escaped where not printable."""
    text = raw.split(b"\x00", 1)[0]
    shown = "".join(chr(b) if 32 <= b < 127 and b not in (0x22, 0x5C) else
                    {0x22: '\\"', 0x5C: "\\\\", 0x0A: "\\n", 0x09: "\\t"}.get(b, f"\\x{b:02x}") for b in text)
    return f'"{shown}"'


# ---------------------------------------------------------------------- encoding edits


class EncodeError(ValueError):
    """Text that is not a value of the field's type."""


def encode(f: Field, text: str, current: bytes) -> bytes:
    """The bytes at ``f.offset`` that make leaf ``f`` hold ``text``; ``current`` is what
    they hold now (a bitfield keeps its neighbours' bits)."""
    text = text.strip()
    if f.bit_width is not None and f.bit_offset is not None:
        value = _parse_int(f, text)
        lo, hi = (-(1 << (f.bit_width - 1)), (1 << (f.bit_width - 1)) - 1) if f.kind == "int" else \
            (0, (1 << f.bit_width) - 1)
        if not lo <= value <= hi:
            raise EncodeError(f"{value} does not fit in {f.bit_width} bits ({lo} to {hi})")
        nbytes = f.byte_span
        whole = int.from_bytes(current[:nbytes], "little")
        mask = ((1 << f.bit_width) - 1) << f.bit_offset
        whole = (whole & ~mask) | ((value << f.bit_offset) & mask)
        return whole.to_bytes(nbytes, "little")
    if f.kind in ("int", "uint", "enum", "char", "pointer"):
        value = _parse_int(f, text)
        signed = f.scalar is not None and f.scalar.signed and f.kind != "pointer"
        try:
            return value.to_bytes(f.size, "little", signed=signed)
        except OverflowError:
            bits = f.size * 8
            lo, hi = (-(1 << (bits - 1)), (1 << (bits - 1)) - 1) if signed else (0, (1 << bits) - 1)
            raise EncodeError(f"{value} does not fit in {f.type_name} ({lo} to {hi})") from None
    if f.kind == "float":
        try:
            value_f = float(text)
        except ValueError:
            raise EncodeError(f"{text!r} is not a number") from None
        try:
            return struct.pack("<f" if f.size == 4 else "<d", value_f)
        except OverflowError:
            raise EncodeError(f"{text} is too big for a float") from None
    if f.kind == "bool":
        lowered = text.lower()
        if lowered in ("true", "1", "yes", "on"):
            return b"\x01"
        if lowered in ("false", "0", "no", "off"):
            return b"\x00"
        raise EncodeError(f"{text!r} is not true or false")
    if f.kind == "string":
        body = text[1:-1] if len(text) >= 2 and text[0] == text[-1] == '"' else text
        raw = _c_string_bytes(body)
        if len(raw) > f.size:
            raise EncodeError(f"{len(raw)} bytes do not fit in {f.type_name}")
        return raw + b"\x00" * (f.size - len(raw))
    raise EncodeError(f"{f.type_name} values cannot be edited here; edit its bytes in the hex view")


_ESCAPES = {"n": b"\n", "t": b"\t", "r": b"\r", "0": b"\0", "\\": b"\\", '"': b'"', "'": b"'",
            "a": b"\a", "b": b"\b", "f": b"\f", "v": b"\v"}
_ESCAPE = re.compile(r"\\(x[0-9A-Fa-f]{1,2}|u[0-9A-Fa-f]{4}|.)", re.S)


def _c_string_bytes(body: str) -> bytes:
    """A string typed as C writes one: ``\\n``, ``\\x41`` (a byte), ``\\u00e9`` (its
    UTF-8); other characters as UTF-8."""
    out, at = bytearray(), 0
    for m in _ESCAPE.finditer(body):
        out += body[at:m.start()].encode("utf-8")
        code = m.group(1)
        if code[0] == "x" and len(code) > 1:
            out.append(int(code[1:], 16))
        elif code[0] == "u" and len(code) == 5:
            out += chr(int(code[1:], 16)).encode("utf-8", "surrogatepass")
        else:
            out += _ESCAPES.get(code, code.encode("utf-8"))
        at = m.end()
    return bytes(out + body[at:].encode("utf-8"))


def _parse_int(f: Field, text: str) -> int:
    shown = re.fullmatch(r"(-?\w+) \((-?\d+)\)", text)  # "MODE_ON (1)", as the dock shows an enum
    if shown is not None and f.kind == "enum":
        return int(shown.group(2))
    if f.kind == "enum" and f.scalar is not None:
        for number, name in f.scalar.names:
            if name == text:
                return number
    if f.kind == "char":
        if len(text) == 3 and text[0] == text[-1] == "'":
            return ord(text[1])
        shown = re.fullmatch(r"(-?\d+) '.*'", text)  # "65 'A'", as the dock shows a char
        if shown is not None:
            return int(shown.group(1))
    if f.kind == "bool":
        return {"true": 1, "false": 0}.get(text.lower(), -1) if text.lower() in ("true", "false") else \
            _parse_number(text)
    return _parse_number(text)


def _parse_number(text: str) -> int:
    try:
        return int(text.replace("_", ""), 0)
    except ValueError:
        raise EncodeError(f"{text!r} is not a whole number (decimal, or 0x… hex)") from None
