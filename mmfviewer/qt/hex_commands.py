"""The hex view's undo command: one edit of the segment, undone and redone by
writing through the view."""

from __future__ import annotations

import weakref
from typing import TYPE_CHECKING

from PySide6.QtGui import QUndoCommand

if TYPE_CHECKING:
    from .hex_view import HexView


class WriteBytesCommand(QUndoCommand):
    """One edit of the segment: the bytes before and after, written through the view.

    The edit is already in the segment when the command is pushed (so a failed
    write never lands on the stack); the first ``redo`` is therefore a no-op.
    Typing the two nibbles of one byte merges into one command.
    """

    MERGE_ID = 0x4D4D

    def __init__(self, view: HexView, offset: int, old: bytes, new: bytes, *,
                 high_nibble: bool = False, low_nibble: bool = False) -> None:
        super().__init__(f"edit {len(new)} byte(s) at 0x{offset:X}")
        self._view = weakref.ref(view)
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
        view = self._view()
        if view is not None:
            view.apply_write(self.offset, self.new)

    def undo(self) -> None:
        view = self._view()
        if view is not None:
            view.apply_write(self.offset, self.old)
