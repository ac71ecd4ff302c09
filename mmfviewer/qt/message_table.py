"""The message table: fixed row heights and column widths (so 100,000 rows cost
nothing per tick), and appending that follows the newest message unless the user
scrolled up — then the view stays on the message they were reading, even while old
rows are dropped from the history above it.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QFont, QFontMetrics
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableView, QWidget

from ..message import Message
from .message_model import LANE, PREVIEW, SENDER, SEQ, SIZE, TIME, TYPE, MessageFilterProxy, MessageModel


class MessageTable(QTableView):
    """Shows ``proxy`` (a filter over ``model``) and appends to ``model``."""

    def __init__(self, model: MessageModel, proxy: MessageFilterProxy, mono: QFont,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._model, self._proxy = model, proxy
        #: Follow the newest message (the pane's Auto-scroll box).
        self.follow = True
        #: True while rows are appended: selection moves then are not the user's.
        self.updating = False
        self._stick = True  # at the bottom, as far as the user is concerned
        self.setModel(proxy)
        self._set_up(mono)
        self.verticalScrollBar().valueChanged.connect(self._scrolled)

    def append(self, batch: Sequence[Message]) -> None:
        """Append to the model, keeping the view where the user wants it."""
        scrollbar = self.verticalScrollBar()
        # Follow unless the user scrolled up: a bottom that moved because rows arrived
        # (or because the view was laid out after the last append) still counts.
        follow = self.follow and (self._stick or scrollbar.value() >= scrollbar.maximum())
        anchor = None
        if not follow:
            # Dropping old rows shifts every row up: remember the top visible message
            # so the view can stay on it instead of sliding away under the user.
            top = self.indexAt(QPoint(0, 0))
            if top.isValid():
                anchor = self._model.first_ordinal + self._proxy.mapToSource(top).row()
        first = self._model.first_ordinal
        self.updating = True
        try:
            self._model.append(batch)
        finally:
            self.updating = False
        if follow:
            self.scrollToBottom()
        elif anchor is not None and self._model.first_ordinal != first:
            row = self._model.row_of_ordinal(anchor)
            if row is not None:
                index = self._proxy.mapFromSource(self._model.index(row, 0))
                if index.isValid():
                    self.scrollTo(index, QAbstractItemView.ScrollHint.PositionAtTop)

    def select_row(self, row: int) -> None:
        """Select row ``row`` (of the filtered view) as a click would."""
        index = self._proxy.index(row, 0)
        self.setCurrentIndex(index)
        self.scrollTo(index)

    def _scrolled(self, value: int) -> None:
        if not self.updating:  # the user moved: follow again only from the bottom
            self._stick = value >= self.verticalScrollBar().maximum()

    def _set_up(self, mono: QFont) -> None:
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setTabKeyNavigation(False)  # Tab leaves the table; arrows move by rows
        self.setWordWrap(False)
        self.setShowGrid(False)
        self.setAlternatingRowColors(True)
        self.setSortingEnabled(False)
        self.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.setHorizontalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        # Fixed row heights: with 100,000 rows the header must never ask each row its
        # size (QTableView has no setUniformRowHeights; this is its equivalent).
        rows = self.verticalHeader()
        rows.hide()
        rows.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        height = max(QFontMetrics(self.font()).height(), QFontMetrics(mono).height()) + 6
        rows.setDefaultSectionSize(height)
        rows.setMinimumSectionSize(height)
        # Column widths are sized once, from the fonts, never from the contents:
        # resizeColumnsToContents would read every row on every tick.
        header = self.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(PREVIEW, QHeaderView.ResizeMode.Stretch)
        header.setStretchLastSection(False)
        header.setHighlightSections(False)
        header.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        mono_width = QFontMetrics(mono).horizontalAdvance
        text_width = QFontMetrics(self.font()).horizontalAdvance
        pad = 16
        widths = {
            SEQ: mono_width("0000000") + pad,
            TIME: mono_width("00:00:00.000000") + pad,
            LANE: text_width("Lane") + pad,
            SENDER: text_width("4194304 writer") + pad,
            TYPE: text_width("msgpack") + pad // 2,
            SIZE: mono_width("000000") + pad,
        }
        for column, width in widths.items():
            self.setColumnWidth(column, width)
