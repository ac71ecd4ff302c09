"""The command line: ``mmfviewer COMMAND ...``, mirroring what the GUI does.

User mistakes (missing segment, bad name, bad size, offset past the end, permission
denied) end with exit status 1 and one line ``mmfviewer: <what went wrong>`` on
stderr, never a traceback; command-line usage errors end with status 2.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import msgpack

from . import __version__
from .channel import Channel, Message
from .codec import (
    WINDOW,
    Decoded,
    Layout,
    detect_layout,
    layout_display,
    layout_label,
    looks_like_one_msgpack_value,
    read_stable,
    read_value,
)
from .discovery import SegmentInfo, segment_info, survey
from .errors import (
    FormatError,
    MmfError,
    SegmentBoundsError,
    SegmentError,
    SegmentExistsError,
    SegmentNotFoundError,
)
from .hextext import hexdump_lines, parse_hex_bytes
from .names import parse_name, printable, quoted
from .nrbf_encode import ClassShape
from .presentation import SegmentRow, clock_time, file_time
from .segment import Segment, shm_path, unlink_segment
from .sender import Sender
from .tree import JsonItems
from .units import SIZE_HELP, format_size, parse_mode, parse_size
from .wire import (
    DEFAULT_CAPACITY,
    DEFAULT_LANES,
    MIN_CAPACITY,
    ring_capacity_for,
    segment_size,
    validate_dimensions,
)

PROG = "mmfviewer"
DUMP_CHUNK = 64 * 1024  # a multiple of 16, so hexdump rows never straddle chunks


class UsageError(MmfError):
    """The command line itself is wrong (exit status 2)."""


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line in our format, not a usage dump."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(f"{message} (see '{self.prog} --help')")


def _examples(*lines: str) -> str:
    return "examples:\n" + "\n".join(f"  {line}" for line in lines)


def build_parser() -> argparse.ArgumentParser:
    """The whole command-line grammar, with an example on every command."""
    parser = _Parser(
        prog=PROG,
        description="Create, inspect, write and message through named shared-memory segments "
                    "(POSIX shm_open objects, /dev/shm/NAME on Linux) and file-backed mappings. "
                    "Without a command, opens the desktop app.",
        epilog=_examples(
            f"{PROG} demo                      # two windows talking through one mapping",
            f"{PROG} create mmf1 --layout channel && {PROG} listen mmf1",
            f"{PROG} send mmf1 --title Hello --content 'The world is going down.'",
            f"{PROG} create news-channel --size 10000",
            f"{PROG} write news-channel --offset 0 --text 'The world is going down.'",
            f"{PROG} dump news-channel --length 64",
            f"{PROG} ls",
            f"{PROG} listen mmf1                     # a .NET program's BinaryFormatter value, each change",
            f"{PROG} rm news-channel",
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    def command(name: str, help: str, examples: Sequence[str],
                run: Callable[[argparse.Namespace], int]) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help, description=help[0].upper() + help[1:] + ".",
                           epilog=_examples(*examples),
                           formatter_class=argparse.RawDescriptionHelpFormatter)
        p.set_defaults(run=run)
        return p

    p = command("gui", "open the desktop app (the default when no command is given)",
                [f"{PROG}", f"{PROG} gui news-channel mmf1", f"{PROG} gui --file /tmp/map.bin --read-write",
                 f"{PROG} gui news-channel --screenshot shot.png --ticks 5"], cmd_gui)
    p.add_argument("names", nargs="*", metavar="NAME", help="segments to open, each in a tab")
    p.add_argument("--file", action="append", default=[], metavar="PATH",
                   help="a file-backed mapping to open (repeatable)")
    p.add_argument("--refresh-ms", type=int, help="live refresh interval, 16..5000 ms (default 100)")
    p.add_argument("--read-write", action="store_true",
                   help="open read-write, so typing hex digits edits the bytes (default: read-only)")
    p.add_argument("--history", type=int,
                   help="messages each tab keeps (default 100000; remembered for next time)")
    p.add_argument("--screenshot", metavar="PATH",
                   help="render the window to this PNG once it has refreshed, then exit")
    p.add_argument("--ticks", type=int, default=1,
                   help="with --screenshot: refresh this many times first, to catch live changes")
    p.add_argument("--place", choices=["left", "right"], help=argparse.SUPPRESS)
    p.add_argument("--title", help=argparse.SUPPRESS)

    p = command("demo", "two processes talking through one channel: two windows side by side",
                [f"{PROG} demo", f"{PROG} demo chat --peer headless",
                 f"{PROG} demo --screenshot demo.png --ticks 30"], cmd_demo)
    p.add_argument("name", nargs="?", default="mmf1", metavar="NAME",
                   help="the channel to create (or reuse, if it is one already); default mmf1")
    p.add_argument("--peer", choices=["gui", "headless"], default="gui",
                   help="the other process: a second window (default), or a headless peer that "
                        "echoes each message and sends a tick every second")
    p.add_argument("--lanes", type=int, default=DEFAULT_LANES, help=f"channel lanes (default {DEFAULT_LANES})")
    p.add_argument("--screenshot", metavar="PATH",
                   help="render this window to PATH (and a GUI peer's to PATH-peer.png), then exit")
    p.add_argument("--ticks", type=int, default=30, help="with --screenshot: refreshes to wait first")

    p = command("peer", "a headless peer: echoes each message on a channel and sends a tick every second",
                [f"{PROG} peer mmf1", f"{PROG} peer mmf1 --interval 0.5 --count 10"], cmd_peer)
    p.add_argument("name", metavar="NAME", help="the channel")
    p.add_argument("--interval", type=_positive_seconds, default=1.0, help="seconds between ticks (default 1)")
    p.add_argument("--count", type=int, help="stop after this many ticks")

    p = command("ls", "list every shared-memory segment on this machine, its layout, and who maps it",
                [f"{PROG} ls", f"{PROG} ls --json | jq '.[].name'"], cmd_ls)
    p.add_argument("--json", action="store_true", help="print a JSON array instead of a table")

    p = command("create", "create a new named segment (fails if the name exists)",
                [f"{PROG} create news-channel --size 10000",
                 f"{PROG} create mmf1 --layout channel --lanes 8 --size 8MiB",
                 f"{PROG} create big --size 1GiB --mode 640",
                 f"{PROG} create --file /tmp/map.bin --size 64KiB"], cmd_create)
    _add_target(p)
    p.add_argument("--size", help=f"size of the segment: {SIZE_HELP} (required, except for a "
                                  "channel; for a channel, what its lanes' rings share, the headers "
                                  "coming on top: '--lanes 8 --size 8MiB' makes 1 MiB lanes; "
                                  "default 1 MiB per lane)")
    p.add_argument("--layout", choices=[x.value for x in Layout], default="raw",
                   help="'channel' lays out a message channel; the others just create the "
                        "segment (zeros) for that use (default: raw)")
    p.add_argument("--lanes", type=int, default=DEFAULT_LANES,
                   help=f"channel lanes: how many writers may send at once (default {DEFAULT_LANES})")
    p.add_argument("--mode", default="600",
                   help="octal permissions (default 600: only you may read and write it)")

    p = command("info", "show a segment's size, owner, mode, attached processes and the value it holds",
                [f"{PROG} info news-channel", f"{PROG} info --file /tmp/map.bin --json"], cmd_info)
    _add_target(p)
    p.add_argument("--json", action="store_true", help="print one JSON object")

    p = command("dump", "print a segment's bytes as a hexdump",
                [f"{PROG} dump news-channel", f"{PROG} dump news-channel --offset 0x100 --length 64",
                 f"{PROG} dump --file /tmp/map.bin --length 1KiB"], cmd_dump)
    _add_target(p)
    p.add_argument("--offset", default="0", help="first byte to show (decimal, 0x hex or 4KiB)")
    p.add_argument("--length", default=None, help="how many bytes (default: to the end)")

    p = command("write", "write bytes into a segment at an offset",
                [f"{PROG} write news-channel --offset 0 --text 'The world is going down.'",
                 f"{PROG} write news-channel --offset 0x10 --hex '54 68 65'",
                 f"{PROG} write news-channel --offset 0 --file message.bin",
                 f"{PROG} write --file /tmp/map.bin --offset 0 --text hello",
                 f"{PROG} write --file /tmp/map.bin --offset 0 --from-file message.bin"], cmd_write)
    p.add_argument("name", nargs="?", metavar="NAME", help="segment name")
    p.add_argument("--file", metavar="PATH",
                   help="with NAME: a file whose contents to write; without NAME: the "
                        "file-backed mapping to write into")
    p.add_argument("--offset", required=True, help="where to write (decimal, 0x hex or 4KiB)")
    data = p.add_mutually_exclusive_group()
    data.add_argument("--text", help="UTF-8 text to write (no NUL is added)")
    data.add_argument("--hex", help="bytes as hex: '54 68 65', '546865' or '0x54,0x68'")
    data.add_argument("--from-file", metavar="PATH", help="a file whose contents to write")

    p = command("send", "send one message: on a channel, or into a mailbox/.NET/text segment at offset 0",
                [f"{PROG} send mmf1 --title Hello --content 'The world is going down.'",
                 f"{PROG} send mmf1 --json '{{\"temp\": 21.5, \"ok\": true}}'",
                 f"{PROG} send news-channel --text 'The world is going down.'",
                 f"{PROG} send box --layout mailbox --title Hi --content there",
                 f"{PROG} send --file /dev/shm/mmf1 --title test --content 'hello from Python'"
                 "   # a .NET value: same class",
                 f"{PROG} send --file /dev/shm/mmf1 --class Message --assembly MessageLib "
                 "--title test --content hi   # a new one"], cmd_send)
    _add_target(p)
    form = p.add_mutually_exclusive_group(required=True)
    form.add_argument("--title", help="a {title, content} message, the .NET programs' Message class (with --content)")
    form.add_argument("--json", help="any JSON value, sent as msgpack")
    form.add_argument("--text", help="a string: a text record on a channel, UTF-8 text elsewhere")
    p.add_argument("--content", default="", help="the Message's content (with --title)")
    p.add_argument("--layout", choices=[x.value for x in Layout],
                   help="how to write, instead of detecting it from the segment's bytes")
    p.add_argument("--class", dest="dotnet_class", metavar="NAME",
                   help="write a .NET BinaryFormatter object of this class (members from --title/"
                        "--content or --json); without it, a .NET segment gets one like the one there")
    p.add_argument("--assembly", metavar="NAME",
                   help="with --class: the .NET assembly that defines it, as the reading program "
                        "knows it (e.g. 'MessageLib' or 'MessageLib, Version=1.0.0.0, "
                        "Culture=neutral, PublicKeyToken=null'); default: the class name")

    p = command("listen", "print messages as they arrive (a channel), or each new value "
                          "(mailbox, .NET, ShareableList, text)",
                [f"{PROG} listen mmf1", f"{PROG} listen mmf1 --from-start --count 10",
                 f"{PROG} listen mmf1 --json | jq .value",
                 f"{PROG} listen news-channel --interval 1"], cmd_listen)
    _add_target(p)
    p.add_argument("--from-start", action="store_true",
                   help="begin with the oldest messages still in the channel, not with new ones")
    p.add_argument("--json", action="store_true",
                   help="one JSON object per line: lane, pid, seq, ts, value (and lost counts)")
    p.add_argument("--count", type=int, help="stop after this many messages")
    p.add_argument("--timeout", type=float, help="stop after this many seconds without a message")
    p.add_argument("--interval", type=_positive_seconds, default=0.1,
                   help="seconds between looks at a mailbox/text segment (default 0.1)")
    p.add_argument("--layout", choices=[x.value for x in Layout],
                   help="how to read, instead of detecting it from the segment's bytes")

    p = command("bench", "measure mmfviewer beside the alternatives, in one run",
                [f"{PROG} bench channel", f"{PROG} bench channel --json",
                 f"{PROG} bench channel --count 50000", f"{PROG} bench gui",
                 f"{PROG} bench decode"], cmd_bench)
    p.add_argument("what", choices=["channel", "gui", "decode"],
                   help="channel: message throughput, latency, large payloads; "
                        "gui: first paint, memory, tick cost and idle CPU of the live view; "
                        "decode: a 1 MiB .NET BinaryFormatter value beside the same in msgpack")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--count", type=int, default=200_000, help="messages per throughput run (default 200000)")
    p.add_argument("--rounds", type=int, default=5,
                   help="channel: rounds of every variant, interleaved; medians and ranges are "
                        "reported (default 5)")

    p = command("rm", "remove named segments (processes that map them keep their view)",
                [f"{PROG} rm news-channel", f"{PROG} rm a b c"], cmd_rm)
    p.add_argument("names", nargs="+", metavar="NAME", help="segment names")
    return parser


def _positive_seconds(text: str) -> float:
    """An interval in seconds: a number above 0 (argparse turns the error into usage)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not value > 0 or value != value or value == float("inf"):
        raise argparse.ArgumentTypeError(f"an interval must be more than 0 seconds, got {text}")
    return value


