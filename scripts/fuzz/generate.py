"""Which family a case is, by seed and index alone; raw bytes; a case written as a (sparse) segment."""

from __future__ import annotations

import os
import random
import struct
from collections.abc import Callable

from .channels import make_channel
from .dotnet_bytes import make_dotnet, nrbf_header
from .msgpack_bytes import make_mailbox
from .mutations import MAX_SEGMENT, NASTY_TEXTS, SHM, Case, MiB, truncate
from .shareable_lists import make_shareable_list

FAMILIES = ("channel", "mailbox", "dotnet", "shareable-list", "raw")
FAMILY_WEIGHTS = (40, 16, 16, 13, 15)


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
