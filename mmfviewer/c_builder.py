"""pycparser's tree of a header -> laid-out types (:class:`Builder`).

The tree is walked once, in order, and each type is laid out (by ``c_types``) where it
is defined, as a C compiler meets it. The text pycparser read was prepared by
``c_preprocess`` and ``c_attributes``: gcc attributes arrive as marker members and
typedefs whose names start with :data:`MARK`, and the packing of each line as a list
of ``#pragma pack`` changes. The builder reads them back into the layout, and checks
what gcc refuses (two members of one name, a misplaced flexible array member, a
failing ``_Static_assert``...) rather than laying out nonsense.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace
from typing import Literal

from pycparser import c_ast

from .c_constants import ConstantEvaluator
from .c_declarations import Declarations, HeaderError
from .c_types import ArrayType, CType, LayoutError, Member, MemberSpec, Record, RecordSpec, Scalar, array_of, lay_out

#: Types nested deeper than this are refused (recursion, not a real header).
MAX_NESTING = 64

#: The start of every name this reader puts into a header's text (markers, pycparser's
#: name for the header): no real header's names start so.
MARK = "__mmfv_"

#: C's keywords: never a type's or a declarator's name.
KEYWORDS = frozenset(re.findall(r"\w+", """auto break case char const continue default do double else enum
extern float for goto if inline int long register restrict return short signed sizeof static struct switch typedef
union unsigned void volatile while _Alignas _Alignof _Atomic _Bool _Complex _Noreturn _Static_assert _Thread_local"""))

_BASE_TYPES: dict[tuple[str, ...], tuple[str, str, int, bool]] = {
    # sorted keywords -> (name, kind, size, signed)
    ("char",): ("char", "char", 1, True),
    ("char", "signed"): ("signed char", "int", 1, True),
    ("char", "unsigned"): ("unsigned char", "uint", 1, False),
    ("short",): ("short", "int", 2, True),
    ("int", "short"): ("short", "int", 2, True),
    ("short", "signed"): ("short", "int", 2, True),
    ("int", "short", "signed"): ("short", "int", 2, True),
    ("short", "unsigned"): ("unsigned short", "uint", 2, False),
    ("int", "short", "unsigned"): ("unsigned short", "uint", 2, False),
    ("int",): ("int", "int", 4, True),
    ("signed",): ("int", "int", 4, True),
    ("int", "signed"): ("int", "int", 4, True),
    ("unsigned",): ("unsigned int", "uint", 4, False),
    ("int", "unsigned"): ("unsigned int", "uint", 4, False),
    ("long",): ("long", "int", 8, True),
    ("int", "long"): ("long", "int", 8, True),
    ("long", "signed"): ("long", "int", 8, True),
    ("int", "long", "signed"): ("long", "int", 8, True),
    ("long", "unsigned"): ("unsigned long", "uint", 8, False),
    ("int", "long", "unsigned"): ("unsigned long", "uint", 8, False),
    ("long", "long"): ("long long", "int", 8, True),
    ("int", "long", "long"): ("long long", "int", 8, True),
    ("long", "long", "signed"): ("long long", "int", 8, True),
    ("int", "long", "long", "signed"): ("long long", "int", 8, True),
    ("long", "long", "unsigned"): ("unsigned long long", "uint", 8, False),
    ("int", "long", "long", "unsigned"): ("unsigned long long", "uint", 8, False),
    ("float",): ("float", "float", 4, True),
    ("double",): ("double", "float", 8, True),
    ("double", "long"): ("long double", "longdouble", 16, True),
    ("_Bool",): ("_Bool", "bool", 1, False),
}


Kind = Literal["struct", "union"]


class Builder(ConstantEvaluator):
    """Walks pycparser's tree, laying out each type where it is defined."""

    def __init__(self, filename: str, packs: list[tuple[int, int]]) -> None:
        self.filename = filename
        self.packs = packs
        self.decls = Declarations()
        #: The width integers start at: C's int; 64 in #if, which computes in intmax_t.
        self.int_bits = 32
        #: struct and union names -> where they are defined (line, column)
        self.defined_at: dict[str, tuple[int, int] | None] = {}
        #: id of an _Atomic type aligned beyond its plain type -> (it, the plain type)
        self.plain_of_atomic: dict[int, tuple[CType, CType]] = {}
        #: typedef names of structs and unions not defined yet -> "struct name"
        self.forward: dict[str, str] = {}
        self.depth = 0

    def fail(self, node: object, message: str) -> HeaderError:
        coord = getattr(node, "coord", None)
        line = f":{coord.line}" if coord is not None and coord.line else ""
        return HeaderError(f"{self.filename}{line}: {message}")

    def file(self, ast: object) -> None:
        assert isinstance(ast, c_ast.FileAST)
        waiting: list[tuple[int, int]] = []  # aligned(N) for the next typedef: (declarator or -1: all, N)
        aligns: list[tuple[int, int]] = []  # those of the typedef being read
        declaration: tuple[int, int] | None = None
        index = 0
        for ext in ast.ext:
            if isinstance(ext, c_ast.Typedef) and ext.name.startswith(MARK):
                mark = re.fullmatch(r"typedef(\d*)_aligned_(\d+)", ext.name[len(MARK):-2])
                if mark is not None:  # (packed on a typedef: gcc ignores it, and so do we)
                    waiting.append((int(mark.group(1) or -1), int(mark.group(2))))
                declaration = None
                continue
            if isinstance(ext, c_ast.Typedef):
                specifiers = _specifiers_of(ext)
                if specifiers is None or specifiers != declaration:
                    declaration, index, aligns, waiting = specifiers, 0, waiting, []
                else:
                    index += 1
                later = _record_without_body(ext.type)
                if later and later not in self.decls.types:
                    # typedef struct node node_t; before struct node {...}: valid C
                    # (and common), which was refused as "used before it is defined".
                    self.forward[ext.name] = later
                    continue
                t = self.type_of(ext.type, ext.name)
                aligned = max((n for which, n in aligns if which in (-1, index)), default=0)
                if aligned:
                    # aligned(N) on a typedef sets the alignment, lower or higher, and
                    # leaves the size: typedef int a8 __attribute__((aligned(8))) is 4
                    # bytes 8-aligned (it was read as a plain int).
                    if isinstance(t, ArrayType):
                        raise self.fail(ext, f"aligned({aligned}) on {ext.name}, a typedef of an array, is not "
                                             "supported; put it on a member of that type instead")
                    t = replace(t, align=aligned)
                self.decls.types[ext.name] = replace(t, name=ext.name) if isinstance(t, Scalar) else t
            elif isinstance(ext, c_ast.StaticAssert):
                if not self.constant(ext.cond):  # the header checks its own layout: so do we
                    said = getattr(ext.message, "value", "")
                    raise self.fail(ext, "the header's _Static_assert fails with this layout "
                                         f"(x86-64/AArch64 Linux, gcc's rules){': ' + said if said else ''}")
            elif isinstance(ext, c_ast.Pragma):
                raise self.fail(ext, "a #pragma in the middle of a line (gcc: a stray #)")
            elif isinstance(ext, c_ast.Decl) and not _record_without_body(ext.type):
                # (struct s; and extern struct s v; declare no layout: they were refused
                # as "used before it is defined")
                self.type_of(ext.type)  # defines what it declares; variables are not ours
        for name, later in self.forward.items():  # defined after all: the typedef names it
            found = self.decls.types.get(later)
            if found is not None:
                self.decls.types.setdefault(name, found)

    # -- types

    def type_of(self, node: object, typedef: str = "") -> CType:
        self.depth += 1
        try:
            if self.depth > MAX_NESTING:
                raise self.fail(node, f"types nested more than {MAX_NESTING} deep")
            if isinstance(node, c_ast.TypeDecl):
                t = self.type_of(node.type, typedef)
                if "_Atomic" in node.quals and isinstance(t, (Scalar, Record)) and t.size in (1, 2, 4, 8, 16) \
                        and t.align < t.size:
                    # gcc aligns an atomic type of 1, 2, 4, 8 or 16 bytes to its size, so
                    # that one instruction can load it: _Atomic struct { int a, b; } is
                    # 8-aligned where the struct alone is 4-aligned.
                    atomic = replace(t, align=t.size)
                    self.plain_of_atomic[id(atomic)] = (atomic, t)
                    t = atomic
                return t
            if isinstance(node, c_ast.Typename):
                return self.type_of(node.type)
            if isinstance(node, c_ast.IdentifierType):
                return self.named(node)
            if isinstance(node, (c_ast.Struct, c_ast.Union)):
                return self.record(node, typedef)
            if isinstance(node, c_ast.Enum):
                return self.enum(node, typedef)
            if isinstance(node, c_ast.ArrayDecl):
                count = 0 if node.dim is None else self.constant(node.dim)
                element = self.type_of(node.type)
                known = self.plain_of_atomic.get(id(element))
                if known is not None and known[0] is element:
                    # ...but not in an array: gcc gives _Atomic struct { int a, b; } x[2]
                    # the struct's own alignment, 4 (we said 8).
                    element = known[1]
                if element.size % element.align:  # (gcc's error; an aligned typedef makes one)
                    raise self.fail(node, f"an array of {element.name}, whose alignment ({element.align}) is "
                                          f"greater than its size ({element.size})")
                try:
                    return array_of(element, count)
                except LayoutError as err:
                    raise self.fail(node, str(err)) from None
            if isinstance(node, (c_ast.PtrDecl, c_ast.FuncDecl)):
                return Scalar(self.pointer_name(node), "pointer", 8, 8)
            raise self.fail(node, f"cannot lay out a {type(node).__name__}")
        finally:
            self.depth -= 1

    def pointer_name(self, node: object) -> str:
        if isinstance(node, c_ast.FuncDecl):
            return "function pointer"
        inner = getattr(node, "type", None)
        while isinstance(inner, c_ast.TypeDecl):
            inner = inner.type
        if isinstance(inner, c_ast.IdentifierType):
            return " ".join(inner.names) + " *"
        if isinstance(inner, (c_ast.Struct, c_ast.Union, c_ast.Enum)):
            keyword = {c_ast.Struct: "struct", c_ast.Union: "union", c_ast.Enum: "enum"}[type(inner)]
            return f"{keyword} {inner.name or ''} *".replace("  ", " ")
        return "pointer"

    def named(self, node: object) -> CType:
        names = tuple(getattr(node, "names", ()))
        if len(names) == 1 and names[0] in self.decls.types:
            return self.decls.types[names[0]]
        if len(names) == 1 and names[0] in self.forward:
            later = self.forward[names[0]]
            found = self.decls.types.get(later)
            if found is None:
                raise self.fail(node, f"{names[0]} ({later}) is used before {later} is defined")
            return found
        base = _BASE_TYPES.get(tuple(sorted(names)))
        if base is None:
            if names == ("void",):
                raise self.fail(node, "void has no size: a member cannot be void")
            if all(n in KEYWORDS for n in names):  # int int, short long...: not a type at all
                raise self.fail(node, f"{' '.join(names)!r} is not a type")
            raise self.fail(node, f"unknown type name {' '.join(names)!r}")
        name, kind, size, signed = base
        return Scalar(name, kind, size, size, signed)  # type: ignore[arg-type]

    def record(self, node: object, typedef: str) -> Record:
        assert isinstance(node, (c_ast.Struct, c_ast.Union))
        kind: Kind = "struct" if isinstance(node, c_ast.Struct) else "union"
        key = f"{kind} {node.name}" if node.name else ""
        if node.decls is None:
            found = self.decls.types.get(key)
            if not isinstance(found, Record):
                raise self.fail(node, f"{key} is used before it is defined")
            return found
        where = _place(node)
        if key and key in self.defined_at:
            # The same definition met again (struct s {...} a, b; gives each variable
            # its own copy of it); another one is gcc's "redefinition" error (we kept
            # the last and listed the name twice).
            if self.defined_at[key] == where and where is not None:
                found = self.decls.types.get(key)
                assert isinstance(found, Record)
                return found
            first = self.defined_at[key]
            raise self.fail(node, f"{key} is defined twice" + (f" (first on line {first[0]})" if first else ""))
        spec = RecordSpec(kind, key or typedef or f"{kind} (anonymous)", max_pack=self.pack_at(node))
        # A member's attributes come as markers before its declaration, each for one
        # of its declarators or (-1) for all: int a, b __attribute__((aligned(8)))
        # aligns b alone, as gcc does (the marker used to go to the first member).
        waiting: list[tuple[int, str]] = []  # (declarator or -1, mark) for the next declaration
        marks: list[tuple[int, str]] = []  # those of the declaration being read
        declaration: tuple[int, int] | None = None
        index = 0
        flexible = -1  # which member is an array without a size
        for decl in node.decls:
            if isinstance(decl, c_ast.Pragma):  # (one that started its line was read before)
                raise self.fail(decl, "a #pragma in the middle of a line (gcc: a stray #)")
            name = decl.name or ""
            if name.startswith(MARK):
                mark = name[len(MARK):-2]
                member_mark = re.fullmatch(r"member(\d*)_(\w+)", mark)
                if member_mark is not None:
                    waiting.append((int(member_mark.group(1) or -1), member_mark.group(2)))
                else:
                    self.mark(spec, mark)
                declaration = None
                continue
            if decl.bitsize is None and name == "" and (not isinstance(decl.type, (c_ast.Struct, c_ast.Union))
                                                        or _record_without_body(decl.type)):
                continue  # "int;" and "struct t;" declare nothing (gcc warns; it was refused)
            specifiers = _specifiers_of(decl)
            if specifiers is None or specifiers != declaration:
                declaration, index, marks, waiting = specifiers, 0, waiting, []
            else:
                index += 1
            member = MemberSpec(name, self.type_of(decl.type))
            for which, mark in marks:
                if which in (-1, index):
                    self.mark(member, mark)
            if decl.bitsize is not None:
                member.bit_width = width = self.constant(decl.bitsize)
                if not isinstance(member.type, Scalar) or member.type.kind in ("float", "longdouble", "pointer"):
                    raise self.fail(decl, f"bitfield {name or '(unnamed)'} must be an integer type")
                # gcc's errors, which we laid out as nonsense (a width of -1, a 2-bit
                # _Bool) or dropped (a named 0-bit field):
                if width < 0 or (width == 0 and name) or (member.type.kind == "bool" and width > 1):
                    raise self.fail(decl, f"bitfield {name or '(unnamed)'} cannot be {width} bits wide"
                                          + (" (a _Bool has 1 bit)" if member.type.kind == "bool" else ""))
                if width > member.type.size * 8:  # (lay_out says so too, but of the struct's line)
                    raise self.fail(decl, f"bitfield {name or '(unnamed)'} is {width} bits wide, wider than its type")
            alignas = 0
            for specifier in decl.align or ():
                value = specifier.alignment
                a = self.type_of(value).align if isinstance(value, c_ast.Typename) else self.constant(value)
                if a < 0 or a & (a - 1):
                    raise self.fail(decl, f"_Alignas({a}): an alignment must be a power of two")
                alignas = max(alignas, a)
            if 0 < alignas < member.type.align:  # (C11 and gcc refuse it; we ignored it)
                raise self.fail(decl, f"_Alignas({alignas}) cannot lower the alignment of {name or 'a member'} "
                                      f"({member.type.name}: {member.type.align})")
            member.aligned = max(member.aligned, alignas)
            if isinstance(decl.type, c_ast.ArrayDecl) and decl.type.dim is None:
                flexible = len(spec.members)
            spec.members.append(member)
        # More of gcc's errors, which we laid out: two members of one name, and a
        # flexible array member anywhere but at the end of a struct with others.
        seen: set[str] = set()
        for name in _member_names(spec.members):
            if name in seen:
                raise self.fail(node, f"{spec.name} has two members called {name}")
            seen.add(name)
        if flexible >= 0 and (kind == "union" or flexible != len(spec.members) - 1 or flexible == 0):
            raise self.fail(node, f"{spec.name}: a flexible array member ({spec.members[flexible].name}[]) "
                                  "must be the last member of a struct with others")
        try:
            record = lay_out(spec)
        except LayoutError as err:
            raise self.fail(node, str(err)) from None
        if key:
            self.decls.types[key] = record
            self.defined_at[key] = where
        if key or typedef:
            self.decls.records.append(key or typedef)
        return record

    def mark(self, target: RecordSpec | MemberSpec, mark: str) -> None:
        if mark == "packed":
            target.packed = True
        elif mark.startswith("aligned_"):
            target.aligned = max(target.aligned, int(mark[len("aligned_"):]))

    def pack_at(self, node: object) -> int:
        coord = getattr(node, "coord", None)
        line = coord.line if coord is not None and coord.line else 0
        value = 0
        for start, pack in self.packs:
            if start <= line:
                value = pack
        return value

    def enum(self, node: object, typedef: str) -> Scalar:
        assert isinstance(node, c_ast.Enum)
        key = f"enum {node.name}" if node.name else typedef or "enum"
        if node.values is None:
            found = self.decls.types.get(key)
            if found is None:  # used before (or without) its definition: an int
                return Scalar(key, "enum", 4, 4, True)
            assert isinstance(found, Scalar)
            return found
        names: list[tuple[int, str]] = []
        value = -1
        packed = False
        for e in node.values.enumerators:
            if e.name.startswith(MARK):  # __attribute__((packed)), as an enumerator
                packed = True
                continue
            value = self.constant(e.value) if e.value is not None else value + 1
            self.decls.constants[e.name] = value
            names.append((value, e.name))
        signed = any(v < 0 for v, _ in names)
        wide = any(not (-(1 << 31) <= v < (1 << 32)) for v, _ in names) or \
            (signed and any(v >= (1 << 31) for v, _ in names))
        size = 8 if wide else 4
        if packed:
            # A packed enum is as small as its values allow, as gcc makes it (it was
            # read as 4 bytes, and enum {...} __attribute__((packed)) as a struct member).
            def fits(n: int) -> bool:
                low, high = (-(1 << (8 * n - 1)), 1 << (8 * n - 1)) if signed else (0, 1 << (8 * n))
                return all(low <= v < high for v, _ in names)
            size = next((n for n in (1, 2, 4) if fits(n)), size)
        scalar = Scalar(key, "enum", size, size, signed, tuple(names))
        if node.name:
            self.decls.types[key] = scalar
        return scalar


