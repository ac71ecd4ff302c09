"""gcc's ``__attribute__((packed))`` and ``aligned(N)``, lifted out of a header's text.

pycparser rejects gcc attributes. Each is cut out of the text (replaced by spaces, so
that lines and columns stay), and the ones that change a layout are left behind as
marker members (``char __mmfv_packed__;``) or typedefs where the builder reads them:
on a record, on a member (for one declarator or for all of them, as gcc gives it), on
a typedef, and ``packed`` on an enum (an enumerator marker). One pass over the text,
whatever its size or the number of attributes in it.
"""

from __future__ import annotations

import re

from .c_builder import KEYWORDS, MARK
from .c_declarations import HeaderError
from .c_preprocess import Expander, condition

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
                condition(expression, Expander(""), where, strict=True)
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
        if last in KEYWORDS or (before and before[-1] in ("struct", "union", "enum")):
            return -1
        # A name after a type names the declarator; a name alone is a typedef name.
        return 0 if any(word not in _QUALIFIERS for word in before) else -1


def lift_attributes(text: str, filename: str = "header.h") -> str:
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
            inserts += [(decl_start, f" {kind} {MARK}{scope}{'' if which < 0 else which}_{mark}__;")
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
        return [(at, f" {MARK}packed__,")] if "packed" in marks else []
    return [(at, f" char {MARK}{mark}__;") for mark in marks]
