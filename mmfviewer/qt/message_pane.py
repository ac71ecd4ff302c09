"""The message pane: what a channel carries, live; or what a value segment holds.

:class:`MessagePane` is the widget: a toolbar (filter, auto-scroll, pause, clear,
counters), the table, and a detail area (the selected message as a tree and as a
hexdump). For value layouts (mailbox, .NET, ShareableList, text, raw) it shows the current value
at offset 0 instead. It reads nothing itself: the segment's live session
(:mod:`mmfviewer.live_session`) reads on every tick and hands the update to
:meth:`MessagePane.show_update`.
The table's model and filter live in :mod:`mmfviewer.qt.message_model`, the detail
tree in :mod:`mmfviewer.qt.value_tree`.

Filter syntax (chosen over a "Regex" checkbox: one box, nothing else to click):
plain text matches anywhere in the preview, ignoring case; text written between
slashes, ``/like (this|that)/``, is a regular expression (Qt's, i.e. PCRE2), case
sensitive unless it starts with ``(?i)``. A bad regex is reported next to the box
and filters nothing out; it never raises.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence

from PySide6.QtCore import QModelIndex, QPoint, Qt, QTimer, Signal
from PySide6.QtGui import QFont, QFontMetrics, QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QTableView,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ..channel import Channel, Message, Reader
from ..codec import Layout
from ..errors import FormatError, MmfError
from ..hextext import hexdump_text
from ..live_session import FeedUpdate, MessageFeed
from ..names import printable
from ..nrbf import decode as decode_nrbf
from ..nrbf import looks_like_nrbf
from ..nrbf_format import NrbfError
from ..presentation import full_time
from ..segment import Segment
from ..tree import Node
from ..wire import RECORD_HEADER_SIZE
from .message_model import (
    DEFAULT_MAX_ROWS,
    LANE,
    PREVIEW,
    SENDER,
    SEQ,
    SIZE,
    TIME,
    TYPE,
    MessageFilterProxy,
    MessageModel,
)
from .style import banner_style, error_color, monospace_font
from .value_tree import (
    fit_tree_columns,
    show_node,
    show_value,
    value_tree,
)
from .value_view import ValueView

#: The detail hexdump shows at most this many payload bytes (the hexdump package is
#: pure Python: a quarter-megabyte payload would freeze the click).
DETAIL_HEX_LIMIT = 64 * 1024
#: The filter is applied this long after the last keystroke (Enter applies it at once):
#: re-filtering 100,000 rows decodes them all, which should not happen per letter.
FILTER_DELAY_MS = 250

#: How long one poll may keep draining a reader that has more to give (seconds).
#: About 40,000 messages fit in it; the rest waits for the next tick (or is lost,
#: and counted, if the writer laps us meanwhile).
#: Characters in a hexdump line: "00000000: " + 16 bytes as hex + two spaces + 16 ASCII.
HEXDUMP_LINE_CHARS = 77

FILTER_PLACEHOLDER = "Filter previews (text or /regex/)"
OVERWRITTEN = "its bytes have been overwritten in the ring"



# ---------------------------------------------------------------------- the widget

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
        self._updating = False       # inside model.append: selection moves are not the user's
        self._selected: Message | None = None
        self.feed: MessageFeed | None = None
        self._counters_text = ""
        mono = monospace_font()

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
        self._stick = True  # at the bottom, as far as the user is concerned
        self.autoscroll.setToolTip("Follow the newest message (not while you are scrolled up)")
        self.pause_button = QPushButton("Pause")
        self.pause_button.setCheckable(True)
        self.pause_button.setToolTip("Hold new messages (they are still read and counted)")
        self.clear_button = QPushButton("Clear")
        self.clear_button.setToolTip("Remove every message from the table")
        self.counters = QLabel()
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

        # -- the table
        self.table = QTableView()
        self.table.setModel(self.proxy)
        self._setup_table(mono)

        # -- details of the selected message
        self.detail_label = QLabel("Select a message to see it in full.")
        self.detail_label.setWordWrap(True)
        self.detail_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.detail_tree = value_tree()
        self.detail_hex = QPlainTextEdit()
        self.detail_hex.setReadOnly(True)
        self.detail_hex.setFont(mono)
        self.detail_hex.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.detail_hex.setPlaceholderText("The raw payload, as hex")
        detail_split = QSplitter(Qt.Orientation.Horizontal)
        detail_split.addWidget(self.detail_tree)
        detail_split.addWidget(self.detail_hex)
        detail_split.setStretchFactor(0, 2)
        detail_split.setStretchFactor(1, 3)
        detail = QWidget()
        detail_box = QVBoxLayout(detail)
        detail_box.setContentsMargins(4, 2, 4, 0)
        detail_box.setSpacing(2)
        detail_box.addWidget(self.detail_label)
        detail_box.addWidget(detail_split, 1)
        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.addWidget(self.table)
        self.splitter.addWidget(detail)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 2)
        self.splitter.setChildrenCollapsible(False)
        self._detail_split = detail_split
        self._detail_sized = False

        # -- value layouts
        self.value_view = ValueView()
        self.value_view.highlightRequested.connect(self.highlightRequested)
        self.value_view.highlightCleared.connect(self.highlightCleared)
        self.value_label, self.value_tree, self.value_text = (
            self.value_view.label, self.value_view.tree, self.value_view.text)

        self.stack = QStackedWidget()
        self.stack.addWidget(self.splitter)
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
        self.table.verticalScrollBar().valueChanged.connect(self._scrolled)
        self._update_counters()

    # -------------------------------------------------------------- set-up

    def _setup_table(self, mono: QFont) -> None:
        table = self.table
        table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        table.setWordWrap(False)
        table.setShowGrid(False)
        table.setAlternatingRowColors(True)
        table.setSortingEnabled(False)
        table.setTextElideMode(Qt.TextElideMode.ElideRight)
        table.setHorizontalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        # Fixed row heights: with 100,000 rows the header must never ask each row its
        # size (QTableView has no setUniformRowHeights; this is its equivalent).
        rows = table.verticalHeader()
        rows.hide()
        rows.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        height = max(QFontMetrics(table.font()).height(), QFontMetrics(mono).height()) + 6
        rows.setDefaultSectionSize(height)
        rows.setMinimumSectionSize(height)
        # Column widths are sized once, from the fonts, never from the contents:
        # resizeColumnsToContents would read every row on every tick.
        header = table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(PREVIEW, QHeaderView.ResizeMode.Stretch)
        header.setStretchLastSection(False)
        header.setHighlightSections(False)
        header.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        mono_width = QFontMetrics(mono).horizontalAdvance
        text_width = QFontMetrics(table.font()).horizontalAdvance
        pad = 16
        widths = {
            SEQ: mono_width("0000000") + pad,
            TIME: mono_width("00:00:00.000000") + pad,
            LANE: text_width("Lane") + pad,
            SENDER: text_width("4194304 writer") + pad,
            TYPE: text_width("msgpack") + pad // 2,
            SIZE: mono_width("000000") + pad,
        }
        for column, width in widths.items():
            table.setColumnWidth(column, width)

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 (Qt's name)
        super().showEvent(event)
        if not self._detail_sized:
            # Once, when the real width is known: give the hexdump the width of a full
            # line (offset, 16 bytes, ASCII) and the tree the rest. Later the user's
            # splitter drags are kept.
            self._detail_sized = True
            line = QFontMetrics(self.detail_hex.font()).horizontalAdvance("0" * HEXDUMP_LINE_CHARS)
            hex_width = line + self.detail_hex.verticalScrollBar().sizeHint().width() + 16
            total = max(self._detail_split.width(), self.width())
            tree = max(total - hex_width, total * 2 // 5)  # keys, values and types need room too
            self._detail_split.setSizes([tree, total - tree])

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
        layout = Layout(layout)
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

    def _scrolled(self, value: int) -> None:
        if not self._updating:  # the user moved: follow again only from the bottom
            self._stick = value >= self.table.verticalScrollBar().maximum()

    def _append(self, batch: Sequence[Message]) -> None:
        """Append to the model, keeping the view where the user wants it."""
        scrollbar = self.table.verticalScrollBar()
        # Follow unless the user scrolled up: a bottom that moved because rows arrived
        # (or because the view was laid out after the last append) still counts.
        follow = self.autoscroll.isChecked() and (self._stick or scrollbar.value() >= scrollbar.maximum())
        anchor = None
        if not follow:
            # Dropping old rows shifts every row up: remember the top visible message
            # so the view can stay on it instead of sliding away under the user.
            top = self.table.indexAt(QPoint(0, 0))
            if top.isValid():
                anchor = self.model.first_ordinal + self.proxy.mapToSource(top).row()
        first = self.model.first_ordinal
        self._updating = True
        try:
            self.model.append(batch)
        finally:
            self._updating = False
        if follow:
            self.table.scrollToBottom()
        elif anchor is not None and self.model.first_ordinal != first:
            row = self.model.row_of_ordinal(anchor)
            if row is not None:
                top = self.proxy.mapFromSource(self.model.index(row, 0))
                if top.isValid():
                    self.table.scrollTo(top, QAbstractItemView.ScrollHint.PositionAtTop)
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
        index = self.proxy.index(row, 0)
        self.table.setCurrentIndex(index)
        self.table.scrollTo(index)

    def _current_row_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        # Rows dropped from the history move Qt's current row to a neighbour; that is
        # not the user choosing another message, so the details stay as they were.
        if self._updating or not current.isValid():
            return
        source = self.proxy.mapToSource(current)
        if not source.isValid():
            return
        self.show_message(self.model.message_at(source.row()))

    def show_message(self, msg: Message) -> None:
        """Show ``msg`` in the detail area and ask for its record to be highlighted."""
        self._selected = msg
        self.detail_tree.clear()
        try:
            value = msg.value
        except Exception as err:  # an undecodable payload: say why, still show the bytes
            item = QTreeWidgetItem(["⚠", str(err), msg.type_name])
            item.setForeground(1, error_color())
            item.setToolTip(1, str(err))
            self.detail_tree.addTopLevelItem(item)
            fit_tree_columns(self.detail_tree)
        else:
            tree = _dotnet_tree(bytes(value)) if isinstance(value, (bytes, bytearray)) else None
            if tree is not None:  # a .NET program's BinaryFormatter value, sent as bytes
                show_node(self.detail_tree, tree, key=f"{tree.type} (.NET)")
            else:
                show_value(self.detail_tree, value, key="text" if msg.type_name == "text" else "value")
        payload = msg.payload
        shown = payload[:DETAIL_HEX_LIMIT]
        dump = hexdump_text(shown)
        if len(payload) > len(shown):
            dump += f"\n… {len(payload) - len(shown)} more bytes not shown"
        self.detail_hex.setPlainText(dump)
        sender = printable(self.model.senders.get(msg.pid, ""))
        head = (f"seq {msg.seq} · lane {msg.lane} · from {msg.pid} {sender}".rstrip()
                + f" · {msg.type_name}, {len(payload)} bytes · {full_time(msg.timestamp_ns)}")
        span = self._record_span(msg)
        if span is None:
            self.detail_label.setText(f"{head}\nNot highlighted: {OVERWRITTEN} (what is shown "
                                      "here is the copy read when it arrived).")
            self.highlightCleared.emit()
        else:
            offset, length = span
            self.detail_label.setText(
                f"{head}\nIts record is at 0x{offset:X}–0x{offset + length - 1:X} in the segment "
                f"({length} bytes, with the {RECORD_HEADER_SIZE}-byte header; highlighted in the hex view).")
            self.highlightRequested.emit(offset, length)

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
        self.detail_tree.clear()
        self.detail_hex.clear()
        self.detail_label.setText("Select a message to see it in full.")

def _dotnet_tree(data: bytes) -> Node | None:
    """The .NET value a bytes message holds, when it is a BinaryFormatter stream."""
    if not looks_like_nrbf(data):
        return None
    try:
        return decode_nrbf(data)
    except NrbfError as err:
        return err.partial
