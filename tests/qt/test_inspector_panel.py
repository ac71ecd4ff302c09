"""The data inspector panel, headless: what it shows, what it copies, what it skips."""

from __future__ import annotations

import struct

import msgpack
import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QGuiApplication, QKeySequence
from PySide6.QtWidgets import QApplication, QVBoxLayout, QWidget

from mmfviewer import byte_values as core
from mmfviewer.byte_values import MISSING, ROW_NAMES
from mmfviewer.qt import inspector_panel
from mmfviewer.qt.fonts import draws_monospace
from mmfviewer.qt.inspector_panel import InspectorPanel

SEED = msgpack.packb({"title": "Hi", "content": "There"})
ROW = {name: i for i, name in enumerate(ROW_NAMES)}


@pytest.fixture
def panel(qtbot) -> InspectorPanel:
    widget = InspectorPanel()
    qtbot.addWidget(widget)
    widget.resize(420, 560)
    return widget


def displayed(panel: InspectorPanel, name: str, column: int) -> str:
    model = panel.view.model()
    return model.data(model.index(ROW[name], column), Qt.ItemDataRole.DisplayRole)


def test_the_table_has_the_three_columns_and_a_row_per_type(panel):
    model = panel.view.model()
    headers = [model.headerData(c, Qt.Orientation.Horizontal) for c in range(model.columnCount())]
    assert headers == ["Type", "Little-endian", "Big-endian"]
    assert [displayed(panel, name, 0) for name in ROW_NAMES] == list(ROW_NAMES)


def test_values_appear_for_given_bytes(panel):
    panel.show_bytes(bytes([1, 2, 3, 4, 5, 6, 7, 8]), 0x10)
    assert panel.offset_label.text() == "Cursor at 0x10 (16)"
    assert (displayed(panel, "u16", 1), displayed(panel, "u16", 2)) == ("513", "258")
    assert displayed(panel, "u8", 1) == "1  (0x01)"
    panel.show_bytes(b"\x3f\x80\x00\x00", 0)
    assert displayed(panel, "f32", 2) == "1.0"


def test_the_seed_message_shows_as_msgpack_with_its_length(panel):
    panel.show_bytes(SEED + bytes(8), 0)
    assert displayed(panel, "msgpack", 1) == "{'title': 'Hi', 'content': 'There'}  (24 bytes, 0x0–0x17)"


def test_short_data_shows_a_dash(panel):
    panel.show_bytes(b"\x01\x02", 0xFFFE)
    assert displayed(panel, "u16", 1) == "513"
    assert displayed(panel, "u32", 1) == displayed(panel, "u64", 2) == MISSING
    panel.show_bytes(b"", 0x10000)
    assert all(displayed(panel, name, 1) == MISSING for name in ROW_NAMES)


def test_values_are_monospace_and_missing_ones_dimmed(panel):
    panel.show_bytes(b"\x01", 0)
    model = panel.view.model()
    font = model.data(model.index(ROW["u8"], 1), Qt.ItemDataRole.FontRole)
    assert draws_monospace(font)
    assert model.data(model.index(ROW["u8"], 0), Qt.ItemDataRole.FontRole) is None
    assert model.data(model.index(ROW["u32"], 1), Qt.ItemDataRole.ForegroundRole) is not None
    assert model.data(model.index(ROW["u8"], 1), Qt.ItemDataRole.ForegroundRole) is None


def test_byte_order_free_rows_span_both_value_columns(panel):
    for name in ROW_NAMES:
        expected = 2 if name in core.SINGLE_VALUE_ROWS else 1
        assert panel.view.columnSpan(ROW[name], 1) == expected, name


def test_unchanged_input_does_no_work(panel, monkeypatch):
    calls = []
    real = inspector_panel.inspect_bytes
    monkeypatch.setattr(inspector_panel, "inspect_bytes", lambda *a: calls.append(a) or real(*a))
    changes, resets = [], []
    panel.model.dataChanged.connect(lambda *a: changes.append(a))
    panel.model.modelReset.connect(lambda: resets.append(1))

    data = bytearray(SEED + bytes(32))
    panel.show_bytes(bytes(data), 0x40)
    assert len(calls) == 1 and len(changes) == 1
    for _ in range(20):  # the live tick, nothing changed
        panel.show_bytes(bytes(data), 0x40)
    assert len(calls) == 1 and len(changes) == 1

    data[-1] = 0xFF  # beyond every fixed-width row: only the strings can change
    panel.show_bytes(bytes(data), 0x40)
    assert len(calls) == 2
    assert resets == []


