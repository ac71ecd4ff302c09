"""The structure dock's tree: each overlay, and under it its fields with type, offset,
size, value and when it last changed.

Rows are the overlays' :class:`~mmfviewer.struct_fields.FieldTable` rows; the model
never rebuilds on a tick. A tick swaps in the overlays' new states and the view
repaints what is on screen: texts are made only for the cells painted. A field that changed is lit in
the hex view's change colour and fades like the bytes do; a field whose bytes
differed between two reads of one tick (no sequence lock named) is shown as
unstable; an overlay whose read was torn says so in its own row.
"""

from __future__ import annotations

import math
from bisect import bisect_left
from typing import Any

from PySide6.QtCore import QAbstractItemModel, QModelIndex, QObject, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QFont, QGuiApplication

from ..changes import FADE_SECONDS
from ..presentation import ago_text
from ..struct_fields import Field, FieldTable
from ..structure_overlays import LiveOverlay, OverlayState
from .hex_render import HexColors
from .style import error_color, monospace_font, secondary_color

COLUMNS = ("Field", "Type", "Offset", "Size", "Value", "Changed")
FIELD, TYPE, OFFSET, SIZE, VALUE, CHANGED = range(len(COLUMNS))

_Index = QModelIndex | QPersistentModelIndex
_TOP = 0xFFFFFFFF  # the row number that means "the overlay's own row"
_ROLES = frozenset({Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.EditRole, Qt.ItemDataRole.FontRole,
                    Qt.ItemDataRole.BackgroundRole, Qt.ItemDataRole.ForegroundRole, Qt.ItemDataRole.ToolTipRole,
                    Qt.ItemDataRole.TextAlignmentRole})


class _Tree:
    """One overlay's rows as a tree: children by row, leaf numbers by row, and the
    leaves under each row (a record is lit when one of its fields changed)."""

    def __init__(self, table: FieldTable) -> None:
        self.table = table
        rows = table.rows
        self.children: dict[int, list[int]] = {-1: []}
        self.position: dict[int, int] = {}  # row -> its index among its siblings
        for row, f in enumerate(rows):
            siblings = self.children.setdefault(f.parent, [])
            self.position[row] = len(siblings)
            siblings.append(row)
        # One struct: its members hang from the overlay's row (the overlay is the struct).
        self.hidden = 0 if len(self.children[-1]) == 1 and 0 in self.children else -1
        self.top = self.children[self.hidden]
        # Rows are in depth-first order: a row's subtree ends at the next row no deeper.
        ends, stack = [len(rows)] * len(rows), list[int]()
        for row, f in enumerate(rows):
            while stack and rows[stack[-1]].depth >= f.depth:
                ends[stack.pop()] = row
            stack.append(row)
        self.leaf_span = [(bisect_left(table.leaves, row), bisect_left(table.leaves, ends[row]))
                          for row in range(len(rows))]


