"""Side-by-side benchmarks: ``mmfviewer bench channel``.

Every figure is measured in the same run as its alternatives, so ratios mean
something on a noisy machine. One writer process sends to one reader process; the
reader decodes every message's value (the same work every peer does), and a run
only counts the messages that actually arrived. The other transports, and the pair
of processes every throughput figure comes from, are in
:mod:`mmfviewer.bench_transports`.
"""

from __future__ import annotations

import functools
import multiprocessing as mp
import os
import statistics
import time
import uuid
from collections.abc import Callable
from typing import Any

from .bench_transports import (
    run_pair,
    sample_message,
    throughput_faster_fifo,
    throughput_iceoryx2,
    throughput_pipe,
    throughput_queue,
    throughput_zmq,
)
from .channel import Channel
from .channel_reader import Reader
from .segment import unlink_segment

_ctx = mp.get_context("spawn")
LARGE = 1 << 20


# ---------------------------------------------------------------------- workers
# Ours, run as a pair like the other transports (:func:`~mmfviewer.bench_transports.run_pair`).

def _mmf_writer(name: str, n: int, batch: int, ready: Any, out: Any) -> None:
    messages = [sample_message(i) for i in range(n)]
    with Channel.open(name) as ch, ch.writer("bench") as w:
        ready.wait()
        t0 = time.perf_counter()
        if batch > 1:
            for i in range(0, n, batch):
                w.send_many(messages[i:i + batch])
        else:
            send = w.send
            for m in messages:
                send(m)
        out.put(("writer", t0))


def _read_all(reader: Any, n: int, progress: Any = None) -> int:
    """Receive until ``n`` messages arrived or were lost, decoding every value."""
    got = 0
    while got + reader.lost < n:
        for m in reader.wait(10):
            _ = m.value  # the decode is part of the work measured
            got += 1
            if progress is not None:
                progress.value = got
    return got


def _mmf_reader(name: str, n: int, ready: Any, out: Any) -> None:
    with Channel.open(name, readonly=True) as ch:
        r = ch.reader()
        ready.set()
        got = _read_all(r, n)
        out.put(("reader", time.perf_counter(), got, r.lost))


# ---------------------------------------------------------------------- variants

#: Lanes big enough for a whole throughput run: a broadcast writer never waits, so a
#: ring smaller than the burst would measure how much survives, not how fast it goes.
BENCH_LANE = 16 << 20


def _with_channel(fn: Callable[[str], Any], lanes: int = 8, lane_size: int = BENCH_LANE) -> Any:
    name = f"mmfv-bench-{uuid.uuid4().hex[:8]}"
    Channel.create(name, lanes=lanes, lane_size=lane_size).close()
    try:
        return fn(name)
    finally:
        unlink_segment(name)


def throughput_mmfviewer(n: int, batch: int = 1) -> tuple[float, int, int]:
    """msgs/s through our channel, one ``send`` per message (or ``send_many``)."""
    result: tuple[float, int, int] = _with_channel(
        lambda name: run_pair(_mmf_writer, _mmf_reader, (name, n, batch), (name, n)))
    return result



# ---------------------------------------------------------------------- one side alone
# What the safe paths cost: a reader draining a full lane with pread or through the
# mapping, and a writer filling one with the mapping or with pwrite, in one process
# (no peer to wait for, no decoding), so the difference is only how bytes move.

def _drain_rate(channel: Channel, n: int, access: str) -> float:
    reader = Reader(channel, "oldest", access=access)
    t0 = time.perf_counter()
    got = 0
    while got < n:
        got += len(reader.poll())
    return got / (time.perf_counter() - t0)


def _fill_rate(channel: Channel, messages: list[Any], access: str) -> float:
    with channel.writer("bench", access=access) as w:
        send = w.send
        t0 = time.perf_counter()
        for m in messages:
            send(m)
        return len(messages) / (time.perf_counter() - t0)


def _one_side(name: str, side: str, access: str, messages: list[Any]) -> float:
    with Channel.open(name) as ch:
        if side == "writer":
            return _fill_rate(ch, messages, access)
        _fill_rate(ch, messages, "mapped")
        return _drain_rate(ch, len(messages), access)


def run_access_bench(n: int = 200_000, rounds: int = 5,
                     progress: Callable[[str], None] = lambda s: None) -> dict[str, Any]:
    """Reader and writer rates per way of reaching the segment, interleaved rounds."""
    messages = [sample_message(i) for i in range(n)]
    samples: dict[str, list[float]] = {key: [] for key in ACCESS_VARIANTS}
    for r in range(rounds):
        progress(f"round {r + 1} of {rounds}: reader and writer alone")
        for key in ACCESS_VARIANTS:
            side, access = key.split("_")
            one_side = functools.partial(_one_side, side=side, access=access, messages=messages)
            samples[key].append(_with_channel(one_side, lanes=1, lane_size=64 << 20))
    return {k: {"median": statistics.median(v), "min": min(v), "max": max(v)} for k, v in samples.items()}