def _place(node: object) -> tuple[int, int] | None:
    coord = getattr(node, "coord", None)
    return None if coord is None else (coord.line, coord.column)


def _member_names(members: list[MemberSpec] | tuple[Member, ...]) -> Iterator[str]:
    """The names members are reached by: an anonymous struct or union's own."""
    for m in members:
        if m.name:
            yield m.name
        elif isinstance(m.type, Record) and m.bit_width is None:
            yield from _member_names(m.type.members)


def _record_without_body(node: object) -> str:
    """``struct s`` for a declaration of a struct or union type without its body
    (``struct s;``, ``typedef struct s s_t;``); "" otherwise."""
    if isinstance(node, c_ast.TypeDecl):
        node = node.type
    if isinstance(node, (c_ast.Struct, c_ast.Union)) and node.decls is None and node.name:
        return f"{'struct' if isinstance(node, c_ast.Struct) else 'union'} {node.name}"
    return ""


def _specifiers_of(decl: object) -> tuple[int, int] | None:
    """Where a declaration's type specifiers are: the same for all its declarators
    (pycparser gives each declarator a Decl of its own)."""
    t = getattr(decl, "type", None)
    while isinstance(t, (c_ast.TypeDecl, c_ast.PtrDecl, c_ast.ArrayDecl, c_ast.FuncDecl)):
        t = t.type
    return _place(t)
