"""ShareableLists of real CPython processes in the command line (ls, info, listen) and in
the window, which writes a changed item in place.

The owner processes are in tests/shareable_list_owner.py.
"""

from __future__ import annotations

import json
import subprocess
import sys

from mmfviewer.segment import Segment

from .conftest import needs_dev_shm

pytestmark = needs_dev_shm


def test_ls_info_and_listen_show_the_items_and_our_exit_leaves_the_list(owner_factory):
    from .conftest import run_cli

    owner = owner_factory([7, 2.5, True, "seven", b"\x01\x02", None])
    name = owner.info["names"][0]
    ls = json.loads(run_cli("ls", "--json", check=True).stdout)
    assert [r["layout"] for r in ls if r["name"] == name] == ["shareable-list"]
    info = run_cli("info", name, check=True).stdout
    assert "layout:    ShareableList" in info
    assert "value:     [7, 2.5, true, 'seven', 0x0102, null]" in info
    listen = run_cli("listen", name, "--count", "1", timeout=60, check=True)
    assert listen.stdout.count("[7, 2.5, true, 'seven', 0x0102, null]") == 1
    assert owner.read() == ["7", "2.5", "True", "'seven'", "b'\\x01\\x02'", "None"]


def test_listen_prints_each_change_the_owner_makes(owner_factory):
    owner = owner_factory([0, "a"], lists=2)
    name = owner.info["names"][1]  # the list the owner's "set" changes
    listen = subprocess.Popen([sys.executable, "-m", "mmfviewer", "listen", name, "--json",
                               "--interval", "0.02", "--count", "3"], stdout=subprocess.PIPE, text=True)
    try:
        first = json.loads(listen.stdout.readline())
        assert first["layout"] == "shareable-list"
        assert [c["value"] for c in first["value"]["children"]] == [0, "a"]
        owner.set(0, 41)
        assert [c["value"] for c in json.loads(listen.stdout.readline())["value"]["children"]] == [41, "a"]
        owner.set(1, "b")
        assert [c["value"] for c in json.loads(listen.stdout.readline())["value"]["children"]] == [41, "b"]
        assert listen.wait(30) == 0
    finally:
        listen.kill()
        listen.wait()
        listen.stdout.close()


def test_the_window_shows_the_items_and_writes_a_changed_one_in_place(owner_factory, qtbot):
    from mmfviewer.qt.segment_tab import SegmentTab

    owner = owner_factory([7, "seven", 2.5, None])
    name = owner.info["names"][0]
    with Segment.open(name, readonly=False) as seg:
        tab = SegmentTab(seg)
        qtbot.addWidget(tab)
        tab.tick()
        top = tab.messages.value_tree.topLevelItem(0)
        assert [(top.child(i).text(0), top.child(i).text(2)) for i in range(4)] == [
            ("[0]", "int"), ("[1]", "str"), ("[2]", "float"), ("[3]", "None")]
        tab.messages.value_tree.setCurrentItem(top.child(1))
        start, length = tab.hex_view.highlighted()
        assert seg.read(start, length).rstrip(b"\0") == b"seven"
        panel = tab.compose
        assert panel.form == "members" and not panel.send_button.isEnabled()  # nothing changed yet
        panel.members.edits["[1]"].setText("eight")
        panel.members.edits["[0]"].setText("8")
        assert panel.send(), panel.error_label.text()
        assert owner.read() == ["8", "'eight'", "2.5", "None"]
        panel.members.edits["[1]"].setText("far too long for its slot")
        assert not panel.send()
        assert "25 bytes do not fit its 8-byte slot" in panel.error_label.text()
        assert owner.read() == ["8", "'eight'", "2.5", "None"]
        tab.close()
