#!/usr/bin/env python3
"""Fuzz mmfviewer's read paths with hostile shared-memory segments.

For each case ``i`` in ``range(--count)`` this script builds one segment named
``fuzz-<seed>-<i>`` in /dev/shm, deterministically from ``(--seed, i)`` (the same
seed and index always give the same bytes), runs three real mmfviewer commands on
it, each in its own process with a timeout, and removes the segment again:

* ``python -m mmfviewer info NAME``
* ``python -m mmfviewer listen NAME --from-start --timeout 1 --count 1000``
  (``--json`` on about half the cases)
* ``python -m mmfviewer gui NAME --screenshot OUT/shot-<i>.png --ticks 3``
  (with ``QT_QPA_PLATFORM=offscreen``)

Segments come from five families:

``channel``
    a valid channel made with :class:`mmfviewer.channel.Channel` (various lane
    counts and sizes, messages, text, bytes and ``send_many`` batches, rings that
    wrapped), then mutated: segment-header and lane-header fields set to edge
    values, consistent but lying dimensions, owner names with control characters
    or invalid UTF-8, record headers and payloads changed (with and without a
    fixed-up CRC), hostile msgpack records appended with a valid CRC, bit flips,
    byte overwrites, truncation, growth with garbage.
``mailbox``
    one msgpack value at offset 0: nested, large, nested near and past msgpack's
    1024 levels, maps with non-string keys, ext types, decompression-bomb-like
    arrays of millions of empty arrays/maps/nils/ints; then mutated or truncated.
``dotnet``
    .NET BinaryFormatter (MS-NRBF) streams: from :func:`mmfviewer.nrbf_encode.encode_object`
    and hand-built ones (reference cycles, dangling ids, huge arrays, deep nesting,
    edge-case primitives); then length fields set huge, ids pointed anywhere, bits
    flipped, truncated.
``shareable-list``
    a real :class:`multiprocessing.shared_memory.ShareableList` (its bytes copied
    into our segment, the original unlinked at once), then its count, slot table,
    formats, codes or data mutated.
``raw``
    random bytes, all zeros, all 0xFF, text with control characters and terminal
    escape sequences, bytes that start like another layout; 0 bytes to 64 MiB
    (large ones sparse).

A run *fails* when the process dies by a signal, hangs (hits the timeout), prints
"Traceback" on stderr, or its peak RSS (``ru_maxrss`` from ``os.wait4``) exceeds
the limit (200 MiB). Commands are started and reaped by a small helper process
(:class:`Spawner`): a child's ``ru_maxrss`` starts from its parent's peak, and this
script's own peak (it builds 64 MiB segments) would otherwise be counted. Exit
status 1 or 2 with a one-line error is a user error, not a failure. Raw terminal
control bytes in stdout are reported separately (a terminal-injection risk, not a
failure by the rules above).

Outputs in ``--out``: ``results.jsonl`` (one line per case, written as it goes),
``summary.json`` and ``summary.txt`` (per-command table, failing cases, samples of
the one-line error messages), ``case-<i>-<family>.bin`` (the bytes of every
failing segment, with ``.json`` describing how it was made) and the stdout/stderr
of failing runs. Every segment made is removed, also on Ctrl+C or SIGTERM; a segment
that already has a case's name is left alone and the case skipped. Each case records
the commit of the checkout it ran against (the summary warns if it changed).
Generation is byte-for-byte deterministic: channels are built with a made-up clock
and pid.

Reproduce one case: ``fuzz_segments.py --seed N --only I --keep`` leaves
``fuzz-N-I`` in /dev/shm; or copy ``case-I-*.bin`` to /dev/shm/NAME.

Usage: ``python scripts/fuzz_segments.py --count 500 --seed 1 --out /tmp/fuzz/run1 --jobs 2``
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import itertools
import json
import os
import queue
import random
import re
import signal
import statistics
import struct
import subprocess
import sys
import threading
import time
import zlib
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Any

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
if REPO not in sys.path:
    sys.path.insert(0, REPO)

import msgpack  # noqa: E402

from mmfviewer import nrbf_encode  # noqa: E402
from mmfviewer import wire as L  # noqa: E402, N812
from mmfviewer.channel import Channel  # noqa: E402
from mmfviewer.nrbf_format import HEADER, HEADER_LAYOUT, I32  # noqa: E402

SHM = "/dev/shm"
MiB = 1 << 20
MAX_SEGMENT = 64 * MiB
FAMILIES = ("channel", "mailbox", "dotnet", "shareable-list", "raw")
FAMILY_WEIGHTS = (40, 16, 16, 13, 15)
COMMANDS = ("info", "listen", "gui")
FAIL_KINDS = ("signal", "hang", "traceback", "rss")

#: Generator temp segments (a channel or ShareableList being built) that exist now.
TEMP_SEGMENTS: set[str] = set()
TEMP_LOCK = threading.Lock()


def _temp(name: str, made: bool) -> None:
    with TEMP_LOCK:
        (TEMP_SEGMENTS.add if made else TEMP_SEGMENTS.discard)(os.path.join(SHM, name))

U64_EDGES = [0, 1, 7, 8, 31, 32, 33, 255, 256, 1023, 1024, 4095, 4096, 65535, 65536,
             2**31 - 1, 2**31, 2**32 - 1, 2**32, 2**63 - 1, 2**63, 2**64 - 8, 2**64 - 1]
I32_EDGES = [0, 1, -1, 2, 255, 256, 65535, 0x7FFFFFFF, -0x80000000, 0x7FFFFFF0, 0x10000000]

NASTY_TEXTS = [
    "\x1b[2J\x1b[H\x1b[31mRED\x1b[0m",          # clear screen, colour
    "\x1b]0;pwned title\x07",                     # OSC: window title
    "\x1b]52;c;ZWNobyBwd25lZA==\x07",             # OSC 52: set the clipboard
    "\x1bP$q\"p\x1b\\",                           # DCS request
    "bell\x07backspace\x08\x08cr\rlf\nnul\x00tab\t",
    "\u202eevil\u202c rtl override",
    "zero\u200bwidth\ufeffbom",
    "\x9b31m C1 CSI \x9d0;t\x9c",
    "line1\r\x1b[1Aup",
    "é" * 40 + "漢字" * 20 + "😀" * 10,
    "\ufffd replacement \x7f DEL",
]

NASTY_NAME_BYTES = [
    b"\x1b[31mevil\x1b[0m",
    b"\x1b]0;title\x07",
    b"\xff\xfe\xfd invalid",
    b"\xe2\x82",                       # a cut 3-byte character
    b"\x80\x80\x80 lone continuations",
    b"a\x00b\x00c",                    # NUL inside
    b"\r\n\t\x08\x07",
    "\u202eeman".encode(),
    b"X" * 64,                         # no NUL at all
    "é".encode() * 32,                 # exactly 64 bytes of 2-byte chars
    b"\xed\xa0\x80 surrogate",
    b"\xf4\x90\x80\x80 past U+10FFFF",
]


# ============================================================================ cases

@dataclass
class Case:
    index: int
    name: str
    family: str
    desc: list[str] = field(default_factory=list)
    data: bytearray = field(default_factory=bytearray)
    size: int = 0                                   # the file's size (may exceed data: sparse)
    extra: list[tuple[int, bytes]] = field(default_factory=list)  # chunks past data

    def note(self, text: str) -> None:
        self.desc.append(text)


def u64(buf: bytearray | bytes, off: int) -> int:
    return struct.unpack_from("<Q", buf, off)[0]


def put64(buf: bytearray, off: int, value: int) -> None:
    if off >= 0 and off + 8 <= len(buf):
        struct.pack_into("<Q", buf, off, value & (2**64 - 1))


def put32(buf: bytearray, off: int, value: int) -> None:
    if off >= 0 and off + 4 <= len(buf):
        struct.pack_into("<I", buf, off, value & 0xFFFFFFFF)


def put16(buf: bytearray, off: int, value: int) -> None:
    if off >= 0 and off + 2 <= len(buf):
        struct.pack_into("<H", buf, off, value & 0xFFFF)


def rand_text(rng: random.Random, n: int) -> str:
    alphabet = "abcdefghijklmnopqrstuvwxyz ABCDEFGHIJ0123456789.,-éü漢字😀\t\n"
    text = "".join(rng.choice(alphabet) for _ in range(n))
    if rng.random() < 0.3:
        text += rng.choice(NASTY_TEXTS)
    return text


def rand_value(rng: random.Random, depth: int = 0) -> Any:
    """A random msgpack-able value (JSON-like, plus bytes, big ints, floats)."""
    kinds = ["int", "str", "float", "bool", "none", "bytes"] + (["list", "map"] * 2 if depth < 5 else [])
    kind = rng.choice(kinds)
    if kind == "int":
        return rng.choice([0, 1, -1, 127, 128, -32, -33, 255, 65535, 2**31, 2**32, 2**63 - 1,
                           -2**63, 2**64 - 1, rng.randint(-10**9, 10**9)])
    if kind == "str":
        return rand_text(rng, rng.choice([0, 1, 5, 30, 300]))
    if kind == "float":
        return rng.choice([0.0, -0.0, 1.5, float("inf"), float("-inf"), float("nan"), 1e308, 5e-324,
                           rng.random()])
    if kind == "bool":
        return rng.random() < 0.5
    if kind == "none":
        return None
    if kind == "bytes":
        return rng.randbytes(rng.choice([0, 1, 16, 200]))
    if kind == "list":
        return [rand_value(rng, depth + 1) for _ in range(rng.randint(0, 6))]
    return {rand_text(rng, rng.randint(1, 10)): rand_value(rng, depth + 1) for _ in range(rng.randint(0, 6))}


def flip_bits(rng: random.Random, buf: bytearray, start: int, end: int, n: int) -> list[int]:
    start, end = max(0, start), min(len(buf), end)
    if end <= start:
        return []
    where = []
    for _ in range(n):
        off = rng.randrange(start, end)
        buf[off] ^= 1 << rng.randrange(8)
        where.append(off)
    return where


def overwrite(rng: random.Random, buf: bytearray, start: int, end: int) -> tuple[int, int]:
    start, end = max(0, start), min(len(buf), end)
    if end <= start:
        return (0, 0)
    off = rng.randrange(start, end)
    n = min(rng.choice([1, 2, 4, 8, 16, 64]), len(buf) - off)
    fill = rng.choice(["random", "ff", "00", "7f"])
    buf[off:off + n] = {"random": rng.randbytes(n), "ff": b"\xff" * n, "00": bytes(n), "7f": b"\x7f" * n}[fill]
    return off, n


# ---------------------------------------------------------------- generic mutations

def generic_mutations(rng: random.Random, case: Case, n: int, *, focus: int | None = None) -> None:
    """Bit flips, overwrites, truncation, growth anywhere (or in the first ``focus`` bytes)."""
    for _ in range(n):
        op = rng.choice(["flip", "flip", "overwrite", "truncate", "grow", "edge32"])
        limit = len(case.data) if focus is None else min(len(case.data), focus)
        if op == "flip" and limit:
            k = rng.choice([1, 1, 2, 4, 16])
            where = flip_bits(rng, case.data, 0, limit, k)
            case.note(f"flipped {k} bit(s) at {where[:6]}")
        elif op == "overwrite" and limit:
            off, k = overwrite(rng, case.data, 0, limit)
            case.note(f"overwrote {k} byte(s) at {off}")
        elif op == "edge32" and limit >= 4:
            off = rng.randrange(0, limit - 3)
            v = rng.choice(I32_EDGES)
            struct.pack_into("<i", case.data, off, v)
            case.note(f"set i32 at {off} to {v}")
        elif op == "truncate" and case.data:
            new = rng.choice([0, 1, rng.randrange(len(case.data)), len(case.data) - 1,
                              max(0, len(case.data) // 2)])
            truncate(case, new)
        elif op == "grow":
            grow(rng, case)


def truncate(case: Case, new: int) -> None:
    del case.data[new:]
    case.size = new
    case.extra = [(o, b) for o, b in case.extra if o + len(b) <= new]
    case.note(f"truncated to {new} bytes")


def grow(rng: random.Random, case: Case) -> None:
    base = max(case.size, len(case.data))
    how = rng.choice(["garbage", "zeros", "sparse-big"])
    if how == "garbage":
        n = rng.choice([1, 7, 100, 4096, 65536, 1 * MiB])
        case.extra.append((base, rng.randbytes(n)))
        case.size = base + n
        case.note(f"grew by {n} random bytes")
    elif how == "zeros":
        n = rng.choice([1, 8, 4096, 1 * MiB])
        case.size = base + n
        case.note(f"grew by {n} zero bytes")
    else:
        new = rng.choice([16 * MiB, 48 * MiB, MAX_SEGMENT])
        if new > base:
            case.extra.append((new - 4096, rng.randbytes(4096)))
            case.size = new
            case.note(f"grew (sparse) to {new} bytes, 4 KiB of garbage at the end")


# ---------------------------------------------------------------- (a) channels

def _walk_records(buf: bytes, lane_at: int, cap: int) -> list[tuple[int, int]]:
    """(position, segment offset) of each record from the oldest checkpoint to tail."""
    ring = lane_at + L.LANE_HEADER_SIZE
    intent, tail = u64(buf, lane_at + 8), u64(buf, lane_at + 16)
    cps = [u64(buf, lane_at + 104 + 8 * k) for k in range(8)]
    valid = [c for c in cps if c + cap >= intent and c < tail]
    p = min(valid) if valid else 0
    if not valid and tail > cap:
        return []
    out = []
    for _ in range(200000):
        if p >= tail:
            break
        ro = p & (cap - 1)
        if cap - ro < 32:
            p += cap - ro
            continue
        if ring + ro + 32 > len(buf):  # a truncated segment ends inside the ring
            break
        length, typ = struct.unpack_from("<IH", buf, ring + ro)
        if typ == 0:
            p += cap - ro
            continue
        size = (32 + length + 7) & ~7
        if size > cap - ro or size <= 0:
            break
        out.append((p, ring + ro))
        p += size
    return out


def _normalize_channel(buf: bytearray, index: int) -> None:
    """Make a freshly made channel's bytes depend only on the seed: times and pids."""
    lanes = struct.unpack_from("<H", buf, 14)[0]
    cap = u64(buf, 16)
    base_ns = 1_700_000_000_000_000_000 + index * 1_000_000_000
    put64(buf, 40, base_ns)
    for lane in range(lanes):
        at = L.lane_offset(lane, cap)
        pid, gen = struct.unpack_from("<II", buf, at)
        if pid:
            put64(buf, at, (4_000_000 + lane) | gen << 32)  # past pid_max: never alive
            put64(buf, at + 32, base_ns + 10**9)
        for _, off in _walk_records(buf, at, cap):
            seq = u64(buf, off + 8)
            put64(buf, off + 16, base_ns + seq)
            put32(buf, off + 28, 4_000_000 + lane)


