"""``mmfviewer bench gui``: what the live view costs, measured in real processes.

Each measurement runs in a fresh child process (an offscreen GUI), so its memory
figures belong to it alone; writer processes change the segment meanwhile.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import random
import resource
import statistics
import time
import uuid
from collections.abc import Callable
from typing import Any

from ..segment import Segment, unlink_segment

_ctx = mp.get_context("spawn")
GIB, MIB = 1 << 30, 1 << 20
VISIBLE_ROWS = 50


def _rss_mib() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / MIB


def _peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def _app_and_window() -> tuple[Any, Any]:
    os.environ["QT_QPA_PLATFORM"] = "offscreen"
    import tempfile

    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication

    from .app import route_qt_messages, tune_gc_for_live_views
    from .main_window import MainWindow

    route_qt_messages()
    tune_gc_for_live_views()
    app = QApplication.instance() or QApplication(["mmfviewer-bench"])
    settings = QSettings(os.path.join(tempfile.mkdtemp(), "bench.ini"), QSettings.Format.IniFormat)
    window = MainWindow(settings=settings)
    window.resize(1280, 900)
    window.show()
    app.processEvents()
    return app, window


def _size_visible_rows(app: Any, tab: Any, rows: int) -> None:
    """Make the hex view show ``rows`` full rows (the window grows or shrinks for it)."""
    view = tab.hex_view
    window = tab.window()
    for _ in range(6):
        app.processEvents()
        shown = view.hex_geometry.full_rows(view.viewport().height())
        if shown == rows:
            break
        step = view.hex_geometry.row_y(1) - view.hex_geometry.row_y(0)
        window.resize(window.width(), window.height() + int((rows - shown) * step))


# ---------------------------------------------------------------------- children

def _count_reads(tab: Any) -> list[int]:
    """Count the reads that reach the tab's segment from now on (``[n]``)."""
    segment, reads = tab.segment, [0]
    read = segment.read

    def counted(offset: int, n: int) -> bytes:
        reads[0] += 1
        return read(offset, n)
    segment.read = counted
    return reads


def _first_paint(name: str, out: Any) -> None:
    app, window = _app_and_window()
    before = _rss_mib()
    started = time.perf_counter()
    tab = window.open_name(name)
    app.processEvents()
    tab.hex_view.viewport().repaint()
    elapsed = time.perf_counter() - started
    reads, ticks = _count_reads(tab), tab.tick_count
    for _ in range(20):  # live for a couple of seconds' worth of ticks
        tab.tick()
        app.processEvents()  # the refresh timer may tick in here too: ticks are counted, not assumed
    out.put({"first_paint_ms": elapsed * 1000, "rss_mib": _rss_mib(), "rss_before_mib": before,
             "peak_rss_mib": _peak_rss_mib(), "reads_per_tick": reads[0] / (tab.tick_count - ticks)})


def _scribbler(name: str, stop: Any) -> None:
    """Change bytes all over the segment, and always some on screen."""
    with Segment.open(name, readonly=False) as seg:
        size = seg.size
        rng = random.Random(1)
        while not stop.is_set():
            for _ in range(200):
                seg.write(rng.randrange(size - 16), rng.randbytes(16))
            seg.write(rng.randrange(VISIBLE_ROWS * 16 - 16), rng.randbytes(16))


#: The structure of :func:`_structure_tick`: 1,000 fields of mixed widths.
BIG_STRUCT = "#include <stdint.h>\nstruct big {\n" + "".join(
    f"    uint32_t a{i}; float b{i}; int16_t c{i}; uint8_t d{i};\n" for i in range(250)) + "};\n"


def _timed_ticks(app: Any, tab: Any, ticks: int) -> list[float]:
    costs = []
    for _ in range(ticks):
        started = time.perf_counter()
        tab.tick()
        app.processEvents()  # includes the repaints the tick asked for
        costs.append((time.perf_counter() - started) * 1000)
        time.sleep(0.005)
    return costs