def _add_target(p: argparse.ArgumentParser) -> None:
    p.add_argument("name", nargs="?", metavar="NAME", help="segment name (as given to shm_open)")
    p.add_argument("--file", metavar="PATH", help="a file-backed mapping instead of a named segment")


def _target(args: argparse.Namespace) -> tuple[str | None, str | None]:
    """(name, path): exactly one of NAME and --file must be given."""
    if (args.name is None) == (args.file is None):
        raise UsageError(f"give a segment NAME or --file PATH (see '{PROG} {args.command} --help')")
    # A name as ls shows it: escapes stand for the bytes they replaced.
    return (parse_name(args.name) if args.name is not None else None), args.file


# ---------------------------------------------------------------------- commands

def cmd_gui(args: argparse.Namespace) -> int:
    from .qt.app import run_gui  # Qt loads only when the GUI is asked for

    if args.refresh_ms is not None and not 16 <= args.refresh_ms <= 5000:
        raise UsageError("--refresh-ms must be between 16 and 5000")
    if args.history is not None and args.history < 1:
        raise UsageError("--history must be at least 1")
    return run_gui([parse_name(n) for n in args.names], args.file, refresh_ms=args.refresh_ms,
                   read_write=args.read_write,
                   screenshot=args.screenshot, ticks=max(args.ticks, 1), place=args.place, title=args.title,
                   history=args.history)


