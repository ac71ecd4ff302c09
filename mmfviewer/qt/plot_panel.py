"""The plot: chosen numeric watches drawn over time, scrolling with the live tick.

:class:`PlotPanel` draws the watches whose Plot box is ticked (:meth:`set_plotted`)
from their series (:meth:`mmfviewer.watches.Watch.series`); the integrator calls
:meth:`PlotPanel.update_from` every tick, after sampling::

    watches.sample(now, readings)
    plot_panel.update_from(watches, now)

x is seconds relative to the tick's time (-60 … 0 for a minute's window), so the
curves scroll. However fast the ticks come, at most :data:`MAX_FPS` frames a second
are drawn (the latest tick's data, a frame late at most); a hidden panel draws
nothing. Zooming or panning with the mouse (pyqtgraph's own) stops following:
the curves are then drawn against the time they were frozen at, new samples
arriving to the right of 0, until Follow. Pause (Space) freezes the picture
whole, with every kept sample loaded to zoom around in, while the watches go on
collecting.

This is the only module that imports pyqtgraph.
"""

from __future__ import annotations

import math
import os
import sys
import time
from datetime import datetime

# pyqtgraph picks its Qt binding when first imported; ours is PySide6.
if "pyqtgraph" not in sys.modules:
    os.environ["PYQTGRAPH_QT_LIB"] = "PySide6"

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, Qt, QTimer
from PySide6.QtGui import QAction, QColor, QKeySequence, QPalette, QShowEvent
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QStackedWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from ..watches import WatchList
from .plot_page import EMPTY_TEXT
from .style import is_dark, note_label, secondary_color

# Lines drawn without antialiasing are several times faster, and a live plot is
# redrawn on every tick (up to 60 times a second).
pg.setConfigOptions(antialias=False)

#: Frames drawn a second at most, whatever the tick rate: one a tick at the fastest
#: refresh (16 ms); a frame a tick is all that shows anything new.
MAX_FPS = 60
#: The windows offered: (seconds, label). The last is all a watch keeps.
WINDOWS: tuple[tuple[int, str], ...] = ((10, "10 s"), (30, "30 s"), (60, "1 min"), (300, "5 min"), (600, "10 min"))
DEFAULT_WINDOW = 60
#: What the plot says while nothing is plotted.

# Curve colours by slot, told apart by hue and readable on their background: deeper
# tones on a light one (Tableau's), lighter ones on a dark one.
LIGHT_COLORS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b", "#e377c2")
DARK_COLORS = ("#6ea8fe", "#ff6b6b", "#6fcf7f", "#c39bff", "#ffb347", "#4dd0e1", "#d7a98c", "#f48fb1")
#: Pixels. Wider lines go through Qt's stroker: four times the paint time (measured).
LINE_WIDTH = 1



def curve_colors(palette: QPalette) -> tuple[QColor, ...]:
    """The curves' colours, by slot, for ``palette``'s background."""
    return tuple(QColor(c) for c in (DARK_COLORS if is_dark(palette) else LIGHT_COLORS))


