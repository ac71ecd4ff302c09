"""One open segment: its hex view, its messages, its compose panel, and the one
timer that drives them all.

Every live tick reads what is on screen once (the hex view's visible rows, through
the crash-proof ``Segment.read``) and the inspector uses that read; the message pane
takes what is new in the channel (or the value at offset 0). The tick also
looks at the segment's state, so a segment truncated, grown or removed under us is
said out loud in a banner while the views stay usable.
"""

from __future__ import annotations

import os
import time

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import QCheckBox, QLabel, QSplitter, QVBoxLayout, QWidget

from ..channel import Channel
from ..codec import Layout, detect_layout
from ..errors import MmfError
from ..names import printable
from ..segment import Segment, SegmentState
from ..sender import Sender
from ..units import format_size
from .compose_panel import ComposePanel
from .hex_view import HexView
from .message_pane import MessagePane

MIN_REFRESH_MS, MAX_REFRESH_MS, DEFAULT_REFRESH_MS = 16, 5000, 100
DEFAULT_HISTORY = 100_000  # messages a tab keeps
REDETECT_SECONDS = 0.5  # how often a non-channel tab checks whether its layout changed


class SegmentTab(QWidget):
    """A tab of the main window. Owns its :class:`Segment` and closes it on close."""

    ticked = Signal()          # after every refresh, when the panes should look again
    stateChanged = Signal()    # size/removal/pause/rate changed: the status bar redraws
    notice = Signal(str)       # something to say in the status bar

    def __init__(self, segment: Segment, *, refresh_ms: int = DEFAULT_REFRESH_MS,
                 history: int = DEFAULT_HISTORY, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.segment = segment
        self.state: SegmentState | None = None
        self.layout_name = self._detect()
        self._detected_at = time.perf_counter()
        self.banner = QLabel()
        self.banner.setWordWrap(True)
        self.banner.setStyleSheet(
            "QLabel { background: #b3261e; color: white; padding: 6px; font-weight: bold; }")
        self.banner.hide()
        self.hex_view = HexView(segment, self)
        self.channel: Channel | None = None
        self.messages = MessagePane(max_history=history)
        self.compose = ComposePanel()
        self.compose_sender: Sender | None = None
        self._connect_layout()

        top = QWidget()
        box = QVBoxLayout(top)
        box.setContentsMargins(0, 0, 0, 0)
        box.setSpacing(0)
        box.addWidget(self.banner)
        box.addWidget(self.hex_view, 1)
        bottom = QSplitter(Qt.Orientation.Horizontal)
        bottom.addWidget(self.messages)
        bottom.addWidget(self.compose)
        bottom.setStretchFactor(0, 2)  # the messages need the width; composing less
        bottom.setStretchFactor(1, 1)
        bottom.setSizes([2000, 1000])
        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.addWidget(top)
        self.splitter.addWidget(bottom)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 2)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(self.splitter)

        self.follow = QCheckBox("Show newest in hex")
        self.follow.setToolTip("Scroll the hex view to each new message's bytes as it arrives")
        self.follow.setChecked(True)
        self.messages.toolbar_row.insertWidget(3, self.follow)
        self.follow.setVisible(self.channel is not None)
        self.messages.highlightRequested.connect(self.hex_view.highlight_range)
        self.messages.highlightCleared.connect(self.hex_view.clear_highlight)
        self.compose.sent.connect(self._sent)
        self.compose.failed.connect(self.notice)

        self.tick_seconds = 0.0  # how long the last tick took, for the status bar
        self.tick_count = 0
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
        """One live refresh: look at the segment's state, then let the view read."""
        started = time.perf_counter()
        if self.segment.closed:
            self.timer.stop()
            return
        try:
            state = self.segment.state()
        except (MmfError, OSError) as err:
            self._show_banner(f"{self.segment.label} cannot be read any more: {err}")
            return
        if state != self.state:
            self.state = state
            self._update_banner(state)
            self.stateChanged.emit()
        self.hex_view.refresh()
        self._maybe_redetect(started)
        if self.messages.poll() and self.follow.isChecked():
            self._show_newest()
        self.tick_count += 1
        self.tick_seconds = time.perf_counter() - started
        self.ticked.emit()

    # -------------------------------------------------------------- state

    def _maybe_redetect(self, now: float) -> None:
        """A segment opened empty may become a mailbox, text or a channel later:
        look again now and then (a channel stays a channel while it is open)."""
        if self.channel is not None or now - self._detected_at < REDETECT_SECONDS:
            return
        self._detected_at = now
        layout = self._detect()
        if layout != self.layout_name:
            self.layout_name = layout
            if self.compose_sender is not None:
                self.compose_sender.close()
            self._connect_layout()
            self.notice.emit(f"{self.segment.label} now holds a {Layout(layout).label} layout")
            self.stateChanged.emit()

    def _show_newest(self) -> None:
        """Bring the newest message's record into view and outline it: its bytes
        light up as they arrive (they changed since the last tick)."""
        model = self.messages.model
        if self.channel is None or not model.rowCount() or self.messages.selected_message is not None:
            return  # a message the user picked stays shown
        try:
            span = self.channel.record_span(model.message_at(model.rowCount() - 1))
        except (MmfError, OSError, ValueError):
            return
        if span is not None:
            self.hex_view.highlight_range(*span)
            self.hex_view.goto(span[0])
            self.hex_view.refresh()  # read the rows now on screen within this tick

    def _connect_layout(self) -> None:
        """Give the message pane and the compose panel what this layout needs."""
        layout = Layout(self.layout_name)
        if layout == Layout.CHANNEL:
            try:
                self.channel = Channel.attach(self.segment, timeout=0, own=False)
            except (MmfError, OSError) as err:
                self._show_banner(f"This looks like a channel but cannot be read as one: {err}")
                layout = Layout.RAW
        if self.channel is not None:
            self.messages.set_channel(self.channel, start="oldest")
            if hasattr(self, "follow"):
                self.follow.show()
        else:
            self.messages.set_value_segment(self.segment, layout)
        self.compose_sender = Sender(self.segment, layout, channel=self.channel, name="mmfviewer")
        self.compose.set_sender(self.compose_sender)

    def _sent(self, description: str) -> None:
        self.notice.emit(f"{description} of {self.segment.label}")
        self.tick()  # show the new bytes and message now, not at the next tick

    def _detect(self) -> str:
        try:
            return detect_layout(self.segment).value
        except (MmfError, OSError):
            return Layout.RAW.value

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
        color = "#b3261e" if warn else "#1d5fa8"
        self.banner.setStyleSheet(
            f"QLabel {{ background: {color}; color: white; padding: 6px; font-weight: bold; }}")
        self.banner.show()

    @property
    def title(self) -> str:
        """The tab's title: the name, or the file's base name (escaped: names come
        from anyone who can write to /dev/shm)."""
        if self.segment.name is not None:
            return printable(self.segment.name)
        return printable(os.path.basename(self.segment.path))

    def close_segment(self) -> None:
        """Stop refreshing, give back any channel lane, close the segment (never
        removes it)."""
        self.timer.stop()
        if self.compose_sender is not None:
            self.compose_sender.close()
        if self.channel is not None:
            self.channel.detach()
        self.segment.close()