def cmd_demo(args: argparse.Namespace) -> int:
    from .qt.app import has_display, run_gui

    if not args.screenshot and not has_display():
        raise MmfError("there is no display to show the demo's windows on (DISPLAY is not set); "
                       f"try '{PROG} demo --peer headless --screenshot demo.png'")
    name = args.name
    try:
        Channel.create(name, lanes=args.lanes).close()
        print(f"created channel {quoted(name)} ({args.lanes} lanes)", file=sys.stderr)
    except SegmentExistsError:
        with Segment.open(name) as seg:
            if detect_layout(seg) != Layout.CHANNEL:
                raise MmfError(f"{quoted(name)} exists and is not a channel; name another: {PROG} demo NAME") from None
        print(f"using the existing channel {quoted(name)}", file=sys.stderr)
    with Channel.open(name) as ch, ch.writer("demo", access="syscall") as writer:  # something to see at once
        writer.send({"title": "Hello",
                     "content": f"from the demo (pid {os.getpid()}): type below and press Ctrl+Enter"})
    peer_cmd = [sys.executable, "-m", "mmfviewer"]
    if args.peer == "headless":
        peer_cmd += ["peer", name]
    else:
        peer_cmd += ["gui", name, "--read-write", "--place", "right", "--title", "window B"]
        if args.screenshot:
            root, ext = os.path.splitext(args.screenshot)
            peer_cmd += ["--screenshot", f"{root}-peer{ext or '.png'}", "--ticks", str(args.ticks)]
    peer = subprocess.Popen(peer_cmd, stdout=subprocess.DEVNULL)
    try:
        status = run_gui([name], read_write=True, place="left", title="window A",
                         screenshot=args.screenshot, ticks=max(args.ticks, 1))
    finally:
        if args.peer == "headless":
            peer.terminate()
        elif args.screenshot:
            peer.wait(120)
    print(f"the channel {quoted(name)} stays for the other window; remove it with: "
          f"{PROG} rm {printable(name)}",
          file=sys.stderr)
    return status