def _append_record(buf: bytearray, lane: int, payload: bytes, typ: int, count: int,
                   seq: int | None = None, crc: int | None = None) -> str:
    """Append a record with a valid CRC at a lane's tail, as a writer would."""
    cap = u64(buf, 16)
    at = L.lane_offset(lane, cap)
    ring = at + L.LANE_HEADER_SIZE
    intent, tail, mcount = u64(buf, at + 8), u64(buf, at + 16), u64(buf, at + 24)
    size = L.record_size(len(payload))
    if size > cap // 4 or ring + cap > len(buf):
        return f"(record of {len(payload)} bytes does not fit lane {lane}: skipped)"
    p = tail
    ro = p & (cap - 1)
    if ro + size > cap:
        room = cap - ro
        if room >= 32:
            struct.pack_into("<IHHQqII", buf, ring + ro, room - 32, 0, 0, mcount, 0, 0, 4_000_000)
        p += room
        ro = 0
    seq = mcount if seq is None else seq
    struct.pack_into("<IHHQqII", buf, ring + ro, len(payload), typ, count, seq & (2**64 - 1),
                     1_700_000_000_000_000_000, zlib.crc32(payload) if crc is None else crc, 4_000_000)
    buf[ring + ro + 32:ring + ro + 32 + len(payload)] = payload
    slot = ro * 8 // cap
    put64(buf, at + 104 + 8 * slot, p)
    put64(buf, at + 16, p + size)
    put64(buf, at + 8, max(intent, p + size))
    put64(buf, at + 24, seq + count)
    return f"appended a valid-CRC record type {typ} count {count} seq {seq} ({len(payload)} bytes) to lane {lane}"


def ext_bytes(code: int, body: bytes) -> bytes:
    """A msgpack ext value with any type code (msgpack.ExtType refuses negative ones)."""
    fixed = {1: 0xd4, 2: 0xd5, 4: 0xd6, 8: 0xd7, 16: 0xd8}
    t = struct.pack("b", code)
    if len(body) in fixed:
        return bytes([fixed[len(body)]]) + t + body
    if len(body) < 256:
        return b"\xc7" + bytes([len(body)]) + t + body
    return b"\xc8" + struct.pack(">H", len(body)) + t + body


