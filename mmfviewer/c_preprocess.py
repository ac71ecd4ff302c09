"""The little of C's preprocessor a header needs before pycparser sees it.

pycparser wants preprocessed text, and a C preprocessor cannot be assumed installed,
so this does it: comments, line continuations, object-like ``#define`` (expanded as C
does) with ``#ifdef``/``#if`` conditionals (include guards and ``extern "C"`` blocks),
``#pragma pack``, ``#error``; ``#include`` is skipped (the ``<stdint.h>`` names and a
few others are known without it). gcc's predefined macros are defined, so that a
header's ``#ifdef __GNUC__`` takes gcc's branch.

Every line keeps its number, so that errors (and pycparser's) name the header's lines.
The text is hostile: macro expansion is bounded in depth and in characters, and every
scan looks at each character a bounded number of times.
"""

from __future__ import annotations

import re

from pycparser import c_parser
from pycparser.c_parser import ParseError

# (the builder evaluates #if and #define constants: it knows the types that sizeof and
# casts in them name)
from .c_builder import MARK, Builder
from .c_declarations import HeaderError

#: Macro expansion may produce at most this much text in all.
MAX_EXPANSION = 4 << 20
#: Macros whose expansion names another macro, and so on, at most this deep.
MAX_MACRO_DEPTH = 100

_IDENT = re.compile(r"\b[A-Za-z_]\w*")

# Why a scanner and not one regex: ``/\*.*?\*/`` searched over a header full of
# unclosed ``/*`` scans to the end from each of them (quadratic: a 1 MiB header of
# them never finished); here every character is looked at a bounded number of times.
_COMMENT_OR_LITERAL_START = re.compile(r"//|/\*|[\"']")
#: A whole string or character literal, by its opening quote (escapes read; one line).
LITERAL = {q: re.compile(rf"{q}(?:\\.|[^{q}\\\n])*{q}") for q in "\"'"}


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


def strip_comments(text: str, filename: str, lone_quotes: list[int] | None = None) -> str:
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
                literal = LITERAL[token].match(text, start)
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


class Expander:
    """Object-like macros, expanded the way C does (a macro is not expanded inside
    itself), within :data:`MAX_EXPANSION` characters in all."""

    def __init__(self, filename: str) -> None:
        self.macros: dict[str, str] = {}
        self.filename = filename
        self.spent = 0

    def expand(self, text: str, line: int, active: frozenset[str] = frozenset()) -> str:
        """``text`` (from the header's ``line``) with its macros expanded, those in
        ``active`` excepted."""
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


def preprocess(text: str, filename: str) -> tuple[str, list[tuple[int, int]], dict[str, int]]:
    """The header's lines with directives done and macros expanded; the ``#pragma
    pack`` in force from each line on; the ``#define`` constants that are integers."""
    macros = Expander(filename)
    macros.macros.update(_PREDEFINED)
    lines = strip_comments(text, filename).split("\n")
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
                taken = on and condition(rest, macros, where, line=number) != 0
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
            branch = outer and not taken and (word == "else" or condition(rest, macros, where, line=number) != 0)
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
                defines[name] = condition(text, macros, filename, strict=True)
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


def condition(text: str, macros: Expander, where: str, *, strict: bool = False, line: int = 0) -> int:
    """The integer value of a preprocessor expression (undefined names are 0)."""
    text = _DEFINED.sub(lambda m: "1" if (m.group(1) or m.group(2)) in macros.macros else "0", text)
    text = macros.expand(text, line)
    if not strict:
        text = _IDENT.sub(lambda m: m.group(0) if m.group(0) in ("sizeof",) else "0", text)
    if not text.strip():
        raise HeaderError(f"{where}: an empty #if")
    try:
        ast = c_parser.CParser().parse(f"int {MARK}v = ({text});")
    except (ParseError, RecursionError, AttributeError, TypeError, IndexError, KeyError):  # (pycparser 3.11's own)
        shown = " ".join(text.split())
        shown = shown if len(shown) <= 60 else shown[:57] + "..."  # (a hostile one may be a megabyte)
        raise HeaderError(f"{where}: cannot read {shown!r} as a constant") from None
    builder = Builder(where, [])
    if not strict:
        builder.int_bits = 64
    try:
        return builder.constant(ast.ext[0].init)
    except RecursionError:  # 1+1+...+1 parses as a chain that deep
        raise HeaderError(f"{where}: a constant nested too deeply to read") from None
