"""The plot panel, headless: curves from the watches' series, scrolling, pause, zoom, window, colours."""

from __future__ import annotations

import time

import numpy as np
import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QColor, QPalette

from mmfviewer.qt.plot_panel import (
    DARK_COLORS,
    EMPTY_TEXT,
    LIGHT_COLORS,
    MAX_FPS,
    WINDOWS,
    PlotPanel,
    curve_colors,
)
from mmfviewer.qt.style import dark_palette
from mmfviewer.watches import Watch, WatchList

TEMP, LEVEL, NAME = "sensors.temp@0x40", "tank.level@0x48", "name@0x50"


@pytest.fixture
def panel(qtbot) -> PlotPanel:
    widget = PlotPanel()
    qtbot.addWidget(widget)
    widget.resize(640, 360)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


@pytest.fixture
def watches() -> WatchList:
    watches = WatchList()
    watches.add(Watch(TEMP, "sensors.temp", numeric=True))
    watches.add(Watch(LEVEL, "tank.level", numeric=True))
    watches.add(Watch(NAME, "name", numeric=False))
    return watches


def feed(watches: WatchList, start: float, end: float, step: float = 0.5) -> float:
    """Samples every ``step`` s from ``start`` up to ``end``: temp = t, level = -t; returns the last time."""
    t = start
    while t <= end + 1e-9:
        watches.sample(t, {TEMP: (t, f"{t}"), LEVEL: (-t, f"{-t}"), NAME: ("x", '"x"')})
        t += step
    return t - step


def x_range(panel: PlotPanel) -> tuple[float, float]:
    (left, right), _ = panel.view_box.viewRange()
    return left, right


def test_nothing_plotted_says_how_to_plot(panel, watches):
    assert panel.stack.currentWidget() is panel.empty_label
    assert panel.empty_label.text() == EMPTY_TEXT == "Tick 'Plot' on a watch to draw it here."
    panel.update_from(watches, 10.0)
    panel.set_plotted([TEMP])
    assert panel.stack.currentWidget() is panel.plot_widget
    panel.set_plotted([])
    assert panel.stack.currentWidget() is panel.empty_label


def test_curves_show_the_last_window_relative_to_now(panel, watches):
    now = feed(watches, 1000.0, 1100.0)
    panel.update_from(watches, now)
    panel.set_plotted([TEMP, LEVEL])
    x, y = panel.curve(TEMP).getData()
    times, values = watches.get(TEMP).series(now - 61)  # the window, and a second before it
    assert np.array_equal(x, np.asarray(times) - now) and np.array_equal(y, np.asarray(values))
    assert x[-1] == 0.0 and -62 < x[0] < -60  # from a little before the left edge
    _, level = panel.curve(LEVEL).getData()
    assert np.array_equal(level, -y)
    assert x_range(panel) == pytest.approx((-60, 0))
    legend = [label.text for _, label in panel.legend.items]
    assert legend == ["sensors.temp", "tank.level"]


def test_the_y_range_fits_what_the_window_shows(panel, watches):
    now = feed(watches, 1000.0, 1100.0)
    panel.update_from(watches, now)
    panel.set_plotted([TEMP])
    _, (low, high) = panel.view_box.viewRange()
    assert low < now - 60 < now < high  # temp = t
    assert low > now - 65 and high < now + 5  # not stretched to the whole 100 s kept


def test_text_watches_and_unknown_keys_draw_nothing(panel, watches):
    feed(watches, 0.0, 5.0)
    panel.update_from(watches, 5.0)
    panel.set_plotted([NAME, "gone@0x0", TEMP])
    assert panel.curve(NAME) is None and panel.curve("gone@0x0") is None
    assert panel.curve(TEMP) is not None


def test_a_removed_watch_loses_its_curve(panel, watches):
    now = feed(watches, 0.0, 5.0)
    panel.update_from(watches, now)
    panel.set_plotted([TEMP, LEVEL])
    watches.remove(TEMP)
    panel.update_from(watches, now + 1)
    panel.redraw()
    assert panel.curve(TEMP) is None and [label.text for _, label in panel.legend.items] == ["tank.level"]
    assert panel.plotted() == [LEVEL]
    watches.add(Watch(TEMP, "sensors.temp", numeric=True))  # back, but nobody ticked Plot for it
    panel.redraw()
    assert panel.curve(TEMP) is None


