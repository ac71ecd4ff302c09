"""``listen``: print a channel's messages as they arrive, or each new value a
mailbox, .NET, ShareableList or text segment holds, following a segment that is
removed and created again or that becomes a channel.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import dataclass
from typing import Any

from .channel import Channel
from .cli_common import PROG, chosen_layout, open_segment, print_json, segment_target
from .codec import WINDOW, Decoded, Layout, detect_layout, read_stable, read_value
from .errors import FormatError, SegmentError
from .message import Message
from .names import printable
from .presentation import clock_time
from .segment import Segment


def cmd_listen(args: argparse.Namespace) -> int:
    name, path = segment_target(args)
    chosen = chosen_layout(args)
    opened = [open_segment(name, path, readonly=True)]  # the last is the one followed now
    try:
        while True:
            seg = opened[-1]
            layout = chosen or detect_layout(seg)
            if layout == Layout.CHANNEL:
                with Channel.attach(seg, own=False) as ch:
                    return _listen_channel(ch, args)
            if not _listen_value(opened, layout, args, follow_layout=chosen is None):
                return 0
            # the segment became a channel while we watched it: listen to that now
    finally:
        for seg in opened:
            seg.close()


def _listen_channel(ch: Channel, args: argparse.Namespace) -> int:
    reader = ch.reader(start="oldest" if args.from_start else "now")
    received = 0
    reported = {"lost": 0, "corrupt": 0}
    if not args.json:
        print(f"listening on {ch.segment.label} ({ch.lanes} lanes); Ctrl+C to stop", file=sys.stderr)

    def report() -> None:
        for what in reported:
            n = getattr(reader, what) - reported[what]
            if n:
                _print_missed(what, n, args.json)
                reported[what] += n

    idle_since = time.monotonic()
    try:
        while args.count is None or received < args.count:
            # Wake at least twice a second, so counts are told even when no message comes.
            batch = reader.wait(0.5 if args.timeout is None else
                                max(0.0, min(0.5, idle_since + args.timeout - time.monotonic())))
            report()
            if not batch:
                if args.timeout is not None and time.monotonic() - idle_since >= args.timeout:
                    break  # --timeout passed without a message
                continue
            idle_since = time.monotonic()
            for msg in batch[:None if args.count is None else args.count - received]:
                _print_message(msg, reader.senders.get(msg.pid, ""), args.json)
                received += 1
            sys.stdout.flush()
    except KeyboardInterrupt:
        pass
    report()
    if not args.json:
        print(f"received {received} messages, lost {reader.lost}, corrupt {reader.corrupt}"
              + (f", lanes laid out again {reader.resets}" if reader.resets else ""), file=sys.stderr)
    return 0


def _listen_value(opened: list[Segment], layout: Layout, args: argparse.Namespace, *,
                  follow_layout: bool) -> bool:
    """A mailbox reader: look at offset 0 every interval, print each new value. With
    ``follow_layout``, what the bytes are is decided on every look (a segment opened
    empty may receive text, a mailbox value, or become a channel). A named segment
    that is removed is waited for; once created again, the new one is followed (it is
    appended to ``opened``). Returns True when the segment turned into a channel,
    False when done."""
    seg = opened[-1]
    shown: Any = _NOTHING
    value: Decoded | _Unreadable
    seen = 0
    idle_since = time.monotonic()
    last: bytes | None = None
    window = WINDOW  # grows to the value's length, so a change anywhere in it is seen
    if not args.json:
        print(f"watching {seg.label} ({layout}) every {args.interval}s; Ctrl+C to stop", file=sys.stderr)
    try:
        while args.count is None or seen < args.count:
            if seg.name is not None and seg.state().removed:
                again = _wait_for_new(seg, args)
                if again is None:
                    break  # --timeout passed while it was gone
                seg.close()  # the removed one: its pages are freed once nobody maps them
                opened.append(again)
                seg, last, idle_since = again, None, time.monotonic()
            data = read_stable(seg, window)
            if data != last:  # decode only what changed
                last = data
                kind = detect_layout(seg) if follow_layout else layout
                if kind == Layout.CHANNEL and follow_layout:
                    return True
                result = _read_listened_value(seg, kind, data)
                if isinstance(result, tuple):
                    last, value = result
                    window = max(WINDOW, len(last))
                else:
                    value = result
            if value != shown:
                shown = value
                idle_since = time.monotonic()
                if isinstance(value, _Unreadable):
                    print(f"{PROG}: {seg.label}: {value.reason}", file=sys.stderr)
                else:
                    seen += 1
                    if args.json:
                        print_json({"ts": time.time_ns(), "layout": kind.value, "value": value.json})
                    else:
                        print(f"{time.strftime('%H:%M:%S')}  {printable(value.text)}")
                sys.stdout.flush()
            if args.timeout is not None and time.monotonic() - idle_since > args.timeout:
                break
            time.sleep(args.interval)
    except KeyboardInterrupt:
        pass
    return False


def _wait_for_new(seg: Segment, args: argparse.Namespace) -> Segment | None:
    """Say that ``seg`` was removed and wait (up to --timeout) for a segment of the
    same name; say so and return it once it exists."""
    assert seg.name is not None
    print(f"{PROG}: {seg.label} was removed (or replaced); waiting for it to be created again",
          file=sys.stderr, flush=True)
    since = time.monotonic()
    while args.timeout is None or time.monotonic() - since <= args.timeout:
        try:
            again = Segment.open(seg.name, readonly=True)
        except SegmentError:
            time.sleep(args.interval)
            continue
        print(f"{PROG}: {again.label} exists again: following the new one", file=sys.stderr, flush=True)
        return again
    return None


def _read_listened_value(seg: Segment, kind: Layout, data: bytes) -> tuple[bytes, Decoded] | _Unreadable:
    """(the bytes read, the value) at offset 0, or why there is none."""
    try:
        if not kind.holds_a_value:
            raise FormatError("no channel, mailbox value or text at offset 0 (yet): "
                              f"'{PROG} dump' shows the bytes")
        return read_value(seg, kind, data)
    except FormatError as err:
        return _Unreadable(str(err))


@dataclass(frozen=True)
class _Unreadable:
    reason: str


_NOTHING = object()


def _print_message(msg: Message, sender: str, as_json: bool) -> None:
    try:
        value: Any = msg.value
    except FormatError as err:
        value = _Unreadable(str(err))
    if as_json:
        record = {"lane": msg.lane, "pid": msg.pid, "seq": msg.seq, "ts": msg.timestamp_ns,
                  "type": msg.type_name}
        if isinstance(value, _Unreadable):
            record["error"] = value.reason
        else:
            record["value"] = value
        print_json(record)
        return
    who = printable(f"{msg.pid} {sender}".rstrip())
    shown = f"<{value.reason}>" if isinstance(value, _Unreadable) else repr(value)
    print(f"{clock_time(msg.timestamp_ns)}  lane {msg.lane} seq {msg.seq} from {who}: {shown}")


def _print_missed(what: str, n: int, as_json: bool) -> None:
    """Say that ``n`` messages were lost (lapped) or corrupt (failed their checks)."""
    if as_json:
        print(json.dumps({what: n}))
        return
    plural = "s" if n != 1 else ""
    why = ("this reader was lapped by the writers" if what == "lost"
           else "their records failed their checks and were skipped")
    print(f"-- {what} {n} message{plural}: {why}", file=sys.stderr)
