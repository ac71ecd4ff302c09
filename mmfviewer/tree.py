"""Decoded values as trees whose nodes know where their bytes are.

Every decoder of bytes that other programs wrote (.NET BinaryFormatter values,
Python's ShareableList, ...) returns a :class:`Node`: the GUI shows it as a tree and
outlines a node's bytes in the hex view, ``listen`` prints it on one line, and
``--json`` prints :func:`to_json`. Trees come from hostile bytes, so nothing here
recurses: deep trees are walked with explicit stacks, and what is printed is bounded.
"""

from __future__ import annotations

import datetime as _dt
import decimal
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

#: How deep :func:`to_json` and :func:`one_line` go before they say "…".
PRINT_DEPTH = 64
#: How many characters :func:`one_line` prints at most.
LINE_LIMIT = 2000
#: Packed arrays longer than this appear in :func:`to_json` as :class:`JsonItems`.
JSON_ITEMS_INLINE = 10_000
#: How much of a long string :func:`scalar_text` shows.
STRING_CHARS = 10_000


class JsonItems:
    """The items of a large packed array as :func:`to_json` gives them: converted one
    at a time as they are iterated, so writing a .NET ``bool[]`` of millions as JSON
    never holds millions of Python objects. ``json.dumps`` cannot take it; the
    command line writes it a part at a time."""

    __slots__ = ("_items",)

    def __init__(self, items: Sequence[Any]) -> None:
        self._items = items

    def __len__(self) -> int:
        return len(self._items)

    def __iter__(self) -> Iterator[Any]:
        return map(json_scalar, self._items)

    def parts(self, size: int = 65536) -> Iterator[list[Any]]:
        """The items, converted, ``size`` at a time."""
        for start in range(0, len(self._items), size):
            yield [json_scalar(v) for v in self._items[start:start + size]]

    def __eq__(self, other: object) -> bool:
        return list(self) == (list(other) if isinstance(other, (list, JsonItems)) else other)

    __hash__ = None  # type: ignore[assignment]


@dataclass(frozen=True)
class Packed:
    """Items of one primitive type stored back to back (a .NET ``int[]``, say): kept as
    one compact sequence and made into nodes only when shown, so a large array costs
    about what its bytes do. Item ``i`` lies at ``start + i * item_size``."""

    item_type: str
    items: Sequence[Any]
    start: int
    item_size: int

    def node(self, i: int) -> Node:
        """Item ``i`` as a node of its own."""
        at = self.start + i * self.item_size
        return Node(f"[{i}]", self.item_type, self.items[i], at, at + self.item_size)


@dataclass(eq=False, slots=True)
class Node:
    """One value of a decoded tree.

    ``name`` is the member name, ``[i]`` for an item, or ``""`` for the root; ``type``
    the type as the writing program calls it (``System.Int32``, ``Message``, ``int``);
    ``value`` a Python scalar for leaves (None for containers, and for nulls);
    ``container`` True for classes, lists and arrays (even empty ones), and ``kind``
    says which: ``"class"`` (members by name) or ``"list"`` (items by index);
    ``start``/``end`` the byte range it came from, relative to offset 0 of the decoded
    bytes; ``children`` the members or items of a container; ``ref`` the id of an
    object shown elsewhere in the tree (a reference, not followed again); ``note``
    anything a reader should know (why decoding stopped there, for example);
    ``id`` the object's id where the format numbers objects (so ``→ #id`` can be
    matched); ``library`` the library (a .NET assembly) that defines ``type``;
    ``packed`` the items of a primitive array, in place of ``children``.
    """

    name: str
    type: str
    value: Any = None
    start: int = 0
    end: int = 0
    children: list[Node] = field(default_factory=list)
    kind: str = ""  # "class" or "list" for containers, "" for leaves
    ref: int | None = None
    note: str = ""
    id: int | None = None
    library: str = ""
    packed: Packed | None = None

    @property
    def container(self) -> bool:
        """True for classes, lists and arrays (even empty ones)."""
        return bool(self.kind)

    def items(self) -> Sequence[Node]:
        """The children, packed items included (made into nodes as they are asked for)."""
        return self.children if self.packed is None else _PackedNodes(self.packed)

    def child(self, name: str) -> Node:
        """The child called ``name`` (KeyError if there is none)."""
        for c in self.items():
            if c.name == name:
                return c
        raise KeyError(name)

    def walk(self) -> Iterator[tuple[int, Node]]:
        """Every node with its depth, parents before children, without recursion."""
        stack: list[tuple[int, Node]] = [(0, self)]
        while stack:
            depth, node = stack.pop()
            yield depth, node
            stack.extend((depth + 1, c) for c in reversed(node.items()))


