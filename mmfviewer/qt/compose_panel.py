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

What the forms' text means (is it valid, what does it send, where does it go) is
decided by :mod:`mmfviewer.compose`, without Qt; the forms are widgets of their own
(:mod:`mmfviewer.qt.compose_forms`, :mod:`mmfviewer.qt.members_form`).

The panel never closes the sender it is given: whoever made it owns it (it may hold
a channel lane, which should be released when the segment's tab closes).
"""

from __future__ import annotations

import logging
import time
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from ..codec import Layout
from ..compose import DEFAULT_FORM, FORM_TITLES, FORMS, Sent, describe_target, form_problem, summarize
from ..errors import MmfError, SegmentClosedError
from ..sender import Sender
from .compose_forms import JsonForm, MessageForm, RawForm, TextForm
from .hex_editing import REOPEN_READ_WRITE
from .members_form import MembersForm
from .style import error_color, monospace_font, note_label

log = logging.getLogger(__name__)

HISTORY_LIMIT = 200
READ_ONLY_REASON = f"Read-only: {REOPEN_READ_WRITE} to send"
NO_SENDER_REASON = "Nothing to send to: open a segment read-write to send"


# ----------------------------------------------------------------- the panel


#: The panel's own keys, for Help ▸ Keyboard shortcuts.
PANE_KEYS = (("Ctrl+Enter", "send the form"),)


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
        mono = monospace_font()

        self.target_label = note_label()

        self.message_form = MessageForm()
        self.members = MembersForm()
        self.members.reload_button.clicked.connect(lambda: self.load_members(force=True))
        self.members.changed.connect(self._update_buttons)
        self.json_form = JsonForm(mono)
        self.json_form.changed.connect(self._update_buttons)
        self.text_form = TextForm()
        self.raw_form = RawForm(mono, self._layout)
        self.raw_form.changed.connect(self._update_buttons)
        # The editors are reached through the panel, as before the forms were widgets.
        self.title_edit, self.content_edit = self.message_form.title_edit, self.message_form.content_edit
        self.json_edit, self.json_status = self.json_form.edit, self.json_form.status
        self.text_edit, self.text_status = self.text_form.edit, self.text_form.status
        self.raw_edit, self.raw_status, self.offset_edit = (self.raw_form.edit, self.raw_form.status,
                                                            self.raw_form.offset_edit)
        self.forms = QTabWidget()
        self.forms.setDocumentMode(True)
        self.forms.addTab(self.message_form, FORM_TITLES["message"])
        self.forms.addTab(self.members, FORM_TITLES["members"])
        self.forms.addTab(self.json_form, FORM_TITLES["json"])
        self.forms.addTab(self.text_form, FORM_TITLES["text"])
        self.forms.addTab(self.raw_form, FORM_TITLES["raw"])
        self.forms.currentChanged.connect(self._on_form_changed)

        self.error_label = note_label(error=True)
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

        self.set_sender(None)

    # ------------------------------------------------------------- the forms

    def load_members(self, *, force: bool = False) -> None:
        """Make the Members form match the value the segment holds now (see
        :meth:`MembersForm.load`)."""
        segment = self._sender.segment if self._sender is not None else None
        self.members.load(segment, self._layout(), force=force)

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
        self.raw_form.recheck()  # the offset matters on some layouts only

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
        sender = self._sender
        if self._reason or sender is None:  # no sender always comes with a reason
            return self._reason
        return describe_target(sender.layout, self.form, sender.lane)

    def _update_target(self) -> None:
        self.target_label.setText(self.target_text())
        self.message_form.show_layout(self._layout())
        if self._reason:
            # A stylesheet colour, so the reason stays readable while the panel is disabled.
            self.target_label.setStyleSheet(
                f"QLabel {{ color: {error_color().name()}; font-weight: bold; }}")
        else:
            self.target_label.setStyleSheet("")
        self.raw_form.show_layout(self._layout())

    # ------------------------------------------------------------- validation

    def _form_problem(self) -> str | None:
        """Why the current form cannot be sent as it is, or None."""
        form = self.form
        typed = {"json": self.json_form.checked, "raw": self.raw_form.checked}.get(form)
        return form_problem(form, self._layout(), typed, self.members.problem() if form == "members" else None)

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

    # ------------------------------------------------------------- sending

    def send(self) -> bool:
        """Send the current form; True on success. Errors are shown in the panel."""
        try:
            form = self.form
            problem = self._form_problem()
            if problem is not None:
                return self._fail(problem if problem != "empty" else
                                  f"nothing to send: the {FORM_TITLES[form]} form is empty")
            payload: Any
            if form == "message":
                payload, offset = self.message_form.payload(), None
            elif form == "members":
                payload, offset = self.members.payload(), None
            elif form == "json":
                payload, offset = self.json_form.checked.value, None
            elif form == "text":
                payload, offset = self.text_edit.toPlainText(), None
            else:
                payload = self.raw_form.checked.value
                # Read again, not cached: the layout may have changed since validation.
                offset = self.raw_form.offset()
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
