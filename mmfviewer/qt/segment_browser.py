"""The segment browser dock: every shared segment on the machine, live.

The same listing as ``mmfviewer ls`` (name, size, owner, mode, attached processes)
plus the detected layout, refreshed on its own slow timer in a worker thread so a
busy /proc never stalls the window. Sortable, filterable; double-click opens.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtWidgets import (
    QHeaderView,
    QLabel,
    QLineEdit,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from ..codec import LayoutCache, listed_layout
from ..discovery import SegmentInfo, survey
from ..names import printable
from ..presentation import SegmentRow
from .style import muted_color, secondary_color

COLUMNS = ["Name", "Size", "Layout", "Owner", "Mode", "Attached", "Modified"]
#: The columns a narrow list shows first (the rest follow, in COLUMNS order).
KEY_ORDER = ["Name", "Size", "Layout", "Attached"]
NAME_WIDTH = 120


@dataclass(frozen=True)
class BrowserRow:
    """One segment as the browser shows it."""

    info: SegmentInfo
    layout: str

    def text(self, column: int) -> str:
        row = SegmentRow.of(self.info, self.layout)
        return (row.name, row.size, row.layout, row.owner, row.mode, row.attached, row.modified)[column]

    def sort_key(self, column: int) -> object:
        if column == 1:
            return self.info.size or 0
        if column == 5:
            return len(self.info.attached)
        if column == 6:
            return self.info.modified
        return self.text(column).lower()


def scan_rows(layout_cache: LayoutCache) -> tuple[list[BrowserRow], int]:
    """List segments with their layouts (cached: finding one means opening the segment)."""
    infos, hidden = survey()
    return [BrowserRow(info, listed_layout(info, layout_cache).label) for info in infos], hidden


class SegmentTableModel(QAbstractTableModel):
    """Rows of :class:`BrowserRow`, brought up to date by each scan."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.rows: list[BrowserRow] = []

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: N802 - Qt API
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: N802 - Qt API
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> object:  # noqa: N802
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section]
        return None

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if not index.isValid():
            return None
        row = self.rows[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return row.text(index.column())
        if role == Qt.ItemDataRole.UserRole:
            return row.sort_key(index.column())
        if role == Qt.ItemDataRole.ToolTipRole:
            info = row.info
            return (f"{printable(info.path)}\n{info.size} bytes, {info.access_text} for you\n"
                    + ("\n".join(printable(f"pid {a.pid} {a.command}") for a in info.attached)
                       or "no process maps it"))
        if role == Qt.ItemDataRole.ForegroundRole and (row.info.deleted or not row.info.readable):
            return muted_color()
        if role == Qt.ItemDataRole.TextAlignmentRole and index.column() == 1:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def set_rows(self, rows: list[BrowserRow]) -> None:
        """Show a new scan. Rows that stay are updated in place; rows that went are
        removed and new ones added, never a reset: the selection, the scroll position
        and a double-click whose two clicks straddle a scan stay with their segment."""
        fresh = {r.info.name: r for r in rows}
        for i in reversed(range(len(self.rows))):
            if self.rows[i].info.name not in fresh:
                self.beginRemoveRows(QModelIndex(), i, i)
                del self.rows[i]
                self.endRemoveRows()
        kept = {r.info.name for r in self.rows}
        self.rows = [fresh[r.info.name] for r in self.rows]
        if self.rows:
            self.dataChanged.emit(self.index(0, 0), self.index(len(self.rows) - 1, len(COLUMNS) - 1))
        added = [r for r in fresh.values() if r.info.name not in kept]
        if added:
            self.beginInsertRows(QModelIndex(), len(self.rows), len(self.rows) + len(added) - 1)
            self.rows.extend(added)
            self.endInsertRows()


class _Bridge(QObject):
    """Carries a finished scan from the worker thread to the GUI thread."""

    scanned = Signal(object, object)


def _scan(bridge: _Bridge, layout_cache: LayoutCache) -> None:
    """The worker thread: scan, then hand the rows to the GUI thread through ``bridge``."""
    rows: list[BrowserRow] | None
    hidden: int | str  # how many processes were not looked into, or why the scan failed
    try:
        rows, hidden = scan_rows(layout_cache)
    except Exception as err:  # never let a scan kill the window; say what happened
        rows, hidden = None, f"scan failed: {err}"
    try:
        bridge.scanned.emit(rows, hidden)
    except RuntimeError:
        pass  # the window closed while we scanned: nobody to tell


class SegmentBrowser(QWidget):
    """The browser widget; put it in a dock. Emits ``openRequested(name)``."""

    openRequested = Signal(str)

    def __init__(self, parent: QWidget | None = None, *, interval_ms: int = 3000) -> None:
        super().__init__(parent)
        self.model = SegmentTableModel(self)
        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSourceModel(self.model)
        self.proxy.setSortRole(Qt.ItemDataRole.UserRole)
        self.proxy.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.proxy.setFilterKeyColumn(-1)  # any column: name, layout, owner, process

        self.filter_edit = QLineEdit()
        self.filter_edit.setPlaceholderText("Filter: name, layout, owner or process")
        self.filter_edit.setClearButtonEnabled(True)
        self.filter_edit.textChanged.connect(self.proxy.setFilterFixedString)

        self.view = QTableView()
        self.view.setModel(self.proxy)
        self.view.setSortingEnabled(True)
        self.view.sortByColumn(0, Qt.SortOrder.AscendingOrder)
        self.view.setSelectionBehavior(QTableView.SelectionBehavior.SelectRows)
        self.view.setSelectionMode(QTableView.SelectionMode.SingleSelection)
        self.view.setEditTriggers(QTableView.EditTrigger.NoEditTriggers)
        self.view.verticalHeader().hide()
        self.view.setTabKeyNavigation(False)  # Tab leaves the list; arrows move by rows
        # The name may be very long (anyone can name a segment): it gets a width of its
        # own, cut in the middle, so size, layout and who is attached stay in view, and
        # those come first after it.
        header = self.view.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Interactive)
        header.resizeSection(0, NAME_WIDTH)
        header.setStretchLastSection(True)
        header.setSectionsMovable(True)
        for visual, column in enumerate(KEY_ORDER):
            header.moveSection(header.visualIndex(COLUMNS.index(column)), visual)
        self.view.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        # Activation is a double-click (or a single one, where the platform says so)
        # and Enter; connecting doubleClicked as well opened every segment twice.
        self.view.activated.connect(self._activated)

        self.status = QLabel()
        self.status.setStyleSheet(f"color: {secondary_color().name()};")

        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addWidget(self.filter_edit)
        layout.addWidget(self.view, 1)
        layout.addWidget(self.status)

        self._layout_cache: LayoutCache = {}
        self._busy = False
        self.scan_count = 0
        # Not a child of this widget: a scan still running when the widget is deleted
        # must emit into a live object (emitting on a deleted one raised, or crashed
        # the process at exit). The thread holds its own reference.
        self._bridge = _Bridge()
        self._bridge.scanned.connect(self._show_scan)
        self.timer = QTimer(self)
        self.timer.setInterval(interval_ms)
        self.timer.timeout.connect(self.refresh)
        self.timer.start()
        self.refresh()

    def refresh(self) -> None:
        """Start a scan in the background unless one is running."""
        if self._busy:
            return
        self._busy = True
        threading.Thread(target=_scan, args=(self._bridge, self._layout_cache),
                         name="segment-scan", daemon=True).start()

    def _show_scan(self, rows: list[BrowserRow] | None, hidden: int | str) -> None:
        self._busy = False
        self.scan_count += 1
        if rows is None:
            self.status.setText(str(hidden))
            return
        self.model.set_rows(rows)
        note = f"{len(rows)} segment{'s' if len(rows) != 1 else ''}"
        if hidden:
            note += f"; {hidden} process{'es' if hidden != 1 else ''} could not be inspected"
        self.status.setText(note)

    def _activated(self, index: QModelIndex) -> None:
        row = self.model.rows[self.proxy.mapToSource(index).row()]
        if not row.info.deleted:
            self.openRequested.emit(row.info.name)