def hostile_msgpack(rng: random.Random, limit: int) -> tuple[bytes, str]:
    """A msgpack payload of at most ``limit`` bytes meant to hurt a decoder or printer."""
    kind = rng.choice(["deep-array", "deep-map", "empty-arrays", "nils", "ints", "ext", "timestamp",
                       "nonstr-keys", "unhashable-key", "bad-utf8", "huge-len", "nested-pairs",
                       "floats", "trailing"])
    if kind == "deep-array":
        d = rng.choice([500, 900, 990, 999, 1000, 1010, 1022, 1023, 1024, 1025, 5000, 100000])
        data = b"\x91" * d + b"\xc0"
    elif kind == "deep-map":
        d = rng.choice([900, 999, 1000, 1023, 1024, 3000])
        data = b"\x81\xa1k" * d + b"\x01"
    elif kind in ("empty-arrays", "nils", "ints"):
        n = max(0, (limit - 5))
        n = rng.choice([n, n // 2, min(n, 60000)])
        item = {"empty-arrays": rng.choice([b"\x90", b"\x80"]), "nils": b"\xc0", "ints": b"\x01"}[kind]
        data = b"\xdd" + struct.pack(">I", n) + item * n
        d = n
    elif kind == "ext":
        code = rng.choice([-128, -2, 0, 1, 42, 127])
        body = rng.randbytes(rng.choice([0, 1, 2, 4, 8, 16, 300]))
        data = b"\x82\xa1e" + ext_bytes(code, body) + b"\xa1l\x91" + ext_bytes(code, b"x")
        d = code
    elif kind == "timestamp":
        d = rng.choice([4, 8, 12, 3, 1])
        body = {4: struct.pack(">I", 0xFFFFFFFF), 8: struct.pack(">Q", (999999999 << 34) | (2**34 - 1)),
                12: struct.pack(">Iq", 0, rng.choice([2**63 - 1, -2**63, 253402300800])),
                3: b"abc", 1: b"\x00"}[d]
        data = b"\x91" + ext_bytes(-1, body)
    elif kind == "nonstr-keys":
        data = msgpack.packb({1: "a", b"bin": 2, 1.5: 3, None: 4, True: 5, -7: [1, {2: 3}]})  # noqa: F601 (kept: seeds stay reproducible)
        d = 0
    elif kind == "unhashable-key":
        data = rng.choice([b"\x81\x91\x01\x01", b"\x81\x81\x01\x01\x01", b"\x81\x90\xc0"])
        d = 0
    elif kind == "bad-utf8":
        body = rng.choice([b"\xff\xfe", b"\xed\xa0\x80", b"abc\x80", b"\xc0\xaf"])
        data = b"\x81\xa1t" + bytes([0xa0 | len(body)]) + body
        d = 0
    elif kind == "huge-len":
        data = rng.choice([b"\xdd\xff\xff\xff\xff", b"\xdb\xff\xff\xff\xff", b"\xc6\x7f\xff\xff\xff",
                           b"\xdf\xff\xff\xff\xff", b"\xc9\xff\xff\xff\xff\x01"]) + b"\x00" * 16
        d = 0
    elif kind == "nested-pairs":
        n = max(0, (limit - 5) // 2)
        data = b"\xdd" + struct.pack(">I", n) + b"\x91\x90" * n
        d = n
    elif kind == "floats":
        data = msgpack.packb([float("nan"), float("inf"), -0.0, 1e308, 5e-324])
        d = 0
    else:
        data = msgpack.packb({"a": 1}) + rng.randbytes(rng.choice([1, 8, 100]))
        d = 0
    if len(data) > limit:
        data = data[:limit]
        return data, f"hostile msgpack {kind} ({d}), cut to {limit} bytes"
    return data, f"hostile msgpack {kind} ({d}, {len(data)} bytes)"


class _Proxy:
    """A module stand-in: these attributes replaced, every other one the real module's."""

    def __init__(self, real: Any, **replaced: Any) -> None:
        self._real = real
        self.__dict__.update(replaced)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)


CHANNEL_GEN_LOCK = threading.Lock()


@contextlib.contextmanager
def deterministic_channel(index: int) -> Any:
    """While a channel is built: the clock and pid of mmfviewer.channel and
    mmfviewer.channel_writer are made up (a counter, and a pid past pid_max), so the
    bytes depend on nothing but the seed and index."""
    import mmfviewer.channel as chmod
    import mmfviewer.channel_writer as wmod

    ticks = itertools.count()
    base = 1_700_000_000_000_000_000 + index * 1_000_000_000
    with CHANNEL_GEN_LOCK:
        real_time, real_writer_time, real_writer_os = chmod.time, wmod.time, wmod.os
        chmod.time = wmod.time = _Proxy(time, time_ns=lambda: base + next(ticks) * 1000)  # type: ignore[assignment]
        wmod.os = _Proxy(os, getpid=lambda: 4_000_000)  # type: ignore[assignment]
        try:
            yield
        finally:
            chmod.time, wmod.time, wmod.os = real_time, real_writer_time, real_writer_os


def make_channel(rng: random.Random, case: Case, seed: int) -> None:
    with deterministic_channel(case.index):
        _make_channel(rng, case, seed)


def _make_channel(rng: random.Random, case: Case, seed: int) -> None:
    combos = [(1, 1024), (1, 4096), (2, 2048), (3, 1024), (4, 8192), (8, 4096), (8, 65536),
              (16, 1024), (64, 1024), (2, 1 << 20), (1, 1 << 22), (1024, 1024), (8, 1 << 20),
              (1, 1 << 24)]
    weights = [10, 8, 8, 5, 8, 10, 8, 4, 3, 5, 3, 2, 3, 1]
    lanes, cap = rng.choices(combos, weights)[0]
    tmp = f"{case.name}-gen"
    case.note(f"channel {lanes} lanes x {cap} bytes")
    ch = Channel.create(tmp, lanes=lanes, lane_size=cap)
    _temp(tmp, True)
    writers = []
    try:
        n_writers = rng.choice([0, 1, 1, 1, 2, 3, min(lanes, 4)])
        maxp = L.max_payload(cap)
        sent = 0
        for _ in range(min(n_writers, lanes)):
            name = rng.choice(["", "fuzz", rand_text(rng, 20), "é" * 40, rng.choice(NASTY_TEXTS)])
            w = ch.writer(name)
            writers.append(w)
            ops = rng.choice([0, 1, 5, 30, 200])
            for _ in range(ops):
                op = rng.choice(["send", "send", "text", "bytes", "many", "big"])
                try:
                    if op == "send":
                        w.send(rng.choice([{"title": rand_text(rng, 10), "content": rand_text(rng, 40)},
                                           rand_value(rng)]))
                    elif op == "text":
                        w.send_text(rand_text(rng, rng.choice([0, 1, 50, 500])))
                    elif op == "bytes":
                        w.send_bytes(rng.randbytes(rng.choice([0, 1, 33, 500])))
                    elif op == "many":
                        w.send_many([rand_value(rng, 3) for _ in range(rng.choice([2, 5, 50, 300]))])
                    else:
                        w.send_bytes(rng.randbytes(rng.randint(maxp // 2, maxp)))
                    sent += 1
                except Exception:  # too large for this lane, etc.
                    pass
            if rng.random() < 0.25:  # wrap the ring one to three times
                laps = rng.randint(1, 3)
                chunk = max(8, maxp // rng.choice([1, 3, 10]))
                for _ in range(laps * cap // (chunk + 32) + 1):
                    w.send_bytes(bytes([rng.randrange(256)]) * chunk)
                case.note(f"lane {w.lane}: wrapped {laps} time(s)")
        case.note(f"{len(writers)} writer(s), {sent} send call(s)")
    finally:
        for w in writers:
            w.close()
        with open(os.path.join(SHM, tmp), "rb") as f:
            case.data = bytearray(f.read())
        ch.close()
        os.unlink(os.path.join(SHM, tmp))
        _temp(tmp, False)
    case.size = len(case.data)
    _normalize_channel(case.data, case.index)
    mutate_channel(rng, case, lanes, cap)


def mutate_channel(rng: random.Random, case: Case, lanes: int, cap: int) -> None:
    buf = case.data
    n = rng.choice([0, 1, 1, 1, 2, 2, 3, 4])
    if n == 0:
        case.note("unmutated")
    ops = ["seg-field", "redim", "lane-field", "lane-field", "owner-name", "record-field", "record-field",
           "payload", "payload-crcfix", "hostile-record", "hostile-record", "flip-header", "flip-lanes",
           "flip-ring", "overwrite", "truncate", "grow", "checkpoints-garbage"]
    for _ in range(n):
        op = rng.choice(ops)
        lane = rng.randrange(lanes)
        at = L.lane_offset(lane, cap)
        recs = _walk_records(buf, at, cap) if at + 256 <= len(buf) else []
        if op == "seg-field":
            fields = {"magic": (0, 8), "version": (8, 2), "header_size": (10, 2), "lane_header_size": (12, 2),
                      "lane_count": (14, 2), "lane_capacity": (16, 8), "lane_stride": (24, 8),
                      "segment_size": (32, 8), "created_ns": (40, 8), "max_record_size": (48, 4),
                      "ready": (52, 4), "reserved": (56, 8)}
            fname = rng.choice(list(fields))
            off, width = fields[fname]
            if fname == "magic":
                flip_bits(rng, buf, 0, 8, 1)
                case.note("flipped a bit of the magic")
                continue
            v = rng.choice(U64_EDGES + [rng.getrandbits(width * 8)]) & ((1 << (width * 8)) - 1)
            buf[off:off + width] = v.to_bytes(width, "little")
            case.note(f"segment header {fname} := {v}")
        elif op == "redim" and len(buf) >= 52:  # not after a truncation below the header
            # Lie consistently: the header passes every rule but the lanes are elsewhere.
            choices = [(l2, c2) for l2 in (1, 2, 3, 7, 8, 64, 1024) for c2 in (1024, 2048, 4096, 65536, 1 << 20)
                       if L.segment_size(l2, c2) <= MAX_SEGMENT]
            l2, c2 = rng.choice(choices)
            struct.pack_into("<HQQQ", buf, 14, l2, c2, L.lane_stride(c2), L.segment_size(l2, c2))
            put32(buf, 48, L.max_record_size(c2))
            want = L.segment_size(l2, c2)
            how = "kept size"
            if want > case.size and rng.random() < 0.7:
                case.size = want
                how = f"grew sparse to {want}"
            case.note(f"re-dimensioned header to {l2} lanes x {c2} (consistent), {how}")
        elif op == "lane-field" and at + 256 <= len(buf):
            fname, off = rng.choice([("owner word", 0), ("tail_intent", 8), ("tail", 16), ("message_count", 24),
                                     ("heartbeat", 32), ("checkpoint", 104 + 8 * rng.randrange(8))])
            tail = u64(buf, at + 16)
            v = rng.choice(U64_EDGES + [cap - 1, cap, cap + 8, tail + 8, tail - 8, tail + cap, tail + 3 * cap,
                                        tail + 1, rng.getrandbits(64)]) & (2**64 - 1)
            put64(buf, at + off, v)
            case.note(f"lane {lane} {fname}@{off} := {v}")
        elif op == "checkpoints-garbage" and at + 256 <= len(buf):
            tail = u64(buf, at + 16)
            for k in range(8):
                put64(buf, at + 104 + 8 * k, rng.choice([0, tail, tail - 8 * rng.randint(1, 50), rng.getrandbits(64),
                                                        tail + 8, 2**64 - 1]))
            case.note(f"lane {lane} checkpoints := garbage")
        elif op == "owner-name" and at + 256 <= len(buf):
            raw = rng.choice(NASTY_NAME_BYTES)
            buf[at + 40:at + 104] = raw[:64].ljust(64, b"\0")
            pid, gen = struct.unpack_from("<II", buf, at)
            put64(buf, at, (pid or rng.choice([1, 4_000_001, 0xFFFFFFFF])) | ((gen + 1) & 0xFFFFFFFF) << 32)
            case.note(f"lane {lane} owner_name := {raw[:64]!r}, generation bumped")
        elif op == "record-field" and recs:
            _, off = rng.choice(recs)
            fname, foff, width = rng.choice([("length", 0, 4), ("type", 4, 2), ("count", 6, 2), ("seq", 8, 8),
                                             ("timestamp", 16, 8), ("crc", 24, 4), ("pid", 28, 4)])
            if fname == "type":
                v = rng.choice([0, 1, 2, 3, 4, 5, 255, 65535])
            elif fname == "count":
                v = rng.choice([0, 1, 2, 1000, 65535])
            else:
                v = rng.choice(U64_EDGES + [rng.getrandbits(width * 8)]) & ((1 << (width * 8)) - 1)
            buf[off + foff:off + foff + width] = v.to_bytes(width, "little")
            case.note(f"lane {lane} record at offset {off}: {fname} := {v}")
        elif op in ("payload", "payload-crcfix") and recs:
            _, off = rng.choice(recs)
            length = struct.unpack_from("<I", buf, off)[0]
            if length == 0 or off + 32 + length > len(buf):
                continue
            k = rng.choice([1, 4, 32])
            flip_bits(rng, buf, off + 32, off + 32 + length, k)
            if rng.random() < 0.3:
                o2, n2 = overwrite(rng, buf, off + 32, off + 32 + length)
            fixed = op == "payload-crcfix"
            if fixed:
                put32(buf, off + 24, zlib.crc32(bytes(buf[off + 32:off + 32 + length])))
            case.note(f"lane {lane} record at offset {off}: payload mutated ({k} flips)"
                      + (", CRC fixed up" if fixed else ", CRC now wrong"))
        elif op == "hostile-record" and at + 256 + cap <= len(buf):
            limit = L.max_payload(cap)
            kind = rng.choice(["msgpack", "msgpack", "batch", "text", "bytes"])
            if kind == "msgpack":
                payload, what = hostile_msgpack(rng, limit)
                case.note(what + "; " + _append_record(buf, lane, payload, 1, 1))
            elif kind == "batch":
                vals = [msgpack.packb(rand_value(rng, 3)) for _ in range(rng.choice([2, 10, 100]))]
                payload = b"".join(vals)
                if rng.random() < 0.5:
                    payload += hostile_msgpack(rng, max(1, limit - len(payload)))[0]
                count = rng.choice([len(vals), len(vals) + 1, 1, 65535, max(2, len(vals) - 1)])
                payload = payload[:limit]
                case.note(f"batch of {len(vals)} values claiming count {count}; "
                          + _append_record(buf, lane, payload, 4, count))
            elif kind == "text":
                raw = rng.choice([t.encode("utf-8", "surrogatepass") for t in NASTY_TEXTS] + NASTY_NAME_BYTES)
                raw = (raw * rng.choice([1, 100]))[:limit]
                case.note(f"text record {raw[:40]!r}...; " + _append_record(buf, lane, raw, 3, 1))
            else:
                raw = rng.randbytes(rng.choice([0, 1, limit]))
                case.note(_append_record(buf, lane, raw, 2, 1))
        elif op == "flip-header":
            k = rng.choice([1, 2, 8])
            where = flip_bits(rng, buf, 0, 128, k)
            case.note(f"flipped {k} bit(s) in the segment header at {where}")
        elif op == "flip-lanes" and at + 256 <= len(buf):
            k = rng.choice([1, 2, 8, 32])
            where = flip_bits(rng, buf, at, at + 256, k)
            case.note(f"flipped {k} bit(s) in lane {lane}'s header at {where}")
        elif op == "flip-ring" and at + 256 < len(buf):
            end = min(len(buf), at + 256 + max(64, min(cap, u64(buf, at + 16))))
            k = rng.choice([1, 4, 64, 512])
            where = flip_bits(rng, buf, at + 256, end, k)
            case.note(f"flipped {k} bit(s) in lane {lane}'s ring, first at {where[:4]}")
        elif op == "overwrite":
            off, k = overwrite(rng, buf, 0, len(buf))
            case.note(f"overwrote {k} byte(s) at {off}")
        elif op == "truncate":
            new = rng.choice([0, 7, 55, 56, 127, 128, 129, 200, 383, 384, len(buf) - 1, len(buf) - 8,
                              rng.randrange(max(1, len(buf)))])
            truncate(case, max(0, min(new, len(buf))))
            buf = case.data
        elif op == "grow":
            grow(rng, case)


# ---------------------------------------------------------------- (b) mailboxes

def make_mailbox(rng: random.Random, case: Case) -> None:
    kind = rng.choice(["nested", "nested", "message", "large-str", "large-bin", "many-maps", "deep",
                       "nonstr-keys", "ext", "bomb", "bomb", "over-16MiB", "hostile", "hostile", "top-scalar",
                       "ints-bomb"])
    pad = rng.choice([0, 0, 1, 64, 4096, 65536])
    if kind == "nested":
        value = {rand_text(rng, 5): rand_value(rng) for _ in range(rng.randint(1, 8))}
        data = msgpack.packb(value)
    elif kind == "message":
        data = msgpack.packb({"title": rand_text(rng, 10), "content": rand_text(rng, 80)})
    elif kind == "large-str":
        n = rng.choice([70000, 1 * MiB, 10 * MiB, 15 * MiB])
        data = msgpack.packb({"title": "big", "content": "x" * n})
    elif kind == "large-bin":
        n = rng.choice([70000, 4 * MiB, 15 * MiB])
        data = msgpack.packb({"blob": rng.randbytes(n)})
    elif kind == "many-maps":
        n = rng.choice([1000, 100000, 400000])
        data = msgpack.packb([{"i": i, "s": "v"} for i in range(n)])
    elif kind == "deep":
        d = rng.choice([100, 500, 990, 999, 1000, 1001, 1023, 1024, 1025, 2000, 100000])
        data = rng.choice([b"\x91" * d + b"\x01", b"\x81\xa1k" * d + b"\x01",
                           b"\x81\xa1k" + b"\x91" * d + b"\x01"])
        kind = f"deep {d}"
    elif kind == "nonstr-keys":
        data = msgpack.packb(rng.choice([{1: "a", 2: "b"}, {b"k": 1}, {1.5: 2, None: 3, True: 4},
                                         {"ok": 1, 7: {8: 9}}, {(1, 2): 3}]))
    elif kind == "ext":
        data = b"\x82\xa1e" + ext_bytes(rng.choice([-128, -1, 0, 5, 127]),
                                          rng.randbytes(rng.choice([0, 4, 8, 12, 3, 100]))) + b"\xa1t\xa1x"
    elif kind == "bomb":
        n = rng.choice([2_000_000, 4_000_000, 8_000_000, 12_000_000, 16 * MiB - 5])
        item = rng.choice([b"\x90", b"\x80", b"\x91\x90"])
        count = n if len(item) == 1 else n // 2
        data = b"\xdd" + struct.pack(">I", count) + item * count
        kind = f"bomb {count} x {item.hex()}"
    elif kind == "ints-bomb":
        n = rng.choice([1_000_000, 8_000_000, 16 * MiB - 5])
        item = rng.choice([b"\x01", b"\xc0", b"\xc3", b"\xa0"])
        data = b"\xdd" + struct.pack(">I", n) + item * n
        kind = f"scalar bomb {n} x {item.hex()}"
    elif kind == "over-16MiB":
        data = msgpack.packb({"blob": b"\x01" * (17 * MiB)})
    elif kind == "top-scalar":
        data = msgpack.packb(rng.choice(["a string", 12345, 2**64 - 1, 1.5, None, b"bytes", True]))
    else:
        data, kind = hostile_msgpack(rng, 4 * MiB)
    case.note(f"mailbox {kind}, {len(data)} bytes, {pad} zero bytes after")
    case.data = bytearray(data) + bytes(pad)
    case.size = len(case.data)
    if rng.random() < 0.45:
        mutate_msgpack(rng, case)


def mutate_msgpack(rng: random.Random, case: Case) -> None:
    buf = case.data
    op = rng.choice(["length-field", "flip", "truncate", "generic"])
    if op == "length-field":
        # Find container/str/bin headers in the first 4 KiB and make their length huge.
        spots = [i for i in range(min(len(buf), 4096)) if buf[i] in (0xdc, 0xdd, 0xda, 0xdb, 0xc5, 0xc6,
                                                                    0xde, 0xdf, 0xc8, 0xc9)]
        if spots:
            i = rng.choice(spots)
            width = {0xdc: 2, 0xda: 2, 0xc5: 2, 0xde: 2, 0xc8: 2}.get(buf[i], 4)
            v = rng.choice([0, 1, 0xFFFF, 0x7FFFFFFF, 0xFFFFFFFF]) & ((1 << (8 * width)) - 1)
            buf[i + 1:i + 1 + width] = v.to_bytes(width, "big")
            case.note(f"msgpack length at {i} (type 0x{buf[i]:02x}) := {v}")
        else:
            buf[0:1] = rng.choice([b"\xdd", b"\xdf", b"\xdb"])
            case.note(f"first byte := 0x{buf[0]:02x}")
    elif op == "flip":
        k = rng.choice([1, 3, 10])
        where = flip_bits(rng, buf, 0, min(len(buf), 256), k)
        case.note(f"flipped {k} bit(s) at {where}")
    elif op == "truncate" and buf:
        truncate(case, rng.randrange(len(buf)))
    else:
        generic_mutations(rng, case, rng.randint(1, 3))


# ---------------------------------------------------------------- (c) .NET

lps = nrbf_encode.length_prefixed  # a .NET length-prefixed string


def i32(v: int) -> bytes:
    return I32.pack(v)


def nrbf_header(root: int = 1) -> bytes:
    return HEADER_LAYOUT.pack(HEADER, root, -1, 1, 0)


def make_dotnet(rng: random.Random, case: Case) -> None:
    kind = rng.choice(["encoded", "encoded", "encoded", "cycle", "dangling", "big-prim-array", "many-nulls",
                       "deep", "wide", "rect", "edge-prims", "untyped", "long-string", "strings-array",
                       "bad-root", "lib-games"])
    if kind == "encoded":
        members = []
        values: dict[str, Any] = {}
        for k in range(rng.randint(0, 12)):
            t = rng.choice(nrbf_encode.WRITABLE_TYPES)
            name = rng.choice([f"m{k}", f"<Prop{k}>k__BackingField", rand_text(rng, 8) + str(k)])
            members.append((name, t))
            values[name] = _dotnet_value(rng, t)
        shape = nrbf_encode.ClassShape(rng.choice(["Message", "Seed.Message", rand_text(rng, 12)]),
                                rng.choice(["Seed, Version=1.0.0.0", "", rand_text(rng, 30)]), tuple(members))
        try:
            data = nrbf_encode.encode_object(shape, values)
        except Exception:
            data = nrbf_encode.encode_object(nrbf_encode.ClassShape("Message", "Seed", (("title", "System.String"),)),
                                      {"title": "fallback"})
        what = f"encoded class {shape.name!r} with {len(members)} members"
    elif kind == "cycle":
        # Root array #1 holds a reference to itself and to array #2, which refers back to #1.
        data = (nrbf_header(1) + bytes([16]) + i32(1) + i32(3) + bytes([9]) + i32(1) + bytes([9]) + i32(2)
                + bytes([16]) + i32(4) + i32(0) + bytes([16]) + i32(2) + i32(2) + bytes([9]) + i32(1)
                + bytes([9]) + i32(2) + bytes([11]))
        what = "object arrays referencing themselves and each other (cycles)"
    elif kind == "dangling":
        target = rng.choice([0, -1, 999, 0x7FFFFFFF, -0x80000000])
        data = (nrbf_header(1) + bytes([16]) + i32(1) + i32(2) + bytes([9]) + i32(target)
                + bytes([9]) + i32(target) + bytes([11]))
        what = f"references to missing id {target}"
    elif kind == "big-prim-array":
        code, size = rng.choice([(2, 1), (8, 4), (6, 8), (1, 1), (13, 8), (11, 4), (3, 1), (5, 1)])
        n = rng.choice([1000, 1_000_000, (15 * MiB) // size])
        if code == 3:
            body = b"a" * n
        elif code == 5:
            n = min(n, 300000)
            body = lps("1.5") * n
        elif code == 13:
            body = struct.pack("<Q", 5) * n
        else:
            body = bytes(n * size)
        data = nrbf_header(1) + bytes([15]) + i32(1) + i32(n) + bytes([code]) + body + bytes([11])
        what = f"ArraySinglePrimitive of {n} x primitive {code}"
    elif kind == "many-nulls":
        n = rng.choice([10, 199_990, 200_001, 0x7FFFFFFF])
        run = rng.choice(["single", "multiple", "m256"])
        if run == "single":
            items = bytes([10]) * min(n, 250_000)
        elif run == "multiple":
            items = bytes([14]) + i32(n)
        else:
            items = (bytes([13, 255])) * (n // 255 if n < 10**7 else 1000)
        data = nrbf_header(1) + bytes([16]) + i32(1) + i32(n) + items + bytes([11])
        what = f"object array of length {n}, nulls as {run}"
    elif kind == "deep":
        d = rng.choice([100, 1000, 5000, 50000, 190000])
        parts = [nrbf_header(1)]
        for k in range(d):
            parts.append(bytes([16]) + i32(k + 1) + i32(1))
        parts.append(bytes([10]) + bytes([11]))
        data = b"".join(parts)
        what = f"object arrays nested {d} deep"
    elif kind == "wide":
        n = rng.choice([1000, 100_000, 199_000, 250_000])
        item = rng.choice([bytes([8, 8]) + i32(7), bytes([9]) + i32(1), bytes([6]) + b"ID" + b"x"])
        body = bytearray()
        for k in range(n):
            if item[0] == 6:
                body += bytes([6]) + i32(k + 2) + lps("s")
            else:
                body += item
        data = nrbf_header(1) + bytes([16]) + i32(1) + i32(n) + bytes(body) + bytes([11])
        what = f"object array of {n} items ({item[0]})"
    elif kind == "rect":
        rank = rng.choice([1, 2, 3, 32, 33])
        lengths = [rng.choice([0, 1, 2, 46341, 0x7FFFFFFF]) for _ in range(min(rank, 33))]
        akind = rng.choice([0, 1, 2, 3, 4, 5])
        body = bytes([7]) + i32(1) + bytes([akind]) + i32(rank) + b"".join(i32(n) for n in lengths)
        if akind >= 3:
            body += b"".join(i32(rng.choice([0, -1, 5])) for _ in lengths)
        body += bytes([rng.choice([0, 2, 1])])
        if body[-1] == 0:
            body += bytes([rng.choice([8, 2, 17, 18, 99])])
        data = nrbf_header(1) + body + bytes([10]) * 8 + bytes([11])
        what = f"BinaryArray kind {akind} rank {rank} lengths {lengths[:4]}"
    elif kind == "edge-prims":
        items = [bytes([8, 13]) + struct.pack("<Q", rng.choice([0, 3155378975999999999, 3155378976000000000,
                                                               2**64 - 1, 2**62 | 5])),
                 bytes([8, 12]) + struct.pack("<q", rng.choice([-2**63, 2**63 - 1, 0])),
                 bytes([8, 5]) + lps(rng.choice(["1.5", "99999999999999999999999999999", "nan", "", "1e400",
                                                 "-0", "1" * 60])),
                 bytes([8, 3]) + rng.choice([b"a", b"\xc3\xa9", b"\xff", b"\xed\xa0\x80", b"\xf0\x9f\x98"]),
                 bytes([8, 11]) + struct.pack("<f", float("nan")),
                 bytes([8, 6]) + struct.pack("<d", float("-inf")),
                 bytes([8, rng.choice([17, 18, 4, 0, 99])]) + b"\x00" * 8]
        rng.shuffle(items)
        data = nrbf_header(1) + bytes([16]) + i32(1) + i32(len(items)) + b"".join(items) + bytes([11])
        what = "MemberPrimitiveTyped edge values"
    elif kind == "untyped":
        members = [rand_text(rng, 5) for _ in range(rng.randint(1, 5))]
        body = bytes([2]) + i32(1) + lps("System.Tuple") + i32(len(members)) + b"".join(lps(m) for m in members)
        vals = [rng.choice([bytes([10]), bytes([6]) + i32(100 + k) + lps("v"), bytes([8, 8]) + i32(1),
                            bytes([9]) + i32(1), b"\x2a\x00\x00\x00"]) for k in range(len(members))]
        data = nrbf_header(1) + body + b"".join(vals) + bytes([11])
        what = f"SystemClassWithMembers (untyped), {len(members)} members"
    elif kind == "long-string":
        n = rng.choice([1000, 1 * MiB, 12 * MiB])
        text = rng.choice(["x", "\x1b[31m", "é", "\x00"]) * (n // 4)
        data = nrbf_encode.encode_object(nrbf_encode.ClassShape("Message", "Seed", (("title", "System.String"),
                                                                      ("content", "System.String"))),
                                  {"title": rng.choice(NASTY_TEXTS), "content": text})
        what = f"class with a {len(text)}-char string"
    elif kind == "strings-array":
        n = rng.choice([10, 10000, 150000])
        body = bytearray(bytes([17]) + i32(1) + i32(n))
        for k in range(n):
            body += bytes([6]) + i32(k + 2) + lps(rng.choice(["a", "\x1b[2J", "é"]))
        data = nrbf_header(1) + bytes(body) + bytes([11])
        what = f"ArraySingleString of {n}"
    elif kind == "bad-root":
        root = rng.choice([0, 2, 99, -1])
        data = nrbf_header(root) + bytes([6]) + i32(2) + lps("root is a string") + bytes([11])
        what = f"root id {root} with only a string #2"
    else:
        data = (nrbf_header(1) + bytes([12]) + i32(2) + lps("A") + bytes([12]) + i32(2) + lps("B")
                + bytes([5]) + i32(1) + lps("C") + i32(1) + lps("x") + bytes([4]) + lps("System.Foo")
                + i32(rng.choice([2, 3, -5])) + bytes([11]) + bytes([1]) + i32(5) + i32(1) + bytes([11]))
        what = "library redefined, class member of system-class type, library id maybe undefined"
    case.note(f"dotnet {kind}: {what}, {len(data)} bytes")
    case.data = bytearray(data) + bytes(rng.choice([0, 0, 16, 4096]))
    case.size = len(case.data)
    if rng.random() < 0.5:
        mutate_nrbf(rng, case)


def _dotnet_value(rng: random.Random, t: str) -> Any:
    if t == "System.String":
        return rng.choice([None, "", rand_text(rng, 20), rng.choice(NASTY_TEXTS), "x" * 5000])
    if t == "System.Boolean":
        return rng.random() < 0.5
    if t == "System.Char":
        return rng.choice(["a", "é", "漢", "😀", "\x1b"])
    if t in ("System.Single", "System.Double"):
        return rng.choice([0.0, 1.1, float("nan"), float("inf"), -1e30])
    bits = {"System.Byte": (0, 255), "System.SByte": (-128, 127), "System.Int16": (-2**15, 2**15 - 1),
            "System.UInt16": (0, 2**16 - 1), "System.Int32": (-2**31, 2**31 - 1), "System.UInt32": (0, 2**32 - 1),
            "System.Int64": (-2**63, 2**63 - 1), "System.UInt64": (0, 2**64 - 1)}[t]
    return rng.choice([bits[0], bits[1], 0])


def mutate_nrbf(rng: random.Random, case: Case) -> None:
    buf = case.data
    for _ in range(rng.randint(1, 3)):
        op = rng.choice(["i32-huge", "i32-huge", "id-anywhere", "lps-huge", "flip", "truncate", "record-byte"])
        if not buf:
            return
        if op == "i32-huge" and len(buf) > 20:
            off = rng.randrange(17, len(buf) - 3)
            v = rng.choice([0x7FFFFFFF, -1, -0x80000000, 0x10000000, 200_001])
            struct.pack_into("<i", buf, off, v)
            case.note(f"i32 at {off} := {v}")
        elif op == "id-anywhere" and len(buf) > 20:
            off = rng.choice([1, 5]) if rng.random() < 0.4 else rng.randrange(17, len(buf) - 3)
            v = rng.choice([1, 2, 3, 0, -1, 99999])
            struct.pack_into("<i", buf, off, v)
            case.note(f"id at {off} := {v}" + (" (header root/header id)" if off < 17 else ""))
        elif op == "lps-huge" and len(buf) > 20:
            off = rng.randrange(17, len(buf) - 5)
            buf[off:off + 5] = rng.choice([b"\xff\xff\xff\xff\x07", b"\xff\xff\xff\xff\x0f",
                                           b"\xff\xff\xff\xff\xff", b"\x80\x80\x80\x80\x00"])
            case.note(f"7-bit length at {off} made huge/overlong")
        elif op == "flip":
            k = rng.choice([1, 2, 8])
            case.note(f"flipped {k} bit(s) at {flip_bits(rng, buf, 0, min(len(buf), 512), k)}")
        elif op == "truncate":
            truncate(case, rng.randrange(len(buf)))
            buf = case.data
        elif op == "record-byte" and len(buf) > 17:
            off = rng.randrange(17, min(len(buf), 600))
            v = rng.choice([0, 1, 4, 5, 7, 9, 11, 13, 14, 16, 21, 22, 255])
            buf[off] = v
            case.note(f"byte at {off} := {v} (a record type)")


# ---------------------------------------------------------------- (d) ShareableList

def make_shareable_list(rng: random.Random, case: Case) -> None:
    from multiprocessing.shared_memory import ShareableList

    kind = rng.choice(["small", "small", "mixed", "long-str", "many", "unicode", "nul-bytes", "empty"])
    if kind == "small":
        items = [rng.choice([0, 1, -1, 2**63 - 1, 1.5, True, False, None, "hi", b"b"])
                 for _ in range(rng.randint(1, 8))]
    elif kind == "mixed":
        items = [rng.choice([rng.randint(-2**63, 2**63 - 1), rng.random(), rand_text(rng, 30), rng.randbytes(20),
                             None, True]) for _ in range(rng.randint(1, 40))]
    elif kind == "long-str":
        items = ["x" * rng.choice([1000, 100000, 1_000_000]), rng.choice(NASTY_TEXTS)]
    elif kind == "many":
        items = [rng.choice([1, "s", None, 2.0]) for _ in range(rng.choice([1000, 50000, 200000]))]
    elif kind == "unicode":  # sized by characters, stored as UTF-8: CPython cuts the bytes
        items = ["é" * rng.randint(1, 20), "漢字" * 5, "😀" * 9, "ok"]
    elif kind == "nul-bytes":
        items = [b"a\x00", b"\x00" * 9, "a\x00b", b""]
    else:
        items = []
    sl = ShareableList(items, name=f"{case.name}-sl")
    _temp(f"{case.name}-sl", True)
    try:
        case.data = bytearray(bytes(sl.shm.buf))
    finally:
        sl.shm.close()
        sl.shm.unlink()
        _temp(f"{case.name}-sl", False)
    case.size = len(case.data)
    case.note(f"ShareableList {kind}: {len(items)} items, {len(case.data)} bytes")
    if rng.random() < 0.6:
        mutate_shareable_list(rng, case, len(items))


def mutate_shareable_list(rng: random.Random, case: Case, n: int) -> None:
    buf = case.data
    for _ in range(rng.randint(1, 3)):
        op = rng.choice(["count", "offset", "format", "code", "data", "truncate", "generic"])
        if len(buf) < 16:
            op = "generic"
        if op == "count":
            v = rng.choice([0, 1, n - 1, n + 1, 2**31, -1, 2**63 - 1, (len(buf) - 8) // 25])
            struct.pack_into("<q", buf, 0, v)
            case.note(f"item count := {v}")
        elif op == "offset" and n:
            k = rng.randrange(n + 1)
            v = rng.choice([0, 1, 8, 9, -8, 9_999_992, 10_000_000, 2**62, len(buf)])
            struct.pack_into("<q", buf, 8 + 8 * k, v)
            case.note(f"offset slot {k} := {v}")
        elif op in ("format", "code") and n and len(buf) >= 8 * (n + 2):
            fstart = 8 * (n + 2) + struct.unpack_from("<q", buf, 8 + 8 * n)[0]
            if op == "format" and fstart + 8 * n <= len(buf):
                k = rng.randrange(n)
                fmt = rng.choice([b"9999999s", b"0s", b"q\0\0\0\0\0\0\0", b"xxxxxxx?", b"xxxxxx?x", b"d",
                                  b"\xff\xfe\xfd\xfc\xfb\xfa\xf9\xf8", b"8s\0\0\0\0\0\0", b"-1s", b"1s2s",
                                  b"\x1b[31m"])
                buf[fstart + 8 * k:fstart + 8 * k + 8] = fmt.ljust(8, b"\0")[:8]
                case.note(f"format of item {k} := {fmt!r}")
            elif op == "code" and fstart + 9 * n <= len(buf):
                k = rng.randrange(n)
                v = rng.choice([0, 1, 2, 3, 4, 255])
                buf[fstart + 8 * n + k] = v
                case.note(f"back-transform code of item {k} := {v}")
        elif op == "data" and len(buf) > 8 * (n + 2):
            start = 8 * (n + 2)
            k = rng.choice([1, 4, 32])
            case.note(f"flipped {k} bit(s) in the data area at {flip_bits(rng, buf, start, len(buf), k)[:6]}")
        elif op == "truncate" and buf:
            truncate(case, rng.randrange(len(buf)))
            buf = case.data
        else:
            generic_mutations(rng, case, 1)
            buf = case.data


# ---------------------------------------------------------------- (e) raw bytes

def make_raw(rng: random.Random, case: Case) -> None:
    kind = rng.choice(["random", "random", "zeros", "ff", "ctrl-text", "ctrl-text", "text-huge", "fake-channel",
                       "fake-nrbf", "fake-list", "sparse-big", "empty"])
    size = rng.choice([0, 1, 7, 8, 55, 127, 128, 384, 4096, 65535, 65536, 65537, 1 * MiB, 16 * MiB])
    if kind == "random":
        size = min(size, 16 * MiB)
        case.data = bytearray(rng.randbytes(size))
    elif kind == "zeros":
        size = rng.choice([0, 1, 4096, 1 * MiB, MAX_SEGMENT])
        case.data = bytearray()
    elif kind == "ff":
        size = min(size, 16 * MiB)
        case.data = bytearray(b"\xff" * size)
    elif kind == "ctrl-text":
        text = "".join(rng.choice(NASTY_TEXTS + ["plain words "]) for _ in range(rng.randint(1, 50)))
        case.data = bytearray(text.encode("utf-8", "surrogatepass"))
        size = len(case.data) + rng.choice([0, 1, 4096])
    elif kind == "text-huge":
        n = rng.choice([70000, 1 * MiB, 16 * MiB, 17 * MiB])
        case.data = bytearray(rng.choice([b"a", b"\xc3\xa9", b"a\n"]) * (n // 2))
        size = len(case.data)
    elif kind == "fake-channel":
        case.data = bytearray(b"MMFVCHAN" + rng.randbytes(rng.choice([0, 10, 120, 5000])))
        size = len(case.data)
    elif kind == "fake-nrbf":
        first = bytes([rng.choice([1, 5, 16, 21])])
        case.data = bytearray(nrbf_header(1) + first + rng.randbytes(rng.choice([0, 8, 500])))
        size = len(case.data)
    elif kind == "fake-list":
        n = rng.choice([1, 3, 1000])
        case.data = bytearray(struct.pack("<qq", n, 0) + rng.randbytes(rng.choice([8, 100, 30000])))
        size = len(case.data)
    elif kind == "sparse-big":
        size = rng.choice([16 * MiB, 63 * MiB, MAX_SEGMENT])
        case.data = bytearray(rng.randbytes(rng.choice([0, 1, 64, 4096])))
        case.extra.append((size // 2, rng.randbytes(4096)))
    else:
        size = 0
        case.data = bytearray()
    case.size = max(size, len(case.data))
    case.note(f"raw {kind}, {case.size} bytes")


MAKERS: dict[str, Callable[..., None]] = {
    "mailbox": make_mailbox, "dotnet": make_dotnet, "shareable-list": make_shareable_list, "raw": make_raw,
}


def build_case(seed: int, index: int) -> Case:
    rng = random.Random(f"mmfviewer-fuzz:{seed}:{index}")
    family = rng.choices(FAMILIES, FAMILY_WEIGHTS)[0]
    case = Case(index, f"fuzz-{seed}-{index}", family)
    if family == "channel":
        make_channel(rng, case, seed)
    else:
        MAKERS[family](rng, case)
    if len(case.data) > MAX_SEGMENT:
        truncate(case, MAX_SEGMENT)
    case.size = min(max(case.size, 0), MAX_SEGMENT)
    if len(case.data) > case.size:
        del case.data[case.size:]
    case.extra = [(o, b[:max(0, case.size - o)]) for o, b in case.extra if o < case.size]
    return case


def write_segment(case: Case) -> str:
    path = os.path.join(SHM, case.name)
    fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_RDWR, 0o600)
    try:
        os.ftruncate(fd, case.size)
        view = memoryview(case.data)
        block = 1 << 16
        for off in range(0, len(view), block):  # zero blocks stay holes
            piece = view[off:off + block]
            if any(piece):
                os.pwrite(fd, piece, off)
        for off, chunk in case.extra:
            os.pwrite(fd, chunk, off)
    finally:
        os.close(fd)
    return path


def save_sparse(src: str, dst: str) -> None:
    with open(src, "rb") as f, open(dst, "wb") as out:
        size = os.fstat(f.fileno()).st_size
        while True:
            off = f.tell()
            chunk = f.read(1 << 16)
            if not chunk:
                break
            if any(chunk):
                out.seek(off)
                out.write(chunk)
        out.truncate(size)


# ============================================================================ running

SPAWNER_CODE = r"""
import json, os, select, signal, sys, time
signal.signal(signal.SIGINT, signal.SIG_IGN)   # the harness stops our commands itself
for line in sys.stdin:
    req = json.loads(line)
    out = os.open(req["stdout"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    err = os.open(req["stderr"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    t0 = time.monotonic()
    pid = os.fork()
    if pid == 0:
        try:
            os.setsid()
            for sig in (signal.SIGINT, signal.SIGPIPE, signal.SIGXFSZ):
                signal.signal(sig, signal.SIG_DFL)
            os.chdir(req["cwd"])
            null = os.open(os.devnull, os.O_RDONLY)
            os.dup2(null, 0)
            os.dup2(out, 1)
            os.dup2(err, 2)
            os.execve(req["argv"][0], req["argv"], req["env"])
        finally:
            os._exit(127)
    os.close(out)
    os.close(err)
    sys.stdout.write(json.dumps({"pid": pid}) + "\n")
    sys.stdout.flush()
    deadline = t0 + req["timeout"]
    hung = False
    try:
        pidfd = os.pidfd_open(pid)
    except (AttributeError, OSError):
        pidfd = -1
    while True:
        wpid, status, usage = os.wait4(pid, os.WNOHANG)
        if wpid:
            break
        left = deadline - time.monotonic()
        if left <= 0 and not hung:
            hung = True
            try:
                os.killpg(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        if pidfd >= 0:
            select.select([pidfd], [], [], max(0.0, min(left, 1.0)) if not hung else 0.05)
        else:
            time.sleep(0.005)
    wall = time.monotonic() - t0
    if pidfd >= 0:
        os.close(pidfd)
    sys.stdout.write(json.dumps({"status": status, "maxrss": usage.ru_maxrss, "hung": hung,
                                 "wall": wall}) + "\n")
    sys.stdout.flush()
"""


class Spawner:
    """A small helper process that starts each command and reaps it with os.wait4.

    Why not start the commands from this script: on Linux a child's ``ru_maxrss``
    starts from its parent's peak RSS (the memory map's high-water mark survives
    fork and exec), and this script holds segments of up to 64 MiB while it builds
    them. The helper stays small, so the RSS reported is the command's own.
    """

    def __init__(self) -> None:
        self.proc = subprocess.Popen([sys.executable, "-S", "-c", SPAWNER_CODE], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True, bufsize=1)

    def run(self, argv: list[str], env: dict[str, str], cwd: str, out: str, err: str, timeout: float,
            runner: Runner) -> tuple[int, int, int, bool, float]:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(json.dumps({"argv": argv, "env": env, "cwd": cwd, "stdout": out, "stderr": err,
                                          "timeout": timeout}) + "\n")
        self.proc.stdin.flush()
        pid = json.loads(self.proc.stdout.readline())["pid"]
        with runner.lock:
            runner.running.add(pid)
        try:
            line = self.proc.stdout.readline()
            if not line:
                raise RuntimeError("the spawner died")
            done = json.loads(line)
        finally:
            with runner.lock:
                runner.running.discard(pid)
        return pid, done["status"], done["maxrss"], done["hung"], done["wall"]

    def close(self) -> None:
        try:
            if self.proc.stdin:
                self.proc.stdin.close()
            self.proc.wait(timeout=5)
        except Exception:
            self.proc.kill()
            self.proc.wait()


class Runner:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.lock = threading.Lock()
        self.running: set[int] = set()      # process groups of live commands
        self.made: set[str] = set()         # segment paths that exist now
        self.live_names: set[str] = set()
        self.stop = threading.Event()
        self.results: list[dict[str, Any]] = []
        self.skipped: list[dict[str, Any]] = []  # cases not run, and why
        self.out = args.out
        self.spawners: queue.Queue[Spawner] = queue.Queue()
        for _ in range(max(1, args.jobs)):
            self.spawners.put(Spawner())
        self.results_file = open(os.path.join(self.out, "results.jsonl"), "a" if args.only else "w")  # noqa: SIM115

    # ---------------------------------------------------------------- one command
    def run_cmd(self, argv: list[str], env: dict[str, str], tag: str) -> dict[str, Any]:
        out_path = os.path.join(self.out, f".{tag}.stdout")
        err_path = os.path.join(self.out, f".{tag}.stderr")
        spawner = self.spawners.get()
        try:
            pid, status, rss_kib, hung, wall = spawner.run(argv, env, self.out, out_path, err_path,
                                                           self.args.timeout, self)
        finally:
            self.spawners.put(spawner)
        code = os.waitstatus_to_exitcode(status)
        with open(out_path, "rb") as f:
            stdout = f.read()
        with open(err_path, "rb") as f:
            stderr = f.read()
        os.unlink(out_path)
        os.unlink(err_path)
        state = {"hung": hung}
        err_text = stderr.decode("utf-8", "backslashreplace")
        kinds = []
        if state["hung"]:
            kinds.append("hang")
        elif code < 0:
            kinds.append("signal")
        if "Traceback" in err_text:
            kinds.append("traceback")
        if rss_kib > self.args.rss_limit_mib * 1024:
            kinds.append("rss")
        # C0/C1 controls other than \t \n \r in stdout: escape sequences reach the terminal.
        ctrl = sorted({b for b in stdout if (b < 0x20 and b not in (9, 10, 13)) or b == 0x7F})
        return {
            "argv": argv[2:], "exit": code, "signal": -code if code < 0 and not state["hung"] else None,
            "hang": state["hung"], "traceback": "Traceback" in err_text, "rss_kib": rss_kib,
            "wall": round(wall, 3), "fail": kinds, "stderr_tail": err_text.splitlines()[-12:],
            "stderr_bytes": len(stderr), "stdout_bytes": len(stdout), "stdout_ctrl": ctrl,
            "stdout_head": stdout[:300].decode("utf-8", "backslashreplace"),
            "_stdout": stdout if kinds else None, "_stderr": stderr if kinds else None,
        }

    # ---------------------------------------------------------------- one case
    def run_case(self, index: int) -> dict[str, Any] | None:
        if self.stop.is_set():
            return None
        args = self.args
        t0 = time.monotonic()
        try:
            case = build_case(args.seed, index)
        except Exception as err:  # a bug in this script: say so, go on with the next case
            print(f"case {index}: the generator failed: {err!r}", file=sys.stderr)
            with self.lock:
                self.skipped.append({"index": index, "why": f"generator failed: {err!r}"})
            return None
        gen_time = time.monotonic() - t0
        path = os.path.join(SHM, case.name)
        try:
            write_segment(case)  # O_EXCL: a segment of that name is never ours to replace
        except FileExistsError:
            print(f"case {index}: {path} exists (another run with seed {args.seed}?): case skipped",
                  file=sys.stderr)
            with self.lock:
                self.skipped.append({"index": index, "why": f"{path} exists"})
            return None
        with self.lock:
            self.made.add(path)
        rng = random.Random(f"mmfviewer-fuzz-json:{args.seed}:{index}")
        use_json = rng.random() < 0.5
        py = sys.executable
        env = dict(os.environ, QT_QPA_PLATFORM="offscreen", PYTHONFAULTHANDLER="1")
        env.pop("DISPLAY", None)
        env.pop("WAYLAND_DISPLAY", None)
        cmds = {
            "info": [py, "-m", "mmfviewer", "info", case.name],
            "listen": [py, "-m", "mmfviewer", "listen", case.name, "--from-start", "--timeout", "1",
                       "--count", "1000"] + (["--json"] if use_json else []),
            "gui": [py, "-m", "mmfviewer", "gui", case.name, "--screenshot",
                    os.path.join(self.out, f"shot-{index}.png"), "--ticks", "3"],
        }
        with open(path, "rb") as f:
            digest = hashlib.sha256(f.read()).hexdigest()
        record: dict[str, Any] = {"index": index, "name": case.name, "family": case.family, "desc": case.desc,
                                  "code": code_version(),
                                  "size": case.size, "sha256": digest, "json": use_json,
                                  "gen_seconds": round(gen_time, 3), "runs": {}}
        try:
            for cmd in args.commands:
                if self.stop.is_set():
                    return None
                with self.lock:
                    others = sorted(self.live_names - {case.name})
                    self.live_names.add(case.name)
                run = self.run_cmd(cmds[cmd], env, f"{index}-{cmd}")
                if self.stop.is_set():  # interrupted: the run was killed by us, not a result
                    return None
                if others:
                    run["other_fuzz_segments"] = others  # the GUI's segment list sees them too
                record["runs"][cmd] = run
            failing = [c for c, r in record["runs"].items() if r["fail"]]
            if failing:
                saved = os.path.join(self.out, f"case-{index}-{case.family}.bin")
                save_sparse(path, saved)
                record["saved"] = saved
                with open(os.path.join(self.out, f"case-{index}-{case.family}.json"), "w") as f:
                    json.dump({k: v for k, v in record.items() if k != "runs"}, f, indent=1)
                for c in failing:
                    r = record["runs"][c]
                    with open(os.path.join(self.out, f"fail-{index}-{c}.stderr"), "wb") as f:
                        f.write(r["_stderr"] or b"")
                    with open(os.path.join(self.out, f"fail-{index}-{c}.stdout"), "wb") as f:
                        f.write((r["_stdout"] or b"")[:1 << 20])
            for r in record["runs"].values():
                r.pop("_stdout", None)
                r.pop("_stderr", None)
        finally:
            with self.lock:
                self.live_names.discard(case.name)
            self.remove(path)
            if not args.keep_shots:
                shot = os.path.join(self.out, f"shot-{index}.png")
                if os.path.exists(shot) and "saved" not in record:
                    os.unlink(shot)
        with self.lock:
            self.results.append(record)
            self.results_file.write(json.dumps(record) + "\n")
            self.results_file.flush()
        return record

    def remove(self, path: str) -> None:
        if self.args.keep:
            return
        try:
            os.unlink(path)
        except FileNotFoundError:
            pass
        with self.lock:
            self.made.discard(path)

    def kill_all(self) -> None:
        with self.lock:
            for pid in list(self.running):
                try:
                    os.killpg(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass

    def cleanup(self) -> list[str]:
        """Remove every segment this run made (only those: another run may use the same names)."""
        removed = []
        with TEMP_LOCK:
            paths = set(TEMP_SEGMENTS)
        if not self.args.keep:
            with self.lock:
                paths |= set(self.made)
        for path in paths:
            try:
                os.unlink(path)
                removed.append(path)
            except FileNotFoundError:
                pass
        return removed


def code_version() -> str:
    """The commit of the checkout under test, with '+dirty' when mmfviewer/ has local changes:
    each command imports the code as it is when it starts, so a checkout that moves
    during a run is tested at several versions (the summary says so)."""
    try:
        head = subprocess.run(["git", "-C", REPO, "rev-parse", "--short", "HEAD"], capture_output=True,
                              text=True, timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "-C", REPO, "status", "--porcelain", "--", "mmfviewer"],
                               capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return (head or "unknown") + ("+dirty" if dirty else "")


# ============================================================================ summary

def _norm_error(line: str) -> str:
    line = re.sub(r"'fuzz-\d+-\d+'", "'NAME'", line)
    line = re.sub(r"0x[0-9a-fA-F]+", "0xN", line)
    line = re.sub(r"\d[\d,]*", "N", line)
    return line[:200]


def summarize(results: list[dict[str, Any]], args: argparse.Namespace, elapsed: float,
              interrupted: bool, skipped: list[dict[str, Any]]) -> tuple[dict[str, Any], str]:
    per_cmd: dict[str, Any] = {}
    failures = []
    errors: dict[str, dict[str, dict[str, Any]]] = {c: {} for c in COMMANDS}
    unclear = []
    ctrl_out = []
    families: dict[str, dict[str, int]] = {}
    for rec in results:
        fam = families.setdefault(rec["family"], {"cases": 0, "failing_cases": 0})
        fam["cases"] += 1
        if any(r["fail"] for r in rec["runs"].values()):
            fam["failing_cases"] += 1
    for cmd in args.commands:
        runs = [(rec, rec["runs"][cmd]) for rec in results if cmd in rec["runs"]]
        rss = [r["rss_kib"] / 1024 for _, r in runs]
        walls = [r["wall"] for _, r in runs]
        exits: dict[str, int] = {}
        for _, r in runs:
            key = "hang" if r["hang"] else (f"signal {r['signal']}" if r["signal"] else str(r["exit"]))
            exits[key] = exits.get(key, 0) + 1
        per_cmd[cmd] = {
            "runs": len(runs),
            "failing_runs": sum(1 for _, r in runs if r["fail"]),
            "failures": {k: sum(1 for _, r in runs if k in r["fail"]) for k in FAIL_KINDS},
            "exit_statuses": dict(sorted(exits.items())),
            "max_rss_mib": round(max(rss), 1) if rss else None,
            "median_rss_mib": round(statistics.median(rss), 1) if rss else None,
            "max_wall_s": round(max(walls), 2) if walls else None,
            "median_wall_s": round(statistics.median(walls), 2) if walls else None,
        }
        for rec, r in runs:
            if r["fail"]:
                failures.append({"index": rec["index"], "family": rec["family"], "command": cmd,
                                 "argv": r["argv"], "kinds": r["fail"], "exit": r["exit"], "signal": r["signal"],
                                 "rss_mib": round(r["rss_kib"] / 1024, 1), "wall_s": r["wall"],
                                 "desc": rec["desc"], "saved": rec.get("saved"),
                                 "stderr_tail": r["stderr_tail"][-8:],
                                 "other_fuzz_segments": r.get("other_fuzz_segments", [])})
            elif r["exit"] in (1, 2):
                lines = [ln for ln in r["stderr_tail"] if ln.strip()]
                last = lines[-1] if lines else "(empty stderr)"
                key = _norm_error(last)
                slot = errors[cmd].setdefault(key, {"count": 0, "example": last, "index": rec["index"],
                                                    "family": rec["family"]})
                slot["count"] += 1
                # Non-JSON listen prints a status line first; anything else is extra.
                extra = [ln for ln in lines if not ln.startswith("listening on ")]
                if len(extra) > 1 or not last.startswith("mmfviewer: ") or len(last) > 300:
                    unclear.append({"index": rec["index"], "command": cmd, "exit": r["exit"], "stderr": lines[-5:]})
            if r["stdout_ctrl"]:
                ctrl_out.append({"index": rec["index"], "family": rec["family"], "command": cmd,
                                 "json": rec["json"], "bytes": r["stdout_ctrl"], "head": r["stdout_head"][:160]})
    versions: dict[str, list[int]] = {}
    for rec in results:
        versions.setdefault(rec.get("code", "unknown"), []).append(rec["index"])
    summary = {
        "code_versions": {k: [min(v), max(v), len(v)] for k, v in versions.items()},
        "seed": args.seed, "count": args.count, "cases_run": len(results), "interrupted": interrupted,
        "skipped": skipped,
        "elapsed_s": round(elapsed, 1), "timeout_s": args.timeout, "rss_limit_mib": args.rss_limit_mib,
        "families": families, "commands": per_cmd, "failures": failures,
        "error_messages": {c: sorted(v.values(), key=lambda s: -s["count"]) for c, v in errors.items()},
        "unclear_errors": unclear, "stdout_control_bytes": ctrl_out,
    }
    # ------------------------------------------------------------ the table
    lines = [f"mmfviewer fuzz: seed {args.seed}, {len(results)}/{args.count} cases, "
             f"{elapsed:.0f} s{' (INTERRUPTED)' if interrupted else ''}, timeout {args.timeout:g} s, "
             f"RSS limit {args.rss_limit_mib} MiB",
             "code tested: " + ", ".join(f"{k} ({len(v)} cases)" for k, v in versions.items())
             + ("  WARNING: the checkout changed during the run" if len(versions) > 1 else ""), ""]
    head = ("command", "runs", "failing", "signal", "hang", "traceback", "rss>lim", "max RSS MiB",
            "median RSS MiB", "max wall s", "exit statuses")
    rows = [head]
    for cmd, s in per_cmd.items():
        f = s["failures"]
        rows.append((cmd, str(s["runs"]), str(s["failing_runs"]), str(f["signal"]), str(f["hang"]),
                     str(f["traceback"]), str(f["rss"]), str(s["max_rss_mib"]), str(s["median_rss_mib"]),
                     str(s["max_wall_s"]), " ".join(f"{k}:{v}" for k, v in s["exit_statuses"].items())))
    widths = [max(len(r[i]) for r in rows) for i in range(len(head))]
    for r in rows:
        lines.append("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip())
    lines.append("")
    lines.append("families: " + ", ".join(f"{k} {v['cases']} ({v['failing_cases']} failing)"
                                          for k, v in sorted(families.items())))
    lines.append("")
    if skipped:
        lines.append(f"cases not run: {len(skipped)}")
        for sk in skipped:
            lines.append(f"  #{sk['index']}: {sk['why'][:200]}")
        lines.append("")
    lines.append(f"failing runs: {len(failures)}")
    for fl in failures:
        lines.append(f"- case {fl['index']} [{fl['family']}] {fl['command']}: {','.join(fl['kinds'])} "
                     f"(exit {fl['exit']}, rss {fl['rss_mib']} MiB, {fl['wall_s']} s) saved {fl['saved']}")
        lines.append(f"    made: {'; '.join(fl['desc'])}")
        for ln in fl["stderr_tail"][-4:]:
            lines.append(f"    | {ln[:300]}")
    lines.append("")
    lines.append("one-line errors (exit 1/2, not failures), most common first:")
    for cmd, msgs in summary["error_messages"].items():
        for m in msgs[:25]:
            lines.append(f"  {cmd:6} x{m['count']:<4} [{m['family']} #{m['index']}] {m['example'][:240]}")
    lines.append("")
    lines.append(f"errors that are not one clear line: {len(unclear)}")
    for u in unclear[:20]:
        lines.append(f"  #{u['index']} {u['command']} exit {u['exit']}: {u['stderr']}")
    lines.append("")
    lines.append(f"runs whose stdout has raw control bytes: {len(ctrl_out)}")
    for c in ctrl_out[:20]:
        lines.append(f"  #{c['index']} [{c['family']}] {c['command']}{' --json' if c['json'] else ''}: "
                     f"bytes {c['bytes'][:10]} head {c['head'][:100]!r}")
    return summary, "\n".join(lines) + "\n"


# ============================================================================ main

def parse_indexes(text: str) -> list[int]:
    out: list[int] = []
    for part in text.split(","):
        if "-" in part:
            a, b = part.split("-")
            out.extend(range(int(a), int(b) + 1))
        elif part:
            out.append(int(part))
    return out


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--count", type=int, default=500, help="segments to make and test (default 500)")
    p.add_argument("--seed", type=int, default=1, help="the seed every segment is derived from")
    p.add_argument("--out", default="/tmp/fuzz/out", help="directory for results (created)")
    p.add_argument("--jobs", type=int, default=2, help="cases run at once (default 2)")
    p.add_argument("--timeout", type=float, default=60.0, help="seconds before a command counts as hung")
    p.add_argument("--rss-limit-mib", type=int, default=200, help="peak RSS above this is a failure")
    p.add_argument("--commands", default=",".join(COMMANDS), help="subset of info,listen,gui")
    p.add_argument("--only", help="run only these case indexes (e.g. 3,17,40-45)")
    p.add_argument("--keep", action="store_true", help="leave the segments in /dev/shm (to reproduce)")
    p.add_argument("--keep-shots", action="store_true", help="keep every screenshot (default: failing cases only)")
    p.add_argument("--describe", action="store_true", help="print how each case is made, run nothing")
    args = p.parse_args()
    args.commands = [c for c in args.commands.split(",") if c]
    if any(c not in COMMANDS for c in args.commands):
        p.error(f"--commands takes {','.join(COMMANDS)}")
    indexes = parse_indexes(args.only) if args.only else list(range(args.count))
    if args.describe:
        for i in indexes:
            case = build_case(args.seed, i)
            print(f"{i:4} {case.family:15} {case.size:>10}  {'; '.join(case.desc)}")
        return 0
    os.makedirs(args.out, exist_ok=True)
    runner = Runner(args)

    def on_term(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_term)
    started = time.monotonic()
    interrupted = False
    pool = ThreadPoolExecutor(max_workers=max(1, args.jobs))
    try:
        pending = set()
        queue = list(indexes)
        done = 0
        while queue or pending:
            while queue and len(pending) < max(1, args.jobs):
                pending.add(pool.submit(runner.run_case, queue.pop(0)))
            finished, pending = wait(pending, timeout=1.0, return_when=FIRST_COMPLETED)
            for fut in finished:
                rec = fut.result()
                done += 1
                if rec is not None:
                    bad = {c: r["fail"] for c, r in rec["runs"].items() if r["fail"]}
                    walls = " ".join(f"{c}:{r['exit']}/{r['wall']:.1f}s/{r['rss_kib'] // 1024}M"
                                     for c, r in rec["runs"].items())
                    print(f"[{done}/{len(indexes)}] #{rec['index']} {rec['family']:14} {walls}"
                          + (f"  FAIL {bad}" if bad else ""), flush=True)
    except KeyboardInterrupt:
        interrupted = True
        print("interrupted: stopping commands and removing segments", file=sys.stderr)
        runner.stop.set()
        runner.kill_all()
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
        runner.kill_all()
        removed = runner.cleanup()
        if removed:
            print(f"removed {len(removed)} leftover segment(s)", file=sys.stderr)
        runner.results_file.close()
        while not runner.spawners.empty():
            runner.spawners.get().close()
    results = sorted(runner.results, key=lambda r: r["index"])
    summary, table = summarize(results, args, time.monotonic() - started, interrupted, runner.skipped)
    with open(os.path.join(args.out, "summary.json"), "w") as f:
        json.dump(summary, f, indent=1, default=str)
    with open(os.path.join(args.out, "summary.txt"), "w") as f:
        f.write(table)
    print(table)
    return 130 if interrupted else (1 if summary["failures"] else 0)


if __name__ == "__main__":
    sys.exit(main())