def _tick_cost(name: str, ticks: int, out: Any) -> None:
    app, window = _app_and_window()
    tab = window.open_name(name)
    tab.set_paused(True)  # we drive the ticks ourselves, to time each one
    tab.hex_view.bytes_per_row = 16  # the figure is ~50 rows of 16, whatever fits the width
    _size_visible_rows(app, tab, VISIBLE_ROWS)
    reads = _count_reads(tab)
    q = statistics.quantiles(_timed_ticks(app, tab, ticks), n=100)
    rows = tab.hex_view.hex_geometry.full_rows(tab.hex_view.viewport().height())
    out.put({"p50_ms": q[49], "p99_ms": q[98], "ticks": ticks, "visible_rows": rows,
             "reads_per_tick": reads[0] / ticks})


def _structure_tick(name: str, ticks: int, rounds: int, out: Any) -> None:
    """Ticks with and without a 1,000-field structure applied (its dock on screen),
    in alternating rounds of one window, while a writer changes the segment."""
    from ..structure_overlays import OverlaySpec

    app, window = _app_and_window()
    window.resize(1600, 900)
    tab = window.open_name(name)
    tab.set_paused(True)
    tab.hex_view.bytes_per_row = 16
    _size_visible_rows(app, tab, VISIBLE_ROWS)
    spec = OverlaySpec(BIG_STRUCT, "big.h", "big", 0)
    plain: list[list[float]] = []
    structured: list[list[float]] = []
    fields = 0
    for _ in range(rounds):
        while tab.session.overlays:
            tab.overlays.remove(0)
        plain.append(_timed_ticks(app, tab, ticks))
        tab.overlays.add(spec)
        window.docks.docks["structures"].show()
        fields = len(tab.session.overlays[0].table.leaves)
        structured.append(_timed_ticks(app, tab, ticks))

    def quantiles(runs: list[list[float]]) -> dict[str, list[float]]:
        qs = [statistics.quantiles(r, n=100) for r in runs]
        return {"p50_ms": [q[49] for q in qs], "p99_ms": [q[98] for q in qs]}
    out.put({"fields": fields, "ticks_per_round": ticks, "rounds": rounds,
             "plain": quantiles(plain), "structure": quantiles(structured)})


#: The plotted structure: eight numbers another process keeps changing.
SENSORS = "#include <stdint.h>\nstruct sensors { uint32_t seq; uint32_t n; double v[6]; int32_t level; };\n"


def _sensor_writer(name: str, stop: Any) -> None:
    """Eight fields that move like sensors, 200 updates a second."""
    import math
    import struct as st

    with Segment.open(name, readonly=False) as seg:
        n = 0
        while not stop.is_set():
            n += 1
            t = n / 200
            seg.write(0, st.pack("<II6di", 2 * n, n, *(math.sin(t * (k + 1)) * (k + 1) for k in range(6)),
                                 int(1000 * math.cos(t))))
            time.sleep(0.005)


def _plot_watch(name: str, fill_seconds: float, minutes: float, out: Any) -> None:
    """A live tab at a 16 ms refresh with the plot of 8 watched fields on screen: the
    redraw rate once the plot's 60 s window is full, and the memory over ``minutes``."""
    from PySide6.QtCore import QEventLoop, QTimer

    from ..structure_overlays import OverlaySpec

    _, window = _app_and_window()
    window.resize(1600, 1000)
    tab = window.open_name(name)
    tab.set_refresh_ms(16)
    tab.overlays.add(OverlaySpec(SENSORS, "sensors.h", "sensors", 0))
    live = tab.session.overlays[0]
    watching = tab.watching
    for row in live.table.leaves[1:]:  # all but seq: n, v[0..5], level
        watching.panel.set_plotted(watching.watch_field(live, row).key)
    watching.plot.panel.set_window(60)

    def run_for(seconds: float) -> None:
        loop = QEventLoop()  # not app.exec(): its end (aboutToQuit) closes the window's tabs
        QTimer.singleShot(int(seconds * 1000), loop.quit)
        loop.exec()
    run_for(fill_seconds)
    plot = watching.plot.panel
    frames, ticks, started = plot.frames_drawn, tab.tick_count, time.perf_counter()
    run_for(10.0)
    elapsed = time.perf_counter() - started
    window_samples = max(len(w.series(time.monotonic() - 60)[0]) for w in watching.watches)
    fps = (plot.frames_drawn - frames) / elapsed
    tick_rate = (tab.tick_count - ticks) / elapsed
    rss = [(0.0, _rss_mib())]
    begun = time.perf_counter()
    while (time.perf_counter() - begun) < minutes * 60:
        run_for(min(30.0, minutes * 60))
        rss.append(((time.perf_counter() - begun) / 60, _rss_mib()))
    out.put({"watches": len(watching.watches), "fill_seconds": fill_seconds, "plot_fps": fps,
             "ticks_per_s": tick_rate, "samples_per_watch": window_samples, "rss_mib": rss})


