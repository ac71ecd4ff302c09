"""One case: its segment written, the commands run on it, failures judged and saved, the segment removed."""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import queue
import random
import signal
import subprocess
import sys
import threading
import time
from typing import Any

from . import REPO
from .generate import build_case, save_sparse, write_segment
from .mutations import SHM, TEMP_LOCK, TEMP_SEGMENTS
from .spawner import Spawner

COMMANDS = ("info", "listen", "gui")
FAIL_KINDS = ("signal", "hang", "traceback", "rss")


class Runner:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.lock = threading.Lock()
        self.running: set[int] = set()      # process groups of live commands
        self.made: set[str] = set()         # segment paths that exist now
        self.live_names: set[str] = set()
        self.stop = threading.Event()
        self.results: list[dict[str, Any]] = []
        self.skipped: list[dict[str, Any]] = []  # cases not run, and why
        self.out = args.out
        self.spawners: queue.Queue[Spawner] = queue.Queue()
        for _ in range(max(1, args.jobs)):
            self.spawners.put(Spawner())
        self.results_file = open(os.path.join(self.out, "results.jsonl"), "a" if args.only else "w")  # noqa: SIM115

    # ---------------------------------------------------------------- one command
    def run_cmd(self, argv: list[str], env: dict[str, str], tag: str) -> dict[str, Any]:
        out_path = os.path.join(self.out, f".{tag}.stdout")
        err_path = os.path.join(self.out, f".{tag}.stderr")
        spawner = self.spawners.get()
        try:
            pid, status, rss_kib, hung, wall = spawner.run(argv, env, self.out, out_path, err_path,
                                                           self.args.timeout, self)
        finally:
            self.spawners.put(spawner)
        code = os.waitstatus_to_exitcode(status)
        with open(out_path, "rb") as f:
            stdout = f.read()
        with open(err_path, "rb") as f:
            stderr = f.read()
        os.unlink(out_path)
        os.unlink(err_path)
        state = {"hung": hung}
        err_text = stderr.decode("utf-8", "backslashreplace")
        kinds = []
        if state["hung"]:
            kinds.append("hang")
        elif code < 0:
            kinds.append("signal")
        if "Traceback" in err_text:
            kinds.append("traceback")
        if rss_kib > self.args.rss_limit_mib * 1024:
            kinds.append("rss")
        # C0/C1 controls other than \t \n \r in stdout: escape sequences reach the terminal.
        ctrl = sorted({b for b in stdout if (b < 0x20 and b not in (9, 10, 13)) or b == 0x7F})
        return {
            "argv": argv[2:], "exit": code, "signal": -code if code < 0 and not state["hung"] else None,
            "hang": state["hung"], "traceback": "Traceback" in err_text, "rss_kib": rss_kib,
            "wall": round(wall, 3), "fail": kinds, "stderr_tail": err_text.splitlines()[-12:],
            "stderr_bytes": len(stderr), "stdout_bytes": len(stdout), "stdout_ctrl": ctrl,
            "stdout_head": stdout[:300].decode("utf-8", "backslashreplace"),
            "_stdout": stdout if kinds else None, "_stderr": stderr if kinds else None,
        }

    # ---------------------------------------------------------------- one case
    def run_case(self, index: int) -> dict[str, Any] | None:
        if self.stop.is_set():
            return None
        args = self.args
        t0 = time.monotonic()
        try:
            case = build_case(args.seed, index)
        except Exception as err:  # a bug in this script: say so, go on with the next case
            print(f"case {index}: the generator failed: {err!r}", file=sys.stderr)
            with self.lock:
                self.skipped.append({"index": index, "why": f"generator failed: {err!r}"})
            return None
        gen_time = time.monotonic() - t0
        path = os.path.join(SHM, case.name)
        try:
            write_segment(case)  # O_EXCL: a segment of that name is never ours to replace
        except FileExistsError:
            print(f"case {index}: {path} exists (another run with seed {args.seed}?): case skipped",
                  file=sys.stderr)
            with self.lock:
                self.skipped.append({"index": index, "why": f"{path} exists"})
            return None
        with self.lock:
            self.made.add(path)
        rng = random.Random(f"mmfviewer-fuzz-json:{args.seed}:{index}")
        use_json = rng.random() < 0.5
        py = sys.executable
        env = dict(os.environ, QT_QPA_PLATFORM="offscreen", PYTHONFAULTHANDLER="1")
        env.pop("DISPLAY", None)
        env.pop("WAYLAND_DISPLAY", None)
        cmds = {
            "info": [py, "-m", "mmfviewer", "info", case.name],
            "listen": [py, "-m", "mmfviewer", "listen", case.name, "--from-start", "--timeout", "1",
                       "--count", "1000"] + (["--json"] if use_json else []),
            "gui": [py, "-m", "mmfviewer", "gui", case.name, "--screenshot",
                    os.path.join(self.out, f"shot-{index}.png"), "--ticks", "3"],
        }
        with open(path, "rb") as f:
            digest = hashlib.sha256(f.read()).hexdigest()
        record: dict[str, Any] = {"index": index, "name": case.name, "family": case.family, "desc": case.desc,
                                  "code": code_version(),
                                  "size": case.size, "sha256": digest, "json": use_json,
                                  "gen_seconds": round(gen_time, 3), "runs": {}}
        try:
            for cmd in args.commands:
                if self.stop.is_set():
                    return None
                with self.lock:
                    others = sorted(self.live_names - {case.name})
                    self.live_names.add(case.name)
                run = self.run_cmd(cmds[cmd], env, f"{index}-{cmd}")
                if self.stop.is_set():  # interrupted: the run was killed by us, not a result
                    return None
                if others:
                    run["other_fuzz_segments"] = others  # the GUI's segment list sees them too
                record["runs"][cmd] = run
            failing = [c for c, r in record["runs"].items() if r["fail"]]
            if failing:
                saved = os.path.join(self.out, f"case-{index}-{case.family}.bin")
                save_sparse(path, saved)
                record["saved"] = saved
                with open(os.path.join(self.out, f"case-{index}-{case.family}.json"), "w") as f:
                    json.dump({k: v for k, v in record.items() if k != "runs"}, f, indent=1)
                for c in failing:
                    r = record["runs"][c]
                    with open(os.path.join(self.out, f"fail-{index}-{c}.stderr"), "wb") as f:
                        f.write(r["_stderr"] or b"")
                    with open(os.path.join(self.out, f"fail-{index}-{c}.stdout"), "wb") as f:
                        f.write((r["_stdout"] or b"")[:1 << 20])
            for r in record["runs"].values():
                r.pop("_stdout", None)
                r.pop("_stderr", None)
        finally:
            with self.lock:
                self.live_names.discard(case.name)
            self.remove(path)
            if not args.keep_shots:
                shot = os.path.join(self.out, f"shot-{index}.png")
                if os.path.exists(shot) and "saved" not in record:
                    os.unlink(shot)
        with self.lock:
            self.results.append(record)
            self.results_file.write(json.dumps(record) + "\n")
            self.results_file.flush()
        return record

    def remove(self, path: str) -> None:
        if self.args.keep:
            return
        try:
            os.unlink(path)
        except FileNotFoundError:
            pass
        with self.lock:
            self.made.discard(path)

    def kill_all(self) -> None:
        with self.lock:
            for pid in list(self.running):
                try:
                    os.killpg(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass

    def cleanup(self) -> list[str]:
        """Remove every segment this run made (only those: another run may use the same names)."""
        removed = []
        with TEMP_LOCK:
            paths = set(TEMP_SEGMENTS)
        if not self.args.keep:
            with self.lock:
                paths |= set(self.made)
        for path in paths:
            try:
                os.unlink(path)
                removed.append(path)
            except FileNotFoundError:
                pass
        return removed


def code_version() -> str:
    """The commit of the checkout under test, with '+dirty' when mmfviewer/ has local changes:
    each command imports the code as it is when it starts, so a checkout that moves
    during a run is tested at several versions (the summary says so)."""
    try:
        head = subprocess.run(["git", "-C", REPO, "rev-parse", "--short", "HEAD"], capture_output=True,
                              text=True, timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "-C", REPO, "status", "--porcelain", "--", "mmfviewer"],
                               capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return (head or "unknown") + ("+dirty" if dirty else "")
