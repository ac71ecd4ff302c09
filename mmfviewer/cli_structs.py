"""``dump --struct`` and ``watch``: a segment's bytes as the fields of a C structure that
a header declares, printed once like a debugger's ``print``, or line by line as they
change, read consistently (:mod:`mmfviewer.struct_reads`).
"""

from __future__ import annotations

import argparse
import difflib
import math
import signal
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from types import FrameType
from typing import Any

from .c_header import header_file_text, read_header
from .c_types import CType
from .cli_common import PROG, UsageError, open_segment, print_json, segment_target
from .errors import MmfError, SegmentBoundsError, SegmentError
from .names import printable, quoted
from .presentation import clock_time
from .segment import Segment
from .struct_fields import MAX_LIVE_BYTES, Field, FieldTable, span_of
from .struct_reads import StructRead, StructReader, same_value
from .units import parse_size

#: ``dump --struct`` copies the structure twice: no more than this.
MAX_DUMP_BYTES = 256 << 20


@dataclass(frozen=True)
class Structure:
    """What ``--struct HEADER:TYPE`` (with ``--offset``, ``--count``, ``--stride``) names."""

    header: str
    type_name: str
    ctype: CType
    offset: int
    count: int
    stride: int

    @property
    def span(self) -> int:
        """The bytes the structure (or the array of them) covers."""
        return span_of(self.ctype.size, self.count, self.stride)

    def describe(self) -> str:
        """``struct state at 0x40`` or ``3 x struct slot, 16 bytes apart, at 0x0``."""
        what = self.ctype.name if self.count == 1 else \
            f"{self.count} x {self.ctype.name}, {self.stride} bytes apart,"
        return f"{what} at 0x{self.offset:x}"


def structure(args: argparse.Namespace, *, count: int = 1, stride: str | None = None) -> Structure:
    """The structure the command line names; every mistake a one-line error."""
    spec: str = args.struct
    header, _, type_name = spec.rpartition(":")  # the last colon: a path may hold colons
    if not header or not type_name.strip():
        raise UsageError(f"--struct takes HEADER:TYPE, such as defs.h:sample or 'defs.h:struct sample'; "
                         f"got {quoted(spec)}")
    ctype = load_type(header, type_name)
    if ctype.size == 0:
        raise MmfError(f"{ctype.name} in {quoted(header)} has no size (nothing but a flexible array?)")
    offset = parse_size(args.offset, what="offset")
    if count < 1:
        raise UsageError(f"--count must be at least 1, got {count}")
    step = ctype.size if stride is None else parse_size(stride, what="stride")
    if step < ctype.size and count > 1:
        raise UsageError(f"--stride {step} is less than the size of {ctype.name} ({ctype.size} bytes): "
                         "the elements would overlap")
    return Structure(header, type_name.strip(), ctype, offset, count, step)


def load_type(header: str, type_name: str) -> CType:
    """Read ``header`` and find ``type_name`` in it ("struct x", "x" or a typedef)."""
    text = header_file_text(header)
    # The name goes into pycparser's #line directive and into messages: keep it tame.
    shown = printable(header).replace('"', "'").replace("\\", "/")
    try:
        decls = read_header(text, shown)
    except ValueError as err:  # HeaderError, LayoutError: the message says where and why
        raise MmfError(_tame(str(err))) from None
    try:
        return decls.resolve(type_name)
    except ValueError as err:
        raise MmfError(f"{shown}: {_tame(str(err))}") from None


def _tame(message: str) -> str:
    """``message`` with what is not printable escaped (a header's ``#error`` text may hold
    anything); quotes and backslashes stay as they are."""
    return "".join(ch if ch.isprintable() else printable(ch) for ch in message)


def _check_fits(seg: Segment, where: Structure) -> None:
    size = seg.current_size()
    end = where.offset + where.span
    if end > size:
        raise SegmentBoundsError(
            f"{where.describe()} takes {where.span} bytes, to byte {end} (0x{end:x}), but {seg.label} "
            f"has {size} bytes" + (f"; the last offset it fits at is {size - where.span}" if size >= where.span
                                   else ""))


