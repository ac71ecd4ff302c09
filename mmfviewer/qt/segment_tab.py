"""One open segment: its hex view, its messages, its compose panel, and the one
timer that drives them all.

Every live tick is one :meth:`LiveSession.tick`: one look at the segment's state
(a segment truncated, grown or removed under us is said out loud in a banner while
the views stay usable), what is new in the channel, and one read covering what the
hex view, the inspector and the message pane show. The panes render that snapshot
and read nothing themselves.
"""

from __future__ import annotations

import os
import time

from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import QCheckBox, QLabel, QVBoxLayout, QWidget

from ..channel import Channel
from ..codec import Layout
from ..live_session import INSPECT_BYTES, FeedUpdate, LiveSession, ReadWindow, Snapshot
from ..message import Message
from ..names import printable
from ..segment import Segment, SegmentState
from ..sender import Sender
from ..structure_overlays import OverlayStore
from ..units import format_size
from .compose_panel import ComposePanel
from .hex_view import HexView
from .message_pane import MessagePane
from .overlay_control import OverlayControl
from .structure_panel import StructurePanel
from .style import banner_style
from .watch_control import WatchControl

MIN_REFRESH_MS, MAX_REFRESH_MS, DEFAULT_REFRESH_MS = 16, 5000, 100
DEFAULT_HISTORY = 100_000  # messages a tab keeps