class PlotPanel(QWidget):
    """Chosen watches as curves over time: a window chooser, Pause, Follow, a legend.

    ``frames_drawn`` counts the frames drawn (for a benchmark of the redraw rate).
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.frames_drawn = 0
        self._watches: WatchList | None = None
        self._now = 0.0
        self._plotted: list[str] = []
        self._curves: dict[str, pg.PlotDataItem] = {}
        self._data: dict[str, tuple[np.ndarray, np.ndarray]] = {}  # what each curve was given
        self._slots: dict[str, int] = {}
        self._following = True
        self._paused = False
        self._ref = 0.0  # the time x = 0 stands for in what is drawn
        self._last_frame = -math.inf  # time.perf_counter() of the last frame
        self._dirty = False
        self._window = DEFAULT_WINDOW

        self._frame_timer = QTimer(self)
        self._frame_timer.setSingleShot(True)
        self._frame_timer.timeout.connect(self._draw_pending)

        self.plot_widget = pg.PlotWidget(self)
        self.plot = self.plot_widget.getPlotItem()
        self._setup_plot()
        self._setup_toolbar()

        self.empty_label = note_label(EMPTY_TEXT)
        self.empty_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.stack = QStackedWidget(self)
        self.stack.addWidget(self.empty_label)
        self.stack.addWidget(self.plot_widget)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.setSpacing(2)
        layout.addLayout(self._toolbar)
        layout.addWidget(self.stack, 1)
        self._apply_palette()
        self._show_window()

    def _setup_plot(self) -> None:
        plot = self.plot
        plot.setMenuEnabled(False)  # its menu's transforms and averaging would fight the live data
        plot.hideButtons()  # the "A" button: Follow does that, and says so
        plot.showGrid(x=True, y=True, alpha=0.25)
        for name in ("bottom", "left"):
            # Grid lines at the labelled ticks only: the minor ones cost 15 ms a paint
            # (three times the curves'), and a live plot needs no finer grid.
            plot.getAxis(name).setStyle(maxTickLevel=0)
        self._axis_text = "seconds before now"
        plot.setLabel("bottom", self._axis_text)
        for name in ("bottom", "left"):
            plot.getAxis(name).enableAutoSIPrefix(False)  # "-600", never "-0.6 ks"
        self.view_box = plot.getViewBox()
        self.view_box.setMouseEnabled(x=True, y=True)
        # The range is set with the data (_fit_view): pyqtgraph's auto-range changes it
        # while painting, which paints every frame twice.
        self.view_box.disableAutoRange()
        self.view_box.sigRangeChangedManually.connect(self._user_moved_view)
        self.legend = plot.addLegend(offset=(6, 6), verSpacing=-6, labelTextSize="8pt")  # compact: it covers data

    def _setup_toolbar(self) -> None:
        self.window_box = QComboBox(self)
        for seconds, label in WINDOWS:
            self.window_box.addItem(label, seconds)
        self.window_box.setCurrentIndex([s for s, _ in WINDOWS].index(DEFAULT_WINDOW))
        self.window_box.setToolTip("How much time the plot shows")
        self.window_box.currentIndexChanged.connect(lambda i: self.set_window(self.window_box.itemData(i)))

        self.pause_action = QAction("Pause", self)
        self.pause_action.setCheckable(True)
        self.pause_action.setShortcut(QKeySequence(Qt.Key.Key_Space))
        self.pause_action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.pause_action.setToolTip("Freeze the plot (the watches go on collecting) (Space)")
        self.pause_action.toggled.connect(self.set_paused)
        self.addAction(self.pause_action)

        # Enabled only when there is somewhere to go back from: a checked button looks
        # much like an unchecked one in a dark Fusion palette.
        self.follow_action = QAction("Follow", self)
        self.follow_action.setEnabled(False)
        self.follow_action.setToolTip("Back to the latest values, in the chosen window (after zooming or a pause)")
        self.follow_action.triggered.connect(self.follow)

        bar = QHBoxLayout()
        bar.setContentsMargins(0, 0, 0, 0)
        bar.addWidget(QLabel("Window", self))
        bar.addWidget(self.window_box)
        for action in (self.pause_action, self.follow_action):
            button = QToolButton(self)
            button.setDefaultAction(action)
            button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
            bar.addWidget(button)
        bar.addStretch(1)
        self._toolbar = bar

    # -- feeding

    def set_plotted(self, keys: list[str]) -> None:
        """Draw these watches (in this order; others are taken away). Keys of watches
        that are not numbers, or not in the list, draw nothing."""
        self._plotted = list(dict.fromkeys(keys))
        self.stack.setCurrentWidget(self.plot_widget if self._plotted else self.empty_label)
        self._sync_curves()
        self.redraw()

    def plotted(self) -> list[str]:
        """The keys asked to be drawn."""
        return list(self._plotted)

    def update_from(self, watches: WatchList, now: float) -> None:
        """The watches as of ``now`` (``time.monotonic()``, as the samples): drawn within
        1/:data:`MAX_FPS` s, unless paused or hidden."""
        self._watches = watches
        self._now = now
        self._dirty = True
        if self._paused or not self.isVisible() or self._frame_timer.isActive():
            return
        wait = self._last_frame + 1 / MAX_FPS - time.perf_counter()
        if wait <= 0:
            self._draw()
        else:
            self._frame_timer.start(max(1, math.ceil(wait * 1000)))

    def redraw(self) -> None:
        """Draw a frame now (unless paused), whatever the frame limit."""
        self._frame_timer.stop()
        if not self._paused:
            self._draw()

    def _draw_pending(self) -> None:
        if self._dirty and not self._paused and self.isVisible():
            self._draw()

    # -- viewing

    @property
    def window_seconds(self) -> int:
        """The time the plot shows when following (seconds)."""
        return self._window

    @property
    def following(self) -> bool:
        """Whether the view shows the latest window (not zoomed or panned away)."""
        return self._following

    @property
    def paused(self) -> bool:
        """Whether the picture is frozen."""
        return self._paused

    def set_window(self, seconds: int) -> None:
        """Show the last ``seconds`` (one of :data:`WINDOWS`) and follow the data."""
        self._window = int(seconds)
        index = self.window_box.findData(self._window)
        if index >= 0 and index != self.window_box.currentIndex():
            self.window_box.setCurrentIndex(index)
        if self._paused:  # frozen: the window moves over what was frozen (all of it is loaded)
            self._following = True  # and resuming shows it live
            self._show_window()
            self._update_buttons()
        else:
            self.follow()

    def follow(self) -> None:
        """Back to live: unpaused, the latest window, y fitted to it."""
        self._following = True
        if self._paused:
            self.pause_action.setChecked(False)  # set_paused draws
            return
        self.redraw()  # the window, fitted to the latest data
        self._update_buttons()

    def set_paused(self, paused: bool) -> None:
        """Freeze (or go on drawing) the picture; the watches collect all the same."""
        if paused == self._paused:
            return
        if self.pause_action.isChecked() != paused:
            self.pause_action.setChecked(paused)  # toggled comes back here: nothing left to do
            return
        if paused:
            self._frame_timer.stop()
            self._draw(everything=True)  # what is kept, to zoom around in while frozen
            self._paused = True
        else:
            self._paused = False
            if self._following:
                self._show_window()
            self._draw()
        self._update_buttons()
        self._update_axis_label()

    def _update_buttons(self) -> None:
        # "Resume" says what the button does now, in any palette.
        self.pause_action.setText("Resume" if self._paused else "Pause")
        self.follow_action.setEnabled(self._paused or not self._following)

    def _show_window(self) -> None:
        """The chosen window, and y fitted to what is drawn in it."""
        left = -float(self._window)
        low, high = math.inf, -math.inf
        for x, y in self._data.values():
            shown = y[(x >= left) & np.isfinite(y)]
            if shown.size:
                low, high = min(low, float(shown.min())), max(high, float(shown.max()))
        if low > high:  # nothing to fit: keep the y range there is
            self.view_box.setXRange(left, 0, padding=0)
            return
        margin = (high - low) * 0.05 or max(abs(high) * 0.05, 0.5)
        self.view_box.setRange(xRange=(left, 0), yRange=(low - margin, high + margin), padding=0)

    def _user_moved_view(self, *_: object) -> None:
        if self._following:
            self._following = False
            self._update_buttons()
            self._update_axis_label()

    # -- drawing

    def _sync_curves(self) -> None:
        watches = self._watches
        if watches is not None:  # a watch that went is forgotten (added again, it is not plotted)
            self._plotted = [k for k in self._plotted if k in watches]
            if not self._plotted and self.stack.currentWidget() is not self.empty_label:
                self.stack.setCurrentWidget(self.empty_label)
        wanted = [k for k in self._plotted
                  if watches is not None and (w := watches.get(k)) is not None and w.numeric]
        for key in [k for k in self._curves if k not in wanted]:
            curve = self._curves.pop(key)
            self._data.pop(key, None)
            self.legend.removeItem(curve)
            self.plot.removeItem(curve)
            self._slots.pop(key, None)
        colors = curve_colors(self.palette())
        for key in wanted:
            if key in self._curves:
                continue
            assert watches is not None
            watch = watches.get(key)
            assert watch is not None
            slot = next(i for i in range(len(self._slots) + 1) if i not in self._slots.values())
            self._slots[key] = slot
            curve = pg.PlotDataItem(name=watch.label, connect="finite",
                                    pen=pg.mkPen(colors[slot % len(colors)], width=LINE_WIDTH))
            # Only what is in view is drawn, at most a few points a pixel column.
            curve.setClipToView(True)
            curve.setDownsampling(auto=True, method="peak")
            self._curves[key] = curve
            self.plot.addItem(curve)

    def _draw(self, everything: bool = False) -> None:
        self._dirty = False
        self._last_frame = time.perf_counter()
        watches = self._watches
        self._sync_curves()
        if self._following:
            self._ref = self._now
        if watches is not None and self._curves:
            if everything:
                since = -math.inf
            else:
                left = -self._window if self._following else min(self.view_box.viewRange()[0][0], 0.0)
                since = self._ref + left - max(1.0, 0.02 * -left)  # a little before the left edge
            for key, curve in self._curves.items():
                watch = watches.get(key)
                if watch is None:
                    continue
                times, values = watch.series(since)
                x = np.frombuffer(times, dtype=np.float64) - self._ref
                y = np.frombuffer(values, dtype=np.float64)
                curve.setData(x, y)
                self._data[key] = (x, y)
        if self._following and not self._paused:
            self._show_window()
        self._update_axis_label()
        self.frames_drawn += 1

    def _update_axis_label(self) -> None:
        if self._following and not self._paused:
            text = "seconds before now"
        else:
            wall = datetime.fromtimestamp(self._ref + time.time() - time.monotonic())
            text = f"seconds from {wall:%H:%M:%S}" + (" (paused)" if self._paused else "")
        if text != self._axis_text:
            self._axis_text = text
            self.plot.setLabel("bottom", text, color=self.palette().color(QPalette.ColorRole.Text).name())

    # -- colours

    def _apply_palette(self) -> None:
        palette = self.palette()
        self.plot_widget.setBackground(palette.color(QPalette.ColorRole.Base))
        text = palette.color(QPalette.ColorRole.Text)
        self.plot.setLabel("bottom", self._axis_text, color=text.name())
        for name in ("bottom", "left"):
            axis = self.plot.getAxis(name)
            axis.setPen(pg.mkPen(secondary_color(palette)))
            axis.setTextPen(pg.mkPen(text))
        legend_back = QColor(palette.color(QPalette.ColorRole.Base))
        legend_back.setAlpha(200)
        self.legend.setBrush(pg.mkBrush(legend_back))
        self.legend.setPen(pg.mkPen(palette.color(QPalette.ColorRole.Mid)))
        self.legend.setLabelTextColor(text)
        colors = curve_colors(palette)
        for key, curve in self._curves.items():
            curve.setPen(pg.mkPen(colors[self._slots[key] % len(colors)], width=LINE_WIDTH))
        self.empty_label.setStyleSheet(f"QLabel {{ color: {secondary_color(palette).name()}; }}")

    def curve(self, key: str) -> pg.PlotDataItem | None:
        """The curve drawn for ``key`` (None when it has none)."""
        return self._curves.get(key)

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.PaletteChange:
            self._apply_palette()
        super().changeEvent(event)

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self._dirty and not self._paused:  # ticks came while hidden: the latest now
            self._draw()

