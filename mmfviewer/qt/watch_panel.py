"""The watch list: watched values in a table, with their extremes, rate and last change.

:class:`WatchPanel` shows a :class:`mmfviewer.watches.WatchList`; the integrator
samples the list each tick and then calls :meth:`WatchPanel.update_from`::

    watches.sample(now, readings)
    watch_panel.update_from(watches, now)

The table's model (:mod:`~mmfviewer.qt.watch_model`) changes only the cells whose
text changed, and lights up a value that changed; "Last change" counts on between
ticks too (a paused refresh still ages it).
"""

from __future__ import annotations

import re
import time

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QFontMetricsF, QHideEvent, QKeyEvent, QKeySequence, QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFileDialog,
    QHeaderView,
    QLabel,
    QStackedWidget,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from ..watches import WatchList
from .style import monospace_font, note_label, secondary_color, set_status
from .watch_model import COLUMNS, LAST_CHANGE, MAX, MIN, NAME, PLOT, RATE, VALUE, WatchModel, WatchRow
from .watch_model import rate_text as rate_text

#: What the empty list says.
EMPTY_TEXT = ("No watches yet.\n\nRight-click a field in the structure dock or a row of the inspector "
              "and choose Watch.")
#: "Last change" goes on counting when no tick came for this long (refresh paused).
AGEING_SECONDS = 0.25


#: The dock's own keys, for Help ▸ Keyboard shortcuts.
PANE_KEYS = (("Space, P", "plot the selected watches (or stop)"), ("Delete, Backspace", "remove the selected watches"))


