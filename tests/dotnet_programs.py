"""Real .NET programs (tests/dotnet/*.cs) compiled with Mono's ``mcs`` and run with ``mono``.

They reproduce the project's two seed programs so tests can compare mmfviewer with
what real .NET code reads and writes:

``Proc1``   seed 1 writer: BinaryFormatter-serialized ``Message`` at offset 0, every interval
``Proc2``   seed 1 reader: deserializes offset 0 every interval and prints title / content
``Server``  seed 2 server: UTF-8 text at offset 0 of a 10000-byte map, then sleeps
``Values``  one ``Sample`` with many field types, serialized, then printed as ``name=value``

Each program's header comment documents its arguments and output. Named maps are
private to a process on Mono/Linux, so every program shares memory through a file
given as its first argument (``/dev/shm/NAME`` for a POSIX segment). Opening grows a
smaller file to the program's map size but refuses a larger one (capacity below the
file size: ArgumentOutOfRangeException); ``Proc1``/``Proc2 --size 0`` map an existing
file at its own size.

The session fixture ``dotnet`` is made available to every test by tests/conftest.py.
"""

from __future__ import annotations

import os
import queue
import shutil
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from .tool_check import missing_tool

SOURCE_DIR = Path(__file__).resolve().parent / "dotnet"
LIBRARY = "MessageLib"
Arg = str | os.PathLike[str]  # a program argument: text or a path

PROGRAMS = ("Proc1", "Proc2", "Server", "Values")
# BinaryFormatter is in mscorlib; MemoryMappedFile is in System.Core (Debian package
# libmono-system-core4.0-cil). Nothing else is referenced.
REFERENCES = ("System.Core.dll",)


class DotnetPrograms:
    """The compiled programs in one directory, and ways to run them."""

    def __init__(self, directory: Path, mono: str) -> None:
        self.directory = directory
        self.mono = mono

    def path(self, name: str) -> Path:
        """The ``.exe`` of program ``name`` (one of :data:`PROGRAMS`)."""
        if name not in PROGRAMS:
            raise ValueError(f"unknown .NET program {name!r}; have {', '.join(PROGRAMS)}")
        return self.directory / f"{name}.exe"

    def command(self, program: str, *args: Arg) -> list[str]:
        """The command line that runs ``program`` with ``args``."""
        return [self.mono, str(self.path(program)), *map(os.fspath, args)]

    def run(self, program: str, *args: Arg, **popen_kwargs: Any) -> subprocess.Popen[str]:
        """Start ``program`` with ``args``; stdout is a UTF-8 text pipe unless overridden.

        The caller must stop it (see :func:`stop`), typically in a ``finally``.
        """
        kwargs: dict[str, Any] = {"stdout": subprocess.PIPE, "text": True, "encoding": "utf-8"}
        kwargs.update(popen_kwargs)
        return subprocess.Popen(self.command(program, *args), **kwargs)

    def check_output(self, program: str, *args: Arg, timeout: float = 60) -> str:
        """Run ``program`` to completion and return its stdout; fail loudly on an error exit."""
        proc = subprocess.run(self.command(program, *args), check=False, capture_output=True,
                              text=True, encoding="utf-8", timeout=timeout)
        if proc.returncode != 0:
            raise AssertionError(
                f"{program} {' '.join(map(os.fspath, args))} exited with {proc.returncode}\n"
                f"stdout:\n{proc.stdout}\nstderr:\n{proc.stderr}")
        return proc.stdout


def _compile(mcs: str, directory: Path) -> None:
    """Compile MessageLib.dll and every program next to it; raise with mcs's output on error."""
    def mcs_run(*args: str) -> None:
        proc = subprocess.run([mcs, *args], check=False, capture_output=True, text=True, timeout=300)
        if proc.returncode != 0:
            pytest.fail(f"mcs {' '.join(args)} failed ({proc.returncode}):\n"
                        f"{proc.stdout}{proc.stderr}", pytrace=False)

    library = directory / f"{LIBRARY}.dll"
    mcs_run("-target:library", f"-out:{library}", str(SOURCE_DIR / f"{LIBRARY}.cs"))
    refs = [f"-r:{library}", *(f"-r:{ref}" for ref in REFERENCES)]
    for name in PROGRAMS:
        mcs_run("-target:exe", f"-out:{directory / name}.exe", *refs, str(SOURCE_DIR / f"{name}.cs"))


