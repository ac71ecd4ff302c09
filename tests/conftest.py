"""Shared fixtures: unique real segments, removed afterwards, a CLI runner, gcc's C layouts, and
ShareableLists owned by real CPython processes."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest

# Qt must never look for a display in tests (set before anything imports Qt).
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from mmfviewer.segment import Segment, segment_exists, unlink_segment  # noqa: E402
from mmfviewer.segment_os import SHM_DIR  # noqa: E402

from .dotnet_programs import dotnet  # noqa: E402, F401  (the .NET programs, for every test)
from .shareable_list_owner import EVERY_KIND, Owner, segment_bytes  # noqa: E402
from .tool_check import missing_tool  # noqa: E402

if TYPE_CHECKING:
    from .gcc_oracle import Oracle


@pytest.fixture(autouse=True)
def private_config(tmp_path_factory, monkeypatch) -> None:
    """Tests never read or write the user's configuration (saved structures...)."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path_factory.mktemp("config")))


@pytest.fixture
def shm_name() -> Iterator[str]:
    """A fresh segment name nobody uses; whatever was made under it is removed after."""
    name = f"mmfv-test-{uuid.uuid4().hex[:12]}"
    yield name
    if segment_exists(name):
        unlink_segment(name)


@pytest.fixture
def shm_names() -> Iterator[list[str]]:
    """Like ``shm_name`` for tests that need several; append names to the list."""
    names: list[str] = []
    yield names
    for name in names:
        if segment_exists(name):
            unlink_segment(name)


def _without_privilege() -> list[str] | None:
    """A command prefix under which file permissions apply to us, or None.

    Root ignores permission bits; dropping the two capabilities that let it do so
    makes a mode-0000 segment unreadable for root too. Other users need nothing.
    """
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        return None
    caps = "-dac_override,-dac_read_search"
    prefix = [setpriv, f"--bounding-set={caps}", f"--inh-caps={caps}"]
    try:  # a container may forbid changing capabilities: then these tests cannot run
        ok = subprocess.run([*prefix, "true"], capture_output=True, timeout=30).returncode == 0
    except (OSError, subprocess.SubprocessError):
        ok = False
    return prefix if ok else None


UNPRIVILEGED = _without_privilege()
needs_unprivileged = pytest.mark.skipif(
    UNPRIVILEGED is None, reason="running as root without setpriv to drop privileges")
needs_dev_shm = pytest.mark.skipif(not os.path.isdir(SHM_DIR), reason="needs /dev/shm (Linux)")


def run_python(*args: str, unprivileged: bool = False,
               timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """Run ``python ARGS`` in a real child process and capture its output.

    With ``unprivileged``, file permissions apply to the child even when we are root.
    """
    prefix = (UNPRIVILEGED or []) if unprivileged else []
    return subprocess.run(
        [*prefix, sys.executable, *args], capture_output=True, text=True, timeout=timeout,
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1", "QT_QPA_PLATFORM": "offscreen"},
    )


def run_cli(*args: str, unprivileged: bool = False, check: bool = False,
            timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """Run ``python -m mmfviewer ARGS`` in a real child process (see :func:`run_python`)."""
    proc = run_python("-m", "mmfviewer", *args, unprivileged=unprivileged, timeout=timeout)
    if check and proc.returncode != 0:
        raise AssertionError(f"mmfviewer {' '.join(args)} failed ({proc.returncode}):\n{proc.stderr}")
    return proc


# ---------------------------------------------------------------- shared helpers

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run_other_process(code: str, *args: object) -> None:
    """Run ``code`` in a separate Python process (a real other process, not a thread)."""
    env = {**os.environ, "PYTHONPATH": ROOT + os.pathsep + os.environ.get("PYTHONPATH", "")}
    subprocess.run([sys.executable, "-c", code, *map(str, args)], check=True, timeout=60, env=env)


WRITE_CODE = """
import sys
from mmfviewer.segment import Segment
seg = Segment.open(sys.argv[1], readonly=False)
for spec in sys.argv[2:]:
    offset, data = spec.split(":")
    seg.write(int(offset), bytes.fromhex(data))
seg.close()
"""


def other_process_writes(name: str, *writes: tuple[int, bytes]) -> None:
    """Another process writes these ``(offset, bytes)`` into segment ``name``."""
    run_other_process(WRITE_CODE, name, *(f"{off}:{data.hex()}" for off, data in writes))


class CountingSegment(Segment):
    """A real segment that counts what reaches the file: reads (with their lengths)
    and size checks. Class-wide counts: call :meth:`reset` before counting."""

    reads = 0
    size_checks = 0
    sizes: list[int] = []

    @classmethod
    def reset(cls) -> None:
        cls.reads, cls.size_checks, cls.sizes = 0, 0, []

    def read(self, offset: int, n: int) -> bytes:
        type(self).reads += 1
        type(self).sizes.append(n)
        return super().read(offset, n)

    def current_size(self) -> int:
        type(self).size_checks += 1
        return super().current_size()


def free_display() -> str:
    """An X display number nobody serves (no socket, no lock file)."""
    number = next(n for n in range(120, 400) if not os.path.exists(f"/tmp/.X11-unix/X{n}")
                  and not os.path.exists(f"/tmp/.X{n}-lock"))
    return f":{number}"


@pytest.fixture(scope="module")
def gcc_says(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Oracle:
    """gcc's and mmfviewer's layouts of every header in the test module's ``HEADERS``, built once
    a module (gcc_oracle.py)."""
    if shutil.which("gcc") is None:
        missing_tool("gcc is the oracle for layouts, and it is not installed")
    from .gcc_oracle import judge_all  # here: it loads the C parser, which most tests never need

    return judge_all(request.module.HEADERS, tmp_path_factory.mktemp("c_layout"))


# ---------------------------------------------------------------- ShareableList owners

@pytest.fixture
def owner_factory(shm_names: list[str]) -> Iterator[Any]:
    """Start owners of fresh uniquely named lists; each is told to quit afterwards."""
    owners: list[Owner] = []

    def start(values: list[Any], python: str = sys.executable, lists: int = 1) -> Owner:
        names = [f"mmfv-test-{uuid.uuid4().hex[:12]}" for _ in range(lists)]
        shm_names.extend(names)
        owner = Owner(python, names, values)
        owners.append(owner)
        return owner

    yield start
    for owner in owners:
        owner.close()


@pytest.fixture(scope="module")
def real_list() -> bytes:
    """The bytes of a ShareableList of every kind, as this Python made them."""
    name = f"mmfv-test-{uuid.uuid4().hex[:12]}"
    owner = Owner(sys.executable, [name], EVERY_KIND)
    try:
        return segment_bytes(name)
    finally:
        owner.close()
        if segment_exists(name):
            unlink_segment(name)
