"""The message pane: what a channel carries, live; or what a value segment holds.

:class:`MessagePane` is the widget: a toolbar (filter, auto-scroll, pause, clear,
counters), the table, and a detail area (the selected message as a tree and as a
hexdump). For value layouts (mailbox, .NET, ShareableList, text, raw) it shows the current value
at offset 0 instead. It reads nothing itself: the segment's live session
(:mod:`mmfviewer.live_session`) reads on every tick and hands the update to
:meth:`MessagePane.show_update`.
The table's model and filter live in :mod:`mmfviewer.qt.message_model`, the table in
:mod:`mmfviewer.qt.message_table`, the detail area in :mod:`mmfviewer.qt.message_detail`,
a value segment's view in :mod:`mmfviewer.qt.value_view`.

Filter syntax (chosen over a "Regex" checkbox: one box, nothing else to click):
plain text matches anywhere in the preview, ignoring case; text written between
slashes, ``/like (this|that)/``, is a regular expression (Qt's, i.e. PCRE2), case
sensitive unless it starts with ``(?i)``. A bad regex is reported next to the box
and filters nothing out; it never raises.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence

from PySide6.QtCore import QModelIndex, QTimer, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from ..channel import Channel
from ..channel_reader import Reader
from ..codec import Layout
from ..errors import FormatError, MmfError
from ..live_session import FeedUpdate, MessageFeed
from ..message import Message
from ..segment import Segment
from .message_detail import MessageDetail
from .message_model import DEFAULT_MAX_ROWS, MessageFilterProxy, MessageModel
from .message_table import MessageTable
from .style import banner_style, error_color, monospace_font
from .value_view import ValueView

#: The filter is applied this long after the last keystroke (Enter applies it at once):
#: re-filtering 100,000 rows decodes them all, which should not happen per letter.
FILTER_DELAY_MS = 250

FILTER_PLACEHOLDER = "Filter previews (text or /regex/)"


class MessagePane(QWidget):
    """Messages of a channel (a live table plus details), or a value segment's value.

    Call :meth:`set_channel` or :meth:`set_value_segment`, then :meth:`poll` on every tick.
    """

    #: (offset, length) of the selected message's record (or a value) in the segment.
    highlightRequested = Signal(object, object)
    #: The selected message has no bytes in the segment any more (or nothing is selected).
    highlightCleared = Signal()

    def __init__(self, parent: QWidget | None = None, *, max_history: int = DEFAULT_MAX_ROWS) -> None:
        super().__init__(parent)
        self.channel: Channel | None = None
        self.reader: Reader | None = None
        self.segment: Segment | None = None
        self.layout_kind: Layout | None = None
        self._received = 0           # messages the reader gave us since set_channel
        self._pending: deque[Message] = deque(maxlen=max_history)
        self._paused_new = 0         # messages received while paused
        self._error: str | None = None
        self._selected: Message | None = None
        self.feed: MessageFeed | None = None
        self._counters_text = ""

        self.model = MessageModel(self, max_rows=max_history)
        self.proxy = MessageFilterProxy(self)
        self.proxy.setSourceModel(self.model)

        # -- toolbar
        self.filter_edit = QLineEdit()
        self.filter_edit.setPlaceholderText(FILTER_PLACEHOLDER)
        self.filter_edit.setClearButtonEnabled(True)
        self.filter_edit.setToolTip(
            "Plain text matches anywhere in the preview, ignoring case.\n"
            "Write /between slashes/ for a regular expression (case sensitive; (?i) to ignore case).\n"
            "Enter applies at once.")
        self.filter_status = QLabel()
        self.autoscroll = QCheckBox("Auto-scroll")
        self.autoscroll.setChecked(True)
        self.autoscroll.setToolTip("Follow the newest message (not while you are scrolled up)")
        self.pause_button = QPushButton("Pause")
        self.pause_button.setCheckable(True)
        self.pause_button.setToolTip("Hold new messages (they are still read and counted)")
        self.clear_button = QPushButton("Clear")
        self.clear_button.setToolTip("Remove every message from the table")
        self.counters = QLabel()
        # In a narrow window the counters wrap onto more lines rather than set the
        # window's minimum width (every number stays in view).
        self.counters.setWordWrap(True)
        self.counters.setToolTip("received: messages read · lost: messages sent but overwritten "
                                 "before we read them · corrupt: messages in records that failed "
                                 "their checks and were skipped · received + lost + corrupt = sent")
        self.toolbar = QWidget()
        bar = self.toolbar_row = QHBoxLayout(self.toolbar)
        bar.setContentsMargins(4, 2, 4, 2)
        bar.addWidget(self.filter_edit, 1)
        bar.addWidget(self.filter_status)
        bar.addWidget(self.autoscroll)
        bar.addWidget(self.pause_button)
        bar.addWidget(self.clear_button)
        bar.addWidget(self.counters)

        # -- error banner (reading stopped)
        self.error_label = QLabel()
        self.error_label.setWordWrap(True)
        self.error_label.setStyleSheet(
            banner_style(padding=4))
        self.error_label.hide()

        # -- the table; the selected message in full is a widget of its own, which the
        # window puts in a dock (it is not in this pane's layout)
        self.table = MessageTable(self.model, self.proxy, monospace_font())
        self.detail = MessageDetail()

        # -- value layouts
        self.value_view = ValueView()
        self.value_view.highlightRequested.connect(self.highlightRequested)
        self.value_view.highlightCleared.connect(self.highlightCleared)
        self.value_label, self.value_tree, self.value_text = (
            self.value_view.label, self.value_view.tree, self.value_view.text)

        self.stack = QStackedWidget()
        self.stack.addWidget(self.table)
        self.stack.addWidget(self.value_view)

        box = QVBoxLayout(self)
        box.setContentsMargins(0, 0, 0, 0)
        box.setSpacing(0)
        box.addWidget(self.toolbar)
        box.addWidget(self.error_label)
        box.addWidget(self.stack, 1)

        self._filter_timer = QTimer(self)
        self._filter_timer.setSingleShot(True)
        self._filter_timer.setInterval(FILTER_DELAY_MS)
        self._filter_timer.timeout.connect(self.apply_filter)
        self.filter_edit.textChanged.connect(lambda _text: self._filter_timer.start())
        self.filter_edit.returnPressed.connect(self.apply_filter)
        self.pause_button.toggled.connect(self.set_paused)
        self.clear_button.clicked.connect(self.clear)
        self.table.selectionModel().currentRowChanged.connect(self._current_row_changed)
        self.autoscroll.toggled.connect(lambda on: setattr(self.table, "follow", on))
        self._update_counters()

    # -------------------------------------------------------------- sources

    def set_feed(self, feed: MessageFeed) -> None:
        """Show what ``feed`` reads (its owner polls it and hands each update to
        :meth:`show_update`): a channel's messages, or a value segment's value."""
        self._reset()
        self.feed = feed
        self.channel, self.reader = feed.channel, feed.reader
        self.segment, self.layout_kind = feed.segment, feed.kind
        if self.channel is not None:
            if self.reader is not None:
                self.model.set_senders(self.reader.senders)
            self.toolbar.show()
            self.stack.setCurrentIndex(0)
            self._update_counters()
            return
        self.toolbar.hide()
        self.value_view.set_kind(feed.kind)
        self.stack.setCurrentIndex(1)

    def set_channel(self, channel: Channel, *, start: str = "oldest") -> None:
        """Show ``channel``'s messages with a feed of the pane's own (a new reader that
        starts at ``start``: "oldest" still held, or "now"); :meth:`poll` reads it."""
        self.set_feed(MessageFeed(channel.segment, Layout.CHANNEL, channel=channel, start=start,
                                  max_batch=self.model.max_rows))

    def set_value_segment(self, segment: Segment, layout: Layout) -> None:
        """Show the value a value-layout segment holds at offset 0 (a mailbox, a .NET
        value, a ShareableList, text), or say there is nothing to decode (raw), with a
        feed of the pane's own; :meth:`poll` reads it."""
        if layout == Layout.CHANNEL:
            raise ValueError("a channel is shown with set_channel(Channel.attach(segment))")
        self.set_feed(MessageFeed(segment, layout))
        if layout != Layout.RAW:
            self.poll()

    def _reset(self) -> None:
        self.feed = None
        self.channel = self.reader = None
        self.segment = None
        self.layout_kind = None
        self._received = 0
        self._pending.clear()
        self._paused_new = 0
        self._error = None
        self.error_label.hide()
        self.value_view.clear()
        self.model.clear()
        self._clear_detail()

    # -------------------------------------------------------------- live tick

    def poll(self) -> int:
        """Read the feed and show what is new (for a pane used on its own; in the
        window the segment's live session reads, and hands the update over)."""
        return self.show_update(self.feed.poll()) if self.feed is not None else 0

    def show_update(self, update: FeedUpdate) -> int:
        """Show what a tick brought. Channel: the number of new messages (held back
        while paused, counted all the same). Value layouts: 1 if the value changed,
        else 0. Reading that stopped is said in the pane, never raised."""
        if update.error != self._error:
            self._error = update.error
            self.error_label.setText(update.error or "")
            self.error_label.setVisible(update.error is not None)
        if self.channel is not None:
            if self.feed is not None and self.feed.reader is not self.reader:  # made late
                self.reader = self.feed.reader
                if self.reader is not None:
                    self.model.set_senders(self.reader.senders)
            return self._show_messages(list(update.messages))
        if update.value is None:
            return 0
        if isinstance(update.value, FormatError):
            self.value_view.show_error(update.value)
        else:
            self.highlightRequested.emit(0, update.value.length)
            self.value_view.show_value(update.value)  # after: a part still selected outlines itself
        return 1

    def _show_messages(self, batch: list[Message]) -> int:
        count = len(batch)
        if count:
            self._received += count
            if self.paused:
                self._pending.extend(batch)
                self._paused_new += count
            else:
                self._append(batch)
        self._update_counters()
        return count

    @property
    def error(self) -> str | None:
        """Why reading stopped, or None while it goes on."""
        return self._error

    # -------------------------------------------------------------- channel view

    @property
    def paused(self) -> bool:
        """True while new messages are held back (still read and counted)."""
        return self.pause_button.isChecked()

    def set_paused(self, paused: bool) -> None:
        """Hold new messages (reading goes on, so loss is still counted exactly), or
        show the held ones in one batch and go live again."""
        if self.pause_button.isChecked() != paused:
            self.pause_button.setChecked(paused)  # comes back here through toggled
            return
        self.pause_button.setText("Resume" if paused else "Pause")
        if not paused and self._pending:
            held = list(self._pending)
            self._pending.clear()
            self._append(held)
        if not paused:
            self._paused_new = 0
        self._update_counters()

    @property
    def pending(self) -> int:
        """Messages held back while paused (at most the history size)."""
        return len(self._pending)

    @property
    def received(self) -> int:
        """Messages read since :meth:`set_channel` (shown, held, dropped or cleared)."""
        return self._received

    def clear(self) -> None:
        """Empty the table (and what is held while paused); counters keep counting."""
        self._pending.clear()
        self._paused_new = 0
        self.model.clear()
        self._clear_detail()
        self.highlightCleared.emit()
        self._update_counters()

    def apply_filter(self) -> str | None:
        """Apply the filter box now (it also applies itself shortly after typing).
        Returns the error text of an invalid regex, else None."""
        self._filter_timer.stop()
        text = self.filter_edit.text()
        regex = len(text) >= 2 and text.startswith("/") and text.endswith("/")
        error = self.proxy.set_filter(text[1:-1] if regex else text, regex=regex)
        if error:
            self.filter_edit.setStyleSheet(f"QLineEdit {{ border: 1px solid {error_color().name()}; }}")
            self.filter_edit.setToolTip(error)
        else:
            self.filter_edit.setStyleSheet("")
            self.filter_edit.setToolTip("")
        self._update_filter_status()
        if self.autoscroll.isChecked():
            self.table.scrollToBottom()
        return error

    def _update_filter_status(self) -> None:
        if self.proxy.error:
            text, style = "⚠ " + self.proxy.error, f"color: {error_color().name()};"
        elif self.proxy.active:
            text, style = f"{self.proxy.rowCount()} of {self.model.rowCount()}", ""
        else:
            text, style = "", ""
        if text != self.filter_status.text():
            self.filter_status.setText(text)
            self.filter_status.setStyleSheet(style)
        self.filter_status.setVisible(bool(text))

    def _append(self, batch: Sequence[Message]) -> None:
        self.table.append(batch)
        if self.proxy.active:
            self._update_filter_status()

    def _update_counters(self) -> None:
        reader = self.reader
        if reader is None:
            text = ""
        else:
            text = f"received {self._received} · lost {reader.lost} · corrupt {reader.corrupt}"
            if self.paused:
                text += f" · paused — {self._paused_new} new"
                beyond = self._paused_new - len(self._pending)
                if beyond > 0:
                    text += f" ({beyond} beyond the history will not be shown)"
        if text != self._counters_text:  # a tick that changes nothing makes no Qt call
            self._counters_text = text
            self.counters.setText(text)
            bad = reader is not None and (reader.lost or reader.corrupt)
            self.counters.setStyleSheet(f"color: {error_color().name()};" if bad else "")

    # -------------------------------------------------------------- selection

    @property
    def selected_message(self) -> Message | None:
        """The message shown in the detail area, if any."""
        return self._selected

    def select_row(self, row: int) -> None:
        """Select table row ``row`` (a row of the filtered view) as a click would."""
        self.table.select_row(row)

    def _current_row_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        # Rows dropped from the history move Qt's current row to a neighbour; that is
        # not the user choosing another message, so the details stay as they were.
        if self.table.updating or not current.isValid():
            return
        source = self.proxy.mapToSource(current)
        if not source.isValid():
            return
        self.show_message(self.model.message_at(source.row()))

    def show_message(self, msg: Message) -> None:
        """Show ``msg`` in the detail area and ask for its record to be highlighted."""
        self._selected = msg
        span = self._record_span(msg)
        self.detail.show_message(msg, sender=self.model.senders.get(msg.pid, ""), span=span)
        if span is None:
            self.highlightCleared.emit()
        else:
            self.highlightRequested.emit(*span)

    def _record_span(self, msg: Message) -> tuple[int, int] | None:
        channel = self.channel
        if channel is None or self._error is not None:
            return None
        try:
            return channel.record_span(msg)  # None for a truncated segment, never a SIGBUS
        except (MmfError, OSError, ValueError, IndexError):
            return None

    def _clear_detail(self) -> None:
        self._selected = None
        self.detail.clear()
