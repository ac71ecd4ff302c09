"""The selected message in full: where its record lies, its value as a tree, its
payload as a hexdump.

The message shown is the copy read when it arrived; the pane says whether its
record is still in the ring (and so can be highlighted in the hex view) or has
been overwritten since.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QFontMetrics, QShowEvent
from PySide6.QtWidgets import QSplitter, QTreeWidgetItem, QVBoxLayout, QWidget

from ..hextext import hexdump_text
from ..message import Message
from ..names import printable
from ..nrbf import decode as decode_nrbf
from ..nrbf import looks_like_nrbf
from ..nrbf_format import NrbfError
from ..presentation import full_time
from ..tree import Node
from ..wire import RECORD_HEADER_SIZE
from .style import error_color, mono_text_view, note_label
from .value_tree import fit_tree_columns, show_node, show_value, value_tree

#: The detail hexdump shows at most this many payload bytes (the hexdump package is
#: pure Python: a quarter-megabyte payload would freeze the click).
DETAIL_HEX_LIMIT = 64 * 1024
#: Characters in a hexdump line: "00000000: " + 16 bytes as hex + two spaces + 16 ASCII.
HEXDUMP_LINE_CHARS = 77
#: Why a selected message is not highlighted in the hex view.
OVERWRITTEN = "its bytes have been overwritten in the ring"
NOTHING_SELECTED = "Select a message to see it in full."


class MessageDetail(QWidget):
    """One message: a line saying what and where it is, a tree and a hexdump."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.label = note_label(NOTHING_SELECTED)
        self.tree = value_tree()
        self.hexdump = mono_text_view("The raw payload, as hex", wrap=False)
        self._split = QSplitter(Qt.Orientation.Horizontal)
        self._split.addWidget(self.tree)
        self._split.addWidget(self.hexdump)
        self._split.setStretchFactor(0, 2)
        self._split.setStretchFactor(1, 3)
        self._sized = False
        box = QVBoxLayout(self)
        box.setContentsMargins(4, 2, 4, 0)
        box.setSpacing(2)
        box.addWidget(self.label)
        box.addWidget(self._split, 1)

    def show_message(self, msg: Message, *, sender: str, span: tuple[int, int] | None) -> None:
        """Show ``msg`` from ``sender``; ``span`` is its record's (offset, length) in the
        segment, or None when its bytes are no longer there."""
        self.tree.clear()
        try:
            value = msg.value
        except Exception as err:  # an undecodable payload: say why, still show the bytes
            item = QTreeWidgetItem(["⚠", str(err), msg.type_name])
            item.setForeground(1, error_color())
            item.setToolTip(1, str(err))
            self.tree.addTopLevelItem(item)
            fit_tree_columns(self.tree)
        else:
            tree = _dotnet_tree(bytes(value)) if isinstance(value, (bytes, bytearray)) else None
            if tree is not None:  # a .NET program's BinaryFormatter value, sent as bytes
                show_node(self.tree, tree, key=f"{tree.type} (.NET)")
            else:
                show_value(self.tree, value, key="text" if msg.type_name == "text" else "value")
        payload = msg.payload
        shown = payload[:DETAIL_HEX_LIMIT]
        dump = hexdump_text(shown)
        if len(payload) > len(shown):
            dump += f"\n… {len(payload) - len(shown)} more bytes not shown"
        self.hexdump.setPlainText(dump)
        head = (f"seq {msg.seq} · lane {msg.lane} · from {msg.pid} {printable(sender)}".rstrip()
                + f" · {msg.type_name}, {len(payload)} bytes · {full_time(msg.timestamp_ns)}")
        if span is None:
            self.label.setText(f"{head}\nNot highlighted: {OVERWRITTEN} (what is shown "
                               "here is the copy read when it arrived).")
        else:
            offset, length = span
            self.label.setText(
                f"{head}\nIts record is at 0x{offset:X}–0x{offset + length - 1:X} in the segment "
                f"({length} bytes, with the {RECORD_HEADER_SIZE}-byte header; highlighted in the hex view).")

    def clear(self) -> None:
        """Show nothing selected."""
        self.tree.clear()
        self.hexdump.clear()
        self.label.setText(NOTHING_SELECTED)

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 (Qt's name)
        super().showEvent(event)
        if not self._sized:
            # Once, when the real width is known: give the hexdump the width of a full
            # line (offset, 16 bytes, ASCII) and the tree the rest. Later the user's
            # splitter drags are kept.
            self._sized = True
            line = QFontMetrics(self.hexdump.font()).horizontalAdvance("0" * HEXDUMP_LINE_CHARS)
            hex_width = line + self.hexdump.verticalScrollBar().sizeHint().width() + 16
            total = max(self._split.width(), self.width())
            tree = max(total - hex_width, total * 2 // 5)  # keys, values and types need room too
            self._split.setSizes([tree, total - tree])


def _dotnet_tree(data: bytes) -> Node | None:
    """The .NET value a bytes message holds, when it is a BinaryFormatter stream."""
    if not looks_like_nrbf(data):
        return None
    try:
        return decode_nrbf(data)
    except NrbfError as err:
        return err.partial
