"""The message pane: what a channel carries, live; or what a seed segment holds.

Three pieces, each usable on its own:

* :class:`MessageModel` — the messages a reader received, one table row each, in
  arrival order. Built for a live tick that brings thousands of messages into a
  history of 100,000: one ``beginInsertRows`` per batch, the oldest rows dropped
  with one ``beginRemoveRows``, and nothing decoded until a view asks for a row
  (only visible rows are asked for). Previews are cached in a bounded LRU.
* :class:`MessageFilterProxy` — narrows the table to rows whose preview matches a
  text or a regular expression. It uses Qt's own regex filter on the preview
  column instead of overriding ``filterAcceptsRow``: with no filter set, Qt accepts
  rows without calling into Python, so an unfiltered pane costs nothing per row.
* :class:`MessagePane` — the widget: a toolbar (filter, auto-scroll, pause, clear,
  counters), the table, and a detail area (the selected message as a tree and as a
  hexdump). For the seed layouts (mailbox, text, raw) it shows the current value
  at offset 0 instead. The owner calls :meth:`MessagePane.poll` on every live tick;
  the pane has no timer of its own driving reads (DESIGN.md: one timer per segment).

Filter syntax (chosen over a "Regex" checkbox: one box, nothing else to click):
plain text matches anywhere in the preview, ignoring case; text written between
slashes, ``/like (this|that)/``, is a regular expression (Qt's, i.e. PCRE2), case
sensitive unless it starts with ``(?i)``. A bad regex is reported next to the box
and filters nothing out; it never raises.
"""

from __future__ import annotations

import time
from operator import itemgetter
from collections import OrderedDict, deque
from itertools import islice, repeat, starmap
from datetime import datetime
from typing import Any, Iterable, Mapping, Sequence

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QPoint,
    QRegularExpression,
    QSortFilterProxyModel,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QColor, QFont, QFontDatabase, QFontMetrics, QGuiApplication, QPalette, QShowEvent
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
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ..channel import Channel, Message, Reader
from ..codec import Layout, decode_mailbox, decode_text, read_stable
from ..errors import FormatError, MmfError
from ..hextext import hexdump_text
from ..inspect import short_repr
from ..layout import RECORD_HEADER_SIZE, TYPE_MSGPACK
from ..segment import Segment

_Index = QModelIndex | QPersistentModelIndex

#: Column titles, in order.
# The preview comes before type and size: in a narrow window it is what must show.
COLUMNS = ("Seq", "Time", "Lane", "Sender", "Preview", "Type", "Size")
SEQ, TIME, LANE, SENDER, PREVIEW, TYPE, SIZE = range(len(COLUMNS))

#: Default bound of the history (rows kept) and of the messages held while paused.
DEFAULT_MAX_ROWS = 100_000
#: Previews kept decoded. A view shows a few dozen rows; this covers scrolling back
#: and forth over thousands without decoding again, at a bounded cost in memory.
PREVIEW_CACHE_SIZE = 4096
#: Characters in a preview. More than a window shows, because the filter matches
#: what the preview says and a longer preview finds more.
PREVIEW_CHARS = 200
#: Characters in the preview column's tooltip (computed only on hover).
TOOLTIP_CHARS = 2000
#: The detail hexdump shows at most this many payload bytes (the hexdump package is
#: pure Python: a quarter-megabyte payload would freeze the click).
DETAIL_HEX_LIMIT = 64 * 1024
#: The detail tree stops adding items after this many, and shows at most this many
#: children per map or array: a value with a million elements must not freeze the click.
TREE_ITEM_BUDGET = 20_000
TREE_CHILDREN = 1000
TREE_DEPTH = 64
#: Bytes values show this many bytes as hex in the tree.
TREE_BYTES = 64
#: The filter is applied this long after the last keystroke (Enter applies it at once):
#: re-filtering 100,000 rows decodes them all, which should not happen per letter.
FILTER_DELAY_MS = 250

#: How long one poll may keep draining a reader that has more to give (seconds).
#: About 40,000 messages fit in it; the rest waits for the next tick (or is lost,
#: and counted, if the writer laps us meanwhile).
POLL_BUDGET_S = 0.010  # reading time per tick, so that a tick stays well under 50 ms
#: Characters in a hexdump line: "00000000: " + 16 bytes as hex + two spaces + 16 ASCII.
HEXDUMP_LINE_CHARS = 77

