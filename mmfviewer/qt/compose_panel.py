"""The compose panel: type a message, send it into the segment, send it again later.

It sits in a segment's tab beside the message list and sends through a
:class:`~mmfviewer.sender.Sender`, so it does exactly what ``mmfviewer send`` does:
on a channel every form becomes one message (a lane is claimed on the first send);
on value layouts (mailbox, .NET, text) it overwrites offset 0; raw bytes go at the offset given.

Five forms, one per kind of payload:

* **Message** — the ``{title, content}`` class of the .NET programs, sent as a msgpack map (or,
  into a .NET segment, as the .NET class already there);
* **Members** — one field per member of the .NET object a segment holds now, each
  checked against the member's .NET type and sent as that class again; or one
  field per item of a ShareableList, changed items written in place;
* **JSON** — any JSON value, validated as you type, sent as msgpack;
* **Text** — a string (a text record, or UTF-8 at offset 0);
* **Raw bytes** — hex as people type it, or a pasted hexdump.

Every slot catches what a send can raise and shows it in a red line inside the
panel (and emits :attr:`ComposePanel.failed`): an exception escaping a Qt slot
would only print a traceback nobody sees.

The panel never closes the sender it is given: whoever made it owns it (it may hold
a channel lane, which should be released when the segment's tab closes).
"""

from __future__ import annotations

import json
import logging
import re
import time
from dataclasses import dataclass
from typing import Any

import hexdump
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFont, QKeySequence, QShortcut, QTextCharFormat, QTextCursor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QTabWidget,
    QTextEdit,
    QVBoxLayout,
    QWidget,
)

from ..channel import encode_msgpack
from ..codec import Layout, read_value
from ..errors import FormatError, MmfError, SegmentClosedError
from ..hextext import BYTES_PER_LINE, parse_hex_bytes
from ..nrbf_encode import WRITABLE_TYPES
from ..sender import Sender
from ..tree import Node, node_text
from ..units import parse_size
from .style import error_color, is_dark, monospace_font, ok_color

log = logging.getLogger(__name__)

#: The forms, in tab order, as :meth:`ComposePanel.set_form` names them.
FORMS = ("message", "members", "json", "text", "raw")
FORM_TITLES = {"message": "Message", "members": "Members", "json": "JSON", "text": "Text",
               "raw": "Raw bytes"}
#: What a history line calls each form.
FORM_KINDS = {"message": "Message", "members": "Members", "json": "JSON", "text": "Text", "raw": "Raw"}
#: The form a segment opens on: what its layout holds.
DEFAULT_FORM = {Layout.CHANNEL: "message", Layout.MAILBOX: "message", Layout.DOTNET: "members",
                Layout.SHAREABLE_LIST: "members", Layout.TEXT: "text", Layout.RAW: "raw"}

HISTORY_LIMIT = 200
#: A history line is cut here (with "…"): the list is one line per send.
SUMMARY_CHARS = 90
#: The Members form shows a field per member or item up to this many (a widget each),
#: each holding at most MAX_FIELD_CHARS characters.
MAX_MEMBER_FIELDS = 500
MAX_FIELD_CHARS = 10_000
READ_ONLY_REASON = "Read-only: reopen the segment read-write to send"
NO_SENDER_REASON = "Nothing to send to: open a segment read-write to send"


# A hexdump line as the hexdump package (and our hex view's copy) writes it:
# an 8-digit address, a colon, then bytes as two-digit pairs.
_HEXDUMP_LINE = re.compile(r"^\s*([0-9A-Fa-f]{8}):\s+[0-9A-Fa-f]{2}(?:\s|$)")


# ----------------------------------------------------------------- pure helpers


def describe_json(value: Any) -> str:
    """What a parsed JSON value is, for the status line: ``object with 2 keys``,
    ``array of 3 items``, ``number``, ``string``, ``boolean`` or ``null``."""
    if isinstance(value, dict):
        return f"object with {len(value)} key{'' if len(value) == 1 else 's'}"
    if isinstance(value, list):
        return f"array of {len(value)} item{'' if len(value) == 1 else 's'}"
    if isinstance(value, bool):  # before numbers: a bool is an int in Python
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    return "null"


