"""Typing over a read-write segment in the hex view, with undo.

A typed byte is written to the segment at once (another process sees it), and
only a write that succeeded goes on the undo stack; undoing writes the old bytes
back. What a key writes is decided without Qt (:func:`~mmfviewer.hex_cursor.typed_byte`).
"""

from __future__ import annotations

import time
import weakref
from typing import TYPE_CHECKING

from PySide6.QtGui import QUndoCommand, QUndoStack

from ..errors import MmfError
from ..hex_cursor import typed_byte

if TYPE_CHECKING:
    from .hex_view import HexView

#: How to make a read-only tab writable, for the messages that refuse to write.
REOPEN_READ_WRITE = "reopen read-write (File ▸ Reopen read-write, Ctrl+Shift+W)"


class HexEditor:
    """Writes what is typed in ``view`` at its cursor, and undoes and redoes it."""

    def __init__(self, view: HexView) -> None:
        self._view = view
        self.undo_stack = QUndoStack(view)

    def type_text(self, text: str) -> None:
        """Overwrite bytes from the cursor with what ``text`` types in the cursor's column."""
        view = self._view
        doc, cursor = view.document, view.cursor_state
        if doc.size == 0:
            return
        if self._refused_read_only():
            return
        for ch in text:
            offset = cursor.offset
            if typed_byte(ch, 0, in_ascii=cursor.in_ascii, low_nibble=cursor.low_nibble) is None:
                continue  # a key that writes nothing in this column
            old = doc.safe_read(offset, 1)
            if not old:
                view.message.emit(f"cannot edit at 0x{offset:X}: the segment ends before it")
                return
            new = typed_byte(ch, old[0], in_ascii=cursor.in_ascii, low_nibble=cursor.low_nibble)
            assert new is not None
            high = not cursor.in_ascii and not cursor.low_nibble
            low = not cursor.in_ascii and cursor.low_nibble
            if not self._write_typed(offset, old, bytes([new]), high_nibble=high, low_nibble=low):
                return
            if high:  # the low nibble comes next, on the same byte
                cursor.low_nibble = True
                view.viewport().update()
            elif offset + 1 < doc.size:
                view.set_cursor(offset + 1)
            else:
                cursor.low_nibble = False
                view.viewport().update()

    def write_bytes(self, offset: int, new: bytes, description: str) -> bool:
        """Write ``new`` at ``offset`` as one undoable edit (a structure field's value);
        False (and said in the status bar) when it cannot be written."""
        view = self._view
        if self._refused_read_only():
            return False
        old = view.document.safe_read(offset, len(new))
        if len(old) != len(new):
            view.message.emit(f"cannot write at 0x{offset:X}: the segment ends before {len(new)} bytes")
            return False
        if not self._write(offset, new):
            return False
        command = WriteBytesCommand(self, offset, old, new)
        command.setText(description)
        self.undo_stack.push(command)
        view.show_written(offset, len(new))
        return True

    def _refused_read_only(self) -> bool:
        """True (and said how to edit) when the segment is open read-only."""
        if not self._view.segment.readonly:
            return False
        self._view.message.emit(f"read-only: {REOPEN_READ_WRITE} to edit")
        return True

    def apply_write(self, offset: int, data: bytes) -> None:
        """Write for undo/redo; a failure is reported, never raised into Qt."""
        if self._write(offset, data):
            self._view.set_cursor(offset)
            self._view.show_written(offset, len(data))

    def _write(self, offset: int, data: bytes) -> bool:
        """Write to the segment as ours (its change lights up in our colour); a failure
        is said in the status bar."""
        view = self._view
        view.tracker.mark_own(offset, len(data), time.monotonic())
        try:
            view.segment.write(offset, data)
        except (MmfError, OSError) as err:
            view.message.emit(f"cannot write at 0x{offset:X}: {err}")
            return False
        return True

    def _write_typed(self, offset: int, old: bytes, new: bytes, *, high_nibble: bool,
                     low_nibble: bool) -> bool:
        """Write one typed byte; on success push it on the undo stack."""
        view = self._view
        cursor = view.cursor_state
        if not self._write(offset, new):
            cursor.low_nibble = False
            return False
        if cursor.selecting:
            cursor.selecting = False
            view.selectionChanged.emit(cursor.offset, 0)
        self.undo_stack.push(WriteBytesCommand(self, offset, old, new, high_nibble=high_nibble,
                                               low_nibble=low_nibble))
        view.show_written(offset, len(new))
        return True


class WriteBytesCommand(QUndoCommand):
    """One edit of the segment: the bytes before and after, written through the editor.

    The edit is already in the segment when the command is pushed (so a failed
    write never lands on the stack); the first ``redo`` is therefore a no-op.
    Typing the two nibbles of one byte merges into one command.
    """

    MERGE_ID = 0x4D4D

    def __init__(self, editor: HexEditor, offset: int, old: bytes, new: bytes, *,
                 high_nibble: bool = False, low_nibble: bool = False) -> None:
        super().__init__(f"edit {len(new)} byte(s) at 0x{offset:X}")
        self._editor = weakref.ref(editor)
        self.offset, self.old, self.new = offset, old, new
        self._open = high_nibble  # the low nibble of this byte may still merge in
        self._low_nibble = low_nibble
        self._pending_first_redo = True

    def id(self) -> int:
        return self.MERGE_ID

    def mergeWith(self, other: QUndoCommand) -> bool:
        if (isinstance(other, WriteBytesCommand) and self._open and other._low_nibble
                and other.offset == self.offset):
            self.new = other.new
            self._open = False
            return True
        return False

    def redo(self) -> None:
        if self._pending_first_redo:
            self._pending_first_redo = False
            return
        editor = self._editor()
        if editor is not None:
            editor.apply_write(self.offset, self.new)

    def undo(self) -> None:
        editor = self._editor()
        if editor is not None:
            editor.apply_write(self.offset, self.old)
