"""/dev/shm is world-writable: names that are not UTF-8 or carry escape sequences,
FIFOs and symbolic links planted there. Every command lists them escaped, takes them
back in that form, never hangs on them, never follows them, and can remove them."""

from __future__ import annotations

import json
import os
import uuid
from pathlib import Path

import pytest

from mmfviewer.errors import SegmentError
from mmfviewer.names import parse_name, printable
from mmfviewer.segment import Segment
from mmfviewer.segment_os import SHM_DIR

from .conftest import run_cli

pytestmark = pytest.mark.skipif(not os.path.isdir(SHM_DIR), reason="needs /dev/shm (Linux)")


@pytest.fixture
def planted():
    """Paths planted in /dev/shm (bytes, so any name works); removed afterwards."""
    paths: list[bytes] = []
    yield paths
    for path in paths:
        if os.path.lexists(path):
            os.unlink(path)


def plant_file(planted: list[bytes], raw_name: bytes, data: bytes = b"The world is going down.") -> bytes:
    path = os.fsencode(SHM_DIR) + b"/" + raw_name
    planted.append(path)
    with open(path, "wb") as f:
        f.write(data + bytes(64))
    return path


def unique(prefix: bytes) -> bytes:
    return b"mmfv-test-" + uuid.uuid4().hex[:8].encode() + prefix


def test_names_are_shown_escaped_and_read_back():
    for name in ["plain", "a\x1b[2Jb", "x\u202ey", os.fsdecode(b"bad\xff\xfe"), "back\\slash",
                 "row\nforged", "é世界", "\u00a0nbsp", "\U000f0000p"]:
        shown = printable(name)
        assert shown.isprintable() and parse_name(shown) == name, (name, shown)
    assert printable("mmf1") == "mmf1" and parse_name("mmf1") == "mmf1"


def test_a_name_that_is_not_utf8_is_listed_escaped_and_every_command_takes_it_back(planted):
    raw = unique(b"-bad\xff\xfe")
    plant_file(planted, raw)
    shown = printable(os.fsdecode(raw))
    assert shown.endswith("-bad\\xff\\xfe")
    ls = run_cli("ls")
    assert ls.returncode == 0 and "Traceback" not in ls.stderr
    assert shown in ls.stdout
    assert json.loads(run_cli("ls", "--json", check=True).stdout)  # still valid JSON
    info = run_cli("info", shown)
    assert info.returncode == 0, info.stderr
    assert f"name:      {shown}" in info.stdout and "layout:    text" in info.stdout
    dump = run_cli("dump", shown, "--length", "16")
    assert dump.returncode == 0 and "The world is goi" in dump.stdout
    listen = run_cli("listen", shown, "--count", "1")
    assert listen.stdout.endswith("The world is going down.\n")
    rm = run_cli("rm", shown)
    assert rm.returncode == 0 and f"removed '{shown}'" in rm.stdout
    assert not os.path.lexists(planted[0])


def test_escape_sequences_in_names_and_text_never_reach_the_terminal(planted, shm_name):
    raw = unique(b"\x1b]0;owned\x07\x1b[2J\nFORGED 1 KiB raw root")
    plant_file(planted, raw, b"a text\nFORGED line")
    from mmfviewer.channel import Channel

    with Channel.create(shm_name, lanes=1, lane_size=4096) as ch, ch.writer("\x1b[2J\u202eevil\nFORGED") as w:
        w.send("hello")
        listen_channel = run_cli("listen", shm_name, "--from-start", "--count", "1")
    assert "from" in listen_channel.stdout and "\\x1b[2J\\u202eevil\\x0aFORGED" in listen_channel.stdout
    for proc in [listen_channel] + [run_cli(*args) for args in (
            ["ls"], ["info", printable(os.fsdecode(raw))],
            ["listen", printable(os.fsdecode(raw)), "--count", "1"])]:
        args = proc.args
        assert proc.returncode == 0, (args, proc.stderr)
        for stream in (proc.stdout, proc.stderr):
            assert "\x1b" not in stream and "\x07" not in stream and "\u202e" not in stream, (args, stream)
        assert not any(line.startswith("FORGED") for line in proc.stdout.splitlines())


