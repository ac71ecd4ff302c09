"""C header text -> laid-out types: what a user pastes to name a segment's bytes.

Parsing is pycparser's (a complete C99/C11 parser). Around it, the header reader does
the little a header needs before a C parser sees it, which pycparser leaves to a C
preprocessor we cannot assume is installed, each in a module of its own:

* ``c_preprocess``: comments, line continuations, ``#include`` (the ``<stdint.h>``
  names and a few others are known without it), object-like ``#define`` with
  ``#ifdef``/``#if`` conditionals (include guards and ``extern "C"`` blocks),
  ``#pragma pack``;
* ``c_attributes``: gcc's ``__attribute__((packed))`` and ``aligned(N)``, which
  pycparser rejects: each is cut out of the text and left behind as a marker member
  that the layout reads;
* ``c_builder`` (with ``c_constants``): pycparser's tree -> types laid out by ``c_types``.

This module runs them in turn (:func:`read_header`) and explains what pycparser
refuses in a user's terms (most often: a type name never declared).

Everything here expects hostile text: the input, macro expansion, nesting and every
constant are bounded, and every failure is a :class:`HeaderError` naming the line.
"""

from __future__ import annotations

import os
import re
import stat

from pycparser import c_parser
from pycparser.c_parser import ParseError

from .c_attributes import lift_attributes
from .c_builder import KEYWORDS, MARK, Builder
from .c_declarations import Declarations, HeaderError
from .c_preprocess import LITERAL, preprocess, strip_comments
from .errors import MmfError
from .names import quoted
from .segment_os import OPEN_FLAGS, close_quietly

# What other modules import from here (HeaderError and Declarations live below, in
# c_declarations, so that every part of the reader can raise and fill them).
__all__ = ["MAX_HEADER_BYTES", "Declarations", "HeaderError", "read_header"]

#: Longest header accepted (a real one is a few KiB).
MAX_HEADER_BYTES = 1 << 20

_SOURCE = f"{MARK}header"  # the header's name as pycparser knows it

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


def read_header(text: str, filename: str = "header.h") -> Declarations:
    """Parse ``text`` (a C header) and lay out every type it defines."""
    text = text.removeprefix("\ufeff")  # a byte order mark, as an editor may save (gcc skips it)
    if len(text) > MAX_HEADER_BYTES:
        raise HeaderError(f"{filename} is {len(text)} characters; headers up to {MAX_HEADER_BYTES} are read")
    source, packs, defines = preprocess(text, filename)
    source = lift_attributes(source, filename)
    lone: list[int] = []
    strip_comments(source, filename, lone)
    if lone:
        # Refused here, not left to pycparser: its lexer took seconds per 100 KB on a
        # long line after an unclosed ' or in a long '...' (both are errors in C).
        quote, line = source[lone[0]], source.count("\n", 0, lone[0]) + 1
        if LITERAL[quote].match(source, lone[0]):
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
    except (AttributeError, TypeError, IndexError, KeyError) as err:
        # pycparser 3.11 (what Python 3.10 gets) trips over some invalid headers itself
        # ("int union {...};"): still a header we cannot read, not our crash.
        raise HeaderError(f"{filename}: cannot read the header (the C parser failed: {err})") from None
    builder = Builder(filename, packs)
    builder.decls.constants.update(defines)
    try:
        builder.file(ast)
    except RecursionError:
        raise HeaderError(f"{filename}: types nested too deeply to read") from None
    return builder.decls


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
    if message.startswith("Unmatched"):  # pycparser 3.11 says which bracket, not where
        place = _unmatched_bracket(source)
        if place is not None:
            line, column, bracket = place
            return f"{filename}:{line}:{column}: cannot read the header here (an unmatched {bracket!r})"
    return f"{where}: cannot read the header: {what or message}"


def _unmatched_bracket(source: str) -> tuple[int, int, str] | None:
    """(line, column, bracket) of the first closing bracket without its opening one,
    else of the last opening one never closed (comments and strings are gone by now)."""
    pairs = {")": "(", "]": "[", "}": "{"}
    opened: list[tuple[int, int, str]] = []
    line, column = 1, 0
    for ch in source:
        column += 1
        if ch == "\n":
            line, column = line + 1, 0
        elif ch in "([{":
            opened.append((line, column, ch))
        elif ch in pairs:
            if not opened or opened[-1][2] != pairs[ch]:
                return line, column, ch
            opened.pop()
    return opened[-1] if opened else None


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
        if name not in KEYWORDS and name not in declared and not name.startswith(MARK):
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


def header_file_text(path: str) -> str:
    """The text of the header file at ``path`` (MmfError, one line, when it is missing,
    not a regular file, bigger than :data:`MAX_HEADER_BYTES` or unreadable); it never
    waits on a FIFO put where the header should be."""
    shown = quoted(path)
    try:
        fd = os.open(path, os.O_RDONLY | OPEN_FLAGS)
    except FileNotFoundError:
        raise MmfError(f"no header file {shown}") from None
    except OSError as err:
        raise MmfError(f"cannot read header file {shown}: {err.strerror or err}") from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            kind = "a directory" if stat.S_ISDIR(st.st_mode) else "a FIFO" if stat.S_ISFIFO(st.st_mode) \
                else "not a regular file"
            raise MmfError(f"header file {shown} is {kind}: give a C header such as defs.h")
        if st.st_size > MAX_HEADER_BYTES:
            raise MmfError(f"header file {shown} is {st.st_size} bytes; headers up to {MAX_HEADER_BYTES} "
                           "bytes are read")
        with os.fdopen(fd, "rb", closefd=False) as f:
            raw = f.read(MAX_HEADER_BYTES + 1)
    except OSError as err:
        raise MmfError(f"cannot read header file {shown}: {err.strerror or err}") from None
    finally:
        close_quietly(fd)
    return raw.decode("utf-8", errors="replace")
