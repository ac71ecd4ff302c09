"""Structure overlays in the window: a C program writes a struct, the dock shows what C
says its fields hold, the hex view tints and names them, edits write with undo, and
the overlays come back when the segment is opened again."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialogButtonBox

from mmfviewer.qt.overlay_dialog import NO_SEQUENCE, OverlayDialog
from mmfviewer.qt.structure_model import FIELD, VALUE
from mmfviewer.segment import Segment
from mmfviewer.structure_overlays import OverlaySpec, OverlayStore

from ..conftest import other_process_writes
from ..tool_check import missing_tool

HEADER = """#include <stdint.h>
#define NAME_LEN 12
enum mode { MODE_OFF = 0, MODE_ON = 1, MODE_AUTO = 7 };
struct inner { uint8_t a; uint32_t b; };
struct sample {
    uint32_t seq;
    uint8_t flag;
    uint64_t counter;
    int16_t temps[3];
    struct inner in;
    char name[NAME_LEN];
    enum mode m;
    double d;
    unsigned int lo : 4, hi : 12;
};
"""
OFFSET = 0x40

WRITER = r"""
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include "defs.h"
int main(int argc, char **argv) {
    int fd = shm_open(argv[1], O_RDWR, 0);
    if (fd < 0) { perror("shm_open"); return 1; }
    unsigned char *base = mmap(0, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    struct sample *s = (struct sample *)(base + 0x40);
    memset(s, 0, sizeof *s);
    s->seq = 2; s->flag = 1; s->counter = 1234567890123ULL;
    s->temps[0] = -40; s->temps[1] = 25; s->temps[2] = 300;
    s->in.a = 9; s->in.b = 70000;
    strcpy(s->name, "pump 3");
    s->m = MODE_AUTO; s->d = 21.5; s->lo = 5; s->hi = 4000;
    printf("seq=%u\nflag=%u\ncounter=%llu\ntemps[0]=%d\ntemps[1]=%d\ntemps[2]=%d\nin.a=%u\nin.b=%u\n"
           "name=\"%s\"\nm=MODE_AUTO (%d)\nd=%.17g\nlo=%u\nhi=%u\n",
           s->seq, s->flag, (unsigned long long)s->counter, s->temps[0], s->temps[1], s->temps[2],
           s->in.a, s->in.b, s->name, s->m, s->d, s->lo, s->hi);
    return 0;
}
"""


@pytest.fixture(scope="module")
def c_writer(tmp_path_factory):
    """The C program that writes the struct and prints what it wrote."""
    if shutil.which("gcc") is None:
        missing_tool("gcc is not installed")
    where = tmp_path_factory.mktemp("cwriter")
    (where / "defs.h").write_text(HEADER)
    (where / "writer.c").write_text(WRITER)
    subprocess.run(["gcc", "-std=c11", "-D_DEFAULT_SOURCE", "-Wall", "-o", str(where / "writer"),
                    str(where / "writer.c"), "-lrt"], check=True, cwd=where)
    return where / "writer"


def run_writer(c_writer, name: str) -> dict[str, str]:
    out = subprocess.run([str(c_writer), "/" + name], check=True, capture_output=True, text=True).stdout
    return dict(line.split("=", 1) for line in out.splitlines())


@pytest.fixture
def window(open_window):
    return open_window(1500, 900)


def tree_values(panel) -> dict[str, str]:
    """Every field's path and value as the dock shows them."""
    model, out = panel.model, {}

    def walk(parent):
        for r in range(model.rowCount(parent)):
            index = model.index(r, 0, parent)
            overlay, row = model.field(index)
            if row is not None:
                table = model.overlays[overlay].table
                if table.rows[row].is_leaf:
                    out[table.path_of(row)] = index.siblingAtColumn(VALUE).data()
            walk(index)
    walk(panel.tree.rootIndex())
    return out


def test_the_dock_shows_what_the_c_program_wrote_field_by_field(qtbot, window, shm_name, c_writer):
    Segment.create(shm_name, 4096).close()
    tab = window.open_name(shm_name)
    assert tab.overlays.add(OverlaySpec(HEADER, "defs.h", "sample", OFFSET))
    expected = run_writer(c_writer, shm_name)
    qtbot.waitUntil(lambda: tree_values(tab.structures).get("counter") == expected["counter"], timeout=5000)
    assert tree_values(tab.structures) == expected
    assert window.docks.docks["structures"].isVisible()


def test_the_hex_view_tints_the_fields_and_names_the_one_under_a_byte(qtbot, window, shm_name):
    Segment.create(shm_name, 4096).close()
    tab = window.open_name(shm_name)
    tab.overlays.add(OverlaySpec(HEADER, "defs.h", "struct sample", OFFSET))
    spans = tab.hex_view.field_spans
    assert spans.label_at(OFFSET + 8) == "counter (uint64_t)"
    assert spans.label_at(OFFSET + 6) is None  # padding between flag and counter
    assert spans.label_at(OFFSET - 1) is None
    tints = spans.tints(OFFSET, 16)
    assert [(start - OFFSET, end - OFFSET) for start, end, _ in tints] == [(0, 4), (4, 5), (8, 16)]
    assert [k for *_, k in tints] == [0, 1, 0]  # neighbours alternate
    # ...and the paint shows it: a tinted byte's background differs from an untinted one's.
    view = tab.hex_view
    image = view.viewport().grab().toImage()
    lay = view.hex_geometry
    bpr = view.bytes_per_row
    y = int(lay.row_y((OFFSET + 8) // bpr - view.first_visible_row()) + 2)
    x_tinted = int(lay.edges[0][(OFFSET + 8) % bpr]) + 1
    y_plain = int(lay.row_y(0) + 2)
    assert image.pixelColor(x_tinted, y) != image.pixelColor(x_tinted, y_plain)


def test_clicking_a_field_selects_its_bytes(qtbot, window, shm_name):
    Segment.create(shm_name, 4096).close()
    tab = window.open_name(shm_name)
    tab.overlays.add(OverlaySpec(HEADER, "defs.h", "sample", OFFSET))
    panel, model = tab.structures, tab.structures.model
    top = model.index(0, 0)
    counter = next(model.index(r, 0, top) for r in range(model.rowCount(top))
                   if model.index(r, FIELD, top).data() == "counter")
    panel.tree.clicked.emit(counter)
    assert tab.hex_view.selection() == (OFFSET + 8, 8)


def test_a_value_typed_in_a_read_write_tab_is_written_and_undone(qtbot, window, shm_name):
    Segment.create(shm_name, 4096).close()
    tab = window.open_name(shm_name, readonly=False)
    tab.overlays.add(OverlaySpec(HEADER, "defs.h", "sample", OFFSET))
    model = tab.structures.model
    top = model.index(0, 0)
    rows = {model.index(r, FIELD, top).data(): r for r in range(model.rowCount(top))}
    for field, text in (("counter", "77"), ("m", "MODE_ON"), ("hi", "4095"), ("name", '"abc"')):
        index = model.index(rows[field], VALUE, top)
        assert model.flags(index) & Qt.ItemFlag.ItemIsEditable
        model.setData(index, text)
    with Segment.open(shm_name) as seg:
        raw = seg.read(OFFSET, 64)
    assert int.from_bytes(raw[8:16], "little") == 77
    qtbot.waitUntil(lambda: tree_values(tab.structures)["m"] == "MODE_ON (1)", timeout=5000)
    values = tree_values(tab.structures)
    assert (values["hi"], values["lo"], values["name"]) == ("4095", "0", '"abc"')
    tab.hex_view.undo_stack.undo()  # the name
    tab.hex_view.undo_stack.undo()  # hi
    tab.tick()
    values = tree_values(tab.structures)
    assert (values["hi"], values["name"], values["m"]) == ("0", '""', "MODE_ON (1)")


def test_a_value_that_does_not_fit_is_refused_and_nothing_is_written(qtbot, window, shm_name):
    Segment.create(shm_name, 4096).close()
    tab = window.open_name(shm_name, readonly=False)
    tab.overlays.add(OverlaySpec(HEADER, "defs.h", "sample", OFFSET))
    said: list[str] = []
    tab.notice.connect(said.append)
    model = tab.structures.model
    top = model.index(0, 0)
    flag = next(r for r in range(model.rowCount(top)) if model.index(r, FIELD, top).data() == "flag")
    model.setData(model.index(flag, VALUE, top), "300")
    assert any("does not fit" in s for s in said)
    with Segment.open(shm_name) as seg:
        assert seg.read(OFFSET, 64) == bytes(64)


def test_read_only_tabs_do_not_offer_editing(qtbot, window, shm_name):
    Segment.create(shm_name, 4096).close()
    tab = window.open_name(shm_name)
    tab.overlays.add(OverlaySpec(HEADER, "defs.h", "sample", OFFSET))
    model = tab.structures.model
    leaf = model.index(0, VALUE, model.index(0, 0))
    assert not model.flags(leaf) & Qt.ItemFlag.ItemIsEditable


def test_applied_structures_come_back_when_the_segment_is_opened_again(qtbot, window, shm_name):
    Segment.create(shm_name, 4096).close()
    tab = window.open_name(shm_name)
    tab.overlays.add(OverlaySpec(HEADER, "defs.h", "sample", OFFSET, count=2, stride=0x80))
    window.close_tab(window.tabs.indexOf(tab))
    again = window.open_name(shm_name)
    assert [o.spec.label for o in again.session.overlays] == ["[2] sample @ 0x40"]
    assert again.structures.model.rowCount(again.structures.model.index(0, 0)) == 2
    again.overlays.remove(0)
    assert OverlayStore().load(shm_name) == ([], None)


def test_a_garbled_saved_file_is_said_and_the_segment_still_opens(qtbot, window, shm_name):
    Segment.create(shm_name, 4096).close()
    store = OverlayStore()
    store.path_for(shm_name).parent.mkdir(parents=True, exist_ok=True)
    good = {"header": HEADER, "header_name": "defs.h", "type_name": "sample", "offset": 0}
    store.path_for(shm_name).write_text(json.dumps([good, {"offset": "x"}, 5, {**good, "count": -1},
                                                    {**good, "header": "struct { broken"}]))
    said: list[str] = []
    window.notify = said.append  # the status bar's line, as the user reads it
    tab = window.open_name(shm_name)
    assert [o.spec.type_name for o in tab.session.overlays] == ["sample"]
    assert tab is not None


def test_the_dialog_shows_header_mistakes_and_picks_the_sequence_field(qtbot):
    dialog = OverlayDialog(offset=0x40, segment_size=4096)
    qtbot.addWidget(dialog)
    ok = dialog.buttons.button(QDialogButtonBox.StandardButton.Ok)
    dialog.load_header("struct s { DWORD x; };", "bad.h")
    assert not ok.isEnabled()
    assert "DWORD" in dialog.status.text()
    dialog.load_header(HEADER, "defs.h")
    assert ok.isEnabled()
    assert [dialog.type_box.itemText(i) for i in range(dialog.type_box.count())] == ["struct inner", "struct sample"]
    assert dialog.type_box.currentText() == "struct sample"  # the last one: headers define the parts first
    assert dialog.sequence_box.currentText() == "seq"  # named for the convention
    spec = dialog.spec()
    assert (spec.type_name, spec.offset, spec.sequence) == ("struct sample", 0x40, "seq")
    dialog.sequence_box.setCurrentText(NO_SEQUENCE)
    assert dialog.spec().sequence == ""
    dialog.offset_edit.setText("0xFD0")
    assert "past the segment's end" in dialog.status.text()


def test_a_writer_holding_its_sequence_odd_is_shown_torn_never_as_values(qtbot, window, shm_name):
    Segment.create(shm_name, 4096).close()
    tab = window.open_name(shm_name)
    tab.overlays.add(OverlaySpec(HEADER, "defs.h", "sample", OFFSET, sequence="seq"))
    other_process_writes(shm_name, (OFFSET, (2).to_bytes(4, "little")), (OFFSET + 8, (5).to_bytes(8, "little")))
    qtbot.waitUntil(lambda: tree_values(tab.structures)["counter"] == "5", timeout=5000)
    # The writer starts an update and never finishes: odd sequence, half-written counter.
    other_process_writes(shm_name, (OFFSET, (3).to_bytes(4, "little")), (OFFSET + 8, (6).to_bytes(8, "little")))
    model = tab.structures.model
    qtbot.waitUntil(lambda: model.index(0, VALUE).data().startswith("torn"), timeout=5000)
    assert tree_values(tab.structures)["counter"] == "5"  # the last consistent read, not the half-written one
    assert model.overlays[0].reader.torn >= 1


def test_watches_and_a_plot_follow_fields_the_c_writer_keeps_changing(qtbot, window, shm_name, tmp_path):
    from ..c_programs import STATE_HEADER, build_state_writer, running_writer

    program = build_state_writer(tmp_path)
    Segment.create(shm_name, 4096).close()
    tab = window.open_name(shm_name)
    header = STATE_HEADER.read_text()
    tab.overlays.add(OverlaySpec(header, "state.h", "state", 0, sequence="seq"))
    live = tab.session.overlays[0]
    watching = tab.watching
    counter = watching.watch_field(live, live.table.find("counter"))
    half = watching.watch_field(live, live.table.find("counter_f"))
    typed = watching.watch_typed("u64 LE", 8)  # the inspector's way: a type at an offset
    for watch in (counter, half):
        watching.panel.set_plotted(watch.key)
    assert window.docks.docks["watches"].isVisible() and window.docks.docks["plot"].isVisible()
    with running_writer(program, shm_name, "seqlock", hz=500):
        qtbot.waitUntil(lambda: counter.changes >= 10, timeout=15_000)
    # Each sample of the two fields comes from one consistent read: counter_f is counter / 2.
    times, counts = counter.series()
    _, halves = half.series()
    assert len(counts) == len(halves) >= 10
    assert all(h * 2 == c for c, h in zip(counts, halves, strict=True) if c == c)
    assert list(counts) == sorted(counts)  # a counter only goes up
    assert typed.changes >= 5 and typed.value is not None
    plot = watching.plot.panel
    qtbot.waitUntil(lambda: plot.frames_drawn > 0, timeout=5000)
    xs, ys = plot.curve(counter.key).getData()
    assert len(ys) >= 10 and ys[-1] == counts[-1]
    assert watching.panel.export_csv(counter.key, str(tmp_path / "counter.csv")) == len(counts)
    assert (tmp_path / "counter.csv").read_text().splitlines()[0].startswith("time_s,value")


def test_the_keyboard_alone_applies_watches_and_plots_a_field(qtbot, open_window, shm_name):
    from mmfviewer.qt.keyboard import focus_pane

    window = open_window(1500, 900, exposed=True)
    Segment.create(shm_name, 4096).close()
    tab = window.open_name(shm_name)
    assert not tab.watching.plot.built  # a plot is built once something is plotted
    tab.overlays.add(OverlaySpec(HEADER, "defs.h", "sample", OFFSET))
    qtbot.waitUntil(lambda: window.docks.docks["structures"].isVisible())
    assert focus_pane(window, "structures")  # Alt+7
    tree = tab.structures.tree
    qtbot.waitUntil(tree.hasFocus)
    for _ in range(3):  # the overlay's row, seq, flag, counter
        qtbot.keyClick(tree, Qt.Key.Key_Down)
    qtbot.keyClick(tree, Qt.Key.Key_W)
    [watch] = list(tab.watching.watches)
    assert watch.label == "counter"
    assert window.docks.docks["watches"].isVisible()
    assert focus_pane(window, "watches")  # Alt+8
    view = tab.watching.panel.view
    qtbot.waitUntil(view.hasFocus)
    view.setCurrentIndex(view.model().index(0, 0))
    qtbot.keyClick(view, Qt.Key.Key_Space)  # from the first column: the Plot box is far right
    assert tab.watching.panel.plotted_keys() == [watch.key]
    assert window.docks.docks["plot"].isVisible()
    assert tab.watching.plot.panel.plotted() == [watch.key]


def test_a_struct_whose_first_bytes_look_like_msgpack_stays_raw_bytes_with_its_structure(qtbot, window, shm_name):
    Segment.create(shm_name, 4096).close()
    other_process_writes(shm_name, (0, b"\x0c"))  # seq = 12: also a msgpack fixint, alone at offset 0
    tab = window.open_name(shm_name)
    tab.overlays.add(OverlaySpec(HEADER, "defs.h", "sample", 0))
    qtbot.waitUntil(lambda: tab.kind.value == "raw", timeout=5000)
    qtbot.wait(1200)  # past the next looks at the segment's kind
    assert tab.kind.value == "raw"


def test_apply_structure_here_from_the_hex_views_menu_applies_it_at_the_clicked_byte(qtbot, window, shm_name):
    from PySide6.QtCore import QPoint, QTimer
    from PySide6.QtWidgets import QApplication

    Segment.create(shm_name, 4096).close()
    tab = window.open_name(shm_name)
    view = tab.hex_view
    lay = view.hex_geometry
    target = 0x20 + 4
    bpr = view.bytes_per_row
    point = QPoint(int(lay.edges[0][target % bpr]) + 2, int(lay.row_y(target // bpr)) + 3)
    seen: list[str] = []

    def in_the_dialog():
        dialog = QApplication.activeModalWidget()
        assert isinstance(dialog, OverlayDialog)
        assert dialog.offset_edit.text() == f"0x{target:X}"  # where the right-click was
        dialog.load_header(HEADER, "defs.h")
        dialog.buttons.button(QDialogButtonBox.StandardButton.Ok).click()

    def in_the_menu():
        menu = QApplication.activePopupWidget()
        seen.extend(a.text() for a in menu.actions())
        apply = next(a for a in menu.actions() if a.text().startswith("Apply &structure here"))
        menu.close()
        QTimer.singleShot(0, in_the_dialog)
        apply.trigger()

    QTimer.singleShot(0, in_the_menu)
    view.customContextMenuRequested.emit(view.viewport().mapTo(view, point))
    assert "Apply &structure here…" in seen
    assert [o.spec.label for o in tab.session.overlays] == [f"struct sample @ 0x{target:x}"]
    assert view.cursor_offset() == target


def test_an_overlays_header_is_exported_as_it_was_pasted(window, shm_name, tmp_path):
    Segment.create(shm_name, 4096).close()
    tab = window.open_name(shm_name)
    tab.overlays.add(OverlaySpec(HEADER, "defs.h", "sample", 0))
    tab.overlays.write_header(0, tmp_path / "out.h")
    assert (tmp_path / "out.h").read_text() == HEADER


@pytest.mark.parametrize(("count", "stride", "why"), [(1 << 20, 0, "at most"), (4, 8, "overlap")])
def test_an_overlay_too_big_to_read_each_tick_or_overlapping_itself_is_refused(qtbot, count, stride, why):
    dialog = OverlayDialog(offset=0, segment_size=1 << 30)
    qtbot.addWidget(dialog)
    dialog.load_header(HEADER, "defs.h")
    dialog.count_box.setValue(count)
    dialog.stride_edit.setText(str(stride) if stride else "")
    assert why in dialog.status.text()
    assert not dialog.buttons.button(QDialogButtonBox.StandardButton.Ok).isEnabled()


def test_a_writer_that_never_finished_an_update_shows_no_values_at_all(qtbot, window, shm_name):
    Segment.create(shm_name, 4096).close()
    other_process_writes(shm_name, (OFFSET, (1).to_bytes(4, "little")), (OFFSET + 8, (1234).to_bytes(8, "little")))
    tab = window.open_name(shm_name)
    tab.overlays.add(OverlaySpec(HEADER, "defs.h", "sample", OFFSET, sequence="seq"))
    model = tab.structures.model
    qtbot.waitUntil(lambda: model.index(0, VALUE).data().startswith("torn"), timeout=5000)
    assert tree_values(tab.structures)["counter"] == "—"  # never the half-written 1234


def test_watches_follow_their_field_when_the_overlay_is_edited_and_go_when_it_is_removed(qtbot, window, shm_name):
    Segment.create(shm_name, 4096).close()
    other_process_writes(shm_name, (OFFSET + 8, (42).to_bytes(8, "little")))
    tab = window.open_name(shm_name)
    tab.overlays.add(OverlaySpec(HEADER, "defs.h", "sample", OFFSET))
    live = tab.session.overlays[0]
    counter = tab.watching.watch_field(live, live.table.find("counter"))
    tab.watching.watch_field(live, live.table.find("flag"))
    tab.watching.panel.set_plotted(counter.key)
    # Edited: the same header with a field inserted before flag (counter stays where it is).
    moved = HEADER.replace("uint8_t flag;", "uint8_t extra; uint8_t flag;")
    new = tab.overlays._make(OverlaySpec(moved, "defs.h", "sample", OFFSET))
    old = tab.session.overlays[0]
    tab.session.overlays[0] = new
    tab.watching.overlay_replaced(old, new)
    assert [w.key for w in tab.watching.watches] == [counter.key]  # flag moved: its watch went
    tab.tick()
    assert counter.text == "42"
    tab.overlays.remove(0)
    assert len(tab.watching.watches) == 0 and tab.watching.panel.plotted_keys() == []


def test_long_and_hostile_segment_names_get_saved_files_of_their_own(tmp_path):
    store = OverlayStore(tmp_path)
    names = ["é" * 40 + "a", "é" * 40 + "b", "bad\udcff\x1b[2J", "/" + "x/" * 150, "\ud800"]
    paths = [store.path_for(n) for n in names]
    assert len(set(paths)) == len(names)
    assert all(p.parent == tmp_path and len(p.name) < 255 for p in paths)


def test_saved_structures_nested_too_deep_to_read_are_said_and_the_segment_opens(qtbot, window, shm_name):
    Segment.create(shm_name, 4096).close()
    path = OverlayStore().path_for(shm_name)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("[" * 100_000 + "]" * 100_000)
    tab = window.open_name(shm_name)
    assert tab is not None and tab.session.overlays == []


def test_an_offset_beyond_any_segment_is_refused_in_the_dialog(qtbot):
    dialog = OverlayDialog(offset=0, segment_size=4096)
    qtbot.addWidget(dialog)
    dialog.load_header(HEADER, "defs.h")
    dialog.offset_edit.setText("0x10000000000000000")
    assert not dialog.buttons.button(QDialogButtonBox.StandardButton.Ok).isEnabled()
    assert "do not describe an overlay" in dialog.status.text()


def test_a_segment_opened_with_its_saved_structure_is_raw_bytes_from_the_start(qtbot, window, shm_name):
    import struct

    from mmfviewer.codec import detect_layout

    Segment.create(shm_name, 4096).close()
    # The C writer's struct state at counter 78: its first bytes read as a msgpack mailbox.
    c = 78
    state = (struct.pack("<IIQdi", 2 * c, 0, c, c / 2, -c) + f"count {c}".encode().ljust(24, b"\0")
             + struct.pack("<H", c))
    other_process_writes(shm_name, (0, state))
    with Segment.open(shm_name) as seg:
        assert detect_layout(seg).value == "mailbox"  # what it would be taken for
    OverlayStore().save(shm_name, [OverlaySpec(HEADER, "defs.h", "sample", 0)])
    tab = window.open_name(shm_name)
    assert tab.kind.value == "raw"  # never a mailbox first, then raw (the docks moved under the user)


def test_opening_a_fifo_as_the_header_says_so_and_never_waits(qtbot, tmp_path):
    import os

    fifo = tmp_path / "defs.h"
    os.mkfifo(fifo)
    dialog = OverlayDialog(offset=0, segment_size=4096)
    qtbot.addWidget(dialog)
    dialog.open_header(str(fifo))  # no writer will ever come
    assert "is a FIFO" in dialog.status.text()
    (tmp_path / "real.h").write_text(HEADER)
    dialog.open_header(str(tmp_path / "real.h"))
    assert dialog.header_name == "real.h" and dialog.type_box.currentText() == "struct sample"


def test_a_segment_truncated_under_its_structure_shows_the_fields_it_still_has(qtbot, window, shm_name):
    import os

    from mmfviewer.segment_os import shm_file

    Segment.create(shm_name, 4096).close()
    other_process_writes(shm_name, (OFFSET + 8, (42).to_bytes(8, "little")))
    tab = window.open_name(shm_name)
    tab.overlays.add(OverlaySpec(HEADER, "defs.h", "sample", OFFSET))
    os.truncate(shm_file(shm_name), OFFSET + 20)  # another process cuts it mid-structure
    tab.tick()
    values = tree_values(tab.structures)
    assert values["counter"] == "42" and values["d"] == "—"


def test_the_dialog_takes_a_typed_header_from_the_first_key(qtbot):
    from PySide6.QtWidgets import QApplication

    dialog = OverlayDialog(offset=0, segment_size=4096)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.activateWindow()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is not None)
    assert QApplication.focusWidget() is dialog.header  # not Open .h…, which a space would press
    qtbot.keyClicks(QApplication.focusWidget(), "struct s { int a; };")
    assert dialog.header.toPlainText() == "struct s { int a; };"