@pytest.fixture(scope="session")
def dotnet(tmp_path_factory: pytest.TempPathFactory) -> DotnetPrograms:
    """The seed programs compiled once per session; skips without ``mcs`` and ``mono``."""
    mcs, mono = shutil.which("mcs"), shutil.which("mono")
    if mcs is None or mono is None:
        missing = " and ".join(n for n, p in (("mcs", mcs), ("mono", mono)) if p is None)
        missing_tool(f"{missing} not found: install mono-mcs, mono-runtime and "
                    "libmono-system-core4.0-cil to run the .NET programs")
    directory = tmp_path_factory.mktemp("dotnet")
    _compile(mcs, directory)
    return DotnetPrograms(directory, mono)


class Lines:
    """The stdout lines of a running program, read by a thread so waits can time out."""

    def __init__(self, proc: subprocess.Popen[str]) -> None:
        if proc.stdout is None:
            raise ValueError("the process's stdout is not a pipe")
        self._queue: queue.Queue[str | None] = queue.Queue()
        self.seen: list[str] = []  # every line returned so far, for failure messages
        self._thread = threading.Thread(target=self._pump, args=(proc.stdout,), daemon=True)
        self._thread.start()

    def _pump(self, stream: Any) -> None:
        try:
            for line in stream:
                self._queue.put(line.rstrip("\n"))
        except (OSError, ValueError):  # the pipe was closed under us
            pass
        finally:
            self._queue.put(None)

    def next(self, timeout: float = 10) -> str:
        """The next line (without its newline); AssertionError on timeout or end of output."""
        try:
            line = self._queue.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError(f"no output line within {timeout}s; so far: {self.seen!r}") from None
        if line is None:
            self._queue.put(None)  # stay at the end for later calls
            raise AssertionError(f"output ended; lines were: {self.seen!r}")
        self.seen.append(line)
        return line

    def until(self, wanted: str | Callable[[str], bool], timeout: float = 10) -> str:
        """Skip lines up to the first equal to ``wanted`` (or satisfying it) and return it."""
        match = wanted if callable(wanted) else (lambda line: line == wanted)
        deadline = time.monotonic() + timeout
        while True:
            line = self.next(max(0.0, deadline - time.monotonic()))
            if match(line):
                return line

    def take(self, count: int, timeout: float = 10) -> list[str]:
        """The next ``count`` lines, all within ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        return [self.next(max(0.0, deadline - time.monotonic())) for _ in range(count)]


def stop(proc: subprocess.Popen[str], timeout: float = 10) -> None:
    """Kill ``proc`` if it still runs, reap it and close its pipes."""
    if proc.poll() is None:
        proc.kill()
    try:
        proc.wait(timeout=timeout)
    finally:
        for stream in (proc.stdout, proc.stderr, proc.stdin):
            if stream is not None:
                stream.close()


def parse_values(output: str) -> dict[str, str]:
    """The ``name=value`` lines ``Values`` printed before ``done``, values unparsed.

    See tests/dotnet/Values.cs for each value's form; strings and arrays are JSON.
    """
    lines = output.splitlines()
    if not lines or lines[-1] != "done":
        raise AssertionError(f"Values did not finish with 'done':\n{output}")
    values: dict[str, str] = {}
    for line in lines[:-1]:
        name, sep, value = line.partition("=")
        if not sep or name in values:
            raise AssertionError(f"bad or repeated line from Values: {line!r}")
        values[name] = value
    return values


def proc2_messages(lines: Lines, count: int, timeout: float = 10) -> list[tuple[str, str]]:
    """The next ``count`` (title, content) pairs Proc2 printed, skipping its ``error:``
    lines (a read can race a write: the seeds do not synchronise)."""
    found: list[tuple[str, str]] = []
    while len(found) < count:
        title = lines.next(timeout)
        if title.startswith("error: "):
            continue
        content, blank = lines.next(timeout), lines.next(timeout)
        assert blank == "", lines.seen
        found.append((title, content))
    return found
