"""The compose panel as a user drives it: headless, real segments, real processes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import msgpack
import pytest
from PySide6.QtCore import Qt

from mmfviewer.channel import Channel
from mmfviewer.codec import Layout, decode_text
from mmfviewer.compose import MAX_FIELD_CHARS, MAX_MEMBER_FIELDS, looks_like_hexdump, parse_raw
from mmfviewer.hextext import hexdump_text
from mmfviewer.qt.compose_panel import HISTORY_LIMIT, READ_ONLY_REASON, ComposePanel
from mmfviewer.qt.style import error_color
from mmfviewer.segment import Segment
from mmfviewer.segment_os import SHM_DIR
from mmfviewer.sender import Sender

SEED = {"title": "Hi", "content": "The world is going down."}


@pytest.fixture
def panel(qtbot) -> ComposePanel:
    widget = ComposePanel()
    qtbot.addWidget(widget)
    widget.resize(460, 520)
    return widget


@pytest.fixture
def channel_sender(shm_name):
    """A Sender on a fresh two-lane channel with 4096-byte lanes (992-byte payloads)."""
    Channel.create(shm_name, lanes=2, lane_size=4096).close()
    seg = Segment.open(shm_name, readonly=False)
    sender = Sender(seg)
    yield sender
    sender.close()
    seg.close()


def received(name: str) -> list:
    """Every message still held by channel ``name``, oldest first."""
    with Channel.open(name, readonly=True) as ch:
        return ch.reader(start="oldest").poll()


def fill_message(panel: ComposePanel, title: str, content: str) -> None:
    panel.set_form("message")
    panel.title_edit.setText(title)
    panel.content_edit.setPlainText(content)


# ---------------------------------------------------------------- channel forms

def test_the_message_form_sends_title_and_content_on_a_channel(panel, channel_sender, shm_name, qtbot):
    panel.set_sender(channel_sender)
    assert panel.form == "message"
    assert "sends a message on the channel (a lane is claimed on the first send)" in panel.target_label.text()
    assert not panel.offset_edit.isEnabled()
    fill_message(panel, SEED["title"], SEED["content"])
    with qtbot.waitSignal(panel.sent) as signal:
        qtbot.mouseClick(panel.send_button, Qt.MouseButton.LeftButton)
    assert signal.args == ["sent message 0 on lane 0"]
    [msg] = received(shm_name)
    assert (msg.value, msg.type_name) == (SEED, "msgpack")
    assert "lane 0" in panel.target_label.text()  # the lane claimed is now shown
    assert not panel.error_label.isVisible()


def test_ctrl_enter_sends_while_typing_in_the_editor(panel, channel_sender, shm_name, qtbot):
    panel.set_sender(channel_sender)
    with qtbot.waitActive(panel):  # shortcuts go to the active window only
        panel.show()
        panel.activateWindow()
    fill_message(panel, "Keyboard", "typed")
    panel.content_edit.setFocus()
    qtbot.keyClick(panel.content_edit, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    panel.title_edit.setFocus()
    qtbot.keyClick(panel.title_edit, Qt.Key.Key_Enter,
                   Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.KeypadModifier)
    assert [m.value for m in received(shm_name)] == [{"title": "Keyboard", "content": "typed"}] * 2
    assert panel.content_edit.toPlainText() == "typed"  # the shortcut took the key: no newline
    assert panel.history.count() == 2


def test_json_is_validated_as_you_type(panel, channel_sender, qtbot):
    panel.set_sender(channel_sender)
    panel.set_form("json")
    assert not panel.send_button.isEnabled()  # nothing typed yet
    panel.json_edit.setPlainText('{"a": 1, "b" 2}')
    assert panel.json_status.text() == "invalid JSON: Expecting ':' delimiter (line 1, column 14)"
    assert error_color().name() in panel.json_status.styleSheet()  # in red
    assert not panel.send_button.isEnabled()
    panel.json_edit.setPlainText('{"a": 1, "b": 2}')
    assert panel.json_status.text().startswith("valid JSON: object with 2 keys")
    assert panel.send_button.isEnabled()
    panel.json_edit.setPlainText("[1, 2, 3]")
    assert panel.json_status.text().startswith("valid JSON: array of 3 items")
    panel.json_edit.setPlainText("[1 2]")
    assert panel.json_status.text() == "invalid JSON: Expecting ',' delimiter (line 1, column 4)"
    panel.json_edit.setPlainText("42.5")
    assert panel.json_status.text().startswith("valid JSON: number")


def test_json_that_msgpack_cannot_carry_is_refused_before_sending(panel, channel_sender):
    panel.set_sender(channel_sender)
    panel.set_form("json")
    panel.json_edit.setPlainText(str(2**70))
    assert panel.json_status.text().startswith("valid JSON, but it cannot be sent: cannot send int")
    assert not panel.send_button.isEnabled()
    panel.json_edit.setPlainText("[" * 100_000)  # deeper than Python's recursion limit
    assert panel.json_status.text().startswith("invalid JSON")
    panel.json_edit.setPlainText("9" * 5000)  # longer than Python's int-parsing limit
    assert panel.json_status.text().startswith("invalid JSON")


def test_the_place_json_goes_wrong_is_marked_in_the_editor(panel, channel_sender):
    panel.set_sender(channel_sender)
    panel.set_form("json")
    text = '{"😀": 1,}'
    with pytest.raises(json.JSONDecodeError) as err:  # where this Python's json says
        json.loads(text)                              # (3.13 blames the comma, 3.12 the brace)
    panel.json_edit.setPlainText(text)
    [mark] = panel.json_edit.extraSelections()
    assert mark.cursor.selectedText() == text[err.value.pos]  # Qt counts the emoji as two units
    panel.json_edit.setPlainText('{"😀": 1}')
    assert panel.json_edit.extraSelections() == []


def test_a_valid_json_object_arrives_as_the_same_value(panel, channel_sender, shm_name):
    value = {"id": 7, "tags": ["a", "b"], "nested": {"ok": True, "none": None}, "pi": 3.25}
    panel.set_sender(channel_sender)
    panel.set_form("json")
    panel.json_edit.setPlainText(json.dumps(value, indent=2))
    assert panel.send()
    [msg] = received(shm_name)
    assert msg.value == value and msg.type_name == "msgpack"
    assert ' JSON {"id": 7, "tags": ["a", "b"]' in panel.history.item(0).text()  # compact, one line
    assert json.dumps(value) in panel.history.item(0).toolTip()  # in full


def test_invalid_json_cannot_be_sent_even_by_calling_send(panel, channel_sender, shm_name):
    panel.set_sender(channel_sender)
    panel.set_form("json")
    panel.json_edit.setPlainText("{oops}")
    assert panel.send() is False
    assert panel.error_label.text().startswith("invalid JSON: Expecting property name")
    assert received(shm_name) == [] and panel.history.count() == 0


def test_the_text_form_sends_a_text_message(panel, channel_sender, shm_name):
    panel.set_sender(channel_sender)
    panel.set_form("text")
    panel.text_edit.setPlainText("héllo\nworld")
    assert panel.text_status.text() == "11 characters, 12 bytes as UTF-8"
    assert panel.send()
    [msg] = received(shm_name)
    assert (msg.value, msg.type_name) == ("héllo\nworld", "text")


@pytest.mark.parametrize("typed", ["54 68 65", "546865", "0x54,0x68,0x65", "54:68:65"])
def test_the_raw_form_reads_hex_as_people_type_it(panel, channel_sender, shm_name, typed):
    panel.set_sender(channel_sender)
    panel.set_form("raw")
    panel.raw_edit.setPlainText(typed)
    assert panel.raw_status.text() == "3 bytes"
    assert panel.send()
    [msg] = received(shm_name)
    assert (msg.value, msg.type_name) == (b"The", "bytes")


def test_a_pasted_hexdump_is_read_back_whole(panel, channel_sender, shm_name):
    data = b"The quick brown fox jumps over the lazy dog\x00\xff"
    dump = hexdump_text(data, 0x20)
    assert looks_like_hexdump(dump) and parse_raw(dump) == (data, "read from a hexdump starting at 0x20")
    panel.set_sender(channel_sender)
    panel.set_form("raw")
    panel.raw_edit.setPlainText(dump + "\n")
    assert panel.raw_status.text() == f"{len(data)} bytes (read from a hexdump starting at 0x20)"
    assert panel.send()
    assert received(shm_name)[0].value == data


def test_a_hexdump_with_a_missing_line_is_refused(panel, channel_sender):
    lines = hexdump_text(bytes(range(48))).splitlines()
    panel.set_sender(channel_sender)
    panel.set_form("raw")
    panel.raw_edit.setPlainText("\n".join([lines[0], lines[2]]))
    assert "lines are missing" in panel.raw_status.text()
    assert not panel.send_button.isEnabled()


def test_invalid_hex_shows_the_error_in_the_raw_status(panel, channel_sender, shm_name):
    panel.set_sender(channel_sender)
    panel.set_form("raw")
    panel.raw_edit.setPlainText("54 6G")
    assert panel.raw_status.text() == "'6G' is not hex; write bytes like '54 68 65' or '546865'"
    assert error_color().name() in panel.raw_status.styleSheet()
    assert not panel.send_button.isEnabled()
    panel.raw_edit.setPlainText("54 686")
    assert "odd number of hex digits" in panel.raw_status.text()
    assert panel.send() is False and received(shm_name) == []


# ---------------------------------------------------------------- the seeds' layouts

def test_raw_bytes_on_a_plain_segment_land_at_the_offset_given(panel, shm_name):
    with Segment.create(shm_name, 256) as seg:
        panel.set_sender(Sender(seg))
        assert panel.form == "raw"
        assert panel.target_label.text() == "raw: writes bytes at the offset below"
        assert panel.offset_edit.isEnabled()
        panel.raw_edit.setPlainText("de ad be ef")
        panel.offset_edit.setText("0x10")
        assert panel.raw_status.text() == "4 bytes at 0x10–0x13"
        assert panel.send()
        panel.offset_edit.setText("40")
        assert panel.send()
        assert seg.read(0x10, 4) == seg.read(40, 4) == b"\xde\xad\xbe\xef"
        assert seg.read(0, 0x10) == bytes(16)
        assert panel.history.item(0).text().endswith("Raw 4 bytes at 0x28: de ad be ef")


def test_raw_bytes_past_the_end_or_a_bad_offset_are_refused(panel, shm_name):
    with Segment.create(shm_name, 64) as seg:
        panel.set_sender(Sender(seg))
        panel.raw_edit.setPlainText("01 02 03 04")
        panel.offset_edit.setText("zz")
        assert "offset 'zz' is not a byte count" in panel.raw_status.text()
        assert not panel.send_button.isEnabled()
        panel.offset_edit.setText("62")
        assert panel.send() is False
        assert "does not fit" in panel.error_label.text()
        assert seg.read(0, 64) == bytes(64) and panel.history.count() == 0


def test_on_a_mailbox_the_message_form_overwrites_offset_0(panel, shm_name):
    with Segment.create(shm_name, 4096) as seg:
        seg.write(0, msgpack.packb({"title": "old", "content": "a much longer previous value"}))
        sender = Sender(seg)
        assert sender.layout == Layout.MAILBOX
        panel.set_sender(sender)
        assert panel.form == "message"
        assert panel.target_label.text() == "mailbox: overwrites the mailbox value at offset 0"
        fill_message(panel, SEED["title"], SEED["content"])
        assert panel.send()
        unpacker = msgpack.Unpacker()
        unpacker.feed(seg.read(0, 4096))
        assert unpacker.unpack() == SEED
        # The longer previous value leaves no stale bytes behind the new one.
        assert seg.read(unpacker.tell(), 64) == bytes(64)


def test_on_a_text_segment_the_text_form_overwrites_the_text(panel, shm_name):
    with Segment.create(shm_name, 4096) as seg:
        seg.write(0, b"The world is going down.")
        panel.set_sender(Sender(seg))
        assert panel.form == "text"
        assert panel.target_label.text() == "text: overwrites the text at offset 0"
        panel.text_edit.setPlainText("Hello")
        assert panel.send()
        assert decode_text(seg.read(0, 4096)).text == "Hello"
        assert seg.read(0, 32) == b"Hello" + bytes(27)
        panel.set_form("message")  # a text segment holds no {title, content}
        assert "holds text" in panel.target_label.text()
        assert not panel.send_button.isEnabled()


# ---------------------------------------------------------------- errors

def test_a_message_too_large_for_the_lane_shows_the_error_and_keeps_history(
        panel, channel_sender, shm_name, qtbot):
    panel.set_sender(channel_sender)
    fill_message(panel, "small", "fits")
    assert panel.send()
    fill_message(panel, "big", "x" * 1000)  # over the 992-byte payload of a 4096-byte lane
    with qtbot.waitSignal(panel.failed) as signal:
        assert panel.send() is False
    assert "does not fit" in signal.args[0] and "992 bytes" in signal.args[0]
    assert panel.error_label.text() == signal.args[0]
    assert not panel.error_label.isHidden()
    assert panel.history.count() == 1
    assert [m.value for m in received(shm_name)] == [{"title": "small", "content": "fits"}]
    fill_message(panel, "small", "again")
    assert panel.send() and panel.error_label.isHidden()  # the error goes with the next success


def test_a_read_only_segment_disables_the_panel_with_the_reason(panel, shm_name):
    Channel.create(shm_name, lanes=2, lane_size=4096).close()
    with Segment.open(shm_name, readonly=True) as seg:
        panel.set_sender(Sender(seg))
        assert not panel.isEnabled()
        assert panel.target_label.text() == READ_ONLY_REASON and "Ctrl+Shift+W" in READ_ONLY_REASON
        assert not panel.send_button.isEnabled()
        assert panel.send() is False and panel.error_label.text() == READ_ONLY_REASON
    panel.set_sender(None, disabled_reason="Closed: the tab is closing")
    assert not panel.isEnabled() and panel.target_label.text() == "Closed: the tab is closing"


def test_a_truncated_channel_is_an_inline_error_not_a_crash(panel, channel_sender, shm_name):
    panel.set_sender(channel_sender)
    fill_message(panel, "t", "c")
    os.truncate(os.path.join(SHM_DIR, shm_name), 512)  # another process shrinks it
    assert panel.send() is False
    assert "512" in panel.error_label.text() and "truncated" in panel.error_label.text()


def test_a_closed_segment_is_an_inline_error(panel, shm_name):
    with Segment.create(shm_name, 64) as seg:
        sender = Sender(seg)
        panel.set_sender(sender)
        panel.raw_edit.setPlainText("01")
    assert panel.send() is False
    assert "closed" in panel.error_label.text()


# ---------------------------------------------------------------- history

def test_history_lists_sends_newest_first_and_resends_the_identical_payload(
        panel, channel_sender, shm_name, qtbot):
    panel.set_sender(channel_sender)
    fill_message(panel, "Hi", "x")
    assert panel.send()
    panel.set_form("json")
    panel.json_edit.setPlainText("[1, 2]")
    assert panel.send()
    assert panel.history.count() == 2
    assert panel.history.item(0).text()[8:] == " JSON [1, 2]"
    assert panel.history.item(1).text()[8:] == " Message {'title': 'Hi', 'content': 'x'}"
    time.strptime(panel.history.item(0).text()[:8], "%H:%M:%S")

    # The form is edited after the send: "send again" still sends what was sent.
    panel.set_form("message")
    fill_message(panel, "changed", "changed")
    assert panel.resend(1)
    panel.history.setCurrentRow(1)  # the JSON entry, now second
    qtbot.mouseClick(panel.resend_button, Qt.MouseButton.LeftButton)
    values = [m.value for m in received(shm_name)]
    assert values == [{"title": "Hi", "content": "x"}, [1, 2], {"title": "Hi", "content": "x"}, [1, 2]]
    assert panel.history.count() == 4


def test_double_clicking_a_history_entry_sends_it_again(panel, shm_name, qtbot):
    with Segment.create(shm_name, 64) as seg:
        panel.set_sender(Sender(seg))
        panel.raw_edit.setPlainText("aa bb")
        panel.offset_edit.setText("8")
        assert panel.send()
        seg.write(8, b"\0\0")
        panel.offset_edit.setText("20")  # the entry keeps its own offset
        item = panel.history.item(0)
        panel.history.itemDoubleClicked.emit(item)
        assert seg.read(8, 2) == b"\xaa\xbb" and seg.read(20, 2) == b"\0\0"


def test_history_keeps_the_newest_entries_only(panel, channel_sender):
    panel.set_sender(channel_sender)
    panel.set_form("json")
    for i in range(HISTORY_LIMIT + 5):
        panel.json_edit.setPlainText(str(i))
        assert panel.send()
    assert panel.history.count() == len(panel.entries) == HISTORY_LIMIT
    assert panel.history.item(0).text().endswith(f"JSON {HISTORY_LIMIT + 4}")
    assert panel.history.item(HISTORY_LIMIT - 1).text().endswith("JSON 5")


def test_long_payloads_take_one_line_in_the_history(panel, channel_sender):
    panel.set_sender(channel_sender)
    fill_message(panel, "multi", "line one\nline two\n" * 20)
    assert panel.send()
    text = panel.history.item(0).text()
    assert "\n" not in text and text.endswith("…") and len(text) <= 90


# ---------------------------------------------------------------- another process

def wait_until_mapped(qtbot, pid: int, name: str) -> None:
    """Wait until process ``pid`` has the segment mapped (then a little more, so its
    reader has started); where /proc does not exist, just wait."""
    maps = f"/proc/{pid}/maps"
    if not os.path.exists(maps):
        qtbot.wait(1500)
        return

    def mapped() -> None:
        with open(maps) as f:
            assert os.path.join(SHM_DIR, name) in f.read()

    qtbot.waitUntil(mapped, timeout=20000)
    qtbot.wait(300)


def test_a_composed_message_reaches_listen_in_another_process(panel, channel_sender, shm_name, qtbot):
    listener = subprocess.Popen(
        [sys.executable, "-m", "mmfviewer", "listen", shm_name, "--json", "--count", "1",
         "--timeout", "30"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        wait_until_mapped(qtbot, listener.pid, shm_name)
        panel.set_sender(channel_sender)
        fill_message(panel, "Across", "processes ✓")
        assert panel.send()
        out, err = listener.communicate(timeout=30)
    finally:
        if listener.poll() is None:
            listener.kill()
            listener.wait()
    assert listener.returncode == 0, err
    [line] = out.splitlines()
    assert json.loads(line)["value"] == {"title": "Across", "content": "processes ✓"}


# ---------------------------------------------------------------- how it looks

def test_screenshots_of_the_message_and_json_forms(panel, channel_sender, tmp_path):
    """Saves compose.png and compose_json.png (in $MMFV_SCREENSHOT_DIR if set) to look at."""
    out = os.environ.get("MMFV_SCREENSHOT_DIR", str(tmp_path))
    panel.set_sender(channel_sender)
    panel.set_form("json")
    panel.json_edit.setPlainText('[1, 2, {"deep": true}]')
    assert panel.send()
    panel.set_form("text")
    panel.text_edit.setPlainText("The world is going down.")
    assert panel.send()
    fill_message(panel, "Hi", "The world is going down.\nSecond line.")
    assert panel.send()
    panel.show()
    image = panel.grab()
    assert (image.width(), image.height()) == (460, 520)
    assert image.save(os.path.join(out, "compose.png"))

    panel.set_form("json")
    panel.json_edit.setPlainText('{\n  "title": "Hi",\n  "content" "missing colon"\n}')
    assert not panel.send_button.isEnabled()
    assert panel.grab().save(os.path.join(out, "compose_json.png"))


def dotnet_segment(name: str, members: dict[str, str]) -> Segment:
    from mmfviewer.nrbf_encode import ClassShape, encode_object
    shape = ClassShape("Message", "MessageLib", tuple((m, "System.String") for m in members))
    data = encode_object(shape, members)
    seg = Segment.create(name, len(data) + 64)
    seg.write(0, data)
    return seg


def test_a_value_with_thousands_of_members_gets_no_field_each_but_a_reason(panel, shm_name):
    members = {f"m{i}": "x" for i in range(MAX_MEMBER_FIELDS + 1)}
    with dotnet_segment(shm_name, members) as seg:
        sender = Sender(seg)
        panel.set_sender(sender)
        assert not panel.members.edits  # once, a widget per member froze the window for minutes
        assert f"{MAX_MEMBER_FIELDS + 1:,} members or items" in panel.members.status.text()
        sender.close()


def test_a_member_of_megabytes_is_shown_cut_and_not_edited(panel, shm_name):
    with dotnet_segment(shm_name, {"title": "t", "content": "c" * (3 << 20)}) as seg:
        sender = Sender(seg)
        panel.set_sender(sender)
        assert set(panel.members.edits) == {"title"}
        assert "content" in panel.members.status.text()
        sender.close()
    assert MAX_FIELD_CHARS < 3 << 20