class SegmentTab(QWidget):
    """A tab of the main window. Owns its :class:`Segment` and closes it on close."""

    ticked = Signal()          # after every refresh, when the panes should look again
    stateChanged = Signal()    # size/removal/pause/rate changed: the status bar redraws
    notice = Signal(str)       # something to say in the status bar
    dockWanted = Signal(str)   # a dock the user should see now (its key)

    def __init__(self, segment: Segment, *, refresh_ms: int = DEFAULT_REFRESH_MS,
                 history: int = DEFAULT_HISTORY, overlay_store: OverlayStore | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.segment = segment
        self.session = LiveSession(segment, max_batch=history)
        self.state: SegmentState | None = None
        self.banner = QLabel()
        self.banner.setWordWrap(True)
        self.banner.setStyleSheet(banner_style(warn=True))
        self.banner.hide()
        self.hex_view = HexView(segment, self, tracker=self.session.tracker)
        self.messages = MessagePane(max_history=history)
        self.compose = ComposePanel()
        self.compose_sender: Sender | None = None
        self.structures = StructurePanel()
        self.overlay_store = overlay_store if overlay_store is not None else OverlayStore()
        # Before the layout is connected: saved structures can settle what the bytes are.
        self.overlays = OverlayControl(self)
        self._connect_layout()

        # The tab shows the bytes; its messages, the selected message and its compose
        # panel are widgets of their own, which the window shows in docks.
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.setSpacing(0)
        outer.addWidget(self.banner)
        outer.addWidget(self.hex_view, 1)

        self.follow = QCheckBox("Show newest in hex")
        self.follow.setToolTip("Scroll the hex view to each new message's bytes as it arrives")
        self.follow.setChecked(True)
        self.messages.toolbar_row.insertWidget(3, self.follow)
        self.follow.setVisible(self.channel is not None)
        self.messages.highlightRequested.connect(self.hex_view.highlight_range)
        self.messages.highlightCleared.connect(self.hex_view.clear_highlight)
        self.compose.sent.connect(self._sent)
        self.compose.failed.connect(self.notice)
        self.watching = WatchControl(self)

        self.tick_seconds = 0.0  # how long the last tick took, for the status bar
        self.tick_count = 0
        self.last_snapshot: Snapshot | None = None
        self.timer = QTimer(self)
        self.timer.timeout.connect(self.tick)
        self.set_refresh_ms(refresh_ms)
        self.timer.start()
        self.tick()

    # -------------------------------------------------------------- refresh

    @property
    def refresh_ms(self) -> int:
        """The live refresh interval in milliseconds."""
        return self.timer.interval()

    def set_refresh_ms(self, ms: int) -> None:
        """Change the refresh interval (clamped to 16 ms .. 5 s)."""
        self.timer.setInterval(max(MIN_REFRESH_MS, min(MAX_REFRESH_MS, int(ms))))
        self.stateChanged.emit()

    @property
    def paused(self) -> bool:
        """True while live refresh is paused."""
        return not self.timer.isActive()

    def set_paused(self, paused: bool) -> None:
        """Stop or restart live refresh (the view stays as it was)."""
        if paused:
            self.timer.stop()
        else:
            self.timer.start()
            self.tick()
        self.stateChanged.emit()

    def tick(self) -> None:
        """One live refresh: the session looks and reads once; the panes show it."""
        started = time.perf_counter()
        if self.segment.closed:
            self.timer.stop()
            return
        snapshot = self.session.tick(self._window)
        self.last_snapshot = snapshot
        if snapshot.state is None:
            self._show_banner(snapshot.error or f"{self.segment.label} cannot be read")
            return
        if snapshot.state != self.state:
            self.state = snapshot.state
            self._update_banner(snapshot.state)
            self.stateChanged.emit()
        if snapshot.kind_changed:
            if self.compose_sender is not None:
                self.compose_sender.close()
            self._connect_layout()
            self.notice.emit(f"{self.segment.label} now holds a {self.session.kind.label} layout")
            self.stateChanged.emit()
        self.hex_view.show_snapshot(snapshot)
        self.messages.show_update(snapshot.feed)
        now = time.monotonic()
        self.structures.show_states(snapshot.structures, now)
        self.watching.sample(snapshot, now)
        self.tick_count += 1
        self.tick_seconds = time.perf_counter() - started
        self.ticked.emit()

    # -------------------------------------------------------------- state

    @property
    def channel(self) -> Channel | None:
        """The channel this tab reads, if the segment is one."""
        return self.session.channel

    @property
    def kind(self) -> Layout:
        """What the segment holds (a channel, a mailbox, text…)."""
        return self.session.kind

    def _window(self, update: FeedUpdate) -> ReadWindow:
        """Where the panes look this tick. Following the newest message moves the hex
        view to its record first, so the one read of the tick covers it."""
        if update.messages and self.follow.isChecked() and not self.messages.paused:
            with self.hex_view.live_rows.deferring():
                self._show_newest(update.messages[-1])
        view = self.hex_view
        return ReadWindow(rows=view.visible_span(), inspect=(view.cursor_offset(), INSPECT_BYTES),
                          watched=self.watching.spans())

    def _show_newest(self, newest: Message) -> None:
        """Bring the newest message's record into view and outline it: its bytes
        light up as they arrive (they changed since the last tick)."""
        if self.channel is None or self.messages.selected_message is not None:
            return  # a message the user picked stays shown
        offset, length = self.channel.record_place(newest)
        self.hex_view.highlight_range(offset, length)
        self.hex_view.reveal(offset, length)
        self.hex_view.set_cursor(offset)

    def _connect_layout(self) -> None:
        """Give the message pane and the compose panel what this kind of segment needs."""
        session = self.session
        if session.problem is not None:
            self._show_banner(session.problem)
        self.messages.set_feed(session.feed)
        if hasattr(self, "follow"):
            self.follow.setVisible(session.channel is not None)
        self.compose_sender = Sender(self.segment, session.feed.kind, channel=session.channel, name="mmfviewer")
        self.compose.set_sender(self.compose_sender)

    def _sent(self, description: str) -> None:
        self.notice.emit(f"{description} of {self.segment.label}")
        self.tick()  # show the new bytes and message now, not at the next tick

    def _update_banner(self, state: SegmentState) -> None:
        notes = []
        if state.removed:
            notes.append(f"{self.segment.label} was removed (or replaced) by another process: "
                          "you are looking at the old segment, which lives on while open.")
        if state.size == 0:
            notes.append(f"The segment is empty (0 bytes) now; it was {format_size(state.mapped_size)} "
                         "when opened.")
        elif state.truncated:
            notes.append(f"The segment was truncated to {format_size(state.size)} "
                         f"({state.size} bytes) by another process; it was "
                         f"{format_size(state.mapped_size)} when opened.")
        elif state.grown:
            notes.append(f"The segment grew to {format_size(state.size)} since it was opened.")
        if notes:
            self._show_banner(" ".join(notes), warn=state.removed or state.truncated or state.size == 0)
        else:
            self.banner.hide()

    def _show_banner(self, text: str, *, warn: bool = True) -> None:
        self.banner.setText(text)
        self.banner.setStyleSheet(banner_style(warn=warn))
        self.banner.show()

    @property
    def title(self) -> str:
        """The tab's title: the name, or the file's base name (escaped: names come
        from anyone who can write to /dev/shm), marked ✎ when open read-write."""
        shown = self.segment.name if self.segment.name is not None else os.path.basename(self.segment.path)
        return ("✎ " if not self.segment.readonly else "") + printable(shown)

    @property
    def mode_text(self) -> str:
        """"read-only" or "read-write"."""
        return "read-only" if self.segment.readonly else "read-write"

    @property
    def docked(self) -> dict[str, QWidget]:
        """The tab's widgets that live in the window's docks, by dock: its messages, the
        selected message, its compose panel, its structures, watches and plot."""
        return {"messages": self.messages, "details": self.messages.detail, "compose": self.compose,
                "structures": self.structures, "watches": self.watching.panel, "plot": self.watching.plot}

    @property
    def arrangement(self) -> str:
        """Which docks this kind of segment wants: "channel", "value" or "raw"."""
        if self.channel is not None:
            return "channel"
        return "value" if self.kind.holds_a_value else "raw"

    def close_segment(self) -> None:
        """Stop refreshing, give back any channel lane, close the segment (never
        removes it)."""
        self.timer.stop()
        if self.compose_sender is not None:
            self.compose_sender.close()
        self.session.close()