#: One side alone: key -> label; ``side_access``.
ACCESS_VARIANTS = {
    "reader_syscall": "reader, pread (safe; the default)",
    "reader_mapped": "reader, mapping (can SIGBUS)",
    "writer_mapped": "writer, mapping (the default)",
    "writer_syscall": "writer, pwrite (safe; CLI, GUI)",
}


# ---------------------------------------------------------------------- latency

def _latency_writer(name: str, n: int, rate: float, ready: Any, out: Any) -> None:
    with Channel.open(name) as ch, ch.writer("bench") as w:
        ready.wait()
        interval = 1.0 / rate
        start = time.perf_counter()
        for i in range(n):
            due = start + i * interval
            while time.perf_counter() < due:
                pass
            w.send(time.perf_counter_ns())
        out.put(("writer", start))


def _latency_reader(name: str, n: int, ready: Any, out: Any) -> None:
    with Channel.open(name, readonly=True) as ch:
        r = ch.reader()
        r.spin_seconds = 1.0  # a latency reader spins: that is what it is for
        ready.set()
        delays: list[int] = []
        while len(delays) + r.lost < n:
            for m in r.wait(10):
                delays.append(time.perf_counter_ns() - m.value)
        out.put(("reader", delays, r.lost))


def latency_mmfviewer(n: int = 10_000, rate: float = 10_000.0) -> dict[str, float]:
    """One-way latency in microseconds at a paced rate: p50 and p99."""
    def run(name: str) -> dict[str, float]:
        ready, out = _ctx.Event(), _ctx.Queue()
        procs = [_ctx.Process(target=_latency_reader, args=(name, n, ready, out)),
                 _ctx.Process(target=_latency_writer, args=(name, n, rate, ready, out))]
        for p in procs:
            p.start()
        results = {}
        for _ in procs:
            item = out.get(timeout=300)
            results[item[0]] = item[1:]
        for p in procs:
            p.join(30)
        delays, lost = results["reader"]
        q = statistics.quantiles(delays, n=100)
        return {"p50": q[49] / 1000, "p99": q[98] / 1000, "lost": lost}
    figures: dict[str, float] = _with_channel(run)
    return figures


# ---------------------------------------------------------------------- large payloads

def _large_writer(name: str, n: int, window: int, done: Any, ready: Any, out: Any) -> None:
    payload = os.urandom(LARGE)
    with Channel.open(name) as ch, ch.writer("bench") as w:
        ready.wait()
        t0 = time.perf_counter()
        for i in range(n):
            while i - done.value >= window:
                pass  # flow control: never more than `window` payloads ahead of the reader
            w.send_bytes(payload)
        out.put(("writer", t0))


def _large_reader(name: str, n: int, done: Any, ready: Any, out: Any) -> None:
    with Channel.open(name, readonly=True) as ch:
        r = ch.reader()
        r.spin_seconds = 1.0
        ready.set()
        got = _read_all(r, n, progress=done)
        out.put(("reader", time.perf_counter(), got, r.lost))


def large_mmfviewer(n: int = 2000, window: int = 4) -> tuple[float, int, int]:
    """GB/s of 1 MiB payloads delivered writer process -> reader process.

    A broadcast writer never waits, so a writer faster than its reader would lap it
    and the figure would be "how much got through". Here the writer stays at most
    ``window`` payloads ahead of the reader (read through a shared counter), as any
    sender of bulk data would, so the figure is the pipeline's throughput.
    """
    done = _ctx.Value("q", 0, lock=False)
    rate, received, lost = _with_channel(
        lambda name: run_pair(_large_writer, _large_reader, (name, n, window, done), (name, n, done)),
        lanes=1, lane_size=8 * LARGE)
    return rate * LARGE / 1e9, received, lost


def memcpy_gbps(n: int = 2000) -> float:
    """GB/s of a plain copy of 1 MiB between two buffers, for scale."""
    src = os.urandom(LARGE)
    dst = bytearray(LARGE)
    t0 = time.perf_counter()
    for _ in range(n):
        dst[:] = src
    return n * LARGE / (time.perf_counter() - t0) / 1e9


# ---------------------------------------------------------------------- report

#: The throughput variants, in the order each round runs them: key -> (label, run).
VARIANTS: dict[str, tuple[str, Callable[[int, int], tuple[float, int, int] | None]]] = {
    "mmfviewer": ("mmfviewer send", lambda n, batch: throughput_mmfviewer(n)),
    "mmfviewer_batch": ("mmfviewer batch", lambda n, batch: throughput_mmfviewer(n, batch)),
    "queue": ("mp.Queue", lambda n, batch: throughput_queue(n)),
    "pipe": ("mp.Pipe+msgpack", lambda n, batch: throughput_pipe(n)),
    "zmq": ("zmq PUSH/PULL", lambda n, batch: throughput_zmq(n)),
    "iceoryx2": ("iceoryx2 pub/sub", lambda n, batch: throughput_iceoryx2(n)),
    "faster_fifo": ("faster-fifo", lambda n, batch: throughput_faster_fifo(n)),
}