# ---------------------------------------------------------------------- dump --struct


def cmd_dump_struct(args: argparse.Namespace) -> int:
    """``dump NAME --struct HEADER:TYPE``: every field, once."""
    name, path = segment_target(args)
    if args.length is not None:
        raise UsageError("--length is for a hexdump; with --struct the type says how many bytes "
                         "(--count N for an array of them)")
    where = structure(args, count=1 if args.count is None else args.count, stride=args.stride)
    if where.span > MAX_DUMP_BYTES:
        raise UsageError(f"{where.describe()} is {where.span} bytes; dump --struct reads at most "
                         f"{MAX_DUMP_BYTES} (--offset and a smaller type or --count show a part)")
    with open_segment(name, path, readonly=True) as seg:
        _check_fits(seg, where)
        table = FieldTable(where.ctype, where.count, where.stride)
        got = StructReader(seg, table, where.offset).read()
        if len(got.data) < where.span:
            print(f"{PROG}: {seg.label} ended at byte {where.offset + len(got.data)} while being read "
                  "(another process truncated it)", file=sys.stderr)
        if args.json:
            print_json(_dump_json(seg, where, table, got), indent=2)
        else:
            sys.stdout.writelines(line + "\n" for line in _tree_lines(seg, where, table, got))
        shown = sum(1 for f in table.rows if f.depth == 0) if where.count > 1 else 1
        if shown < where.count:
            print(f"{PROG}: showing the first {shown} of {where.count} elements (a table holds at most "
                  f"{len(table.rows)} rows)", file=sys.stderr)
    return 0


def _tree_lines(seg: Segment, where: Structure, table: FieldTable, got: StructRead) -> Iterator[str]:
    """A headline, then one row per field: indented name, type, offset in the segment,
    value (leaves only); a field that changed while it was read says so."""
    yield f"{where.describe()} ({where.span} bytes) of {seg.label}"
    skip_top = where.count == 1 and not table.rows[0].is_leaf  # the headline names it
    rows = [(i, f) for i, f in enumerate(table.rows) if not (skip_top and i == 0)]
    depth0 = 1 if skip_top else 0
    digits = max(4, len(f"{where.offset + where.span:x}"))
    cells = []
    for i, f in rows:
        label = "  " * (f.depth - depth0 + 1) + f.label
        at = f"0x{where.offset + f.offset:0{digits}x}" + (f":{f.bit_offset}" if f.bit_offset is not None else "")
        value = ""
        n = table.leaf_number(i)
        if n is not None:
            value = table.text(i, got.values[n]) + ("  (changed while read)" if n in got.unstable else "")
        cells.append((label, f.type_name, at, value))
    widths = [max((len(c[k]) for c in cells), default=0) for k in range(3)]
    for label, type_name, at, value in cells:
        yield f"{label:<{widths[0]}}  {type_name:<{widths[1]}}  {at:<{widths[2]}}  {value}".rstrip()


def _dump_json(seg: Segment, where: Structure, table: FieldTable, got: StructRead) -> dict[str, Any]:
    fields = []
    for n, row in enumerate(table.leaves):
        f = table.rows[row]
        item: dict[str, Any] = {"path": table.path_of(row), "type": f.type_name,
                                "offset": where.offset + f.offset, "size": f.size}
        if f.bit_offset is not None:
            item["bit_offset"], item["bit_width"] = f.bit_offset, f.bit_width
        item["value"] = json_value(f, got.values[n])
        item["text"] = table.text(row, got.values[n])
        if n in got.unstable:
            item["unstable"] = True
        fields.append(item)
    return {"segment": seg.name if seg.name is not None else seg.path, "type": where.ctype.name,
            "offset": where.offset, "size": where.ctype.size, "count": where.count, "stride": where.stride,
            "fields": fields}