def cmd_peer(args: argparse.Namespace) -> int:
    from .peer import run_peer

    try:
        echoed = run_peer(args.name, interval=args.interval, count=args.count,
                          say=lambda line: print(line, file=sys.stderr, flush=True))
    except KeyboardInterrupt:
        return 0
    print(f"echoed {echoed} messages", file=sys.stderr)
    return 0


def cmd_ls(args: argparse.Namespace) -> int:
    segments, hidden = survey()
    layouts = [layout_label(s) for s in segments]
    if args.json:
        print(json.dumps([{**s.to_json(), "layout": layout} for s, layout in zip(segments, layouts, strict=True)],
                         indent=2))
        return 0
    if not segments:
        print("no shared-memory segments")
    else:
        rows = [("NAME", "SIZE", "LAYOUT", "OWNER", "MODE", "MODIFIED", "ATTACHED")]
        for s, layout in zip(segments, layouts, strict=True):
            row = SegmentRow.of(s, layout_display(layout))
            rows.append((row.name + ("" if s.readable or s.deleted else " (no access)"), row.size,
                         row.layout, row.owner, row.mode, row.modified, row.attached))
        _print_table(rows)
    if hidden:
        print(f"({hidden} process{'es' if hidden > 1 else ''} could not be inspected "
              "(permission denied); their attachments are not shown)", file=sys.stderr)
    return 0


