"""The window's docks around the bytes, and their arrangement for each kind of segment.

The hex view is the centre. Around it: the segment list, the data inspector, and the
tab in front's messages, selected message and compose panel (each dock holds one
page per tab and shows the front tab's). Docks move, tab together, float and hide.

Raw bytes want the room for the hex view; a channel wants its messages below it.
So there is one arrangement per kind — "raw", "value" (a mailbox, text, a .NET
value, a ShareableList), "channel", and "none" (no segment open) — each a sensible
default until the user changes it, then the user's, remembered in the settings.
View ▸ Reset layout goes back to the default of the kind in front.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QByteArray, Qt, QTimer
from PySide6.QtWidgets import QDockWidget, QFrame, QMainWindow, QScrollArea, QStackedWidget, QWidget

if TYPE_CHECKING:
    from .main_window import MainWindow
    from .segment_tab import SegmentTab

#: The docks, by key, with their titles.
TITLES = {"segments": "Segments", "inspector": "Data inspector", "messages": "Messages",
          "details": "Selected message", "compose": "Compose", "structures": "Structures",
          "watches": "Watches", "plot": "Plot"}
#: The docks that hold one page per tab.
PER_TAB = ("messages", "details", "compose", "structures", "watches", "plot")
#: Which docks each arrangement shows by default.
SHOWN = {
    "none": {"segments", "inspector"},
    "raw": {"segments", "inspector"},  # the hex view takes the room; compose when asked for
    "value": {"segments", "inspector", "messages"},  # the value below the bytes; compose when asked for
    "channel": {"segments", "inspector", "messages", "details", "compose"},
}
#: The default share of the window's height the bottom docks take (the hex view keeps
#: the rest: more than half).
BOTTOM_SHARE = {"channel": 0.35, "value": 0.25}
#: The share of the window's height the plot takes when it first shows.
PLOT_SHARE = 0.3
SIDE_WIDTHS = {"segments": 360, "inspector": 380, "structures": 520}
#: How the bottom docks share the width by default.
BOTTOM_WIDTHS = {"messages": 0.45, "details": 0.3, "compose": 0.25}
#: Below this window size (logical pixels) the default arrangement is the compact one.
COMPACT_WIDTH, COMPACT_HEIGHT = 1400, 850
#: What the demo's half-screen windows show of a row, when the width allows it
#: beside a compose panel at least ``COMPOSE_MIN_WIDTH`` wide.
HALF_SCREEN_BYTES_PER_ROW = 16
COMPOSE_MIN_WIDTH = 340
#: The room a dock's edge and its separator take beside the central widget.
DOCK_SEPARATOR = 16
#: Bumped when the docks change, so that states saved by an older version are ignored.
STATE_VERSION = 3


class WindowDocks:
    """Creates ``window``'s docks and arranges them for the tab in front."""

    def __init__(self, window: MainWindow) -> None:
        self._window = window
        option = QMainWindow.DockOption
        window.setDockOptions(option.AllowTabbedDocks | option.AllowNestedDocks | option.AnimatedDocks)
        self.stacks = {key: QStackedWidget() for key in PER_TAB}
        contents: dict[str, QWidget] = {"segments": window.browser, "inspector": window.inspector,
                                        **self.stacks}
        for key in ("details", "compose"):
            # Their forms are taller than a small screen's bottom docks: they scroll
            # there, rather than pushing the bytes out of the window.
            scroll = QScrollArea()
            scroll.setWidgetResizable(True)
            scroll.setFrameShape(QFrame.Shape.NoFrame)
            scroll.setWidget(self.stacks[key])
            contents[key] = scroll
        self.docks: dict[str, QDockWidget] = {}
        for key, title in TITLES.items():
            dock = QDockWidget(title, window)
            dock.setObjectName(title.replace(" ", "_"))
            dock.setWidget(contents[key])
            # Shown from the View menu: room for what it shows, if Qt gave it a sliver.
            dock.toggleViewAction().triggered.connect(lambda shown, key=key: self._shown_from_menu(key, shown))
            self.docks[key] = dock
        self.arranged: str | None = None
        #: The arrangement on screen is a default one (not the user's).
        self.defaulted = True
        self._place_default("none")

    # ------------------------------------------------------------------ tabs

    def add_tab(self, tab: SegmentTab) -> None:
        """Give the docks the tab's pages."""
        for key, page in tab.docked.items():
            self.stacks[key].addWidget(page)

    def remove_tab(self, tab: SegmentTab) -> None:
        """Take the tab's pages out of the docks (they go with the tab)."""
        for key, page in tab.docked.items():
            self.stacks[key].removeWidget(page)
            page.deleteLater()

    def show_tab(self, tab: SegmentTab | None) -> None:
        """Show the front tab's pages, in the arrangement its kind wants."""
        if tab is not None:
            for key, page in tab.docked.items():
                self.stacks[key].setCurrentWidget(page)
        self.arrange(tab.arrangement if tab is not None else "none")
        self.show_used(tab)

    def show_used(self, tab: SegmentTab | None) -> None:
        """A tab with structures applied, watches or a plot shows them."""
        if tab is None:
            return
        used = {"structures": bool(tab.session.overlays), "watches": bool(len(tab.watching.watches)),
                "plot": bool(tab.watching.panel.plotted_keys())}
        for key, wanted in used.items():
            if wanted and not self.docks[key].isVisible():
                self.docks[key].show()
                self.give_room(key)

    def _shown_from_menu(self, key: str, shown: bool) -> None:
        if shown:
            self.shown_by_user(key)

    def shown_by_user(self, key: str) -> None:
        """The user asked for dock ``key`` (View menu, Alt+digit): the arrangement is
        theirs from now on (the window manager's sizing does not put the default back
        over it), and the dock gets room if Qt gave it a sliver."""
        self.defaulted = False
        self.give_room(key)

    def give_room(self, key: str) -> None:
        """Soon (once laid out), a dock that is shown as small as Qt can make it (in an
        arrangement saved before it was ever shown, or a default in which it waited
        hidden) gets room for what it shows: a form, a tree of fields, curves over time."""
        QTimer.singleShot(0, self._window, lambda: self._give_room(key))

    def _give_room(self, key: str) -> None:
        window, dock = self._window, self.docks[key]
        if not dock.isVisible() or dock.isFloating():
            return
        area = window.dockWidgetArea(dock)
        if area in (Qt.DockWidgetArea.LeftDockWidgetArea, Qt.DockWidgetArea.RightDockWidgetArea):
            width = SIDE_WIDTHS.get(key, COMPOSE_MIN_WIDTH)
            if dock.width() < width * 0.6:
                window.resizeDocks([dock], [width], Qt.Orientation.Horizontal)
            return
        height = int(window.height() * (PLOT_SHARE if key == "plot" else BOTTOM_SHARE["value"]))
        if dock.height() < height * 0.6:
            window.resizeDocks([dock], [height], Qt.Orientation.Vertical)
        width = int(window.width() * BOTTOM_WIDTHS.get(key, 0.3))
        if dock.width() < min(width, COMPOSE_MIN_WIDTH) * 0.6:  # beside the other bottom docks
            window.resizeDocks([dock], [width], Qt.Orientation.Horizontal)

    # ------------------------------------------------------------------ arrangements

    def arrange(self, key: str) -> None:
        """Switch to arrangement ``key``: the user's last one of that kind, or the default."""
        if key == self.arranged:
            return
        self.save()
        self.arranged = key
        state = self._window.settings.value(self._setting(key))
        if isinstance(state, QByteArray) and self._window.restoreState(state, STATE_VERSION):
            self.defaulted = False
        else:
            self._place_default(key)

    def window_resized(self) -> None:
        """The window has its size (shown, maximized): a default arrangement is placed
        again for it; the user's stays as it is."""
        if self.defaulted and self.arranged is not None:
            self._place_default(self.arranged)

    def save(self) -> None:
        """Remember the arrangement on screen as the user's, for its kind."""
        if self.arranged is not None:
            self._window.settings.setValue(self._setting(self.arranged), self._window.saveState(STATE_VERSION))

    def reset(self) -> None:
        """Back to the default arrangement of the kind in front."""
        key = self.arranged or "none"
        self._window.settings.remove(self._setting(key))
        self._place_default(key)

    def place_for_half_a_screen(self) -> None:
        """The demo's arrangement, for a window half a screen wide: the messages below
        the bytes, the compose panel beside the bytes where they can spare it the
        room (else one tab beside the messages); the segment list, the inspector and
        the selected message one View menu (or Alt+digit) away. Not the user's: not
        saved."""
        window, docks = self._window, self.docks
        window.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, docks["messages"])
        compose_width = window.width() - self._hex_width(HALF_SCREEN_BYTES_PER_ROW)
        beside = compose_width >= COMPOSE_MIN_WIDTH
        if beside:
            window.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, docks["compose"])
        else:  # the bytes keep whole rows and their offsets; compose is a tab away
            window.tabifyDockWidget(docks["messages"], docks["compose"])
        for key, dock in docks.items():
            dock.setVisible(key in ("compose", "messages"))
        docks["messages"].raise_()
        window.resizeDocks([docks["messages"]], [int(window.height() * 0.35)], Qt.Orientation.Vertical)
        if beside:
            window.resizeDocks([docks["compose"]], [compose_width], Qt.Orientation.Horizontal)
        self.defaulted = False  # fitted once: the window manager's sizing does not redo it
        self.arranged = None  # ...and nothing of it is remembered as an arrangement

    def _hex_width(self, bytes_per_row: int) -> int:
        """The room the front tab's hex view needs beside the docks to show
        ``bytes_per_row`` whole."""
        tab = self._window.current_tab()
        if tab is None:
            return self._window.width() // 2
        return tab.hex_view.zoomer.width_for(bytes_per_row) + DOCK_SEPARATOR

    def _setting(self, key: str) -> str:
        return f"docks/{key}"

    def _place_default(self, key: str) -> None:
        """The default arrangement of ``key`` for the window's size now: on a small
        screen the inspector waits to be asked for (Alt+6) and the selected message
        shares a dock with the compose panel, so the bytes keep their room."""
        window, docks = self._window, self.docks
        compact = window.width() < COMPACT_WIDTH or window.height() < COMPACT_HEIGHT
        left, right, bottom = (Qt.DockWidgetArea.LeftDockWidgetArea, Qt.DockWidgetArea.RightDockWidgetArea,
                               Qt.DockWidgetArea.BottomDockWidgetArea)
        for dock in docks.values():
            dock.setFloating(False)
        window.addDockWidget(left, docks["segments"])
        window.addDockWidget(right, docks["inspector"])
        # Structures go under the inspector: both explain the bytes beside them; the
        # watches share their place (values by name, one tab away); the plot wants
        # width, so it goes below the bytes.
        window.splitDockWidget(docks["inspector"], docks["structures"], Qt.Orientation.Vertical)
        window.tabifyDockWidget(docks["structures"], docks["watches"])
        window.addDockWidget(bottom, docks["messages"])
        window.splitDockWidget(docks["messages"], docks["details"], Qt.Orientation.Horizontal)
        if compact:
            window.tabifyDockWidget(docks["details"], docks["compose"])
        else:
            window.splitDockWidget(docks["details"], docks["compose"], Qt.Orientation.Horizontal)
        window.splitDockWidget(docks["messages"], docks["plot"], Qt.Orientation.Vertical)
        shown = SHOWN[key] - ({"inspector"} if window.width() < COMPACT_WIDTH else set())
        for name, dock in docks.items():
            dock.setVisible(name in shown)
        self.show_used(window.current_tab())
        if compact and "details" in shown:
            docks["details"].raise_()
        sides = [k for k in SIDE_WIDTHS if docks[k].isVisibleTo(window)]
        window.resizeDocks([docks[k] for k in sides], [SIDE_WIDTHS[k] for k in sides], Qt.Orientation.Horizontal)
        bottoms = [k for k in ("messages", "details", "compose") if k in shown]
        if bottoms:
            height = int(max(window.height(), 600) * BOTTOM_SHARE.get(key, 0.3))
            window.resizeDocks([docks[k] for k in bottoms], [height] * len(bottoms), Qt.Orientation.Vertical)
            width = max(window.width(), 1000)
            window.resizeDocks([docks[k] for k in bottoms], [int(width * BOTTOM_WIDTHS[k]) for k in bottoms],
                               Qt.Orientation.Horizontal)
        self.defaulted = True