def _idle_cpu(name: str, seconds: float, out: Any) -> None:
    app, window = _app_and_window()
    window.open_name(name)
    from PySide6.QtCore import QTimer

    for _ in range(20):
        app.processEvents()
    cpu0, wall0 = time.process_time(), time.perf_counter()
    QTimer.singleShot(int(seconds * 1000), app.quit)
    app.exec()
    cpu = time.process_time() - cpu0
    out.put({"cpu_percent": 100 * cpu / (time.perf_counter() - wall0), "seconds": seconds})


def _flood(name: str, n: int, go: Any) -> None:
    """A writer at full speed: ``n`` {title, content} messages, one send each."""
    from ..bench_transports import sample_message
    from ..channel import Channel

    messages = [sample_message(i) for i in range(n)]
    with Channel.open(name) as ch, ch.writer("flood") as writer:
        go.wait(60)
        send = writer.send
        for m in messages:
            send(m)


def _ingest(name: str, n: int, out: Any) -> None:
    """A GUI with the channel open, live at the default refresh, while a flood
    arrives: how fast the pane takes messages in, how long ticks take, how late the
    event loop runs, how much memory stays."""
    from PySide6.QtCore import QTimer

    app, window = _app_and_window()
    tab = window.open_name(name)
    pane = tab.messages
    ticks: list[float] = []
    tab.ticked.connect(lambda: ticks.append(tab.tick_seconds * 1000))
    lateness: list[float] = []
    probe = QTimer()
    probe.setInterval(10)
    last = [time.perf_counter()]

    def beat() -> None:  # a 10 ms timer: how late it fires is how unresponsive we are
        now = time.perf_counter()
        lateness.append(max((now - last[0]) * 1000 - 10, 0.0))
        last[0] = now
    probe.timeout.connect(beat)
    probe.start()
    go = _ctx.Event()
    writer = _ctx.Process(target=_flood, args=(name, n, go))
    writer.start()
    deadline = time.perf_counter() + 300
    started: float | None = None
    while time.perf_counter() < deadline:
        app.processEvents()
        if started is None:
            go.set()
            started = time.perf_counter()
        reader = pane.reader
        if reader is not None and pane.received + reader.lost >= n:
            break
        time.sleep(0.001)
    elapsed = time.perf_counter() - (started or time.perf_counter())
    writer.join(60)
    reader = pane.reader
    q_tick = statistics.quantiles(ticks, n=100) if len(ticks) > 2 else [0.0] * 99
    q_late = statistics.quantiles(lateness, n=100) if len(lateness) > 2 else [0.0] * 99
    out.put({"sent": n, "received": pane.received, "lost": reader.lost, "seconds": elapsed,
             "ingest_per_s": pane.received / elapsed, "rows_kept": pane.model.rowCount(),
             "tick_p50_ms": q_tick[49], "tick_p99_ms": q_tick[98],
             "loop_late_p99_ms": q_late[98], "rss_mib": _rss_mib()})


def _with_channel(lane_size: int, fn: Callable[[str], Any]) -> Any:
    from ..channel import Channel

    name = f"mmfv-bench-{uuid.uuid4().hex[:8]}"
    Channel.create(name, lanes=8, lane_size=lane_size).close()
    try:
        return fn(name)
    finally:
        unlink_segment(name)