def cmd_create(args: argparse.Namespace) -> int:
    name, path = _target(args)
    mode = parse_mode(args.mode)
    channel = args.layout == Layout.CHANNEL
    if args.size is None and not channel:
        raise UsageError(f"--size is required (see '{PROG} create --help')")
    size = parse_size(args.size) if args.size is not None else segment_size(args.lanes, DEFAULT_CAPACITY)
    capacity = None
    if channel:
        validate_dimensions(args.lanes, MIN_CAPACITY)
        if args.size is not None:
            # --size is what the lanes' rings share; the headers come on top (128 bytes,
            # and 256 per lane), so "8 lanes, 8 MiB" gives 1 MiB lanes, none wasted.
            capacity = ring_capacity_for(size, args.lanes)
            size = segment_size(args.lanes, capacity)
    if path is not None:
        if os.path.exists(path):
            raise MmfError(f"file {quoted(path)} already exists; '{PROG} info --file {printable(path)}' shows it")
        seg = Segment.from_file(path, size, readonly=False, mode=mode)
    else:
        assert name is not None  # the parser asks for a name or --file
        seg = Segment.create(name, size, mode=mode)
    with seg:
        what = ""
        if channel:
            try:
                ch = Channel.format(seg, args.lanes, capacity, zero=False)  # just created: all zeros
            except BaseException:
                seg.unlink()
                raise
            what = f", a channel of {ch.lanes} lanes x {format_size(ch.capacity)}"
        print(f"created {seg.label}: {seg.size} bytes ({format_size(seg.size)}){what}, "
              f"mode {mode:04o}, at {printable(seg.path)}")
    return 0


