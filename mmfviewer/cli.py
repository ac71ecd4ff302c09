"""The command line: ``mmfviewer COMMAND ...``, mirroring what the GUI does.

User mistakes (missing segment, bad name, bad size, offset past the end, permission
denied) end with exit status 1 and one line ``mmfviewer: <what went wrong>`` on
stderr, never a traceback; command-line usage errors end with status 2.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from typing import Callable, Sequence

from . import __version__
from .discovery import SegmentInfo, segment_info, survey
from .errors import MmfError, SegmentBoundsError
from .hextext import hexdump_lines, parse_hex_bytes
from .segment import Segment, unlink_segment
from .units import SIZE_HELP, format_size, parse_mode, parse_size

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
        description="Create, inspect and write named shared-memory segments "
                    "(POSIX shm_open objects, /dev/shm/NAME on Linux) and file-backed mappings.",
        epilog=_examples(
            f"{PROG} create news-channel --size 10000",
            f"{PROG} write news-channel --offset 0 --text 'The world is going down.'",
            f"{PROG} dump news-channel --length 64",
            f"{PROG} ls",
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

    p = command("ls", "list every shared-memory segment on this machine and who maps it",
                [f"{PROG} ls", f"{PROG} ls --json | jq '.[].name'"], cmd_ls)
    p.add_argument("--json", action="store_true", help="print a JSON array instead of a table")

    p = command("create", "create a new named segment (fails if the name exists)",
                [f"{PROG} create news-channel --size 10000",
                 f"{PROG} create big --size 1GiB --mode 640",
                 f"{PROG} create --file /tmp/map.bin --size 64KiB"], cmd_create)
    _add_target(p)
    p.add_argument("--size", required=True, help=f"size of the segment: {SIZE_HELP}")
    p.add_argument("--mode", default="600",
                   help="octal permissions (default 600: only you may read and write it)")

    p = command("info", "show a segment's size, owner, mode and attached processes",
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

    p = command("rm", "remove named segments (processes that map them keep their view)",
                [f"{PROG} rm news-channel", f"{PROG} rm a b c"], cmd_rm)
    p.add_argument("names", nargs="+", metavar="NAME", help="segment names")
    return parser


def _add_target(p: argparse.ArgumentParser) -> None:
    p.add_argument("name", nargs="?", metavar="NAME", help="segment name (as given to shm_open)")
    p.add_argument("--file", metavar="PATH", help="a file-backed mapping instead of a named segment")


def _target(args: argparse.Namespace) -> tuple[str | None, str | None]:
    """(name, path): exactly one of NAME and --file must be given."""
    if (args.name is None) == (args.file is None):
        raise UsageError(f"give a segment NAME or --file PATH (see '{PROG} {args.command} --help')")
    return args.name, args.file


# ---------------------------------------------------------------------- commands

def cmd_ls(args: argparse.Namespace) -> int:
    segments, hidden = survey()
    if args.json:
        print(json.dumps([s.to_json() for s in segments], indent=2))
        return 0
    if not segments:
        print("no shared-memory segments")
    else:
        rows = [("NAME", "SIZE", "OWNER", "MODE", "MODIFIED", "ATTACHED")]
        for s in segments:
            rows.append((
                s.name + (" (deleted)" if s.deleted else "") + ("" if s.readable or s.deleted else " (no access)"),
                format_size(s.size) if s.size is not None else "?",
                s.owner, s.mode_text if not s.deleted else "-",
                time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(s.modified)) if s.modified else "-",
                ", ".join(str(a) for a in s.attached) or "-",
            ))
        _print_table(rows)
    if hidden:
        print(f"({hidden} process{'es' if hidden > 1 else ''} could not be inspected "
              "(permission denied); their attachments are not shown)", file=sys.stderr)
    return 0


def cmd_create(args: argparse.Namespace) -> int:
    name, path = _target(args)
    size = parse_size(args.size)
    mode = parse_mode(args.mode)
    if path is not None:
        if os.path.exists(path):
            raise MmfError(f"file {path!r} already exists; '{PROG} info --file {path}' shows it")
        seg = Segment.from_file(path, size, readonly=False, mode=mode)
    else:
        seg = Segment.create(name, size, mode=mode)
    with seg:
        print(f"created {seg.label}: {seg.size} bytes ({format_size(seg.size)}), "
              f"mode {mode:04o}, at {seg.path}")
    return 0


def cmd_info(args: argparse.Namespace) -> int:
    name, path = _target(args)
    info = segment_info(name) if path is None else segment_info(path=path)
    if args.json:
        print(json.dumps(info.to_json(), indent=2))
        return 0
    for key, value in _info_fields(info):
        print(f"{key + ':':<10} {value}")
    return 0


def _info_fields(info: SegmentInfo) -> list[tuple[str, str]]:
    size = info.size or 0
    attached = [f"{a.pid} {a.command} ({'mapped' if a.mapped else ''}"
                f"{', ' if a.mapped and a.open_fd else ''}{'fd open' if a.open_fd else ''})"
                for a in info.attached]
    return [
        ("name", info.name),
        ("path", info.path),
        ("size", f"{size} bytes ({format_size(size)})"),
        ("owner", f"{info.owner} (uid {info.uid})"),
        ("mode", info.mode_text),
        ("modified", time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(info.modified))),
        ("access", f"{info.access_text} (for you)"),
        ("attached", "\n           ".join(attached) if attached else "no process maps it"),
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


def cmd_rm(args: argparse.Namespace) -> int:
    for name in args.names:
        info = segment_info(name)
        unlink_segment(name)
        users = ", ".join(str(a) for a in info.attached)
        note = f" (still mapped by {users}; they keep their view until they close it)" if users else ""
        print(f"removed {name!r}{note}")
    return 0


# ---------------------------------------------------------------------- plumbing

def _open(name: str | None, path: str | None, *, readonly: bool) -> Segment:
    if path is not None:
        return Segment.from_file(path, readonly=readonly)
    return Segment.open(name or "", readonly=readonly)


def _print_table(rows: list[tuple[str, ...]]) -> None:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip())


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    # Names in /dev/shm may be any bytes; never die printing one.
    for stream in (sys.stdout, sys.stderr):
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="backslashreplace")
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        if args.command is None:
            parser.print_help()
            return 0
        return args.run(args)
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