def json_value(f: Field, value: object) -> object:
    """A leaf's value as JSON has it: numbers and booleans as they are, a ``char[N]`` as
    its text up to the first NUL, other bytes as hex, NaN and infinities as strings."""
    if isinstance(value, float) and not math.isfinite(value):
        return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    if isinstance(value, bytes):
        if f.kind == "string":
            return value.split(b"\0", 1)[0].decode("utf-8", errors="backslashreplace")
        return value.hex()
    return value


# ---------------------------------------------------------------------- watch


class _Stop(BaseException):
    """SIGTERM: end the way Ctrl+C does, with the summary."""


def _stop(signum: int, frame: FrameType | None) -> None:
    raise _Stop


def cmd_watch(args: argparse.Namespace) -> int:
    """``watch NAME --struct HEADER:TYPE``: a line whenever a watched field changes."""
    name, path = segment_target(args)
    where = structure(args)
    if where.span > MAX_LIVE_BYTES:
        raise UsageError(f"{where.describe()} is {where.span} bytes; watch reads it whole at every look, "
                         f"so it may be at most {MAX_LIVE_BYTES} bytes (watch a smaller type: "
                         "a member's own struct, at its offset)")
    table = FieldTable(where.ctype)
    watched = _watched_leaves(table, args.field or [], where)
    seg = open_segment(name, path, readonly=True)
    try:
        _check_fits(seg, where)
        watch = _Watch(seg, _reader(seg, table, where, args.seq), where, watched, args)
    except BaseException:
        seg.close()
        raise
    previous = signal.signal(signal.SIGTERM, _stop)
    try:
        if not args.json:
            seq = f", sequence field {printable(args.seq)}" if args.seq else \
                "; no --seq, so a field caught changing waits for the next look"
            print(f"watching {len(watched)} field{'s' if len(watched) != 1 else ''} of {where.describe()} "
                  f"in {watch.seg.label} every {args.interval}s{seq}; Ctrl+C to stop", file=sys.stderr)
        try:
            watch.run()
        except (KeyboardInterrupt, _Stop):
            pass
        except BrokenPipeError:
            watch.summary()  # the reader of our output left (| head): still tell the counts
            raise
        watch.summary()
    finally:
        signal.signal(signal.SIGTERM, previous)
        watch.seg.close()
    return 0


def _reader(seg: Segment, table: FieldTable, where: Structure, seq: str | None) -> StructReader:
    try:
        return StructReader(seg, table, where.offset, sequence=seq)
    except ValueError as err:
        raise MmfError(f"--seq: {_tame(str(err))}") from None


def _watched_leaves(table: FieldTable, fields: list[str], where: Structure) -> list[int]:
    """Leaf numbers (indexes into ``table.leaves``) of the fields asked for, or of every
    leaf; a record or an array stands for every leaf in it."""
    if not fields:
        return list(range(len(table.leaves)))
    chosen: set[int] = set()
    for path in fields:
        row = table.find(path.strip())
        if row is None:
            raise MmfError(_unknown_field(table, path, where))
        depth = table.rows[row].depth
        end = row + 1
        while end < len(table.rows) and table.rows[end].depth > depth:
            end += 1
        chosen.update(n for r in range(row, end) if (n := table.leaf_number(r)) is not None)
    return sorted(chosen)


def _unknown_field(table: FieldTable, path: str, where: Structure) -> str:
    paths = [f.path for f in table.rows if f.path]
    close = difflib.get_close_matches(path, paths, n=5, cutoff=0.5)
    known = f"did you mean {', '.join(close)}?" if close else \
        "its fields: " + ", ".join(paths[:20]) + (", ..." if len(paths) > 20 else "")
    return f"--field: no field {quoted(path)} in {where.ctype.name}; {known}"


