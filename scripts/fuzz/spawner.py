"""The small helper process that starts each command and reaps it, so the RSS measured is the command's."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .runner import Runner

SPAWNER_CODE = r"""
import json, os, select, signal, sys, time
signal.signal(signal.SIGINT, signal.SIG_IGN)   # the harness stops our commands itself
for line in sys.stdin:
    req = json.loads(line)
    out = os.open(req["stdout"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    err = os.open(req["stderr"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    t0 = time.monotonic()
    pid = os.fork()
    if pid == 0:
        try:
            os.setsid()
            for sig in (signal.SIGINT, signal.SIGPIPE, signal.SIGXFSZ):
                signal.signal(sig, signal.SIG_DFL)
            os.chdir(req["cwd"])
            null = os.open(os.devnull, os.O_RDONLY)
            os.dup2(null, 0)
            os.dup2(out, 1)
            os.dup2(err, 2)
            os.execve(req["argv"][0], req["argv"], req["env"])
        finally:
            os._exit(127)
    os.close(out)
    os.close(err)
    sys.stdout.write(json.dumps({"pid": pid}) + "\n")
    sys.stdout.flush()
    deadline = t0 + req["timeout"]
    hung = False
    try:
        pidfd = os.pidfd_open(pid)
    except (AttributeError, OSError):
        pidfd = -1
    while True:
        wpid, status, usage = os.wait4(pid, os.WNOHANG)
        if wpid:
            break
        left = deadline - time.monotonic()
        if left <= 0 and not hung:
            hung = True
            try:
                os.killpg(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        if pidfd >= 0:
            select.select([pidfd], [], [], max(0.0, min(left, 1.0)) if not hung else 0.05)
        else:
            time.sleep(0.005)
    wall = time.monotonic() - t0
    if pidfd >= 0:
        os.close(pidfd)
    sys.stdout.write(json.dumps({"status": status, "maxrss": usage.ru_maxrss, "hung": hung,
                                 "wall": wall}) + "\n")
    sys.stdout.flush()
"""


class Spawner:
    """A small helper process that starts each command and reaps it with os.wait4.

    Why not start the commands from this script: on Linux a child's ``ru_maxrss``
    starts from its parent's peak RSS (the memory map's high-water mark survives
    fork and exec), and this script holds segments of up to 64 MiB while it builds
    them. The helper stays small, so the RSS reported is the command's own.
    """

    def __init__(self) -> None:
        self.proc = subprocess.Popen([sys.executable, "-S", "-c", SPAWNER_CODE], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True, bufsize=1)

    def run(self, argv: list[str], env: dict[str, str], cwd: str, out: str, err: str, timeout: float,
            runner: Runner) -> tuple[int, int, int, bool, float]:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(json.dumps({"argv": argv, "env": env, "cwd": cwd, "stdout": out, "stderr": err,
                                          "timeout": timeout}) + "\n")
        self.proc.stdin.flush()
        pid = json.loads(self.proc.stdout.readline())["pid"]
        with runner.lock:
            runner.running.add(pid)
        try:
            line = self.proc.stdout.readline()
            if not line:
                raise RuntimeError("the spawner died")
            done = json.loads(line)
        finally:
            with runner.lock:
                runner.running.discard(pid)
        return pid, done["status"], done["maxrss"], done["hung"], done["wall"]

    def close(self) -> None:
        try:
            if self.proc.stdin:
                self.proc.stdin.close()
            self.proc.wait(timeout=5)
        except Exception:
            self.proc.kill()
            self.proc.wait()