class JsonError(FormatError):
    """Invalid JSON; ``position`` is the character index where it goes wrong (or -1)."""

    def __init__(self, message: str, position: int = -1) -> None:
        super().__init__(message)
        self.position = position


def parse_json(text: str) -> Any:
    """The JSON value in ``text``; :class:`JsonError` says where it goes wrong."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as err:
        raise JsonError(f"{err.msg} (line {err.lineno}, column {err.colno})", err.pos) from None
    except RecursionError:
        raise JsonError("nested too deeply") from None
    except ValueError as err:  # e.g. an integer over Python's 4300-digit limit
        raise JsonError(str(err)) from None


def looks_like_hexdump(text: str) -> bool:
    """True when the first non-blank line is a hexdump line (``00000000: 54 68 ...``)."""
    for line in text.splitlines():
        if line.strip():
            return _HEXDUMP_LINE.match(line) is not None
    return False


def parse_hexdump(text: str) -> tuple[bytes, int]:
    """Bytes and start address of a pasted hexdump, read back with ``hexdump.restore``.

    Line by line, so an error names its line; lines must follow each other (a gap
    means part of the dump was not copied, and the bytes would land shifted).
    """
    out = bytearray()
    start = -1
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        match = _HEXDUMP_LINE.match(line)
        if match is None:
            raise FormatError(f"hexdump line {number} does not start with an address and bytes: "
                              f"{line.strip()[:40]!r}")
        address = int(match.group(1), 16)
        if start < 0:
            start = address
        elif address != start + len(out):
            raise FormatError(f"hexdump line {number} starts at 0x{address:X}, expected "
                              f"0x{start + len(out):X}: lines are missing from the paste")
        try:
            chunk = hexdump.restore(line)
        except (ValueError, IndexError, TypeError) as err:  # restore's own failures
            raise FormatError(f"hexdump line {number} cannot be read: {err}") from None
        if len(chunk) > BYTES_PER_LINE:
            raise FormatError(f"hexdump line {number} holds {len(chunk)} bytes, "
                              f"more than {BYTES_PER_LINE}")
        out += chunk
    return bytes(out), max(start, 0)


def parse_raw(text: str) -> tuple[bytes, str]:
    """Bytes from the Raw form: typed hex, or a pasted hexdump. Returns the bytes and
    a note on where they came from (``""`` for typed hex)."""
    if looks_like_hexdump(text):
        data, start = parse_hexdump(text)
        return data, f"read from a hexdump starting at 0x{start:X}"
    return parse_hex_bytes(text), ""


def parse_offset(text: str) -> int:
    """An offset as typed: decimal or ``0x`` hex; empty means 0."""
    return parse_size(text.strip() or "0", what="offset")


def one_line(text: str, limit: int = SUMMARY_CHARS) -> str:
    """``text`` on one line, cut to ``limit`` characters with an ellipsis."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[:limit - 1] + "…"


def scalar_text_for_edit(value: Any) -> str:
    """A member's value as it is typed into a field (``true``, ``3.5``, text as is)."""
    if value is True or value is False:
        return "true" if value else "false"
    if isinstance(value, (bytes, bytearray)):
        return bytes(value).hex(" ")  # read back as hex
    return str(value)


def summarize(form: str, payload: Any, offset: int | None = None) -> str:
    """How a sent payload reads in the history (before shortening)."""
    if form == "members":
        return ", ".join(f"{k if isinstance(k, str) else f'[{k}]'}={v!r}" for k, v in payload.items())
    if form == "json":
        return json.dumps(payload, ensure_ascii=False)
    if form == "text":
        return repr(payload)
    if form == "raw":
        where = f" at 0x{offset:X}" if offset is not None else ""
        return f"{len(payload)} bytes{where}: {payload[:32].hex(' ')}{' …' if len(payload) > 32 else ''}"
    return repr(payload)


@dataclass(frozen=True)
class Sent:
    """One history entry: enough to send exactly the same thing again."""

    form: str
    payload: Any             # a dict (message), a JSON value, a str, or bytes
    offset: int | None       # raw bytes only, and only off a channel
    when: float
    description: str         # what the sender said it did

    @property
    def text(self) -> str:
        """The history line: time, form, payload on one line."""
        stamp = time.strftime("%H:%M:%S", time.localtime(self.when))
        return one_line(f"{stamp} {FORM_KINDS[self.form]} {summarize(self.form, self.payload, self.offset)}")