class _Watch:
    """The segment watched, the watched fields' last values, and how every look is told."""

    def __init__(self, seg: Segment, reader: StructReader, where: Structure, watched: list[int],
                 args: argparse.Namespace) -> None:
        self.seg = seg
        self.reader = reader
        self.table = table = reader.table
        self.where = where
        self.watched = watched
        self.args = args
        self.as_json: bool = args.json
        self.shown: dict[int, object] = {}
        self.width = max((len(table.path_of(table.leaves[n])) for n in watched), default=0)
        # Counts of earlier readers (a segment made again gets a new one).
        self.done = (0, 0, 0)
        self.unstable_reads = 0
        self.torn_run = 0

    def run(self) -> None:
        """Look every interval until --count looks are done (or Ctrl+C, SIGTERM). A
        named segment removed under us is waited for, and followed once made again."""
        args, where = self.args, self.where
        short = False
        looks = 0
        while args.count is None or looks < args.count:
            state = self.seg.state()
            if self.seg.name is not None and state.removed:
                self.done = self._counts()
                self.seg = self._wait_for_new(self.seg, args.interval)
                self.reader = StructReader(self.seg, self.table, where.offset, sequence=args.seq)
                continue
            need = where.offset + where.span
            if (state.size < need) != short:
                short = not short
                print(f"{PROG}: {self.seg.label} is now {state.size} bytes, short of the {need} that "
                      f"{where.describe()} needs: fields past its end are not shown until it grows back"
                      if short else f"{PROG}: {self.seg.label} is {state.size} bytes again: every field is read",
                      file=sys.stderr, flush=True)
            self.show(self.reader.read())
            looks += 1
            sys.stdout.flush()
            if args.count is None or looks < args.count:
                time.sleep(args.interval)

    def show(self, got: StructRead) -> None:
        now = time.time_ns()
        if got.torn:
            self.torn_run += 1
            if self.torn_run == 1:
                self._torn(now, got.attempts)
            return
        if self.torn_run > 1 and not self.as_json:
            print(f"{clock_time(now)}  -- consistent again after {self.torn_run} torn reads in a row")
        self.torn_run = 0
        self.unstable_reads += bool(got.unstable)
        for n in self.watched:
            value = got.values[n]
            if value is None or n in got.unstable:
                continue  # past the end, or caught changing: not a value to tell
            before = self.shown.get(n, _NOTHING)
            if before is not _NOTHING and same_value(before, value):
                continue
            self.shown[n] = value
            self._changed(now, n, before, value)

    def _changed(self, now: int, n: int, before: object, value: object) -> None:
        row = self.table.leaves[n]
        f = self.table.rows[row]
        path = self.table.path_of(row)
        if self.as_json:
            print_json({"time": round(now / 1e9, 6), "field": path, "value": json_value(f, value),
                        "previous": None if before is _NOTHING else json_value(f, before)})
            return
        text = self.table.text(row, value)
        change = text if before is _NOTHING else f"{self.table.text(row, before)} -> {text}"
        print(f"{clock_time(now)}  {path:<{self.width}}  {change}")

    def _torn(self, now: int, attempts: int) -> None:
        if self.as_json:
            print_json({"time": round(now / 1e9, 6), "torn": True, "attempts": attempts})
            return
        budget_ms = self.reader.budget_s * 1000
        print(f"{clock_time(now)}  -- torn read: the writer was mid-update all through {budget_ms:g} ms "
              f"({attempts} tries); values not shown")

    def _counts(self) -> tuple[int, int, int]:
        r = self.reader
        return self.done[0] + r.reads, self.done[1] + r.torn, self.done[2] + r.retries

    def summary(self) -> None:
        reads, torn, retries = self._counts()
        note = "" if self.reader.sequence_words else f", {self.unstable_reads} caught fields changing"
        print(f"{reads} reads, {torn} torn, {retries} retries{note}", file=sys.stderr, flush=True)

    @staticmethod
    def _wait_for_new(seg: Segment, interval: float) -> Segment:
        assert seg.name is not None
        print(f"{PROG}: {seg.label} was removed (or replaced); waiting for it to be created again",
              file=sys.stderr, flush=True)
        while True:
            try:
                again = Segment.open(seg.name, readonly=True)
            except SegmentError:
                time.sleep(interval)
                continue
            seg.close()
            print(f"{PROG}: {again.label} exists again: following the new one", file=sys.stderr, flush=True)
            return again


_NOTHING = object()
