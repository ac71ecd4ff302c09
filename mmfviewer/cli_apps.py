"""The commands that start something that keeps running: the desktop app (``gui``),
the two-window ``demo``, the headless ``peer``, and the benchmarks (``bench``).

The command line's only Qt imports are here, inside ``gui``, ``demo`` and
``bench gui``, so every other command runs without loading Qt (and without a display).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys

from . import desktop_entry
from .channel import Channel
from .cli_common import PROG, UsageError
from .codec import Layout, detect_layout
from .errors import MmfError, SegmentExistsError
from .names import parse_name, printable, quoted
from .segment import Segment


def cmd_gui(args: argparse.Namespace) -> int:
    from .qt.app import run_gui  # Qt loads only when the GUI is asked for

    if args.refresh_ms is not None and not 16 <= args.refresh_ms <= 5000:
        raise UsageError("--refresh-ms must be between 16 and 5000")
    if args.history is not None and args.history < 1:
        raise UsageError("--history must be at least 1")
    return run_gui([parse_name(n) for n in args.names], args.file, refresh_ms=args.refresh_ms,
                   read_write=args.read_write,
                   screenshot=args.screenshot, ticks=max(args.ticks, 1), place=args.place, title=args.title,
                   history=args.history, color_scheme=args.color_scheme)


def cmd_demo(args: argparse.Namespace) -> int:
    from .qt.app import run_gui
    from .qt.display_check import display_problem

    # Before the channel is made: a window that cannot open must leave nothing behind.
    problem = None if args.screenshot else display_problem()
    if problem is not None:
        raise MmfError(f"{problem}; or try '{PROG} demo --peer headless --screenshot demo.png'")
    name = args.name
    try:
        Channel.create(name, lanes=args.lanes).close()
        print(f"created channel {quoted(name)} ({args.lanes} lanes)", file=sys.stderr)
    except SegmentExistsError:
        with Segment.open(name) as seg:
            if detect_layout(seg) != Layout.CHANNEL:
                raise MmfError(f"{quoted(name)} exists and is not a channel; name another: {PROG} demo NAME") from None
        print(f"using the existing channel {quoted(name)}", file=sys.stderr)
    with Channel.open(name) as ch, ch.writer("demo", access="syscall") as writer:  # something to see at once
        writer.send({"title": "Hello",
                     "content": f"from the demo (pid {os.getpid()}): type below and press Ctrl+Enter"})
    peer_cmd = [sys.executable, "-m", "mmfviewer"]
    if args.peer == "headless":
        peer_cmd += ["peer", name]
    else:
        peer_cmd += ["gui", name, "--read-write", "--place", "right", "--title", "window B",
                     "--color-scheme", args.color_scheme]
        if args.screenshot:
            root, ext = os.path.splitext(args.screenshot)
            peer_cmd += ["--screenshot", f"{root}-peer{ext or '.png'}", "--ticks", str(args.ticks)]
    peer = subprocess.Popen(peer_cmd, stdout=subprocess.DEVNULL)
    try:
        status = run_gui([name], read_write=True, place="left", title="window A",
                         screenshot=args.screenshot, ticks=max(args.ticks, 1), display_checked=not args.screenshot,
                         color_scheme=args.color_scheme)
    finally:
        if args.peer == "headless":
            peer.terminate()
        elif args.screenshot:
            peer.wait(120)
    print(f"the channel {quoted(name)} stays for the other window; remove it with: "
          f"{PROG} rm {printable(name)}",
          file=sys.stderr)
    return status


def cmd_peer(args: argparse.Namespace) -> int:
    from .peer import run_peer

    try:
        echoed = run_peer(args.name, interval=args.interval, count=args.count,
                          say=lambda line: print(line, file=sys.stderr, flush=True))
    except KeyboardInterrupt:
        return 0
    print(f"echoed {echoed} messages", file=sys.stderr)
    return 0


def cmd_bench(args: argparse.Namespace) -> int:
    progress = (lambda s: None) if args.json else (lambda s: print(f"running {s} ...", file=sys.stderr))
    if args.what == "decode":
        from .bench_decode import format_decode_report, run_decode_bench

        result = run_decode_bench(progress=progress)
        print(json.dumps(result, indent=2) if args.json else format_decode_report(result))
        return 0
    if args.what == "gui":
        from .qt.bench_gui import format_gui_report, run_gui_bench  # Qt only when asked

        result = run_gui_bench(progress=progress, watch_minutes=args.minutes)
        print(json.dumps(result, indent=2) if args.json else format_gui_report(result))
        return 0
    if args.what == "structures":
        from .qt.bench_gui import format_structure_report, run_structure_bench

        result = run_structure_bench(progress, minutes=args.minutes)
        print(json.dumps(result, indent=2) if args.json else format_structure_report(result))
        return 0
    from .bench import format_channel_report, run_channel_bench

    result = run_channel_bench(n=args.count, rounds=args.rounds, progress=progress)
    print(json.dumps(result, indent=2) if args.json else format_channel_report(result))
    return 0



def cmd_install_desktop(args: argparse.Namespace) -> int:
    if args.remove:
        gone = desktop_entry.remove()
        for path in gone:
            print(f"removed {path}")
        if not gone:
            print(f"nothing to remove under {desktop_entry.data_home()}")
        return 0
    try:
        written = desktop_entry.install()
    except OSError as err:
        raise MmfError(f"cannot write the desktop entry: {err.strerror}: {err.filename}") from None
    except ValueError as err:
        raise MmfError(str(err)) from None
    for path in written:
        print(f"wrote {path}")
    print("mmfviewer is in the desktop's menu (Development); remove it with: "
          f"{PROG} install-desktop --remove")
    return 0
