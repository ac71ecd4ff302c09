"""``mmfviewer bench decode``: what explaining a 1 MiB value costs, .NET beside msgpack.

The same content — a list of {title, content} messages (a title and a content string) — as
a .NET ``Message[]`` that BinaryFormatter would write (one class record, then
``ClassWithId`` records that reuse it) and as msgpack (what our mailbox holds), plus
a .NET object holding one large ``int[]``. Each is decoded into what the window
shows (:func:`mmfviewer.nrbf.decode`'s tree; msgpack's C unpacker with our limits),
in interleaved rounds, so a noisy moment of the machine hits every variant alike.
``listen`` adds a one-line rendering, bounded to a couple of thousand characters.
"""

from __future__ import annotations

import statistics
import struct
import time
from collections.abc import Callable
from typing import Any

import msgpack

from . import nrbf, nrbf_encode, nrbf_format
from .codec import decode_mailbox

MiB = 1 << 20
_I32 = nrbf_format.I32
_lps = nrbf_encode.length_prefixed


def dotnet_messages(count: int) -> bytes:
    """A BinaryFormatter stream of a ``Message[]`` of ``count`` messages."""
    out = bytearray(bytes([nrbf_format.HEADER]) + struct.pack("<iiii", 1, -1, 1, 0))
    out += bytes([nrbf_format.BINARY_LIBRARY]) + _I32.pack(2) + _lps("MessageLib, Version=1.0.0.0, "
                                                             "Culture=neutral, PublicKeyToken=null")
    out += bytes([nrbf_format.ARRAY_SINGLE_OBJECT]) + _I32.pack(1) + _I32.pack(count)
    next_id = 3
    for i in range(count):
        title, content = _message_text(i)
        if i == 0:
            out += (bytes([nrbf_format.CLASS_WITH_MEMBERS_AND_TYPES]) + _I32.pack(next_id) + _lps("Message")
                    + _I32.pack(2) + _lps("title") + _lps("content") + bytes([1, 1]) + _I32.pack(2))
            first = next_id
        else:
            out += bytes([nrbf_format.CLASS_WITH_ID]) + _I32.pack(next_id) + _I32.pack(first)
        out += bytes([nrbf_format.OBJECT_STRING]) + _I32.pack(next_id + 1) + _lps(title)
        out += bytes([nrbf_format.OBJECT_STRING]) + _I32.pack(next_id + 2) + _lps(content)
        next_id += 3
    out.append(nrbf_format.MESSAGE_END)
    return bytes(out)


def dotnet_int_array(count: int) -> bytes:
    """A BinaryFormatter stream of an object whose one member is an ``int[count]``."""
    out = bytearray(bytes([nrbf_format.HEADER]) + struct.pack("<iiii", 1, -1, 1, 0))
    out += bytes([nrbf_format.BINARY_LIBRARY]) + _I32.pack(2) + _lps("Samples")
    out += (bytes([nrbf_format.CLASS_WITH_MEMBERS_AND_TYPES]) + _I32.pack(1) + _lps("Series") + _I32.pack(1)
            + _lps("values") + bytes([nrbf_format.BT_PRIMITIVE_ARRAY, 8]) + _I32.pack(2))
    out += bytes([nrbf_format.MEMBER_REFERENCE]) + _I32.pack(3)
    out += bytes([nrbf_format.ARRAY_SINGLE_PRIMITIVE]) + _I32.pack(3) + _I32.pack(count) + bytes([8])
    out += struct.pack(f"<{count}i", *range(count))
    out.append(nrbf_format.MESSAGE_END)
    return bytes(out)


def _message_text(i: int) -> tuple[str, str]:
    return f"Message {i}", f"The world is going down, for the {i}th time, and the news reaches everyone."


def _sized(make: Callable[[int], bytes], size: int) -> bytes:
    """``make(n)`` with the smallest n whose stream is at least ``size`` bytes."""
    per_item = max(len(make(100)) // 100, 1)
    n = max(size // per_item, 1)
    while len(data := make(n)) < size:
        n += max((size - len(data)) // per_item, 1)
    return data


def run_decode_bench(size: int = MiB, rounds: int = 9,
                     progress: Callable[[str], None] = lambda s: None) -> dict[str, Any]:
    """Decode each variant ``rounds`` times, interleaved; medians, ranges, ratios."""
    messages = _sized(dotnet_messages, size)
    count = nrbf.decode(messages).items().__len__()
    packed = msgpack.packb([{"title": t, "content": c} for t, c in map(_message_text, range(count))],
                           use_bin_type=True)
    ints = _sized(dotnet_int_array, size)
    variants: dict[str, tuple[bytes, Callable[[bytes], Any], str]] = {
        ".NET Message[]": (messages, nrbf.decode, f"{count:,} messages, BinaryFormatter"),
        "msgpack list": (packed, decode_mailbox, f"the same {count:,} messages as msgpack maps"),
        ".NET int[]": (ints, nrbf.decode, "one object with an int[] (read as one packed array)"),
    }
    times: dict[str, list[float]] = {name: [] for name in variants}
    progress(f"decode bench, {rounds} interleaved rounds")
    for _ in range(rounds):
        for name, (data, decode, _note) in variants.items():
            start = time.perf_counter()
            decode(data)
            times[name].append(time.perf_counter() - start)
    rows = []
    for name, (data, _decode, note) in variants.items():
        t = times[name]
        rows.append({"variant": name, "bytes": len(data), "median_ms": statistics.median(t) * 1e3,
                     "min_ms": min(t) * 1e3, "max_ms": max(t) * 1e3,
                     "mb_per_s": len(data) / statistics.median(t) / 1e6, "note": note})
    ratios = [times[".NET Message[]"][i] / times["msgpack list"][i] for i in range(rounds)]
    return {"rounds": rounds, "rows": rows, "dotnet_vs_msgpack_median": statistics.median(ratios),
            "dotnet_vs_msgpack_range": [min(ratios), max(ratios)]}


def format_decode_report(result: dict[str, Any]) -> str:
    """The result as a table, as ``mmfviewer bench decode`` prints it."""
    lines = [f"decode a ~1 MiB value at offset 0, {result['rounds']} interleaved rounds "
             "(median, min-max)",
             f"{'variant':<16}{'bytes':>10}{'median ms':>11}{'range ms':>16}{'MB/s':>8}  note"]
    for row in result["rows"]:
        spread = f"{row['min_ms']:.1f}-{row['max_ms']:.1f}"
        lines.append(f"{row['variant']:<16}{row['bytes']:>10,}{row['median_ms']:>11.1f}{spread:>16}"
                     f"{row['mb_per_s']:>8.1f}  {row['note']}")
    low, high = result["dotnet_vs_msgpack_range"]
    lines.append(f".NET Message[] takes {result['dotnet_vs_msgpack_median']:.1f}x as long as the same "
                 f"messages in msgpack (per-round ratio, median; range {low:.1f}x-{high:.1f}x): "
                 "a pure-Python decoder that checks every count, against msgpack's C unpacker")
    return "\n".join(lines)
