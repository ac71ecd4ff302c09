"""Another process truncating a channel under us can stop us, never kill us.

A second process toggles the segment's size between 0 and full every ~millisecond
while readers, writers and the GUI of ours work on it; each runs in a process of
its own, so a SIGBUS would show as that process's death by signal.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from mmfviewer.channel import Channel
from mmfviewer.segment import shm_path

from .conftest import needs_dev_shm, run_cli

pytestmark = needs_dev_shm

TOGGLER = """
import os, signal, sys, time
signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))  # SIGINT may be ignored in a background job
fd = os.open(sys.argv[1], os.O_RDWR)
size, low = os.fstat(fd).st_size, int(sys.argv[2])
print("toggling", flush=True)
try:
    while True:
        os.ftruncate(fd, low)
        time.sleep(0.0005)
        os.ftruncate(fd, size)
        time.sleep(0.0005)
finally:
    os.ftruncate(fd, size)
"""


#: Truncated to this and regrown, a channel keeps its header and lane 0's: it is
#: still a channel, whose rings come back as zeros.
HEADERS_ONLY = 1024


@contextmanager
def toggling_size(name: str, low: int = 0) -> Iterator[None]:
    """Another process truncates the segment to ``low`` bytes and regrows it (with
    zeros), again and again."""
    proc = subprocess.Popen([sys.executable, "-c", TOGGLER, shm_path(name), str(low)],
                            stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None and proc.stdout.readline() == "toggling\n"
        yield
    finally:
        proc.terminate()
        proc.wait(30)


def filled_channel(name: str, messages: int = 1000) -> None:
    with Channel.create(name, lanes=2, lane_size=1 << 16) as ch, ch.writer("filler") as w:
        for i in range(messages):
            w.send({"title": "t", "content": f"message {i}"})


def run_while_toggling(name: str, script: str) -> tuple[subprocess.CompletedProcess[str], dict]:
    """Run ``script`` in a Python process; once it prints "ready", toggle the size of
    the segment (down to its headers) until it ends. Returns the process and the JSON
    object it printed last."""
    proc = subprocess.Popen([sys.executable, "-c", textwrap.dedent(script)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stdout.readline() == "ready\n", proc.communicate()
    with toggling_size(name, HEADERS_ONLY):
        out, err = proc.communicate(timeout=60)
    done = subprocess.CompletedProcess(proc.args, proc.returncode, out, err)
    assert proc.returncode == 0, f"it died ({proc.returncode}): {err}"
    assert "Traceback" not in err
    return done, json.loads(out)


def test_a_reader_is_stopped_never_killed_by_a_truncation(shm_name):
    filled_channel(shm_name)
    _proc, counts = run_while_toggling(shm_name, f"""
        import json, time
        from mmfviewer.channel import Channel
        from mmfviewer.errors import MmfError
        stopped = polls = received = 0
        with Channel.open({shm_name!r}, readonly=True) as ch:
            print("ready", flush=True)
            end = time.monotonic() + 2
            while time.monotonic() < end:
                try:
                    reader = ch.reader(start="oldest")  # from the oldest message, over and over
                    for _ in range(20):
                        polls += 1
                        received += len(reader.poll())
                except MmfError:
                    stopped += 1
        print(json.dumps({{"stopped": stopped, "polls": polls, "received": received}}))
    """)
    assert counts["stopped"] > 0  # it did see the segment shrink, and said so


def test_a_sender_is_refused_never_killed_by_a_truncation(shm_name):
    filled_channel(shm_name, messages=1)
    _proc, counts = run_while_toggling(shm_name, f"""
        import json, time
        from mmfviewer.errors import MmfError
        from mmfviewer.segment import Segment
        from mmfviewer.sender import Sender
        sent = refused = 0
        with Segment.open({shm_name!r}, readonly=False) as seg, Sender(seg, "channel") as sender:
            sender.send("first")
            print("ready", flush=True)
            end = time.monotonic() + 2
            while time.monotonic() < end:
                try:
                    sender.send({{"title": "t", "content": "c"}})
                    sent += 1
                except MmfError as err:
                    refused += 1
        print(json.dumps({{"sent": sent, "refused": refused}}))
    """)
    assert counts["refused"] > 0 and counts["sent"] > 0, counts


@pytest.mark.parametrize("low", [0, HEADERS_ONLY], ids=["to-nothing", "to-its-headers"])
def test_the_gui_outlives_a_channel_truncated_under_it(shm_name, tmp_path, low):
    filled_channel(shm_name)
    shot = tmp_path / "shot.png"
    with toggling_size(shm_name, low):
        proc = run_cli("gui", shm_name, "--refresh-ms", "16", "--screenshot", str(shot), "--ticks", "120",
                       timeout=120)
    assert proc.returncode == 0, f"the GUI died ({proc.returncode}): {proc.stderr[-2000:]}"
    assert shot.exists() and "Traceback" not in proc.stderr


def test_the_gui_reads_again_once_the_channel_is_back(shm_name, qtbot):
    from mmfviewer.qt.message_pane import MessagePane
    from mmfviewer.segment import Segment

    filled_channel(shm_name, messages=3)
    segment = Segment.open(shm_name)
    pane = MessagePane()
    qtbot.addWidget(pane)
    pane.set_channel(Channel.attach(segment, own=False))
    pane.poll()
    fd = os.open(shm_path(shm_name), os.O_RDWR)
    try:
        size = os.fstat(fd).st_size
        saved = os.pread(fd, size, 0)
        os.ftruncate(fd, 0)
        pane.poll()
        assert pane.error is not None and "shrank" in pane.error
        os.ftruncate(fd, size)
        os.pwrite(fd, saved, 0)
        with Channel.open(shm_name) as ch, ch.writer("back") as w:
            w.send("after the regrowth")
        pane.poll()
        assert pane.error is None
        assert pane.model.message_at(pane.model.rowCount() - 1).value == "after the regrowth"
    finally:
        os.close(fd)
        segment.close()


def test_a_feed_started_on_a_channel_truncated_right_now_reads_once_it_is_back(shm_name):
    from mmfviewer.codec import Layout
    from mmfviewer.live_session import MessageFeed
    from mmfviewer.segment import Segment

    filled_channel(shm_name, messages=3)
    segment = Segment.open(shm_name)
    channel = Channel.attach(segment, own=False)  # seen whole (the tab took it for a channel)…
    fd = os.open(shm_path(shm_name), os.O_RDWR)
    try:
        size = os.fstat(fd).st_size
        saved = os.pread(fd, size, 0)
        os.ftruncate(fd, HEADERS_ONLY)  # …and cut before its reader started: this raised out of the GUI
        feed = MessageFeed(segment, Layout.CHANNEL, channel=channel)
        update = feed.poll()
        assert update.error is not None and "shrank" in update.error and not update.messages
        os.ftruncate(fd, size)
        os.pwrite(fd, saved, 0)
        update = feed.poll()
        assert update.error is None
        assert [m.value["content"] for m in update.messages] == ["message 0", "message 1", "message 2"]
    finally:
        os.close(fd)
        channel.detach()
        segment.close()


def test_opening_a_segment_while_it_is_being_truncated_gives_it_or_a_clear_error(shm_name):
    from mmfviewer.errors import MmfError
    from mmfviewer.segment import Segment

    filled_channel(shm_name, messages=1)
    opened = refused = 0
    with toggling_size(shm_name):
        end = time.monotonic() + 1.5
        while time.monotonic() < end:
            try:  # mmap once raised ValueError when the file shrank after the fstat
                Segment.open(shm_name).close()
                opened += 1
            except MmfError:
                refused += 1
    assert opened > 0
