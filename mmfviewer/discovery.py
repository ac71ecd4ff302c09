"""Every shared-memory segment on this machine, with the processes that map it.

``ipcs`` and ``lsof`` in one: the segments come from ``/dev/shm``, the processes from
``/proc/PID/maps`` (who maps it) and ``/proc/PID/fd`` (who holds it open). Matching
is by device and inode, not by name, so a segment that was removed while processes
still map it shows up as *deleted* — the classic reason why two processes "don't see
each other": one of them is looking at an old segment that was replaced.
"""

from __future__ import annotations

import os
import stat
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace

from .errors import SegmentNotFoundError
from .names import printable, quoted
from .segment import validate_name
from .segment_os import SHM_DIR, check_regular, owner_name

_DELETED = " (deleted)"


@dataclass(frozen=True)
class Attachment:
    """One process that maps a segment or holds it open."""

    pid: int
    command: str
    mapped: bool
    open_fd: bool

    def to_json(self) -> dict[str, object]:
        return {"pid": self.pid, "command": self.command, "mapped": self.mapped,
                "open_fd": self.open_fd}

    def __str__(self) -> str:
        return f"{self.pid} {self.command}"


@dataclass(frozen=True)
class SegmentInfo:
    """What can be known about a segment without opening it.

    ``size`` is None for a deleted segment whose size could not be read.
    ``readable``/``writable`` tell whether *we* may open it that way.
    """

    name: str
    path: str
    size: int | None
    uid: int
    owner: str
    mode: int
    modified: float
    readable: bool
    writable: bool
    deleted: bool = False
    attached: tuple[Attachment, ...] = field(default_factory=tuple)
    #: Processes we were not allowed to look into (they may map it too).
    uninspected: int = 0

    @property
    def mode_text(self) -> str:
        """``0600``-style permission bits."""
        return f"{self.mode:04o}"

    @property
    def access_text(self) -> str:
        """What we may do with it: ``read/write``, ``read only`` or ``no access``."""
        if self.readable and self.writable:
            return "read/write"
        if self.readable:
            return "read only"
        return "write only" if self.writable else "no access"

    def to_json(self) -> dict[str, object]:
        return {
            "name": self.name, "path": self.path, "size": self.size, "uid": self.uid,
            "owner": self.owner, "mode": self.mode_text,
            "modified": time.strftime("%Y-%m-%dT%H:%M:%S", time.localtime(self.modified)),
            "readable": self.readable, "writable": self.writable, "deleted": self.deleted,
            "attached": [a.to_json() for a in self.attached],
        }


@dataclass
class Scan:
    """The result of one look at ``/proc``: attachments keyed by (device, inode)."""

    by_inode: dict[tuple[int, int], list[Attachment]]
    paths: dict[tuple[int, int], str]
    sizes: dict[tuple[int, int], int]
    hidden_processes: int


def list_segments(shm_dir: str = SHM_DIR) -> list[SegmentInfo]:
    """Every segment in ``shm_dir`` we may see, sorted by name, then the deleted ones
    that processes still map. Segments we may not open are listed with
    ``readable=False``, never skipped."""
    return survey(shm_dir)[0]


def survey(shm_dir: str = SHM_DIR) -> tuple[list[SegmentInfo], int]:
    """:func:`list_segments`, plus how many processes we were not allowed to inspect."""
    if not os.path.isdir(shm_dir):
        return [], 0
    prefix = shm_dir.rstrip("/") + "/"
    scan = scan_processes(lambda path: path.startswith(prefix))
    found: list[SegmentInfo] = []
    seen: set[tuple[int, int]] = set()
    for entry in sorted(_scandir(shm_dir), key=lambda e: e.name):
        try:
            st = entry.stat(follow_symlinks=False)
        except OSError:
            continue  # removed between listing and stat
        if not stat.S_ISREG(st.st_mode):
            continue
        key = (st.st_dev, st.st_ino)
        seen.add(key)
        found.append(_info(entry.name, entry.path, st, scan.by_inode.get(key, [])))
    for key, path in sorted(scan.paths.items(), key=lambda kv: kv[1]):
        if key in seen:
            continue
        name = path[len(prefix):]
        found.append(SegmentInfo(
            name=name, path=path, size=scan.sizes.get(key), uid=-1, owner="?", mode=0,
            modified=0.0, readable=False, writable=False, deleted=True,
            attached=tuple(scan.by_inode[key])))
    return found, scan.hidden_processes


