"""What every command of the command line shares: the program's name, the usage
error (exit status 2), the segment a command is pointed at (NAME or ``--file``),
the layout ``--layout`` chooses, and JSON output.

Separate from :mod:`mmfviewer.cli`, which builds the parser from the commands, so
that the modules holding the commands can share these without importing it.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

import msgpack

from .codec import Layout
from .errors import MmfError
from .names import parse_name
from .segment import Segment
from .tree import JsonItems

PROG = "mmfviewer"


class UsageError(MmfError):
    """The command line itself is wrong (exit status 2)."""


def segment_target(args: argparse.Namespace) -> tuple[str | None, str | None]:
    """(name, path): exactly one of NAME and --file must be given."""
    if (args.name is None) == (args.file is None):
        raise UsageError(f"give a segment NAME or --file PATH (see '{PROG} {args.command} --help')")
    # A name as ls shows it: escapes stand for the bytes they replaced.
    return (parse_name(args.name) if args.name is not None else None), args.file


def open_segment(name: str | None, path: str | None, *, readonly: bool) -> Segment:
    """The named segment, or the file-backed mapping at ``path``."""
    if path is not None:
        return Segment.from_file(path, readonly=readonly)
    return Segment.open(name or "", readonly=readonly)


def chosen_layout(args: argparse.Namespace) -> Layout | None:
    """The layout ``--layout`` names, or None when the segment's bytes decide."""
    return None if args.layout is None else Layout(args.layout)


def print_json(obj: Any, **options: Any) -> None:
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
