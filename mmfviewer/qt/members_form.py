"""The compose panel's Members form: a field per member of the .NET object a segment
holds, or per item of its ShareableList, filled with the current values.

A widget of its own because it rebuilds its fields whenever the value's shape
changes and remembers what each was filled with, to send only what was changed;
which fields there are, and what a change sends, :mod:`mmfviewer.compose` decides.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from ..codec import Layout
from ..compose import EditableValue, changed_members, editable_value
from ..segment import Segment
from .style import set_status


class MembersForm(QWidget):
    """The Members form; :meth:`load` fills it, :meth:`payload` is what it sends.

    ``edits`` holds the fields that can be written, by member name or ``[index]``;
    ``reload_button`` asks for the current values (its owner knows the segment).
    """

    changed = Signal()  # a field was typed into, or the fields were made again

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        fields = QWidget()
        self._box = QFormLayout(fields)
        self._box.setContentsMargins(0, 0, 4, 0)
        # A class of many members scrolls instead of squeezing its fields.
        scroll = QScrollArea()
        scroll.setWidget(fields)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.reload_button = QPushButton("Load current values")
        self.reload_button.setToolTip("Fill the fields with the value the segment holds now")
        reload_row = QHBoxLayout()
        reload_row.addStretch(1)
        reload_row.addWidget(self.reload_button)
        box = QVBoxLayout(self)
        box.setContentsMargins(4, 6, 4, 4)
        box.addWidget(scroll, 1)
        box.addWidget(self.status)
        box.addLayout(reload_row)
        self.edits: dict[str, QLineEdit] = {}
        self._filled: dict[str, str] = {}   # what each field was filled with
        self._shown = EditableValue(None)

    def load(self, segment: Segment | None, layout: Layout | None, *, force: bool = False) -> None:
        """Make the form match the value ``segment`` holds: one field per member of a
        .NET object, or per item of a ShareableList, filled with its current value.
        Fields already typed into stay as they are unless ``force`` or the value's
        shape changed."""
        value = editable_value(segment, layout)
        if value.shape is None or value.shape != self._shown.shape or force:
            self._show(value)

    def _show(self, value: EditableValue) -> None:
        while self._box.rowCount():
            self._box.removeRow(0)
        self.edits, self._filled = {}, {}
        self._shown = value
        if value.shape is None:
            set_status(self.status, value.problem, False)
            self.changed.emit()
            return
        for field in value.fields:
            edit = QLineEdit(field.text)
            if field.writable:
                edit.setPlaceholderText(field.placeholder)
                self.edits[field.name] = edit
                self._filled[field.name] = field.text
                edit.textChanged.connect(self.changed)
            else:
                edit.setEnabled(False)
                edit.setToolTip(field.kept_because)
            label = QLabel(field.name)
            label.setToolTip(field.type_tip)
            self._box.addRow(label, edit)
        set_status(self.status, value.note, None)
        self.changed.emit()

    def payload(self) -> dict:
        """What the form sends: the fields changed since they were filled (see
        :func:`~mmfviewer.compose.changed_members`)."""
        layout = self._shown.shape[0] if self._shown.shape is not None else None
        return changed_members({name: edit.text() for name, edit in self.edits.items()}, self._filled, layout)

    def problem(self) -> str | None:
        """Why the form cannot be sent as it is, or None."""
        if self._shown.shape is None or self._shown.problem:
            return self._shown.problem or "no .NET object to send one like"
        if not self.payload():
            return "change a value to write it"
        return None
