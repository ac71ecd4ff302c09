"""The main window: tabs of open segments, the segment browser, the data inspector.

Menus, toolbar and shortcuts follow desktop conventions (Ctrl+O open, Ctrl+W close,
Ctrl+Q quit, Ctrl+G go to, Ctrl+F find, F3 find next). Recent segments, window
geometry and view options are remembered with QSettings. Nothing a user does, and
nothing another process does to a segment, ends in a crash: errors become status
messages and banners.
"""

from __future__ import annotations

import html
from collections.abc import Callable

from PySide6.QtCore import QByteArray, QSettings, QSize, Qt, QTimer
from PySide6.QtGui import QCloseEvent, QGuiApplication, QShowEvent
from PySide6.QtWidgets import (
    QDialog,
    QInputDialog,
    QLabel,
    QMainWindow,
    QMessageBox,
    QStackedWidget,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from .. import __version__
from ..errors import MmfError
from ..live_session import INSPECT_BYTES
from ..names import printable
from ..segment import Segment
from ..units import parse_size
from .find_bar import FindBar
from .hex_zoom import AUTO, BYTES_PER_ROW_CHOICES
from .inspector_panel import InspectorPanel
from .open_dialog import OpenDialog
from .segment_browser import SegmentBrowser
from .segment_tab import DEFAULT_HISTORY, DEFAULT_REFRESH_MS, SegmentTab
from .style import error_color
from .window_actions import WindowActions, rate_index
from .window_docks import WindowDocks
from .window_status import WindowStatus


def _int_setting(settings: QSettings, key: str, default: int) -> int:
    """A remembered whole number; the default where the file holds anything else."""
    try:
        return int(str(settings.value(key, default)))
    except ValueError:
        return default


#: How long after the first show the window manager has settled the window's size (ms).
WM_SETTLE_MS = 300


class MainWindow(QMainWindow):
    """The app's window. ``open_segment``/``open_name``/``open_file`` add tabs."""

    def __init__(self, *, refresh_ms: int | None = None, history: int | None = None,
                 settings: QSettings | None = None) -> None:
        super().__init__()
        self.settings = settings or QSettings("mmfviewer", "mmfviewer")
        self.refresh_ms = refresh_ms or _int_setting(self.settings, "refresh_ms", DEFAULT_REFRESH_MS)
        self.history = history or max(1, _int_setting(self.settings, "history", DEFAULT_HISTORY))
        if history:
            self.settings.setValue("history", history)  # remembered for next time
        self.bytes_per_row = _int_setting(self.settings, "bytes_per_row", AUTO)  # AUTO: fit the width
        if self.bytes_per_row != AUTO and self.bytes_per_row not in BYTES_PER_ROW_CHOICES:
            self.bytes_per_row = AUTO  # a settings file from elsewhere
        self.title_suffix = ""  # e.g. "window A" in the demo
        self.setWindowTitle("mmfviewer")

        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        self.tabs.setTabsClosable(True)
        self.tabs.setMovable(True)
        self.tabs.tabCloseRequested.connect(self.close_tab)
        self.tabs.currentChanged.connect(self._current_changed)
        self.welcome = QLabel()
        self.welcome.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.welcome.setWordWrap(True)
        self.welcome.setStyleSheet("font-size: 14px; padding: 24px;")  # the palette's text colour
        self.stack = QStackedWidget()
        self.stack.addWidget(self.welcome)
        self.stack.addWidget(self.tabs)
        self.find_bar = FindBar(self)
        self.find_bar.hide()
        central = QWidget()
        box = QVBoxLayout(central)
        box.setContentsMargins(0, 0, 0, 0)
        box.setSpacing(0)
        box.addWidget(self.stack, 1)
        box.addWidget(self.find_bar)
        self.setCentralWidget(central)

        self.browser = SegmentBrowser()
        self.browser.openRequested.connect(lambda name: self.open_name(name))
        self.inspector = InspectorPanel()
        self.inspector.watchRequested.connect(self._watch_typed)
        #: The docks around the bytes, arranged for the kind of segment in front.
        self.docks = WindowDocks(self)
        self.browser_dock, self.inspector_dock = self.docks.docks["segments"], self.docks.docks["inspector"]
        self._welcome_error = ""
        self._shown_once = False
        self._set_welcome("")
        self.browser_dock.visibilityChanged.connect(lambda _shown: self._set_welcome(self._welcome_error))

        self.status = WindowStatus(self.statusBar())
        #: The window's commands, menus and toolbar.
        self.commands = WindowActions(self)
        self._restore()
        self.commands.update(self.current_tab())

    # ------------------------------------------------------------------ building

    # ------------------------------------------------------------------ opening

    def open_dialog(self, *, file_backed: bool = False) -> None:
        """Ask for a segment (or file) and open it in a new tab."""
        dialog = OpenDialog(self, file_backed=file_backed)
        if dialog.exec() == QDialog.DialogCode.Accepted and dialog.segment is not None:
            self.open_segment(dialog.segment)

    def open_name(self, name: str, *, readonly: bool = True) -> SegmentTab | None:
        """Open a named segment in a new tab; a failure becomes a message, not an error."""
        return self._try_open(lambda: Segment.open(name, readonly=readonly), f"'{name}'")

    def open_file(self, path: str, *, readonly: bool = True) -> SegmentTab | None:
        """Open a file-backed mapping in a new tab."""
        return self._try_open(lambda: Segment.from_file(path, readonly=readonly), path)

    def _try_open(self, opener: Callable[[], Segment], what: str) -> SegmentTab | None:
        try:
            segment = opener()
        except (MmfError, OSError) as err:
            self.notify(f"Cannot open {what}: {err}", error=True)
            return None
        return self.open_segment(segment)

    def open_segment(self, segment: Segment) -> SegmentTab:
        """Show an open segment in a tab (the tab owns it from now on). A segment that
        is open already gets its tab in front (made read-write if this one is)."""
        shown = self._tab_showing(segment)
        if shown is None:
            return self._add_tab(segment)
        if shown.segment.readonly and not segment.readonly:
            return self._replace_tab(shown, segment)
        segment.close()  # only ours: the segment itself stays
        self.tabs.setCurrentWidget(shown)
        shown.hex_view.setFocus()
        self.notify(f"{shown.segment.label} is open already")
        return shown

    def _tab_showing(self, segment: Segment) -> SegmentTab | None:
        try:
            identity = segment.identity()
            return next((tab for tab in self.all_tabs()
                         if not tab.segment.closed and tab.segment.identity() == identity), None)
        except (MmfError, OSError):
            return None

    def _add_tab(self, segment: Segment, index: int = -1) -> SegmentTab:
        tab = SegmentTab(segment, refresh_ms=self.refresh_ms, history=self.history)
        view = tab.hex_view
        view.bytes_per_row = self.bytes_per_row
        view.set_zoom(_int_setting(self.settings, "zoom", view.zoom()))
        view.cursorMoved.connect(lambda _offset, tab=tab: self._cursor_moved(tab))
        view.selectionChanged.connect(lambda start, length, tab=tab: self._selection_changed(tab, start, length))
        view.message.connect(lambda text: self.notify(text))
        tab.notice.connect(lambda text: self.notify(text))
        tab.dockWanted.connect(lambda key, tab=tab: self._show_dock(tab, key))
        tab.ticked.connect(lambda tab=tab: self._ticked(tab))
        tab.stateChanged.connect(lambda tab=tab: self._tab_state_changed(tab))
        self.docks.add_tab(tab)
        index = self.tabs.insertTab(index, tab, tab.title)
        self.tabs.setTabToolTip(index, f"{printable(segment.path)} ({tab.mode_text})")
        self.tabs.setCurrentIndex(index)
        self.stack.setCurrentWidget(self.tabs)
        self.commands.remember(segment)
        view.setFocus()
        self.commands.update(self.current_tab())
        return tab

    def _watch_typed(self, type_name: str, offset: int) -> None:
        """The inspector pins a value: the tab in front watches it."""
        tab = self.current_tab()
        if tab is not None:
            tab.watching.watch_typed(type_name, offset)

    def _show_dock(self, tab: SegmentTab, key: str) -> None:
        """Show dock ``key`` (the tab asking is in front, or it waits for its turn)."""
        if tab is self.current_tab():
            self.docks.show_used(tab)
            dock = self.docks.docks[key]
            dock.show()
            dock.raise_()
            self.docks.give_room(key)

    def _replace_tab(self, old: SegmentTab, segment: Segment) -> SegmentTab:
        """A new tab on ``segment`` where ``old`` was, at the same place in the bytes."""
        index = self.tabs.indexOf(old)
        top = old.hex_view.first_visible_row() * old.hex_view.bytes_per_row
        place = old.hex_view.cursor_state
        cursor, anchor, selecting = place.offset, place.anchor, place.selecting
        self.close_tab(index)
        new = self._add_tab(segment, index)
        view = new.hex_view
        view.set_cursor(anchor if selecting else cursor)
        if selecting:
            view.set_cursor(cursor, select=True)
        view.scroller.set_first_row(top // view.bytes_per_row)  # last: the rows as they were
        return new

    # ------------------------------------------------------------------ tabs

    def all_tabs(self) -> list[SegmentTab]:
        """Every open tab, left to right."""
        widgets = (self.tabs.widget(i) for i in range(self.tabs.count()))
        return [w for w in widgets if isinstance(w, SegmentTab)]

    def current_tab(self) -> SegmentTab | None:
        """The tab in front, if any."""
        widget = self.tabs.currentWidget()
        return widget if isinstance(widget, SegmentTab) else None

    def switch_tab(self, step: int) -> None:
        """Bring the next (``step`` 1) or previous (-1) tab to the front, round the end."""
        if self.tabs.count() > 1:
            self.tabs.setCurrentIndex((self.tabs.currentIndex() + step) % self.tabs.count())
            tab = self.current_tab()
            if tab is not None:
                tab.hex_view.setFocus()

    def close_current(self) -> None:
        """Close the tab in front (the segment stays; only our view of it goes)."""
        if self.tabs.count():
            self.close_tab(self.tabs.currentIndex())

    def reopen_read_write(self) -> SegmentTab | None:
        """Replace the read-only tab in front with a read-write one on the same segment,
        keeping the place in the bytes."""
        tab = self.current_tab()
        if tab is None or not tab.segment.readonly:
            return tab
        seg = tab.segment
        try:
            segment = (Segment.open(seg.name, readonly=False) if seg.name is not None
                       else Segment.from_file(seg.path, readonly=False))
        except (MmfError, OSError) as err:
            self.notify(f"Cannot reopen {seg.label} read-write: {err}", error=True)
            return None
        return self._replace_tab(tab, segment)

    def close_tab(self, index: int) -> None:
        """Close tab ``index`` and its segment."""
        tab = self.tabs.widget(index)
        self.tabs.removeTab(index)
        if isinstance(tab, SegmentTab):
            tab.close_segment()
            self.docks.remove_tab(tab)
            tab.deleteLater()
        if not self.tabs.count():
            self.stack.setCurrentWidget(self.welcome)
            self.inspector.clear()  # its values were the closed segment's
        self.commands.update(self.current_tab())

    def _current_changed(self, _index: int) -> None:
        tab = self.current_tab()
        parts = ["mmfviewer", *([tab.title] if tab else []), *([self.title_suffix] if self.title_suffix else [])]
        self.setWindowTitle(" — ".join(parts))
        self.docks.show_tab(tab)
        if tab is not None:
            self.commands.pause.setChecked(tab.paused)
            self.commands.rate_combo.setCurrentIndex(rate_index(tab.refresh_ms))
            self._cursor_moved(tab)
            self._selection_changed(tab, *tab.hex_view.selection())
        self._update_status()
        self.commands.update(self.current_tab())

    # ------------------------------------------------------------------ live

    def _ticked(self, tab: SegmentTab) -> None:
        if tab is self.current_tab():
            self._inspect(tab)
            self.status.ticked(tab)

    def _cursor_moved(self, tab: SegmentTab) -> None:
        if tab is not self.current_tab():
            return
        offset = tab.hex_view.cursor_offset()
        self.status.show_cursor(offset)
        if not tab.hex_view.live_rows.deferred:  # a tick's own move: its snapshot is inspected when shown
            self._inspect(tab)

    def _inspect(self, tab: SegmentTab) -> None:
        offset = tab.hex_view.cursor_offset()
        self.inspector.show_bytes(tab.hex_view.read_cached(offset, INSPECT_BYTES), offset)

    def _selection_changed(self, tab: SegmentTab, start: int, length: int) -> None:
        if tab is self.current_tab():
            self.inspector.show_selection(start, length)

    def _tab_state_changed(self, tab: SegmentTab) -> None:
        if tab is self.current_tab():
            self._update_status()
            self.docks.show_tab(tab)  # its kind may have changed (an empty segment became a channel)
        index = self.tabs.indexOf(tab)
        if index >= 0 and tab.state is not None:
            warn = tab.state.removed or tab.state.truncated
            self.tabs.setTabText(index, tab.title + (" ⚠" if warn else ""))

    def _update_status(self) -> None:
        self.status.show_tab(self.current_tab())

    def toggle_pause(self) -> None:
        """Pause or resume live refresh of the tab in front."""
        tab = self.current_tab()
        if tab is not None:
            tab.set_paused(not tab.paused)
            self.commands.pause.setChecked(tab.paused)
            self.status.show_refresh(tab)

    def refresh_now(self) -> None:
        """Read the tab in front now."""
        tab = self.current_tab()
        if tab is not None:
            tab.tick()

    def set_refresh_ms(self, ms: int) -> None:
        """Set the refresh interval of the tab in front, and the default for new tabs."""
        self.refresh_ms = ms
        self.settings.setValue("refresh_ms", ms)
        self.commands.rate_combo.setCurrentIndex(rate_index(ms))
        if ms in self.commands.rates:
            self.commands.rates[ms].setChecked(True)
        tab = self.current_tab()
        if tab is not None:
            tab.set_refresh_ms(ms)
            self.status.show_refresh(tab)

    def set_bytes_per_row(self, n: int) -> None:
        """8, 16, 32 or 64 bytes per row, or as many as fit (:data:`AUTO`), in every tab."""
        self.bytes_per_row = n
        self.settings.setValue("bytes_per_row", n)
        self.commands.rows[n].setChecked(True)
        for tab in self.all_tabs():
            tab.hex_view.bytes_per_row = n

    # ------------------------------------------------------------------ commands

    def copy_as(self, kind: str | None) -> None:
        """Copy the selection (or the byte at the cursor) in one of the formats (None:
        as the cursor's column shows it)."""
        tab = self.current_tab()
        if tab is not None:
            shown = kind or tab.hex_view.column_kind()
            text = tab.hex_view.copy_selection(shown)
            self.notify(f"Copied {len(text)} characters ({shown})")

    def goto_dialog(self) -> None:
        """Ask for an offset (0x1F, 31, 4KiB) and move the cursor there."""
        tab = self.current_tab()
        if tab is None:
            return
        text, ok = QInputDialog.getText(self, "Go to offset", "Offset (hex with 0x, decimal, or 4KiB):",
                                        text=f"0x{tab.hex_view.cursor_offset():X}")
        if ok and text.strip():
            self.goto(text)

    def goto(self, text: str) -> bool:
        """Move the cursor to the offset ``text`` names; False (and a message) if it is not one."""
        tab = self.current_tab()
        if tab is None:
            return False
        try:
            offset = parse_size(text.strip(), what="offset")
        except MmfError as err:
            self.notify(str(err), error=True)
            return False
        size = tab.hex_view.document.size
        if offset >= size:
            self.notify(f"0x{offset:X} ({offset}) is past the end: the segment is {size} bytes"
                        + (f"; went to its last byte, 0x{size - 1:X}" if size else ""), error=True)
        tab.hex_view.goto(offset)
        return offset < size

    def show_find_bar(self) -> None:
        """Show the find bar and put the cursor in it."""
        self.find_bar.show()
        self.find_bar.pattern.setFocus()
        self.find_bar.pattern.selectAll()

    def find_next(self, *, forward: bool) -> int | None:
        """Find the find bar's pattern after (or before) the cursor."""
        tab = self.current_tab()
        if tab is None:
            return None
        if not self.find_bar.pattern.text():
            self.show_find_bar()
            return None
        try:
            needle = self.find_bar.needle()
        except MmfError as err:
            self.notify(str(err), error=True)
            return None
        found = tab.hex_view.find_bytes(needle, forward=forward)
        if found is not None:
            self.notify(f"Found at 0x{found:X} ({found})")
        return found

    def focus_view(self) -> None:
        """Give the keyboard back to the hex view."""
        tab = self.current_tab()
        if tab is not None:
            tab.hex_view.setFocus()

    def notify(self, text: str, *, error: bool = False) -> None:
        """Say something in the status bar (and on the welcome page if nothing is open)."""
        self.statusBar().showMessage(text, 10_000)
        if error and not self.tabs.count():
            self._set_welcome(text)

    def _set_welcome(self, error: str) -> None:
        self._welcome_error = error
        where = ("double-click a segment in the list on the left" if self.browser_dock.isVisible()
                 else "pick one in the segment list (<b>Alt+1</b> shows it)")
        text = (f"<p><b>No segment open.</b></p><p>Open a mapping with <b>Ctrl+O</b>, or {where}. "
                "<b>F1</b> lists every key.</p>")
        if error:
            # Escaped: the message may hold a segment name anyone could have chosen.
            text += f"<p style='color:{error_color().name()}'>{html.escape(error)}</p>"
        self.welcome.setText(text)

    def about(self) -> None:
        """Say what this program is."""
        QMessageBox.about(self, "About mmfviewer",
                          f"<b>mmfviewer {__version__}</b><p>A live inspector for named shared memory: "
                          "bytes that change light up, messages decode, nothing crashes.</p>")

    # ------------------------------------------------------------------ lifetime

    def _restore(self) -> None:
        geometry = self.settings.value("geometry")
        if not (isinstance(geometry, QByteArray) and self.restoreGeometry(geometry)):  # as the user left it
            screen = QGuiApplication.primaryScreen()
            room = screen.availableGeometry().size() if screen is not None else QSize(1440, 860)
            self.resize(min(1440, room.width()), min(860, room.height()))
        self.docks.arrange("none")  # the user's, or the default
        header = self.settings.value("segment_list/header")
        if isinstance(header, QByteArray):
            self.browser.view.horizontalHeader().restoreState(header)

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 - Qt override
        super().showEvent(event)
        if not self._shown_once:
            # Once the window manager has given the window its size (a maximized window
            # gets it after it is shown), a default arrangement is fitted to it.
            self._shown_once = True
            QTimer.singleShot(WM_SETTLE_MS, self, self.docks.window_resized)  # not after the window is gone

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt override
        self.settings.setValue("geometry", self.saveGeometry())
        self.settings.setValue("segment_list/header", self.browser.view.horizontalHeader().saveState())
        self.docks.save()
        while self.tabs.count():
            self.close_tab(0)
        self.browser.timer.stop()
        super().closeEvent(event)

