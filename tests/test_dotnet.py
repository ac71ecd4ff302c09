"""mmfviewer and real .NET programs (Mono) talk both ways through one /dev/shm file:
seed 1's Proc1 writes a BinaryFormatter ``Message`` that ``ls``, ``info``, ``listen``
and the window explain; what ``send`` and the compose panel write, seed 1's Proc2
deserializes and prints; a value of many member types decodes to what the program
printed."""

from __future__ import annotations

import json
import os
import time
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from mmfviewer import nrbf
from mmfviewer.codec import Layout, detect_layout, read_value
from mmfviewer.nrbf_format import DotNetDateTime, DotNetTimeSpan
from mmfviewer.segment import Segment
from mmfviewer.segment_os import SHM_DIR

from .conftest import run_cli
from .dotnet_programs import Lines, parse_values, proc2_messages, stop

pytestmark = pytest.mark.skipif(not os.path.isdir(SHM_DIR), reason="needs /dev/shm (Linux)")


@pytest.fixture
def shm_file(shm_name) -> Path:
    """Where the .NET programs share memory: /dev/shm/NAME (removed with the name)."""
    return Path(SHM_DIR) / shm_name


def wait_for_value(path: Path, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists() and path.read_bytes()[:1] == b"\0" and nrbf.looks_like_nrbf(path.read_bytes()):
            return
        time.sleep(0.05)
    raise AssertionError(f"nothing was written to {path} within {timeout}s")


# ------------------------------------------------------------- Proc1 -> mmfviewer

def test_what_proc1_writes_is_listed_explained_and_followed_as_it_changes(dotnet, shm_file, shm_name):
    proc1 = dotnet.run("Proc1", shm_file, "--interval", "300")
    try:
        wait_for_value(shm_file)
        ls = json.loads(run_cli("ls", "--json", check=True).stdout)
        [row] = [r for r in ls if r["name"] == shm_name]
        assert row["layout"] == "dotnet"  # JSON names layouts as --layout does
        table = run_cli("ls", check=True).stdout
        assert [line for line in table.splitlines() if line.startswith(shm_name)][0].split()[3:5] == [
            "mailbox", "(.NET)"]
        info = run_cli("info", shm_name, check=True).stdout
        assert "layout:    mailbox (.NET)" in info
        assert "value:     Message {title: 'test', content: 'hello world " in info
        info_json = json.loads(run_cli("info", shm_name, "--json", check=True).stdout)
        assert info_json["layout"] == "dotnet"
        value = info_json["value"]["json"]
        assert value["type"] == "Message" and value["library"].startswith("MessageLib, Version=")
        listen = run_cli("listen", shm_name, "--count", "3", "--interval", "0.05", timeout=60)
        assert listen.returncode == 0, listen.stderr
        lines = [line.split("  ", 1)[1] for line in listen.stdout.splitlines()]
        numbers = [int(line.rsplit(" ", 1)[1].rstrip("'}")) for line in lines]
        assert lines[0].startswith("Message {title: 'test', content: 'hello world ")
        assert numbers == list(range(numbers[0], numbers[0] + 3))  # each change, once, in order
    finally:
        stop(proc1)


def test_listen_json_prints_the_tree_with_byte_ranges(dotnet, shm_file, shm_name):
    proc1 = dotnet.run("Proc1", shm_file, "--interval", "200", "--title", "json")
    try:
        wait_for_value(shm_file)
        out = run_cli("listen", shm_name, "--json", "--count", "1", timeout=60)
        record = json.loads(out.stdout.splitlines()[0])
        assert record["layout"] == "dotnet"
        tree = record["value"]
        title = tree["children"][0]
        assert (title["name"], title["value"]) == ("title", "json")
        data = shm_file.read_bytes()
        assert data[title["start"]] == 6 and b"json" in data[title["start"]:title["end"]]
    finally:
        stop(proc1)


# ------------------------------------------------------------- mmfviewer -> Proc2

def test_send_writes_a_message_that_proc2_deserializes_and_prints(dotnet, shm_file, shm_name):
    proc1 = dotnet.run("Proc1", shm_file, "--count", "1")
    lines = Lines(proc1)
    lines.until("wrote 1")
    stop(proc1)
    proc2 = dotnet.run("Proc2", shm_file, "--interval", "50", "--changes")
    try:
        got = Lines(proc2)
        assert proc2_messages(got, 1, timeout=20) == [("test", "hello world 1")]
        sent = run_cli("send", shm_name, "--title", "from mmfviewer", "--content", "héllo, Proc2 ✓")
        assert sent.returncode == 0 and "wrote a" in sent.stdout and ".NET Message" in sent.stdout
        assert proc2_messages(got, 1, timeout=20) == [("from mmfviewer", "héllo, Proc2 ✓")]
        # Members not given keep their value; a shorter value leaves no stale tail.
        run_cli("send", shm_name, "--json", '{"content": "x"}', check=True)
        assert proc2_messages(got, 1, timeout=20) == [("from mmfviewer", "x")]
        decoded = read_value(Segment.open(shm_name, readonly=True), Layout.DOTNET)[1]
        assert not any(shm_file.read_bytes()[decoded.length:])
    finally:
        stop(proc2)


def test_a_new_dotnet_value_on_an_empty_segment_names_its_class_and_assembly(dotnet, shm_file, shm_name):
    run_cli("create", shm_name, "--size", "1024", check=True)
    sent = run_cli("send", shm_name, "--class", "Message", "--assembly", "MessageLib",
                   "--title", "first", "--content", "made by mmfviewer")
    assert sent.returncode == 0, sent.stderr
    assert detect_layout(shm_file.read_bytes()) == Layout.DOTNET
    out = dotnet.check_output("Proc2", shm_file, "--count", "1")
    assert out.splitlines()[:2] == ["first", "made by mmfviewer"]


def test_send_mistakes_on_a_dotnet_value_are_one_line_errors_and_change_nothing(dotnet, shm_file, shm_name):
    lines = Lines(dotnet.run("Proc1", shm_file, "--count", "1"))
    lines.until("wrote 1")
    before = shm_file.read_bytes()
    for args, message in [
        (["--text", "plain"], "send its members"),
        (["--json", '{"nope": 1}'], "Message has no member 'nope'"),
        (["--json", "[1, 2]"], "send its members"),
        (["--assembly", "X", "--title", "a"], "--assembly goes with --class"),
    ]:
        proc = run_cli("send", shm_name, *args)
        assert proc.returncode in (1, 2) and message in proc.stderr, (args, proc.stderr)
        assert "Traceback" not in proc.stderr
        assert shm_file.read_bytes() == before


def test_the_compose_panel_sends_members_that_proc2_prints(dotnet, shm_file, shm_name, qtbot):
    from mmfviewer.qt.compose_panel import ComposePanel
    from mmfviewer.sender import Sender

    Lines(dotnet.run("Proc1", shm_file, "--count", "1")).until("wrote 1")
    proc2 = dotnet.run("Proc2", shm_file, "--interval", "50", "--changes")
    try:
        got = Lines(proc2)
        assert proc2_messages(got, 1, timeout=20) == [("test", "hello world 1")]
        segment = Segment.open(shm_name, readonly=False)
        panel = ComposePanel()
        qtbot.addWidget(panel)
        panel.set_sender(Sender(segment))
        assert panel.form == "members"
        assert {n: e.text() for n, e in panel.members.edits.items()} == {"title": "test", "content": "hello world 1"}
        panel.members.edits["content"].setText("typed in the window")
        assert panel.send(), panel.error_label.text()
        assert proc2_messages(got, 1, timeout=20) == [("test", "typed in the window")]
        panel.set_form("message")
        panel.title_edit.setText("Message form")
        panel.content_edit.setPlainText("also works")
        assert panel.send()
        assert proc2_messages(got, 1, timeout=20) == [("Message form", "also works")]
        panel.set_form("text")
        assert not panel.send_button.isEnabled() and not panel.send()
        assert "holds a .NET object" in panel.error_label.text()
        # Only the fields changed in the form are written: a member another process
        # changed meanwhile keeps its new value.
        panel.set_form("members")
        run_cli("send", shm_name, "--json", '{"title": "changed elsewhere"}', check=True)
        panel.members.edits["content"].setText("second edit")
        assert panel.send(), panel.error_label.text()
        now = read_value(segment, Layout.DOTNET)[1].tree
        assert [(m.name, m.value) for m in now.children] == [("title", "changed elsewhere"),
                                                              ("content", "second edit")]
        segment.close()
    finally:
        stop(proc2)


# ------------------------------------------------------------- many member types

def test_a_value_of_many_member_types_decodes_to_what_the_program_printed(dotnet, shm_file):
    printed = parse_values(dotnet.check_output("Values", shm_file))
    root = nrbf.decode(shm_file.read_bytes())
    assert (root.type, root.library.split(",")[0]) == ("Sample", "MessageLib")
    got = {m.name: m for m in root.children}

    def number(name: str):
        return int(printed[name])

    assert got["count"].value == number("count") and got["big"].value == number("big")
    assert got["small"].value == number("small") and got["shorty"].value == number("shorty")
    assert got["ratio"].value == float(printed["ratio"])
    assert got["single"].value == float(printed["single"])  # the shortest form .NET prints
    assert got["flag"].value is (printed["flag"] == "true")
    assert got["letter"].value == chr(number("letter"))
    assert got["money"].value == Decimal(printed["money"])
    for name in ("whenUtc", "whenLocal", "whenUnspecified"):
        ticks, kind = printed[name].split(",")
        assert got[name].value == DotNetDateTime(int(ticks), kind)
    assert got["span"].value == DotNetTimeSpan(int(printed["span"]))
    assert got["name"].value == json.loads(printed["name"])
    assert got["nothing"].value is None and printed["nothing"] == "null"
    assert got["nested"].child("title").value == json.loads(printed["nested.title"])
    assert got["nested"].child("content").value == json.loads(printed["nested.content"])
    assert [n.value for n in got["numbers"].items()] == json.loads(printed["numbers"])
    assert [n.value for n in got["words"].items()] == json.loads(printed["words"])
    assert len(got["empty"].items()) == 0 and printed["empty"] == "[]"
    messages = got["messages"].items()
    assert len(messages) == int(printed["messages.length"])
    assert messages[0].child("title").value == json.loads(printed["messages[0].title"])
    assert messages[0].child("content").value == json.loads(printed["messages[0].content"])
    assert messages[1].value is None and printed["messages[1]"] == "null"
    # Every part's byte range lies inside the stream and the nested object's is its record.
    for _, node in root.walk():
        assert 0 <= node.start <= node.end <= root.end
    assert shm_file.read_bytes()[got["nested"].start] in (1, 5)  # ClassWithId / ClassWithMembersAndTypes


def test_dates_print_as_dotnet_writes_them(dotnet, shm_file):
    printed = parse_values(dotnet.check_output("Values", shm_file))
    ticks = int(printed["whenUtc"].split(",")[0])
    as_python = datetime(1, 1, 1) + timedelta(microseconds=ticks // 10)
    assert str(DotNetDateTime(ticks, "Utc")).startswith(as_python.strftime("%Y-%m-%dT%H:%M:%S"))


# ------------------------------------------------------------- the window

def test_the_window_shows_the_message_tree_and_outlines_a_member(dotnet, shm_file, shm_name, qtbot, tmp_path):
    from mmfviewer.qt.segment_tab import SegmentTab

    Lines(dotnet.run("Proc1", shm_file, "--count", "1")).until("wrote 1")
    segment = Segment.open(shm_name, readonly=True)
    tab = SegmentTab(segment)
    qtbot.addWidget(tab)
    tab.resize(1200, 800)
    tab.show()
    tab.tick()
    pane = tab.messages
    top = pane.value_tree.topLevelItem(0)
    assert (top.text(0), top.text(1)) == ("Message", "2 members")
    assert [(top.child(i).text(0), top.child(i).text(1)) for i in range(2)] == [
        ("title", "'test'"), ("content", "'hello world 1'")]
    assert "mailbox (.NET): Message from MessageLib" in pane.value_label.text()
    pane.value_tree.setCurrentItem(top.child(1))
    start, length = tab.hex_view.highlighted()  # the content string's record, outlined
    assert shm_file.read_bytes()[start:start + length].endswith(b"hello world 1")
    # Another process changes the value: the part looked at stays selected and outlined.
    run_cli("send", shm_name, "--json", '{"content": "a longer content than before"}', check=True)
    tab.tick()
    assert pane.value_tree.currentItem().text(1) == "'a longer content than before'"
    start, length = tab.hex_view.highlighted()
    assert shm_file.read_bytes()[start:start + length].endswith(b"a longer content than before")
    assert tab.grab().save(str(tmp_path / "dotnet.png"))
    tab.close()
    segment.close()


# ------------------------------------------------------------- seed 2, and hostile bytes

def test_seed_twos_server_text_is_read_by_info_and_listen(dotnet, shm_file, shm_name):
    server = dotnet.run("Server", shm_file, "--seconds", "30")
    try:
        Lines(server).until("ready")
        assert "layout:    text" in run_cli("info", shm_name, check=True).stdout
        out = run_cli("listen", shm_name, "--count", "1", check=True).stdout
        assert out.split("  ", 1)[1].rstrip("\n") == "The world is going down."
    finally:
        stop(server)


def test_every_truncation_and_many_mutations_of_a_real_stream_give_a_value_or_a_format_error(dotnet, shm_file):
    import random

    from mmfviewer.errors import FormatError

    dotnet.check_output("Values", shm_file)
    data = shm_file.read_bytes()
    end = nrbf.decode(data).end
    for cut in range(end):
        with pytest.raises(FormatError):
            nrbf.decode(data[:cut])
    rng = random.Random(9)
    for _ in range(3000):
        mutated = bytearray(data[:end])
        for _ in range(rng.randrange(1, 6)):
            mutated[rng.randrange(end)] = rng.randrange(256)
        try:
            nrbf.decode(bytes(mutated))
        except FormatError:
            pass


def test_a_channel_message_carrying_a_dotnet_value_is_shown_as_its_tree(dotnet, shm_file, shm_name, qtbot):
    from mmfviewer.channel import Channel
    from mmfviewer.qt.message_pane import MessagePane

    dotnet.check_output("Values", shm_file)
    value = shm_file.read_bytes()
    with Channel.create(shm_name + "-ch", lanes=1, lane_size=1 << 16) as ch:
        try:
            pane = MessagePane()
            qtbot.addWidget(pane)
            pane.set_channel(ch)
            with ch.writer("dotnet-bridge") as w:
                w.send_bytes(value[:nrbf.decode(value).end])
            pane.poll()
            pane.select_row(0)
            top = pane.detail.tree.topLevelItem(0)
            assert (top.text(0), top.text(1)) == ("Sample (.NET)", "20 members")
        finally:
            ch.segment.unlink()


def test_send_class_refuses_to_overwrite_another_layout(shm_name):
    run_cli("create", shm_name, "--layout", "channel", "--lanes", "1", "--size", "64KiB", check=True)
    before = (Path(SHM_DIR) / shm_name).read_bytes()
    proc = run_cli("send", shm_name, "--class", "Message", "--title", "a", "--content", "b")
    assert proc.returncode == 1 and "holds channel data, which --class would overwrite" in proc.stderr
    assert (Path(SHM_DIR) / shm_name).read_bytes() == before


def test_a_value_longer_than_the_first_window_is_read_whole(tmp_path):
    # A char[70000] runs past the first 64 KiB read: the reader must read on, not fail.
    body = bytes([15]) + (1).to_bytes(4, "little") + (70000).to_bytes(4, "little") + bytes([3])
    data = bytes([0]) + b"".join(n.to_bytes(4, "little", signed=True) for n in (1, -1, 1, 0))
    data += body + b"x" * 70000 + bytes([11])
    path = tmp_path / "big.bin"
    path.write_bytes(data + bytes(1000))
    with Segment.from_file(path) as seg:
        assert detect_layout(seg) == Layout.DOTNET
        decoded = read_value(seg, Layout.DOTNET)[1]
    assert decoded.length == len(data) and len(decoded.tree.items()) == 70000
