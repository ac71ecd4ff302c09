"""A Key / Value / Type tree (a QTreeWidget) built from a decoded value.

Used for the selected message and for a mailbox's value in the message pane. A
value decoded into a :class:`~mmfviewer.tree.Node` (a .NET object, a ShareableList)
also knows where each part's bytes are: :func:`show_node` keeps each item's byte
range (:func:`item_span`), so selecting it can outline those bytes in the hex view.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHeaderView, QTreeWidget, QTreeWidgetItem

from ..tree import Node, node_text
from .message_model import TOOLTIP_CHARS

_SPAN = Qt.ItemDataRole.UserRole

#: The detail tree stops adding items after this many, and shows at most this many
#: children per map or array: a value with a million elements must not freeze the click.
TREE_ITEM_BUDGET = 20_000
TREE_CHILDREN = 1000
TREE_DEPTH = 64
#: Bytes values show this many bytes as hex in the tree.
TREE_BYTES = 64


def value_tree() -> QTreeWidget:
    """An empty Key / Value / Type tree; the Value column takes the spare width."""
    tree = QTreeWidget()
    tree.setHeaderLabels(["Key", "Value", "Type"])
    tree.setUniformRowHeights(True)
    tree.setAlternatingRowColors(True)
    tree.setTextElideMode(Qt.TextElideMode.ElideRight)
    header = tree.header()
    header.setStretchLastSection(False)
    header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
    return tree


def fit_tree_columns(tree: QTreeWidget) -> None:
    """Size Key and Type to what they hold (within reason) after the tree is filled;
    Value stretches over the rest."""
    for column, cap in ((0, 220), (2, 140)):
        tree.resizeColumnToContents(column)
        tree.setColumnWidth(column, min(tree.columnWidth(column), cap))


def value_items(value: Any, *, key: str = "value") -> QTreeWidgetItem:
    """A tree item (Key, Value, Type) for a decoded value, with children for maps and
    arrays. Bytes show as hex (the first 64 bytes, then "…"); other scalars as repr.
    Huge or deep values are cut, with an item saying how much was left out."""
    budget = [TREE_ITEM_BUDGET]
    return _item(key, value, 0, budget)


def _item(key: str, value: Any, depth: int, budget: list[int]) -> QTreeWidgetItem:
    budget[0] -= 1
    if isinstance(value, dict):
        item = QTreeWidgetItem([key, _count(len(value), "entry", "entries"), "map"])
        children = ((_key_text(k), v) for k, v in value.items())
        _add_children(item, children, len(value), depth, budget)
    elif isinstance(value, (list, tuple)):
        item = QTreeWidgetItem([key, _count(len(value), "item", "items"), "array"])
        _add_children(item, ((f"[{i}]", v) for i, v in enumerate(value)), len(value), depth, budget)
    elif isinstance(value, (bytes, bytearray, memoryview)):
        data = bytes(value[:TREE_BYTES])
        more = "…" if len(value) > TREE_BYTES else ""
        item = QTreeWidgetItem([key, data.hex(" ") + more, f"bytes ({len(value)})"])
    elif isinstance(value, str):
        shown = value if len(value) <= 10_000 else value[:10_000] + "…"
        size = _count(len(value.encode("utf-8", "replace")), "byte", "bytes")
        item = QTreeWidgetItem([key, repr(shown), f"str ({size})"])
    else:
        item = QTreeWidgetItem([key, repr(value), type(value).__name__])
    item.setToolTip(1, item.text(1)[:TOOLTIP_CHARS])
    return item


def _add_children(item: QTreeWidgetItem, children: Iterable[tuple[str, Any]], total: int,
                  depth: int, budget: list[int]) -> None:
    if total and depth >= TREE_DEPTH:
        item.addChild(QTreeWidgetItem(["…", f"nested deeper than {TREE_DEPTH} levels: not shown", ""]))
        return
    for shown, (child_key, child) in enumerate(children):
        if shown >= TREE_CHILDREN or budget[0] <= 0:
            item.addChild(QTreeWidgetItem(["…", f"{total - shown} more not shown", ""]))
            return
        item.addChild(_item(child_key, child, depth + 1, budget))


def _count(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def show_value(tree: QTreeWidget, value: Any, *, key: str = "value") -> None:
    """Fill ``tree`` with ``value``: small values fully expanded, large ones to two levels."""
    tree.clear()
    _put(tree, value_items(value, key=key))


def _put(tree: QTreeWidget, top: QTreeWidgetItem) -> None:
    """Show ``top`` in ``tree``: small values fully expanded, large ones to two levels."""
    tree.addTopLevelItem(top)
    if _item_count(top, 200) < 200:
        tree.expandAll()
    else:
        tree.expandToDepth(1)
    fit_tree_columns(tree)


def _item_count(item: QTreeWidgetItem, cap: int) -> int:
    """How many items are under ``item`` (itself included), counting no further than ``cap``."""
    count, stack = 0, [item]
    while stack and count < cap:
        node = stack.pop()
        count += 1
        stack.extend(child for i in range(node.childCount()) if (child := node.child(i)) is not None)
    return count


def _key_text(key: Any) -> str:
    return key if isinstance(key, str) else repr(key)


def show_node(tree: QTreeWidget, root: Node, *, key: str = "value") -> None:
    """Fill ``tree`` with a decoded tree: name, value, type (with the library, if
    any) and, per item, its byte range for :func:`item_span`. Bounded like
    :func:`show_value`; built without recursion."""
    tree.clear()
    budget = TREE_ITEM_BUDGET
    top = _node_item(root, key or root.name)
    stack: list[tuple[Node, QTreeWidgetItem, int]] = [(root, top, 0)]
    while stack:
        node, item, depth = stack.pop()
        children = node.items()
        if not len(children):
            continue
        if depth >= TREE_DEPTH:
            item.addChild(QTreeWidgetItem(["…", f"nested deeper than {TREE_DEPTH} levels: not shown", ""]))
            continue
        shown = min(len(children), TREE_CHILDREN, max(budget, 0))
        for child in children[:shown]:
            child_item = _node_item(child, child.name)
            item.addChild(child_item)
            stack.append((child, child_item, depth + 1))
        budget -= shown
        if shown < len(children):
            item.addChild(QTreeWidgetItem(["…", f"{len(children) - shown} more not shown", ""]))
    _put(tree, top)


def _node_item(node: Node, key: str) -> QTreeWidgetItem:
    value = node_text(node)
    if node.note and node.ref is None:
        value = f"{value}  ({node.note})"
    type_text = node.type if node.id is None else f"{node.type}  #{node.id}"
    item = QTreeWidgetItem([key, value, type_text])
    item.setData(0, _SPAN, (node.start, node.end))
    tip = f"bytes {node.start}–{node.end} ({node.end - node.start} bytes)"
    if node.library:
        tip += f"\ndefined in {node.library}"
    for column in range(3):
        item.setToolTip(column, (item.text(1)[:TOOLTIP_CHARS] + "\n" if column == 1 else "") + tip)
    return item


def item_path(item: QTreeWidgetItem | None) -> list[str]:
    """The keys from the top item down to ``item`` (empty for None)."""
    path: list[str] = []
    while item is not None:
        path.append(item.text(0))
        item = item.parent()
    return path[::-1]


def find_path(tree: QTreeWidget, path: list[str]) -> QTreeWidgetItem | None:
    """The item at ``path`` (see :func:`item_path`), or None if the tree has none."""
    if not path or tree.topLevelItemCount() == 0:
        return None
    item = tree.topLevelItem(0)
    if item is None or item.text(0) != path[0]:
        return None
    for key in path[1:]:
        children = (item.child(i) for i in range(item.childCount()))
        item = next((child for child in children if child is not None and child.text(0) == key), None)
        if item is None:
            return None
    return item


def item_span(item: QTreeWidgetItem | None) -> tuple[int, int] | None:
    """The (start, end) byte range of a :func:`show_node` item, or None."""
    span = item.data(0, _SPAN) if item is not None else None
    return (int(span[0]), int(span[1])) if span else None
