"""The watch list panel, headless: rows, live cells, the change highlight, removing, CSV."""

from __future__ import annotations

import csv
import time

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QColor

from mmfviewer.presentation import ago_text
from mmfviewer.qt.style import dark_palette
from mmfviewer.qt.watch_panel import (
    COLUMNS,
    EMPTY_TEXT,
    LAST_CHANGE,
    MAX,
    MIN,
    NAME,
    PLOT,
    RATE,
    VALUE,
    WatchPanel,
    rate_text,
)
from mmfviewer.watches import Watch, WatchList, inspector_watch

TEMP, NAME_KEY = "sensors.temp@0x40", "name@0x50"


@pytest.fixture
def panel(qtbot) -> WatchPanel:
    widget = WatchPanel()
    qtbot.addWidget(widget)
    widget.resize(700, 300)
    return widget


@pytest.fixture
def watches() -> WatchList:
    watches = WatchList()
    watches.add(Watch(TEMP, "sensors.temp", numeric=True))
    watches.add(Watch(NAME_KEY, "name", numeric=False))
    return watches


def cell(panel: WatchPanel, row: int, column: int, role=Qt.ItemDataRole.DisplayRole):
    return panel.model.data(panel.model.index(row, column), role)


def tick(panel: WatchPanel, watches: WatchList, t: float, temp: float, name: str = '"pump"') -> None:
    watches.sample(t, {TEMP: (temp, str(temp)), NAME_KEY: (name, name)})
    panel.update_from(watches, t)


def test_the_table_has_the_documented_columns(panel):
    headers = [panel.model.headerData(c, Qt.Orientation.Horizontal) for c in range(panel.model.columnCount())]
    assert headers == list(COLUMNS) == ["Name", "Value", "Min", "Max", "Rate /s", "Last change", "Plot"]


def test_an_empty_list_says_how_to_add_a_watch(panel, watches):
    assert panel.stack.currentWidget() is panel.empty_label
    assert "Right-click a field in the structure dock or a row of the inspector and choose Watch" in EMPTY_TEXT
    assert panel.empty_label.text() == EMPTY_TEXT
    tick(panel, watches, 10.0, 20.0)
    assert panel.stack.currentWidget() is panel.view


def test_rows_appear_with_their_values_extremes_and_rate(panel, watches):
    for i, temp in enumerate([20.0, 21.0, 19.5, 20.5]):
        tick(panel, watches, 10.0 + i * 0.5, temp)
    assert panel.model.rowCount() == 2
    assert [cell(panel, 0, c) for c in (NAME, VALUE, MIN, MAX)] == ["sensors.temp", "20.5", "19.5", "21.0"]
    assert cell(panel, 0, RATE) == "-0.5"  # 21.0 (at 10.5) -> 20.5 (at 11.5)
    assert [cell(panel, 1, c) for c in (NAME, VALUE, MIN, MAX, RATE)] == ["name", '"pump"', "", "", ""]


def test_a_watch_added_later_gets_a_row_at_the_end(panel, watches):
    tick(panel, watches, 10.0, 20.0)
    resets = []
    panel.model.modelReset.connect(lambda: resets.append(1))
    watches.add(inspector_watch("u32 LE", 0x100))
    panel.update_from(watches, 10.1)
    assert [cell(panel, r, NAME) for r in range(3)] == ["sensors.temp", "name", "u32 LE @ 0x100"]
    assert resets == []


def test_an_idle_tick_changes_no_cell_and_a_change_only_its_cells(panel, watches):
    tick(panel, watches, 10.0, 20.0)
    tick(panel, watches, 20.0, 20.0)  # long after: nothing lit, "Last change" says "never"
    changes = []
    panel.model.dataChanged.connect(lambda top, bottom, *_: changes.append(
        (top.row(), bottom.row(), top.column(), bottom.column())))
    tick(panel, watches, 20.1, 20.0)
    assert changes == []
    tick(panel, watches, 20.2, 20.25)
    assert changes == [(0, 0, VALUE, LAST_CHANGE)]  # value, max, rate, last change: one row, one span
    assert all(top == bottom for top, bottom, *_ in changes)