FILTER_PLACEHOLDER = "Filter previews (text or /regex/)"
RAW_SENTENCE = ("Nothing to decode here: this segment has no channel header, and no msgpack "
                "value or text at offset 0. Use the data inspector to read the bytes at the "
                "cursor as numbers, strings or times.")
OVERWRITTEN = "its bytes have been overwritten in the ring"

# Qt roles as plain ints: data() is called thousands of times per repaint, and
# comparing ints is the cheapest dispatch there is.
_DISPLAY = int(Qt.ItemDataRole.DisplayRole.value)
_TOOLTIP = int(Qt.ItemDataRole.ToolTipRole.value)
_FONT = int(Qt.ItemDataRole.FontRole.value)
_ALIGN = int(Qt.ItemDataRole.TextAlignmentRole.value)
_FOREGROUND = int(Qt.ItemDataRole.ForegroundRole.value)
_RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
_MONO_COLUMNS = frozenset({SEQ, TIME, SIZE, PREVIEW})
_RIGHT_COLUMNS = frozenset({SEQ, LANE, SIZE})


def monospace_font() -> QFont:
    """The system's fixed-pitch font (a monospace one where none is configured)."""
    font = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
    font.setStyleHint(QFont.StyleHint.TypeWriter)
    return font


def error_color() -> QColor:
    """Red that reads on the current palette: darker on light themes, lighter on dark."""
    window = QGuiApplication.palette().color(QPalette.ColorRole.Base)
    return QColor("#ff6b6b") if window.lightness() < 128 else QColor("#c62828")


_timestamp = itemgetter(3)  # Message.timestamp_ns, as a C-level key function


def format_time(timestamp_ns: int) -> str:
    """``HH:MM:SS.ffffff`` in local time."""
    seconds, ns = divmod(timestamp_ns, 1_000_000_000)
    return time.strftime("%H:%M:%S", time.localtime(seconds)) + f".{ns // 1000:06d}"


def format_full_time(timestamp_ns: int) -> str:
    """The date and time to the nanosecond, local time (for tooltips)."""
    seconds, ns = divmod(timestamp_ns, 1_000_000_000)
    return datetime.fromtimestamp(seconds).strftime("%Y-%m-%d %H:%M:%S") + f".{ns:09d}"


def preview_of(message: Message, limit: int = PREVIEW_CHARS) -> tuple[str, str | None]:
    """A one-line preview of a message and, if its value does not decode, the error.

    A message that does not decode previews as ``"⚠ "`` + the error. Never raises:
    whatever a hostile payload makes the decoder do ends up as an error text.
    """
    try:
        return short_repr(message.value, limit), None
    except Exception as err:  # FormatError mostly; anything else is still just bad data
        # msgpack's own messages are sometimes empty ("...: FormatError: "): no dangling colon.
        text = str(err).rstrip(": ") or type(err).__name__
        return "⚠ " + text, text


# ---------------------------------------------------------------------- the model