def test_the_curves_scroll_as_time_goes_on(panel, watches):
    now = feed(watches, 0.0, 30.0)
    panel.update_from(watches, now)
    panel.set_plotted([TEMP])
    now = feed(watches, 30.5, 40.0)
    panel.update_from(watches, now)
    panel.redraw()
    x, y = panel.curve(TEMP).getData()
    assert x[-1] == 0.0 and y[-1] == 40.0  # the newest sample is at 0


def test_pause_freezes_the_picture_while_the_watches_go_on(panel, watches):
    now = feed(watches, 0.0, 100.0)
    panel.update_from(watches, now)
    panel.set_plotted([TEMP])
    assert not panel.follow_action.isEnabled()  # following already
    panel.set_paused(True)
    assert panel.pause_action.isChecked() and panel.pause_action.text() == "Resume"
    assert panel.follow_action.isEnabled()  # Follow resumes too
    assert "(paused)" in panel.plot.getAxis("bottom").labelText
    frozen_range = x_range(panel)
    frozen_x, frozen_y = panel.curve(TEMP).xData.copy(), panel.curve(TEMP).yData.copy()
    assert frozen_x[0] == -100  # everything kept is loaded, to zoom around in
    stored = watches.get(TEMP).stored
    frames = panel.frames_drawn
    for _ in range(10):
        now = feed(watches, now + 0.5, now + 5)
        panel.update_from(watches, now)
        panel.redraw()
    assert watches.get(TEMP).stored > stored
    assert panel.frames_drawn == frames
    assert x_range(panel) == frozen_range
    assert np.array_equal(panel.curve(TEMP).xData, frozen_x) and np.array_equal(panel.curve(TEMP).yData, frozen_y)
    panel.set_paused(False)
    assert panel.pause_action.text() == "Pause" and panel.plot.getAxis("bottom").labelText == "seconds before now"
    x, y = panel.curve(TEMP).getData()
    assert y[-1] == now and x[-1] == 0.0 and x_range(panel) == pytest.approx((-60, 0))


def test_follow_resumes_a_paused_plot_at_the_latest_values(panel, watches):
    now = feed(watches, 0.0, 100.0)
    panel.update_from(watches, now)
    panel.set_plotted([TEMP])
    panel.set_paused(True)
    panel.set_window(10)  # looks over the frozen samples
    assert panel.paused and x_range(panel) == pytest.approx((-10, 0))
    now = feed(watches, now + 0.5, now + 20)
    panel.update_from(watches, now)
    panel.follow_action.trigger()
    assert not panel.paused and not panel.pause_action.isChecked()
    x, y = panel.curve(TEMP).getData()
    assert y[-1] == now and x_range(panel) == pytest.approx((-10, 0))


def test_space_pauses_and_resumes(qtbot, watches):
    panel = PlotPanel()
    qtbot.addWidget(panel)
    with qtbot.waitActive(panel):  # shortcuts go to the active window only
        panel.show()
        panel.activateWindow()
    panel.update_from(watches, feed(watches, 0.0, 10.0))
    panel.set_plotted([TEMP])
    panel.plot_widget.setFocus()
    qtbot.keyClick(panel.plot_widget, Qt.Key.Key_Space)
    assert panel.paused
    qtbot.keyClick(panel.plot_widget, Qt.Key.Key_Space)
    assert not panel.paused


def test_the_window_chooser_sets_the_time_shown(panel, watches):
    now = feed(watches, 0.0, 700.0, step=1.0)
    panel.update_from(watches, now)
    panel.set_plotted([TEMP])
    labels = [panel.window_box.itemText(i) for i in range(panel.window_box.count())]
    assert labels == [label for _, label in WINDOWS] == ["10 s", "30 s", "1 min", "5 min", "10 min"]
    assert panel.window_box.currentText() == "1 min" and panel.window_seconds == 60
    panel.set_window(10)
    assert panel.window_box.currentText() == "10 s" and x_range(panel) == pytest.approx((-10, 0))
    x, _ = panel.curve(TEMP).getData()
    assert x[0] >= -12
    panel.window_box.setCurrentIndex(4)
    assert panel.window_seconds == 600 and x_range(panel) == pytest.approx((-600, 0))
    x, _ = panel.curve(TEMP).getData()
    assert x[0] <= -600