class StructureModel(QAbstractItemModel):
    """Overlays and their fields, refreshed by :meth:`show_states`."""

    #: A leaf's new value was typed: (overlay, row, text).
    editRequested = Signal(object, int, str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.overlays: list[LiveOverlay] = []
        self._trees: list[_Tree] = []
        self._states: list[OverlayState | None] = []
        self.writable = False
        self._font = monospace_font()
        self._bold = QFont()
        self._bold.setBold(True)
        self._colors = HexColors.for_palette(QGuiApplication.palette())
        self._now = 0.0

    # -- content

    def set_overlays(self, overlays: list[LiveOverlay]) -> None:
        """Show these overlays (a reset: they were added, edited or removed)."""
        self.beginResetModel()
        self.overlays = list(overlays)
        self._trees = [_Tree(o.table) for o in overlays]
        self._states = [None] * len(overlays)
        self.endResetModel()

    def show_states(self, states: tuple[OverlayState, ...], now: float) -> None:
        """A tick's reading of each overlay (in the order of :attr:`overlays`). No
        signal: values are read when cells are painted, so the view repaints its
        viewport (a tree's ``dataChanged`` would take one signal per parent)."""
        self._now = now
        by_overlay = {id(s.overlay): s for s in states}
        self._states = [by_overlay.get(id(o)) for o in self.overlays]

    def lively(self, now: float) -> bool:
        """Whether a repaint would show something new: a field changed or is still
        fading, a read is torn or unstable (its "changed … ago" moves on once a second
        either way: the caller repaints then too)."""
        for state in self._states:
            if state is None:
                continue
            if state.changed or state.read.torn or state.read.unstable:
                return True
            if state.changed_at and now - max(state.changed_at) < FADE_SECONDS + 0.2:
                return True
        return False

    def field(self, index: _Index) -> tuple[int, int | None]:
        """(overlay number, table row or None for the overlay's own row) of ``index``."""
        ident = int(index.internalId())
        row = ident & 0xFFFFFFFF
        return ident >> 32, None if row == _TOP else row

    def index_of(self, overlay: int, row: int | None, column: int = 0) -> QModelIndex:
        """The index of an overlay's row (None: the overlay itself)."""
        if row is None:
            return self.createIndex(overlay, column, (overlay << 32) | _TOP)
        return self.createIndex(self._trees[overlay].position[row], column, (overlay << 32) | row)

    # -- Qt's model interface

    def index(self, row: int, column: int, parent: _Index = QModelIndex()) -> QModelIndex:
        if not parent.isValid():
            if 0 <= row < len(self.overlays):
                return self.createIndex(row, column, (row << 32) | _TOP)
            return QModelIndex()
        overlay, prow = self.field(parent)
        tree = self._trees[overlay]
        kids = tree.top if prow is None else tree.children.get(prow, [])
        if 0 <= row < len(kids):
            return self.createIndex(row, column, (overlay << 32) | kids[row])
        return QModelIndex()

    def parent(self, index: _Index = QModelIndex()) -> QModelIndex:  # type: ignore[override]
        if not index.isValid():
            return QModelIndex()
        overlay, row = self.field(index)
        if row is None:
            return QModelIndex()
        tree = self._trees[overlay]
        up = tree.table.rows[row].parent
        return self.index_of(overlay, None if up == tree.hidden else up)

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: N802 (Qt's name)
        if not parent.isValid():
            return len(self.overlays)
        if parent.column() > 0:
            return 0
        overlay, row = self.field(parent)
        tree = self._trees[overlay]
        return len(tree.top if row is None else tree.children.get(row, ()))

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: N802
        return len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation,  # noqa: N802
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return COLUMNS[section]
        return None

    def flags(self, index: _Index) -> Qt.ItemFlag:
        flags = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        if index.isValid() and index.column() == VALUE and self.writable:
            overlay, row = self.field(index)
            if row is not None and self._trees[overlay].table.rows[row].kind not in ("", "bytes", "longdouble"):
                flags |= Qt.ItemFlag.ItemIsEditable  # (bytes and x87 floats are edited in the hex view)
        return flags

    def setData(self, index: _Index, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:  # noqa: N802
        if role != Qt.ItemDataRole.EditRole or index.column() != VALUE:
            return False
        overlay, row = self.field(index)
        if row is None:
            return False
        self.editRequested.emit(self.overlays[overlay], row, str(value))
        return False  # the next tick shows what the segment holds

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role not in _ROLES or not index.isValid():  # a painted cell asks for some ten roles
            return None
        overlay, row = self.field(index)
        if row is None:
            return self._overlay_data(overlay, index.column(), role)
        tree = self._trees[overlay]
        f = tree.table.rows[row]
        column = index.column()
        state = self._states[overlay]
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.EditRole):
            return self._text(overlay, tree, row, f, column, state)
        if role == Qt.ItemDataRole.FontRole and column in (OFFSET, SIZE, VALUE):
            return self._font
        if role == Qt.ItemDataRole.BackgroundRole and state is not None:
            age = self._age(tree, row, state)
            if age is not None and age < FADE_SECONDS:
                return self._colors.change[max(1, int(255 * (1 - age / FADE_SECONDS)))]
        if role == Qt.ItemDataRole.ForegroundRole and column == VALUE and state is not None:
            if f.is_leaf and tree.table.leaf_number(row) in state.read.unstable:
                return error_color()
            if state.read.torn:
                return secondary_color()
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(overlay, tree, row, f, state)
        if role == Qt.ItemDataRole.TextAlignmentRole and column in (OFFSET, SIZE):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    # -- cells

    def _text(self, overlay: int, tree: _Tree, row: int, f: Field, column: int,
              state: OverlayState | None) -> str:
        base = self.overlays[overlay].spec.offset
        if column == FIELD:
            return f.label
        if column == TYPE:
            return f.type_name
        if column == OFFSET:
            bits = f":{f.bit_offset}" if f.bit_offset is not None else ""
            return f"0x{base + f.offset:X}{bits}"
        if column == SIZE:
            return f"{f.bit_width} bit" if f.bit_width is not None else str(f.size)
        leaf = tree.table.leaf_number(row)
        if column == VALUE and leaf is not None and state is not None:
            return tree.table.text(row, state.values[leaf])
        if column == CHANGED and state is not None:
            age = self._age(tree, row, state)
            return "" if age is None else ago_text(age)
        return ""

    def _age(self, tree: _Tree, row: int, state: OverlayState) -> float | None:
        first, end = tree.leaf_span[row]
        when = max(state.changed_at[first:end], default=-math.inf)
        return None if when == -math.inf else max(0.0, self._now - when)

    def _overlay_data(self, overlay: int, column: int, role: int) -> Any:
        live = self.overlays[overlay]
        state = self._states[overlay]
        if role == Qt.ItemDataRole.DisplayRole:
            spec = live.spec
            if column == FIELD:
                return spec.label
            if column == TYPE:
                return spec.header_name
            if column == OFFSET:
                return f"0x{spec.offset:X}"
            if column == SIZE:
                return str(live.table.span)
            if column == VALUE:
                return self.read_summary(overlay)
            if column == CHANGED and state is not None:
                return ""
        if role == Qt.ItemDataRole.FontRole and column == FIELD:
            return self._bold
        if role == Qt.ItemDataRole.ForegroundRole and column == VALUE and state is not None and state.read.torn:
            return error_color()
        if role == Qt.ItemDataRole.ToolTipRole:
            return (f"{live.spec.label} from {live.spec.header_name}\n"
                    + ("Reads are checked with the sequence lock in "
                       f"{live.spec.sequence!r}" if live.spec.sequence else
                       "No sequence field: each tick reads twice and marks fields that differ as unstable"))
        return None

    def read_summary(self, overlay: int) -> str:
        """The overlay's read status: torn reads so far, or unstable fields now."""
        live, state = self.overlays[overlay], self._states[overlay]
        reader = live.reader
        if state is None:
            return ""
        if state.read.torn:
            return f"torn: showing the last consistent read ({reader.torn} of {reader.reads} torn)"
        if live.spec.sequence:
            return f"consistent (seq {state.read.sequence}); {reader.torn} of {reader.reads} reads torn"
        if state.read.unstable:
            return f"{len(state.read.unstable)} field(s) changing while read"
        return "stable"

    def _tooltip(self, overlay: int, tree: _Tree, row: int, f: Field, state: OverlayState | None) -> str:
        base = self.overlays[overlay].spec.offset
        text = f"{tree.table.path_of(row)}: {f.type_name}, {f.size} byte(s) at 0x{base + f.offset:X}"
        if f.bit_width is not None:
            text += f", bits {f.bit_offset}..{(f.bit_offset or 0) + f.bit_width - 1}"
        if state is not None and f.is_leaf and tree.table.leaf_number(row) in state.read.unstable:
            text += "\nUnstable: its bytes differed between two reads this tick (a writer was changing it)"
        if self.writable and f.is_leaf:
            text += "\nDouble-click the value (or F2) to write a new one"
        return text