def test_a_changed_value_lights_up_and_fades(panel, watches):
    tick(panel, watches, 10.0, 20.0)
    assert cell(panel, 0, VALUE, Qt.ItemDataRole.BackgroundRole) is None  # the first sample is no change
    tick(panel, watches, 11.0, 21.0)
    lit = cell(panel, 0, VALUE, Qt.ItemDataRole.BackgroundRole)
    assert isinstance(lit, QColor) and lit.alpha() > 150
    assert cell(panel, 0, NAME, Qt.ItemDataRole.BackgroundRole) is None  # the value cell only
    assert cell(panel, 1, VALUE, Qt.ItemDataRole.BackgroundRole) is None  # the name did not change
    tick(panel, watches, 11.75, 21.0)
    fading = cell(panel, 0, VALUE, Qt.ItemDataRole.BackgroundRole)
    assert 0 < fading.alpha() < lit.alpha()
    tick(panel, watches, 12.6, 21.0)
    assert cell(panel, 0, VALUE, Qt.ItemDataRole.BackgroundRole) is None


def test_last_change_says_how_long_ago(panel, watches):
    tick(panel, watches, 10.0, 20.0)
    assert cell(panel, 0, LAST_CHANGE) == "never"
    tick(panel, watches, 11.0, 21.0)
    panel.update_from(watches, 13.34)
    assert cell(panel, 0, LAST_CHANGE) == "2.3 s ago"
    assert "1 changes" in cell(panel, 0, LAST_CHANGE, Qt.ItemDataRole.ToolTipRole)


@pytest.mark.parametrize("seconds, text", [(None, "never"), (0.0, "0.0 s ago"), (9.99, "9.9 s ago"),
                                           (42.7, "42 s ago"), (185, "3 min ago"), (3900, "1 h 5 min ago")])
def test_ages_read_naturally(seconds, text):
    assert ago_text(seconds) == text


@pytest.mark.parametrize("rate, text", [(None, ""), (0.0, "0"), (0.5, "+0.5"), (-2.25, "-2.25"),
                                        (12345.6, "+12346"), (1.25e-6, "+1.25e-06")])
def test_rates_read_naturally(rate, text):
    assert rate_text(rate) == text


def test_last_change_counts_on_while_no_tick_comes(panel, watches, qtbot):
    panel.show()
    qtbot.waitExposed(panel)
    now = time.monotonic()
    tick(panel, watches, now - 1.0, 20.0)
    tick(panel, watches, now, 21.0)
    assert cell(panel, 0, LAST_CHANGE) == "0.0 s ago"
    qtbot.waitUntil(lambda: cell(panel, 0, LAST_CHANGE) != "0.0 s ago", timeout=2000)


def test_the_plot_box_is_for_numbers_and_says_when_ticked(panel, watches):
    tick(panel, watches, 10.0, 20.0)
    toggles = []
    panel.plotToggled.connect(lambda key, on: toggles.append((key, on)))
    index = panel.model.index(0, PLOT)
    assert panel.model.flags(index) & Qt.ItemFlag.ItemIsUserCheckable
    assert not panel.model.flags(panel.model.index(1, PLOT)) & Qt.ItemFlag.ItemIsUserCheckable
    assert panel.model.setData(index, Qt.CheckState.Checked.value, Qt.ItemDataRole.CheckStateRole)
    assert cell(panel, 0, PLOT, Qt.ItemDataRole.CheckStateRole) == Qt.CheckState.Checked
    panel.set_plotted(TEMP, False)
    panel.set_plotted(NAME_KEY, True)  # text cannot be plotted: nothing happens
    assert toggles == [(TEMP, True), (TEMP, False)]
    assert panel.plotted_keys() == []