def run_channel_bench(n: int = 200_000, batch: int = 256, rounds: int = 5,
                      progress: Callable[[str], None] = lambda s: None) -> dict[str, Any]:
    """Run every variant ``rounds`` times, interleaved (A B C … A B C …), so one noisy
    moment of the machine hits one sample of each, not all of one; return medians,
    ranges and per-round ratios as the ``--json`` object."""
    samples: dict[str, list[float]] = {key: [] for key in VARIANTS}
    notes: dict[str, str] = {}
    for r in range(rounds):
        for key, (label, run) in VARIANTS.items():
            progress(f"round {r + 1} of {rounds}: {label}")
            result = run(n, batch)
            if result is None:
                notes[key] = "not installed: pip install 'mmfviewer[bench]'"
                continue
            rate, received, lost = result
            samples[key].append(rate)
            if lost:
                notes[key] = f"{lost} lost of {received + lost} in a round"
    base = samples["mmfviewer"]
    ratios = {key: [b / v for b, v in zip(base, values, strict=True)] for key, values in samples.items() if values}
    one_side = run_access_bench(n, rounds, progress)
    progress("latency at 10,000 msg/s")
    latency = latency_mmfviewer()
    progress("1 MiB payloads")
    large, _, _ = large_mmfviewer()
    memcpy = memcpy_gbps()
    return {
        "messages": n,
        "rounds": rounds,
        "msgs_per_s": {k: statistics.median(v) if v else None for k, v in samples.items()},
        "msgs_per_s_range": {k: [min(v), max(v)] if v else None for k, v in samples.items()},
        "mmfviewer_is": {k: {"median": statistics.median(v), "min": min(v), "max": max(v)}
                         for k, v in ratios.items()},
        "notes": notes,
        "one_side_msgs_per_s": one_side,
        "latency_us": {"p50": latency["p50"], "p99": latency["p99"]},
        "large_gbps": {"mmfviewer": large, "memcpy": memcpy},
    }


def format_channel_report(result: dict[str, Any]) -> str:
    """The figures as a table: each variant's median and range over the rounds, and
    the median of the per-round ratios of one ``send`` per message to it."""
    rates, spans, ratios = result["msgs_per_s"], result["msgs_per_s_range"], result["mmfviewer_is"]
    lines = [f"channel throughput, {result['messages']:,} {{title, content}} messages, "
             "writer process -> reader process "
             f"(mmfviewer lanes of {BENCH_LANE >> 20} MiB; every value decoded by the reader); "
             f"{result['rounds']} interleaved rounds: median (min-max)",
             f"{'variant':<18}{'msg/s':>12}{'range':>22}{'mmfviewer is':>14}{'ratio range':>16}  note"]
    for key, (label, _run) in VARIANTS.items():
        note = result["notes"].get(key, "")
        if rates.get(key) is None:
            lines.append(f"{label:<18}{'-':>12}{'-':>22}{'-':>14}{'-':>16}  {note}")
            continue
        low, high = spans[key]
        ratio = ratios[key]
        span = f"{low:,.0f}-{high:,.0f}"
        ratio_span = f"{ratio['min']:.2f}-{ratio['max']:.2f}x"
        lines.append(f"{label:<18}{rates[key]:>12,.0f}{span:>22}{ratio['median']:>13.2f}x"
                     f"{ratio_span:>16}  {note}")
    one_side = result["one_side_msgs_per_s"]
    lines.append(f"one side alone, {result['messages']:,} messages through a 64 MiB lane, no decoding: "
                 "median (min-max)")
    for key, label in ACCESS_VARIANTS.items():
        figures = one_side[key]
        span = f"{figures['min']:,.0f}-{figures['max']:,.0f}"
        lines.append(f"  {label:<34}{figures['median']:>12,.0f}{span:>24}")
    for side in ("reader", "writer"):
        safe, mapped = one_side[f"{side}_syscall"]["median"], one_side[f"{side}_mapped"]["median"]
        lines.append(f"  the safe {side} runs at {safe / mapped:.2f}x the mapped one")
    lat = result["latency_us"]
    lines.append(f"one-way latency at 10,000 msg/s: p50 {lat['p50']:.1f} us, p99 {lat['p99']:.1f} us")
    large = result["large_gbps"]
    lines.append(f"1 MiB payloads: {large['mmfviewer']:.2f} GB/s; memcpy of 1 MiB: {large['memcpy']:.2f} GB/s "
                 f"({100 * large['mmfviewer'] / large['memcpy']:.0f}% of memcpy)")
    return "\n".join(lines)
