"""The find bar under the hex view: hex bytes or UTF-8 text, next and previous."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QLineEdit, QPushButton, QToolButton, QWidget

from ..hextext import parse_hex_bytes

if TYPE_CHECKING:
    from .main_window import MainWindow


class FindBar(QWidget):
    """Find hex or text in the current segment; Enter / F3 next, Shift+F3 previous."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window_ = window
        self.kind = QComboBox()
        self.kind.addItems(["Text", "Hex"])
        self.kind.setToolTip("Search for UTF-8 text, or hex bytes such as '54 68 65'")
        self.pattern = QLineEdit()
        self.pattern.setPlaceholderText("Find text, or hex bytes like 54 68 65")
        self.pattern.returnPressed.connect(lambda: window.find_next(forward=True))
        previous = QPushButton("Previous")
        previous.clicked.connect(lambda: window.find_next(forward=False))
        following = QPushButton("Next")
        following.clicked.connect(lambda: window.find_next(forward=True))
        close = QToolButton()
        close.setText("✕")
        close.setAutoRaise(True)
        close.clicked.connect(self.hide)
        row = QHBoxLayout(self)
        row.setContentsMargins(6, 2, 6, 2)
        row.addWidget(QLabel("Find:"))
        row.addWidget(self.kind)
        row.addWidget(self.pattern, 1)
        row.addWidget(previous)
        row.addWidget(following)
        row.addWidget(close)

    def needle(self) -> bytes:
        """The pattern as bytes; raises FormatError for bad hex."""
        text = self.pattern.text()
        if self.kind.currentText() == "Hex":
            return parse_hex_bytes(text)
        return text.encode("utf-8")

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt override
        if event.key() == Qt.Key.Key_Escape:
            self.hide()
            self.window_.focus_view()
            return
        super().keyPressEvent(event)
