"""A tab's structure overlays: applying, editing, removing and saving them, and what
they do to the hex view (tints, field names on hover, "Apply structure here").

The overlays live in the tab's session (it reads them each tick); this object is the
glue between the structure dock, the dialog, the hex view and the saved overlays.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QDialog, QFileDialog, QMenu

from ..errors import MmfError
from ..field_spans import FieldSpans
from ..struct_fields import EncodeError, encode
from ..structure_overlays import MAX_OVERLAYS, MAX_OVERLAYS_BYTES, LiveOverlay, OverlaySpec
from .overlay_dialog import OverlayDialog

if TYPE_CHECKING:
    from .segment_tab import SegmentTab


class OverlayControl:
    """The structure overlays of ``tab``."""

    def __init__(self, tab: SegmentTab) -> None:
        self.tab = tab
        self.panel = tab.structures
        self.session = tab.session
        self.panel.addRequested.connect(lambda: self.apply_here())
        self.panel.editRequested.connect(self.edit)
        self.panel.removeRequested.connect(self.remove)
        self.panel.exportRequested.connect(self.export_header)
        self.panel.fieldSelected.connect(self._select_bytes)
        self.panel.model.editRequested.connect(self.write_field)
        view = tab.hex_view
        view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        view.customContextMenuRequested.connect(self._hex_menu)
        self._load_saved()

    @property
    def key(self) -> str:
        """Overlays are remembered by segment name (by path for a file)."""
        segment = self.tab.segment
        return segment.name if segment.name is not None else segment.path

    @property
    def overlays(self) -> list[LiveOverlay]:
        return self.session.overlays

    # ------------------------------------------------------------------ applying

    def apply_here(self, offset: int | None = None) -> None:
        """Ask for a structure to apply at ``offset`` (the cursor, or the selection's
        start), with the last header used in this tab already in."""
        view = self.tab.hex_view
        if offset is None:
            start, length = view.selection()
            offset = start if length else view.cursor_offset()
        last = self.overlays[-1].spec if self.overlays else None
        dialog = OverlayDialog(self.tab, offset=offset, segment_size=view.document.size)
        if last is not None:
            dialog.load_header(last.header, last.header_name)
            dialog.type_box.setCurrentText(last.type_name)
        if dialog.exec() == QDialog.DialogCode.Accepted:
            self.add(dialog.spec())

    def add(self, spec: OverlaySpec) -> bool:
        """Apply ``spec``; False (said in the status bar) when it cannot be."""
        if len(self.overlays) >= MAX_OVERLAYS:
            self.tab.notice.emit(f"cannot apply {spec.label}: a segment has at most {MAX_OVERLAYS} structures")
            return False
        live = self._make(spec)
        if live is None or not self._fits_with(live, None):
            return False
        self.overlays.append(live)
        self._changed()
        self.tab.dockWanted.emit("structures")
        self.tab.notice.emit(f"applied {spec.label}")
        return True

    def edit(self, index: int) -> None:
        """Change overlay ``index`` in the dialog."""
        if not 0 <= index < len(self.overlays):
            return
        dialog = OverlayDialog(self.tab, segment_size=self.tab.hex_view.document.size,
                               initial=self.overlays[index].spec)
        if dialog.exec() == QDialog.DialogCode.Accepted:
            live = self._make(dialog.spec())
            if live is not None and self._fits_with(live, index):
                old = self.overlays[index]
                self.overlays[index] = live
                self.tab.watching.overlay_replaced(old, live)
                self._changed()

    def remove(self, index: int) -> None:
        """Take overlay ``index`` off (the segment's bytes are not touched)."""
        if 0 <= index < len(self.overlays):
            old = self.overlays.pop(index)
            self.tab.watching.overlay_replaced(old, None)
            self._changed()
            self.tab.notice.emit(f"removed {old.spec.label}")

    def export_header(self, index: int) -> None:
        """Save overlay ``index``'s C header to a file the user picks."""
        if not 0 <= index < len(self.overlays):
            return
        spec = self.overlays[index].spec
        path, _ = QFileDialog.getSaveFileName(self.tab, "Export the C header", spec.header_name,
                                              "C headers (*.h);;All files (*)")
        if path:
            self.write_header(index, Path(path))

    def write_header(self, index: int, path: Path) -> None:
        """Write overlay ``index``'s header text to ``path``."""
        try:
            path.write_text(self.overlays[index].spec.header, encoding="utf-8")
        except OSError as err:
            self.tab.notice.emit(f"cannot write {path}: {err}")
        else:
            self.tab.notice.emit(f"saved {self.overlays[index].spec.header_name} as {path}")

    def _make(self, spec: OverlaySpec) -> LiveOverlay | None:
        try:
            return LiveOverlay(spec, self.tab.segment)
        except (ValueError, OverflowError, MmfError, OSError) as err:  # HeaderError is a ValueError
            self.tab.notice.emit(f"cannot apply {spec.label}: {err}")
            return None

    def _fits_with(self, live: LiveOverlay, replacing: int | None) -> bool:
        """Whether the segment's overlays, with ``live``, stay within what a tick reads."""
        total = live.table.span + sum(o.table.span for i, o in enumerate(self.overlays) if i != replacing)
        if total > MAX_OVERLAYS_BYTES:
            self.tab.notice.emit(f"cannot apply {live.spec.label}: the structures of a segment are read every "
                                 f"tick, {MAX_OVERLAYS_BYTES} bytes at most in all")
            return False
        return True

    def _load_saved(self) -> None:
        specs, problem = self.tab.overlay_store.load(self.key)
        for spec in specs:
            live = self._make(spec)
            if live is not None:
                self.overlays.append(live)
        if problem:
            self.tab.notice.emit(problem)
        if self.overlays:
            self.session.redetect()  # a struct is not a mailbox because its seq reads as msgpack
        self._show()

    def _changed(self) -> None:
        self._save()
        self._show()
        self.tab.tick()  # the new overlay's values now, not at the next tick

    def _save(self) -> None:
        try:
            self.tab.overlay_store.save(self.key, [o.spec for o in self.overlays])
        except OSError as err:
            self.tab.notice.emit(f"cannot save the structures: {err}")

    def _show(self) -> None:
        self.panel.set_overlays(self.overlays, writable=not self.tab.segment.readonly)
        self.tab.hex_view.set_field_spans(FieldSpans((o.spec.offset, o.table) for o in self.overlays))

    # ------------------------------------------------------------------ fields

    def write_field(self, overlay: LiveOverlay, row: int, text: str) -> None:
        """Write a value typed in the dock into the field's bytes (one undoable edit)."""
        f = overlay.table.rows[row]
        offset = overlay.spec.offset + f.offset
        view = self.tab.hex_view
        try:
            current = view.document.safe_read(offset, max(f.size, 16))
            new = encode(f, text, current)
        except (EncodeError, MmfError, OSError) as err:
            self.tab.notice.emit(f"{overlay.table.path_of(row)}: {err}")
            return
        if view.editor.write_bytes(offset, new, f"set {overlay.table.path_of(row)} to {text.strip()}"):
            self.tab.tick()

    def _select_bytes(self, offset: int, length: int) -> None:
        view = self.tab.hex_view
        view.set_selection(offset, length)
        view.reveal(offset, length)

    def _hex_menu(self, pos: QPoint) -> None:
        view = self.tab.hex_view
        viewport_pos = view.viewport().mapFrom(view, pos)
        offset = view.offset_at(viewport_pos.x(), viewport_pos.y())
        start, length = view.selection()
        if not (length and start <= offset < start + length):
            view.set_cursor(offset)  # a right-click moves the cursor, unless it is in the selection
            start, length = offset, 0
        menu = QMenu(view)
        apply = menu.addAction("Apply &structure here…", lambda: self.apply_here(start))
        apply.setToolTip("Name these bytes with a C struct from a header")
        label = view.field_spans.label_at(offset)
        if label is not None:
            menu.addAction(f"Show {label.split(' ')[0]} in the structure dock", lambda: self._reveal_field(offset))
        menu.addSeparator()
        copy = menu.addAction("&Copy", lambda: view.copy_selection())
        copy.setShortcut(QKeySequence.StandardKey.Copy)
        select_all = menu.addAction("Select &all", view.select_all)
        select_all.setShortcut(QKeySequence.StandardKey.SelectAll)
        menu.exec(view.mapToGlobal(pos))

    def _reveal_field(self, offset: int) -> None:
        for i, overlay in enumerate(self.overlays):
            relative = offset - overlay.spec.offset
            if 0 <= relative < overlay.table.span:
                row = overlay.table.leaf_at(relative)
                if row is not None:
                    index = self.panel.model.index_of(i, row)
                    self.panel.tree.scrollTo(index)
                    self.panel.tree.setCurrentIndex(index)
                    self.tab.dockWanted.emit("structures")
                    return