# ----------------------------------------------------------------- the panel


class ComposePanel(QWidget):
    """Compose and send messages into one segment; see the module docstring.

    Give it a target with :meth:`set_sender`. ``send()`` sends the current form,
    ``resend(row)`` a history entry, ``set_form(name)`` switches forms.
    """

    sent = Signal(str)     # the sender's description of what it did (for the status bar)
    failed = Signal(str)   # the error text, also shown in the panel

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._sender: Sender | None = None
        self._reason = NO_SENDER_REASON
        self._entries: list[Sent] = []       # row i of ``history`` is _entries[i]
        self._json_value: Any = None
        self._json_error: str | None = "empty"
        self._raw_data: bytes | None = None
        self._raw_error: str | None = "empty"
        self._members_problem = ""
        mono = monospace_font()

        self.target_label = QLabel()
        self.target_label.setWordWrap(True)
        self.target_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        self.forms = QTabWidget()
        self.forms.setDocumentMode(True)
        self.forms.addTab(self._message_form(), FORM_TITLES["message"])
        self.forms.addTab(self._members_form(), FORM_TITLES["members"])
        self.forms.addTab(self._json_form(mono), FORM_TITLES["json"])
        self.forms.addTab(self._text_form(), FORM_TITLES["text"])
        self.forms.addTab(self._raw_form(mono), FORM_TITLES["raw"])
        self.forms.currentChanged.connect(self._on_form_changed)

        self.error_label = QLabel()
        self.error_label.setWordWrap(True)
        self.error_label.setStyleSheet(f"QLabel {{ color: {error_color().name()}; }}")
        self.error_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.error_label.hide()

        self.send_button = QPushButton("Send")
        self.send_button.setDefault(True)
        self.send_button.setToolTip("Send the current form (Ctrl+Enter)")
        self.send_button.clicked.connect(self._on_send_clicked)
        hint = QLabel("Ctrl+Enter sends")
        hint.setEnabled(False)  # drawn dimmed: a hint, not a control

        self.history = QListWidget()
        self.history.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.history.setUniformItemSizes(True)  # one line each: lets long lists scroll fast
        self.history.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.history.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.history.itemDoubleClicked.connect(self._on_history_double_clicked)
        self.history.currentRowChanged.connect(self._update_buttons)
        self.resend_button = QPushButton("Send again")
        self.resend_button.setToolTip("Send the selected entry again, exactly as it was sent "
                                      "(double-click does the same)")
        self.resend_button.clicked.connect(self._on_resend_clicked)
        self.clear_history_button = QPushButton("Clear")
        self.clear_history_button.clicked.connect(self.clear_history)

        send_row = QHBoxLayout()
        send_row.addWidget(hint)
        send_row.addStretch(1)
        send_row.addWidget(self.send_button)
        history_row = QHBoxLayout()
        history_label = QLabel("History")
        history_label.setToolTip("Double-click an entry to send it again")
        history_row.addWidget(history_label, 1)
        history_row.addWidget(self.resend_button)
        history_row.addWidget(self.clear_history_button)

        box = QVBoxLayout(self)
        box.setContentsMargins(4, 4, 4, 4)
        box.setSpacing(4)
        box.addWidget(self.target_label)
        box.addWidget(self.forms, 3)
        box.addWidget(self.error_label)
        box.addLayout(send_row)
        box.addLayout(history_row)
        box.addWidget(self.history, 2)

        # Ctrl+Return (main keyboard) and Ctrl+Enter (keypad), while focus is anywhere
        # in the panel, including inside the editors, where plain Return is a newline.
        self._shortcuts: list[QShortcut] = []
        for keys in ("Ctrl+Return", "Ctrl+Enter"):
            shortcut = QShortcut(QKeySequence(keys), self)
            shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            shortcut.activated.connect(self._on_send_clicked)
            self._shortcuts.append(shortcut)  # kept: PySide frees what Python drops

        self._on_json_changed()
        self._on_raw_changed()
        self._on_text_changed()
        self.set_sender(None)

    # ------------------------------------------------------------- the forms

    def _message_form(self) -> QWidget:
        page = QWidget()
        self.title_edit = QLineEdit()
        self.title_edit.setPlaceholderText("Hi")
        self.content_edit = QPlainTextEdit()
        self.content_edit.setPlaceholderText("The world is going down.")
        self.content_edit.setTabChangesFocus(True)
        form = QFormLayout(page)
        form.setContentsMargins(4, 6, 4, 4)
        form.addRow("Title", self.title_edit)
        form.addRow("Content", self.content_edit)
        self.message_note = QLabel()
        self.message_note.setWordWrap(True)
        self.message_note.setEnabled(False)
        form.addRow(self.message_note)
        return page

    def _members_form(self) -> QWidget:
        page = QWidget()
        fields = QWidget()
        self._members_box = QFormLayout(fields)
        self._members_box.setContentsMargins(0, 0, 4, 0)
        # A class of many members scrolls instead of squeezing its fields.
        scroll = QScrollArea()
        scroll.setWidget(fields)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.members_status = QLabel()
        self.members_status.setWordWrap(True)
        self.reload_members_button = QPushButton("Load current values")
        self.reload_members_button.setToolTip("Fill the fields with the value the segment holds now")
        self.reload_members_button.clicked.connect(lambda: self.load_members(force=True))
        reload_row = QHBoxLayout()
        reload_row.addStretch(1)
        reload_row.addWidget(self.reload_members_button)
        box = QVBoxLayout(page)
        box.setContentsMargins(4, 6, 4, 4)
        box.addWidget(scroll, 1)
        box.addWidget(self.members_status)
        box.addLayout(reload_row)
        self.member_edits: dict[str, QLineEdit] = {}
        self._member_values: dict[str, str] = {}   # what each field was filled with
        self._members_shape: tuple | None = None  # (layout, (name, type) per field)
        return page

    def load_members(self, *, force: bool = False) -> None:
        """Make the Members form match the value the segment holds: one field per
        member of a .NET object, or per item of a ShareableList, filled with its
        current value. Fields already typed into stay as they are unless ``force``
        or the value's shape changed."""
        sender, layout = self._sender, self._layout()
        root = None
        problem = "this segment holds no .NET object or ShareableList to edit"
        if sender is not None and layout in (Layout.DOTNET, Layout.SHAREABLE_LIST) \
                and not sender.segment.closed:
            try:
                root = read_value(sender.segment, layout)[1].tree
            except (MmfError, OSError) as err:
                problem = f"the {layout} value cannot be read: {err}"
        if root is not None and len(root.children) > MAX_MEMBER_FIELDS:
            problem = (f"this {layout} value has {len(root.children):,} members or items: the form "
                       f"edits values of at most {MAX_MEMBER_FIELDS} (use JSON or Raw bytes)")
            root = None
        if root is None:
            self._members_problem = problem
            self._show_member_fields(None, [])
            return
        shape = (layout, tuple((m.name, m.type) for m in root.children))
        if shape != self._members_shape or force:
            self._show_member_fields(shape, root.children, root)

    def _show_member_fields(self, shape: tuple | None, members: list[Node], root: Node | None = None) -> None:
        while self._members_box.rowCount():
            self._members_box.removeRow(0)
        self.member_edits, self._member_values = {}, {}
        self._members_shape = shape
        if shape is None or root is None:
            self._set_status(self.members_status, self._members_problem, False)
            self._update_buttons()
            return
        dotnet = shape[0] == Layout.DOTNET
        fixed = []
        for node in members:
            text = "" if node.value is None else scalar_text_for_edit(node.value)
            writable = node.type in WRITABLE_TYPES if dotnet else node.type != "None"
            if len(text) > MAX_FIELD_CHARS:  # a field of megabytes would freeze the window
                edit = QLineEdit(text[:MAX_FIELD_CHARS] + "…")
                edit.setEnabled(False)
                edit.setToolTip(f"{len(text):,} characters: too long to edit here (use JSON)")
                fixed.append(node.name)
                writable = False
            else:
                edit = QLineEdit(text)
            if writable:
                edit.setPlaceholderText("null" if node.type == "System.String" else node.type)
                self.member_edits[node.name] = edit
                self._member_values[node.name] = text
                edit.textChanged.connect(self._update_buttons)
            elif edit.isEnabled():
                edit.setEnabled(False)
                edit.setText(node_text(node))
                edit.setToolTip("kept as it is: only primitive and string members are written"
                                if dotnet else "None stays None in a ShareableList")
                fixed.append(node.name)
            label = QLabel(node.name)
            label.setToolTip(node.type + (f"  ({node.note})" if node.note else ""))
            self._members_box.addRow(label, edit)
        self._members_problem = ""
        if dotnet:
            note = f"{root.type} from {root.library.split(',')[0]}: each field takes its member's .NET type"
            if fixed:
                note += f"; {', '.join(fixed)} cannot be written"
                self._members_problem = f"{root.type} has members that cannot be written ({', '.join(fixed)})"
        else:
            note = "ShareableList: changed items are written in place, each within its own size and kind"
        self._set_status(self.members_status, note, None)
        self._update_buttons()

    def _members_payload(self) -> dict:
        """What the Members form sends: the fields changed since they were filled —
        members by name, ShareableList items by index. Members not changed keep
        whatever value they have when it is sent (another process may change them)."""
        changed = {name: edit.text() for name, edit in self.member_edits.items()
                   if edit.text() != self._member_values.get(name)}
        if self._members_shape is not None and self._members_shape[0] == Layout.SHAREABLE_LIST:
            return {int(name.strip("[]")): text for name, text in changed.items()}
        return changed

    def _json_form(self, mono: QFont) -> QWidget:
        page = QWidget()
        self.json_edit = QPlainTextEdit()
        self.json_edit.setFont(mono)
        self.json_edit.setTabChangesFocus(True)
        self.json_edit.setPlaceholderText('{"title": "Hi", "content": "The world is going down."}')
        self.json_edit.textChanged.connect(self._on_json_changed)
        self.json_status = QLabel()
        self.json_status.setWordWrap(True)
        box = QVBoxLayout(page)
        box.setContentsMargins(4, 6, 4, 4)
        box.addWidget(self.json_edit, 1)
        box.addWidget(self.json_status)
        return page

    def _text_form(self) -> QWidget:
        page = QWidget()
        self.text_edit = QPlainTextEdit()
        self.text_edit.setTabChangesFocus(True)
        self.text_edit.setPlaceholderText("Text to send (UTF-8)")
        self.text_edit.textChanged.connect(self._on_text_changed)
        self.text_status = QLabel()
        box = QVBoxLayout(page)
        box.setContentsMargins(4, 6, 4, 4)
        box.addWidget(self.text_edit, 1)
        box.addWidget(self.text_status)
        return page

    def _raw_form(self, mono: QFont) -> QWidget:
        page = QWidget()
        self.raw_edit = QPlainTextEdit()
        self.raw_edit.setFont(mono)
        # A hexdump line is one row of bytes: wrapped, it reads as two rows.
        self.raw_edit.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.raw_edit.setTabChangesFocus(True)
        self.raw_edit.setPlaceholderText("54 68 65  or  546865  or  0x54,0x68\n"
                                         "or paste a hexdump:\n00000000: 54 68 65  The")
        self.raw_edit.textChanged.connect(self._on_raw_changed)
        self.raw_status = QLabel()
        self.raw_status.setWordWrap(True)
        self.offset_edit = QLineEdit("0")
        self.offset_edit.setPlaceholderText("0 or 0x10")
        self.offset_edit.setMaximumWidth(140)
        self.offset_edit.textChanged.connect(self._on_raw_changed)
        offset_row = QHBoxLayout()
        offset_row.addWidget(QLabel("Offset"))
        offset_row.addWidget(self.offset_edit)
        offset_row.addStretch(1)
        box = QVBoxLayout(page)
        box.setContentsMargins(4, 6, 4, 4)
        box.addWidget(self.raw_edit, 1)
        box.addWidget(self.raw_status)
        box.addLayout(offset_row)
        return page

    # ------------------------------------------------------------- target

    @property
    def form(self) -> str:
        """The current form's name: one of :data:`FORMS`."""
        return FORMS[max(self.forms.currentIndex(), 0)]

    def set_sender(self, sender: Sender | None, *, disabled_reason: str = "") -> None:
        """Send through ``sender`` from now on; None (or a read-only or closed segment)
        disables the panel, showing ``disabled_reason`` or a default one.

        The form shown switches to the one the segment's layout holds.
        """
        self._sender = sender
        reason = disabled_reason
        if sender is None:
            reason = reason or NO_SENDER_REASON
        elif sender.segment.closed:
            reason = reason or f"{sender.segment.label} is closed: reopen it to send"
        elif sender.segment.readonly:
            reason = reason or READ_ONLY_REASON
        self._reason = reason
        self._clear_error()
        self.load_members(force=True)
        if sender is not None:
            self.set_form(DEFAULT_FORM.get(sender.layout, "message"))
        self.setEnabled(not reason)
        self._update_target()
        self._on_raw_changed()  # the offset matters on some layouts only

    @property
    def disabled_reason(self) -> str:
        """Why nothing can be sent now (``""`` when sending is possible)."""
        return self._reason

    def set_form(self, name: str) -> None:
        """Show the form called ``name``: ``message``, ``json``, ``text`` or ``raw``."""
        if name not in FORMS:
            raise ValueError(f"no form called {name!r}; the forms are {', '.join(FORMS)}")
        self.forms.setCurrentIndex(FORMS.index(name))

    def _layout(self) -> Layout | None:
        return self._sender.layout if self._sender is not None else None

    def target_text(self) -> str:
        """Where a send of the current form goes, as the line at the top says it."""
        if self._reason:
            return self._reason
        layout, form = self._layout(), self.form
        if layout == Layout.CHANNEL:
            lane = self._sender.lane if self._sender is not None else None
            where = ("a lane is claimed on the first send" if lane is None
                     else f"lane {lane}, held by this panel")
            return f"channel: sends a message on the channel ({where})"
        if form == "raw":
            return f"{layout}: writes bytes at the offset below"
        if layout == Layout.TEXT:
            if form == "text":
                return "text: overwrites the text at offset 0"
            return "text: this segment holds text; send it from the Text or Raw bytes form"
        if layout == Layout.MAILBOX:
            how = " (as a msgpack string)" if form == "text" else ""
            return f"mailbox: overwrites the mailbox value at offset 0{how}"
        if layout == Layout.DOTNET:
            if form == "text":
                return "mailbox (.NET): this segment holds a .NET object; send its members"
            return ("mailbox (.NET): overwrites the object at offset 0 with one of the same class, "
                    "as BinaryFormatter writes it")
        if layout == Layout.SHAREABLE_LIST:
            return "ShareableList: its items are written one at a time, in place"
        # A raw (all-zero) segment: the first value written decides what it becomes.
        if form == "text":
            return "raw: writes the text at offset 0 (the segment becomes a text segment)"
        return "raw: writes a msgpack value at offset 0 (the segment becomes a mailbox)"

    def _update_target(self) -> None:
        self.target_label.setText(self.target_text())
        self.message_note.setText(
            "Sent as the .NET object already there (same class and library), title and content "
            "set, other members kept." if self._layout() == Layout.DOTNET else
            'Sent as the .NET programs\' message class: {"title": …, "content": …} in msgpack.')
        if self._reason:
            # A stylesheet colour, so the reason stays readable while the panel is disabled.
            self.target_label.setStyleSheet(
                f"QLabel {{ color: {error_color().name()}; font-weight: bold; }}")
        else:
            self.target_label.setStyleSheet("")
        self.offset_edit.setEnabled(self._layout() != Layout.CHANNEL)
        self.offset_edit.setToolTip(
            "A channel message has no offset: it goes into this panel's lane"
            if self._layout() == Layout.CHANNEL else "Decimal, or hex with 0x")

    # ------------------------------------------------------------- validation

    def _form_problem(self) -> str | None:
        """Why the current form cannot be sent as it is, or None."""
        form = self.form
        if form == "json" and self._json_error is not None:
            return self._json_error
        if form == "raw" and self._raw_error is not None:
            return self._raw_error
        if (self._layout() == Layout.TEXT and form in ("message", "json", "members")
                and not (form == "json" and isinstance(self._json_value, str))):
            return "this segment holds text: use the Text or Raw bytes form"
        if form == "members" and (self._members_shape is None or self._members_problem):
            return self._members_problem or "no .NET object to send one like"
        if form == "members" and not self._members_payload():
            return "change a value to write it"
        if self._layout() == Layout.DOTNET and form == "text":
            return "this segment holds a .NET object: use the Members, Message or JSON form"
        if self._layout() == Layout.DOTNET and form == "json" and not isinstance(self._json_value, dict):
            return "a .NET object is sent as a JSON object of its members' values"
        return None

    def _update_buttons(self, *_: object) -> None:
        can = not self._reason
        self.send_button.setEnabled(can and self._form_problem() is None)
        self.resend_button.setEnabled(can and self.history.currentRow() >= 0)
        self.clear_history_button.setEnabled(self.history.count() > 0)

    def _on_form_changed(self, _index: int) -> None:
        self._clear_error()  # an error belongs to the form it came from
        if self.form == "members":
            self.load_members()  # the class may have changed since
        self._update_target()
        self._update_buttons()

    def _on_json_changed(self) -> None:
        text = self.json_edit.toPlainText()
        self._json_value = None
        error_at = -1
        if not text.strip():
            self._json_error = "empty"
            self._set_status(self.json_status, "type a JSON value: an object, array, string or number",
                             None)
        else:
            try:
                value = parse_json(text)
                size = len(encode_msgpack(value))  # what it will cost in a lane
            except JsonError as err:
                self._json_error = f"invalid JSON: {err}"
                error_at = err.position
            except FormatError as err:  # e.g. an integer beyond msgpack's 64 bits
                self._json_error = f"valid JSON, but it cannot be sent: {err}"
            except Exception as err:  # never let a validator break typing
                self._json_error = f"cannot check this JSON: {type(err).__name__}: {err}"
            else:
                self._json_value, self._json_error = value, None
                self._set_status(self.json_status,
                                 f"valid JSON: {describe_json(value)} ({size} bytes as msgpack)", True)
            if self._json_error is not None:
                self._set_status(self.json_status, self._json_error, False)
        self._mark_json_error(text, error_at)
        self._update_buttons()

    def _mark_json_error(self, text: str, position: int) -> None:
        """Underline where the JSON goes wrong, without moving the user's cursor."""
        marks = []
        if position >= 0:
            # Qt counts UTF-16 units, Python code points: they differ past an emoji.
            position = len(text[:position].encode("utf-16-le")) // 2
            mark = QTextEdit.ExtraSelection()
            cursor = self.json_edit.textCursor()
            end = self.json_edit.document().characterCount() - 1
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
        if marks or self.json_edit.extraSelections():
            self.json_edit.setExtraSelections(marks)

    def _on_text_changed(self) -> None:
        text = self.text_edit.toPlainText()
        try:
            size = len(text.encode("utf-8"))
        except UnicodeEncodeError:  # a lone surrogate pasted in
            size = len(text.encode("utf-8", "replace"))
        self._set_status(self.text_status, f"{len(text)} characters, {size} bytes as UTF-8", None)

    def _on_raw_changed(self) -> None:
        text = self.raw_edit.toPlainText()
        self._raw_data = None
        if not text.strip():
            self._raw_error = "empty"
            self._set_status(self.raw_status, "type hex bytes, or paste a hexdump", None)
            self._update_buttons()
            return
        try:
            data, note = parse_raw(text)
            if not data:
                raise FormatError("no bytes")
            offset = self._raw_offset()
        except (MmfError, ValueError) as err:
            self._raw_error = str(err)
            self._set_status(self.raw_status, self._raw_error, False)
        else:
            self._raw_data, self._raw_error = data, None
            where = "" if offset is None else f" at 0x{offset:X}–0x{offset + len(data) - 1:X}"
            status = f"{len(data)} byte{'' if len(data) == 1 else 's'}{where}"
            self._set_status(self.raw_status, f"{status} ({note})" if note else status, True)
        self._update_buttons()

    def _raw_offset(self) -> int | None:
        """The offset raw bytes go to; None on a channel (a message has no offset)."""
        if self._layout() == Layout.CHANNEL:
            return None
        return parse_offset(self.offset_edit.text())

    @staticmethod
    def _set_status(label: QLabel, text: str, ok: bool | None) -> None:
        label.setText(text)
        color = None if ok is None else (ok_color() if ok else error_color()).name()
        label.setStyleSheet(f"QLabel {{ color: {color}; }}" if color else "")

    # ------------------------------------------------------------- sending

    def send(self) -> bool:
        """Send the current form; True on success. Errors are shown in the panel."""
        try:
            form = self.form
            problem = self._form_problem()
            if problem is not None:
                return self._fail(problem if problem != "empty" else
                                  f"nothing to send: the {FORM_TITLES[form]} form is empty")
            if form == "message":
                payload: Any = {"title": self.title_edit.text(),
                                "content": self.content_edit.toPlainText()}
                offset = None
            elif form == "members":
                payload, offset = self._members_payload(), None
            elif form == "json":
                payload, offset = self._json_value, None
            elif form == "text":
                payload, offset = self.text_edit.toPlainText(), None
            else:
                payload = self._raw_data
                # Read again, not cached: the layout may have changed since validation.
                offset = self._raw_offset()
            return self._deliver(form, payload, offset)
        except (MmfError, OSError, ValueError) as err:
            return self._fail(str(err))
        except Exception as err:  # a bug must not escape a Qt slot; say it, log it
            log.exception("compose panel: send failed")
            return self._fail(f"unexpected error: {type(err).__name__}: {err}")

    def resend(self, row: int) -> bool:
        """Send history entry ``row`` (0 = newest) again, exactly as it was sent."""
        try:
            if not 0 <= row < len(self._entries):
                return self._fail(f"no history entry {row}")
            entry = self._entries[row]
            return self._deliver(entry.form, entry.payload, entry.offset)
        except Exception as err:  # see send()
            log.exception("compose panel: resend failed")
            return self._fail(f"unexpected error: {type(err).__name__}: {err}")

    def _deliver(self, form: str, payload: Any, offset: int | None) -> bool:
        sender = self._sender
        if sender is None or self._reason:
            return self._fail(self._reason or NO_SENDER_REASON)
        try:
            self._check_segment(sender)
            if form == "members" and sender.layout == Layout.SHAREABLE_LIST:
                description = sender.send_items(payload)
            elif form == "members":
                description = sender.send_dotnet(payload)
            elif form in ("message", "json"):
                description = sender.send(payload)
            elif form == "text":
                description = sender.send_text(payload)
            else:
                description = sender.send_bytes(payload, offset or 0)
        except (MmfError, OSError) as err:
            return self._fail(str(err))
        except (ValueError, TypeError, OverflowError) as err:
            # msgpack's own errors, or a memoryview released under a closed segment.
            return self._fail(f"cannot send: {err}")
        self._clear_error()
        if form == "members":
            self.load_members(force=True)  # what was written is the new starting point
        self._add_history(Sent(form, payload, offset, time.time(), description))
        self._update_target()  # a channel lane may have just been claimed
        self.sent.emit(description)
        return True

    @staticmethod
    def _check_segment(sender: Sender) -> None:
        """Refuse a send into a closed segment. (A truncated one is refused by the
        send itself: it writes with ``pwrite``, which cannot fault.)"""
        segment = sender.segment
        if segment.closed:
            raise SegmentClosedError(f"{segment.label} is closed: reopen it to send")

    def _fail(self, text: str) -> bool:
        self.error_label.setText(text)
        self.error_label.show()
        self.failed.emit(text)
        return False

    def _clear_error(self) -> None:
        self.error_label.clear()
        self.error_label.hide()

    # ------------------------------------------------------------- history

    @property
    def entries(self) -> list[Sent]:
        """The history, newest first (row i of :attr:`history`)."""
        return list(self._entries)

    def _add_history(self, entry: Sent) -> None:
        self._entries.insert(0, entry)
        item = QListWidgetItem(entry.text)
        item.setToolTip(f"{entry.description}\n{summarize(entry.form, entry.payload, entry.offset)[:2000]}")
        self.history.insertItem(0, item)
        while len(self._entries) > HISTORY_LIMIT:
            self._entries.pop()
            self.history.takeItem(self.history.count() - 1)
        self._update_buttons()

    def clear_history(self) -> None:
        """Forget every history entry."""
        self._entries.clear()
        self.history.clear()
        self._update_buttons()

    def _on_history_double_clicked(self, item: QListWidgetItem) -> None:
        self.resend(self.history.row(item))

    def _on_resend_clicked(self) -> None:
        self.resend(self.history.currentRow())

    def _on_send_clicked(self) -> None:
        self.send()
