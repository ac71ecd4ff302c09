"""C header text -> laid-out types: what a user pastes to name a segment's bytes.

Parsing is pycparser's (a complete C99/C11 parser). Around it, this module does the
little a header needs before a C parser sees it, which pycparser leaves to a C
preprocessor we cannot assume is installed:

* comments, line continuations, ``#include`` (the ``<stdint.h>`` names and a few
  others are known without it), object-like ``#define`` with ``#ifdef``/``#if``
  conditionals (include guards and ``extern "C"`` blocks), ``#pragma pack``;
* gcc's ``__attribute__((packed))`` and ``aligned(N)``, which pycparser rejects: each
  is cut out of the text and left behind as a marker member that the layout reads.

Everything here expects hostile text: the input, macro expansion, nesting and every
constant are bounded, and every failure is a :class:`HeaderError` naming the line.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from typing import Literal

from pycparser import c_ast, c_parser
from pycparser.c_parser import ParseError

from .c_types import ArrayType, CType, LayoutError, Member, MemberSpec, Record, RecordSpec, Scalar, array_of, lay_out

#: Longest header accepted (a real one is a few KiB).
MAX_HEADER_BYTES = 1 << 20
#: Macro expansion may produce at most this much text in all.
MAX_EXPANSION = 4 << 20
#: Types nested deeper than this are refused (recursion, not a real header).
MAX_NESTING = 64
#: Macros whose expansion names another macro, and so on, at most this deep.
MAX_MACRO_DEPTH = 100

_MARK = "__mmfv_"
_SOURCE = f"{_MARK}header"  # the header's name as pycparser knows it
_IDENT = re.compile(r"\b[A-Za-z_]\w*")

# What <stdint.h>, <stddef.h>, <stdbool.h>, <uchar.h> and <wchar.h> would declare on
# LP64 Linux. One line, so that the header's own lines keep their numbers.
_PRELUDE = " ".join(f"typedef {c} {n};" for n, c in (
    ("int8_t", "signed char"), ("uint8_t", "unsigned char"),
    ("int16_t", "short"), ("uint16_t", "unsigned short"),
    ("int32_t", "int"), ("uint32_t", "unsigned int"),
    ("int64_t", "long"), ("uint64_t", "unsigned long"),
    ("int_least8_t", "signed char"), ("uint_least8_t", "unsigned char"),
    ("int_least16_t", "short"), ("uint_least16_t", "unsigned short"),
    ("int_least32_t", "int"), ("uint_least32_t", "unsigned int"),
    ("int_least64_t", "long"), ("uint_least64_t", "unsigned long"),
    ("int_fast8_t", "signed char"), ("uint_fast8_t", "unsigned char"),
    ("int_fast16_t", "long"), ("uint_fast16_t", "unsigned long"),
    ("int_fast32_t", "long"), ("uint_fast32_t", "unsigned long"),
    ("int_fast64_t", "long"), ("uint_fast64_t", "unsigned long"),
    ("intptr_t", "long"), ("uintptr_t", "unsigned long"),
    ("intmax_t", "long"), ("uintmax_t", "unsigned long"),
    ("size_t", "unsigned long"), ("ssize_t", "long"), ("ptrdiff_t", "long"),
    ("off_t", "long"), ("pid_t", "int"), ("time_t", "long"),
    ("wchar_t", "int"), ("char16_t", "unsigned short"), ("char32_t", "unsigned int"),
    ("bool", "_Bool"),
))

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


class HeaderError(ValueError):
    """A header that cannot be read, with where and why."""


@dataclass
class Declarations:
    """What a header declares: laid-out types by name, and integer constants."""

    #: "struct sample", "union value", "enum mode", typedef names -> type.
    types: dict[str, CType] = field(default_factory=dict)
    #: ``#define`` integer constants and enumerators.
    constants: dict[str, int] = field(default_factory=dict)
    #: Record names in the order they were defined (what a user picks from).
    records: list[str] = field(default_factory=list)

    def resolve(self, name: str) -> CType:
        """The type called ``name``: a typedef, or ``struct``/``union``/``enum`` with or
        without the keyword."""
        name = " ".join(name.split())
        for candidate in (name, f"struct {name}", f"union {name}", f"enum {name}"):
            if candidate in self.types:
                return self.types[candidate]
        known = ", ".join(self.records) or "none"
        raise HeaderError(f"no type called {name!r} in the header (its structs and unions: {known})")


def read_header(text: str, filename: str = "header.h") -> Declarations:
    """Parse ``text`` (a C header) and lay out every type it defines."""
    text = text.removeprefix("\ufeff")  # a byte order mark, as an editor may save (gcc skips it)
    if len(text) > MAX_HEADER_BYTES:
        raise HeaderError(f"{filename} is {len(text)} characters; headers up to {MAX_HEADER_BYTES} are read")
    source, packs, defines = _preprocess(text, filename)
    source = _lift_attributes(source, filename)
    lone: list[int] = []
    _strip_comments(source, filename, lone)
    if lone:
        # Refused here, not left to pycparser: its lexer took seconds per 100 KB on a
        # long line after an unclosed ' or in a long '...' (both are errors in C).
        quote, line = source[lone[0]], source.count("\n", 0, lone[0]) + 1
        if _LITERAL[quote].match(source, lone[0]):
            raise HeaderError(f"{filename}:{line}: a character constant longer than any")
        raise HeaderError(f"{filename}:{line}: a {quote} that nothing closes on its line")
    try:
        # (pycparser is told another name: a filename with a " or a newline in it made
        # an invalid #line, and a valid header was refused)
        ast = c_parser.CParser().parse(f"{_PRELUDE}\n# 1 \"{_SOURCE}\"\n{source}", filename=_SOURCE)
    except ParseError as err:
        raise HeaderError(_explain_parse_error(str(err), source, filename)) from None
    except RecursionError:
        raise HeaderError(f"{filename}: declarations nested too deeply to read") from None
    builder = _Builder(filename, packs)
    builder.decls.constants.update(defines)
    try:
        builder.file(ast)
    except RecursionError:
        raise HeaderError(f"{filename}: types nested too deeply to read") from None
    return builder.decls


# ---------------------------------------------------------------------- preprocessing

# Why a scanner and not one regex: ``/\*.*?\*/`` searched over a header full of
# unclosed ``/*`` scans to the end from each of them (quadratic: a 1 MiB header of
# them never finished); here every character is looked at a bounded number of times.
_COMMENT_OR_LITERAL_START = re.compile(r"//|/\*|[\"']")
_LITERAL = {q: re.compile(rf"{q}(?:\\.|[^{q}\\\n])*{q}") for q in "\"'"}


def _splice_lines(text: str) -> str:
    """Join the lines that end in a backslash to the next (C's first step, before
    comments and directives: a ``#define`` may go on over several lines), with as
    many empty lines after the joined one, so that later lines keep their numbers."""
    if "\\\n" not in text:
        return text
    out: list[str] = []
    held: list[str] = []
    for line in text.split("\n"):
        if line.endswith("\\"):
            held.append(line[:-1])
            continue
        out.append("".join(held) + line)
        out += [""] * len(held)
        held = []
    if held:
        out.append("".join(held))
        out += [""] * (len(held) - 1)
    return "\n".join(out)


def _strip_comments(text: str, filename: str, lone_quotes: list[int] | None = None) -> str:
    """Comments become a space (and the newlines they spanned); string and character
    literals are kept whole, so that a ``/*`` inside one starts nothing. The place of
    the first quote that opens no literal, or opens a character constant longer than
    any (``'\\U0001F600'`` is 12 characters), goes into ``lone_quotes``."""
    text = _splice_lines(text.replace("\r\n", "\n"))
    pieces: list[str] = []
    at = 0
    # A quote that opens no literal: no later one of its kind on that line does either
    # (the failed match went over them as escapes), so they are not tried again; trying
    # each made a line of \\' pairs quadratic.
    unclosed = {"'": -1, '"': -1}
    while (m := _COMMENT_OR_LITERAL_START.search(text, at)) is not None:
        start, token = m.start(), m.group(0)
        if token == "//":
            end = text.find("\n", start)
            end = len(text) if end < 0 else end
            pieces += [text[at:start], " "]
        elif token == "/*":
            end = text.find("*/", start + 2)
            if end < 0:
                line = text.count("\n", 0, start) + 1
                raise HeaderError(f"{filename}:{line}: a comment starts here and never ends")
            end += 2
            pieces += [text[at:start], " " + "\n" * text.count("\n", start, end)]
        else:  # a literal, or a lone quote (left as it is, as the one regex did)
            literal = None
            if start > unclosed[token]:
                literal = _LITERAL[token].match(text, start)
                if literal is None:
                    eol = text.find("\n", start)
                    unclosed[token] = len(text) if eol < 0 else eol
                    if lone_quotes is not None and not lone_quotes:
                        lone_quotes.append(start)
                elif token == "'" and literal.end() - start > 16 and lone_quotes is not None and not lone_quotes:
                    lone_quotes.append(start)
            end = literal.end() if literal is not None else start + 1
            pieces.append(text[at:end])
        at = end
    pieces.append(text[at:])
    return "".join(pieces)


class _Expander:
    """Object-like macros, expanded the way C does (a macro is not expanded inside
    itself), within :data:`MAX_EXPANSION` characters in all."""

    def __init__(self, filename: str) -> None:
        self.macros: dict[str, str] = {}
        self.filename = filename
        self.spent = 0

    def expand(self, text: str, line: int, active: frozenset[str] = frozenset()) -> str:
        if not self.macros:
            return text
        return self._expand(text, line, active, {})

    def _expand(self, text: str, line: int, active: frozenset[str],
                done: dict[tuple[str, frozenset[str]], str]) -> str:
        # Why ``done``: a macro used N times is expanded once, not N times; #define
        # A B B B B chained 30 deep took 12 s of small expansions to reach the limit
        # on characters. Why the depth limit: a chain of 5000 macros, each naming the
        # next, ran out of Python's stack (a RecursionError, not a HeaderError).
        def one(m: re.Match[str]) -> str:
            name = m.group(0)
            body = self.macros.get(name)
            if body is None or name in active:
                return name
            key = (name, active)
            if key not in done:
                if len(active) >= MAX_MACRO_DEPTH:
                    raise HeaderError(f"{self.filename}:{line}: macros nested more than {MAX_MACRO_DEPTH} deep")
                done[key] = self._expand(body, line, active | {name}, done)
            return done[key]
        out = _IDENT.sub(one, text)
        self.spent += len(out)
        if self.spent > MAX_EXPANSION:
            raise HeaderError(f"{self.filename}:{line}: macros expand to more than {MAX_EXPANSION} characters")
        return out


_DIRECTIVE = re.compile(r"\s*#\s*(\w*)\s*(.*)")
_DEFINED = re.compile(r"\bdefined\s*(?:\(\s*([A-Za-z_]\w*)\s*\)|([A-Za-z_]\w*))")
_PACK = re.compile(r"pack\s*\(([^)]*)\)")


def _preprocess(text: str, filename: str) -> tuple[str, list[tuple[int, int]], dict[str, int]]:
    """The header's lines with directives done and macros expanded; the ``#pragma
    pack`` in force from each line on; the ``#define`` constants that are integers."""
    macros = _Expander(filename)
    macros.macros.update(_PREDEFINED)
    lines = _strip_comments(text, filename).split("\n")
    out: list[str] = []
    packs: list[tuple[int, int]] = [(0, 0)]
    pack_stack: list[tuple[str, int]] = []  # what each #pragma pack(push) saved, and its name
    # (the enclosing branch is on, a branch was taken, the #if's line, #else was seen)
    conditions: list[tuple[bool, bool, int, bool]] = []
    on = True
    for number, line in enumerate(lines, start=1):
        m = _DIRECTIVE.match(line)
        if m is None:
            out.append(macros.expand(line, number) if on else "")
            continue
        out.append("")
        word, rest = m.group(1), m.group(2).strip()
        where = f"{filename}:{number}"
        if word in ("ifdef", "ifndef", "if"):
            if word == "if":
                taken = on and _condition(rest, macros, where, line=number) != 0
            else:
                name = rest.split()[0] if rest.split() else ""
                taken = (name in macros.macros) == (word == "ifdef")
            conditions.append((on, on and taken, number, False))
            on = on and taken
        elif word in ("elif", "else"):
            if not conditions:
                raise HeaderError(f"{where}: #{word} without #if")
            outer, taken, opened, after_else = conditions[-1]
            if after_else:  # (gcc's error; we took the branch after it)
                raise HeaderError(f"{where}: #{word} after the #else of the #if on line {opened}")
            branch = outer and not taken and (word == "else" or _condition(rest, macros, where, line=number) != 0)
            conditions[-1] = (outer, taken or branch, opened, word == "else")
            on = branch
        elif word == "endif":
            if not conditions:
                raise HeaderError(f"{where}: #endif without #if")
            on = conditions.pop()[0]
        elif not on:
            continue
        elif word == "define":
            dm = re.match(r"([A-Za-z_]\w*)(\()?\s*(.*)", rest)
            if dm is None:
                raise HeaderError(f"{where}: #define without a name")
            if dm.group(2) is None:  # function-like macros are not expanded
                macros.macros[dm.group(1)] = dm.group(3)
        elif word == "undef":
            macros.macros.pop(rest.split()[0] if rest.split() else "", None)
        elif word == "pragma":
            pm = _PACK.match(rest)
            if pm is not None:
                packs.append((number, _pack_pragma(pm.group(1), packs[-1][1], pack_stack, where)))
        elif word == "error":
            raise HeaderError(f"{where}: #error {rest}")
        # #include, #line, #warning and other pragmas: nothing to do
    if conditions:
        raise HeaderError(f"{filename}:{conditions[-1][2]}: this #if is never closed by #endif")
    defines: dict[str, int] = {}
    for name in macros.macros:
        if _PREDEFINED.get(name) == macros.macros[name]:
            continue  # (gcc's own, not the header's)
        try:
            # Why these shortcuts: each define that is not a bare number is parsed by
            # pycparser, and one that expands to megabytes (#define A1 (A0+A0+A0+A0),
            # 30 deep, never used) took two minutes; a constant is never that long.
            text = macros.expand(name, 0)
            bare = _BARE_NUMBER.fullmatch(text)
            if bare is not None:
                digits = bare.group(1)
                defines[name] = int(digits, 16 if digits[:2] in ("0x", "0X") else 8 if digits[0] == "0" else 10)
            elif len(text) <= MAX_CONSTANT_TEXT:
                defines[name] = _condition(text, macros, filename, strict=True)
        except (HeaderError, ValueError):
            pass  # not an integer constant: a type, an attribute, a string...
    return "\n".join(out), packs, defines


#: What gcc -std=c11 defines before the header on x86-64 Linux, of what headers test
#: to pick their layout. Why: without them, #ifdef __GNUC__ #define PACKED
#: __attribute__((packed)) took the other branch, and the struct was not packed.
#: (AArch64 Linux lays out the same; an #ifdef __aarch64__ branch is not taken.)
_PREDEFINED = {
    "__GNUC__": "12", "__GNUC_MINOR__": "2", "__GNUC_PATCHLEVEL__": "0", "__STDC__": "1",
    "__STDC_VERSION__": "201112L", "__STDC_HOSTED__": "1", "__LP64__": "1", "_LP64": "1",
    "__CHAR_BIT__": "8", "__SIZEOF_SHORT__": "2", "__SIZEOF_INT__": "4", "__SIZEOF_LONG__": "8",
    "__SIZEOF_LONG_LONG__": "8", "__SIZEOF_POINTER__": "8", "__SIZEOF_FLOAT__": "4", "__SIZEOF_DOUBLE__": "8",
    "__SIZEOF_LONG_DOUBLE__": "16", "__SIZEOF_SIZE_T__": "8", "__SIZEOF_WCHAR_T__": "4",
    "__BIGGEST_ALIGNMENT__": "16", "__ORDER_LITTLE_ENDIAN__": "1234", "__ORDER_BIG_ENDIAN__": "4321",
    "__ORDER_PDP_ENDIAN__": "3412", "__BYTE_ORDER__": "__ORDER_LITTLE_ENDIAN__",
    "__FLOAT_WORD_ORDER__": "__ORDER_LITTLE_ENDIAN__", "__linux__": "1", "__linux": "1", "__unix__": "1",
    "__unix": "1", "__ELF__": "1", "__x86_64__": "1", "__x86_64": "1", "__amd64__": "1", "__amd64": "1",
}
#: gcc's other spellings of C keywords (pycparser knows only the standard ones; a
#: header using __volatile__ or __restrict was refused).
_GNU_SPELLINGS = {
    "__const": "const", "__const__": "const", "__volatile": "volatile", "__volatile__": "volatile",
    "__restrict": "restrict", "__restrict__": "restrict", "__inline": "inline", "__inline__": "inline",
    "__signed": "signed", "__signed__": "signed", "__extension__": "", "__alignof__": "_Alignof",
    "__alignof": "_Alignof",
}
_PREDEFINED.update(_GNU_SPELLINGS)
#: A define's value: at most this long once expanded (longer ones are not constants).
MAX_CONSTANT_TEXT = 1000
_BARE_NUMBER = re.compile(r"\s*\(?\s*(0[xX][0-9a-fA-F]+|[0-9]+)[uUlL]*\s*\)?\s*")


def _pack_pragma(arguments: str, current: int, stack: list[tuple[str, int]], where: str) -> int:
    """The packing after ``#pragma pack(arguments)``, which gcc reads as (n), (),
    (push[, name][, n]) or (pop[, name][, n]); ``stack`` holds what each push saved.

    Why: (push, name, n) and (pop, name) were not read at all, so the packing stayed
    what it was (pack(push, r1, 2) left a struct unpacked that gcc packs to 2)."""
    words = [w.strip() for w in arguments.split(",")] if arguments.strip() else []
    action = words.pop(0) if words and words[0] in ("push", "pop") else ""
    name = words.pop(0) if words and re.fullmatch(r"[A-Za-z_]\w*", words[0]) else ""
    if len(words) > 1 or (words and not words[0].isdigit()):
        raise HeaderError(f"{where}: #pragma pack({arguments.strip()}) is not a packing gcc reads")
    value = int(words[0]) if words else None
    if value and value not in (1, 2, 4, 8, 16):
        raise HeaderError(f"{where}: #pragma pack({value}): the packing must be 1, 2, 4, 8 or 16")
    if action == "push":
        stack.append((name, current))
        return current if value is None else value
    if action == "pop":
        if name and all(pushed != name for pushed, _ in stack):
            return current  # (gcc warns, and changes nothing)
        saved = 0
        while stack:
            pushed, saved = stack.pop()
            if not name or pushed == name:
                break
        return saved if value is None else value
    if name:  # pack(show) and the like: nothing changes
        return current
    return value or 0


def _condition(text: str, macros: _Expander, where: str, *, strict: bool = False, line: int = 0) -> int:
    """The integer value of a preprocessor expression (undefined names are 0)."""
    text = _DEFINED.sub(lambda m: "1" if (m.group(1) or m.group(2)) in macros.macros else "0", text)
    text = macros.expand(text, line)
    if not strict:
        text = _IDENT.sub(lambda m: m.group(0) if m.group(0) in ("sizeof",) else "0", text)
    if not text.strip():
        raise HeaderError(f"{where}: an empty #if")
    try:
        ast = c_parser.CParser().parse(f"int {_MARK}v = ({text});")
    except (ParseError, RecursionError):
        shown = " ".join(text.split())
        shown = shown if len(shown) <= 60 else shown[:57] + "..."  # (a hostile one may be a megabyte)
        raise HeaderError(f"{where}: cannot read {shown!r} as a constant") from None
    builder = _Builder(where, [])
    if not strict:
        builder.int_bits = 64
    try:
        return builder.constant(ast.ext[0].init)
    except RecursionError:  # 1+1+...+1 parses as a chain that deep
        raise HeaderError(f"{where}: a constant nested too deeply to read") from None


# ------------------------------------------------------------------------ attributes

_ATTRIBUTE = re.compile(r"\b(?:__attribute__|__attribute|__declspec)\s*\(")
_RECORD_HEAD = re.compile(r"\b(struct|union|enum)(\s+[A-Za-z_]\w*)?\s*$")


def _balanced(text: str, open_at: int) -> int:
    """The index just past the parenthesis that closes the one at ``open_at``."""
    depth = 0
    for i in range(open_at, len(text)):
        if text[i] == "(":
            depth += 1
        elif text[i] == ")":
            depth -= 1
            if depth == 0:
                return i + 1
    return -1


def _attribute_markers(inner: str, where: str) -> list[str]:
    """Marker suffixes for what the layout cares about in an attribute's text."""
    marks = []
    for m in re.finditer(r"\b_*(packed|aligned|align)_*\b\s*(\()?", inner):
        if m.group(1) == "packed":
            marks.append("packed")
            continue
        value = 16  # a bare ``aligned``: the biggest alignment x86-64 and AArch64 use
        if m.group(2):
            # Why evaluated: aligned(sizeof(long)) or aligned(2 * 8) was read as a bare
            # aligned (16), silently; a constant expression of plain numbers is read,
            # anything else is refused.
            close = _balanced(inner, m.end() - 1)
            expression = inner[m.end():close - 1] if close > 0 else ""
            value = int(expression) if expression.strip().isdigit() else \
                _condition(expression, _Expander(""), where, strict=True)
            if value < 1 or value & (value - 1) or value > 1 << 28:
                raise HeaderError(f"{where}: aligned({expression.strip()}): an alignment must be a power "
                                  f"of two from 1 to {1 << 28}")
        marks.append(f"aligned_{value}")
    return marks


class _Scopes:
    """Braces and semicolons of a text, read once from the start as the positions
    asked about grow: where the declaration around a position starts, whether it
    is inside braces, and which ``{`` each ``}`` closes.

    Why one pass: scanning back from each attribute (and counting braces from the
    start for each) made a header of many attributes quadratic; 30,000 members
    with an attribute each did not finish in minutes."""

    _PUNCTUATION = re.compile(r"[;{}]")

    def __init__(self, text: str) -> None:
        self.marks = self._PUNCTUATION.finditer(text)
        self.waiting: re.Match[str] | None = None
        self.starts = [0]  # per open brace (outermost first): where its current declaration starts
        self.open: list[int] = []
        self.opening: dict[int, int] = {}  # } -> {
        self.closing: dict[int, int] = {}  # { -> }
        self.head: dict[int, int] = {}  # { -> where the declaration it is in starts

    def _advance(self, to: int) -> None:
        while True:
            m = self.waiting or next(self.marks, None)
            if m is None or m.start() >= to:
                self.waiting = m
                return
            self.waiting = None
            c, i = m.group(0), m.start()
            if c == ";":
                self.starts[-1] = i + 1
            elif c == "{":
                self.head[i] = self.starts[-1]
                self.open.append(i)
                self.starts.append(i + 1)
            elif self.open:
                self.opening[i] = self.open.pop()
                self.closing[self.opening[i]] = i
                self.starts.pop()

    def declaration(self, at: int) -> tuple[int, bool]:
        """Where the declaration that ``at`` is in starts, and whether it is inside braces."""
        self._advance(at)
        return self.starts[-1], len(self.starts) > 1

    def brace_opened(self, close_at: int) -> int:
        """The ``{`` that the ``}`` at ``close_at`` closes (-1: none)."""
        self._advance(close_at + 1)
        return self.opening.get(close_at, -1)


#: Words of a declaration that say nothing of its type.
_QUALIFIERS = frozenset(re.findall(r"\w+", """const volatile _Atomic restrict __restrict __restrict__ typedef static
extern register inline _Thread_local auto __extension__"""))
#: Parentheses after these words hold no declarator.
_SPECIFIER_CALLS = frozenset(re.findall(r"\w+", "_Alignas __attribute__ __attribute __declspec __typeof__ typeof"))


class _Declaration:
    """One declaration's text, read up to an attribute in it: which declarator the
    attribute follows, or none yet.

    Why: gcc gives an attribute written after a declarator to that declarator alone
    (``int a, b __attribute__((aligned(8)))`` aligns b, not a) and one among the
    specifiers to all of them; the marker that carries it must say which."""

    _TOKEN = re.compile(r"\w+|[^\s\w]")

    def __init__(self, start: int) -> None:
        self.start = self.read_to = start
        self.depth = 0  # of parentheses and brackets
        self.commas = 0  # declarators before the current one
        self.top: list[str] = []  # the current one's words, (...), [...] and {...} folded
        self.typedef = False

    def read(self, text: str, to: int, closing: dict[int, int]) -> None:
        at = self.read_to
        while (m := self._TOKEN.search(text, at, to)) is not None:
            token, at = m.group(0), m.end()
            if token == "{" and closing.get(m.start(), to) < to:
                at = closing[m.start()] + 1  # a record's body: nothing of ours at this depth
                self.top.append("{}")
            elif token in ("(", "["):
                self.depth += 1
                if self.depth == 1:
                    self.top.append(token)
            elif token in (")", "]"):
                self.depth = max(self.depth - 1, 0)
                if self.depth == 0 and self.top and self.top[-1] in ("(", "["):
                    opened = self.top.pop()
                    if opened == "(" and self.top and self.top[-1] in _SPECIFIER_CALLS:
                        self.top.pop()
                    else:
                        self.top.append(opened + token)
            elif self.depth == 0:
                if token == ",":
                    self.commas += 1
                    self.top = []
                else:
                    self.top.append(token)
                    self.typedef = self.typedef or token == "typedef"
        self.read_to = to

    def declarator(self) -> int:
        """The declarator (0, 1...) the attribute at the end follows; -1: none (it is
        among the specifiers)."""
        if self.commas:
            return self.commas
        if not self.top or self.top[-1] in ("*", "{}"):
            return -1
        last, before = self.top[-1], self.top[:-1]
        if not (last[0].isalpha() or last[0] == "_"):
            return 0  # a declarator's (...) or [...], or a bitfield's width
        if last in _KEYWORDS or (before and before[-1] in ("struct", "union", "enum")):
            return -1
        # A name after a type names the declarator; a name alone is a typedef name.
        return 0 if any(word not in _QUALIFIERS for word in before) else -1


def _lift_attributes(text: str, filename: str = "header.h") -> str:
    """Cut gcc attributes out of ``text``, leaving marker members behind for the ones
    that change a layout: ``packed`` and ``aligned`` on a record, on a member or on a
    typedef, and ``packed`` on an enum (an enumerator marker)."""
    text = re.sub(r"\balignas\s*\(", "_Alignas(", text)
    scopes = _Scopes(text)
    cuts: list[tuple[int, int]] = []
    heads: list[int] = []  # per cut: where the text before it (and the attributes right before it) ends
    inserts: list[tuple[int, str]] = []
    declaration = _Declaration(-1)
    line, counted = 1, 0
    for m in _ATTRIBUTE.finditer(text):
        start = m.start()
        if cuts and start < cuts[-1][1]:
            continue
        end = _balanced(text, m.end() - 1)
        line += text.count("\n", counted, start)  # (counted on from the last one: linear)
        counted = start
        if end < 0:
            raise HeaderError(f"{filename}:{line}: an attribute's parentheses never close")
        before = start
        while before > 0 and text[before - 1].isspace():
            before -= 1
        if cuts and cuts[-1][1] == before:  # right after another attribute: what was before that one
            before = heads[-1]
        cuts.append((start, end))
        heads.append(before)
        marks = _attribute_markers(text[m.end():end - 1], f"{filename}:{line}")
        if not marks:
            continue
        if before > 0 and text[before - 1] == "}":  # struct {...} __attribute__((packed))
            brace = scopes.brace_opened(before - 1)
            if brace >= 0:
                enum = re.search(r"\benum\b", text[scopes.head[brace]:brace]) is not None
                inserts += _record_markers(brace + 1, marks, enum)
            continue
        if head := _RECORD_HEAD.search(text, max(0, before - 256), before):
            after = re.compile(r"[{;]").search(text, end)
            if after is not None and after.group(0) == "{":
                inserts += _record_markers(after.start() + 1, marks, head.group(1) == "enum")
            continue
        decl_start, inside = scopes.declaration(start)
        if declaration.start != decl_start:
            declaration = _Declaration(decl_start)
        declaration.read(text, start, scopes.closing)
        which = declaration.declarator()
        scope = "member" if inside else "typedef" if declaration.typedef else ""
        if scope:  # (an attribute of a variable is not ours)
            kind = "char" if inside else "typedef char"
            inserts += [(decl_start, f" {kind} {_MARK}{scope}{'' if which < 0 else which}_{mark}__;")
                        for mark in marks]
    edits = sorted([(a, b, "") for a, b in cuts] + [(a, a, s) for a, s in inserts])
    pieces, at = [], 0
    for a, b, s in edits:
        pieces.append(text[at:a])
        pieces.append(s)
        if b > a:
            pieces.append(re.sub(r"[^\n]", " ", text[a:b]))
        at = max(at, b) if b > a else a
    pieces.append(text[at:])
    return "".join(pieces)


def _record_markers(at: int, marks: list[str], enum: bool) -> list[tuple[int, str]]:
    """A record's markers: members at the start of its body; an enum's ``packed``: an
    enumerator there (which does not shift the others' values: it is skipped)."""
    if enum:
        return [(at, f" {_MARK}packed__,")] if "packed" in marks else []
    return [(at, f" char {_MARK}{mark}__;") for mark in marks]


def _explain_parse_error(message: str, source: str, filename: str) -> str:
    where, _, what = message.partition(": ")
    unknown = _unknown_type(source)
    if unknown is not None:
        name, line = unknown
        return (f"{filename}:{line}: unknown type name {name!r}. The <stdint.h> and <stddef.h> names are "
                f"known; declare others with a typedef (for example: typedef uint32_t {name};)")
    # pycparser's name for the header is ours; it has no place for some errors ("?")
    where = filename + where[len(_SOURCE):] if where.startswith(_SOURCE) else filename
    if what == "At end of input":
        last = source.rstrip().count("\n") + 1
        return f"{filename}:{last}: the header ends inside a declaration (a ; or }} missing?)"
    if what.startswith("before: "):
        return f"{where}: cannot read the header here (just before {what[8:]!r})"
    return f"{where}: cannot read the header: {what or message}"


_KEYWORDS = frozenset(re.findall(r"\w+", """auto break case char const continue default do double else enum
extern float for goto if inline int long register restrict return short signed sizeof static struct switch typedef
union unsigned void volatile while _Alignas _Alignof _Atomic _Bool _Complex _Noreturn _Static_assert _Thread_local"""))


def _unknown_type(source: str) -> tuple[str, int] | None:
    """A name used as a type but never declared (the commonest reason a header fails)."""
    # Why statement by statement and [\s*]+: the regexes these replace backtracked
    # over every "typedef" to the end of a header without semicolons, and over every
    # split of a run of spaces; 100 KB of either took minutes. Why (?=...): a match
    # ate the ; the next declaration starts after, so "int a; DWORD b;" named nothing.
    declared = set()
    for statement in (_PRELUDE + source).split(";"):
        typedef = re.search(r"\btypedef\b", statement)
        if typedef is not None and (name := _declared_name(statement[typedef.end():])):
            declared.add(name)
    declared |= set(re.findall(r"}\s*([A-Za-z_]\w*)\s*;", source))
    for m in re.finditer(r"(?:^|[;{(,])\s*(?:(?:const|volatile|_Atomic|static|extern|typedef)\s+)*"
                         r"([A-Za-z_]\w*)[\s*]+[A-Za-z_]\w*\s*(?=[;\[:,)=])", source):
        name = m.group(1)
        if name not in _KEYWORDS and name not in declared and not name.startswith(_MARK):
            return name, source.count("\n", 0, m.start(1)) + 1
    return None


def _declared_name(declaration: str) -> str:
    """The name a declaration ends with, after any [...], or a function pointer's
    (``(*name)``); "" if none."""
    pointer = re.search(r"\(\s*\*\s*([A-Za-z_]\w*)\s*\)", declaration)
    if pointer is not None:
        return pointer.group(1)
    tokens = re.findall(r"\w+|\S", declaration)
    depth = 0
    while tokens and (depth or tokens[-1] == "]"):
        token = tokens.pop()
        depth += (token == "]") - (token == "[")
    last = tokens[-1] if tokens else ""
    return last if re.fullmatch(r"[A-Za-z_]\w*", last) else ""


# ---------------------------------------------------------------------- the AST -> types

Kind = Literal["struct", "union"]


class _Builder:
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
            if isinstance(ext, c_ast.Typedef) and ext.name.startswith(_MARK):
                mark = re.fullmatch(r"typedef(\d*)_aligned_(\d+)", ext.name[len(_MARK):-2])
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
            if all(n in _KEYWORDS for n in names):  # int int, short long...: not a type at all
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
            if name.startswith(_MARK):
                mark = name[len(_MARK):-2]
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
            if e.name.startswith(_MARK):  # __attribute__((packed)), as an enumerator
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

    # -- constants

    def constant(self, node: object) -> int:
        """The value of an integer constant expression (bounded: no 1 << 10**9)."""
        value = self._value(node)[0]
        if not -(1 << 64) <= value < (1 << 64):
            raise self.fail(node, "a constant beyond 64 bits")
        return value

    # Why typed: C computes in int, unsigned int, long and unsigned long, each
    # wrapping at its width, and we computed in Python's unbounded integers: ~0u was
    # -1 (gcc: 4294967295), -1 < 0u was true, (unsigned char)300 was 300 (gcc: 44),
    # 1 << 31 in an enum was 2147483648 (gcc: -2147483648).

    def _value(self, node: object) -> _Int:
        if isinstance(node, c_ast.Constant):
            return self.literal_typed(node)
        if isinstance(node, c_ast.ID):
            if node.name in self.decls.constants:
                value = self.decls.constants[node.name]
                return self._fitting(value) or (value, 64, True)
            raise self.fail(node, f"{node.name!r} is not a known constant")
        if isinstance(node, c_ast.Cast):
            operand, to = self._value(node.expr)[0], self.type_of(node.to_type)
            if not isinstance(to, Scalar) or to.kind in ("float", "longdouble"):
                raise self.fail(node, f"a cast to {to.name} in a constant")
            if to.kind == "bool":
                return int(operand != 0), self.int_bits, False
            unsigned = to.kind == "pointer" or not to.signed
            wrapped = _wrap(operand, to.size * 8, unsigned)
            return (wrapped, to.size * 8, unsigned) if to.size * 8 >= self.int_bits else \
                (wrapped, self.int_bits, False)  # (narrower than int: promoted to int)
        if isinstance(node, c_ast.TernaryOp):
            return self._value(node.iftrue if self.constant(node.cond) else node.iffalse)
        if isinstance(node, c_ast.UnaryOp):
            if node.op in ("sizeof", "_Alignof", "alignof"):
                if not isinstance(node.expr, c_ast.Typename):
                    raise self.fail(node, f"{node.op} of an expression is not supported; use a type")
                t = self.type_of(node.expr)
                return (t.size if node.op == "sizeof" else t.align), 64, True  # a size_t
            v, bits, unsigned = self._value(node.expr)
            if node.op == "!":
                return int(not v), self.int_bits, False
            ops = {"-": lambda: -v, "+": lambda: v, "~": lambda: ~v}
            if node.op in ops:
                return _wrap(ops[node.op](), bits, unsigned), bits, unsigned
        if isinstance(node, c_ast.BinaryOp):
            a, a_bits, a_unsigned = self._value(node.left)
            if node.op in ("&&", "||"):  # the right side only when needed, as in C
                if (node.op == "&&") != bool(a):
                    return int(bool(a)), self.int_bits, False
                return int(bool(self._value(node.right)[0])), self.int_bits, False
            b, b_bits, b_unsigned = self._value(node.right)
            if node.op in ("<<", ">>"):  # in the left side's type
                if not 0 <= b < a_bits:
                    raise self.fail(node, f"a shift by {b} bits of a {a_bits}-bit value")
                return _wrap(a << b if node.op == "<<" else a >> b, a_bits, a_unsigned), a_bits, a_unsigned
            # The usual arithmetic conversions, on LP64: the wider type; at equal
            # widths, unsigned if either is.
            bits = max(a_bits, b_bits)
            unsigned = (a_unsigned and a_bits == bits) or (b_unsigned and b_bits == bits)
            a, b = _wrap(a, bits, unsigned), _wrap(b, bits, unsigned)
            if node.op in ("/", "%") and b == 0:
                raise self.fail(node, "a division by zero")
            result = _BINARY.get(node.op)
            if result is not None:
                if node.op in ("==", "!=", "<", ">", "<=", ">="):
                    return result(a, b), self.int_bits, False
                return _wrap(result(a, b), bits, unsigned), bits, unsigned
        raise self.fail(node, "not an integer constant expression")

    def _fitting(self, value: int, *, unsigned: bool = False, decimal: bool = True, long: bool = False) -> _Int | None:
        """The type C gives an integer literal of this value: the first of int,
        unsigned int, long, unsigned long that holds it (from long on with an ``l``;
        only unsigned ones with a ``u``; never unsigned int for a decimal one)."""
        for bits, is_unsigned in ((32, False), (32, True), (64, False), (64, True)):
            if bits < self.int_bits or (long and bits == 32) or (unsigned and not is_unsigned) or \
                    (decimal and not unsigned and is_unsigned and bits == 32):
                continue
            low, high = (0, 1 << bits) if is_unsigned else (-(1 << (bits - 1)), 1 << (bits - 1))
            if low <= value < high:
                return value, bits, is_unsigned
        return None

    def literal_typed(self, node: object) -> _Int:
        value = self.literal(node)
        text = str(getattr(node, "value", ""))
        if text.startswith("'"):
            return value, self.int_bits, False
        suffix = text[len(text.rstrip("uUlL")):].lower()
        decimal = not (text.lower().startswith(("0x", "0b")) or (len(text) > 1 and text.startswith("0")))
        typed = self._fitting(value, unsigned="u" in suffix, decimal=decimal, long="l" in suffix)
        if typed is None:
            raise self.fail(node, f"{text} does not fit in 64 bits")
        return typed

    def literal(self, node: object) -> int:
        text = str(getattr(node, "value", ""))
        if text.startswith("'"):
            body = text[1:-1].encode("latin-1", "replace").decode("unicode_escape", "replace")
            if len(body) != 1:
                raise self.fail(node, f"a character constant {text} that is not one character")
            return ord(body)
        digits = text.rstrip("uUlL")
        try:
            if digits.lower().startswith(("0x", "0b")):
                return int(digits, 0)
            if len(digits) > 1 and digits.startswith("0"):
                return int(digits, 8)
            return int(digits)
        except ValueError:
            raise self.fail(node, f"{text} is not an integer") from None


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


#: A C integer: its value, its width in bits, and whether it is unsigned.
_Int = tuple[int, int, bool]


def _wrap(value: int, bits: int, unsigned: bool) -> int:
    """``value`` as a ``bits``-bit integer holds it (two's complement)."""
    value &= (1 << bits) - 1
    return value - (1 << bits) if not unsigned and value >> (bits - 1) else value


def _c_div(a: int, b: int) -> int:
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b >= 0) else -q


_BINARY: dict[str, Callable[[int, int], int]] = {
    "+": lambda a, b: a + b, "-": lambda a, b: a - b, "*": lambda a, b: a * b,
    "/": _c_div, "%": lambda a, b: a - _c_div(a, b) * b,
    "<<": lambda a, b: a << b, ">>": lambda a, b: a >> b,
    "&": lambda a, b: a & b, "|": lambda a, b: a | b, "^": lambda a, b: a ^ b,
    "&&": lambda a, b: int(bool(a and b)), "||": lambda a, b: int(bool(a or b)),
    "==": lambda a, b: int(a == b), "!=": lambda a, b: int(a != b),
    "<": lambda a, b: int(a < b), ">": lambda a, b: int(a > b),
    "<=": lambda a, b: int(a <= b), ">=": lambda a, b: int(a >= b),
}