class MessageModel(QAbstractTableModel):
    """Received messages, oldest first, at most :attr:`max_rows` of them.

    Rows live in a :class:`collections.deque`: dropping the oldest is O(dropped) and
    done in C, and a dropped message is freed at once. (A list with a start index
    gives O(1) indexing but keeps up to a second history of dead messages alive
    until it compacts; measured, those extra GC-tracked tuples made every full
    garbage collection slower than deque indexing ever costs: a view reads a few
    dozen rows, and ``deque[i]`` is a C walk over 64-item blocks.)

    Every message also has an *ordinal*, its number in arrival order since the
    model was made; previews are cached by ordinal, which is unique, cheap to hash,
    and survives rows moving up when old ones are dropped.
    """

    def __init__(self, parent: QObject | None = None, *, max_rows: int = DEFAULT_MAX_ROWS,
                 senders: Mapping[int, str] | None = None,
                 cache_size: int = PREVIEW_CACHE_SIZE) -> None:
        super().__init__(parent)
        self._check_max_rows(max_rows)
        self._max_rows = max_rows
        self._rows: deque[Message] = deque()
        self._total = 0   # messages ever appended: the ordinal the next one gets
        self._cache: OrderedDict[int, tuple[str, str | None]] = OrderedDict()
        self._cache_size = max(1, cache_size)
        self._senders: Mapping[int, str] = senders if senders is not None else {}
        self._mono = monospace_font()
        self._red = error_color()

    # -------------------------------------------------------------- public API

    @property
    def max_rows(self) -> int:
        """How many rows are kept; the oldest are dropped beyond it."""
        return self._max_rows

    @max_rows.setter
    def max_rows(self, value: int) -> None:
        self._check_max_rows(value)
        self._max_rows = value
        excess = len(self) - value
        if excess > 0:
            self.beginRemoveRows(QModelIndex(), 0, excess - 1)
            self._drop(excess)
            self.endRemoveRows()

    @property
    def total_received(self) -> int:
        """How many messages were ever appended (including dropped and cleared ones)."""
        return self._total

    @property
    def first_ordinal(self) -> int:
        """The ordinal (arrival number, from 0) of row 0."""
        return self._total - len(self)

    @property
    def senders(self) -> Mapping[int, str]:
        """pid -> writer name, as the Sender column shows it."""
        return self._senders

    def set_senders(self, senders: Mapping[int, str]) -> None:
        """Name senders from ``senders`` (kept by reference: pass ``reader.senders``
        and names learnt later appear without another call)."""
        self._senders = senders
        if len(self):
            self.dataChanged.emit(self.index(0, SENDER), self.index(len(self) - 1, SENDER))

    def append(self, messages: Sequence[Message]) -> None:
        """Add a batch of messages at the end, dropping the oldest beyond :attr:`max_rows`.

        One ``rowsInserted`` per call, and at most one ``rowsRemoved`` before it;
        nothing is decoded here.
        """
        count = len(messages)
        if not count:
            return
        self._total += count
        if count > self._max_rows:  # the batch alone overflows: only its newest fit
            messages = list(islice(messages, count - self._max_rows, None))  # any sequence
            count = self._max_rows
        excess = len(self) + count - self._max_rows
        if excess > 0:
            self.beginRemoveRows(QModelIndex(), 0, excess - 1)
            self._drop(excess)
            self.endRemoveRows()
        first = len(self)
        self.beginInsertRows(QModelIndex(), first, first + count - 1)
        self._rows.extend(messages)
        self.endInsertRows()

    def clear(self) -> None:
        """Remove every row (``total_received`` keeps counting)."""
        self.beginResetModel()
        self._rows = deque()
        self._cache.clear()
        self.endResetModel()

    def message_at(self, row: int) -> Message:
        """The message shown in ``row`` (0 = oldest kept). IndexError outside the rows."""
        if not 0 <= row < len(self):
            raise IndexError(f"row {row} is outside the {len(self)} rows")
        return self._rows[row]

    def row_of_ordinal(self, ordinal: int) -> int | None:
        """The row of the message with this arrival number, or None if not kept."""
        row = ordinal - self.first_ordinal
        return row if 0 <= row < len(self) else None

    def preview(self, row: int) -> str:
        """The one-line preview of ``row`` (decoded now, or taken from the cache)."""
        return self._preview(row)[0]

    def error(self, row: int) -> str | None:
        """Why ``row``'s value does not decode, or None if it does."""
        return self._preview(row)[1]

    def __len__(self) -> int:
        return len(self._rows)

    def __bool__(self) -> bool:
        # With __len__ alone an empty model would be falsy, and "if model:" would
        # read as "if there is no model".
        return True

    # -------------------------------------------------------------- Qt model

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: N802 (Qt's name)
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation,  # noqa: N802
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == _DISPLAY and 0 <= section < len(COLUMNS):
            return COLUMNS[section]
        return None

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        # Never raises: an exception escaping into Qt's C++ would be printed and the
        # cell left blank at best; a bad message must show as a marked row instead.
        try:
            return self._data(index.row(), index.column(), role)
        except Exception:  # pragma: no cover - a safety net; _data handles bad payloads
            return None

    # -------------------------------------------------------------- internals

    def _data(self, row: int, column: int, role: int) -> Any:
        if not 0 <= row < len(self._rows):
            return None
        if role == _DISPLAY:
            msg = self._rows[row]
            if column == PREVIEW:
                return self._preview(row)[0]
            if column == SEQ:
                return str(msg[2])
            if column == TIME:
                return format_time(msg[3])
            if column == LANE:
                return str(msg[0])
            if column == SENDER:
                name = self._senders.get(msg[1], "")
                return f"{msg[1]} {name}" if name else str(msg[1])
            if column == TYPE:
                return msg.type_name
            if column == SIZE:
                return str(len(msg.payload))
            return None
        if role == _FOREGROUND:
            # Only msgpack can fail to decode; text and bytes rows skip the decode.
            if self._rows[row][4] == TYPE_MSGPACK and self._preview(row)[1] is not None:
                return self._red
            return None
        if role == _FONT:
            return self._mono if column in _MONO_COLUMNS else None
        if role == _ALIGN:
            return _RIGHT if column in _RIGHT_COLUMNS else None
        if role == _TOOLTIP:
            msg = self._rows[row]
            if column == TIME:
                return format_full_time(msg[3])
            if column == PREVIEW:
                text, error = self._preview(row)
                if error is not None:
                    return f"This message's value does not decode:\n{error}"
                return preview_of(msg, TOOLTIP_CHARS)[0]
        return None

    def _preview(self, row: int) -> tuple[str, str | None]:
        ordinal = self._total - len(self._rows) + row
        cache = self._cache
        entry = cache.get(ordinal)
        if entry is not None:
            cache.move_to_end(ordinal)
            return entry
        entry = preview_of(self._rows[row])
        cache[ordinal] = entry
        if len(cache) > self._cache_size:
            cache.popitem(last=False)
        return entry

    def _drop(self, count: int) -> None:
        """Forget the ``count`` oldest rows (call between begin/endRemoveRows)."""
        if count >= len(self._rows):
            self._rows.clear()
        else:
            # popleft ``count`` times without a Python-level loop: a zero-length
            # deque consumes the calls in C.
            deque(starmap(self._rows.popleft, repeat((), count)), maxlen=0)

    @staticmethod
    def _check_max_rows(value: int) -> None:
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise ValueError(f"max_rows must be a whole number of at least 1, got {value!r}")


# ---------------------------------------------------------------------- the filter

class MessageFilterProxy(QSortFilterProxyModel):
    """Keeps the rows whose preview matches a text (any case) or a regular expression.

    No sorting: rows stay in arrival order. An invalid regex is reported through
    :attr:`error` (and the return value of :meth:`set_filter`) and filters nothing out.
    """

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.setFilterKeyColumn(PREVIEW)
        self.setFilterRole(Qt.ItemDataRole.DisplayRole)
        self._text = ""
        self._regex = False
        self._error = ""

    @property
    def error(self) -> str:
        """Why the current regex is invalid; ``""`` when the filter is fine."""
        return self._error

    @property
    def filter_text(self) -> str:
        """The text or pattern set last."""
        return self._text

    @property
    def is_regex(self) -> bool:
        """True if :attr:`filter_text` is a regular expression."""
        return self._regex

    @property
    def active(self) -> bool:
        """True while a (valid) filter hides rows that do not match."""
        return bool(self._text) and not self._error

    def set_filter(self, text: str, *, regex: bool = False) -> str | None:
        """Show only rows whose preview contains ``text`` (ignoring case), or matches
        it as a regular expression. ``""`` shows every row.

        Returns None, or the error text when ``regex`` is invalid (then every row
        is shown, as with no filter).
        """
        self._text, self._regex = text, regex
        if regex and text:
            expression = QRegularExpression(text)
            if not expression.isValid():
                self._error = (f"invalid regex at character {expression.patternErrorOffset() + 1}: "
                               f"{expression.errorString()}")
                self.setFilterRegularExpression(QRegularExpression())
                return self._error
        else:
            expression = QRegularExpression(
                QRegularExpression.escape(text),
                QRegularExpression.PatternOption.CaseInsensitiveOption)
        self._error = ""
        # An empty pattern makes Qt accept every row without asking for its data.
        self.setFilterRegularExpression(expression if text else QRegularExpression())
        return None


# ---------------------------------------------------------------------- detail tree

def value_tree() -> QTreeWidget:
    """An empty Key / Value / Type tree; the Value column takes the spare width."""
    tree = QTreeWidget()
    tree.setHeaderLabels(["Key", "Value", "Type"])
    tree.setUniformRowHeights(True)
    tree.setAlternatingRowColors(True)
    tree.setTextElideMode(Qt.TextElideMode.ElideRight)
    header = tree.header()
    header.setStretchLastSection(False)
    header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
    return tree


def fit_tree_columns(tree: QTreeWidget) -> None:
    """Size Key and Type to what they hold (within reason) after the tree is filled;
    Value stretches over the rest."""
    for column, cap in ((0, 220), (2, 140)):
        tree.resizeColumnToContents(column)
        tree.setColumnWidth(column, min(tree.columnWidth(column), cap))


def value_items(value: Any, *, key: str = "value") -> QTreeWidgetItem:
    """A tree item (Key, Value, Type) for a decoded value, with children for maps and
    arrays. Bytes show as hex (the first 64 bytes, then "…"); other scalars as repr.
    Huge or deep values are cut, with an item saying how much was left out."""
    budget = [TREE_ITEM_BUDGET]
    return _item(key, value, 0, budget)


def _item(key: str, value: Any, depth: int, budget: list[int]) -> QTreeWidgetItem:
    budget[0] -= 1
    if isinstance(value, dict):
        item = QTreeWidgetItem([key, _count(len(value), "entry", "entries"), "map"])
        children = ((_key_text(k), v) for k, v in value.items())
        _add_children(item, children, len(value), depth, budget)
    elif isinstance(value, (list, tuple)):
        item = QTreeWidgetItem([key, _count(len(value), "item", "items"), "array"])
        _add_children(item, ((f"[{i}]", v) for i, v in enumerate(value)), len(value), depth, budget)
    elif isinstance(value, (bytes, bytearray, memoryview)):
        data = bytes(value[:TREE_BYTES])
        more = "…" if len(value) > TREE_BYTES else ""
        item = QTreeWidgetItem([key, data.hex(" ") + more, f"bytes ({len(value)})"])
    elif isinstance(value, str):
        shown = value if len(value) <= 10_000 else value[:10_000] + "…"
        size = _count(len(value.encode("utf-8", "replace")), "byte", "bytes")
        item = QTreeWidgetItem([key, repr(shown), f"str ({size})"])
    else:
        item = QTreeWidgetItem([key, repr(value), type(value).__name__])
    item.setToolTip(1, item.text(1)[:TOOLTIP_CHARS])
    return item


def _add_children(item: QTreeWidgetItem, children: Iterable[tuple[str, Any]], total: int,
                  depth: int, budget: list[int]) -> None:
    if total and depth >= TREE_DEPTH:
        item.addChild(QTreeWidgetItem(["…", f"nested deeper than {TREE_DEPTH} levels: not shown", ""]))
        return
    shown = 0
    for child_key, child in children:
        if shown >= TREE_CHILDREN or budget[0] <= 0:
            item.addChild(QTreeWidgetItem(["…", f"{total - shown} more not shown", ""]))
            return
        item.addChild(_item(child_key, child, depth + 1, budget))
        shown += 1


def _count(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def show_value(tree: QTreeWidget, value: Any, *, key: str = "value") -> None:
    """Fill ``tree`` with ``value``: small values fully expanded, large ones to two levels."""
    tree.clear()
    item = value_items(value, key=key)
    tree.addTopLevelItem(item)
    if _item_count(item, 200) < 200:
        tree.expandAll()
    else:
        tree.expandToDepth(1)
    fit_tree_columns(tree)


def _item_count(item: QTreeWidgetItem, cap: int) -> int:
    """How many items are under ``item`` (itself included), counting no further than ``cap``."""
    count, stack = 0, [item]
    while stack and count < cap:
        node = stack.pop()
        count += 1
        stack.extend(node.child(i) for i in range(node.childCount()))
    return count


def _key_text(key: Any) -> str:
    return key if isinstance(key, str) else repr(key)


# ---------------------------------------------------------------------- the widget

class MessagePane(QWidget):
    """Messages of a channel (a live table plus details), or a seed segment's value.

    Call :meth:`set_channel` or :meth:`set_seed`, then :meth:`poll` on every tick.
    """

    #: (offset, length) of the selected message's record (or a seed value) in the segment.
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
        self._stopped = False        # reading failed: no more polls
        self._error: str | None = None
        self._updating = False       # inside model.append: selection moves are not the user's
        self._selected: Message | None = None
        self._seed_bytes: bytes | None = None
        self._seed_value: Any = None
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
                                 "before we read them (exact) · corrupt: records that failed "
                                 "their checks and were skipped")
        self.toolbar = QWidget()
        bar = QHBoxLayout(self.toolbar)
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
            "QLabel { background: #b3261e; color: white; padding: 4px; font-weight: bold; }")
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

        # -- seed layouts
        self.seed_label = QLabel()
        self.seed_label.setWordWrap(True)
        self.seed_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.seed_tree = value_tree()
        self.seed_text = QPlainTextEdit()
        self.seed_text.setReadOnly(True)
        self.seed_text.setFont(mono)
        seed_page = QWidget()
        seed_box = QVBoxLayout(seed_page)
        seed_box.setContentsMargins(6, 6, 6, 6)
        seed_box.addWidget(self.seed_label)
        seed_box.addWidget(self.seed_tree, 1)
        seed_box.addWidget(self.seed_text, 1)
        seed_box.addStretch(0)
        self._seed_box = seed_box

        self.stack = QStackedWidget()
        self.stack.addWidget(self.splitter)
        self.stack.addWidget(seed_page)

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
            self._detail_split.setSizes([max(total - hex_width, total // 3), hex_width])

    # -------------------------------------------------------------- sources

    def set_channel(self, channel: Channel, *, start: str = "oldest") -> None:
        """Show ``channel``'s messages: a new reader starts at ``start`` ("oldest" still
        held, or "now"). Messages arrive on :meth:`poll`."""
        reader = channel.reader(start)  # type: ignore[arg-type]  # Reader checks the value
        self._reset()
        self.channel, self.reader = channel, reader
        self.layout_kind = Layout.CHANNEL
        self.model.set_senders(reader.senders)
        self.toolbar.show()
        self.stack.setCurrentIndex(0)
        self._update_counters()

    def set_seed(self, segment: Segment, layout: Layout) -> None:
        """Show the value a seed-layout segment holds at offset 0 (mailbox or text),
        or say there is nothing to decode (raw). Updated on :meth:`poll`."""
        layout = Layout(layout)
        if layout == Layout.CHANNEL:
            raise ValueError("a channel is shown with set_channel(Channel.attach(segment))")
        self._reset()
        self.segment, self.layout_kind = segment, layout
        self.toolbar.hide()
        self.seed_tree.setVisible(layout == Layout.MAILBOX)
        self.seed_text.setVisible(layout == Layout.TEXT)
        # The stretch at the end only matters when neither value widget is shown.
        self._seed_box.setStretch(3, 1 if layout == Layout.RAW else 0)
        self.stack.setCurrentIndex(1)
        if layout == Layout.RAW:
            self._set_seed_label(RAW_SENTENCE, marked=False)
        else:
            self.poll()

    def _reset(self) -> None:
        self.channel = self.reader = None
        self.segment = None
        self.layout_kind = None
        self._received = 0
        self._pending.clear()
        self._paused_new = 0
        self._stopped = False
        self._error = None
        self.error_label.hide()
        self._seed_bytes = None
        self._seed_value = None
        self.seed_tree.clear()
        self.seed_text.clear()
        self.seed_label.clear()
        self.model.clear()
        self._clear_detail()

    # -------------------------------------------------------------- live tick

    def poll(self) -> int:
        """Read what is new. Channel: the number of new messages (held back while
        paused, counted all the same). Seed layouts: 1 if the value changed, else 0.
        An error stops reading and is shown in the pane; it is never raised."""
        if self._stopped:
            return 0
        if self.reader is not None:
            return self._poll_channel(self.reader)
        if self.segment is not None and self.layout_kind in (Layout.MAILBOX, Layout.TEXT):
            return self._poll_seed(self.segment)
        return 0

    def _poll_channel(self, reader: Reader) -> int:
        # One reader.poll() takes at most 64 KiB per lane (about a thousand small
        # messages); a writer sending faster than that per tick would lap a reader
        # polled once per tick and cost messages that did not need to be lost. So
        # drain the reader until it is caught up, within a time budget and never
        # more than the history holds, then append everything in one batch.
        batch: list[Message] = []
        try:
            more = reader.poll()
            if more:
                batch = more
                limit = self.model.max_rows
                deadline = time.perf_counter() + POLL_BUDGET_S
                while len(batch) < limit and time.perf_counter() < deadline:
                    more = reader.poll()
                    if not more:
                        break
                    batch += more
        except (MmfError, OSError) as err:
            self._stop(f"Reading stopped: {err}")
            # What was read before the error is still shown (and counted).
            if not batch:
                return 0
        count = len(batch)
        if count > 1:
            # The reader hands lanes over one after another; people read by time.
            # Each lane is already a sorted run, so this stable sort is cheap and keeps
            # every lane's own order.
            batch.sort(key=_timestamp)
        if count:
            self._received += count
            if self.paused:
                self._pending.extend(batch)
                self._paused_new += count
            else:
                self._append(batch)
        self._update_counters()
        return count

    def _poll_seed(self, segment: Segment) -> int:
        try:
            data = read_stable(segment)
        except (MmfError, OSError) as err:
            self._stop(f"Reading stopped: {err}")
            return 0
        if data == self._seed_bytes:
            return 0
        self._seed_bytes = data
        try:
            value: Any = decode_mailbox(data) if self.layout_kind == Layout.MAILBOX else decode_text(data)
        except FormatError as err:
            value = err
        if isinstance(value, FormatError):
            if isinstance(self._seed_value, FormatError) and str(value) == str(self._seed_value):
                return 0
            self._seed_value = value
            self._show_seed_error(value)
            return 1
        if value == self._seed_value:
            return 0  # other bytes changed (after the value): nothing to show anew
        self._seed_value = value
        self._show_seed_value(value)
        self.highlightRequested.emit(0, value.length)
        return 1

    def _stop(self, message: str) -> None:
        self._stopped = True
        self._error = message
        self.error_label.setText(message)
        self.error_label.show()

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
            self.filter_edit.setStyleSheet("QLineEdit { border: 1px solid #c62828; }")
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
            show_value(self.detail_tree, value, key="text" if msg.type_name == "text" else "value")
        payload = msg.payload
        shown = payload[:DETAIL_HEX_LIMIT]
        dump = hexdump_text(shown)
        if len(payload) > len(shown):
            dump += f"\n… {len(payload) - len(shown)} more bytes not shown"
        self.detail_hex.setPlainText(dump)
        sender = self.model.senders.get(msg.pid, "")
        head = (f"seq {msg.seq} · lane {msg.lane} · from {msg.pid} {sender}".rstrip()
                + f" · {msg.type_name}, {len(payload)} bytes · {format_full_time(msg.timestamp_ns)}")
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
        if channel is None or self._stopped:
            return None
        try:
            # record_span reads the mapping itself: a segment truncated under us would
            # SIGBUS there, so check its live size first (Segment.read's rule).
            if channel.segment.current_size() < channel.header.segment_size:
                return None
            return channel.record_span(msg)
        except (MmfError, OSError, ValueError, IndexError):
            return None

    def _clear_detail(self) -> None:
        self._selected = None
        self.detail_tree.clear()
        self.detail_hex.clear()
        self.detail_label.setText("Select a message to see it in full.")

    # -------------------------------------------------------------- seed view

    def _set_seed_label(self, text: str, *, marked: bool) -> None:
        self.seed_label.setText(text)
        self.seed_label.setStyleSheet(f"color: {error_color().name()}; font-weight: bold;"
                                      if marked else "")

    def _show_seed_value(self, value: Any) -> None:
        self._seed_box.setStretch(3, 0)
        if self.layout_kind == Layout.MAILBOX:
            self._set_seed_label(f"mailbox: {value.length} bytes of msgpack at offset 0", marked=False)
            self.seed_tree.show()
            show_value(self.seed_tree, value.value)
        else:
            self._set_seed_label(f"text: {value.length} bytes ({value.untrimmed_length} bytes "
                                 "looked at, NULs and all)", marked=False)
            self.seed_text.show()
            self.seed_text.setPlainText(value.text)

    def _show_seed_error(self, err: FormatError) -> None:
        self._set_seed_label(f"⚠ {self.layout_kind}: {err}", marked=True)
        # The message says it all; an empty tree or text box under it would only
        # suggest an empty value.
        self.seed_tree.clear()
        self.seed_text.clear()
        self.seed_tree.hide()
        self.seed_text.hide()
        self._seed_box.setStretch(3, 1)
        self.highlightCleared.emit()
