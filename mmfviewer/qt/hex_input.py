"""What keys, the mouse and the wheel do in a hex view.

The widget hands its input events here and keeps to wiring; where a key takes the
cursor is decided without Qt (:func:`~mmfviewer.hex_cursor.navigate`), and typing
goes to the view's editor.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QHelpEvent, QKeyEvent, QKeySequence, QMouseEvent, QWheelEvent
from PySide6.QtWidgets import QToolTip

from ..hex_cursor import navigate

if TYPE_CHECKING:
    from .hex_view import HexView

_NAV_KEY_NAMES = {Qt.Key.Key_Left: "left", Qt.Key.Key_Right: "right", Qt.Key.Key_Up: "up",
                  Qt.Key.Key_Down: "down", Qt.Key.Key_PageUp: "page_up", Qt.Key.Key_PageDown: "page_down",
                  Qt.Key.Key_Home: "home", Qt.Key.Key_End: "end"}
# With Ctrl, PgUp/PgDn (and Tab) are the window's: they switch tabs.
_WINDOW_CTRL_KEYS = frozenset({Qt.Key.Key_PageUp, Qt.Key.Key_PageDown})
_COMMAND_MODIFIERS = (Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.AltModifier
                      | Qt.KeyboardModifier.MetaModifier)

#: The view's own keys, for Help ▸ Keyboard shortcuts (the window's come from its actions).
VIEW_KEYS = (
    ("Arrows, PgUp, PgDn", "move the cursor"),
    ("Home, End", "start or end of the row"),
    ("Ctrl+Home, Ctrl+End", "first or last byte"),
    ("Shift + any of these", "select"),
    ("0-9, A-F (hex column)", "overwrite a nibble (read-write)"),
    ("Characters (text column)", "overwrite a byte (read-write)"),
    ("Ctrl+wheel", "zoom"),
    ("Tab, Shift+Tab", "leave it for the next or previous control"),
)


class HexInput(QObject):
    """Turns ``view``'s input events into cursor moves, selections, edits and scrolling:
    an event filter on the view (keys) and its viewport (mouse, wheel)."""

    def __init__(self, view: HexView) -> None:
        super().__init__(view)
        self._view = view
        self._viewport = view.viewport()
        self._dragging = False
        self._key_handlers = {QEvent.Type.ShortcutOverride: self.overrides_shortcut,
                              QEvent.Type.KeyPress: self.key_press}
        self._pointer_handlers = {QEvent.Type.MouseButtonPress: self.mouse_press,
                                  QEvent.Type.MouseMove: self.mouse_move,
                                  QEvent.Type.MouseButtonRelease: self.mouse_release,
                                  QEvent.Type.Wheel: self.wheel,
                                  QEvent.Type.ToolTip: self.tooltip}
        view.installEventFilter(self)
        self._viewport.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt's name)
        # Only identities and the event's type are looked at first: while the view is
        # being destroyed, its viewport still sends events, and the view is gone.
        handlers = (self._key_handlers if watched is self._view
                    else self._pointer_handlers if watched is self._viewport else None)
        handler = handlers.get(event.type()) if handlers is not None else None
        if handler is None:
            return False
        handled = bool(handler(event))  # type: ignore[operator]
        if handled:
            event.accept()
        return handled

    def overrides_shortcut(self, event: QKeyEvent) -> bool:
        """Whether a key the view handles should win over the window's shortcuts."""
        mods = event.modifiers() & ~(Qt.KeyboardModifier.ShiftModifier | Qt.KeyboardModifier.KeypadModifier)
        key = event.key()
        if key in _NAV_KEY_NAMES and (mods == Qt.KeyboardModifier.NoModifier or (
                mods == Qt.KeyboardModifier.ControlModifier and key not in _WINDOW_CTRL_KEYS)):
            return True
        return bool(event.text() and event.text().isprintable() and mods == Qt.KeyboardModifier.NoModifier)

    def key_press(self, event: QKeyEvent) -> bool:
        """Handle a key; False if the view has no use for it."""
        view = self._view
        cursor, scroll = view.cursor_state, view.scroller
        key, mods = event.key(), event.modifiers()
        commands = {QKeySequence.StandardKey.SelectAll: view.select_all,
                    QKeySequence.StandardKey.Copy: lambda: view.copy_selection(),
                    QKeySequence.StandardKey.Undo: view.undo_stack.undo,
                    QKeySequence.StandardKey.Redo: view.undo_stack.redo,
                    QKeySequence.StandardKey.ZoomIn: view.zoom_in, QKeySequence.StandardKey.ZoomOut: view.zoom_out}
        command = next((run for standard, run in commands.items() if event.matches(standard)), None)
        if command is not None:
            command()
        elif key in _NAV_KEY_NAMES:
            name, full = _NAV_KEY_NAMES[Qt.Key(key)], scroll.full_rows()
            if name in ("page_up", "page_down"):
                scroll.scroll_rows(full if name == "page_down" else -full)  # the cursor keeps its place
            view.set_cursor(navigate(name, cursor.offset, view.document.size, view.bytes_per_row, full,
                                     ctrl=bool(mods & Qt.KeyboardModifier.ControlModifier)),
                            select=bool(mods & Qt.KeyboardModifier.ShiftModifier))
        elif event.text() and event.text().isprintable() and not mods & _COMMAND_MODIFIERS:
            view.editor.type_text(event.text())
        else:
            return False
        return True

    def mouse_press(self, event: QMouseEvent) -> bool:
        """A left click puts the cursor there (Shift+click selects up to it)."""
        if event.button() != Qt.MouseButton.LeftButton:
            return False
        view = self._view
        offset, view.cursor_state.in_ascii = self._offset_at(event)
        view.set_cursor(offset, select=bool(event.modifiers() & Qt.KeyboardModifier.ShiftModifier))
        self._dragging = True
        return True

    def mouse_move(self, event: QMouseEvent) -> bool:
        """Dragging selects, and scrolls when it leaves the rows."""
        if not (self._dragging and event.buttons() & Qt.MouseButton.LeftButton):
            return False
        view = self._view
        y = event.position().y()
        if y < view.hex_geometry.header_height:
            view.scroller.scroll_rows(-1)  # dragging above the rows scrolls up
        elif y > view.viewport().height():
            view.scroller.scroll_rows(1)
        offset, _ = self._offset_at(event)
        if offset != view.cursor_offset() or not view.cursor_state.selecting:
            view.set_cursor(offset, select=True)
        return True

    def mouse_release(self, event: QMouseEvent) -> bool:
        """The end of a drag."""
        if event.button() != Qt.MouseButton.LeftButton:
            return False
        self._dragging = False
        return True

    def wheel(self, event: QWheelEvent) -> bool:
        """The wheel scrolls; with Ctrl it zooms."""
        view = self._view
        dy = event.angleDelta().y()
        if not event.modifiers() & Qt.KeyboardModifier.ControlModifier:
            view.scroller.wheel(dy, event.angleDelta().x())
        elif dy > 0:
            view.zoom_in()
        elif dy < 0:
            view.zoom_out()
        return True

    def tooltip(self, event: QHelpEvent) -> bool:
        """Resting the pointer on a byte of an applied structure names its field."""
        view = self._view
        if not view.field_spans:
            return False
        pos = event.pos()
        label = view.field_spans.label_at(view.offset_at(pos.x(), pos.y()))
        if label is None:
            QToolTip.hideText()
        else:
            QToolTip.showText(event.globalPos(), label, self._viewport)
        return True

    def _offset_at(self, event: QMouseEvent) -> tuple[int, bool]:
        view = self._view
        pos = event.position()
        return view.hex_geometry.position_at(pos.x() + view.horizontalScrollBar().value(), pos.y(),
                                             view.first_visible_row())

