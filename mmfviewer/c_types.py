"""C types as the programs sharing a segment lay them out: sizes, alignments, member
offsets and bitfields, for x86-64 and AArch64 Linux (the System V psABI, LP64).

The layout rules are gcc's and are tested against gcc's own ``sizeof`` and
``offsetof``:

* a member is placed at the next multiple of its alignment; a struct's alignment is
  its strictest member's, and its size is rounded up to it;
* ``packed`` makes every member's alignment 1; ``aligned(N)`` raises a member's or a
  struct's alignment to N (even inside a packed struct); ``#pragma pack(N)`` caps
  every member's alignment at N;
* a bitfield is placed at the next free bit unless it would cross a boundary of its
  declared type's alignment, in which case it starts at that boundary; a zero-width
  bitfield moves to the next such boundary; in a packed struct bits follow each
  other with no gaps. Unnamed bitfields do not count towards the struct's alignment.

Bit offsets count from the least significant bit of the little-endian whole, which
is how both ABIs number them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

#: The kinds of value a scalar holds.
ScalarKind = Literal["int", "uint", "float", "bool", "char", "pointer", "enum", "longdouble"]


class LayoutError(ValueError):
    """A type that cannot be laid out (too big, empty where it must not be...)."""


#: No type may be bigger than this: a segment never is, and a hostile ``[1 << 62]``
#: must not make us build anything that big.
MAX_TYPE_SIZE = 1 << 40


@dataclass(frozen=True)
class Scalar:
    """A number, character, boolean, pointer or enum of ``size`` bytes."""

    name: str
    kind: ScalarKind
    size: int
    align: int
    signed: bool = False
    #: For an enum: its enumerators, (value, name).
    names: tuple[tuple[int, str], ...] = ()

    def enum_name(self, value: int) -> str | None:
        """The enumerator called ``value`` (None if none is)."""
        for number, name in self.names:
            if number == value:
                return name
        return None


@dataclass(frozen=True)
class ArrayType:
    """``count`` elements of ``element`` back to back (``count`` 0: a flexible array)."""

    element: CType
    count: int

    @property
    def name(self) -> str:
        inner, dims = self.element, f"[{self.count}]"
        while isinstance(inner, ArrayType):
            dims += f"[{inner.count}]"
            inner = inner.element
        return f"{inner.name}{dims}"

    @property
    def size(self) -> int:
        return self.element.size * self.count

    @property
    def align(self) -> int:
        return self.element.align


@dataclass(frozen=True)
class Member:
    """One member of a struct or union, where it lies."""

    #: Its name ("" for an anonymous struct or union member, whose members are
    #: reached as if they were the parent's).
    name: str
    type: CType
    #: Bytes from the start of the record.
    offset: int
    #: A bitfield's first bit, counted from bit 0 of the byte at ``offset``, and its
    #: width; None for other members.
    bit_offset: int | None = None
    bit_width: int | None = None


@dataclass(frozen=True)
class Record:
    """A laid-out struct or union."""

    kind: Literal["struct", "union"]
    #: "struct sample", "union value", or the typedef name of an anonymous one.
    name: str
    members: tuple[Member, ...]
    size: int
    align: int
    packed: bool = False


CType = Scalar | ArrayType | Record


@dataclass
class MemberSpec:
    """A member as declared, before layout."""

    name: str
    type: CType
    bit_width: int | None = None
    #: ``aligned(N)`` / ``_Alignas(N)`` on the member.
    aligned: int = 0
    #: ``packed`` on the member.
    packed: bool = False


@dataclass
class RecordSpec:
    """A struct or union as declared: its members and attributes."""

    kind: Literal["struct", "union"]
    name: str
    members: list[MemberSpec] = field(default_factory=list)
    packed: bool = False
    #: ``aligned(N)`` on the record.
    aligned: int = 0
    #: ``#pragma pack(N)`` in force where it was defined (0: none).
    max_pack: int = 0


def _round_up(value: int, multiple: int) -> int:
    return -(-value // multiple) * multiple


def lay_out(spec: RecordSpec) -> Record:
    """Place the members of ``spec`` as gcc does (see the module's docstring)."""
    bit = 0  # the next free bit of a struct
    size_bits = 0  # a union's largest member
    align = 1
    members: list[Member] = []
    for m in spec.members:
        natural = m.type.align
        member_align = 1 if (spec.packed or m.packed) else natural
        if m.aligned:
            member_align = max(member_align, m.aligned)
        if spec.max_pack:
            # After aligned(N), not before: gcc's #pragma pack caps a member's alignment
            # even when aligned(N) or _Alignas asked for more (pack(2) puts an aligned(8)
            # int at offset 2; only the record's own aligned(N) is left as it is).
            member_align = min(member_align, spec.max_pack)
        if m.bit_width is not None:
            width, unit = m.bit_width, m.type.size * 8
            if width > unit:
                raise LayoutError(f"bitfield {m.name or '(unnamed)'} is {width} bits wide, wider than its type")
            if spec.kind == "union":
                start = 0
            elif width == 0:
                bit = _round_up(bit, natural * 8)
                continue
            else:
                if m.aligned:
                    # A bitfield's own aligned(N) (capped by the pack) first moves it to
                    # such a boundary, as gcc places it (it was ignored).
                    bit = _round_up(bit, min(m.aligned, spec.max_pack or m.aligned) * 8)
                if spec.packed or m.packed or spec.max_pack:
                    # Under #pragma pack too: gcc then skips its rule that a bitfield may
                    # not cross a boundary of its type (pack(2): char a; uint32_t b:20;
                    # uint32_t c:20 puts b at bit 8 and c at bit 28, 6 bytes in all).
                    start = bit
                else:
                    bound = natural * 8
                    start = bit if bit // bound == (bit + width - 1) // bound else _round_up(bit, bound)
            if m.name:
                align = max(align, member_align)
                if spec.max_pack:
                    # gcc: under #pragma pack(N), a named bitfield counts min(its type's
                    # alignment, N) towards the struct's even when packed (its pragma
                    # rule comes before its packed one): under pack(4), struct { uint16_t
                    # a; enum e b:3; char c[5]; } __attribute__((packed)) is 4-aligned.
                    align = max(align, min(natural, spec.max_pack))
            members.append(Member(m.name, m.type, start // 8, start % 8, width))
            bit = start + width
            size_bits = max(size_bits, width)
            continue
        start = 0 if spec.kind == "union" else _round_up(bit, member_align * 8)
        members.append(Member(m.name, m.type, start // 8))
        bit = start + m.type.size * 8
        size_bits = max(size_bits, m.type.size * 8)
        align = max(align, member_align)
    if spec.aligned:
        align = max(align, spec.aligned)
    used = size_bits if spec.kind == "union" else bit
    size = _round_up(_round_up(used, 8) // 8, align)
    if size > MAX_TYPE_SIZE:
        raise LayoutError(f"{spec.name} would be {size} bytes, more than any segment")
    return Record(spec.kind, spec.name, tuple(members), size, align, spec.packed)


def array_of(element: CType, count: int) -> ArrayType:
    """``element[count]``, refused when it would be absurdly big."""
    if count < 0:
        raise LayoutError(f"an array of {element.name} cannot have {count} elements")
    if element.size * count > MAX_TYPE_SIZE:
        raise LayoutError(f"{element.name}[{count}] would be more than any segment")
    return ArrayType(element, count)