def test_a_change_signals_only_the_rows_that_changed(panel):
    panel.show_bytes(b"A" * 16, 0)
    changes = []
    panel.model.dataChanged.connect(lambda top, bottom, *_: changes.append((top.row(), bottom.row())))
    panel.show_bytes(b"A" * 15 + b"B", 0)  # byte 15: only the string rows see it
    assert changes == [(ROW["UTF-8"], ROW["UTF-16"])]


def test_the_same_bytes_at_another_offset_update_the_header(panel):
    panel.show_bytes(b"\x01", 1)
    panel.show_bytes(b"\x01", 255)
    assert panel.offset_label.text() == "Cursor at 0xFF (255)"


def test_selection_label(panel):
    assert panel.selection_label.text() == "no selection"
    panel.show_selection(0x10, 16)
    assert panel.selection_label.text() == "selection 0x10–0x1F (16–31, 16 bytes)"
    panel.show_selection(0x10, 0)
    assert panel.selection_label.text() == "no selection"


def test_ctrl_c_copies_the_selected_cells(qtbot):
    # Inside a window that has its own Ctrl+C action, as the main window will:
    # with the table focused, the table's copy must win (not "ambiguous shortcut").
    window = QWidget()
    qtbot.addWidget(window)
    panel = InspectorPanel(window)
    QVBoxLayout(window).addWidget(panel)
    window_copies = []
    window_copy = QAction("Copy", window)
    window_copy.setShortcut(QKeySequence.StandardKey.Copy)
    window_copy.triggered.connect(lambda: window_copies.append(1))
    window.addAction(window_copy)
    window.show()
    window.activateWindow()
    QApplication.processEvents()
    qtbot.waitActive(window)

    panel.show_bytes(bytes([1, 2, 3, 4, 5, 6, 7, 8]), 0)
    panel.view.setFocus()
    model, selection = panel.view.model(), panel.view.selectionModel()
    for column in range(3):
        selection.select(model.index(ROW["u16"], column), selection.SelectionFlag.Select)
    selection.select(model.index(ROW["u8"], 1), selection.SelectionFlag.Select)
    QGuiApplication.clipboard().clear()

    qtbot.keyClick(panel.view, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier)

    assert QGuiApplication.clipboard().text() == "1  (0x01)\nu16\t513\t258"
    assert window_copies == []


def test_copy_gives_full_text_even_when_the_cell_is_elided(panel):
    panel.show_bytes(b"x" * 100, 0)
    selection = panel.view.selectionModel()
    selection.select(panel.view.model().index(ROW["UTF-8"], 1), selection.SelectionFlag.Select)
    assert panel.copy_selection().startswith('"' + "x" * 64 + '"…')


def test_tooltips_show_what_the_cell_cannot(panel, qtbot):
    panel.show()
    qtbot.waitExposed(panel)
    panel.show_bytes(b"x" * 100, 0)
    model = panel.view.model()
    utf8 = panel.tooltip_at(model.index(ROW["UTF-8"], 1))
    assert utf8 == panel.text_at(ROW["UTF-8"], 1)  # elided in 420 px: the full text
    assert panel.tooltip_at(model.index(ROW["u8"], 1)) == ""  # "120  (0x78)" fits
    u16 = panel.tooltip_at(model.index(ROW["u16"], 1))
    assert u16 == "30840\nLE 0x7878 · BE 0x7878"  # the hex note is only in the tooltip


def test_the_details_box_shows_the_current_row_in_full_and_follows_live_data(panel):
    ns = 1_700_000_000_123_456_789
    panel.show_bytes(struct.pack("<Q", ns), 0)
    panel.view.setCurrentIndex(panel.view.model().index(ROW["time u64 ns"], 1))
    assert "LE  2023-11-14T22:13:20.123456789Z" in panel.detail.toPlainText()
    panel.show_bytes(struct.pack("<Q", ns + 1), 0)
    assert "LE  2023-11-14T22:13:20.123456790Z" in panel.detail.toPlainText()


def test_a_screenshot_renders(panel, tmp_path):
    panel.show_bytes(SEED + struct.pack("<Q", 1_700_000_000_000_000_000), 0)
    panel.show_selection(0, len(SEED))
    panel.show()
    image = panel.grab()
    assert not image.isNull() and image.width() == 420
    assert image.save(str(tmp_path / "inspector.png"))


