"""The main window's commands: actions with their shortcuts, the menus (with Open
recent), the toolbar, and which commands the tab in front allows.

Every action is added to the window itself, so its shortcut works even when the
menu bar is hidden.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import QComboBox, QLabel, QStyle

from ..names import parse_name, printable
from ..segment import Segment
from .keyboard import PANE_TITLES, PANES, ShortcutsDialog, cycle_panes, focus_pane

if TYPE_CHECKING:
    from .hex_view import HexView
    from .main_window import MainWindow
    from .segment_tab import SegmentTab

RECENT_MAX = 10
REFRESH_CHOICES = [16, 50, 100, 250, 500, 1000, 5000]
BYTES_PER_ROW_MENU = (0, 8, 16, 32, 64)  # 0: Auto, as many as fit the width


def rate_text(ms: int) -> str:
    """A refresh interval as the menus show it."""
    return f"{ms} ms" if ms < 1000 else f"{ms // 1000} s"


def rate_index(ms: int) -> int:
    """The refresh choice nearest to ``ms``."""
    return min(range(len(REFRESH_CHOICES)), key=lambda i: abs(REFRESH_CHOICES[i] - ms))


class WindowActions:
    """Builds ``window``'s actions, menus and toolbar, and keeps them in step with it."""

    def __init__(self, window: MainWindow) -> None:
        self._window = window
        self._build_actions()
        self._build_menus()
        self._build_toolbar()

    # ------------------------------------------------------------------ state

    def update(self, tab: SegmentTab | None) -> None:
        """Enable what the tab in front (if any) allows."""
        has_tab = tab is not None
        writable = tab is not None and not tab.segment.readonly
        for action in (self.close, self.goto, self.find, self.find_next, self.find_previous, self.toggle_column,
                       self.pause, self.refresh_now, self.zoom_in, self.zoom_out, *self.copy.values()):
            action.setEnabled(has_tab)
        self.undo.setEnabled(writable)
        self.redo.setEnabled(writable)
        self.reopen_read_write.setEnabled(has_tab and not writable)

    def remember(self, segment: Segment) -> None:
        """Put ``segment`` first in Open recent."""
        # Stored escaped: Qt's settings drop bytes that are not UTF-8, and the menu
        # shows the entries; parse_name reads them back.
        entry = (f"name:{printable(segment.name)}" if segment.name is not None
                 else f"file:{printable(segment.path)}")
        recent = [r for r in self.recent() if r != entry]
        self._window.settings.setValue("recent", [entry, *recent][:RECENT_MAX])

    # ------------------------------------------------------------------ building

    def _action(self, text: str, slot: Callable[[], object], shortcut: QKeySequence | str | None = None,
                *, tip: str = "", checkable: bool = False) -> QAction:
        action = QAction(text, self._window)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        if tip:
            action.setStatusTip(tip)
            action.setToolTip(tip)
        action.setCheckable(checkable)
        action.triggered.connect(lambda *_: slot())
        self._window.addAction(action)  # shortcuts work even when the menu bar is hidden
        return action

    def _on_view(self, call: Callable[[HexView], object]) -> Callable[[], None]:
        """A slot that calls ``call`` with the hex view in front, if a tab is open."""
        def run() -> None:
            tab = self._window.current_tab()
            if tab is not None:
                call(tab.hex_view)
        return run

    def _zoom(self, view: HexView, step: int) -> None:
        if step > 0:
            view.zoom_in()
        else:
            view.zoom_out()
        self._window.settings.setValue("zoom", view.zoom())

    def _build_actions(self) -> None:
        w, a = self._window, self._action
        self.open = a("&Open mapping…", w.open_dialog, "Ctrl+O",
                      tip="Open or create a named shared-memory segment")
        self.open_file = a("Open &file-backed mapping…", lambda: w.open_dialog(file_backed=True),
                           "Ctrl+Shift+O", tip="Map a file, as .NET programs on Linux share memory")
        self.close = a("&Close", w.close_current, "Ctrl+W", tip="Close this tab")
        self.reopen_read_write = a("Reopen read-&write", w.reopen_read_write, "Ctrl+Shift+W",
                                   tip="Reopen this segment read-write, to edit bytes and send messages")
        self.quit = a("&Quit", w.close, "Ctrl+Q")
        self.copy: dict[str | None, QAction] = {
            None: a("&Copy", lambda: w.copy_as(None), "Ctrl+C",
                    tip="Copy the selection as the cursor's column shows it: hex, or text"),
            "hex": a("Copy as &hex", lambda: w.copy_as("hex")),
            "text": a("Copy as &text", lambda: w.copy_as("text")),
            "hexdump": a("Copy as hex&dump", lambda: w.copy_as("hexdump"), "Ctrl+Shift+C"),
            "c": a("Copy as &C array", lambda: w.copy_as("c")),
            "python": a("Copy as &Python bytes", lambda: w.copy_as("python")),
        }
        self.undo = a("&Undo", self._on_view(lambda view: view.undo_stack.undo()), "Ctrl+Z")
        self.redo = a("&Redo", self._on_view(lambda view: view.undo_stack.redo()), "Ctrl+Y")
        self.goto = a("&Go to offset…", w.goto_dialog, "Ctrl+G", tip="Jump to an offset (hex or decimal)")
        self.find = a("&Find…", w.show_find_bar, "Ctrl+F", tip="Find hex bytes or text")
        self.find_next = a("Find &next", lambda: w.find_next(forward=True), "F3")
        self.find_previous = a("Find pre&vious", lambda: w.find_next(forward=False), "Shift+F3")
        self.zoom_in = a("Zoom &in", self._on_view(lambda view: self._zoom(view, 1)), "Ctrl++")
        self.zoom_out = a("Zoom &out", self._on_view(lambda view: self._zoom(view, -1)), "Ctrl+-")
        self.pause = a("&Pause live refresh", w.toggle_pause, "Ctrl+P", checkable=True,
                       tip="Stop refreshing this segment (the view stays as it is)")
        self.refresh_now = a("Refresh &now", w.refresh_now, "F5")
        self.toggle_column = a("Switch &hex/text column", self._on_view(lambda view: view.toggle_column()),
                               "Ctrl+T", tip="Move the cursor between the hex and the text column")
        self.next_tab = a("Ne&xt tab", lambda: w.switch_tab(1), "Ctrl+Tab")
        self.next_tab.setShortcuts([QKeySequence("Ctrl+Tab"), QKeySequence("Ctrl+PgDown")])
        self.previous_tab = a("Pre&vious tab", lambda: w.switch_tab(-1), "Ctrl+Shift+Tab")
        self.previous_tab.setShortcuts([QKeySequence("Ctrl+Shift+Tab"), QKeySequence("Ctrl+PgUp")])
        self.next_pane = a("Next &pane", lambda: cycle_panes(w, 1), "F6")
        self.previous_pane = a("Previous pa&ne", lambda: cycle_panes(w, -1), "Shift+F6")
        self.focus = {pane: a(f"Go to the {PANE_TITLES[pane]}", functools.partial(focus_pane, w, pane), f"Alt+{i}")
                      for i, pane in enumerate(PANES, 1)}
        self.shortcuts = a("&Keyboard shortcuts", lambda: ShortcutsDialog(w).exec(), "F1")
        self.reset_layout = a("&Reset layout", w.docks.reset,
                              tip="Put the docks back where they start for this kind of segment")
        self.about = a("&About mmfviewer", w.about)
        style = w.style()
        for action, icon in ((self.open, QStyle.StandardPixmap.SP_DialogOpenButton),
                             (self.close, QStyle.StandardPixmap.SP_DialogCloseButton),
                             (self.goto, QStyle.StandardPixmap.SP_ArrowForward),
                             (self.find, QStyle.StandardPixmap.SP_FileDialogContentsView),
                             (self.pause, QStyle.StandardPixmap.SP_MediaPause)):
            action.setIcon(style.standardIcon(icon))

    def _build_menus(self) -> None:
        w = self._window
        menu = w.menuBar().addMenu("&File")
        menu.addActions([self.open, self.open_file])
        self.recent_menu = menu.addMenu("Open &recent")
        self.recent_menu.aboutToShow.connect(self._fill_recent)
        menu.addSeparator()
        menu.addActions([self.reopen_read_write, self.close, self.quit])

        menu = w.menuBar().addMenu("&Edit")
        menu.addActions([self.undo, self.redo])
        menu.addSeparator()
        menu.addActions(list(self.copy.values()))
        menu.addSeparator()
        menu.addActions([self.goto, self.find, self.find_next, self.find_previous])
        menu.addSeparator()
        menu.addAction(self.toggle_column)

        menu = w.menuBar().addMenu("&View")
        rows = menu.addMenu("&Bytes per row")
        self.rows = self._choices(rows, BYTES_PER_ROW_MENU, lambda n: str(n) if n else "&Auto (fit the width)",
                                  w.set_bytes_per_row, w.bytes_per_row)
        menu.addActions([self.zoom_in, self.zoom_out])
        menu.addSeparator()
        menu.addActions([self.pause, self.refresh_now])
        rates = menu.addMenu("Refresh &interval")
        self.rates = self._choices(rates, REFRESH_CHOICES, rate_text, w.set_refresh_ms, w.refresh_ms)
        menu.addSeparator()
        menu.addActions([dock.toggleViewAction() for dock in w.docks.docks.values()])
        menu.addAction(self.reset_layout)
        menu.addSeparator()
        menu.addActions([self.next_tab, self.previous_tab, self.next_pane, self.previous_pane])
        menu.addActions(list(self.focus.values()))

        menu = w.menuBar().addMenu("&Help")
        menu.addActions([self.shortcuts, self.about])

    def _choices(self, menu: object, values: tuple[int, ...] | list[int], text: Callable[[int], str],
                 choose: Callable[[int], None], current: int) -> dict[int, QAction]:
        """One checkable action per value, exclusive, in ``menu``."""
        group = QActionGroup(self._window)
        actions = {}
        for value in values:
            action = self._action(text(value), functools.partial(choose, value), checkable=True)
            action.setChecked(value == current)
            group.addAction(action)
            menu.addAction(action)  # type: ignore[attr-defined]
            actions[value] = action
        return actions

    def _build_toolbar(self) -> None:
        w = self._window
        toolbar = w.addToolBar("Main")
        toolbar.setObjectName("main_toolbar")
        toolbar.setMovable(False)
        toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        toolbar.addActions([self.open, self.close])
        toolbar.addSeparator()
        toolbar.addActions([self.goto, self.find])
        toolbar.addSeparator()
        toolbar.addAction(self.pause)
        self.rate_combo = QComboBox()
        self.rate_combo.setToolTip("How often the open segment is read and redrawn")
        for ms in REFRESH_CHOICES:
            self.rate_combo.addItem(rate_text(ms), ms)
        self.rate_combo.setCurrentIndex(rate_index(w.refresh_ms))
        self.rate_combo.activated.connect(lambda i: w.set_refresh_ms(self.rate_combo.itemData(i)))
        toolbar.addWidget(QLabel(" Refresh: "))
        toolbar.addWidget(self.rate_combo)

    # ------------------------------------------------------------------ open recent

    def recent(self) -> list[str]:
        """Open recent's entries, newest first (escaped names, "name:" or "file:")."""
        value = self._window.settings.value("recent") or []
        return [value] if isinstance(value, str) else list(value)

    def _fill_recent(self) -> None:
        w, menu = self._window, self.recent_menu
        menu.clear()
        entries = self.recent()
        if not entries:
            menu.addAction("(nothing yet)").setEnabled(False)
            return
        for entry in entries:
            kind, _, shown = entry.partition(":")
            action = menu.addAction(shown if kind == "name" else f"{shown} (file)")
            target = parse_name(shown)
            action.triggered.connect(
                lambda *_, k=kind, t=target: w.open_name(t) if k == "name" else w.open_file(t))
        menu.addSeparator()
        menu.addAction("Clear list").triggered.connect(lambda: w.settings.setValue("recent", []))
