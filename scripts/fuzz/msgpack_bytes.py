"""Hostile msgpack: values that hurt a decoder or printer, alone (mailboxes) or in channel records."""

from __future__ import annotations

import random
import struct

import msgpack

from .mutations import Case, MiB, flip_bits, generic_mutations, rand_text, rand_value, truncate


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
