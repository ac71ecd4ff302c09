"""Apply a structure: paste (or open) a C header, pick a type, say where it lies.

The header is read as it is typed (after a short pause), so a mistake is shown with
its line while the user is still looking at it, and the type list, the sequence
field list and the size line always match the text.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from ..c_header import Declarations, HeaderError, header_file_text, read_header
from ..compose import parse_offset
from ..errors import MmfError
from ..struct_fields import FieldTable
from ..struct_reads import sequence_candidates
from ..structure_overlays import OverlaySpec, table_for
from .style import monospace_font, note_label, set_status

EXAMPLE = """#include <stdint.h>

struct sensor {
    uint32_t seq;          /* odd while the writer is updating */
    uint32_t flags;
    double   temperature;
    char     name[16];
};"""
NO_SEQUENCE = "(none: read twice, mark what changes)"
SEQUENCE_NAMES = ("seq", "sequence", "seqlock", "seqcount")


class OverlayDialog(QDialog):
    """Asks for an :class:`OverlaySpec`; :meth:`spec` is the answer after ``exec``."""

    def __init__(self, parent: QWidget | None = None, *, offset: int = 0, segment_size: int = 0,
                 initial: OverlaySpec | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Apply structure")
        self.segment_size = segment_size
        self.header_name = initial.header_name if initial else "pasted.h"
        self._decls: Declarations | None = None
        self._header_error = ""

        self.header = QPlainTextEdit()
        self.header.setFont(monospace_font())
        self.header.setPlaceholderText("Paste the C header the programs share, for example:\n\n" + EXAMPLE)
        self.header.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.open_button = QPushButton("&Open .h…")
        self.open_button.clicked.connect(self._open_file)
        self.type_box = QComboBox()
        self.type_box.setMinimumContentsLength(24)
        self.offset_edit = QLineEdit(f"0x{offset:X}")
        self.offset_edit.setToolTip("Where the structure starts: decimal or 0x hex")
        self.count_box = QSpinBox()
        self.count_box.setRange(1, 1 << 24)
        self.count_box.setToolTip("How many of the type follow each other (an array of structures)")
        self.stride_edit = QLineEdit()
        self.stride_edit.setPlaceholderText("the type's size")
        self.stride_edit.setToolTip("Bytes from one element to the next; empty: the type's size")
        self.sequence_box = QComboBox()
        self.sequence_box.setToolTip(
            "The writer's sequence-lock counter, if it has one: odd while it writes, bumped before and after. "
            "Reads are then retried until the counter is even and unchanged, and counted as torn when they "
            "cannot be had within the tick.")
        self.status = note_label()

        heading = QHBoxLayout()
        heading.addWidget(note_label("C header (struct, union, enum, typedef, #define, packed/aligned, bitfields):"),
                          1)
        heading.addWidget(self.open_button)
        form = QFormLayout()
        form.addRow("&Type:", self.type_box)
        form.addRow("At &offset:", self.offset_edit)
        form.addRow("&Count:", self.count_box)
        form.addRow("&Stride:", self.stride_edit)
        form.addRow("Se&quence field:", self.sequence_box)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Apply")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        outer = QVBoxLayout(self)
        outer.addLayout(heading)
        outer.addWidget(self.header, 1)
        outer.addLayout(form)
        outer.addWidget(self.status)
        outer.addWidget(self.buttons)
        self.resize(640, 560)

        self._reparse = QTimer(self, singleShot=True, interval=250)
        self._reparse.timeout.connect(self._parse)
        self.header.textChanged.connect(self._reparse.start)
        self.type_box.currentTextChanged.connect(self._check)
        for edit in (self.offset_edit, self.stride_edit):
            edit.textChanged.connect(self._check)
        self.count_box.valueChanged.connect(self._check)
        if initial is not None:
            self.header.setPlainText(initial.header)
            self._parse()
            self.type_box.setCurrentText(initial.type_name)
            self.offset_edit.setText(f"0x{initial.offset:X}")
            self.count_box.setValue(initial.count)
            self.stride_edit.setText(str(initial.stride) if initial.stride else "")
            if initial.sequence:
                self.sequence_box.setCurrentText(initial.sequence)
        self._check()
        # The keyboard starts where the header goes (it started on Open .h…, and the
        # first space typed opened the file dialog).
        self.header.setFocus()

    def load_header(self, text: str, name: str) -> None:
        """Put a header's text in (as Open .h… does)."""
        self.header_name = name
        self.header.setPlainText(text)
        self._parse()

    def _open_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open a C header", "", "C headers (*.h *.hpp *.c);;All files (*)")
        if path:
            self.open_header(path)

    def open_header(self, path: str) -> None:
        """Read the header file at ``path`` in (a mistake is said in the status line)."""
        try:
            text = header_file_text(path)
        except MmfError as err:
            set_status(self.status, str(err), False)
            return
        self.load_header(text, Path(path).name)

    def _parse(self) -> None:
        """Read the header now: fill the type list, or say what is wrong with it."""
        self._reparse.stop()
        text = self.header.toPlainText()
        previous = self.type_box.currentText()
        self.type_box.blockSignals(True)
        self.type_box.clear()
        self._decls = None
        try:
            if text.strip():
                self._decls = read_header(text, self.header_name)  # once per edit, not per keystroke elsewhere
            names = self._decls.records if self._decls is not None else []
        except HeaderError as err:
            names = []
            self._header_error = str(err)
        else:
            self._header_error = "" if names or not text.strip() else "the header defines no struct or union"
        self.type_box.addItems(names)
        if previous in names:
            self.type_box.setCurrentText(previous)
        elif names:  # headers define the parts first and the whole last
            self.type_box.setCurrentIndex(len(names) - 1)
        self.type_box.blockSignals(False)
        self._check()

    def spec(self) -> OverlaySpec:
        """What the dialog says now (ValueError when it says nothing usable)."""
        offset = parse_offset(self.offset_edit.text())
        stride_text = self.stride_edit.text().strip()
        stride = parse_offset(stride_text) if stride_text else 0
        sequence = self.sequence_box.currentText()
        return OverlaySpec(self.header.toPlainText(), self.header_name, self.type_box.currentText(), offset,
                           self.count_box.value(), stride, "" if sequence in ("", NO_SEQUENCE) else sequence)

    def _check(self) -> None:
        ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        ok.setEnabled(False)
        if self._header_error:
            set_status(self.status, self._header_error, False)
            return
        if self._decls is None or not self.type_box.currentText():
            set_status(self.status, "Paste or open a header that defines the structure.", None)
            return
        try:
            spec = self.spec()
            spec.check()
            table = table_for(self._decls, spec)
        except ValueError as err:  # HeaderError is one
            set_status(self.status, str(err), False)
            return
        self._fill_sequences(table)
        end = spec.offset + table.span
        where = f"0x{spec.offset:X}..0x{end:X}"
        if self.segment_size and end > self.segment_size:
            set_status(self.status, f"{spec.type_name}: {table.span} bytes at {where} goes past the segment's end "
                                    f"({self.segment_size} bytes): the fields past it show —", None)
        else:
            listed = f" (the first {table.shown} listed)" if table.shown < table.count else ""
            set_status(self.status, f"{spec.type_name}: {table.ctype.size} bytes, {len(table.leaves)} fields"
                                    f"{listed}; covers {where}", True)
        ok.setEnabled(True)

    def _fill_sequences(self, table: FieldTable) -> None:
        one = table if table.count == 1 else FieldTable(table.ctype)  # named within one element
        names = [NO_SEQUENCE] + sequence_candidates(one)
        if [self.sequence_box.itemText(i) for i in range(self.sequence_box.count())] == names:
            return
        current = self.sequence_box.currentText()
        self.sequence_box.clear()
        self.sequence_box.addItems(names)
        if current in names and current != NO_SEQUENCE:
            self.sequence_box.setCurrentText(current)
        else:  # a field named for the convention is most likely it (the user sees it and can say none)
            self.sequence_box.setCurrentText(next((n for n in names[1:] if n in SEQUENCE_NAMES), NO_SEQUENCE))
