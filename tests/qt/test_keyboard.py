"""The keyboard reaches every part of the window: tabs, panes, columns, the list of keys."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from mmfviewer.channel import Channel
from mmfviewer.qt.keyboard import ShortcutsDialog, current_pane, shortcut_rows
from mmfviewer.segment import Segment


@pytest.fixture
def window(open_window):
    # a desktop's size: the full arrangement, every dock side by side
    return open_window(1500, 900, refresh_ms=5000, exposed=True)


@pytest.fixture
def two_tabs(window, shm_name, shm_names):
    """Two tabs: raw bytes (read-only), then a channel open read-write."""
    shm_names.extend([shm_name + "-a", shm_name + "-b"])
    Segment.create(shm_names[0], 4096).close()
    with Channel.create(shm_names[1], lanes=1, lane_size=4096) as ch, ch.writer() as w:
        w.send({"n": 1})
    return [window.open_name(shm_names[0]), window.open_name(shm_names[1], readonly=False)]


def press(key, modifiers=Qt.KeyboardModifier.NoModifier) -> None:
    """A key pressed where the keyboard is, as a user would."""
    QTest.keyClick(QApplication.focusWidget(), key, modifiers)


@pytest.mark.parametrize("forward, back", [
    ((Qt.Key.Key_Tab, Qt.KeyboardModifier.ControlModifier),
     (Qt.Key.Key_Backtab, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)),
    ((Qt.Key.Key_PageDown, Qt.KeyboardModifier.ControlModifier),
     (Qt.Key.Key_PageUp, Qt.KeyboardModifier.ControlModifier)),
])
def test_ctrl_tab_and_ctrl_page_keys_switch_tabs_from_the_hex_view(window, two_tabs, forward, back):
    first, second = two_tabs
    assert window.current_tab() is second and second.hex_view.hasFocus()
    press(*forward)
    assert window.current_tab() is first  # round the end
    press(*forward)
    assert window.current_tab() is second
    press(*back)
    assert window.current_tab() is first


def test_tab_leaves_the_hex_view_and_ctrl_t_switches_its_columns(window, two_tabs):
    view = two_tabs[1].hex_view
    view.setFocus()
    press(Qt.Key.Key_T, Qt.KeyboardModifier.ControlModifier)
    assert view.cursor_state.in_ascii and view.hasFocus()
    press(Qt.Key.Key_T, Qt.KeyboardModifier.ControlModifier)
    assert not view.cursor_state.in_ascii
    press(Qt.Key.Key_Tab)
    assert not view.hasFocus()
    assert view.cursor_state.in_ascii is False  # Tab moved the keyboard, not the cursor


def test_f6_goes_round_the_panes_and_alt_digits_go_straight_to_one(window, two_tabs):
    two_tabs[1].hex_view.setFocus()
    assert current_pane(window) == "hex"
    seen = []
    for _ in range(6):
        press(Qt.Key.Key_F6)
        seen.append(current_pane(window))
    assert seen == ["messages", "details", "compose", "inspector", "segments", "hex"]
    press(Qt.Key.Key_F6, Qt.KeyboardModifier.ShiftModifier)
    assert current_pane(window) == "segments"
    window.tabs.setCurrentIndex(0)  # raw and read-only: no messages, nothing to compose
    window.current_tab().hex_view.setFocus()
    press(Qt.Key.Key_F6)
    assert current_pane(window) == "inspector"
    window.inspector_dock.hide()
    press(Qt.Key.Key_6, Qt.KeyboardModifier.AltModifier)
    assert current_pane(window) == "inspector" and window.inspector_dock.isVisible()
    press(Qt.Key.Key_2, Qt.KeyboardModifier.AltModifier)
    assert current_pane(window) == "hex"


@pytest.mark.parametrize("pane", ["segments", "messages", "inspector"])
def test_tab_in_a_table_leaves_it_instead_of_walking_its_cells(window, two_tabs, pane):
    from mmfviewer.qt.keyboard import PANES

    press(getattr(Qt.Key, f"Key_{PANES.index(pane) + 1}"), Qt.KeyboardModifier.AltModifier)
    assert current_pane(window) == pane
    table = QApplication.focusWidget()
    press(Qt.Key.Key_Tab)
    assert QApplication.focusWidget() is not table


def test_the_shortcut_list_is_made_from_the_actions(window):
    rows = dict((what, keys) for keys, what in shortcut_rows(window))
    assert rows["Next tab"].startswith("Ctrl+Tab")
    assert rows["Next pane"] == "F6"
    assert rows["Switch hex/text column"] == "Ctrl+T"
    assert any(what.startswith("hex view:") for what in rows)
    panes = {what.split(":")[0]: keys for keys, what in shortcut_rows(window) if ":" in what}
    for pane in ("compose panel", "data inspector", "structures", "watches", "plot"):  # keys of their own
        assert pane in panes, pane
    listed = {key.strip() for keys, _ in shortcut_rows(window) for key in keys.split(",")}
    assert {"Ctrl+Enter", "W", "Space", "P", "F2", "Delete"} <= listed  # the README's pane keys
    dialog = ShortcutsDialog(window)
    assert dialog.table.rowCount() == len(rows)
    keys = {a.shortcut().toString() for a in window.actions() if not a.shortcut().isEmpty()}
    assert len(keys) == sum(1 for a in window.actions() if not a.shortcut().isEmpty()), "a key used twice"


@pytest.mark.parametrize("how", ["alt+5", "view menu"])
def test_a_dock_that_waited_hidden_gets_room_when_asked_for(qtbot, window, shm_name, how):
    from mmfviewer.codec import write_mailbox
    from mmfviewer.qt.window_docks import COMPOSE_MIN_WIDTH

    with Segment.create(shm_name, 4096) as seg:
        write_mailbox(seg, {"temp": 21.5})
    tab = window.open_name(shm_name, readonly=False)
    qtbot.waitUntil(lambda: tab.kind.value == "mailbox")
    compose = window.docks.docks["compose"]
    assert not compose.isVisible()  # a value segment's compose panel waits to be asked for
    if how == "alt+5":
        press(Qt.Key.Key_5, Qt.KeyboardModifier.AltModifier)
    else:
        compose.toggleViewAction().trigger()
    qtbot.wait(500)  # past the first arrangement's refit for the window's size: the user's choice stays
    assert compose.isVisible() and compose.width() >= COMPOSE_MIN_WIDTH * 0.6 and compose.height() >= 150
