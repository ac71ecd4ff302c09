"""The message table's model and its filter (no widgets here).

Two pieces, each usable on its own; the widget showing them is
:class:`mmfviewer.qt.message_pane.MessagePane`.

* :class:`MessageModel` — the messages a reader received, one table row each, in
  arrival order. Built for a live tick that brings thousands of messages into a
  history of 100,000: one ``beginInsertRows`` per batch, the oldest rows dropped
  with one ``beginRemoveRows``, and nothing decoded until a view asks for a row
  (only visible rows are asked for). Previews are cached in a bounded LRU.
* :class:`MessageFilterProxy` — narrows the table to rows whose preview matches a
  text or a regular expression. It uses Qt's own regex filter on the preview
  column instead of overriding ``filterAcceptsRow``: with no filter set, Qt accepts
  rows without calling into Python, so an unfiltered pane costs nothing per row.
"""

from __future__ import annotations

from collections import OrderedDict, deque
from collections.abc import Mapping, Sequence
from itertools import islice, repeat, starmap
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QRegularExpression,
    QSortFilterProxyModel,
    Qt,
)

from ..message import Message
from ..names import printable
from ..presentation import clock_time, full_time, preview_of
from ..wire import TYPE_MSGPACK
from .style import error_color, monospace_font

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
#: Characters in the preview column's tooltip (computed only on hover).
TOOLTIP_CHARS = 2000

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
                return clock_time(msg[3])
            if column == LANE:
                return str(msg[0])
            if column == SENDER:
                name = printable(self._senders.get(msg[1], ""))
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
                return full_time(msg[3])
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
        self._error = ""

    @property
    def error(self) -> str:
        """Why the current regex is invalid; ``""`` when the filter is fine."""
        return self._error

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
        self._text = text
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
