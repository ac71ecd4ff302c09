""".NET BinaryFormatter (MS-NRBF) streams: encoded, hand-built to be hostile, then mutated."""

from __future__ import annotations

import random
import struct
from typing import Any

from mmfviewer import nrbf_encode
from mmfviewer.nrbf_format import HEADER, HEADER_LAYOUT, I32

from .mutations import NASTY_TEXTS, Case, MiB, flip_bits, rand_text, truncate

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
