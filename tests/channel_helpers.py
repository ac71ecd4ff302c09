"""What the channel's tests share: draining a reader, and the child processes that write,
hold a lane or die half-way through a record (started with the ``spawn`` context)."""

from __future__ import annotations

import multiprocessing
import os
import signal
import time

from mmfviewer import wire
from mmfviewer.channel import Channel
from mmfviewer.message import Message

spawn = multiprocessing.get_context("spawn")


def drain(reader, expect: int, timeout: float = 30.0) -> list[Message]:
    """Poll until ``expect`` messages were received or counted lost or corrupt."""
    got: list[Message] = []
    deadline = time.monotonic() + timeout
    while len(got) + reader.lost + reader.corrupt < expect and time.monotonic() < deadline:
        got.extend(reader.wait(0.5))
    return got


# ---------------------------------------------------------------- child processes

def send_numbers(name: str, count: int, tag: int, start, claimed, stop=None) -> None:
    with Channel.open(name) as ch, ch.writer(f"writer-{tag}") as w:
        claimed.put(w.lane)
        start.wait(30)
        for i in range(count):
            if stop is not None and i % 1000 == 0 and stop.is_set():
                break
            w.send([tag, i])


def die_mid_record(name: str, ready) -> None:
    """Claim a lane, commit two messages, then die half-way through a third record:
    header and half the payload written, intent announced, no commit."""
    ch = Channel.open(name)
    w = ch.writer("doomed")
    w.send("one")
    w.send("two")
    lane_at = wire.lane_offset(w.lane, ch.capacity)
    tail = ch.words[lane_at // 8 + wire.TAIL_WORD]
    ring_at = lane_at + wire.LANE_HEADER_SIZE
    payload = b"\xa9" + b"truncated"  # msgpack str of 9 bytes
    at = ring_at + (tail & (ch.capacity - 1))
    ch.words[lane_at // 8 + wire.INTENT_WORD] = tail + 64
    wire.RECORD_HEADER.pack_into(ch.segment.buf, at, len(payload), wire.TYPE_MSGPACK, 1, 2,
                              time.time_ns(), 0xDEADBEEF, os.getpid())
    ch.segment.buf[at + 32:at + 32 + 5] = payload[:5]
    ready.put(w.lane)
    ready.close()
    ready.join_thread()  # the queue's feeder thread must deliver before we die
    os.kill(os.getpid(), signal.SIGKILL)


def hold_lane(name: str, ready, release) -> None:
    with Channel.open(name) as ch, ch.writer("holder") as w:
        ready.put(w.lane)
        release.wait(30)


def start_writers(name: str, writers: int, per_writer: int, stop=None) -> tuple[list, object, object]:
    """Writer processes sending [tag, i] for i in range(per_writer), all at once, each
    on a lane of its own, until ``stop`` is set if one is given. The event and queue
    come back too: the children need them.

    Every writer claims its lane before any sends: a writer that finished first would
    otherwise hand its lane to a late one, and the two together could lap a reader.
    """
    start, claimed = spawn.Event(), spawn.Queue()
    procs = [spawn.Process(target=send_numbers, args=(name, per_writer, t, start, claimed, stop))
             for t in range(writers)]
    for p in procs:
        p.start()
    lanes = {claimed.get(timeout=60) for _ in procs}
    assert len(lanes) == writers
    start.set()
    return procs, start, claimed
