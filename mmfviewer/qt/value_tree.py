"""A Key / Value / Type tree (a QTreeWidget) built from a decoded value.

Used for the selected message and for a mailbox's value in the message pane.
"""

from __future__ import annotations

from typing import Any, Iterable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHeaderView, QTreeWidget, QTreeWidgetItem

from .message_model import TOOLTIP_CHARS

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
    shown = 0
    for child_key, child in children:
        if shown >= TREE_CHILDREN or budget[0] <= 0:
            item.addChild(QTreeWidgetItem(["…", f"{total - shown} more not shown", ""]))
            return
        item.addChild(_item(child_key, child, depth + 1, budget))
        shown += 1


def _count(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def show_value(tree: QTreeWidget, value: Any, *, key: str = "value") -> None:
    """Fill ``tree`` with ``value``: small values fully expanded, large ones to two levels."""
    tree.clear()
    item = value_items(value, key=key)
    tree.addTopLevelItem(item)
    if _item_count(item, 200) < 200:
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
        stack.extend(node.child(i) for i in range(node.childCount()))
    return count


def _key_text(key: Any) -> str:
    return key if isinstance(key, str) else repr(key)
