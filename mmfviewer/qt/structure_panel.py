"""The structure dock: the overlays applied to the tab's segment, as a live tree.

Buttons (and keys) add, edit and remove overlays and export an overlay's header. A
click on a field selects its bytes in the hex view; in a read-write tab a value is
edited in place (F2 or a double-click) and written with undo. Right-click a field to
watch it.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QEvent, QModelIndex, QObject, QPoint, QRect, Qt, Signal
from PySide6.QtGui import QAction, QKeyEvent, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QMenu,
    QPushButton,
    QTreeView,
    QVBoxLayout,
    QWidget,
)

from ..structure_overlays import LiveOverlay, OverlayState
from .structure_model import CHANGED, FIELD, OFFSET, SIZE, TYPE, VALUE, StructureModel
from .style import note_label

EMPTY_TEXT = ("No structure applied. Apply a C struct to these bytes with Add… (or right-click in the hex "
              "view ▸ Apply structure here): paste the header the programs share, pick the type and the "
              "offset, and every field shows live.")


#: The dock's own keys, for Help ▸ Keyboard shortcuts.
PANE_KEYS = (("W", "watch the field under the cursor"), ("F2", "edit the field's value (read-write)"),
             ("Delete", "remove the overlay"))


class StructurePanel(QWidget):
    """The overlays of one tab. The tab owns the overlays; the panel shows them."""

    addRequested = Signal()            # Add… (the tab opens the dialog at the cursor)
    editRequested = Signal(int)        # Edit… overlay number
    removeRequested = Signal(int)      # Remove overlay number
    exportRequested = Signal(int)      # Export header… overlay number
    fieldSelected = Signal(object, object)  # (offset, length) of the clicked field's bytes
    watchRequested = Signal(object, int)    # (overlay, row)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = StructureModel(self)
        self._painted_second = -1
        self.tree = QTreeView()
        self.tree.setModel(self.model)
        self.tree.setUniformRowHeights(True)  # a thousand rows scroll and repaint fast
        self.tree.setAlternatingRowColors(True)
        self.tree.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.tree.setEditTriggers(QAbstractItemView.EditTrigger.DoubleClicked
                                  | QAbstractItemView.EditTrigger.EditKeyPressed)
        self.tree.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.tree.customContextMenuRequested.connect(self._context_menu)
        self.tree.clicked.connect(self._clicked)
        self.tree.activated.connect(self._clicked)
        header = self.tree.header()
        header.setStretchLastSection(False)
        for column, mode in ((FIELD, QHeaderView.ResizeMode.Interactive), (TYPE, QHeaderView.ResizeMode.Interactive),
                             (OFFSET, QHeaderView.ResizeMode.ResizeToContents),
                             (SIZE, QHeaderView.ResizeMode.Interactive),
                             (VALUE, QHeaderView.ResizeMode.Stretch), (CHANGED, QHeaderView.ResizeMode.Interactive)):
            header.setSectionResizeMode(column, mode)
        header.resizeSection(FIELD, 150)
        header.resizeSection(TYPE, 110)
        header.resizeSection(SIZE, 56)  # room between the size and the value
        header.resizeSection(CHANGED, 70)

        self.add_button = QPushButton("&Add…")
        self.add_button.setToolTip("Apply a C structure at the hex view's cursor")
        self.edit_button = QPushButton("&Edit…")
        self.remove_button = QPushButton("&Remove")
        self.export_button = QPushButton("E&xport .h…")
        self.export_button.setToolTip("Save the overlay's C header to a file")
        self.add_button.clicked.connect(self.addRequested)
        self.edit_button.clicked.connect(lambda: self._with_overlay(self.editRequested.emit))
        self.remove_button.clicked.connect(lambda: self._with_overlay(self.removeRequested.emit))
        self.export_button.clicked.connect(lambda: self._with_overlay(self.exportRequested.emit))
        remove = QAction("Remove overlay", self.tree)
        remove.setShortcut(QKeySequence.StandardKey.Delete)
        remove.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
        remove.triggered.connect(lambda: self._with_overlay(self.removeRequested.emit))
        self.tree.addAction(remove)
        # W watches the current field: taken before the tree's type-to-search sees it.
        self.tree.installEventFilter(self)

        buttons = QHBoxLayout()
        for button in (self.add_button, self.edit_button, self.remove_button, self.export_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        self.empty_note = note_label(EMPTY_TEXT)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(4, 4, 4, 4)
        outer.addLayout(buttons)
        outer.addWidget(self.empty_note)
        outer.addWidget(self.tree, 1)
        self._update_buttons()

    def set_overlays(self, overlays: list[LiveOverlay], *, writable: bool) -> None:
        """Show these overlays; their fields' values are editable when ``writable``."""
        self.model.writable = writable
        self.model.set_overlays(overlays)
        for i in range(len(overlays)):
            top = self.model.index(i, 0)
            self.tree.expand(top)
            if self.model.rowCount(top) <= 64:  # a struct's members in sight; a big array stays folded
                for r in range(self.model.rowCount(top)):
                    self.tree.expand(self.model.index(r, 0, top))
        self._update_buttons()

    def show_states(self, states: tuple[OverlayState, ...], now: float) -> None:
        """A tick's readings (nothing repaints when the dock is hidden)."""
        if not self.model.overlays:
            return
        self.model.show_states(states, now)
        if not self.tree.isVisible():
            return
        second = int(now)
        if self.model.lively(now) or second != self._painted_second:
            self._painted_second = second
            # Only the live columns: the names, types and offsets never change.
            header = self.tree.header()
            left = header.sectionViewportPosition(VALUE)
            self.tree.viewport().update(QRect(left, 0, self.tree.viewport().width() - left,
                                              self.tree.viewport().height()))

    def current_overlay(self) -> int | None:
        """The overlay of the selected row (the only one if there is one)."""
        index = self.tree.currentIndex()
        if index.isValid():
            return self.model.field(index)[0]
        return 0 if len(self.model.overlays) == 1 else None

    def _with_overlay(self, emit: Callable[[int], object]) -> None:
        overlay = self.current_overlay()
        if overlay is not None:
            emit(overlay)

    def _update_buttons(self) -> None:
        has = bool(self.model.overlays)
        for button in (self.edit_button, self.remove_button, self.export_button):
            button.setEnabled(has)
        self.empty_note.setVisible(not has)
        self.tree.setVisible(has)

    def _clicked(self, index: QModelIndex) -> None:
        overlay, row = self.model.field(index)
        live = self.model.overlays[overlay]
        if row is None:
            self.fieldSelected.emit(live.spec.offset, live.table.span)
            return
        f = live.table.rows[row]
        self.fieldSelected.emit(live.spec.offset + f.offset, max(1, f.byte_span))

    def _watch_current(self) -> None:
        index = self.tree.currentIndex()
        if index.isValid():
            overlay, row = self.model.field(index)
            if row is not None and self.model.overlays[overlay].table.rows[row].is_leaf:
                self.watchRequested.emit(self.model.overlays[overlay], row)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt's name)
        if (watched is self.tree and event.type() in (QEvent.Type.ShortcutOverride, QEvent.Type.KeyPress)
                and isinstance(event, QKeyEvent) and event.key() == Qt.Key.Key_W
                and not event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier
                and self.tree.state() != QAbstractItemView.State.EditingState):
            event.accept()
            if event.type() == QEvent.Type.KeyPress:
                self._watch_current()
            return True
        return super().eventFilter(watched, event)

    def _context_menu(self, pos: QPoint) -> None:
        index = self.tree.indexAt(pos)
        menu = QMenu(self)
        if index.isValid():
            overlay, row = self.model.field(index)
            live = self.model.overlays[overlay]
            if row is not None and live.table.rows[row].is_leaf:
                watch = menu.addAction("&Watch this field", lambda: self.watchRequested.emit(live, row))
                watch.setShortcut(QKeySequence(Qt.Key.Key_W))  # shown; the key is taken in eventFilter
                if self.model.writable:
                    menu.addAction("Edit &value", lambda: self.tree.edit(index.siblingAtColumn(VALUE)))
                menu.addSeparator()
            menu.addAction("E&dit overlay…", lambda: self.editRequested.emit(overlay))
            menu.addAction("E&xport header…", lambda: self.exportRequested.emit(overlay))
            menu.addAction("&Remove overlay", lambda: self.removeRequested.emit(overlay))
            menu.addSeparator()
        menu.addAction("&Add structure…", self.addRequested.emit)
        menu.exec(self.tree.viewport().mapToGlobal(pos))