def test_the_context_menu_plots_exports_and_removes_the_current_watch(panel, watches):
    tick(panel, watches, 10.0, 20.0)
    texts = [a.text() for a in panel.view.actions() if not a.isSeparator()]
    assert texts == ["Plot", "Export to CSV…", "Remove"]
    panel.view.setCurrentIndex(panel.model.index(0, NAME))
    panel.plot_action.trigger()
    assert panel.plotted_keys() == [TEMP] and panel.plot_action.text() == "Don't plot"
    panel.plot_action.trigger()
    assert panel.plotted_keys() == [] and panel.plot_action.text() == "Plot"
    panel.view.setCurrentIndex(panel.model.index(1, NAME))
    assert not panel.plot_action.isEnabled() and not panel.export_action.isEnabled()
    assert panel.remove_action.isEnabled()


def test_delete_removes_the_selected_watches_from_the_list(panel, watches, qtbot):
    with qtbot.waitActive(panel):  # shortcuts go to the active window only
        panel.show()
        panel.activateWindow()
    tick(panel, watches, 10.0, 20.0)
    panel.set_plotted(TEMP, True)
    removed, toggles = [], []
    panel.removed.connect(removed.append)
    panel.plotToggled.connect(lambda key, on: toggles.append((key, on)))
    panel.view.setFocus()
    panel.view.selectRow(0)
    qtbot.keyClick(panel.view, Qt.Key.Key_Delete)
    assert removed == [TEMP] and toggles == [(TEMP, False)]  # the plot lets it go too
    assert watches.keys() == [NAME_KEY] and panel.model.rowCount() == 1
    assert panel.plotted_keys() == []
    panel.view.selectRow(0)
    panel.remove_action.trigger()
    assert removed == [TEMP, NAME_KEY] and len(watches) == 0
    assert panel.stack.currentWidget() is panel.empty_label


def test_export_writes_every_sample_as_csv(panel, watches, tmp_path):
    for i in range(5):
        tick(panel, watches, 100.0 + i * 0.1, 20.0 + i)
    path = tmp_path / "temp.csv"
    assert panel.export_csv(TEMP, str(path)) == 5
    with open(path, newline="", encoding="utf-8") as file:
        rows = list(csv.reader(file))
    assert rows[0] == ["time_s", "value", "wall_time"]
    assert [(r[0], r[1]) for r in rows[1:]] == [("0.000000", "20"), ("0.100000", "21"), ("0.200000", "22"),
                                                  ("0.300000", "23"), ("0.400000", "24")]
    with pytest.raises(KeyError):
        panel.export_csv("nothing@0x0", str(path))


def test_the_dark_palette_renders_dark_with_a_visible_highlight(panel, watches, tmp_path):
    panel.setPalette(dark_palette())
    tick(panel, watches, 10.0, 20.0)
    tick(panel, watches, 10.1, 21.0)
    panel.show()
    image = panel.grab().toImage()
    assert image.save(str(tmp_path / "watch-dark.png"))
    corner = image.pixelColor(image.width() // 2, image.height() - 30)  # the table's empty base
    assert corner.lightness() < 80
    lit = panel.view.visualRect(panel.model.index(0, VALUE))
    # Left in the cell: the number is right-aligned, so no text there.
    point = panel.view.viewport().mapTo(panel, QPoint(lit.left() + 4, lit.center().y()))
    color = image.pixelColor(point)
    assert color.red() > 150 and color.blue() < 100  # the hex view's orange, not the dark base


def test_space_on_the_plot_box_ticks_it(panel, watches, qtbot):
    panel.show()
    qtbot.waitExposed(panel)
    tick(panel, watches, 10.0, 20.0)
    panel.view.setFocus()
    panel.view.setCurrentIndex(panel.model.index(0, PLOT))
    with qtbot.waitSignal(panel.plotToggled, timeout=1000) as blocker:
        qtbot.keyClick(panel.view, Qt.Key.Key_Space)
    assert blocker.args == [TEMP, True] and panel.plotted_keys() == [TEMP]
