"""Finding bytes in a hex view: the search reads the segment as it is now, without
Qt (:meth:`~mmfviewer.hex_document.HexDocument.find`); a match is brought on screen
and selected, and a miss or a wrap is said on the view's status line.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .hex_view import HexView


def find_bytes(view: HexView, pattern: bytes, *, forward: bool = True) -> int | None:
    """Find ``pattern`` after (or before) ``view``'s cursor, wrapping around once.

    The match is selected and the cursor put on its first byte. Returns its
    offset, or None (and a "pattern not found" message).
    """
    pattern = bytes(pattern)
    if not pattern:
        view.message.emit("nothing to find: the pattern is empty")
        return None
    hit, wrapped = view.document.find(pattern, view.cursor_offset(), forward=forward)
    if hit is None:
        view.message.emit("pattern not found")
        return None
    if wrapped:
        view.message.emit("search wrapped around")
    if view.document.size != view.hex_geometry.size:
        view.apply_size(view.document.size)
    view.reveal(hit, len(pattern))
    view.set_selection(hit, len(pattern))
    return hit