def cmd_info(args: argparse.Namespace) -> int:
    name, path = _target(args)
    info = segment_info(name) if path is None else segment_info(path=path)
    layout, lanes, value = _describe_layout(name, path) if info.readable else (None, [], None)
    if args.json:
        extra = {} if value is None else {"value": value}
        word = value.pop("layout") if value else layout
        _print_json({**info.to_json(), "layout": word, "lanes": lanes, **extra}, indent=2)
        return 0
    for key, field in _info_fields(info):
        print(f"{key + ':':<10} {field}")
    if layout is not None:
        print(f"{'layout:':<10} {layout}")
    if value is not None:
        print(f"{'value:':<10} {printable(value['text']) if 'text' in value else value['error']}")
    for lane in lanes:
        owner = (f"pid {lane['owner_pid']} {quoted(lane['owner_name'])} "
                 f"({'writing' if lane['claimed'] else 'gone'})" if lane["owner_pid"] else "never used")
        print(f"  lane {lane['lane']}: {lane['messages']} messages, {owner}")
    return 0


def _describe_layout(name: str | None, path: str | None) -> tuple[str, list[dict[str, Any]],
                                                                  dict[str, Any] | None]:
    """The detected layout; for a channel the state of each lane; for a value layout
    the value (``text``, ``length``, ``json``) or why it cannot be read (``error``)."""
    with _open(name, path, readonly=True) as seg:
        layout = detect_layout(seg)
        if layout.holds_a_value:
            try:
                decoded = read_value(seg, layout)[1]
            except FormatError as err:
                return layout.label, [], {"layout": layout.value, "error": str(err)}
            return layout.label, [], {"layout": layout.value, "text": decoded.text,
                                      "length": decoded.length, "json": decoded.json}
        if layout != Layout.CHANNEL:
            return layout.label, [], None
        try:
            ch = Channel.attach(seg, timeout=0)
        except FormatError as err:
            return f"channel (unreadable: {err})", [], None
        states = ch.lane_states()
        lanes = [{"lane": st.lane, "owner_pid": st.owner_pid, "owner_name": st.owner_name,
                  "claimed": ch.lane_is_claimed(st.lane), "messages": st.message_count,
                  "heartbeat_ns": st.heartbeat_ns} for st in states]
        text = (f"channel, format v{ch.header.version}, {ch.lanes} lanes x "
                f"{format_size(ch.capacity)}, messages up to {format_size(ch.max_payload)}")
        return text, lanes, None


def _info_fields(info: SegmentInfo) -> list[tuple[str, str]]:
    size = info.size or 0
    attached = [f"{a.pid} {a.command} ({'mapped' if a.mapped else ''}"
                f"{', ' if a.mapped and a.open_fd else ''}{'fd open' if a.open_fd else ''})"
                for a in info.attached]
    attached = [printable(a) for a in attached]
    return [
        ("name", printable(info.name)),
        ("path", printable(info.path)),
        ("size", f"{size} bytes ({format_size(size)})"),
        ("owner", f"{info.owner} (uid {info.uid})"),
        ("mode", info.mode_text),
        ("modified", file_time(info.modified)),
        ("access", f"{info.access_text} (for you)"),
        ("attached", "\n           ".join(attached) if attached else
         "no process maps it" if not info.uninspected else
         f"no process we may look into maps it ({info.uninspected} could not be inspected)"),
    ]


def cmd_dump(args: argparse.Namespace) -> int:
    name, path = _target(args)
    offset = parse_size(args.offset, what="offset")
    with _open(name, path, readonly=True) as seg:
        size = seg.current_size()
        if size == 0:
            print(f"{PROG}: {seg.label} is empty (0 bytes)", file=sys.stderr)
            return 0
        if offset >= size:
            raise SegmentBoundsError(
                f"offset {offset} is past the end of {seg.label} ({size} bytes)")
        length = size - offset if args.length is None else parse_size(args.length, what="length")
        end = min(offset + length, size)
        pos = offset
        out = sys.stdout
        while pos < end:
            chunk = seg.read(pos, min(DUMP_CHUNK, end - pos))
            if not chunk:
                break
            out.write("\n".join(hexdump_lines(chunk, pos)) + "\n")
            pos += len(chunk)
        if pos < end:
            print(f"{PROG}: {seg.label} ended at {pos} bytes while being read "
                  "(another process truncated it)", file=sys.stderr)
    return 0