def _in_child(target: Callable[..., None], *args: Any, timeout: float = 600) -> dict[str, Any]:
    out = _ctx.Queue()
    proc = _ctx.Process(target=target, args=(*args, out))
    proc.start()
    try:
        return out.get(timeout=timeout)
    finally:
        proc.join(60)


def _while_written(name: str, target: Callable[..., None], *args: Any) -> dict[str, Any]:
    """``target`` in a child while another process scribbles over the segment."""
    stop = _ctx.Event()
    writer = _ctx.Process(target=_scribbler, args=(name, stop))
    writer.start()
    try:
        return _in_child(target, name, *args)
    finally:
        stop.set()
        writer.join(30)


def _with_segment(size: int, fn: Callable[[str], Any]) -> Any:
    name = f"mmfv-bench-{uuid.uuid4().hex[:8]}"
    with Segment.create(name, size) as seg:
        seg.write(0, b"The world is going down." * 40)
    try:
        return fn(name)
    finally:
        unlink_segment(name)


# ---------------------------------------------------------------------- report

def run_structure_bench(progress: Callable[[str], None] = lambda s: None, ticks: int = 100, rounds: int = 5,
                        minutes: float = 10.0) -> dict[str, Any]:
    """The 1,000-field structure's tick beside the plain one (a writer changing both);
    the plot of 8 watches: its redraw rate, and memory over ``minutes`` of watching."""
    progress(f"tick with a 1,000-field structure beside the plain tick, {rounds} interleaved rounds")
    ticking = _with_segment(64 * MIB, lambda n: _while_written(n, _structure_tick, ticks, rounds))
    progress(f"plot of 8 watches at a 16 ms refresh: 60 s to fill its window, then {minutes:g} min of watching")

    def plotting(name: str) -> dict[str, Any]:
        stop = _ctx.Event()
        writer = _ctx.Process(target=_sensor_writer, args=(name, stop))
        writer.start()
        try:
            return _in_child(_plot_watch, name, 60.0, minutes, timeout=600 + 70 + minutes * 60)
        finally:
            stop.set()
            writer.join(30)
    plot = _with_segment(MIB, plotting)
    return {"tick": ticking, "plot": plot}


def format_structure_report(result: dict[str, Any]) -> str:
    """The structure figures as text."""
    plot = result["plot"]
    rss = plot["rss_mib"]
    first_minute = next((r for m, r in rss if m >= 1), rss[0][1])
    return "\n".join([
        _structure_line(result["tick"]),
        f"plot of {plot['watches']} watches, 60 s window full ({plot['samples_per_watch']:,} samples each): "
        f"{plot['plot_fps']:.1f} frames/s at {plot['ticks_per_s']:.0f} ticks/s (target >= 30)",
        f"RSS while watching: {rss[0][1]:.1f} MiB at start, {first_minute:.1f} MiB after a minute, "
        f"{rss[-1][1]:.1f} MiB after {rss[-1][0]:.1f} min (growth after the first minute "
        f"{rss[-1][1] - first_minute:+.1f} MiB; target flat)",
    ])


