"""The watch list's table model: a row per watch, cells brought up to date each tick.

A tick changes only the cells whose text changed (one ``dataChanged`` per changed
row) and never resets the model: rows are inserted and removed as watches come and
go. A value that changed lights up in the hex view's change colour, fading
over :data:`~mmfviewer.changes.FADE_SECONDS` in the hex view's steps (the value cell
only: a value that changes every tick would keep a whole row loud).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QColor, QPalette

from ..changes import FADE_SECONDS
from ..hex_repaint import fade_clock
from ..presentation import ago_text
from ..watches import Watch, WatchList
from .hex_render import HexColors
from .style import monospace_font, secondary_color

_Index = QModelIndex | QPersistentModelIndex

#: Column titles, in order.
COLUMNS = ("Name", "Value", "Min", "Max", "Rate /s", "Last change", "Plot")
NAME, VALUE, MIN, MAX, RATE, LAST_CHANGE, PLOT = range(len(COLUMNS))
_MONO_COLUMNS = frozenset({VALUE, MIN, MAX, RATE})
_RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
_LEFT = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter


def rate_text(rate: float | None) -> str:
    """A rate per second with its sign and four significant digits (whole numbers from
    1000 on, an exponent only below 0.001 or from a million on); ``""`` for none."""
    if rate is None:
        return ""
    if rate == 0:
        return "0"
    if 1000 <= abs(rate) < 1e6:
        return f"{rate:+.0f}"
    return f"{rate:+.4g}"


@dataclass
class WatchRow:
    """What one table row shows now."""

    key: str
    label: str
    numeric: bool
    texts: tuple[str, ...] = ("", "", "", "", "")  # Value, Min, Max, Rate /s, Last change
    level: int = 0  # change highlight, 0..255


class WatchModel(QAbstractTableModel):
    """One row per watch, in the list's order; :meth:`sync` brings it up to date."""

    #: (key, plotted): the Plot box of a row was ticked or cleared.
    plotChanged = Signal(str, bool)

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.rows: list[WatchRow] = []
        self.plotted: set[str] = set()
        self._watches: WatchList | None = None
        self._font = monospace_font()
        self._dim = QColor()
        self._ramp: tuple[QColor, ...] = ()

    def set_palette(self, palette: QPalette) -> None:
        """Take highlight and dim colours from ``palette`` (light or dark)."""
        self._ramp = HexColors.for_palette(palette).change
        self._dim = secondary_color(palette)
        if self.rows:
            self.dataChanged.emit(self.index(0, 0), self.index(len(self.rows) - 1, PLOT))

    # -- bringing up to date

    def sync(self, watches: WatchList, now: float) -> list[int]:
        """Rows for the watches in ``watches`` (added, removed), cells as of ``now``.
        Returns the rows whose cells changed."""
        self._watches = watches
        keys = watches.keys()
        if [r.key for r in self.rows] != keys:
            self._sync_rows(watches, keys)
        changed = []
        shown_at = fade_clock(now)
        for i, row in enumerate(self.rows):
            watch = watches.get(row.key)
            if watch is None:
                continue
            texts, level = _cells(watch, now, shown_at)
            if texts == row.texts and level == row.level:
                continue
            columns = [VALUE + c for c, (a, b) in enumerate(zip(texts, row.texts, strict=True)) if a != b]
            if level != row.level:
                columns.append(VALUE)  # the highlight is the value cell's
            first, last = min(columns), max(columns)
            row.texts, row.level = texts, level
            self.dataChanged.emit(self.index(i, first), self.index(i, last))
            changed.append(i)
        return changed

    def _sync_rows(self, watches: WatchList, keys: list[str]) -> None:
        wanted = set(keys)
        unplotted = []
        for i in range(len(self.rows) - 1, -1, -1):
            if self.rows[i].key not in wanted:
                self.beginRemoveRows(QModelIndex(), i, i)
                key = self.rows[i].key
                if key in self.plotted:
                    self.plotted.discard(key)
                    unplotted.append(key)
                del self.rows[i]
                self.endRemoveRows()
        for key in reversed(unplotted):  # a watch that goes is no longer plotted: say so
            self.plotChanged.emit(key, False)
        present = {r.key for r in self.rows}
        for key in keys:  # new watches come at the end, as in the list
            if key in present:
                continue
            watch = watches.get(key)
            assert watch is not None
            at = len(self.rows)
            self.beginInsertRows(QModelIndex(), at, at)
            self.rows.append(WatchRow(key, watch.label, watch.numeric))
            self.endInsertRows()

    def set_plotted(self, key: str, on: bool) -> bool:
        """Tick or clear ``key``'s Plot box; returns whether that changed anything."""
        row = self.row_of(key)
        if row is None or not self.rows[row].numeric or (key in self.plotted) == on:
            return False
        if on:
            self.plotted.add(key)
        else:
            self.plotted.discard(key)
        self.dataChanged.emit(self.index(row, PLOT), self.index(row, PLOT))
        self.plotChanged.emit(key, on)
        return True

    def row_of(self, key: str) -> int | None:
        """The table row of ``key`` (None if it has none)."""
        return next((i for i, r in enumerate(self.rows) if r.key == key), None)

    # -- Qt's model interface

    def rowCount(self, parent: _Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(COLUMNS)

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        row, column = self.rows[index.row()], index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            if column == NAME:
                return row.label
            if column == PLOT:
                return None
            return row.texts[column - VALUE]
        if role == Qt.ItemDataRole.CheckStateRole and column == PLOT and row.numeric:
            return Qt.CheckState.Checked if row.key in self.plotted else Qt.CheckState.Unchecked
        if role == Qt.ItemDataRole.BackgroundRole and column == VALUE and row.level and self._ramp:
            return self._ramp[row.level]
        if role == Qt.ItemDataRole.FontRole and column in _MONO_COLUMNS:
            return self._font
        if role == Qt.ItemDataRole.TextAlignmentRole and column in _MONO_COLUMNS:
            return _RIGHT if row.numeric else _LEFT
        if role == Qt.ItemDataRole.ForegroundRole and column == LAST_CHANGE and row.texts[-1] == "never":
            return self._dim
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(row, column)
        return None

    def _tooltip(self, row: WatchRow, column: int) -> str:
        # Made only on hover: the sample count changes every tick.
        if column == PLOT:
            return "Draw this value in the plot" if row.numeric else "Only numbers can be plotted"
        watch = self._watches.get(row.key) if self._watches is not None else None
        if column in (NAME, LAST_CHANGE) and watch is not None:
            return _tooltip(watch)
        return row.texts[column - VALUE] if column != NAME else row.label

    def flags(self, index: _Index) -> Qt.ItemFlag:
        flags = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        if index.isValid() and index.column() == PLOT and self.rows[index.row()].numeric:
            flags |= Qt.ItemFlag.ItemIsUserCheckable
        return flags

    def setData(self, index: _Index, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:
        if not index.isValid() or index.column() != PLOT or role != Qt.ItemDataRole.CheckStateRole:
            return False
        on = Qt.CheckState(value) == Qt.CheckState.Checked if not isinstance(value, bool) else value
        self.set_plotted(self.rows[index.row()].key, on)
        return True

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return COLUMNS[section]
        return None


def _cells(watch: Watch, now: float, shown_at: float) -> tuple[tuple[str, ...], int]:
    """The texts of a watch's Value..Last change cells and its highlight level."""
    since = None if watch.last_change is None else now - watch.last_change
    level = 0
    if watch.last_change is not None:
        # Drawn at the hex view's fade steps, so a row repaints ~30 times a second at most.
        age = shown_at - watch.last_change
        if age < FADE_SECONDS:
            level = max(0, min(255, int(255 * (1 - age / FADE_SECONDS))))
    if watch.numeric:
        texts = (watch.text, watch.min_text, watch.max_text, rate_text(watch.rate), ago_text(since))
    else:
        texts = (watch.text, "", "", "", ago_text(since))
    return texts, level


def _tooltip(watch: Watch) -> str:
    lines = [watch.key, f"{watch.samples} samples, {watch.changes} changes"]
    if watch.last_change is not None and watch.wall_offset is not None:
        wall = datetime.fromtimestamp(watch.last_change + watch.wall_offset)
        lines.append(f"last change at {wall:%H:%M:%S}.{wall.microsecond // 1000:03d}")
    return "\n".join(lines)
