"""A narrow strip beside the hex view's scrollbar: where in the segment bytes changed.

Each pixel row stands for an equal slice of the whole segment; a warm mark shows
that something changed there (from ``ChangeTracker.heat``: fading where it was seen
on screen, held on pages the background scan found changed), hatching what the scan
has not looked at yet, a line where it goes on, and a frame shows which part is on
screen. Clicking or dragging on the strip scrolls there.

The strip knows nothing about segments: the view hands it three callables, so it
can be tested and reused on its own.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QBrush, QColor, QMouseEvent, QPainter, QPaintEvent, QPalette
from PySide6.QtWidgets import QWidget

#: Width of the strip in pixels.
STRIP_WIDTH = 14
#: The colour of a fresh change (alpha follows the heat).
HEAT_COLOR = QColor(255, 120, 0)

def _heat_colors(steps: int = 32) -> tuple[QColor, ...]:
    colors = []
    for i in range(steps + 1):
        color = QColor(HEAT_COLOR)
        color.setAlphaF(0.25 + 0.75 * i / steps if i else 0.0)
        colors.append(color)
    return tuple(colors)


_HEAT_COLORS = _heat_colors()
#: Marks are at least this tall so a single changed page is still visible.
MIN_MARK_HEIGHT = 2
#: The "you are here" frame is at least this tall even in a huge segment.
MIN_VIEW_HEIGHT = 6


class OverviewStrip(QWidget):
    """Heat marks for the whole segment and a frame around the visible part.

    ``heat(buckets, now)`` gives one intensity 0..1 per pixel row;
    ``visible(fraction)`` gives the on-screen part as fractions ``(top, bottom)``
    of the segment; ``jump(fraction)`` is called when the user clicks at a fraction.
    """

    def __init__(self, heat: Callable[[int, float], list[float]],
                 visible: Callable[[], tuple[float, float]],
                 jump: Callable[[float], None], parent: QWidget | None = None, *,
                 coverage: Callable[[int], tuple[list[bool], float | None]] | None = None) -> None:
        super().__init__(parent)
        self._heat = heat
        self._visible = visible
        self._jump = jump
        self._coverage = coverage
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setToolTip("Where bytes changed across the whole segment: marks that fade where changes\n"
                        "were seen, marks that stay on pages the background scan found changed on its\n"
                        "last visit (a big segment takes a while to scan: the line is where it is,\n"
                        "hatching what it has not looked at yet). Click to go there.")
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)

    def sizeHint(self) -> QSize:
        return QSize(STRIP_WIDTH, 100)

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        try:
            self._paint(painter)
        finally:
            painter.end()

    def _paint(self, painter: QPainter) -> None:
        w, h = self.width(), self.height()
        pal = self.palette()
        painter.fillRect(0, 0, w, h, pal.color(QPalette.ColorRole.Window).darker(108))
        painter.setPen(pal.color(QPalette.ColorRole.Mid))
        painter.drawLine(0, 0, 0, h)
        if h <= 0:
            return
        heat = self._heat(h, time.monotonic())
        # Quantised levels: neighbouring rows of one level become one rectangle.
        steps = len(_HEAT_COLORS) - 1
        y = 0
        while y < h:
            level = int(min(1.0, heat[y]) * steps + 0.5)
            run = y + 1
            while run < h and int(min(1.0, heat[run]) * steps + 0.5) == level:
                run += 1
            if level:
                painter.fillRect(QRectF(2, y, w - 3, max(run - y, MIN_MARK_HEIGHT)),
                                 _HEAT_COLORS[level])
            y = run
        if self._coverage is not None:
            self._paint_coverage(painter, w, h)
        top, bottom = self._visible()
        y0 = min(top * h, h - MIN_VIEW_HEIGHT)
        y1 = max(bottom * h, y0 + MIN_VIEW_HEIGHT)
        # A translucent band with a solid outline reads on top of the heat marks too.
        ink = QColor(pal.color(QPalette.ColorRole.WindowText))
        ink.setAlpha(60)
        painter.fillRect(QRectF(1, y0, w - 1, y1 - y0), ink)
        ink.setAlpha(200)
        painter.setPen(ink)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawRect(QRectF(1.5, y0 + 0.5, w - 2, y1 - y0 - 1))

    def _paint_coverage(self, painter: QPainter, w: int, h: int) -> None:
        """Hatch what the scan has not looked at yet; a line where it goes on."""
        unknown, head = self._coverage(h)  # type: ignore[misc]
        ink = QColor(self.palette().color(QPalette.ColorRole.WindowText))
        ink.setAlpha(90)
        y = 0
        while y < h:
            if not unknown[y]:
                y += 1
                continue
            run = y + 1
            while run < h and unknown[run]:
                run += 1
            painter.fillRect(QRectF(2, y, w - 3, run - y), QBrush(ink, Qt.BrushStyle.BDiagPattern))
            y = run
        if head is not None:
            ink.setAlpha(220)
            painter.fillRect(QRectF(0, min(head * h, h - 2), w, 2), ink)

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self._jump_to(event.position().y())
            event.accept()

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if event.buttons() & Qt.MouseButton.LeftButton:
            self._jump_to(event.position().y())
            event.accept()

    def _jump_to(self, y: float) -> None:
        if self.height() > 0:
            self._jump(min(1.0, max(0.0, y / self.height())))
