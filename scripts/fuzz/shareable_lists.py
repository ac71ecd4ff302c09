"""Real multiprocessing ShareableLists, copied out, then their count, slots, formats or data mutated."""

from __future__ import annotations

import random
import struct

from .mutations import NASTY_TEXTS, Case, flip_bits, generic_mutations, rand_text, track_temp, truncate


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
    track_temp(f"{case.name}-sl", True)
    try:
        case.data = bytearray(bytes(sl.shm.buf))
    finally:
        sl.shm.close()
        sl.shm.unlink()
        track_temp(f"{case.name}-sl", False)
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
