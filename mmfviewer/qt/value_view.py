"""What a value segment holds, shown: a mailbox's msgpack value, a .NET object, a
ShareableList (as trees whose parts outline their bytes in the hex view), text, or
why there is nothing to decode."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QVBoxLayout, QWidget

from ..codec import Decoded, Layout
from ..errors import FormatError
from ..nrbf_format import NrbfError
from .style import error_color, mono_text_view, note_label
from .value_tree import find_path, item_path, item_span, show_node, show_value, value_tree

RAW_SENTENCE = ("Nothing to decode here: this segment has no channel header, and no msgpack "
                "value or text at offset 0. Use the data inspector to read the bytes at the "
                "cursor as numbers, strings or times.")


class ValueView(QWidget):
    """The value at offset 0 of a value segment: a label, and a tree or a text box."""

    #: (offset, length) of the selected part of the value.
    highlightRequested = Signal(object, object)
    #: Nothing of the value to outline any more.
    highlightCleared = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._kind = Layout.RAW
        self.label = note_label()
        self.tree = value_tree()
        self.text = mono_text_view()
        self._box = QVBoxLayout(self)
        self._box.setContentsMargins(6, 6, 6, 6)
        self._box.addWidget(self.label)
        self._box.addWidget(self.tree, 1)
        self._box.addWidget(self.text, 1)
        self._box.addStretch(0)
        self.tree.currentItemChanged.connect(self._item_selected)

    def set_kind(self, kind: Layout) -> None:
        """Get ready to show values of ``kind`` (a raw segment: say there is none)."""
        self._kind = kind
        self.tree.setVisible(kind.holds_a_value and kind != Layout.TEXT)
        self.text.setVisible(kind == Layout.TEXT)
        # The stretch at the end only matters when neither value widget is shown.
        self._box.setStretch(3, 1 if kind == Layout.RAW else 0)
        if kind == Layout.RAW:
            self._set_label(RAW_SENTENCE, marked=False)

    def clear(self) -> None:
        """Show nothing."""
        self.tree.clear()
        self.text.clear()
        self.label.clear()

    def _set_label(self, text: str, *, marked: bool) -> None:
        self.label.setText(text)
        self.label.setStyleSheet(f"color: {error_color().name()}; font-weight: bold;"
                                      if marked else "")

    def show_value(self, value: Decoded) -> None:
        """Show a decoded value: a tree (.NET, ShareableList, mailbox) or text."""
        self._box.setStretch(3, 0)
        if value.tree is not None:
            root = value.tree
            if value.layout == Layout.DOTNET:
                origin = f" from {root.library.split(',')[0]}" if root.library else ""
                what = f"{root.type}{origin}, {value.length} bytes of BinaryFormatter at offset 0"
            else:
                what = f"{len(root.items())} items, {value.length} bytes"
            self._set_label(f"{value.layout.label}: {what} — select a part to outline its bytes",
                                 marked=False)
            self.tree.show()
            # The value is rebuilt on every change: keep the part the user looks at.
            selected = item_path(self.tree.currentItem())
            show_node(self.tree, root, key=root.type if value.layout == Layout.DOTNET else "items")
            again = find_path(self.tree, selected)
            if again is not None and len(selected) > 1:
                self.tree.setCurrentItem(again)
        elif value.layout == Layout.MAILBOX:
            self._set_label(f"mailbox: {value.length} bytes of msgpack at offset 0", marked=False)
            self.tree.show()
            show_value(self.tree, value.json)
        else:
            self._set_label(f"text: {value.length} bytes ({value.looked_at} bytes "
                                 "looked at, NULs and all)", marked=False)
            self.text.show()
            self.text.setPlainText(value.text)

    def show_error(self, err: FormatError) -> None:
        """Say why the value cannot be decoded, with what could be read of it."""
        self._set_label(f"⚠ {self._kind}: {err}", marked=True)
        self.tree.clear()
        self.text.clear()
        self.text.hide()
        partial = err.partial if isinstance(err, NrbfError) else None
        if partial is not None:  # what could be read before it went wrong
            self.tree.show()
            show_node(self.tree, partial, key=f"{partial.type} (as far as it could be read)")
            self._box.setStretch(3, 0)
        else:
            # The message says it all; an empty tree or text box under it would only
            # suggest an empty value.
            self.tree.hide()
            self._box.setStretch(3, 1)
        self.highlightCleared.emit()

    def _item_selected(self, item: Any, _previous: Any = None) -> None:
        span = item_span(item)
        if span is not None and span[1] > span[0]:
            self.highlightRequested.emit(span[0], span[1] - span[0])