@pytest.mark.parametrize("command", [["info"], ["dump"], ["listen", "--count", "1"], ["write", "--offset", "0",
                                                                                        "--text", "x"]])
def test_a_fifo_planted_under_a_name_is_refused_at_once_and_can_be_removed(planted, command):
    raw = unique(b"-fifo")
    path = os.fsencode(SHM_DIR) + b"/" + raw
    os.mkfifo(path)
    planted.append(path)
    name = os.fsdecode(raw)
    proc = run_cli(command[0], name, *command[1:], timeout=30)  # would hang forever in open()
    assert proc.returncode == 1 and "is a FIFO (named pipe), not a regular file" in proc.stderr
    assert "Traceback" not in proc.stderr
    with pytest.raises(SegmentError, match="FIFO"):
        Segment.open(name)
    assert run_cli("rm", name).returncode == 0 and not os.path.lexists(path)


def test_a_symlink_planted_under_a_name_is_not_followed_and_removing_it_spares_its_target(planted, tmp_path):
    target = tmp_path / "precious"
    target.write_bytes(b"keep me")
    raw = unique(b"-link")
    path = os.fsencode(SHM_DIR) + b"/" + raw
    os.symlink(target, path)
    planted.append(path)
    name = os.fsdecode(raw)
    for args in (["info", name], ["dump", name], ["write", name, "--offset", "0", "--text", "owned"]):
        proc = run_cli(*args)
        assert proc.returncode == 1 and "symbolic link" in proc.stderr, (args, proc.stderr)
    with pytest.raises(SegmentError, match="symbolic link"):
        Segment.open(name, readonly=False)
    assert run_cli("rm", name).returncode == 0
    assert not os.path.lexists(path) and target.read_bytes() == b"keep me"


def test_a_dangling_symlink_can_be_removed(planted, tmp_path):
    raw = unique(b"-dangling")
    path = os.fsencode(SHM_DIR) + b"/" + raw
    os.symlink(tmp_path / "nothing-here", path)
    planted.append(path)
    proc = run_cli("rm", os.fsdecode(raw))
    assert proc.returncode == 0, proc.stderr
    assert not os.path.lexists(path)


def test_the_segment_list_shows_hostile_names_escaped_and_keeps_the_others(planted, qtbot, shm_name):
    from mmfviewer.qt.segment_browser import SegmentBrowser

    Segment.create(shm_name, 64).close()
    raw = unique(b"-\xff\x1b[2J")
    plant_file(planted, raw)
    browser = SegmentBrowser(interval_ms=100_000)
    qtbot.addWidget(browser)
    qtbot.waitUntil(lambda: browser.scan_count > 0, timeout=10_000)
    names = [browser.model.rows[i].text(0) for i in range(len(browser.model.rows))]
    assert shm_name in names
    assert printable(os.fsdecode(raw)) in names and all(n.isprintable() for n in names)


def test_opening_a_planted_file_by_path_refuses_a_fifo_without_waiting(tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    with pytest.raises(SegmentError, match="FIFO"):
        Segment.from_file(Path(fifo))


def test_escapes_that_name_no_character_are_kept_as_written_and_refused_as_names():
    for text in ["a\\UFFFFFFFF", "a\\U00110000", "a\\ud800", "a\\udc41"]:
        assert parse_name(text) == text
    proc = run_cli("info", "bad\\ud800x")
    assert proc.returncode == 1 and "Traceback" not in proc.stderr


def test_a_lone_byte_followed_by_zeros_is_not_taken_for_a_mailbox():
    from mmfviewer.codec import Layout, detect_layout

    assert detect_layout(b"\x01\x00\x00\x00\x2a" + bytes(59)) == Layout.RAW  # a little-endian struct
    assert detect_layout(b"\xe5" + bytes(63)) == Layout.RAW
    assert detect_layout(b"\xa5hello" + bytes(58)) == Layout.MAILBOX  # a msgpack string
    assert detect_layout(b"\xcd\x10\x68" + bytes(61)) == Layout.MAILBOX  # the number 4200
