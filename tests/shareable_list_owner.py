"""The ShareableList tests' owner: a real CPython process that makes lists and reads them back.

Each CPython here is its own oracle: a child process owns the list, reads it back
with its own ``ShareableList(name=...)`` and reports where CPython puts every item;
the tests only open the segment (never destroying it) and must agree byte for byte.
The ``owner_factory`` and ``real_list`` fixtures are in tests/conftest.py.
"""

from __future__ import annotations

import glob
import json
import os
import select
import subprocess
import sys
from typing import Any

import pytest

from mmfviewer.segment import Segment

# Runs on every CPython from 3.8 on, so no newer syntax. It owns lists made of
# VALUES under each name in argv[1], reads the first back through a second
# attachment (as any other process would), prints what it read and where CPython
# keeps each item, then obeys "read", "set I LITERAL" (on the second list) and "quit"
# (unlink and exit) from stdin.
CHILD = r'''
import ast, json, sys
from multiprocessing.shared_memory import ShareableList

def items(sl):
    out = []
    for i in range(len(sl)):
        try:
            out.append(repr(sl[i]))
        except Exception as err:
            out.append("!" + type(err).__name__)
    return out

def slots(sl):
    if hasattr(sl, "_allocated_offsets"):
        offsets = list(sl._allocated_offsets)
    else:  # Python 3.8 kept sizes
        offsets = [0]
        for size in sl._allocated_bytes:
            offsets.append(offsets[-1] + size)
    base = sl._offset_data_start
    return [[base + a, base + b] for a, b in zip(offsets, offsets[1:])]

names = sys.argv[1].split(",")
values = ast.literal_eval(sys.argv[2])
owned = [ShareableList(values, name=name) for name in names]
reader = ShareableList(name=names[0])
print(json.dumps({"names": [sl.shm.name for sl in owned], "items": items(reader),
                  "slots": slots(reader), "end": reader._offset_back_transform_codes + len(reader)}),
      flush=True)
for line in sys.stdin:
    command, _, arg = line.strip().partition(" ")
    if command == "read":
        print(json.dumps(items(reader)), flush=True)
    elif command == "set":
        index, literal = arg.split(" ", 1)
        owned[1][int(index)] = ast.literal_eval(literal)
        print(json.dumps("ok"), flush=True)
    else:
        break
reader.shm.close()
for sl in owned:
    sl.shm.close()
    sl.shm.unlink()
'''

#: Every kind of item, with the edges: negative and extreme ints, -0.0, empty and
#: non-ASCII strings (that fit their slots: see the truncation test), bytes with
#: NULs inside and at the end (CPython strips trailing NULs on reading), None.
EVERY_KIND: list[Any] = [
    0, 1, -1, 2**63 - 1, -2**63, 123456789012345, 3.5, -0.0, 1e308, -2.5e-300,
    True, False, "", "hello", "exactly8", "x" * 100, "é✓", "Grüße, 世界",
    b"", b"\x00\x01\x00\x02", b"ab\x00\x00", bytes(range(1, 20)), None,
]


def _pyenv_pythons() -> list[Any]:
    """This Python, then the newest patch release of each CPython 3.8+ pyenv has."""
    root = os.environ.get("PYENV_ROOT") or "/root/.pyenv"
    found = [pytest.param(sys.executable, id="this-python")]
    for minor in range(8, 14):
        paths = sorted(glob.glob(os.path.join(root, "versions", f"3.{minor}.*", "bin", "python3")))
        found.append(pytest.param(
            paths[-1] if paths else None, id=f"3.{minor}",
            marks=() if paths else pytest.mark.skip(reason=f"no Python 3.{minor} under {root}/versions")))
    return found


PYTHONS = _pyenv_pythons()


class Owner:
    """A child CPython owning ShareableLists; it reads them back on request."""

    def __init__(self, python: str, names: list[str], values: list[Any]):
        self.proc = subprocess.Popen(
            [python, "-I", "-c", CHILD, ",".join(names), repr(values)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            self.info = self._answer()
        except BaseException:
            self.proc.kill()
            self.proc.communicate(timeout=30)
            raise
        assert self.info["names"] == names

    def _answer(self) -> Any:
        ready, _, _ = select.select([self.proc.stdout], [], [], 30)
        line = self.proc.stdout.readline() if ready else ""
        if not line:
            self.proc.kill()
            raise AssertionError(f"the owner process said nothing: {self.proc.communicate()[1]}")
        return json.loads(line)

    def _ask(self, command: str) -> Any:
        self.proc.stdin.write(command + "\n")
        self.proc.stdin.flush()
        return self._answer()

    def read(self) -> list[str]:
        """``repr`` of each item as the owner's ``ShareableList`` reads it now."""
        return self._ask("read")

    def set(self, index: int, value: Any) -> None:
        """``second_list[index] = value``, done by CPython itself."""
        assert self._ask(f"set {index} {value!r}") == "ok"

    def close(self) -> None:
        """The owner unlinks its lists and exits."""
        if self.proc.poll() is None:
            try:
                self.proc.stdin.write("quit\n")
                self.proc.stdin.flush()
            except BrokenPipeError:
                pass
        try:
            _, err = self.proc.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            _, err = self.proc.communicate()
        assert self.proc.returncode == 0, err
        assert "leaked" not in err, err  # the resource tracker found nothing left behind


def segment_bytes(name: str) -> bytes:
    with Segment.open(name, readonly=True) as seg:
        return seg.read(0, seg.size)
