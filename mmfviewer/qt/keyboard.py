"""Reaching every part of the window from the keyboard, and the list of every key.

The panes are, in order: the segment list, the hex view, the messages, the selected
message, the compose panel, the data inspector, the structures, the watches, the plot.
F6 and Shift+F6 go round the visible ones; Alt+1 to Alt+9 go straight to one (showing
its dock if it was hidden). Help ▸ Keyboard shortcuts lists the window's actions, read
from the actions themselves, and the hex view's own keys, so the list stays true.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QDialog,
    QHeaderView,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from .compose_panel import PANE_KEYS as COMPOSE_KEYS
from .hex_input import VIEW_KEYS
from .inspector_panel import PANE_KEYS as INSPECTOR_KEYS
from .plot_page import PANE_KEYS as PLOT_KEYS
from .structure_panel import PANE_KEYS as STRUCTURE_KEYS
from .watch_panel import PANE_KEYS as WATCH_KEYS

if TYPE_CHECKING:
    from .main_window import MainWindow

#: The panes, in the order F6 visits them; Alt+1 is the first.
PANES = ("segments", "hex", "messages", "details", "compose", "inspector", "structures", "watches", "plot")
PANE_TITLES = {"segments": "segment list", "hex": "hex view", "messages": "messages",
               "details": "selected message", "compose": "compose panel", "inspector": "data inspector",
               "structures": "structures", "watches": "watches", "plot": "plot"}


def pane_widget(window: MainWindow, pane: str) -> QWidget | None:
    """The whole of ``pane`` (None: no tab is open to have it)."""
    tab = window.current_tab()
    if pane == "segments":
        return window.browser
    if pane == "inspector":
        return window.inspector
    if tab is None:
        return None
    return tab.hex_view if pane == "hex" else tab.docked[pane]


def focus_pane(window: MainWindow, pane: str) -> bool:
    """Give ``pane`` the keyboard, showing its dock if needed; False if there is none."""
    widget = pane_widget(window, pane)
    if widget is None:
        return False
    dock = window.docks.docks.get(pane)
    if dock is not None:
        hidden = not dock.isVisible()
        dock.show()
        dock.raise_()  # the front one of docks tabbed together
        if hidden:
            window.docks.shown_by_user(pane)
    target = _first_focusable(_focus_home(window, pane, widget))
    if target is None:
        return False
    target.setFocus(Qt.FocusReason.OtherFocusReason)
    if isinstance(target, QAbstractItemView):
        model = target.model()
        if model is not None and not target.currentIndex().isValid() and model.rowCount():
            # A list reached by key has a row under the keyboard: the next key (W, Space,
            # Enter) acts on it, not on nothing.
            target.setCurrentIndex(model.index(0, 0))
    return True


def current_pane(window: MainWindow) -> str | None:
    """Which pane holds the keyboard now."""
    focus = QApplication.focusWidget()
    for pane in PANES:
        widget = pane_widget(window, pane)
        if focus is not None and widget is not None and (focus is widget or widget.isAncestorOf(focus)):
            return pane
    return None


def cycle_panes(window: MainWindow, step: int) -> str | None:
    """Move the keyboard to the next (``step`` 1) or previous (-1) visible pane."""
    visible = [p for p in PANES if (w := pane_widget(window, p)) is not None and w.isVisible()
               and _first_focusable(_focus_home(window, p, w)) is not None]  # e.g. no messages on raw bytes
    if not visible:
        return None
    here = current_pane(window)
    index = visible.index(here) + step if here in visible else (0 if step > 0 else -1)
    pane = visible[index % len(visible)]
    focus_pane(window, pane)
    return pane


def _focus_home(window: MainWindow, pane: str, widget: QWidget) -> QWidget:
    """Where the keyboard lands in ``pane``: a list rather than its filter box."""
    tab = window.current_tab()
    if pane == "segments":
        return window.browser.view
    if pane == "messages" and tab is not None and tab.messages.stack.currentIndex() == 0:
        return tab.messages.table
    if pane == "structures" and tab is not None and tab.session.overlays:
        return tab.structures.tree
    if pane == "watches" and tab is not None and len(tab.watching.watches):
        return tab.watching.panel.view
    return widget


def _first_focusable(widget: QWidget) -> QWidget | None:
    """``widget`` if it takes the keyboard, else its first child in the focus chain
    that does (shown and enabled)."""
    def takes(w: QWidget) -> bool:
        return bool(w.focusPolicy() & Qt.FocusPolicy.TabFocus) and w.isVisible() and w.isEnabled()
    if takes(widget):
        return widget
    child = widget.nextInFocusChain()
    while child is not None and child is not widget and widget.isAncestorOf(child):
        if takes(child):
            return child
        child = child.nextInFocusChain()
    return next((w for w in widget.findChildren(QWidget) if takes(w)), None)


def shortcut_rows(window: MainWindow) -> list[tuple[str, str]]:
    """(keys, what they do) for every action with a shortcut, then each pane's own keys,
    declared beside the code that handles them."""
    rows = []
    for action in window.actions():
        keys = [k.toString(QKeySequence.SequenceFormat.NativeText) for k in action.shortcuts()]
        if keys:
            rows.append((", ".join(keys), action.text().replace("&", "").rstrip("…")))
    for pane, pane_keys in (("hex", VIEW_KEYS), ("compose", COMPOSE_KEYS), ("inspector", INSPECTOR_KEYS),
                            ("structures", STRUCTURE_KEYS), ("watches", WATCH_KEYS), ("plot", PLOT_KEYS)):
        rows += [(keys, f"{PANE_TITLES[pane]}: {what}") for keys, what in pane_keys]
    return rows


class ShortcutsDialog(QDialog):
    """Help ▸ Keyboard shortcuts: every key, from the actions themselves."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.setWindowTitle("Keyboard shortcuts")
        rows = shortcut_rows(window)
        self.table = QTableWidget(len(rows), 2)
        self.table.setHorizontalHeaderLabels(["Keys", "Does"])
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.setTabKeyNavigation(False)
        for row, (keys, what) in enumerate(rows):
            self.table.setItem(row, 0, QTableWidgetItem(keys))
            self.table.setItem(row, 1, QTableWidgetItem(what))
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        box = QVBoxLayout(self)
        box.addWidget(self.table)
        self.resize(620, 560)
