"""Channels made with the real writer, then lied about: headers, lanes, records, payloads."""

from __future__ import annotations

import contextlib
import itertools
import os
import random
import struct
import threading
import time
import zlib
from typing import Any

import msgpack

from mmfviewer import wire as L  # noqa: N812
from mmfviewer.channel import Channel

from .msgpack_bytes import hostile_msgpack
from .mutations import (
    MAX_SEGMENT,
    NASTY_NAME_BYTES,
    NASTY_TEXTS,
    SHM,
    U64_EDGES,
    Case,
    flip_bits,
    grow,
    overwrite,
    put32,
    put64,
    rand_text,
    rand_value,
    track_temp,
    truncate,
    u64,
)


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
    track_temp(tmp, True)
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
        track_temp(tmp, False)
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