class WatchPanel(QWidget):
    """The watch list: Name, Value, Min, Max, Rate /s, Last change and a Plot box.

    Feed it with :meth:`update_from` every tick. It removes watches itself (Delete,
    or the context menu) from the list it was last given and says so with
    :attr:`removed`; ticking Plot says :attr:`plotToggled` (and so does a plotted
    watch that goes away, with False): connect that to the plot with
    ``plot.set_plotted(panel.plotted_keys())``.
    """

    #: (key, plotted): the user ticked or cleared a watch's Plot box.
    plotToggled = Signal(str, bool)
    #: (key): the user removed a watch (it is gone from the watch list already).
    removed = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._watches: WatchList | None = None
        self._clock_offset = 0.0  # the caller's clock minus time.monotonic()
        self._fed_at = -1.0  # time.monotonic() of the last update_from

        # Kept as attributes: PySide frees a model nobody in Python references.
        self.model = WatchModel(self)
        self.model.set_palette(self.palette())
        self.model.plotChanged.connect(self.plotToggled)
        self.view = QTableView(self)
        self.view.setModel(self.model)
        self._setup_view()
        self._setup_actions()

        self.empty_label = note_label(EMPTY_TEXT)
        self.empty_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty_label.setMargin(12)
        self._dim_empty_label()
        self.stack = QStackedWidget(self)
        self.stack.addWidget(self.empty_label)
        self.stack.addWidget(self.view)

        self.status = QLabel(self)
        self.status.setWordWrap(True)
        self.status.hide()

        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.setSpacing(2)
        layout.addWidget(self.stack)
        layout.addWidget(self.status)

        # "Last change" goes on counting while no tick comes (refresh paused).
        self._ageing = QTimer(self)
        self._ageing.setInterval(100)
        self._ageing.timeout.connect(self._age)

    def _setup_view(self) -> None:
        view = self.view
        view.installEventFilter(self)
        view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        view.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        view.setAlternatingRowColors(True)
        view.setWordWrap(False)
        view.setTextElideMode(Qt.TextElideMode.ElideMiddle)  # "-2.48…e-05" keeps the exponent
        view.setCornerButtonEnabled(False)
        view.verticalHeader().hide()
        rows = view.verticalHeader()
        rows.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        rows.setDefaultSectionSize(max(view.fontMetrics().height(), 12) + 8)
        columns = view.horizontalHeader()
        columns.setHighlightSections(False)
        columns.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        columns.setStretchLastSection(False)
        # Widths from the fonts, not from the values: a value that grows a digit must
        # not make every column jump on a live tick. Name and Value share what is left
        # (_fit_columns); in a dock too narrow for their least, the table scrolls.
        digit = view.fontMetrics().horizontalAdvance("0")
        mono = QFontMetricsF(monospace_font()).horizontalAdvance("0")
        pad = 12
        widths = {NAME: 12 * digit, VALUE: 12 * mono, MIN: 9 * mono, MAX: 9 * mono, RATE: 10 * mono,
                  LAST_CHANGE: view.fontMetrics().horizontalAdvance("0.0 min ago") + 2 * digit,
                  PLOT: view.fontMetrics().horizontalAdvance(COLUMNS[PLOT]) + 3 * digit}
        self._least = {column: int(width) + pad for column, width in widths.items()}
        self._value_most = int(28 * mono) + pad
        columns.setMinimumSectionSize(4 * digit)
        for column, width in self._least.items():
            columns.setSectionResizeMode(column, QHeaderView.ResizeMode.Interactive)
            view.setColumnWidth(column, width)
        view.viewport().installEventFilter(self)  # its width is what the columns share

    def _fit_columns(self) -> None:
        """Share the room the other columns leave: Value, Min and Max grow alike (they
        show the same kind of text) up to a long float's width; Name takes the rest."""
        view, least = self.view, self._least
        growing = (VALUE, MIN, MAX)
        others = sum(view.columnWidth(c) for c in range(len(COLUMNS)) if c not in (NAME, *growing))
        extra = max(0, view.viewport().width() - others - sum(least[c] for c in (NAME, *growing)))
        each = max(0, min(extra // 5, self._value_most - least[VALUE]))  # Name gets at least two shares
        widths = {c: least[c] + each for c in growing}
        widths[NAME] = least[NAME] + extra - len(growing) * each
        for column, width in widths.items():
            if view.columnWidth(column) != width:
                view.setColumnWidth(column, width)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.view.viewport() and event.type() == QEvent.Type.Resize:
            self._fit_columns()
        if (watched is self.view and event.type() in (QEvent.Type.ShortcutOverride, QEvent.Type.KeyPress)
                and isinstance(event, QKeyEvent) and event.key() in (Qt.Key.Key_Space, Qt.Key.Key_P)
                and not event.modifiers()):
            # Space or P plots the selected rows from any column (the box is far right).
            event.accept()
            if event.type() == QEvent.Type.KeyPress:
                self._toggle_plot_selected()
            return True
        return super().eventFilter(watched, event)

    def _setup_actions(self) -> None:
        view = self.view
        self.plot_action = QAction("Plot", view)
        self.plot_action.setShortcut(QKeySequence(Qt.Key.Key_Space))  # shown in the menu; the key is
        self.plot_action.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)  # taken in eventFilter
        self.plot_action.triggered.connect(self._toggle_plot_selected)
        self.export_action = QAction("Export to CSV…", view)
        self.export_action.triggered.connect(self._export_current)
        separator = QAction(view)
        separator.setSeparator(True)
        self.remove_action = QAction("Remove", view)
        self.remove_action.setShortcuts([QKeySequence(QKeySequence.StandardKey.Delete),
                                         QKeySequence(Qt.Key.Key_Backspace)])
        # Only while the table has focus: Delete elsewhere (the hex view) is theirs.
        self.remove_action.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
        self.remove_action.triggered.connect(self.remove_selected)
        for action in (self.plot_action, self.export_action, separator, self.remove_action):
            view.addAction(action)
        view.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)
        view.selectionModel().currentChanged.connect(self._update_actions)
        view.selectionModel().selectionChanged.connect(self._update_actions)
        self.model.plotChanged.connect(self._update_actions)
        self._update_actions()

    # -- feeding

    def update_from(self, watches: WatchList, now: float) -> None:
        """Show ``watches`` as of ``now`` (``time.monotonic()``, as the samples):
        rows for new and removed watches, and the cells whose text changed."""
        self._watches = watches
        self._clock_offset = now - time.monotonic()
        self._fed_at = time.monotonic()
        self._refresh(now)

    def _refresh(self, now: float) -> None:
        assert self._watches is not None
        rows_before = self.model.rowCount()
        self.model.sync(self._watches, now)
        if self.model.rowCount() != rows_before:
            self._show_empty_state()
            self._update_actions()
        if self.model.rowCount() and self.isVisible() and not self._ageing.isActive():
            self._ageing.start()

    def _age(self) -> None:
        if self._watches is None or not self.model.rowCount() or not self.isVisible():
            self._ageing.stop()
            return
        if time.monotonic() - self._fed_at >= AGEING_SECONDS:
            self._refresh(time.monotonic() + self._clock_offset)

    def _show_empty_state(self) -> None:
        page = self.view if self.model.rowCount() else self.empty_label
        if self.stack.currentWidget() is not page:
            self.stack.setCurrentWidget(page)

    # -- plotting

    def set_plotted(self, key: str, on: bool = True) -> None:
        """Tick or clear the Plot box of ``key`` (emits :attr:`plotToggled` if it changed)."""
        self.model.set_plotted(key, on)

    def plotted_keys(self) -> list[str]:
        """The watches whose Plot box is ticked, in table order."""
        return [r.key for r in self.model.rows if r.key in self.model.plotted]

    def _selected_keys(self) -> list[str]:
        rows = sorted({index.row() for index in self.view.selectionModel().selectedRows()})
        if not rows and self.view.currentIndex().isValid():
            rows = [self.view.currentIndex().row()]
        return [self.model.rows[r].key for r in rows if r < len(self.model.rows)]

    def _current_row(self) -> WatchRow | None:
        current = self.view.currentIndex()
        return self.model.rows[current.row()] if current.isValid() and current.row() < len(self.model.rows) else None

    def _toggle_plot_selected(self) -> None:
        current = self._current_row()
        if current is None:
            return
        on = current.key not in self.model.plotted  # the menu said "Plot" or "Don't plot" for this row
        for key in self._selected_keys():
            self.model.set_plotted(key, on)

    def _update_actions(self, *_: object) -> None:
        current = self._current_row()
        numeric = current is not None and current.numeric
        self.plot_action.setEnabled(numeric)
        self.plot_action.setText("Don't plot" if current is not None and current.key in self.model.plotted
                                 else "Plot")
        self.export_action.setEnabled(numeric)
        self.remove_action.setEnabled(current is not None)

    # -- removing

    def remove(self, key: str) -> None:
        """Remove the watch ``key`` from the list and the table; emits :attr:`removed`."""
        if self._watches is None or self._watches.remove(key) is None:
            return
        self.model.sync(self._watches, time.monotonic() + self._clock_offset)
        self._show_empty_state()
        self._update_actions()
        self.removed.emit(key)

    def remove_selected(self) -> None:
        """Remove the selected watches (the current one when none is selected)."""
        for key in self._selected_keys():
            self.remove(key)

    # -- exporting

    def export_csv(self, key: str, path: str) -> int:
        """Write every stored sample of ``key`` to the CSV file ``path`` (see
        :meth:`mmfviewer.watches.Watch.write_csv`); returns how many. Raises
        ``KeyError`` for an unknown watch, ``OSError`` when the file cannot be written."""
        watch = self._watches.get(key) if self._watches is not None else None
        if watch is None:
            raise KeyError(key)
        with open(path, "w", newline="", encoding="utf-8") as file:
            return watch.write_csv(file)

    def _export_current(self) -> None:
        current = self._current_row()
        if current is None or not current.numeric:
            return
        suggested = re.sub(r"[^\w.@-]+", "_", current.label).strip("_") or "watch"
        path, _ = QFileDialog.getSaveFileName(self, "Export to CSV", f"{suggested}.csv", "CSV files (*.csv)")
        if not path:
            return
        try:
            count = self.export_csv(current.key, path)
        except (OSError, KeyError) as err:
            set_status(self.status, f"Could not export {current.label}: {err}", False)
        else:
            set_status(self.status, f"Exported {count} samples of {current.label} to {path}", True)
        self.status.show()

    # -- Qt events

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.PaletteChange:
            self.model.set_palette(self.palette())
            self._dim_empty_label()
        super().changeEvent(event)

    def showEvent(self, event: QShowEvent) -> None:
        if self.model.rowCount():
            self._ageing.start()
        super().showEvent(event)

    def hideEvent(self, event: QHideEvent) -> None:
        self._ageing.stop()
        super().hideEvent(event)

    def _dim_empty_label(self) -> None:
        self.empty_label.setStyleSheet(f"QLabel {{ color: {secondary_color(self.palette()).name()}; }}")
