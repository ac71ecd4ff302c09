"""The data inspector panel: the bytes at the cursor read as every common type.

A thin view over :func:`mmfviewer.byte_values.inspect_bytes`. The table has one fixed
row per type (:data:`~mmfviewer.byte_values.ROW_NAMES`), so a refresh only changes cell
texts: :class:`InspectorModel` compares the new rows with the old ones and emits
``dataChanged`` for the rows that differ — never a model reset, never new widgets.
The panel is fed on every cursor move and every live tick (~10/s); an unchanged
cursor and unchanged bytes cost one comparison.

Rows whose value does not depend on byte order (u8, binary, UTF-8, msgpack...)
span both value columns and show their note (byte count, hex, where the text is
invalid) after the value; the other rows keep their note for the tooltip.

Performance note: nothing here overrides a per-cell paint hook in Python. Besides
the cost, PySide6 6.12's abi3 wheel on Python < 3.12 drops a reference to ``None``
on every call of a C++ method that returns nothing, and the process aborts
("deallocating None") after a few thousand; a refresh that changes nothing makes
no Qt call at all, and one that does makes only a few.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QEvent,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import (
    QAction,
    QFont,
    QFontMetrics,
    QGuiApplication,
    QHelpEvent,
    QKeyEvent,
    QKeySequence,
    QPalette,
    QTextOption,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLabel,
    QPlainTextEdit,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableView,
    QToolTip,
    QVBoxLayout,
    QWidget,
)

from ..byte_values import MISSING, ROW_NAMES, InspectorRow, inspect_bytes, selection_summary
from ..watches import watch_type_name
from .style import monospace_font

COLUMNS = ("Type", "Little-endian", "Big-endian")

# Texts that mean "no value here": drawn dimmed so real values stand out.
_DIM_TEXTS = frozenset({MISSING, "out of range"})

_Index = QModelIndex | QPersistentModelIndex


#: The dock's own keys, for Help ▸ Keyboard shortcuts.
PANE_KEYS = (("W", "watch the number under the cursor"), ("Ctrl+C", "copy the selected rows"))


def cell_text(row: InspectorRow, column: int) -> str:
    """The full (never elided) text of one cell, as shown and as copied."""
    if column == 0:
        return row.name
    if column == 1:
        # A single-value row spans both columns, so there is room for its note.
        return f"{row.little}  ({row.note})" if row.single and row.note else row.little
    return row.big


class InspectorModel(QAbstractTableModel):
    """Fixed rows (one per type) x three columns; :meth:`set_rows` updates in place."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._rows: list[InspectorRow] = inspect_bytes(b"")
        self._value_font = monospace_font()

    @property
    def value_font(self) -> QFont:
        """The monospace font values are shown in."""
        return QFont(self._value_font)

    @property
    def rows(self) -> list[InspectorRow]:
        """The rows shown now, in :data:`ROW_NAMES` order."""
        return list(self._rows)

    def row(self, index: int) -> InspectorRow:
        """The row shown at table row ``index``."""
        return self._rows[index]

    def set_rows(self, rows: list[InspectorRow]) -> list[int]:
        """Show ``rows`` (same names, same order); signal only the rows that changed.

        Returns the indexes of the rows that changed.
        """
        if [r.name for r in rows] != list(ROW_NAMES):
            raise ValueError("the inspector's rows must be ROW_NAMES, in order")
        changed = [i for i, (old, new) in enumerate(zip(self._rows, rows, strict=False)) if old != new]
        self._rows = list(rows)
        if changed:
            # One signal for the span of changed rows: views repaint it in one go.
            self.dataChanged.emit(self.index(changed[0], 1), self.index(changed[-1], 2))
        return changed

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: N802 (Qt's name)
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(COLUMNS)

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        row = self._rows[index.row()]
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return cell_text(row, column)
        if role == Qt.ItemDataRole.FontRole and column > 0:
            return self._value_font
        if role == Qt.ItemDataRole.ForegroundRole and column > 0:
            value = row.little if column == 1 else row.big
            if value in _DIM_TEXTS:
                return QGuiApplication.palette().color(QPalette.ColorRole.PlaceholderText)
        return None

    def headerData(self, section: int, orientation: Qt.Orientation,  # noqa: N802
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return COLUMNS[section]
        return None

    def flags(self, index: _Index) -> Qt.ItemFlag:
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable


def tooltip_text(row: InspectorRow, column: int) -> str:
    """Everything known about a cell: its full text, and the note if not already in it."""
    text = cell_text(row, column)
    if row.note and not row.single:
        return f"{text}\n{row.note}"
    return text


def detail_text(row: InspectorRow) -> str:
    """A row in full, for the details box under the table: nothing elided."""
    values = [row.little] if row.single else [f"LE  {row.little}", f"BE  {row.big}"]
    return "\n".join([row.name, *values, *([row.note] if row.note else [])])


ZERO_WIDTH_SPACE = "\u200b"
_LONG_RUN = re.compile(r"\S{9,}")


class _Delegate(QStyledItemDelegate):
    """Shows a tooltip only when it says more than the cell (elided text, or a
    note the cell does not show)."""

    def __init__(self, wants_tooltip: Callable[[_Index], str], parent: Any = None) -> None:
        super().__init__(parent)
        self._wants_tooltip = wants_tooltip

    def displayText(self, value: Any, locale: Any) -> str:  # noqa: N802
        # Long runs without spaces (a u64, a timestamp) may break anywhere, so the
        # cell wraps to a second line instead of cutting the value's middle out.
        # (displayText returns a value: not one of the void hooks the note above warns of.)
        text = super().displayText(value, locale)
        return _LONG_RUN.sub(lambda m: ZERO_WIDTH_SPACE.join(m.group(0)), text)

    def helpEvent(self, event: QHelpEvent, view: QAbstractItemView,  # noqa: N802
                  option: QStyleOptionViewItem, index: _Index) -> bool:
        if event.type() != QEvent.Type.ToolTip:
            return super().helpEvent(event, view, option, index)
        text = self._wants_tooltip(index)
        if text:
            QToolTip.showText(event.globalPos(), text, view)
        else:
            QToolTip.hideText()
        return True


class InspectorPanel(QWidget):
    """The data inspector: a header with the cursor offset, the selection, and a
    table of the bytes at the cursor read as every type. Put it in a dock titled
    "Data inspector"; call :meth:`show_bytes` on cursor moves and live ticks.

    "Watch this value" (context menu, or W in the table) on a number's cell emits
    :attr:`watchRequested` with its watch type (``"u32 BE"``, see
    :func:`mmfviewer.watches.watch_type_name`) and the cursor's offset."""

    #: (watch type name, offset): the user asked to watch the current cell's value.
    watchRequested = Signal(str, int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._last: tuple[bytes, int] | None = None

        self.offset_label = QLabel("Cursor: none")
        self.offset_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        bold = QFont(self.offset_label.font())
        bold.setBold(True)
        self.offset_label.setFont(bold)

        self.selection_label = QLabel(selection_summary(0, 0))
        self.selection_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        # Kept as attributes: PySide frees a model nobody in Python references.
        self.model = InspectorModel(self)
        value_metrics = QFontMetrics(self.model.value_font)
        self._char_width = value_metrics.horizontalAdvance("0" * 64) / 64
        self._line_height = value_metrics.lineSpacing()
        self.view = QTableView(self)
        self.view.setModel(self.model)
        self._delegate = _Delegate(self.tooltip_at, self.view)
        self.view.setItemDelegate(self._delegate)
        self._setup_view()

        self.copy_action = QAction("Copy", self.view)
        self.copy_action.setShortcut(QKeySequence.StandardKey.Copy)
        # Only while the table has focus, so Ctrl+C in the hex view stays the hex view's.
        self.copy_action.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
        self.copy_action.triggered.connect(self.copy_selection)
        self.view.addAction(self.copy_action)
        self.watch_action = QAction("Watch this value", self.view)
        self.watch_action.setShortcut(QKeySequence(Qt.Key.Key_W))
        self.watch_action.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
        self.watch_action.setEnabled(False)
        self.watch_action.triggered.connect(self.request_watch)
        self.view.addAction(self.watch_action)
        self.view.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)
        # The table claims Ctrl+C itself (as text fields do): a window-wide Copy action
        # would otherwise take it, and QTableView's own Copy copies one cell only.
        self.view.installEventFilter(self)

        # Long values (a 64-character string, a msgpack map) cannot fit a cell; the
        # current row is shown here in full, wrapped, selectable.
        self.detail = QPlainTextEdit(self)
        self.detail.setReadOnly(True)
        self.detail.setFont(self.model.value_font)
        self.detail.setWordWrapMode(QTextOption.WrapMode.WrapAtWordBoundaryOrAnywhere)
        self.detail.setPlaceholderText("Click a row to see its full value here.")
        self.view.selectionModel().currentRowChanged.connect(self._update_detail)
        self.view.selectionModel().currentChanged.connect(self._update_watch_action)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.setSpacing(2)
        layout.addWidget(self.offset_label)
        layout.addWidget(self.selection_label)
        layout.addWidget(self.view, 3)
        layout.addWidget(self.detail, 1)

    def _setup_view(self) -> None:
        view = self.view
        view.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectItems)
        view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        view.setTabKeyNavigation(False)  # Tab leaves the table; arrows move between cells
        view.setAlternatingRowColors(True)
        # A value too long for its cell goes on to a second line (wrapping anywhere: a
        # timestamp has no spaces) rather than losing its middle; the row grows for it.
        view.setWordWrap(True)
        view.setTextElideMode(Qt.TextElideMode.ElideMiddle)  # only past the lines a row has
        view.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        view.setCornerButtonEnabled(False)

        rows = view.verticalHeader()
        rows.hide()
        # Each row is measured when its value changes (show_bytes) or its column's width
        # does, not every row on every change (ResizeToContents measured them all).
        rows.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        value_metrics = QFontMetrics(self.model.data(self.model.index(0, 1), Qt.ItemDataRole.FontRole))
        one_line = max(value_metrics.height(), self.fontMetrics().height()) + 6
        rows.setMinimumSectionSize(one_line)
        rows.setDefaultSectionSize(one_line)

        columns = view.horizontalHeader()
        columns.setHighlightSections(False)
        columns.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        # The type names never change: size that column once, let the values share the rest.
        view.resizeColumnToContents(0)
        columns.setSectionResizeMode(0, QHeaderView.ResizeMode.Fixed)
        columns.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        columns.sectionResized.connect(lambda *_: self._fit_rows(list(range(self.model.rowCount()))))
        columns.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)

        for i, row in enumerate(self.model.rows):
            if row.single:
                view.setSpan(i, 1, 1, 2)


    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt's name)
        if watched is self.view and event.type() == QEvent.Type.Resize:
            # A new width (the dock laid out, dragged): every row's lines are counted again.
            QTimer.singleShot(0, self, lambda: self._fit_rows(list(range(self.model.rowCount()))))
        if (watched is self.view and event.type() in (QEvent.Type.ShortcutOverride, QEvent.Type.KeyPress)
                and isinstance(event, QKeyEvent) and event.matches(QKeySequence.StandardKey.Copy)):
            event.accept()
            if event.type() == QEvent.Type.KeyPress:
                self.copy_selection()
            return True
        return super().eventFilter(watched, event)

    # --- feeding -----------------------------------------------------------------

    def show_bytes(self, data: bytes, offset: int) -> None:
        """Show what ``data`` (the bytes from the cursor on) means; ``offset`` is the
        cursor's absolute offset. Does nothing when both are as last shown."""
        key = (bytes(data), offset)
        if key == self._last:
            return
        if self._last is None or self._last[1] != offset:
            self.offset_label.setText(f"Cursor at 0x{offset:X} ({offset})")
        self._last = key
        self._update_watch_action()
        changed = self.model.set_rows(inspect_bytes(key[0], offset))
        self._fit_rows(changed)
        if changed:
            self._update_detail()

    def clear(self) -> None:
        """Show nothing: no segment is open."""
        self._last = None
        self._update_watch_action()
        self.offset_label.setText("Cursor: none")
        self.selection_label.setText(selection_summary(0, 0))
        self._fit_rows(self.model.set_rows(inspect_bytes(b"", 0)))  # every row: nothing to read
        self._update_detail()

    def show_selection(self, start: int, length: int) -> None:
        """Show the selection's range (or "no selection") above the table."""
        text = selection_summary(start, length)
        if text != self.selection_label.text():
            self.selection_label.setText(text)

    def _update_detail(self, *_: object) -> None:
        current = self.view.currentIndex()
        text = detail_text(self.model.row(current.row())) if current.isValid() else ""
        # setPlainText would drop the user's selection in the box: only when it changed.
        if text != self.detail.toPlainText():
            self.detail.setPlainText(text)

    # --- watching -----------------------------------------------------------------

    def watch_target(self) -> tuple[str, int] | None:
        """The watch type and offset of the current cell (None: no cursor, or not a
        number). The Type column stands for little-endian, the order of this machine."""
        current = self.view.currentIndex()
        if self._last is None or not current.isValid():
            return None
        type_name = watch_type_name(self.model.row(current.row()).name, big_endian=current.column() == 2)
        return None if type_name is None else (type_name, self._last[1])

    def request_watch(self) -> None:
        """Emit :attr:`watchRequested` for the current cell, if it is a number."""
        target = self.watch_target()
        if target is not None:
            self.watchRequested.emit(*target)

    def _update_watch_action(self, *_: object) -> None:
        target = self.watch_target()
        enabled = target is not None
        if enabled != self.watch_action.isEnabled():
            self.watch_action.setEnabled(enabled)
        tip = f"Watch {target[0]} at 0x{target[1]:X} (W)" if target else "Watch this value (W)"
        if tip != self.watch_action.toolTip():
            self.watch_action.setToolTip(tip)

    # --- reading back ------------------------------------------------------------

    def text_at(self, row: int, column: int) -> str:
        """The full text of a cell, as copied (never elided)."""
        return cell_text(self.model.row(row), column)

    def tooltip_at(self, index: _Index) -> str:
        """The tooltip a cell shows now: its full text when the column is too narrow,
        plus a note the cell does not show; ``""`` when the cell says it all."""
        if not index.isValid() or index.column() == 0:
            return ""
        row = self.model.row(index.row())
        if not row.single and row.note:
            return tooltip_text(row, index.column())
        text = cell_text(row, index.column())
        return text if not self._fits_one_line(index, text) else ""

    def _room(self, index: _Index) -> float:
        """The width a cell's text has: the cell (spans included) minus its text margins."""
        margin = 2 * (self.view.style().pixelMetric(QStyle.PixelMetric.PM_FocusFrameHMargin, None, self.view) + 1)
        return max(1.0, self.view.visualRect(index).width() - margin)

    def _fits_one_line(self, index: _Index, text: str) -> bool:
        """Whether ``text`` fits the cell at ``index`` on one line."""
        # The value font is monospace: a length times one advance, not a text layout
        # (measuring a 1,000-character preview took a quarter of a millisecond).
        return len(text) * self._char_width <= self._room(index)

    def _fit_rows(self, rows: list[int]) -> None:
        """Give changed rows the height their values need, counted in lines of the
        monospace value font (Qt's own measuring of wrapped text cost milliseconds a row,
        on every tick that changes the bytes at the cursor)."""
        header = self.view.verticalHeader()
        one_line, line = header.minimumSectionSize(), self._line_height
        for row in rows:
            lines = 1
            for column in (1, 2):
                index = self.model.index(row, column)
                text = self.text_at(row, column)
                needed = math.ceil(len(text) * self._char_width / self._room(index))
                if needed > 1 and " " in text:
                    needed += 1  # wrapping at word boundaries can take a line more
                lines = max(lines, needed)
            height = one_line + (lines - 1) * line
            if self.view.rowHeight(row) != height:
                self.view.setRowHeight(row, height)

    def copy_selection(self) -> str:
        """Copy the selected cells to the clipboard: tab between columns, one line
        per row, full texts. Returns what was copied."""
        indexes = self.view.selectionModel().selectedIndexes()
        if not indexes and self.view.currentIndex().isValid():
            indexes = [self.view.currentIndex()]
        by_row: dict[int, list[int]] = {}
        for index in indexes:
            by_row.setdefault(index.row(), []).append(index.column())
        lines = []
        for r in sorted(by_row):
            row = self.model.row(r)
            # The hidden half of a spanned cell is selected with it; it holds nothing.
            columns = [c for c in sorted(by_row[r]) if not (row.single and c == 2)]
            lines.append("\t".join(cell_text(row, c) for c in columns))
        text = "\n".join(lines)
        if text:
            QGuiApplication.clipboard().setText(text)
        return text
