"""The commands that do one thing to segments and exit: ``ls``, ``create``, ``info``,
``dump``, ``write``, ``send`` and ``rm`` (``listen``, which follows a segment as it
changes, has its own module).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from typing import Any

from .channel import Channel
from .cli_common import PROG, UsageError, chosen_layout, open_segment, print_json, segment_target
from .codec import WINDOW, Layout, detect_layout, listed_layout, looks_like_one_msgpack_value, read_value
from .discovery import SegmentInfo, segment_info, survey
from .errors import FormatError, MmfError, SegmentBoundsError, SegmentError, SegmentNotFoundError
from .hextext import hexdump_lines, parse_hex_bytes
from .names import parse_name, printable, quoted
from .nrbf_encode import ClassShape
from .presentation import SegmentRow, file_time
from .segment import Segment, shm_path, unlink_segment
from .sender import Sender
from .units import format_size, parse_mode, parse_size
from .wire import DEFAULT_CAPACITY, MIN_CAPACITY, ring_capacity_for, segment_size, validate_dimensions

DUMP_CHUNK = 64 * 1024  # a multiple of 16, so hexdump rows never straddle chunks


def cmd_ls(args: argparse.Namespace) -> int:
    segments, hidden = survey()
    layouts = [listed_layout(s) for s in segments]
    if args.json:
        print(json.dumps([{**s.to_json(), "layout": layout.value} for s, layout in zip(segments, layouts, strict=True)],
                         indent=2))
        return 0
    if not segments:
        print("no shared-memory segments")
    else:
        rows = [("NAME", "SIZE", "LAYOUT", "OWNER", "MODE", "MODIFIED", "ATTACHED")]
        for s, layout in zip(segments, layouts, strict=True):
            row = SegmentRow.of(s, layout.label)
            rows.append((row.name + ("" if s.readable or s.deleted else " (no access)"), row.size,
                         row.layout, row.owner, row.mode, row.modified, row.attached))
        _print_table(rows)
    if hidden:
        print(f"({hidden} process{'es' if hidden > 1 else ''} could not be inspected "
              "(permission denied); their attachments are not shown)", file=sys.stderr)
    return 0


def _print_table(rows: Sequence[tuple[str, ...]]) -> None:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())


def cmd_create(args: argparse.Namespace) -> int:
    name, path = segment_target(args)
    mode = parse_mode(args.mode)
    channel = chosen_layout(args) == Layout.CHANNEL
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
    name, path = segment_target(args)
    info = segment_info(name) if path is None else segment_info(path=path)
    layout, lanes, value = _describe_layout(name, path) if info.readable else (None, [], None)
    if args.json:
        extra = {} if value is None else {"value": value}
        word = value.pop("layout") if value else layout
        print_json({**info.to_json(), "layout": word, "lanes": lanes, **extra}, indent=2)
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
    with open_segment(name, path, readonly=True) as seg:
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
    name, path = segment_target(args)
    offset = parse_size(args.offset, what="offset")
    with open_segment(name, path, readonly=True) as seg:
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
    with open_segment(name, path, readonly=False) as seg:
        seg.write(offset, data)
        print(f"wrote {len(data)} bytes at offset {offset} of {seg.label}")
    return 0


def cmd_send(args: argparse.Namespace) -> int:
    name, path = segment_target(args)
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
    with open_segment(name, path, readonly=False) as seg:
        chosen = chosen_layout(args)
        layout = chosen or detect_layout(seg)
        if shape is not None and chosen is None:
            if layout != Layout.DOTNET and (layout != Layout.RAW or any(seg.read(0, WINDOW))):
                raise MmfError(f"{seg.label} holds {layout.label} data, which --class would overwrite; "
                               "add --layout dotnet to do it anyway")
            layout = Layout.DOTNET
        if (layout == Layout.TEXT and chosen is None and args.text is None
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