class _PackedNodes(Sequence[Node]):
    """A read-only sequence of a :class:`Packed` array's items as nodes."""

    def __init__(self, packed: Packed) -> None:
        self._packed = packed

    def __len__(self) -> int:
        return len(self._packed.items)

    def __getitem__(self, i: Any) -> Any:
        if isinstance(i, slice):
            return [self._packed.node(j) for j in range(*i.indices(len(self)))]
        if i < 0:
            i += len(self)
        if not 0 <= i < len(self):
            raise IndexError(i)
        return self._packed.node(i)


def scalar_text(value: Any) -> str:
    """A leaf value as a person reads it: strings quoted, bytes as hex, dates ISO."""
    if isinstance(value, str):  # a string of megabytes is not read on one line
        return repr(value) if len(value) <= STRING_CHARS else repr(value[:STRING_CHARS]) + "…"
    if isinstance(value, (bytes, bytearray)):
        return "0x" + bytes(value[:64]).hex() + ("…" if len(value) > 64 else "")
    if isinstance(value, (_dt.datetime, _dt.date)):
        return value.isoformat()
    if isinstance(value, _dt.timedelta):
        return str(value)
    if value is None:
        return "null"
    if value is True or value is False:
        return "true" if value else "false"
    return str(value)


def node_text(node: Node) -> str:
    """What the tree's value column shows for one node."""
    if node.ref is not None:
        return f"→ #{node.ref}"
    if node.container:
        n = len(node.items())
        return f"{n} member{'s' if n != 1 else ''}" if node.kind == "class" else f"{n} item{'s' if n != 1 else ''}"
    return scalar_text(node.value)


def one_line(root: Node, limit: int = LINE_LIMIT) -> str:
    """The tree on one line: ``Message {title: 'test', content: 'hello world 3'}``.

    Bounded: at most ``limit`` characters and :data:`PRINT_DEPTH` levels.
    """
    out: list[str] = []
    size = 0
    # Items: ("node", node, depth, is_item_of_list) or ("text", str).
    stack: list[tuple[Any, ...]] = [("node", root, 0, False)]
    while stack and size <= limit:
        item = stack.pop()
        if item[0] == "text":
            piece = item[1]
        else:
            _, node, depth, in_list = item
            label = "" if in_list or not node.name else f"{node.name}: "
            if node.ref is not None:
                piece = f"{label}→#{node.ref}"
            elif node.container and len(node.items()) and depth >= PRINT_DEPTH:
                piece = f"{label}{{…}}"
            elif node.container:
                is_list = node.kind == "list"
                opener, closer = ("[", "]") if is_list else ("{", "}")
                piece = f"{label}{opener}" if is_list else f"{label}{node.type} {opener}"
                stack.append(("text", closer))
                items = node.items()
                shown = min(len(items), limit)  # no line shows more items than characters
                if shown < len(items):
                    stack.append(("text", f", … {len(items) - shown} more"))
                for i in reversed(range(shown)):
                    stack.append(("node", items[i], depth + 1, is_list))
                    if i:
                        stack.append(("text", ", "))
            else:
                piece = label + scalar_text(node.value)
            if node.note and node.value is None and not node.container:  # null runs, dangling refs
                piece += f" ({node.note})"
        out.append(piece)
        size += len(piece)
    text = "".join(out)
    return text if len(text) <= limit and not stack else text[:limit] + "…"


