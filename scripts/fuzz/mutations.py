"""A case's bytes, the edits every family makes to them, and the hostile values they draw from."""

from __future__ import annotations

import os
import random
import struct
import threading
from dataclasses import dataclass, field
from typing import Any

SHM = "/dev/shm"
MiB = 1 << 20
MAX_SEGMENT = 64 * MiB

#: Generator temp segments (a channel or ShareableList being built) that exist now.
TEMP_SEGMENTS: set[str] = set()
TEMP_LOCK = threading.Lock()


def track_temp(name: str, made: bool) -> None:
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