def run_gui_bench(progress: Callable[[str], None] = lambda s: None, idle_seconds: float = 10.0,
                  ticks: int = 300, messages: int = 1_000_000, watch_minutes: float = 10.0) -> dict[str, Any]:
    """Run every GUI measurement; return the ``--json`` object."""
    progress("first paint and memory, 1 MiB segment")
    small = _with_segment(MIB, lambda n: _in_child(_first_paint, n))
    progress("first paint and memory, 1 GiB segment")
    big = _with_segment(GIB, lambda n: _in_child(_first_paint, n))
    progress(f"tick cost with a writer changing a 1 GiB segment ({ticks} ticks)")

    tick = _with_segment(GIB, lambda n: _while_written(n, _tick_cost, ticks))
    structure = run_structure_bench(progress, max(50, ticks // 3), minutes=watch_minutes)
    progress(f"CPU while idle, {idle_seconds:.0f} s at the default refresh")
    idle = _with_segment(MIB, lambda n: _in_child(_idle_cpu, n, idle_seconds))
    progress(f"message pane: {messages:,} messages from a writer at full speed, lanes of 64 MiB")
    ingest = _with_channel(64 * MIB, lambda n: _in_child(_ingest, n, messages))
    progress("message pane: 200,000 messages at full speed into the default 1 MiB lanes")
    lapped = _with_channel(MIB, lambda n: _in_child(_ingest, n, 200_000))
    return {
        "open": {"1MiB": small, "1GiB": big,
                 "rss_growth_mib": big["peak_rss_mib"] - small["peak_rss_mib"]},
        "tick_ms": tick,
        "structures": structure,
        "idle_cpu_percent": idle["cpu_percent"],
        "messages": ingest,
        "messages_lapped": lapped,
    }


def format_gui_report(result: dict[str, Any]) -> str:
    """The figures as text, with the targets beside them."""
    small, big = result["open"]["1MiB"], result["open"]["1GiB"]
    tick = result["tick_ms"]
    lines = [
        "GUI, offscreen, each figure from a fresh process",
        f"first painted refresh: 1 MiB segment {small['first_paint_ms']:.1f} ms, "
        f"1 GiB segment {big['first_paint_ms']:.1f} ms",
        f"peak RSS: 1 MiB segment {small['peak_rss_mib']:.1f} MiB, 1 GiB segment {big['peak_rss_mib']:.1f} MiB "
        f"(growth {result['open']['rss_growth_mib']:+.1f} MiB; target < 20 MiB: no copy of the segment)",
        f"tick with a writer all over 1 GiB, ~{tick['visible_rows']} rows visible: p50 {tick['p50_ms']:.2f} ms, "
        f"p99 {tick['p99_ms']:.2f} ms (target p50 <= 3 ms)",
        f"reads per tick: idle 1 MiB segment {small.get('reads_per_tick', float('nan')):.2f} "
        f"(target 1), 1 GiB segment being written {tick.get('reads_per_tick', float('nan')):.2f}",
        f"CPU while nothing changes: {result['idle_cpu_percent']:.2f}% of a core (target < 5%)",
        format_structure_report(result["structures"]),
    ]
    for key, what in (("messages", "lanes of 64 MiB"), ("messages_lapped", "default 1 MiB lanes")):
        m = result[key]
        exact = "exact" if m["received"] + m["lost"] == m["sent"] else "NOT exact"
        lines.append(
            f"message pane, {m['sent']:,} messages at full speed ({what}): ingests {m['ingest_per_s']:,.0f} msg/s, "
            f"received {m['received']:,} + lost {m['lost']:,} ({exact}); tick p50 {m['tick_p50_ms']:.1f} ms "
            f"p99 {m['tick_p99_ms']:.1f} ms; event loop late p99 {m['loop_late_p99_ms']:.1f} ms "
            f"(target <= 50 ms); {m['rows_kept']:,} rows kept; RSS {m['rss_mib']:.0f} MiB")
    return "\n".join(lines)


def _spread(values: list[float]) -> str:
    return f"{statistics.median(values):.2f} ms (range {min(values):.2f}-{max(values):.2f})"


def _structure_line(s: dict[str, Any]) -> str:
    plain, structure = s["plain"], s["structure"]
    ratio = statistics.median(structure["p50_ms"]) / max(statistics.median(plain["p50_ms"]), 1e-9)
    ratio99 = statistics.median(structure["p99_ms"]) / max(statistics.median(plain["p99_ms"]), 1e-9)
    return (f"tick with a {s['fields']:,}-field structure re-decoded (dock shown), {s['rounds']} interleaved rounds "
            f"of {s['ticks_per_round']} ticks: p50 {_spread(structure['p50_ms'])} vs plain hex "
            f"{_spread(plain['p50_ms'])} = {ratio:.2f}x; p99 {_spread(structure['p99_ms'])} vs "
            f"{_spread(plain['p99_ms'])} = {ratio99:.2f}x (target within 2x)")