def segment_info(name: str | None = None, *, path: str | None = None) -> SegmentInfo:
    """Details of one named segment (or of a mapped file, with ``path``)."""
    named = path is None
    if path is None:
        path = os.path.join(SHM_DIR, validate_name(name or ""))
    try:
        # A name in /dev/shm is never followed: anyone may plant a link there.
        st = os.lstat(path) if named else os.stat(path)
    except FileNotFoundError:
        what = f"shared-memory segment {quoted(name)}" if name is not None else f"file {quoted(path)}"
        raise SegmentNotFoundError(f"no {what} exists ({printable(path)})") from None
    check_regular(st.st_mode, printable(path))  # a link is not followed, a FIFO not opened
    key = (st.st_dev, st.st_ino)
    scan = scan_processes(lambda p: p == path)
    info = _info(name if name is not None else path, path, st, scan.by_inode.get(key, []))
    return replace(info, uninspected=scan.hidden_processes)


def scan_processes(wanted: Callable[[str], bool]) -> Scan:
    """Find every process that maps or holds open a file whose path ``wanted`` accepts.

    Processes we may not inspect (other users', without privilege) are counted in
    ``hidden_processes`` rather than silently ignored.
    """
    by_pid: dict[tuple[int, int], dict[int, list[bool]]] = {}
    paths: dict[tuple[int, int], str] = {}
    sizes: dict[tuple[int, int], int] = {}
    hidden = 0
    commands: dict[int, str] = {}
    for pid in _pids():
        try:
            mapped = list(_mapped_files(pid, wanted))
            opened = list(_open_files(pid, wanted))
        except PermissionError:
            hidden += 1
            continue
        except (FileNotFoundError, ProcessLookupError):
            continue  # the process ended while we looked
        for key, path, extent in mapped:
            by_pid.setdefault(key, {}).setdefault(pid, [False, False])[0] = True
            paths.setdefault(key, path)
            sizes[key] = max(sizes.get(key, 0), extent)
        for key, path, size in opened:
            by_pid.setdefault(key, {}).setdefault(pid, [False, False])[1] = True
            paths.setdefault(key, path)
            sizes[key] = size  # the file's real size beats the mapping's extent
        if mapped or opened:
            commands[pid] = _command(pid)
    by_inode = {
        key: [Attachment(pid, commands[pid], flags[0], flags[1]) for pid, flags in sorted(pids.items())]
        for key, pids in by_pid.items()
    }
    return Scan(by_inode=by_inode, paths=paths, sizes=sizes, hidden_processes=hidden)


def _info(name: str, path: str, st: os.stat_result, attached: list[Attachment]) -> SegmentInfo:
    return SegmentInfo(
        name=name, path=path, size=st.st_size, uid=st.st_uid, owner=owner_name(st.st_uid),
        mode=stat.S_IMODE(st.st_mode), modified=st.st_mtime,
        readable=os.access(path, os.R_OK), writable=os.access(path, os.W_OK),
        attached=tuple(attached),
    )


def _scandir(path: str) -> Iterator[os.DirEntry[str]]:
    with os.scandir(path) as entries:
        yield from entries


def _pids() -> Iterator[int]:
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            yield int(entry)


def _mapped_files(pid: int, wanted: Callable[[str], bool]) -> Iterator[tuple[tuple[int, int], str, int]]:
    """(device, inode), path and mapped extent of each wanted file in the maps."""
    with open(f"/proc/{pid}/maps", "rb") as f:
        data = f.read()
    for raw in data.splitlines():
        # "7f..-7f.. rw-s 00000000 00:1a 1234   /dev/shm/name (deleted)"
        parts = raw.split(None, 5)
        if len(parts) < 6:
            continue
        path = os.fsdecode(parts[5]).removesuffix(_DELETED)
        if not wanted(path):
            continue
        start, end = (int(x, 16) for x in parts[0].split(b"-"))
        major, minor = (int(x, 16) for x in parts[3].split(b":"))
        key = (os.makedev(major, minor), int(parts[4]))
        yield key, path, int(parts[2], 16) + end - start


def _open_files(pid: int, wanted: Callable[[str], bool]) -> Iterator[tuple[tuple[int, int], str, int]]:
    """(device, inode), path and size of each wanted file the process holds open."""
    fd_dir = f"/proc/{pid}/fd"
    for fd in os.listdir(fd_dir):
        link = f"{fd_dir}/{fd}"
        try:
            target = os.readlink(link).removesuffix(_DELETED)
            if not wanted(target):
                continue
            st = os.stat(link)
        except (FileNotFoundError, ProcessLookupError):
            continue  # the descriptor closed while we looked
        yield (st.st_dev, st.st_ino), target, st.st_size


def _command(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/comm") as f:
            return f.read().strip()
    except OSError:
        return "?"