def cmd_write(args: argparse.Namespace) -> int:
    if args.name is not None:  # "write NAME --file DATA": --file is the data source
        name, path, source = args.name, None, args.from_file or args.file
        if args.from_file and args.file:
            raise UsageError("give the data once: --file or --from-file, not both")
    else:
        name, path, source = None, args.file, args.from_file
        if path is None:
            raise UsageError(f"give a segment NAME or --file PATH (see '{PROG} write --help')")
    if args.text is not None:
        data = args.text.encode("utf-8")
    elif args.hex is not None:
        data = parse_hex_bytes(args.hex)
    elif source is not None:
        with open(source, "rb") as f:
            data = f.read()
    else:
        raise UsageError(f"say what to write: --text, --hex or --file (see '{PROG} write --help')")
    offset = parse_size(args.offset, what="offset")
    with _open(name, path, readonly=False) as seg:
        seg.write(offset, data)
        print(f"wrote {len(data)} bytes at offset {offset} of {seg.label}")
    return 0


def cmd_send(args: argparse.Namespace) -> int:
    name, path = _target(args)
    if args.title is not None:
        value: Any = {"title": args.title, "content": args.content}
    elif args.json is not None:
        try:
            value = json.loads(args.json)
        except json.JSONDecodeError as err:
            raise FormatError(f"--json is not valid JSON: {err.msg} at character {err.pos}") from None
    else:
        value = args.text
    if args.assembly is not None and args.dotnet_class is None:
        raise UsageError("--assembly goes with --class (the .NET class to write)")
    shape = None
    if args.dotnet_class is not None:
        if not isinstance(value, dict):
            raise UsageError("a .NET object's members come from --title/--content or a --json object")
        shape = ClassShape.for_values(args.dotnet_class, args.assembly or "", value)
    with _open(name, path, readonly=False) as seg:
        layout = Layout(args.layout) if args.layout else detect_layout(seg)
        if shape is not None and not args.layout:
            if layout != Layout.DOTNET and (layout != Layout.RAW or any(seg.read(0, WINDOW))):
                raise MmfError(f"{seg.label} holds {layout.label} data, which --class would overwrite; "
                               "add --layout dotnet to do it anyway")
            layout = Layout.DOTNET
        if (layout == Layout.TEXT and not args.layout and args.text is None
                and looks_like_one_msgpack_value(seg.read(0, WINDOW))):
            layout = Layout.MAILBOX  # "*" is text, and the msgpack number 42: a value is meant
        if layout == Layout.RAW:
            if any(seg.read(0, WINDOW)):  # bytes of unknown meaning: never overwrite by guess
                raise MmfError(f"{seg.label} holds bytes of no known layout and sending would overwrite "
                               "them; choose --layout mailbox or --layout text to do it anyway")
            # a fresh, all-zero segment: the form says what the user means
            layout = Layout.TEXT if args.text is not None else Layout.MAILBOX
        with Sender(seg, layout, name=PROG, dotnet_shape=shape) as sender:
            done = sender.send_text(value) if args.text is not None else sender.send(value)
        print(f"{done} of {seg.label}")
    return 0


def cmd_listen(args: argparse.Namespace) -> int:
    name, path = _target(args)
    opened = [_open(name, path, readonly=True)]  # the last is the one followed now
    try:
        while True:
            seg = opened[-1]
            layout = Layout(args.layout) if args.layout else detect_layout(seg)
            if layout == Layout.CHANNEL:
                with Channel.attach(seg, own=False) as ch:
                    return _listen_channel(ch, args)
            if not _listen_value(opened, layout, args, follow_layout=args.layout is None):
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
                        _print_json({"ts": time.time_ns(), "layout": kind.value, "value": value.json})
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
        _print_json(record)
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


