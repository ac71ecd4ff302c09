"""A headless peer for a channel: echoes what others send and ticks every second.

``mmfviewer peer NAME`` (and ``mmfviewer demo --peer headless``) run this, so one
window has someone to talk to. It never echoes an echo or a tick, so two peers on
one channel do not start a storm.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

from .channel import Channel
from .errors import FormatError


def is_chatter(value: Any) -> bool:
    """True for what peers themselves send (echoes and ticks): never answered."""
    return isinstance(value, dict) and ("echo" in value or "tick" in value)


def run_peer(name: str, *, interval: float = 1.0, count: int | None = None,
             say: Callable[[str], None] = lambda line: None,
             should_stop: Callable[[], bool] = lambda: False) -> int:
    """Echo every message sent on the channel by others and send a tick every
    ``interval`` seconds, until ``should_stop()`` or ``count`` ticks. Returns the
    number of messages echoed."""
    echoed = ticks = 0
    me = os.getpid()
    with Channel.open(name) as channel, channel.writer("peer", access="syscall") as writer:
        reader = channel.reader()
        say(f"peer on {channel.segment.label}, lane {writer.lane}: echoing, and a tick every {interval:g} s")
        next_tick = time.monotonic()
        while not should_stop() and (count is None or ticks < count):
            now = time.monotonic()
            if now >= next_tick:
                stamp = datetime.now(timezone.utc).isoformat(timespec="milliseconds")
                writer.send({"tick": ticks, "time": stamp})
                ticks += 1
                next_tick = now + interval
            for message in reader.wait(timeout=max(next_tick - time.monotonic(), 0.0)):
                if message.pid == me:
                    continue
                try:
                    value = message.value
                except FormatError:
                    continue  # nothing sensible to echo
                if is_chatter(value):
                    continue
                writer.send({"echo": value, "from": message.pid, "seq": message.seq})
                echoed += 1
                say(f"echoed message {message.seq} from pid {message.pid}")
    return echoed
