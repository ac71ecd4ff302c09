"""What the hex view's tests share: a view over a segment, another process truncating it,
and looks at what the view painted (the ``segment`` and ``clock`` fixtures are in conftest.py)."""

from __future__ import annotations

import os

from PySide6.QtCore import QEvent, QObject, QRect
from PySide6.QtGui import QColor, QImage, QRegion

from mmfviewer.qt.hex_painter import HexPainter
from mmfviewer.qt.hex_view import HexView
from mmfviewer.segment import Segment
from mmfviewer.segment_os import SHM_DIR

from ..conftest import run_other_process

GiB = 1 << 30

TEXT = b"Hello, shared memory!\nThe quick brown fox jumps over the lazy dog.\t\r\n"


def other_process_truncates(name: str, size: int) -> None:
    run_other_process("import os, sys; os.truncate(sys.argv[1], int(sys.argv[2]))",
                      os.path.join(SHM_DIR, name), size)


def make_view(qtbot, segment: Segment, *, width: int = 900, height: int = 600) -> HexView:
    view = HexView(segment)
    qtbot.addWidget(view)
    view.resize(width, height)
    view.show()
    qtbot.waitExposed(view)
    view.refresh()
    return view


class PaintCounter(QObject):
    """Counts paint events of a widget."""

    def __init__(self, widget) -> None:
        super().__init__()
        self.count = 0
        widget.installEventFilter(self)

    def eventFilter(self, obj, event) -> bool:
        if event.type() == QEvent.Paint:
            self.count += 1
        return False


class PaintedRows(QObject):
    """Which visible rows of a view each paint event covered."""

    def __init__(self, view: HexView) -> None:
        super().__init__()
        self.view = view
        self.paints: list[set[int]] = []
        view.viewport().installEventFilter(self)

    def eventFilter(self, obj, event) -> bool:
        if event.type() == QEvent.Paint:
            region = QRegion(event.region())
            lay, width = self.view.hex_geometry, self.view.viewport().width()
            rows = lay.visible_rows(self.view.viewport().height())
            self.paints.append({i for i in range(rows) if region.intersects(
                QRect(0, int(lay.row_y(i)) + 1, width, int(lay.row_height) - 2))})
        return False

    def rows(self) -> set[int]:
        return set().union(*self.paints)


class FrozenClock:
    """The view's clock, moved by hand: highlights do not fade between two looks."""

    def __init__(self, t: float) -> None:
        self.t = t

    def monotonic(self) -> float:
        return self.t


def grab_both(view: HexView, monkeypatch) -> tuple[QImage, QImage]:
    """The viewport as painted (rows as glyph runs), and as drawText paints it."""
    fast = view.viewport().grab().toImage()
    with monkeypatch.context() as m:
        m.setattr(HexPainter, "_paint_rows_as_glyphs",
                  lambda self, p, s, glyphs, rows: self._paint_rows_as_text(p, s, rows))
        slow = view.viewport().grab().toImage()
    return fast, slow


def row_image(view: HexView, visible_row: int) -> QImage:
    """One visible row of the viewport, full width."""
    lay = view.hex_geometry
    return view.viewport().grab().toImage().copy(
        0, int(lay.row_y(visible_row)), view.viewport().width(), int(lay.row_height))


def cell_background(view: HexView, offset: int) -> QColor:
    """The colour painted behind ``offset`` in the hex column (in the cell's padding)."""
    lay = view.hex_geometry
    row = offset // view.bytes_per_row - view.first_visible_row()
    col = offset % view.bytes_per_row
    x = lay.hex_x(col) - lay.char_width * 0.3 - view.horizontalScrollBar().value()
    y = lay.row_y(row) + 1.5
    return view.viewport().grab().toImage().pixelColor(int(x), int(y))
