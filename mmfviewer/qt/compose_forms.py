"""The compose panel's typed forms: Message, JSON, Text and Raw bytes (the Members
form is :mod:`mmfviewer.qt.members_form`).

Each form owns its editors and its status line, and checks what is typed as it is
typed (:mod:`mmfviewer.compose` says what it means, without Qt); the panel asks a
form for what to send, and decides whether and where to send it.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Signal
from PySide6.QtGui import QFont, QTextCharFormat, QTextCursor
from PySide6.QtWidgets import (
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QTextEdit,
    QVBoxLayout,
    QWidget,
)

from ..codec import Layout
from ..compose import Checked, check_json, check_raw, describe_text, parse_offset
from .style import error_color, is_dark, set_status


class MessageForm(QWidget):
    """The Message form: a title and a content, the ``{title, content}`` class of the
    .NET programs."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title_edit = QLineEdit()
        self.title_edit.setPlaceholderText("a title, e.g. Hi")
        self.content_edit = QPlainTextEdit()
        self.content_edit.setPlaceholderText("the message, e.g. The world is going down.")
        self.content_edit.setTabChangesFocus(True)
        form = QFormLayout(self)
        form.setContentsMargins(4, 6, 4, 4)
        form.addRow("Title", self.title_edit)
        form.addRow("Content", self.content_edit)
        self.note = QLabel()
        self.note.setWordWrap(True)
        self.note.setEnabled(False)
        form.addRow(self.note)

    def payload(self) -> dict[str, str]:
        """The message as typed."""
        return {"title": self.title_edit.text(), "content": self.content_edit.toPlainText()}

    def show_layout(self, layout: Layout | None) -> None:
        """Say how the message is sent into a segment of ``layout``."""
        self.note.setText(
            "Sent as the .NET object already there (same class and library), title and content "
            "set, other members kept." if layout == Layout.DOTNET else
            'Sent as the .NET programs\' message class: {"title": …, "content": …} in msgpack.')


class _EditorForm(QWidget):
    """A form of one editor and a status line under it that :meth:`recheck` keeps
    up to date as the editor is typed into."""

    changed = Signal()  # what is typed was checked again

    def __init__(self, placeholder: str, mono: QFont | None = None, *, wrap_status: bool = True,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.edit = QPlainTextEdit()
        if mono is not None:
            self.edit.setFont(mono)
        self.edit.setTabChangesFocus(True)
        self.edit.setPlaceholderText(placeholder)
        self.edit.textChanged.connect(self.recheck)
        self.status = QLabel()
        self.status.setWordWrap(wrap_status)
        self.box = QVBoxLayout(self)
        self.box.setContentsMargins(4, 6, 4, 4)
        self.box.addWidget(self.edit, 1)
        self.box.addWidget(self.status)

    def recheck(self) -> None:
        """Check what is typed again and show it on the status line."""
        raise NotImplementedError


class JsonForm(_EditorForm):
    """The JSON form: any JSON value, checked as it is typed (:attr:`checked`), where
    it goes wrong underlined."""

    def __init__(self, mono: QFont, parent: QWidget | None = None) -> None:
        super().__init__('any JSON value, e.g. {"title": "Hi", "content": "The world is going down."}', mono,
                         parent=parent)
        self.recheck()

    def recheck(self) -> None:
        """Check the JSON again; underline where it goes wrong."""
        text = self.edit.toPlainText()
        self.checked = check_json(text)
        set_status(self.status, self.checked.status, self.checked.ok)
        self._mark_error(text, self.checked.position)
        self.changed.emit()

    def _mark_error(self, text: str, position: int) -> None:
        """Underline where the JSON goes wrong, without moving the user's cursor."""
        marks = []
        if position >= 0:
            # Qt counts UTF-16 units, Python code points: they differ past an emoji.
            position = len(text[:position].encode("utf-16-le")) // 2
            mark = QTextEdit.ExtraSelection()
            cursor = self.edit.textCursor()
            end = self.edit.document().characterCount() - 1
            # Past the end ("Expecting value" after a trailing comma): mark the last character.
            start = max(min(position, end - 1), 0)
            cursor.setPosition(start)
            cursor.setPosition(min(start + 1, end), QTextCursor.MoveMode.KeepAnchor)
            mark.cursor = cursor
            fmt = QTextCharFormat()
            fmt.setUnderlineStyle(QTextCharFormat.UnderlineStyle.WaveUnderline)
            fmt.setUnderlineColor(error_color())
            fmt.setBackground(error_color().lighter(190) if not is_dark() else error_color().darker(300))
            mark.format = fmt
            marks.append(mark)
        if marks or self.edit.extraSelections():
            self.edit.setExtraSelections(marks)


class TextForm(_EditorForm):
    """The Text form: a string, its length shown as it is typed."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Text to send (UTF-8)", wrap_status=False, parent=parent)
        self.recheck()

    def recheck(self) -> None:
        """Show the text's length again."""
        set_status(self.status, describe_text(self.edit.toPlainText()), None)
        self.changed.emit()


class RawForm(_EditorForm):
    """The Raw bytes form: hex as people type it or a pasted hexdump, and the offset it
    goes to, checked as they are typed (:attr:`checked`). ``layout`` tells the
    segment's layout now: on a channel a message has no offset."""

    def __init__(self, mono: QFont, layout: Callable[[], Layout | None], parent: QWidget | None = None) -> None:
        super().__init__("54 68 65  or  546865  or  0x54,0x68\n"
                         "or paste a hexdump:\n00000000: 54 68 65  The", mono, parent=parent)
        self._layout = layout
        self.checked: Checked = check_raw("", None)
        # A hexdump line is one row of bytes: wrapped, it reads as two rows.
        self.edit.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.offset_edit = QLineEdit("0")
        self.offset_edit.setPlaceholderText("offset: 0, 0x10, 4KiB")
        self.offset_edit.setMaximumWidth(140)
        self.offset_edit.textChanged.connect(self.recheck)
        offset_row = QHBoxLayout()
        offset_row.addWidget(QLabel("Offset"))
        offset_row.addWidget(self.offset_edit)
        offset_row.addStretch(1)
        self.box.addLayout(offset_row)

    def recheck(self) -> None:
        """Check the bytes and the offset again (typed, or the segment's layout changed)."""
        offset = None if self._layout() == Layout.CHANNEL else self.offset_edit.text()
        self.checked = check_raw(self.edit.toPlainText(), offset)
        set_status(self.status, self.checked.status, self.checked.ok)
        self.changed.emit()

    def offset(self) -> int | None:
        """The offset the bytes go to; None on a channel (a message has no offset)."""
        if self._layout() == Layout.CHANNEL:
            return None
        return parse_offset(self.offset_edit.text())

    def show_layout(self, layout: Layout | None) -> None:
        """Offer the offset only where it means something: not on a channel."""
        self.offset_edit.setEnabled(layout != Layout.CHANNEL)
        self.offset_edit.setToolTip(
            "A channel message has no offset: it goes into this panel's lane"
            if layout == Layout.CHANNEL else "Decimal, or hex with 0x")
