"""The command line: options, cases run a few at a time, Ctrl+C and SIGTERM, the summary written."""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import time
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from typing import Any

from .generate import build_case
from .report import summarize
from .runner import COMMANDS, Runner


def parse_indexes(text: str) -> list[int]:
    out: list[int] = []
    for part in text.split(","):
        if "-" in part:
            a, b = part.split("-")
            out.extend(range(int(a), int(b) + 1))
        elif part:
            out.append(int(part))
    return out


def main(doc: str) -> int:
    """``doc`` is the entry script's docstring, where a user reads about the fuzzer: --help shows its first line."""
    p = argparse.ArgumentParser(description=doc.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--count", type=int, default=500, help="segments to make and test (default 500)")
    p.add_argument("--seed", type=int, default=1, help="the seed every segment is derived from")
    p.add_argument("--out", default="/tmp/fuzz/out", help="directory for results (created)")
    p.add_argument("--jobs", type=int, default=2, help="cases run at once (default 2)")
    p.add_argument("--timeout", type=float, default=60.0, help="seconds before a command counts as hung")
    p.add_argument("--rss-limit-mib", type=int, default=200, help="peak RSS above this is a failure")
    p.add_argument("--commands", default=",".join(COMMANDS), help="subset of info,listen,gui")
    p.add_argument("--only", help="run only these case indexes (e.g. 3,17,40-45)")
    p.add_argument("--keep", action="store_true", help="leave the segments in /dev/shm (to reproduce)")
    p.add_argument("--keep-shots", action="store_true", help="keep every screenshot (default: failing cases only)")
    p.add_argument("--describe", action="store_true", help="print how each case is made, run nothing")
    args = p.parse_args()
    args.commands = [c for c in args.commands.split(",") if c]
    if any(c not in COMMANDS for c in args.commands):
        p.error(f"--commands takes {','.join(COMMANDS)}")
    indexes = parse_indexes(args.only) if args.only else list(range(args.count))
    if args.describe:
        for i in indexes:
            case = build_case(args.seed, i)
            print(f"{i:4} {case.family:15} {case.size:>10}  {'; '.join(case.desc)}")
        return 0
    os.makedirs(args.out, exist_ok=True)
    runner = Runner(args)

    def on_term(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_term)
    started = time.monotonic()
    interrupted = False
    pool = ThreadPoolExecutor(max_workers=max(1, args.jobs))
    try:
        pending = set()
        queue = list(indexes)
        done = 0
        while queue or pending:
            while queue and len(pending) < max(1, args.jobs):
                pending.add(pool.submit(runner.run_case, queue.pop(0)))
            finished, pending = wait(pending, timeout=1.0, return_when=FIRST_COMPLETED)
            for fut in finished:
                rec = fut.result()
                done += 1
                if rec is not None:
                    bad = {c: r["fail"] for c, r in rec["runs"].items() if r["fail"]}
                    walls = " ".join(f"{c}:{r['exit']}/{r['wall']:.1f}s/{r['rss_kib'] // 1024}M"
                                     for c, r in rec["runs"].items())
                    print(f"[{done}/{len(indexes)}] #{rec['index']} {rec['family']:14} {walls}"
                          + (f"  FAIL {bad}" if bad else ""), flush=True)
    except KeyboardInterrupt:
        interrupted = True
        print("interrupted: stopping commands and removing segments", file=sys.stderr)
        runner.stop.set()
        runner.kill_all()
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
        runner.kill_all()
        removed = runner.cleanup()
        if removed:
            print(f"removed {len(removed)} leftover segment(s)", file=sys.stderr)
        runner.results_file.close()
        while not runner.spawners.empty():
            runner.spawners.get().close()
    results = sorted(runner.results, key=lambda r: r["index"])
    summary, table = summarize(results, args, time.monotonic() - started, interrupted, runner.skipped)
    with open(os.path.join(args.out, "summary.json"), "w") as f:
        json.dump(summary, f, indent=1, default=str)
    with open(os.path.join(args.out, "summary.txt"), "w") as f:
        f.write(table)
    print(table)
    return 130 if interrupted else (1 if summary["failures"] else 0)
