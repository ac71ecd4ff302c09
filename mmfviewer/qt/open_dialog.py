"""The Open dialog: .NET's three ways to get a named mapping, or a file-backed one.

Errors (missing, exists, bad name, bad size, permission) are shown inside the dialog,
which stays open so the user can correct them; nothing escapes as an exception.
"""

from __future__ import annotations

import os

from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from ..discovery import list_segments
from ..errors import MmfError
from ..segment import Segment
from ..units import parse_size
from .style import note_label

OPEN_EXISTING, CREATE_NEW, CREATE_OR_OPEN = "open", "create", "create-or-open"
MODES = [
    (OPEN_EXISTING, "Open existing", "OpenExisting: fails if the name does not exist"),
    (CREATE_NEW, "Create new", "CreateNew: fails if the name exists"),
    (CREATE_OR_OPEN, "Create or open", "CreateOrOpen: opens it if it exists, else creates it"),
]

#: The dialog's button says what it will do.
BUTTON_TEXT = {OPEN_EXISTING: "&Open", CREATE_NEW: "C&reate", CREATE_OR_OPEN: "Create or &open"}


class OpenDialog(QDialog):
    """Ask for a segment and open it. After ``exec()`` returns Accepted,
    :attr:`segment` is the open :class:`Segment` (the caller owns it)."""

    def __init__(self, parent: QWidget | None = None, *, file_backed: bool = False,
                 name: str = "") -> None:
        super().__init__(parent)
        self.file_backed = file_backed
        self.segment: Segment | None = None
        self.setWindowTitle("Open file-backed mapping" if file_backed else "Open mapping")
        self.setMinimumWidth(440)

        form = QFormLayout()
        self.name_edit = QComboBox()
        self.name_edit.setEditable(True)
        self.name_edit.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        if not file_backed:
            self.name_edit.addItems([s.name for s in list_segments() if not s.deleted])
        self.name_edit.setEditText(name)
        line = self.name_edit.lineEdit()
        if line is not None:
            line.setPlaceholderText("/path/to/file.bin" if file_backed else "mapping name, e.g. news-channel")
        if file_backed:
            row = QHBoxLayout()
            row.addWidget(self.name_edit, 1)
            browse = QPushButton("Browse…")
            browse.clicked.connect(self._browse)
            row.addWidget(browse)
            form.addRow("&File:", row)
        else:
            form.addRow("&Name:", self.name_edit)

        self.mode_group = QButtonGroup(self)
        modes = QVBoxLayout()
        self.mode_buttons: dict[str, QRadioButton] = {}
        for key, label, tip in MODES:
            button = QRadioButton(label)
            button.setToolTip(tip)
            button.setProperty("mode", key)
            self.mode_group.addButton(button)
            self.mode_buttons[key] = button
            modes.addWidget(button)
        self.mode_buttons[OPEN_EXISTING].setChecked(True)
        form.addRow("Mode:", modes)

        self.size_edit = QLineEdit("64KiB")
        self.size_edit.setPlaceholderText("4096, 64KiB, 1MiB, 1GiB")
        form.addRow("&Size:", self.size_edit)

        self.read_only = QCheckBox("Read-only (you cannot change the bytes by accident)")
        self.read_only.setChecked(True)
        form.addRow("", self.read_only)

        self.error = note_label(error=True)
        self.error.hide()

        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.go_button = buttons.button(QDialogButtonBox.StandardButton.Ok)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        self.mode_group.buttonToggled.connect(self._mode_changed)
        self.name_edit.editTextChanged.connect(lambda _text: self.error.hide())  # being corrected
        self._mode_changed()

    def mode(self) -> str:
        """The checked mode: ``open``, ``create`` or ``create-or-open``."""
        checked = self.mode_group.checkedButton()
        return str(checked.property("mode")) if checked is not None else "open"

    def set_mode(self, mode: str) -> None:
        """Check the given mode's button."""
        self.mode_buttons[mode].setChecked(True)

    def _mode_changed(self, *_: object) -> None:
        mode = self.mode()
        opening = mode == OPEN_EXISTING
        self.go_button.setText(BUTTON_TEXT[mode])
        self.error.hide()  # said of the other mode
        self.error.clear()
        self.size_edit.setEnabled(not opening)
        # A segment we create is for writing; read-only only makes sense when opening.
        self.read_only.setEnabled(opening)
        if not opening:
            self.read_only.setChecked(False)

    def _browse(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Mapped file")
        if path:
            self.name_edit.setEditText(path)

    def accept(self) -> None:  # noqa: D102 - Qt override
        try:
            self.segment = self._open()
        except (MmfError, OSError) as err:
            self.error.setText(str(err) if isinstance(err, MmfError) else f"{err.strerror}: {err.filename}")
            self.error.show()
            return
        super().accept()

    def _open(self) -> Segment:
        target = self.name_edit.currentText().strip()
        if not target:
            raise MmfError("enter a file path" if self.file_backed else "enter a mapping name")
        mode = self.mode()
        readonly = self.read_only.isChecked() and mode == OPEN_EXISTING
        size = None if mode == OPEN_EXISTING else parse_size(self.size_edit.text())
        if self.file_backed:
            if mode == CREATE_NEW and os.path.exists(target):
                raise MmfError(f"file {target!r} already exists; choose Open existing")
            return Segment.from_file(target, size, readonly=readonly)
        if mode == OPEN_EXISTING:
            return Segment.open(target, readonly=readonly)
        if mode == CREATE_NEW:
            return Segment.create(target, size or 0)
        return Segment.create_or_open(target, size or 0)
