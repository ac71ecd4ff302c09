"""The headless peer: echoes what others send, ticks, and never echoes chatter."""

from __future__ import annotations

import subprocess
import sys
import time

from mmfviewer.channel import Channel


def test_the_peer_echoes_messages_and_ticks_but_not_its_own_chatter(shm_name):
    with Channel.create(shm_name, lanes=4, lane_size=1 << 16) as ch:
        reader = ch.reader()
        peer = subprocess.Popen([sys.executable, "-m", "mmfviewer", "peer", shm_name,
                                 "--interval", "0.2", "--count", "6"],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        seen: list = []
        deadline = time.monotonic() + 30
        while not any(isinstance(v, dict) and "tick" in v for v in seen) and time.monotonic() < deadline:
            seen += [m.value for m in reader.wait(0.5)]  # the peer is up once it ticks
        with ch.writer("me") as me:
            me.send({"title": "Hi", "content": "echo me"})
            me.send({"tick": 99})  # looks like chatter: must not be echoed
        _, err = peer.communicate(timeout=60)
        seen += [m.value for m in reader.poll()]
    assert peer.returncode == 0, err
    echoes = [v for v in seen if isinstance(v, dict) and "echo" in v]
    assert [e["echo"] for e in echoes] == [{"title": "Hi", "content": "echo me"}]
    assert len([v for v in seen if isinstance(v, dict) and "tick" in v and v["tick"] != 99]) == 6
    assert "echoed 1 messages" in err