def _print_json(obj: Any, **options: Any) -> None:
    """Print ``obj`` as JSON. The items of very large arrays (:class:`JsonItems`) are
    written a slice at a time, so their text is never whole in memory."""
    large: list[JsonItems] = []

    def default(item: Any) -> Any:
        if isinstance(item, JsonItems):
            large.append(item)
            return f"\0items {len(large) - 1}\0"  # a stand-in, replaced below
        return _json_default(item)
    text = json.dumps(obj, default=default, **options)
    write = sys.stdout.write
    for i, items in enumerate(large):
        before, text = text.split(json.dumps(f"\0items {i}\0"), 1)
        write(before + "[")
        for k, part in enumerate(items.parts()):
            write((", " if k else "") + json.dumps(part, default=_json_default)[1:-1])
        write("]")
    write(text + "\n")


def _json_default(obj: Any) -> Any:
    """msgpack values JSON lacks: bytes as {"$bytes": hex}; anything else as its repr."""
    if isinstance(obj, (bytes, bytearray, memoryview)):
        return {"$bytes": bytes(obj).hex()}
    if isinstance(obj, msgpack.ExtType):
        return {"$ext": obj.code, "data": obj.data.hex()}
    return repr(obj)


def cmd_bench(args: argparse.Namespace) -> int:
    progress = (lambda s: None) if args.json else (lambda s: print(f"running {s} ...", file=sys.stderr))
    if args.what == "decode":
        from .bench_decode import format_decode_report, run_decode_bench

        result = run_decode_bench(progress=progress)
        print(json.dumps(result, indent=2) if args.json else format_decode_report(result))
        return 0
    if args.what == "gui":
        from .qt.bench_gui import format_gui_report, run_gui_bench  # Qt only when asked

        result = run_gui_bench(progress=progress)
        print(json.dumps(result, indent=2) if args.json else format_gui_report(result))
        return 0
    from .bench import format_channel_report, run_channel_bench

    result = run_channel_bench(n=args.count, rounds=args.rounds, progress=progress)
    print(json.dumps(result, indent=2) if args.json else format_channel_report(result))
    return 0


def cmd_rm(args: argparse.Namespace) -> int:
    for name in map(parse_name, args.names):
        try:
            users = ", ".join(printable(str(a)) for a in segment_info(name).attached)
        except SegmentNotFoundError:
            if not os.path.lexists(shm_path(name)):
                raise
            users = ""  # a link that leads nowhere: the name can still go
        except SegmentError:
            users = ""  # a link or a FIFO someone put there: removing the name is still right
        unlink_segment(name)
        note = f" (still mapped by {users}; they keep their view until they close it)" if users else ""
        print(f"removed {quoted(name)}{note}")
    return 0


# ---------------------------------------------------------------------- plumbing

def _open(name: str | None, path: str | None, *, readonly: bool) -> Segment:
    if path is not None:
        return Segment.from_file(path, readonly=readonly)
    return Segment.open(name or "", readonly=readonly)


def _print_table(rows: Sequence[tuple[str, ...]]) -> None:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    # Names in /dev/shm may be any bytes; never die printing one.
    for stream in (sys.stdout, sys.stderr):
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="backslashreplace")
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        if args.command is None:  # plain `mmfviewer` is the desktop app
            args = parser.parse_args(["gui", *([] if argv is None else argv)])
        status: int = args.run(args)
        return status
    except UsageError as err:
        print(f"{PROG}: {err}", file=sys.stderr)
        return 2
    except MmfError as err:
        print(f"{PROG}: {err}", file=sys.stderr)
        return 1
    except BrokenPipeError:
        # the reader of our output went away (| head); not an error worth a word
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except OSError as err:  # e.g. the --file data source is missing
        where = f": {err.filename}" if err.filename else ""
        print(f"{PROG}: {err.strerror or err}{where}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