def to_json(root: Node) -> Any:
    """The tree as plain JSON-able data: ``{"name", "type", "value" | "children",
    "start", "end"}`` per node (plus ``"ref"``/``"note"`` where set).

    Built without recursion; below :data:`PRINT_DEPTH` levels a node says
    ``"note": "deeper levels left out"`` instead of listing its children.
    """
    def shell(node: Node) -> dict[str, Any]:
        out: dict[str, Any] = {"name": node.name, "type": node.type, "start": node.start, "end": node.end}
        if node.id is not None:
            out["id"] = node.id
        if node.library:
            out["library"] = node.library
        if node.ref is not None:
            out["ref"] = node.ref
        elif node.container:
            out["children"] = []
        else:
            out["value"] = json_scalar(node.value)
        if node.note:
            out["note"] = node.note
        return out

    top = shell(root)
    stack: list[tuple[Node, dict[str, Any], int]] = [(root, top, 0)]
    while stack:
        node, out, depth = stack.pop()
        if "children" not in out:
            continue
        if node.packed is not None:  # compactly: the values, and where the first one is
            items = node.packed.items
            out["items"] = JsonItems(items) if len(items) > JSON_ITEMS_INLINE else [json_scalar(v) for v in items]
            out["item_size"] = node.packed.item_size
            out["item_type"] = node.packed.item_type
            del out["children"]
            continue
        if depth >= PRINT_DEPTH and node.children:
            out["note"] = "deeper levels left out"
            continue
        for c in node.children:
            child = shell(c)
            out["children"].append(child)
            stack.append((c, child, depth + 1))
    return top


def json_scalar(value: Any) -> Any:
    """A leaf value in a form ``json.dumps`` takes."""
    if isinstance(value, (bytes, bytearray)):
        return {"$bytes": bytes(value).hex()}
    if isinstance(value, (_dt.datetime, _dt.date)):
        return value.isoformat()
    if isinstance(value, _dt.timedelta):
        return value.total_seconds()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, float) and value != value:
        return "NaN"
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(value)




_DEEPER = "…"


def value_text(value: Any, limit: int | None = None) -> str:
    """``repr`` of a decoded msgpack value (dicts, lists, scalars), built without
    recursion: below :data:`PRINT_DEPTH` levels a container prints as ``…``. msgpack
    nests up to 1024 levels, where ``repr`` and ``json.dumps`` give up with a
    RecursionError. With ``limit``, stops after that many characters (``…``)."""
    parts: list[str] = []
    size = 0
    # Items: ("value", value, depth) or ("text", str).
    stack: list[tuple[str, Any, int]] = [("value", value, 0)]
    while stack and (limit is None or size <= limit):
        kind, item, depth = stack.pop()
        if kind == "text":
            text = item
        elif isinstance(item, (dict, list, tuple)) and item:
            if depth >= PRINT_DEPTH:
                text = _DEEPER
            else:
                is_map = isinstance(item, dict)
                text = "{" if is_map else "["
                later: list[tuple[str, Any, int]] = []
                pairs: Iterable[tuple[Any, Any]] = item.items() if isinstance(item, dict) else enumerate(item)
                for i, (key, val) in enumerate(pairs):
                    later.append(("text", ", " if i else "", 0))
                    if is_map:
                        later.append(("value", key, depth + 1))
                        later.append(("text", ": ", 0))
                    later.append(("value", val, depth + 1))
                later.append(("text", "}" if is_map else "]", 0))
                stack.extend(reversed(later))
        else:
            text = repr(item)
        parts.append(text)
        size += len(text)
    out = "".join(parts)
    return out if limit is None or len(out) <= limit else out[:limit] + _DEEPER


def value_json(value: Any) -> Any:
    """A decoded msgpack value as data ``json.dumps`` takes, built without recursion;
    below :data:`PRINT_DEPTH` levels a container is the string ``"…"``."""
    if not isinstance(value, (dict, list, tuple)):
        return json_scalar(value)
    top: Any = {} if isinstance(value, dict) else []
    stack: list[tuple[Any, Any, int]] = [(value, top, 0)]
    while stack:
        source, out, depth = stack.pop()
        items = source.items() if isinstance(source, dict) else enumerate(source)
        for key, val in items:
            if isinstance(val, (dict, list, tuple)):
                if depth + 1 >= PRINT_DEPTH and val:
                    converted: Any = _DEEPER
                else:
                    converted = {} if isinstance(val, dict) else []
                    stack.append((val, converted, depth + 1))
            else:
                converted = json_scalar(val)
            if isinstance(out, dict):
                out[key if isinstance(key, str) else value_text(key, 200)] = converted
            else:
                out.append(converted)
    return top