def test_values_too_long_for_the_dock_wrap_instead_of_losing_their_middle(qtbot):
    from PySide6.QtCore import QRect
    from PySide6.QtGui import QFontMetrics

    panel = InspectorPanel()
    qtbot.addWidget(panel)
    panel.resize(380, 900)  # the dock's default width
    panel.show()
    qtbot.waitExposed(panel)
    panel.show_bytes(struct.pack("<Q", 17_330_000_001_234_567_890), 0)
    model, view = panel.view.model(), panel.view
    one_line = view.rowHeight(ROW["u8"])
    assert view.rowHeight(ROW["u64"]) > one_line  # "17330000001234567890" needs two lines here
    metrics = QFontMetrics(panel.model.value_font)
    for name in ("u64", "i64", "f64", "time u64 ns", "time u32 s"):
        for column in (1, 2):
            index = model.index(ROW[name], column)
            rect = view.visualRect(index)
            needed = metrics.boundingRect(QRect(0, 0, rect.width() - 8, 10_000), Qt.TextFlag.TextWrapAnywhere,
                                          panel.text_at(ROW[name], column)).height()
            assert view.rowHeight(ROW[name]) >= needed, (name, column)


def test_rows_measured_in_a_narrow_dock_shrink_back_when_it_widens(qtbot):
    panel = InspectorPanel()
    qtbot.addWidget(panel)
    panel.resize(60, 700)  # as a dock before it is laid out
    panel.show_bytes(struct.pack("<Q", 13) + bytes(200), 0x180)
    panel.show()
    qtbot.waitExposed(panel)
    panel.resize(380, 700)
    qtbot.waitUntil(lambda: panel.view.rowHeight(ROW["u32"]) == panel.view.rowHeight(ROW["u8"]), timeout=2000)


def watch_action(panel: InspectorPanel) -> QAction:
    return next(a for a in panel.view.actions() if a.text() == "Watch this value")


def test_watch_this_value_asks_for_the_cells_type_and_the_cursor_offset(panel, qtbot):
    panel.show_bytes(struct.pack(">I", 7) + bytes(8), 0x40)
    model, action = panel.view.model(), watch_action(panel)
    requests = []
    panel.watchRequested.connect(lambda type_name, offset: requests.append((type_name, offset)))
    for row, column, expected in [("u32", 2, ("u32 BE", 0x40)), ("f64", 1, ("f64 LE", 0x40)),
                                  ("u8", 1, ("u8", 0x40)), ("i16", 0, ("i16 LE", 0x40))]:
        panel.view.setCurrentIndex(model.index(ROW[row], column))
        assert action.isEnabled(), row
        action.trigger()
        assert requests[-1] == expected
    assert "u32 BE" not in action.toolTip() and "i16 LE at 0x40" in action.toolTip()


def test_only_single_numbers_can_be_watched(panel):
    action = watch_action(panel)
    panel.view.setCurrentIndex(panel.view.model().index(ROW["u32"], 1))
    assert not action.isEnabled()  # nothing shown yet: no offset to watch
    panel.show_bytes(bytes(16), 0)
    assert action.isEnabled()
    requests = []
    panel.watchRequested.connect(lambda *args: requests.append(args))
    for row in ("binary", "UTF-8", "UTF-16", "time u64 ns", "msgpack"):
        panel.view.setCurrentIndex(panel.view.model().index(ROW[row], 1))
        assert not action.isEnabled(), row
        panel.request_watch()
    assert requests == []
    panel.clear()
    assert not action.isEnabled()


def test_w_in_the_table_watches_the_current_cell(panel, qtbot):
    with qtbot.waitActive(panel):  # shortcuts go to the active window only
        panel.show()
        panel.activateWindow()
    panel.show_bytes(bytes(16), 0x1234)
    panel.view.setFocus()
    panel.view.setCurrentIndex(panel.view.model().index(ROW["i32"], 2))
    with qtbot.waitSignal(panel.watchRequested, timeout=1000) as blocker:
        qtbot.keyClick(panel.view, Qt.Key.Key_W)
    assert blocker.args == ["i32 BE", 0x1234]


def test_a_right_click_picks_the_cell_the_menu_acts_on(panel, qtbot):
    panel.show()
    qtbot.waitExposed(panel)
    panel.show_bytes(bytes(16), 8)
    index = panel.view.model().index(ROW["u64"], 2)
    qtbot.mouseClick(panel.view.viewport(), Qt.MouseButton.RightButton,
                     pos=panel.view.visualRect(index).center())
    assert panel.watch_target() == ("u64 BE", 8)