def test_zooming_with_the_mouse_stops_following_until_follow(panel, watches):
    now = feed(watches, 0.0, 100.0)
    panel.update_from(watches, now)
    panel.set_plotted([TEMP])
    center = panel.plot_widget.mapFromScene(panel.view_box.mapViewToScene(
        panel.view_box.viewRect().center()))
    wheel_zoom(panel, center)
    assert not panel.following and panel.follow_action.isEnabled()
    zoomed = x_range(panel)
    assert zoomed[1] - zoomed[0] < 60
    now = feed(watches, now + 0.5, now + 10)
    panel.update_from(watches, now)
    panel.redraw()
    assert x_range(panel) == pytest.approx(zoomed)  # what the user looks at stays put
    x, y = panel.curve(TEMP).getData()
    assert y[-1] == now and x[-1] == pytest.approx(10.0)  # new samples come in right of the frozen 0
    panel.follow_action.trigger()
    assert panel.following and x_range(panel) == pytest.approx((-60, 0)) and not panel.follow_action.isEnabled()
    assert panel.curve(TEMP).getData()[0][-1] == 0.0


def wheel_zoom(panel: PlotPanel, at: QPoint) -> None:
    from PySide6.QtCore import QPointF
    from PySide6.QtGui import QWheelEvent
    from PySide6.QtWidgets import QApplication

    viewport = panel.plot_widget.viewport()
    event = QWheelEvent(QPointF(at), QPointF(viewport.mapToGlobal(at)), QPoint(0, 0), QPoint(0, 240),
                        Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase, False)
    QApplication.sendEvent(viewport, event)


def test_redraws_are_limited_whatever_the_tick_rate(panel, watches, qtbot):
    now = feed(watches, 0.0, 10.0)
    panel.update_from(watches, now)
    panel.set_plotted([TEMP])
    frames = panel.frames_drawn
    start = time.perf_counter()
    for i in range(200):  # 200 ticks as fast as they come
        now += 0.001
        watches.sample(now, {TEMP: (float(i), str(i))})
        panel.update_from(watches, now)
    elapsed = time.perf_counter() - start
    assert panel.frames_drawn - frames <= 1 + elapsed * MAX_FPS
    # The last tick is drawn all the same, within a frame's time.
    qtbot.waitUntil(lambda: panel.curve(TEMP).getData()[1][-1] == 199.0, timeout=1000)


def test_a_hidden_plot_draws_nothing_until_shown(panel, watches):
    now = feed(watches, 0.0, 10.0)
    panel.update_from(watches, now)
    panel.set_plotted([TEMP])
    panel.hide()
    frames = panel.frames_drawn
    now = feed(watches, now + 0.5, now + 5)
    panel.update_from(watches, now)
    assert panel.frames_drawn == frames
    panel.show()
    assert panel.frames_drawn == frames + 1 and panel.curve(TEMP).getData()[1][-1] == now


def test_curve_colours_differ_and_stand_out_from_the_background():
    light = QPalette(QColor("#efefef"))
    light.setColor(QPalette.ColorRole.Base, QColor("white"))
    dark = dark_palette()
    for palette, names in ((light, LIGHT_COLORS), (dark, DARK_COLORS)):
        colors = curve_colors(palette)
        assert [c.name() for c in colors] == list(names)
        assert len({c.hue() // 20 for c in colors}) >= 7  # hues apart, not shades of one
        base = palette.color(QPalette.ColorRole.Base).lightness()
        assert all(abs(c.lightness() - base) > 60 for c in colors)


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_plot_takes_its_background_from_the_palette(panel, watches, scheme, tmp_path):
    palette = dark_palette() if scheme == "dark" else QPalette(QColor("#efefef"))
    if scheme == "light":
        palette.setColor(QPalette.ColorRole.Base, QColor("white"))
    panel.setPalette(palette)
    now = feed(watches, 0.0, 90.0)
    panel.update_from(watches, now)
    panel.set_plotted([TEMP, LEVEL])
    image = panel.grab().toImage()
    assert image.save(str(tmp_path / f"plot-{scheme}.png"))
    plot_origin = panel.plot_widget.mapTo(panel, QPoint(0, 0))
    inside = image.pixelColor(plot_origin + QPoint(panel.plot_widget.width() * 3 // 4, 12))
    if scheme == "dark":
        assert inside.lightness() < 60
    else:
        assert inside.lightness() > 200
    # Curve colours are there: the palette's own, drawn.
    wanted = {c.name() for c in curve_colors(palette)[:2]}
    drawn = {image.pixelColor(x, y).name() for x in range(0, image.width(), 2) for y in range(0, image.height(), 2)}
    assert wanted <= drawn
