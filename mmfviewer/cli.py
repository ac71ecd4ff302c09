"""The command line: ``mmfviewer COMMAND ...``, mirroring what the GUI does.

User mistakes (missing segment, bad name, bad size, offset past the end, permission
denied) end with exit status 1 and one line ``mmfviewer: <what went wrong>`` on
stderr, never a traceback; command-line usage errors end with status 2.

This module is the grammar (every command, its options and examples) and
:func:`main`, which runs a command and turns errors into those exit statuses; the
commands themselves are in ``cli_segments`` (ls, create, info, dump, write, send,
rm), ``cli_structs`` (dump --struct, watch), ``cli_listen`` (listen) and ``cli_apps``
(gui, demo, peer, bench).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence

from . import __version__
from .cli_apps import cmd_bench, cmd_demo, cmd_gui, cmd_install_desktop, cmd_peer
from .cli_common import PROG, UsageError
from .cli_listen import cmd_listen
from .cli_segments import cmd_create, cmd_dump, cmd_info, cmd_ls, cmd_rm, cmd_send, cmd_write
from .cli_structs import cmd_dump_struct, cmd_watch
from .codec import Layout
from .errors import MmfError
from .units import SIZE_HELP
from .wire import DEFAULT_LANES

#: What ``--layout`` accepts: each :class:`Layout`'s value (``chosen_layout`` reads it back).
LAYOUT_CHOICES = [layout.value for layout in Layout]


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
            f"{PROG} dump sensor --struct defs.h:sample    # the fields of a C struct",
            f"{PROG} watch sensor --struct defs.h:sample --seq seq",
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
    _add_color_scheme(p)
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
    _add_color_scheme(p, "both windows: ")

    p = command("install-desktop", "put mmfviewer in the desktop's application menu (this user only)",
                [f"{PROG} install-desktop", f"{PROG} install-desktop --remove"], cmd_install_desktop)
    p.add_argument("--remove", action="store_true", help="take the menu entry and icon away again")
    p.epilog = ("writes applications/mmfviewer.desktop and icons/hicolor/scalable/apps/mmfviewer.svg\n"
                "under $XDG_DATA_HOME (default ~/.local/share); the entry starts this very mmfviewer.\n\n"
                + (p.epilog or ""))

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
    p.add_argument("--layout", choices=LAYOUT_CHOICES, default=Layout.RAW.value,
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

    p = command("dump", "print a segment's bytes as a hexdump, or as the fields of a C structure",
                [f"{PROG} dump news-channel", f"{PROG} dump news-channel --offset 0x100 --length 64",
                 f"{PROG} dump --file /tmp/map.bin --length 1KiB",
                 f"{PROG} dump sensor --struct defs.h:sample",
                 f"{PROG} dump sensor --struct 'defs.h:struct sample' --offset 0x40",
                 f"{PROG} dump sensor --struct defs.h:slot --count 8 --stride 64   # an array of 8",
                 f"{PROG} dump sensor --struct defs.h:sample --json | jq '.fields[] | select(.path == \"temp\")'"],
                _dump)
    p.description = (
        "Print a segment's bytes as a hexdump, or with --struct as the fields of a C structure\n"
        "that a header declares, laid out as gcc lays it out on x86-64 and AArch64 Linux: one\n"
        "row per field, indented as nested, with its type, its offset in the segment and its\n"
        "value. A bitfield's offset is BYTE:BIT. A field that changed while it was read (another\n"
        "process was writing) is marked so; 'watch --seq' reads a structure its writer guards\n"
        "with a sequence counter consistently.")
    _add_target(p)
    p.add_argument("--offset", default="0", help="first byte to show, or where the structure starts "
                                                 "(decimal, 0x hex or 4KiB)")
    p.add_argument("--length", default=None, help="how many bytes (default: to the end)")
    p.add_argument("--struct", metavar="HEADER:TYPE",
                   help="show the fields of TYPE (struct x, x, or a typedef) declared in the C header "
                        "HEADER, instead of a hexdump; split at the last colon")
    p.add_argument("--count", type=int, help="with --struct: an array of this many, one after another")
    p.add_argument("--stride", metavar="BYTES",
                   help="with --count: bytes from one element's start to the next (default: the type's size)")
    p.add_argument("--json", action="store_true",
                   help="with --struct: one JSON object, {segment, type, offset, size, count, stride, "
                        "fields}, where fields is a flat list of {path, type, offset, size, value, text}, one "
                        "per value, offsets in the segment (bitfields add bit_offset and bit_width; a field "
                        "that changed while read, unstable: true). A flat list, not an object nested like "
                        "the struct: it keeps every field's offset and type, union members and array "
                        "elements included, and a script finds a field by the same path 'watch --field' "
                        "takes")

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
    p.add_argument("--layout", choices=LAYOUT_CHOICES,
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
    p.add_argument("--layout", choices=LAYOUT_CHOICES,
                   help="how to read, instead of detecting it from the segment's bytes")

    p = command("watch", "print the fields of a C structure in a segment whenever they change",
                [f"{PROG} watch sensor --struct defs.h:sample",
                 f"{PROG} watch sensor --struct defs.h:sample --seq seq   # the writer's seqlock",
                 f"{PROG} watch sensor --struct defs.h:sample --field temp --field pump.state",
                 f"{PROG} watch sensor --struct defs.h:sample --offset 0x40 --interval 1 --count 10",
                 f"{PROG} watch sensor --struct defs.h:sample --json | jq -c 'select(.field == \"temp\")'"],
                cmd_watch)
    p.description = (
        "Look at a C structure in a segment every --interval seconds and print a line whenever\n"
        "a watched field changes: the time, the field, and its old -> new value (the first look\n"
        "prints every watched field's value). Ctrl+C, SIGTERM or --count ends it; the counts\n"
        "'N reads, T torn, R retries' then go to stderr.\n\n"
        "A read can catch the writer halfway through an update, some fields old and some new\n"
        "(a torn read). If the writer keeps a sequence counter that it makes odd before an update\n"
        "and even after (a seqlock), name it with --seq: each look then reads the counter, the\n"
        "structure and the counter again, and tries again for up to 2 ms until both agree and\n"
        "are even; a look that never gets a consistent copy says it was torn and shows no values.\n"
        "Without --seq each look reads the structure twice, and a field that differs between the\n"
        "two is not shown until a later look finds it still; an update slower than the two reads\n"
        "can still tear both alike, which only --seq can tell.\n\n"
        "A named segment removed under the watch is waited for and followed once made again; one\n"
        "truncated short of the structure is said so, and its missing fields are skipped.")
    _add_target(p)
    p.add_argument("--struct", metavar="HEADER:TYPE", required=True,
                   help="the structure: TYPE (struct x, x, or a typedef) declared in the C header HEADER")
    p.add_argument("--offset", default="0", help="where the structure starts (decimal, 0x hex or 4KiB)")
    p.add_argument("--field", action="extend", nargs="+", metavar="PATH",
                   help="watch only these fields (a.b, temps[2]; a struct or array means all of its "
                        "fields); repeatable; default: every field")
    p.add_argument("--seq", metavar="FIELD",
                   help="the writer's sequence counter (an integer field, odd while it writes): read "
                        "consistently, and say when a read was torn")
    p.add_argument("--interval", type=_positive_seconds, default=0.1,
                   help="seconds between looks (default 0.1)")
    p.add_argument("--count", type=int, help="stop after this many looks")
    p.add_argument("--json", action="store_true",
                   help='one JSON object per line: {"time", "field", "value", "previous"} for a change '
                        '(time in seconds since 1970; previous is null at the first look), '
                        '{"time", "torn": true, "attempts"} for a torn read')

    p = command("bench", "measure mmfviewer beside the alternatives, in one run",
                [f"{PROG} bench channel", f"{PROG} bench channel --json",
                 f"{PROG} bench channel --count 50000", f"{PROG} bench gui",
                 f"{PROG} bench decode", f"{PROG} bench structures --minutes 1"], cmd_bench)
    p.add_argument("what", choices=["channel", "gui", "decode", "structures"],
                   help="channel: message throughput, latency, large payloads; "
                        "gui: first paint, memory, tick cost and idle CPU of the live view, and the "
                        "structures' figures; "
                        "decode: a 1 MiB .NET BinaryFormatter value beside the same in msgpack; "
                        "structures: a 1,000-field structure's tick beside the plain one, the plot's "
                        "frame rate, memory while watching")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--count", type=int, default=200_000, help="messages per throughput run (default 200000)")
    p.add_argument("--rounds", type=int, default=5,
                   help="channel: rounds of every variant, interleaved; medians and ranges are "
                        "reported (default 5)")
    p.add_argument("--minutes", type=float, default=10.0,
                   help="gui, structures: how long to watch 8 plotted values for the memory figure "
                        "(default 10)")

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


def _dump(args: argparse.Namespace) -> int:
    """``dump``: a hexdump, or with ``--struct`` a structure's fields."""
    if args.struct is not None:
        return cmd_dump_struct(args)
    for option, given in (("--count", args.count is not None), ("--stride", args.stride is not None),
                          ("--json", args.json)):
        if given:
            raise UsageError(f"{option} goes with --struct (see '{PROG} dump --help')")
    return cmd_dump(args)


def _add_color_scheme(p: argparse.ArgumentParser, whose: str = "") -> None:
    p.add_argument("--color-scheme", choices=["system", "light", "dark"], default="system",
                   help=f"{whose}the desktop's colours (default), or light or dark ones whatever the "
                        "desktop says")


def _add_target(p: argparse.ArgumentParser) -> None:
    p.add_argument("name", nargs="?", metavar="NAME", help="segment name (as given to shm_open)")
    p.add_argument("--file", metavar="PATH", help="a file-backed mapping instead of a named segment")


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
