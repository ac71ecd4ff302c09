"""A real C program that writes a structure into a named segment (tests/c/state_writer.c,
laid out by tests/c/state.h), built with gcc, for the tests that read structures while
another process changes them.

Every field of its ``struct state`` is worked out from one counter, so a read whose
fields disagree was torn. The program's header comment documents its modes.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from .tool_check import missing_tool

SOURCE_DIR = Path(__file__).resolve().parent / "c"
#: The header the program is compiled with: what ``--struct`` is given in the tests.
STATE_HEADER = SOURCE_DIR / "state.h"
#: sizeof(struct state), as gcc lays it out.
STATE_SIZE = 56
#: The fields the writer works out from its counter, in the order it stores them.
DERIVED = ("counter", "counter_f", "counter_neg", "text", "counter_lo")


def build_state_writer(directory: Path) -> Path:
    """Compile the writer into ``directory``; skip the test when there is no gcc."""
    gcc = shutil.which("gcc")
    if gcc is None:
        missing_tool("needs gcc to build tests/c/state_writer.c")
    program = directory / "state_writer"
    proc = subprocess.run([gcc, "-O2", "-Wall", "-Wextra", "-Werror", "-std=gnu11", "-o", str(program),
                           str(SOURCE_DIR / "state_writer.c"), "-lrt"], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return program


@dataclass
class WriterRun:
    """A writer process, and once it has stopped how many updates it made and how
    many of those were slow (stopped midway by the scheduler or an interrupt)."""

    proc: subprocess.Popen[str]
    updates: int = -1
    slow: int = -1


@contextmanager
def running_writer(program: Path, name: str, mode: str, *, gap_ns: int = 3000, hz: int = 10_000,
                   start: int = 1, slow_ns: int = 1000) -> Iterator[WriterRun]:
    """Run the writer on segment ``name`` until the block ends (it has made its first
    update when the block starts)."""
    proc = subprocess.Popen([str(program), name, mode, str(gap_ns), str(hz), str(start), str(slow_ns)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    run = WriterRun(proc)
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert line == "ready\n", (line, proc.stderr.read() if proc.stderr else "")
        yield run
    finally:
        proc.terminate()
        out, _ = proc.communicate(timeout=30)
        words = out.split()
        if "updates" in words and "slow" in words:
            run.updates = int(words[words.index("updates") + 1])
            run.slow = int(words[words.index("slow") + 1])


def write_once(program: Path, name: str, counter: int) -> None:
    """The writer stores one consistent update with this counter, and exits."""
    proc = subprocess.run([str(program), name, "once", "0", "1", str(counter)], capture_output=True,
                          text=True, timeout=30)
    assert proc.returncode == 0 and proc.stdout == "ready\n", proc.stderr


def implied_counters(values: dict[str, object]) -> dict[str, object]:
    """What each derived field says the counter is (the low 16 bits, which all of
    them hold); a text that is not "count N" says something no other field does."""
    text = values["text"]
    words = text.split(b"\0", 1)[0].split(b" ") if isinstance(text, bytes) else []
    said: dict[str, object] = {}
    for name in DERIVED:
        value = values[name]
        if name == "text":
            said[name] = int(words[1]) & 0xFFFF if len(words) == 2 and words[0] == b"count" and \
                words[1].isdigit() else ("text", text)
        elif name == "counter_f":
            assert isinstance(value, float)
            said[name] = int(value * 2) & 0xFFFF
        elif name == "counter_neg":
            assert isinstance(value, int)
            said[name] = -value & 0xFFFF
        else:
            assert isinstance(value, int)
            said[name] = value & 0xFFFF
    return said


def agrees(values: dict[str, object]) -> bool:
    """Whether every derived field says the same counter."""
    return len(set(map(repr, implied_counters(values).values()))) == 1
