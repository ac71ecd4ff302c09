"""Copying a hex view's bytes to the clipboard, as text in one of the copy formats
(:func:`~mmfviewer.qt.hex_geometry.format_bytes`).

A copy is read through the view (what its tick read, or ``pread``), never from the
mapping, and is cut at :data:`COPY_LIMIT`: the clipboard holds text, and megabytes of
hex would freeze it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtWidgets import QApplication

from .hex_geometry import format_bytes

if TYPE_CHECKING:
    from .hex_view import HexView

#: Copying more than this would freeze the clipboard; the copy is cut and says so.
COPY_LIMIT = 4 << 20


def column_kind(view: HexView) -> str:
    """How the cursor's column shows bytes: ``text`` or ``hex`` (a plain copy's format)."""
    return "text" if view.cursor_state.in_ascii else "hex"


def copy_selection(view: HexView, kind: str | None = None) -> str:
    """Copy ``view``'s selection (or the byte at the cursor) as ``kind`` (None: as the
    cursor's column shows it); return the text, which is also put on the clipboard."""
    kind = kind or column_kind(view)
    start, length = view.selection()
    if length == 0:
        length = 1 if view.document.size > 0 else 0
    if length > COPY_LIMIT:
        view.message.emit(f"copied the first {COPY_LIMIT >> 20} MiB of the selection only")
        length = COPY_LIMIT
    text = format_bytes(view.read_cached(start, length) if length else b"", kind, base=start)
    QApplication.clipboard().setText(text)
    return text
